"""Background work of the MDF app: closing programmes past their claim deadline (releasing open
reservations and posting the expiry) and reminding partners 30 and 7 days before a deadline. Both
are idempotent and safe in several workers at once: a programme is closed under its row lock and
closing a closed one does nothing; a reminder is claimed by a conditional update before it is sent.
Celery beat runs them (pcm.settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from mdf import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def expire_programs_task() -> int:
    """Close the open programmes whose claim deadline has passed; answers how many."""
    return services.programs_expire_due()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def send_fund_reminders_task() -> int:
    """E-mail partner managers 30 and 7 days before a claim deadline; answers how many reminders."""
    return services.reminders_send()
