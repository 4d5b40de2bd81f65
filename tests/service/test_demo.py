"""The demo service data of seed_demo: about 50 solutions for the demo catalogue, service requests of
alpine, brook and cobalt in every status with comments, files, feedback and a time to resolve, and
nothing added the second time."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db.models import Count

from catalog.demo import seed_catalog
from core.demo import _SEEDERS
from core.services import emails_suppressed
from partners.management.commands.seed_demo import Command as SeedCommand
from service import selectors
from service.choices import ServiceStatus
from service.demo import seed_service
from service.models import (
    ServiceAttachment,
    ServiceComment,
    ServiceEvent,
    ServiceRequest,
    Solution,
    SolutionFeedback,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    """The demo partners, people and catalogue of seed_demo, then this seeder alone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with emails_suppressed():
        SeedCommand().seed(password="demo-pass-2026", reset_passwords=False)
        seed_catalog()
        assert seed_service() > 0


def test_the_service_seeder_runs_after_the_catalogue_and_leads():
    order = {name: position for position, name, _ in _SEEDERS}
    assert order["service"] > order["catalog"] and order["service"] > order["leads"]


def test_fifty_solutions_for_the_demo_catalogue(seeded):
    assert Solution.objects.count() == 50
    assert Solution.objects.filter(published=True).count() == 48
    # Every published solution concerns products or a category of the demo catalogue.
    assert not Solution.objects.filter(
        published=True, products__isnull=True, categories__isnull=True
    ).exists()
    categories = set(Solution.objects.values_list("categories__slug", flat=True))
    assert {"pressure-sensors", "compact-plcs", "level-sensors", "cables-connectors"} <= categories


def test_requests_in_every_status_for_each_demo_partner(seeded):
    rows = ServiceRequest.objects.values_list("partner__slug", "status").annotate(n=Count("id"))
    statuses: dict[str, set[str]] = {}
    for slug, status, _ in rows:
        statuses.setdefault(slug, set()).add(status)
    assert statuses == {slug: set(ServiceStatus.values) for slug in ("alpine", "brook", "cobalt")}
    for request in ServiceRequest.objects.all():
        assert request.number == f"SR-{request.pk:06d}"
        assert request.customer.partner_id == request.partner_id
        events = list(ServiceEvent.objects.filter(request=request).order_by("created_at", "id"))
        assert events[0].kind == "created" and events[0].created_at >= request.created_at
        if request.resolved_at:
            assert (
                request.resolve_seconds == int((request.resolved_at - request.created_at).total_seconds()) > 0
            )


def test_resolved_requests_count_for_their_solutions_and_the_queue_has_escalations(seeded):
    solved = ServiceRequest.objects.filter(status__in=["resolved", "closed"], solution__isnull=False)
    assert solved.count() == 9
    assert SolutionFeedback.objects.count() == 9
    assert sum(Solution.objects.values_list("solved_count", flat=True)) == 9
    from core.models import User

    north = User.objects.get(email="cm.north@openpcm.example")
    assert [r.partner.slug for r in selectors.escalation_queue(north)] in (
        ["alpine", "brook"],
        ["brook", "alpine"],
    )
    assert ServiceComment.objects.filter(internal=True).count() == 18
    assert ServiceAttachment.objects.count() == 3


def test_seeding_again_adds_nothing(seeded):
    counts = [
        m.objects.count() for m in (Solution, ServiceRequest, ServiceEvent, ServiceComment, SolutionFeedback)
    ]
    with emails_suppressed():
        assert seed_service() == 0
    assert [
        m.objects.count() for m in (Solution, ServiceRequest, ServiceEvent, ServiceComment, SolutionFeedback)
    ] == counts


def test_without_the_demo_people_nothing_is_seeded():
    assert seed_service() == 0 and not Solution.objects.exists()


def test_seed_demo_loads_the_service_data_once(settings, tmp_path, mailoutbox):
    settings.DEMO_DATA_ALLOWED = True
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo")
    counts = (Solution.objects.count(), ServiceRequest.objects.count())
    assert counts == (50, 21)
    call_command("seed_demo")
    assert (Solution.objects.count(), ServiceRequest.objects.count()) == counts
    assert mailoutbox == []  # demo data mails nobody
