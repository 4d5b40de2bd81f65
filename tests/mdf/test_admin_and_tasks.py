"""MDF in Django's admin (through the services, journal read-only) and the periodic tasks."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from mdf import tasks
from mdf.choices import RequestStatus
from mdf.models import FundProgram, JournalEntry


def _program_form(**overrides):
    today = timezone.localdate()
    data = {
        "name": "FY Admin",
        "description": "",
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=100)).isoformat(),
        "claim_deadline": (today + timedelta(days=120)).isoformat(),
        "currency": "EUR",
        "budget": "1000.00",
        "approval_threshold": "",
        "allocation_rule": "manual",
    }
    return data | overrides


def _admin_client(client, world):
    world.admin.is_staff = True
    world.admin.is_superuser = True
    world.admin.save()
    client.force_login(world.admin)
    return client


def test_admin_sets_up_a_programme_through_the_service(client, world):
    client = _admin_client(client, world)
    response = client.post(reverse("admin:mdf_fundprogram_add"), _program_form())
    assert response.status_code == 302
    program = FundProgram.objects.get(name="FY Admin")
    assert program.status == "draft" and program.created_by == world.admin


def test_admin_form_shows_the_services_message_and_saves_nothing(client, world):
    client = _admin_client(client, world)
    today = timezone.localdate()
    response = client.post(
        reverse("admin:mdf_fundprogram_add"),
        _program_form(claim_deadline=(today + timedelta(days=50)).isoformat()),
    )
    assert response.status_code == 200
    assert "claim deadline must be on or after" in response.content.decode()
    assert not FundProgram.objects.exists()


def test_admin_cannot_lower_the_budget_below_the_allocations(client, world, funds):
    client = _admin_client(client, world)
    url = reverse("admin:mdf_fundprogram_change", args=[funds.program.pk])
    form = _program_form(
        name=funds.program.name,
        starts_on=funds.program.starts_on.isoformat(),
        ends_on=funds.program.ends_on.isoformat(),
        claim_deadline=funds.program.claim_deadline.isoformat(),
        budget="80000.00",
        approval_threshold="20000.00",
    )
    form.pop("currency")
    response = client.post(url, form)
    assert response.status_code == 200 and "is allocated already" in response.content.decode()
    funds.program.refresh_from_db()
    assert funds.program.budget == Decimal("100000.00")


def test_admin_action_approves_through_the_service(client, world, funds):
    client = _admin_client(client, world)
    request = funds.request(world, amount="1500.00")
    response = client.post(
        reverse("admin:mdf_fundrequest_changelist"),
        {"action": "approve_requests", "_selected_action": [request.pk]},
    )
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.status == RequestStatus.APPROVED
    assert JournalEntry.objects.filter(request=request, movement="reservation").count() == 2


def test_journal_is_read_only_in_the_admin(client, world, funds):
    client = _admin_client(client, world)
    line = JournalEntry.objects.first()
    assert client.get(reverse("admin:mdf_journalentry_changelist")).status_code == 200
    assert client.get(reverse("admin:mdf_journalentry_add")).status_code == 403
    assert (
        client.post(reverse("admin:mdf_journalentry_delete", args=[line.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert JournalEntry.objects.filter(pk=line.pk).exists()


def test_beat_runs_expiry_and_reminders():
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"mdf.tasks.expire_programs_task", "mdf.tasks.send_fund_reminders_task"} <= tasks_scheduled


def test_expiry_task_closes_programmes_past_their_deadline(world, funds):
    FundProgram.objects.filter(pk=funds.program.pk).update(
        ends_on=timezone.localdate() - timedelta(days=2),
        claim_deadline=timezone.localdate() - timedelta(days=1),
    )
    assert tasks.expire_programs_task.delay().get() == 1
    funds.program.refresh_from_db()
    assert funds.program.status == "closed"
    assert tasks.expire_programs_task.delay().get() == 0


def test_every_mdf_admin_page_renders(client, world, funds):
    client = _admin_client(client, world)
    request = funds.approved(world, amount="900.00")
    claim = funds.claim(world, request, amount="300.00")
    for name in ("fundprogram", "fundallocation", "fundrequest", "claim", "journalentry"):
        assert client.get(reverse(f"admin:mdf_{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:mdf_claim_change", args=[claim.pk])).status_code == 200
    assert client.get(reverse("admin:mdf_fundrequest_change", args=[request.pk])).status_code == 200
    assert client.get(reverse("admin:mdf_fundprogram_change", args=[funds.program.pk])).status_code == 200
