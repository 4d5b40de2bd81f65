"""The leads app's Celery tasks (run in-process here; tests/leads/test_workers.py runs real workers):
imports, batch routing, the acceptance window, deadline reminders, and the beat schedule."""

from __future__ import annotations

from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.utils import timezone

from core.models import ActivityEvent, JobStatus
from leads import imports, services, tasks
from leads.choices import LeadStatus
from leads.models import Lead, LeadSettings
from pcm.celery import app as celery_app
from tests.factories import LeadFactory, rule

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def routing_by_hand():
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})


def queued_import(world, django_capture_on_commit_callbacks, rows=2):
    text = "company,country\n" + "".join(f"Prospect {n},DE\n" for n in range(rows))
    with django_capture_on_commit_callbacks(execute=False):
        return imports.lead_import_start(
            actor=world.cm_a, uploaded_file=SimpleUploadedFile("leads.csv", text.encode())
        )


# --- Imports --------------------------------------------------------------------------------------------


def test_import_task_runs_the_job_and_a_second_delivery_changes_nothing(
    world, django_capture_on_commit_callbacks
):
    routing_by_hand()
    job = queued_import(world, django_capture_on_commit_callbacks)

    tasks.import_leads_task.delay(job.pk)
    job.refresh_from_db()
    finished_at = job.finished_at
    tasks.import_leads_task.delay(job.pk)

    job.refresh_from_db()
    assert (job.status, job.ok_count, job.finished_at) == (JobStatus.DONE, 2, finished_at)
    assert Lead.objects.count() == 2


def database_gone(calls):
    def run(*, job_id):
        calls.append(job_id)
        raise OperationalError("could not connect to server")

    return run


def test_import_task_in_process_fails_the_job_when_the_database_is_lost(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    job = queued_import(world, django_capture_on_commit_callbacks)
    calls = []
    monkeypatch.setattr(imports, "lead_import_run", database_gone(calls))

    tasks.import_leads_task.delay(job.pk)  # in-process: no broker to retry through

    job.refresh_from_db()
    assert len(calls) == 1
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("The import stopped: the database could not be reached.")
    assert job.input_file == ""


def test_import_task_in_a_worker_retries_a_lost_database_then_fails_the_job(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    job = queued_import(world, django_capture_on_commit_callbacks)
    calls, retries = [], []
    monkeypatch.setattr(imports, "lead_import_run", database_gone(calls))
    task = tasks.import_leads_task

    def retry(*, exc, countdown):
        retries.append(countdown)
        return Retry(exc=exc, when=countdown)

    monkeypatch.setattr(task, "retry", retry)
    for attempt in range(task.max_retries):
        task.push_request(retries=attempt, is_eager=False)
        try:
            with pytest.raises(Retry):
                task.run(job.pk)
        finally:
            task.pop_request()
        job.refresh_from_db()
        assert job.status == JobStatus.QUEUED
    task.push_request(retries=task.max_retries, is_eager=False)
    try:
        task.run(job.pk)
    finally:
        task.pop_request()

    job.refresh_from_db()
    assert retries == [15, 30, 60, 120, 240]  # backoff
    assert len(calls) == task.max_retries + 1 and job.status == JobStatus.FAILED


def test_import_task_settings_survive_a_killed_worker():
    task = tasks.import_leads_task
    assert task.acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


# --- Routing and the acceptance window ----------------------------------------------------------------


def test_route_task_routes_every_new_lead_in_batches(world):
    rule("All to A", partners=[world.a])
    leads = [LeadFactory() for _ in range(5)]

    assert tasks.route_new_leads_task.delay(batch_size=2).get() == 5
    assert {lead.status for lead in Lead.objects.filter(pk__in=[x.pk for x in leads])} == {
        LeadStatus.DISPATCHED
    }
    assert tasks.route_new_leads_task.delay(batch_size=2).get() == 0


def test_route_task_leaves_new_leads_alone_when_routing_is_by_hand(world):
    rule("All to A", partners=[world.a])
    routing_by_hand()
    lead = LeadFactory()

    assert tasks.route_new_leads_task.delay().get() == 0
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_expire_task_gives_a_late_lead_to_another_partner(world):
    rule("A or C", partners=[world.a, world.c])
    lead = services.lead_dispatch_to(lead=LeadFactory(), actor=world.admin, partner=world.a)
    Lead.objects.filter(pk=lead.pk).update(accept_by=timezone.now() - timedelta(minutes=1))

    assert tasks.expire_overdue_leads_task.delay().get() == 1
    lead.refresh_from_db()
    assert (lead.status, lead.partner) == (LeadStatus.DISPATCHED, world.c)
    assert tasks.expire_overdue_leads_task.delay().get() == 0


# --- Deadline reminders --------------------------------------------------------------------------------


def dispatched(world, partner, *, due_in: timedelta, company="Reminder AG") -> Lead:
    lead = services.lead_dispatch_to(lead=LeadFactory(company=company), actor=world.admin, partner=partner)
    Lead.objects.filter(pk=lead.pk).update(accept_by=timezone.now() + due_in)
    lead.refresh_from_db()
    return lead


def test_partner_managers_are_reminded_once_of_a_lead_near_its_deadline(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    lead = dispatched(world, world.a, due_in=timedelta(hours=2))
    dispatched(world, world.c, due_in=timedelta(hours=10), company="Later AG")  # outside the 4 hours
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_lead_deadlines_task.delay().get() == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.remind_lead_deadlines_task.delay().get() == 0

    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["pm@alpha.example"], "Reminder: accept or decline the lead Reminder AG")
    ]
    assert "/partner/leads/" in mailoutbox[0].body and "Reminder AG" in mailoutbox[0].body
    event = ActivityEvent.objects.get(verb=tasks.REMINDER_VERB)
    assert (event.target_id, event.partner_id) == (lead.pk, world.a.pk)


def test_a_lead_dispatched_again_is_reminded_again(world, mailoutbox, django_capture_on_commit_callbacks):
    lead = dispatched(world, world.a, due_in=timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.leads_remind_deadlines()
    lead = services.lead_dispatch_to(lead=lead, actor=world.admin, partner=world.c)
    Lead.objects.filter(pk=lead.pk).update(accept_by=timezone.now() + timedelta(hours=1))
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.leads_remind_deadlines() == 1

    assert [m.to for m in mailoutbox] == [["pm@gamma.example"]]


def test_one_reminder_per_partner_lists_all_its_leads(world, mailoutbox, django_capture_on_commit_callbacks):
    dispatched(world, world.a, due_in=timedelta(hours=1), company="First AG")
    dispatched(world, world.a, due_in=timedelta(hours=3), company="Second AG")
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.leads_remind_deadlines(limit=1) == 2

    assert [m.subject for m in mailoutbox] == [
        "Reminder: accept or decline the lead First AG",
        "Reminder: accept or decline the lead Second AG",
    ]  # limit=1: one lead per batch, so one e-mail each here
    mailoutbox.clear()
    ActivityEvent.objects.filter(verb=tasks.REMINDER_VERB).delete()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.leads_remind_deadlines() == 2
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == "Reminder: 2 leads wait for your answer"
    assert mailoutbox[0].body.index("First AG") < mailoutbox[0].body.index("Second AG")


def test_no_reminders_when_the_setting_is_zero_hours(world, mailoutbox, django_capture_on_commit_callbacks):
    dispatched(world, world.a, due_in=timedelta(minutes=30))
    LeadSettings.objects.update_or_create(pk=1, defaults={"reminder_hours_before_deadline": 0})
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.leads_remind_deadlines() == 0
    assert mailoutbox == []


# --- Beat ----------------------------------------------------------------------------------------------


def test_beat_runs_routing_every_minute_expiry_every_5_and_reminders_every_15():
    schedule = {
        entry["task"]: entry["schedule"]
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if str(entry["task"]).startswith("leads.")
    }

    assert schedule == {
        "leads.tasks.route_new_leads_task": 60.0,
        "leads.tasks.send_routing_digests_task": 60.0,
        "leads.tasks.expire_overdue_leads_task": 300.0,
        "leads.tasks.remind_lead_deadlines_task": 900.0,
    }
    assert set(schedule) <= set(celery_app.tasks)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["options"]["expires"] < entry["schedule"]


def test_stale_lead_imports_are_sent_again_by_the_lead_import_task():
    from core.jobs import job_runner

    assert job_runner("lead_import") == "leads.tasks.import_leads_task"
