"""Background tasks shared by every app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError

from core.jobs import jobs_requeue_stale


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def send_email_task(self, *, to: list[str], subject: str, body: str) -> int:  # type: ignore[no-untyped-def]
    """Send one plain-text e-mail; connection errors are retried with backoff."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


@shared_task(
    acks_late=True, autoretry_for=(OperationalError, InterfaceError), retry_backoff=True, max_retries=5
)
def requeue_stale_jobs_task() -> int:
    """Send stalled background jobs to their task again, and fail those that stalled too often
    (core.jobs.jobs_requeue_stale). Answers how many jobs it sent again or failed."""
    outcome = jobs_requeue_stale()
    return len(outcome.requeued) + len(outcome.failed)
