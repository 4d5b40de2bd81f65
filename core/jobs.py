"""Background jobs that people start and watch: their record (core.models.Job), their progress, their
end, and the report of the rows they could not take.

A job's runner (a Celery task) calls job_progress after every chunk, inside the chunk's transaction,
so the counts on the job page are always those of the rows committed; job_finish or job_fail ends it.
`job_claim` keeps a second delivery of the same task from working on a job that is still running.

A job whose task never arrived (queued while the broker was down) or whose worker died stops showing
signs of life; jobs_requeue_stale (run by Celery beat) sends it to its task again, and fails it with a
message once it was sent MAX_REQUEUES times. The task of each kind of job is named in a registry
(register_job_runner, called from the owning app's AppConfig.ready), so core imports no app above it."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from celery import current_app
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.errors import InvalidTransition
from core.models import JOB_TRANSITIONS, Job, JobStatus, User

# At most this many rows are listed in a job's report; the counts stay exact beyond it.
MAX_REPORTED_ROWS = 10_000
# Namespace of the PostgreSQL advisory locks that job_claim takes (the first key of the pair).
JOB_LOCK_NAMESPACE = 0x4A4F  # "JO"
# A queued or running job that showed no sign of life for this long is stale (the import task's retries
# wait 8 minutes in all, a chunk takes seconds).
STALE_AFTER = timedelta(minutes=15)
# A stale job is sent to its task again at most this often; stale once more after that, it fails.
MAX_REQUEUES = 3
# Stale jobs handled per transaction by jobs_requeue_stale.
SWEEP_BATCH = 100
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

logger = logging.getLogger(__name__)


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
    job.heartbeat_at = timezone.now()
    fields = ["status", "done", "heartbeat_at"]
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


def _lock_key(job_id: int) -> tuple[int, int]:
    return (JOB_LOCK_NAMESPACE, job_id % 2**31)


@contextmanager
def job_claim(job: Job) -> Iterator[bool]:
    """Yields True when this process may work on `job` now: on PostgreSQL a session advisory lock on
    the job, released at the end or when the worker's connection dies, so a task delivered twice
    does not run twice at once. Elsewhere (SQLite, tasks run in-process) always True."""
    if connection.vendor != "postgresql":
        yield True
        return
    key = _lock_key(job.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
        claimed = bool(cursor.fetchone()[0])
    try:
        yield claimed
    finally:
        if claimed:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)


# --- Stale jobs: sent again, then failed ---------------------------------------------------------------

_RUNNERS: dict[str, str] = {}


def register_job_runner(kind: str, task_name: str) -> None:
    """Name the Celery task that runs jobs of `kind`; the owning app calls this from its
    AppConfig.ready(). Only jobs of a registered kind are sent again when they stall, so the task must
    take the job's id as its one argument, be safe to run twice (claim the job with job_claim, leave a
    finished job alone) and resume from the job's committed progress."""
    known = _RUNNERS.setdefault(kind, task_name)
    if known != task_name:
        raise ValueError(f"Jobs of kind “{kind}” are run by {known} already, not {task_name}.")


def job_runner(kind: str) -> str | None:
    """The name of the Celery task that runs jobs of `kind`, if an app registered one."""
    return _RUNNERS.get(kind)


@dataclass
class StaleJobs:
    """What one jobs_requeue_stale run did, by job id."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    alive: list[int] = field(default_factory=list)


def _held_by_a_worker(jobs: list[Job]) -> set[int]:
    """The ids among `jobs` whose job_claim lock another connection holds (PostgreSQL). The others'
    locks are taken until this transaction ends, so no worker starts on them meanwhile."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute(  # the keys of _lock_key
            "SELECT x.id FROM unnest(%s::bigint[]) AS x(id) "
            "WHERE NOT pg_try_advisory_xact_lock(%s, (x.id %% 2147483648)::int)",
            [[job.pk for job in jobs], JOB_LOCK_NAMESPACE],
        )
        return {row[0] for row in cursor.fetchall()}


def _span(delta: timedelta) -> str:
    minutes = max(1, int(delta.total_seconds() // 60))
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def _send(task_name: str, job_id: int) -> None:
    # A task this process knows goes through apply_async (which runs it in-process when there is no
    # broker); send_task needs only the name.
    task = current_app.tasks.get(task_name)
    if task is not None:
        task.apply_async(args=[job_id])
    else:
        current_app.send_task(task_name, args=[job_id])


def _discard_input(name: str) -> None:
    default_storage.delete(name)


def _requeue(job: Job, *, now: datetime, max_requeues: int) -> None:
    job.requeues += 1
    idle = _span(now - job.heartbeat_at)
    retry = f"(retry {job.requeues} of {max_requeues})"
    if job.status == JobStatus.QUEUED:
        job.message = f"Not started after {idle}; sent to the workers again {retry}."
    else:
        job.message = f"No progress for {idle}; restarting after row {job.done:,} {retry}."
    job.heartbeat_at = now
    job.save(update_fields=["requeues", "heartbeat_at", "message"])
    task_name = _RUNNERS[job.kind]
    logger.warning("Job %s (%s) was stale; sent to %s again %s", job.pk, job.kind, task_name, retry)
    transaction.on_commit(partial(_send, task_name, job.pk), robust=True)


def _give_up(job: Job, *, now: datetime) -> None:
    again = f", although it was sent again {job.requeues} times" if job.requeues else ""
    if job.status == JobStatus.QUEUED:
        message = (
            f"This job never started: no worker took it in {_span(now - job.created_at)}{again}. "
            "Nothing was done; start it again."
        )
    else:
        rows = f"{job.done:,} of {job.total:,} rows" if job.total else f"{job.done:,} rows"
        message = (
            f"This job stopped after {rows} and did not go on{again}. What it saved before is kept; "
            "start it again for the rest."
        )
    job_fail(job=job, message=message)
    if job.input_file:
        stored, job.input_file = job.input_file, ""
        job.save(update_fields=["input_file"])
        transaction.on_commit(partial(_discard_input, stored), robust=True)
    logger.warning(
        "Job %s (%s) failed: still stale after being sent again %s times", job.pk, job.kind, job.requeues
    )


def jobs_requeue_stale(
    *,
    now: datetime | None = None,
    stale_after: timedelta = STALE_AFTER,
    max_requeues: int = MAX_REQUEUES,
    batch: int = SWEEP_BATCH,
) -> StaleJobs:
    """Send each stale job (queued or running, of a registered kind, no sign of life for
    `stale_after`) to its task again, or fail it with a message for its owner once it was sent again
    `max_requeues` times. A job whose worker holds its claim (PostgreSQL) is alive: only its heartbeat
    moves. Safe in several processes at once: rows are locked with SKIP LOCKED, and each job's claim
    is held until its new state commits, so the task (sent on commit) never meets the sweep's lock."""
    now = now or timezone.now()
    outcome = StaleJobs()
    kinds = sorted(_RUNNERS)
    if not kinds:
        return outcome
    while True:
        with transaction.atomic():
            stale = list(
                Job.objects.select_for_update(skip_locked=True)
                .filter(
                    status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                    heartbeat_at__lt=now - stale_after,
                    kind__in=kinds,
                )
                .order_by("heartbeat_at", "id")[:batch]
            )
            held = _held_by_a_worker(stale)
            alive = [job.pk for job in stale if job.pk in held]
            if alive:
                Job.objects.filter(pk__in=alive).update(heartbeat_at=now)
                outcome.alive.extend(alive)
            for job in stale:
                if job.pk in held:
                    continue
                if job.requeues >= max_requeues:
                    _give_up(job, now=now)
                    outcome.failed.append(job.pk)
                else:
                    _requeue(job, now=now, max_requeues=max_requeues)
                    outcome.requeued.append(job.pk)
        if len(stale) < batch:
            return outcome
