"""Background work of the leads app: CSV imports, batch routing, the acceptance window and deadline
reminders. The tasks are thin: they call services, and each is safe to run twice and in several
workers at once (rows are claimed with SKIP LOCKED, jobs with an advisory lock). Celery beat runs
the periodic ones (pcm.settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from core.models import ActivityEvent
from core.services import email_send
from leads import imports, services
from leads.choices import LeadStatus
from leads.models import Lead, LeadSettings

TRANSIENT = (OperationalError, InterfaceError)
REMINDER_VERB = "lead.deadline_reminder"


@shared_task(bind=True, acks_late=True, max_retries=5)
def import_leads_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run a lead import job (leads.imports.lead_import_run). Running it again does nothing to a
    finished job and resumes an interrupted one after its last committed chunk; a database that went
    away is retried with backoff, and the job fails with a message when the retries run out (at
    once in-process, where there is no broker to retry through)."""
    try:
        imports.lead_import_run(job_id=job_id)
    except TRANSIENT as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            imports.lead_import_fail(
                job_id=job_id,
                message="The import stopped: the database could not be reached. The leads imported "
                "before are kept; import the file again to add the rest.",
            )
            return
        raise self.retry(exc=exc, countdown=min(600, 15 * 2**self.request.retries))


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def route_new_leads_task(batch_size: int = services.ROUTE_BATCH) -> int:
    """Route new leads batch after batch until none is left (unless the channel routes by hand),
    then send the routing digests. Several workers share the work: each batch locks its rows with
    SKIP LOCKED. Answers how many this run routed."""
    if not LeadSettings.current().auto_route:
        return 0
    return services.leads_route_pending(batch_size=batch_size)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def send_routing_digests_task() -> int:
    """E-mail partners the leads automatic routing gave them, and channel managers the leads it
    could not place, since the last digest (leads.services.routing_digests_send)."""
    return services.routing_digests_send()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def expire_overdue_leads_task(batch_size: int = 500) -> int:
    """Re-dispatch leads whose acceptance window passed (leads_expire_overdue) until none is left."""
    expired = 0
    while batch := services.leads_expire_overdue(limit=batch_size):
        expired += batch
    return expired


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def remind_lead_deadlines_task() -> int:
    """E-mail partner managers about dispatched leads whose acceptance deadline is near."""
    return leads_remind_deadlines()


def leads_remind_deadlines(*, now: datetime | None = None, limit: int = 500) -> int:
    """Remind each partner's managers, once per dispatch, of its dispatched leads whose accept-by
    time falls within LeadSettings.reminder_hours_before_deadline: one e-mail per partner, listing
    them. A reminder is an ActivityEvent on the lead (REMINDER_VERB) made after the lead's dispatch,
    so a lead dispatched again is reminded again. Safe in several workers at once (SKIP LOCKED).
    Answers how many leads were reminded of."""
    now = now or timezone.now()
    hours = LeadSettings.current().reminder_hours_before_deadline
    if hours <= 0:
        return 0
    already = ActivityEvent.objects.filter(
        target_type=Lead._meta.label_lower,
        target_id=OuterRef("pk"),
        verb=REMINDER_VERB,
        created_at__gte=Coalesce(OuterRef("dispatched_at"), OuterRef("created_at")),
    )
    reminded = 0
    while True:
        with transaction.atomic():
            due = list(
                Lead.objects.select_for_update(skip_locked=True)
                .filter(
                    status=LeadStatus.DISPATCHED,
                    partner__isnull=False,
                    accept_by__gt=now,
                    accept_by__lte=now + timedelta(hours=hours),
                )
                .exclude(Exists(already))
                .order_by("accept_by", "id")[:limit]
            )
            if not due:
                return reminded
            ActivityEvent.objects.bulk_create(
                [
                    ActivityEvent(
                        verb=REMINDER_VERB, message=f"Deadline reminder sent for {lead.company}"[:500],
                        target_type=Lead._meta.label_lower, target_id=lead.pk, partner_id=lead.partner_id,
                        data={"accept_by": lead.accept_by.isoformat() if lead.accept_by else None},
                    )
                    for lead in due
                ]
            )  # fmt: skip
            by_partner: dict[int, list[Lead]] = defaultdict(list)
            for lead in due:
                assert lead.partner_id is not None
                by_partner[lead.partner_id].append(lead)
            for partner_id, leads in by_partner.items():
                _send_reminder(partner_id, leads)
            reminded += len(due)
        if len(due) < limit:
            return reminded


def _send_reminder(partner_id: int, leads: list[Lead]) -> None:
    to = services.partner_manager_emails(partner_id)
    if not to:
        return
    lines = [
        f"- {lead.company} ({lead.city or lead.country}): accept by "
        f"{timezone.localtime(lead.accept_by):%Y-%m-%d %H:%M}"
        for lead in leads
        if lead.accept_by
    ]
    if len(leads) == 1:
        subject = f"Reminder: accept or decline the lead {leads[0].company}"
    else:
        subject = f"Reminder: {len(leads)} leads wait for your answer"
    inbox = settings.SITE_URL.rstrip("/") + reverse("partner:lead_inbox")
    body = (
        "These leads go to another partner if nobody accepts them in time:\n\n"
        + "\n".join(lines)
        + f"\n\nYour lead inbox: {inbox}\n"
    )
    email_send(to=to, subject=subject, body=body)
