"""Real Celery workers on the real Redis broker, working on the test database: a worker routes a batch
of new leads, two workers routing the same batch at once assign every lead exactly once, and an import
job runs end to end. Eager mode is an emulation (DESIGN.md), so delivery is tested here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Count

from core.jobs import job_error_report
from core.models import Job, JobStatus
from leads import imports, tasks
from leads.choices import LeadEventKind, LeadStatus
from leads.models import DispatchDecision, Lead, LeadEvent
from partners.choices import Role
from pcm.celery import app as celery_app
from tests.factories import LeadFactory, PartnerFactory, TierFactory, channel_user, rule

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 60

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


class Worker:
    """A `celery -A pcm worker` process on its own queue; its log is collected as it runs."""

    def __init__(self, name: str, env: dict[str, str]) -> None:
        self.queue = f"test-{name}-{uuid.uuid4().hex[:8]}"
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "celery", "-A", "pcm", "worker", "-Q", self.queue, "-n", f"{self.queue}@%h",
                "--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=INFO",
            ],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def log(self) -> str:
        return "".join(self.lines)

    def wait_ready(self) -> None:
        wait_for(
            lambda: " ready." in self.log() or self.process.poll() is not None, what=f"{self.queue} ready"
        )
        assert self.process.poll() is None, f"the worker stopped:\n{self.log()}"

    def result_of(self, task_id: str) -> int:
        """The return value of a task this worker ran, from its log line “Task …[id] succeeded in …s: N”."""
        pattern = re.compile(rf"\[{re.escape(task_id)}\] succeeded in [\d.]+s: (\d+)")
        wait_for(lambda: pattern.search(self.log()) is not None, what=f"task {task_id} on {self.queue}")
        match = pattern.search(self.log())
        assert match is not None
        return int(match.group(1))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


def wait_for(condition, *, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"waited {WAIT_SECONDS} s for {what}")


def worker_database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgresql://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="module")
def workers(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[tuple[Worker, Worker, Path]]:
    """Two workers for the module, connected to the test database (its name comes from the test
    connection once pytest-django has created it) and sharing a media directory with the tests."""
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL: real workers take their tasks from Redis (CI runs with one)")
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: workers share the test database, which SQLite in memory cannot")
    var_dir = tmp_path_factory.mktemp("worker-var")
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "OPENPCM_VAR_DIR": str(var_dir),
        "OPENPCM_TESTING": "1",
        "EMAIL_URL": "locmem://",
    }
    pair = (Worker("one", env), Worker("two", env))
    try:
        for worker in pair:
            worker.wait_ready()
        yield pair[0], pair[1], var_dir
    finally:
        for worker in pair:
            worker.stop()


@pytest.fixture
def live(workers, settings):
    """Tasks go to the broker (not in-process) for this test; uploads land where the workers look."""
    one, two, var_dir = workers
    settings.MEDIA_ROOT = var_dir / "media"
    celery_app.conf.task_always_eager = False  # tests/conftest.py puts it back after the test
    return one, two


def partners(n: int = 3):
    tier = TierFactory(name="Gold", rank=3, routing_weight=4)
    # Plenty of capacity, and no users: routing sends no e-mail tasks (those would go to the default queue).
    return [PartnerFactory(tier=tier, capacity=100_000) for _ in range(n)]


def assert_each_lead_dispatched_once(leads: list[Lead]) -> None:
    ids = [lead.pk for lead in leads]
    assert set(Lead.objects.filter(pk__in=ids).values_list("status", flat=True)) == {LeadStatus.DISPATCHED}
    decisions = DispatchDecision.objects.filter(lead__in=ids).values("lead").annotate(n=Count("id"))
    assert sorted(d["n"] for d in decisions) == [1] * len(ids)
    events = (
        LeadEvent.objects.filter(lead__in=ids, kind=LeadEventKind.DISPATCHED)
        .values("lead")
        .annotate(n=Count("id"))
    )
    assert sorted(e["n"] for e in events) == [1] * len(ids)


@pytest.mark.django_db(transaction=True)
def test_a_worker_routes_a_batch_of_new_leads_delivered_through_redis(live):
    one, _two = live
    candidates = partners()
    rule("To the three", partners=candidates)
    leads = [LeadFactory() for _ in range(30)]

    sent = tasks.route_new_leads_task.apply_async(kwargs={"batch_size": 10}, queue=one.queue)

    assert one.result_of(sent.id) == 30
    assert_each_lead_dispatched_once(leads)
    assert set(Lead.objects.values_list("partner", flat=True)) <= {p.pk for p in candidates}


@pytest.mark.django_db(transaction=True)
def test_two_workers_routing_the_same_batch_at_once_assign_every_lead_exactly_once(live):
    one, two = live
    rule("To the three", partners=partners())
    leads = Lead.objects.bulk_create(LeadFactory.build_batch(400))

    # Small batches, so that both workers take turns on the same new leads (SKIP LOCKED).
    first = tasks.route_new_leads_task.apply_async(kwargs={"batch_size": 10}, queue=one.queue)
    second = tasks.route_new_leads_task.apply_async(kwargs={"batch_size": 10}, queue=two.queue)
    by_one, by_two = one.result_of(first.id), two.result_of(second.id)

    assert by_one + by_two == 400
    assert by_one > 0 and by_two > 0, "both workers should have routed part of the batch"
    assert_each_lead_dispatched_once(leads)


@pytest.mark.django_db(transaction=True)
def test_an_import_job_runs_end_to_end_in_a_worker(live):
    one, _two = live
    rule("To the three", partners=partners())
    admin = channel_user(Role.CHANNEL_ADMIN, email="importer@test.example")
    rows = [f"Prospect {n} AG,DE,EXT-{n}" for n in range(1, 41)]
    rows[4] = "Bad Country AG,XX,EXT-5"
    rows[9] = ",DE,EXT-10"
    text = "company,country,external_id\n" + "\n".join(rows) + "\n"

    celery_app.conf.update(task_routes={"leads.tasks.import_leads_task": {"queue": one.queue}})
    try:
        job = imports.lead_import_start(
            actor=admin, uploaded_file=SimpleUploadedFile("leads.csv", text.encode())
        )
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, what="the import job to finish")
    finally:
        celery_app.conf.update(task_routes=None)

    job.refresh_from_db()
    assert (job.status, job.progress, job.done, job.total) == (JobStatus.DONE, 100, 40, 40)
    assert (job.ok_count, job.error_count) == (38, 2)
    assert [e["line"] for e in job.errors] == [6, 11]
    report = "".join(job_error_report(job=job))
    assert report.splitlines()[1:] == [
        "6,country: “XX” is not a country code (use ISO 3166 alpha-2 codes such as DE).",
        "11,company: This field cannot be blank.",
    ]
    assert Lead.objects.filter(source="import").count() == 38
    assert set(Lead.objects.values_list("status", flat=True)) == {
        LeadStatus.DISPATCHED
    }  # routed after import
    assert job.input_file == "" and not list((Path(settings.MEDIA_ROOT) / "imports").glob("*"))
