"""The demo orders of seed_demo: alpine, brook and cobalt have orders in every status, some converted
from won leads, each history written by the services and dated in order; the seeder mails nobody and
adds nothing the second time."""

from __future__ import annotations

import pytest

from catalog.demo import seed_catalog
from core.changes import is_notification
from core.demo import _SEEDERS
from core.services import emails_suppressed
from leads.demo import seed_leads
from orders.choices import OrderOrigin, OrderStatus
from orders.demo import DEMO_PARTNERS, seed_orders
from orders.models import Order, OrderEvent
from partners.management.commands.seed_demo import Command as SeedCommand

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path, django_capture_on_commit_callbacks):
    """The demo partners and people, the catalogue with the assortments, the leads (whose won leads
    convert), then the orders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with emails_suppressed():
        SeedCommand().seed(password="demo-pass-2026", reset_passwords=False)
        seed_catalog()
        seed_leads()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        created = seed_orders()
    # No e-mail queued (the seeder suppresses them); only the analytics hear of the orders.
    assert [c for c in callbacks if not is_notification(c)] == []
    return created


def test_the_orders_seeder_runs_after_the_catalogue_and_the_leads():
    order = {name: position for position, name, _ in _SEEDERS}
    assert order["orders"] > order["catalog"] and order["orders"] > order["leads"]


def test_every_status_for_each_demo_partner(seeded):
    assert seeded == Order.objects.count() > 0
    for slug in DEMO_PARTNERS:
        statuses = set(Order.objects.filter(partner__slug=slug).values_list("status", flat=True))
        assert statuses == set(OrderStatus.values), slug
        assert Order.objects.filter(partner__slug=slug, status="cancelled").exclude(reason="").count() == 2
        assert Order.objects.filter(partner__slug=slug, origin=OrderOrigin.SHOWROOM).exists()


def test_some_orders_come_from_won_leads(seeded):
    from_leads = Order.objects.filter(origin=OrderOrigin.LEAD).select_related("lead")
    assert from_leads.count() >= 2
    for order in from_leads:
        assert order.lead.status == "won" and order.lead.order == order and order.lines.exists()


def test_histories_are_dated_in_order_and_totals_add_up(seeded):
    for order in Order.objects.prefetch_related("lines", "events"):
        events = sorted(order.events.all(), key=lambda e: e.id)
        assert [e.created_at for e in events] == sorted(e.created_at for e in events)
        assert events[-1].status == order.status
        assert order.total == sum(line.line_total for line in order.lines.all())
        if order.status == OrderStatus.SHIPPED:
            assert order.tracking_reference and order.shipped_at >= order.confirmed_at >= order.accepted_at


def test_nobody_is_mailed_and_the_second_run_adds_nothing(seeded, mailoutbox):
    assert mailoutbox == []  # the fixture ran the commit callbacks: there were none
    count, events = Order.objects.count(), OrderEvent.objects.count()
    assert seed_orders() == 0
    assert (Order.objects.count(), OrderEvent.objects.count()) == (count, events)
