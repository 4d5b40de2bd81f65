"""Background work of the showroom app: catalogue exports and the daily scheduled ones. The tasks are thin:
they call showroom.exports, and each is safe to run twice (a finished export job is left alone, a running
one is claimed with an advisory lock)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from showroom import exports

TRANSIENT = (OperationalError, InterfaceError)


@shared_task(bind=True, acks_late=True, max_retries=5)
def export_catalog_task(self, job_id: int) -> None:  # type: ignore[no-untyped-def]
    """Run a catalogue export job (showroom.exports.export_run). A database that went away is retried
    with backoff; the job fails with a message when the retries run out (at once in-process)."""
    try:
        exports.export_run(job_id=job_id)
    except TRANSIENT as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            exports.export_fail(
                job_id=job_id,
                message="The export stopped: the database could not be reached. Start it again.",
            )
            return
        raise self.retry(exc=exc, countdown=min(600, 15 * 2**self.request.retries))


@shared_task(acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def start_scheduled_exports_task() -> int:
    """Start the daily export of every enabled schedule that has none today; answers how many."""
    return len(exports.schedules_start_due())
