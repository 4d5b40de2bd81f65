"""Background work of the analytics app: the roll-ups kept current.

- On the events that change them: the domain services say `core.changes.data_changed(kind)`, and
  after the commit `refresh_soon` queues one refresh a few seconds later (debounced: a burst of a
  thousand changes queues one refresh, which sees them all).
- Periodically (Celery beat, pcm.settings.CELERY_BEAT_SCHEDULE): every two minutes the days whose raw
  rows changed are rebuilt (catching anything an event missed), nightly everything is rebuilt.

Both tasks are idempotent (a day is deleted and re-inserted in one transaction) and acknowledged late.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.core.cache import cache
from django.db import InterfaceError, OperationalError

from analytics import services

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError)
# The kinds of core.changes.data_changed that move a dashboard figure. The roll-ups hold leads,
# orders and service requests; MDF and deal registrations are read live from their tables today, so
# a refresh on them finds no changed day to rebuild (cheap) and covers a roll-up added for them later.
REFRESH_ON = frozenset({"leads", "orders", "service", "mdf", "registrations"})
REFRESH_QUEUED_KEY = "analytics:refresh-queued"
REFRESH_DELAY = 5  # seconds: the changes committed meanwhile share the refresh
REFRESH_QUEUED_FOR = 10  # the key outlives the delay; if the task never starts, the next change queues one
# A refresh still waiting after this long is dropped (workers down or backed up): another change, or
# beat's own refresh every two minutes, covers it, so no pile of stale refreshes builds up.
REFRESH_EXPIRES = 120


def refresh_soon(kind: str) -> None:
    """Listener of core.changes (registered in AnalyticsConfig.ready): queue one roll-up refresh
    REFRESH_DELAY seconds from now unless one is queued already. Runs after the commit of the
    change; never raises (the change is saved, and the periodic refresh catches up), it logs. In the
    embedded mode (eager Celery) the refresh runs here, in-process, touching only the changed days."""
    if kind not in REFRESH_ON:
        return
    try:
        if not cache.add(REFRESH_QUEUED_KEY, 1, timeout=REFRESH_QUEUED_FOR):
            return  # a refresh is queued and has not started: it will see this change too
        refresh_rollups_task.apply_async(countdown=REFRESH_DELAY, expires=REFRESH_EXPIRES)
    except Exception:
        logger.exception("Could not refresh the analytics roll-ups after a change of %s", kind)
        try:
            cache.delete(REFRESH_QUEUED_KEY)  # so that the next change tries again
        except Exception:
            logger.exception("Could not clear the analytics refresh flag")


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def refresh_rollups_task() -> dict[str, int]:
    """Rebuild the roll-up days touched since the last run; answers days per roll-up."""
    # First, before reading anything: a change committed from now on queues a refresh of its own.
    cache.delete(REFRESH_QUEUED_KEY)
    return services.rollups_refresh()


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def rebuild_rollups_task() -> None:
    """Rebuild every roll-up from scratch."""
    services.rollups_rebuild()
