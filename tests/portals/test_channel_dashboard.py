"""Channel portal: the dashboard."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import ActivityEvent
from partners import services
from partners.choices import PartnerStatus, Role
from tests.factories import ApplicationFactory, PartnerFactory, channel_user

pytestmark = pytest.mark.django_db

URL = "/channel/"


def counts(response) -> dict[str, int]:
    return {s["value"]: s["count"] for s in response.context["statuses"]}


def test_url_is_the_contract():
    assert reverse("channel:dashboard") == URL


def test_admin_counts_every_partner_by_status(world, login):
    world.c.status = PartnerStatus.SUSPENDED
    world.c.save()
    response = login(world.admin).get(URL)
    assert response.status_code == 200
    assert counts(response) == {"applied": 0, "onboarding": 0, "active": 2, "suspended": 1, "terminated": 0}
    assert response.context["partner_total"] == 3
    body = response.content.decode()
    assert "<title>Channel dashboard · OpenPCM</title>" in body
    assert f"{reverse('channel:partner_list')}?status=suspended" in body


def test_channel_manager_counts_only_their_partners(world, login):
    response = login(world.cm_c).get(URL)
    assert counts(response)["active"] == 1
    assert response.context["partner_total"] == 1


def test_pending_applications_are_counted_and_linked(world, login):
    application = ApplicationFactory(company="Eager Newcomer")
    ApplicationFactory(status="rejected", reject_reason="no")
    response = login(world.cm_a).get(URL)
    assert response.context["pending_count"] == 1
    body = response.content.decode()
    assert "Eager Newcomer" in body
    assert reverse("channel:application_detail", args=[application.pk]) in body
    assert reverse("channel:application_list") in body


def test_recent_activity_covers_only_visible_partners(world, login):
    services.partner_change_tier(partner=world.b, actor=world.admin, tier=world.gold, reason="Growth")
    services.partner_change_tier(partner=world.c, actor=world.admin, tier=world.gold, reason="Secret")
    response = login(world.cm_a).get(URL)
    messages = [event.message for event in response.context["activity"]]
    assert messages == ["Tier Silver → Gold: Growth"]
    body = response.content.decode()
    assert "Beta Resale" in body and "Secret" not in body
    assert len(login(world.admin).get(URL).context["activity"]) == 2


def test_empty_states_for_a_new_channel_manager(db, login):
    body = login(channel_user(Role.CHANNEL_MANAGER)).get(URL).content.decode()
    assert "You have no partners yet." in body
    assert "No applications are waiting for a decision." in body
    assert "Nothing has happened on your partners yet." in body


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pe_c"])
def test_partner_users_get_403(world, login, persona):
    assert login(getattr(world, persona)).get(URL).status_code == 403


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("rows", [1, 20])
def test_dashboard_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, rows):
    manager = channel_user(Role.CHANNEL_MANAGER)
    for n in range(rows):
        partner = PartnerFactory()
        partner.managers.add(manager)
        ApplicationFactory()
        ActivityEvent.objects.create(
            actor=manager,
            verb="note",
            message=f"note {n}",
            target_type="x",
            target_id=n,
            partner_id=partner.pk,
        )
    client = login(manager)
    # session, user, actor, partner counts by status, partner counts by tier, tiers, application
    # counts by status, newest pending applications, recent activity (actor and partner name) = 9
    with django_assert_num_queries(9):
        response = client.get(URL)
    assert len(response.context["activity"]) == min(rows, 10)
    assert response.context["pending_count"] == rows


def test_dashboard_charts_partners_by_tier_with_the_same_figures_in_a_table(world, login):
    import json
    import re

    body = login(world.cm_a).get(reverse("channel:dashboard")).content.decode()
    data = json.loads(
        re.search(r'<script id="tier-chart-data" type="application/json">(.*?)</script>', body).group(1)
    )
    # cm_a sees Alpha (Gold) and Beta (Silver).
    assert data["labels"] == ["Registered", "Silver", "Gold", "Platinum"]
    assert data["values"] == [0, 1, 1, 0]
    assert 'data-chart="tier-chart-data"' in body
    assert '<td>Gold</td><td class="text-end">1</td>' in body
