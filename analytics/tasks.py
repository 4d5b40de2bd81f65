"""Background work of the analytics app: the roll-ups kept current. Every few minutes the days whose
raw rows changed are rebuilt; nightly everything is rebuilt. Both are idempotent (a day is deleted
and re-inserted in one transaction). Celery beat runs them (pcm.settings.CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from analytics import services

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def refresh_rollups_task() -> dict[str, int]:
    """Rebuild the roll-up days touched since the last run; answers days per roll-up."""
    return services.rollups_refresh()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def rebuild_rollups_task() -> None:
    """Rebuild every roll-up from scratch."""
    services.rollups_rebuild()
