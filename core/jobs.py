"""Background jobs that people start and watch: their record (core.models.Job), their progress, their
end, and the report of the rows they could not take.

A job's runner (a Celery task) calls job_progress after every chunk, inside the chunk's transaction,
so the counts on the job page are always those of the rows committed; job_finish or job_fail ends it.
`job_claim` keeps a second delivery of the same task from working on a job that is still running."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import InvalidTransition
from core.models import JOB_TRANSITIONS, Job, JobStatus, User

# At most this many rows are listed in a job's report; the counts stay exact beyond it.
MAX_REPORTED_ROWS = 10_000
# Namespace of the PostgreSQL advisory locks that job_claim takes (the first key of the pair).
JOB_LOCK_NAMESPACE = 0x4A4F  # "JO"
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _move(job: Job, status: str) -> None:
    if status not in JOB_TRANSITIONS[job.status]:
        raise InvalidTransition(job.get_status_display(), JobStatus(status).label, "job")
    job.status = status


def job_start(
    *,
    kind: str,
    owner: User,
    title: str = "",
    total: int = 0,
    partner_id: int | None = None,
    input_file: str = "",
) -> Job:
    """Record a new job, queued; the caller queues its task on commit."""
    return Job.objects.create(
        kind=kind, owner=owner, title=title[:200], total=max(0, total), partner_id=partner_id,
        input_file=input_file,
    )  # fmt: skip


def job_progress(
    *,
    job: Job,
    done: int,
    ok_count: int | None = None,
    skipped_count: int | None = None,
    error_count: int | None = None,
    new_rows: Iterable[dict[str, Any]] = (),
    total: int | None = None,
    message: str | None = None,
) -> Job:
    """Record how far a job got (absolute counts) and append rows to its report (up to
    MAX_REPORTED_ROWS). The first call moves a queued job to running."""
    _move(job, JobStatus.RUNNING)
    fields = ["status", "done"]
    if job.started_at is None:
        job.started_at = timezone.now()
        fields.append("started_at")
    job.done = max(0, done)
    for name, value in (
        ("ok_count", ok_count),
        ("skipped_count", skipped_count),
        ("error_count", error_count),
        ("total", total),
    ):
        if value is not None:
            setattr(job, name, max(0, value))
            fields.append(name)
    if message is not None:
        job.message = message[:500]
        fields.append("message")
    room = max(0, MAX_REPORTED_ROWS - len(job.errors))
    added = [{"line": row["line"], "reason": str(row["reason"])[:500]} for row in list(new_rows)[:room]]
    if added:
        job.errors = [*job.errors, *added]
        fields.append("errors")
    job.save(update_fields=fields)
    return job


def job_finish(*, job: Job, message: str = "") -> Job:
    """The job ended as planned (rows it could not take are in its report, not a failure)."""
    _move(job, JobStatus.DONE)
    now = timezone.now()
    job.started_at = job.started_at or now
    job.finished_at = now
    job.message = message[:500]
    job.save(update_fields=["status", "started_at", "finished_at", "message"])
    return job


def job_fail(*, job: Job, message: str) -> Job:
    """The job stopped before the end; what it committed so far stays, the message says why."""
    _move(job, JobStatus.FAILED)
    job.finished_at = timezone.now()
    job.message = message[:500]
    job.save(update_fields=["status", "finished_at", "message"])
    return job


def _cell(value: Any) -> str:
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def job_error_report(*, job: Job) -> Iterator[str]:
    """The job's report as CSV text, piece by piece: `line,reason`, one row per row not taken, and a
    last row saying how many more there were when the list was capped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(["line", "reason"])
    for row in job.errors:
        writer.writerow([row.get("line", ""), _cell(row.get("reason", ""))])
        if buffer.tell() > 64_000:
            yield flush()
    unlisted = job.error_count + job.skipped_count - len(job.errors)
    if unlisted > 0:
        writer.writerow(
            ["", f"{unlisted} more rows not listed (the report keeps the first {MAX_REPORTED_ROWS})."]
        )
    yield flush()


def visible_jobs(user: User, *, sees_all: bool) -> QuerySet[Job]:
    """Jobs this user may watch: their own, or every job when the access policy says they see
    everything (channel admins; the caller asks partners.access, which core cannot import)."""
    qs = Job.objects.select_related("owner")
    if sees_all:
        return qs
    if not user.is_authenticated:
        return qs.none()
    return qs.filter(owner=user)


@contextmanager
def job_claim(job: Job) -> Iterator[bool]:
    """Yields True when this process may work on `job` now: on PostgreSQL a session advisory lock on
    the job, released at the end or when the worker's connection dies, so a task delivered twice
    does not run twice at once. Elsewhere (SQLite, tasks run in-process) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = (JOB_LOCK_NAMESPACE, job.pk % 2**31)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
