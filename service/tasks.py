"""Background work of the service app: closing the requests resolved long ago (the customer did not
come back). Idempotent and safe in several workers at once: each request is closed under its row
lock, skipping rows another worker holds, and a closed request is never closed again. Celery beat
runs it (pcm.settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from service import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def autoclose_resolved_requests_task() -> int:
    """Close the requests resolved more than AUTOCLOSE_AFTER_DAYS ago; answers how many."""
    return services.requests_autoclose()
