"""Background jobs: their progress, their end, their error report, who may watch them (portal and
API), the claim that keeps a job from running twice at once, and the sweep that sends stalled jobs
to their task again (time is moved through the sweep's `now`)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, connections, transaction
from django.urls import reverse
from django.utils import timezone

from core import jobs
from core.errors import InvalidTransition
from core.models import Job
from core.services import api_token_create
from core.tasks import requeue_stale_jobs_task
from leads import imports
from leads.models import Lead, LeadSettings
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    """api(user) -> a client sending that user's bearer token; api(None) sends none."""
    return lambda user: ApiClient(client, api_token_create(user=user, name="test")[1] if user else None)


def make_job(owner, **fields) -> Job:
    job = jobs.job_start(kind="lead_import", owner=owner, title="Lead import: leads.csv", total=10)
    for name, value in fields.items():
        setattr(job, name, value)
    job.save()
    return job


def finished_with_errors(owner, rows=(), **fields) -> Job:
    job = make_job(owner)
    jobs.job_progress(job=job, done=10, ok_count=8, error_count=len(rows), new_rows=rows, **fields)
    return jobs.job_finish(job=job, message="8 leads imported; 2 rows with errors.")


ROWS = [
    {"line": 3, "reason": "country: “XX” is not a country code."},
    {"line": 7, "reason": "company: blank"},
]


# --- Services --------------------------------------------------------------------------------------------


def test_a_new_job_is_queued_with_nothing_done(world):
    job = make_job(world.cm_a)

    assert (job.status, job.done, job.progress, job.started_at, job.is_finished) == (
        "queued",
        0,
        0,
        None,
        False,
    )


def test_progress_moves_the_job_to_running_and_keeps_the_counts(world):
    job = make_job(world.cm_a)
    jobs.job_progress(job=job, done=4, ok_count=3, error_count=1, new_rows=ROWS[:1])
    started = job.started_at
    jobs.job_progress(job=job, done=7, ok_count=5, error_count=2, new_rows=ROWS[1:])

    job.refresh_from_db()
    assert (job.status, job.done, job.ok_count, job.error_count, job.progress) == ("running", 7, 5, 2, 70)
    assert job.started_at == started is not None
    assert job.errors == ROWS


def test_the_report_keeps_at_most_the_cap_and_counts_the_rest(world, monkeypatch):
    monkeypatch.setattr(jobs, "MAX_REPORTED_ROWS", 3)
    job = make_job(world.cm_a)
    many = [{"line": n, "reason": "bad"} for n in range(2, 7)]
    jobs.job_progress(job=job, done=5, error_count=5, new_rows=many)
    jobs.job_finish(job=job)

    assert [r["line"] for r in job.errors] == [2, 3, 4]
    lines = "".join(jobs.job_error_report(job=job)).splitlines()
    assert lines == [
        "line,reason",
        "2,bad",
        "3,bad",
        "4,bad",
        ",2 more rows not listed (the report keeps the first 3).",
    ]


def test_a_finished_job_takes_no_more_progress(world):
    job = finished_with_errors(world.cm_a)

    assert (job.status, job.progress, job.finished_at is not None) == ("done", 100, True)
    with pytest.raises(InvalidTransition):
        jobs.job_progress(job=job, done=1)
    with pytest.raises(InvalidTransition):
        jobs.job_fail(job=job, message="late")


def test_a_failed_job_keeps_its_counts_and_says_why(world):
    job = make_job(world.cm_a)
    jobs.job_progress(job=job, done=5, ok_count=5)
    jobs.job_fail(job=job, message="The uploaded file is gone.")

    job.refresh_from_db()
    assert (job.status, job.ok_count, job.progress, job.message) == (
        "failed",
        5,
        50,
        "The uploaded file is gone.",
    )


def test_error_report_defuses_spreadsheet_formulas(world):
    job = finished_with_errors(world.cm_a, [{"line": 2, "reason": '=HYPERLINK("http://evil")'}])

    assert "".join(jobs.job_error_report(job=job)).splitlines()[1] == '2,"\'=HYPERLINK(""http://evil"")"'


def test_visible_jobs_are_the_owners_or_all_for_whoever_sees_everything(world):
    mine, theirs = make_job(world.cm_a), make_job(world.cm_c)

    assert list(jobs.visible_jobs(world.cm_a, sees_all=False)) == [mine]
    assert set(jobs.visible_jobs(world.pm_a, sees_all=False)) == set()
    assert set(jobs.visible_jobs(world.admin, sees_all=True)) == {mine, theirs}


def test_a_job_is_claimed_by_one_process_at_a_time(world, on_postgres):
    if not on_postgres:
        pytest.skip("the claim is a PostgreSQL advisory lock; SQLite runs tasks in-process")
    job = make_job(world.cm_a)
    seen = []

    def other_process():
        try:
            with jobs.job_claim(job) as claimed:
                seen.append(claimed)
        finally:
            connections.close_all()

    with jobs.job_claim(job) as claimed:
        assert claimed
        thread = threading.Thread(target=other_process)
        thread.start()
        thread.join()
    thread = threading.Thread(target=other_process)
    thread.start()
    thread.join()

    assert seen == [False, True]
    assert connection.vendor == "postgresql"


# --- Portal --------------------------------------------------------------------------------------------


def test_owner_watches_a_running_job_that_polls_for_progress(world, login):
    job = make_job(world.cm_a)
    jobs.job_progress(job=job, done=4, ok_count=4)
    response = login(world.cm_a).get(reverse("job_detail", args=[job.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Lead import: leads.csv · OpenPCM</title>" in body
    assert 'role="progressbar"' in body and 'aria-valuenow="40"' in body
    assert f'hx-get="{reverse("job_progress", args=[job.pk])}" hx-trigger="every 1s"' in body
    assert "4 of 10 rows" in body
    assert reverse("channel:lead_import") in body  # breadcrumbs back to where the import started


def test_progress_partial_stops_polling_once_the_job_ends(world, login):
    job = finished_with_errors(world.cm_a, ROWS)
    response = login(world.cm_a).get(reverse("job_progress", args=[job.pk]))

    assert response.status_code == 200
    body = response.content.decode()
    assert "<html" not in body and "hx-trigger" not in body
    assert 'aria-valuenow="100"' in body and "8 leads imported; 2 rows with errors." in body
    assert reverse("job_error_report", args=[job.pk]) in body
    assert "country: “XX” is not a country code." in body


def test_a_job_without_errors_says_so_and_offers_no_report(world, login):
    job = finished_with_errors(world.cm_a)
    body = login(world.cm_a).get(reverse("job_detail", args=[job.pk])).content.decode()

    assert "Every row was taken" in body
    assert reverse("job_error_report", args=[job.pk]) not in body


@pytest.mark.parametrize("name", ["job_detail", "job_progress", "job_error_report"])
def test_channel_admin_sees_any_job_and_others_get_404(world, login, name):
    job = finished_with_errors(world.cm_a, ROWS)
    url = reverse(name, args=[job.pk])

    assert login(world.admin).get(url).status_code == 200
    for stranger in (world.cm_c, world.pm_a, world.pe_a, world.pm_c):
        assert login(stranger).get(url).status_code == 404


@pytest.mark.parametrize("name", ["job_detail", "job_progress", "job_error_report"])
def test_anonymous_visitors_are_sent_to_login(world, client, name):
    job = make_job(world.cm_a)
    response = client.get(reverse(name, args=[job.pk]))

    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_job_page_costs_the_same_queries_with_1_or_20_reported_rows(world, login, django_assert_num_queries):
    one = finished_with_errors(world.cm_a, ROWS[:1])
    twenty = finished_with_errors(world.cm_a, [{"line": n, "reason": "bad"} for n in range(2, 22)])
    client = login(world.cm_a)
    # session, user, the job (owner joined), the actor's role (groups and membership)
    for job in (one, twenty):
        with django_assert_num_queries(4):
            assert client.get(reverse("job_detail", args=[job.pk])).status_code == 200


# --- API -----------------------------------------------------------------------------------------------


def test_api_answers_a_job_with_its_progress_and_report_link(world, api):
    job = finished_with_errors(world.cm_a, ROWS)
    response = api(world.cm_a).get(f"/api/v1/jobs/{job.pk}")

    assert response.status_code == 200
    data = response.json()
    assert {k: data[k] for k in ("id", "kind", "status", "progress", "done", "total")} == {
        "id": job.pk, "kind": "lead_import", "status": "done", "progress": 100, "done": 10, "total": 10,
    }  # fmt: skip
    assert (data["ok_count"], data["error_count"], data["skipped_count"]) == (8, 2, 0)
    assert data["error_report"] == f"http://testserver/api/v1/jobs/{job.pk}/errors"
    assert data["finished_at"] is not None


def test_api_job_without_errors_has_no_report_link(world, api):
    job = make_job(world.cm_a)

    data = api(world.cm_a).get(f"/api/v1/jobs/{job.pk}").json()
    assert (data["status"], data["progress"], data["error_report"]) == ("queued", 0, None)


def test_api_error_report_is_a_csv_download(world, api):
    job = finished_with_errors(world.cm_a, ROWS)
    response = api(world.cm_a).get(f"/api/v1/jobs/{job.pk}/errors")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="job-{job.pk}-errors.csv"'
    assert b"".join(response.streaming_content).decode().splitlines()[:2] == [
        "line,reason",
        "3,country: “XX” is not a country code.",
    ]


@pytest.mark.parametrize("path", ["/api/v1/jobs/{id}", "/api/v1/jobs/{id}/errors"])
def test_api_jobs_are_scoped_like_the_portal(world, api, path):
    job = finished_with_errors(world.cm_a, ROWS)
    url = path.format(id=job.pk)

    assert api(world.admin).get(url).status_code == 200
    for stranger in (world.cm_c, world.pm_a, world.pm_c):
        assert api(stranger).get(url).status_code == 404
    assert api(None).get(url).status_code == 401
    assert api(world.cm_a).get(path.format(id=2**63)).status_code == 404


# --- Stale jobs ----------------------------------------------------------------------------------------

PROBE_TASK = "tests.core.run_probe_job"
probe_runs: list[int] = []


@shared_task(name=PROBE_TASK)
def run_probe_job(job_id: int) -> None:
    probe_runs.append(job_id)


@pytest.fixture
def probe(monkeypatch):
    """Jobs of kind "probe" are run by PROBE_TASK, which only records the ids it was sent (in-process);
    no other kind is registered."""
    monkeypatch.setattr(jobs, "_RUNNERS", {})
    jobs.register_job_runner("probe", PROBE_TASK)
    probe_runs.clear()
    yield probe_runs
    probe_runs.clear()


def idle_job(owner, minutes: float, kind: str = "probe", **fields) -> Job:
    """A job made `minutes` ago that showed no sign of life since (running=True: after some progress)."""
    job = jobs.job_start(kind=kind, owner=owner, title="Probe", total=10)
    if fields.pop("running", False):
        jobs.job_progress(job=job, done=fields.pop("done", 4), ok_count=4)
    for name, value in fields.items():
        setattr(job, name, value)
    job.heartbeat_at = job.created_at = timezone.now() - timedelta(minutes=minutes)
    job.save()
    return job


def sweep(capture, minutes_later: float = 0, **options) -> jobs.StaleJobs:
    """Run the sweep `minutes_later` from now, and the tasks it queues on commit."""
    with capture(execute=True):
        return jobs.jobs_requeue_stale(now=timezone.now() + timedelta(minutes=minutes_later), **options)


def test_a_kind_is_run_by_one_task(probe):
    jobs.register_job_runner("probe", PROBE_TASK)  # again, as a second ready() would

    assert jobs.job_runner("probe") == PROBE_TASK
    assert jobs.job_runner("other") is None
    with pytest.raises(ValueError, match="run by tests.core.run_probe_job already"):
        jobs.register_job_runner("probe", "elsewhere.tasks.other_task")


def test_progress_is_a_sign_of_life(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=60)
    jobs.job_progress(job=job, done=1)

    outcome = sweep(django_capture_on_commit_callbacks, minutes_later=14)
    assert (outcome, probe) == (jobs.StaleJobs(), [])


def test_a_job_queued_for_less_than_the_threshold_waits(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=0)

    assert sweep(django_capture_on_commit_callbacks, minutes_later=14.9) == jobs.StaleJobs()
    job.refresh_from_db()
    assert (job.status, job.requeues, probe) == ("queued", 0, [])


def test_a_job_never_started_is_sent_to_its_task_again(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=16)

    outcome = sweep(django_capture_on_commit_callbacks)

    assert (outcome.requeued, outcome.failed, probe) == ([job.pk], [], [job.pk])
    job.refresh_from_db()
    assert (job.status, job.requeues) == ("queued", 1)
    assert job.message == "Not started after 16 min; sent to the workers again (retry 1 of 3)."
    # Sent again, it waits another STALE_AFTER before the next try.
    assert sweep(django_capture_on_commit_callbacks, minutes_later=14) == jobs.StaleJobs()
    assert probe == [job.pk]


def test_a_running_job_without_progress_is_restarted(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=20, running=True, done=4)

    outcome = sweep(django_capture_on_commit_callbacks)

    assert (outcome.requeued, probe) == ([job.pk], [job.pk])
    job.refresh_from_db()
    assert (job.status, job.done, job.requeues) == ("running", 4, 1)
    assert job.message == "No progress for 20 min; restarting after row 4 (retry 1 of 3)."


def test_a_job_that_never_starts_fails_after_three_tries_and_says_so(
    world, probe, login, django_capture_on_commit_callbacks
):
    job = idle_job(world.cm_a, minutes=0)

    for minutes in (16, 32, 48):
        assert sweep(django_capture_on_commit_callbacks, minutes_later=minutes).requeued == [job.pk]
    assert sweep(django_capture_on_commit_callbacks, minutes_later=62) == jobs.StaleJobs()  # not yet
    outcome = sweep(django_capture_on_commit_callbacks, minutes_later=64)

    assert (outcome.requeued, outcome.failed, probe) == ([], [job.pk], [job.pk] * 3)
    job.refresh_from_db()
    assert (job.status, job.requeues, job.finished_at is not None) == ("failed", 3, True)
    message = (
        "This job never started: no worker took it in 64 min, although it was sent again 3 times. "
        "Nothing was done; start it again."
    )
    assert job.message == message
    body = login(world.cm_a).get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "Failed</span>" in body and message in body
    assert sweep(django_capture_on_commit_callbacks, minutes_later=200) == jobs.StaleJobs()


def test_a_stopped_job_fails_keeping_its_counts_and_drops_its_file(
    world, probe, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    stored = default_storage.save("imports/probe.csv", ContentFile(b"company,country\nAcme,DE\n"))
    job = idle_job(world.cm_a, minutes=16, running=True, done=4, requeues=3, input_file=stored)

    outcome = sweep(django_capture_on_commit_callbacks)

    assert (outcome.failed, probe) == ([job.pk], [])
    job.refresh_from_db()
    assert (job.status, job.done, job.ok_count, job.input_file) == ("failed", 4, 4, "")
    assert job.message == (
        "This job stopped after 4 of 10 rows and did not go on, although it was sent again 3 times. "
        "What it saved before is kept; start it again for the rest."
    )
    assert not default_storage.exists(stored)


def test_the_limits_are_the_callers(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=3)

    outcome = sweep(django_capture_on_commit_callbacks, stale_after=timedelta(minutes=2), max_requeues=0)

    assert outcome.failed == [job.pk]
    job.refresh_from_db()
    assert (
        job.message == "This job never started: no worker took it in 3 min. Nothing was done; start it again."
    )


def test_finished_jobs_and_jobs_nobody_can_rerun_are_left_alone(
    world, probe, django_capture_on_commit_callbacks
):
    done = idle_job(world.cm_a, minutes=600)
    jobs.job_finish(job=done)
    failed = idle_job(world.cm_a, minutes=600)
    jobs.job_fail(job=failed, message="The uploaded file is gone.")
    unregistered = idle_job(world.cm_a, minutes=600, kind="export")

    assert sweep(django_capture_on_commit_callbacks) == jobs.StaleJobs()
    assert probe == []
    unregistered.refresh_from_db()
    assert (unregistered.status, unregistered.requeues, unregistered.message) == ("queued", 0, "")


def test_the_sweep_works_in_batches(world, probe, django_capture_on_commit_callbacks):
    stale = [idle_job(world.cm_a, minutes=30 - n) for n in range(5)]

    outcome = sweep(django_capture_on_commit_callbacks, batch=2)

    assert outcome.requeued == [job.pk for job in stale]  # the longest idle first
    assert sorted(probe) == sorted(job.pk for job in stale)


def test_the_beat_task_sweeps(world, probe, django_capture_on_commit_callbacks):
    job = idle_job(world.cm_a, minutes=16)

    with django_capture_on_commit_callbacks(execute=True):
        assert requeue_stale_jobs_task.delay().get() == 1

    assert probe == [job.pk]


def test_beat_sweeps_stale_jobs_every_5_minutes():
    entry = settings.CELERY_BEAT_SCHEDULE["requeue-stale-jobs"]

    assert (entry["task"], entry["schedule"]) == ("core.tasks.requeue_stale_jobs_task", 300.0)
    assert entry["options"]["expires"] < entry["schedule"]
    assert requeue_stale_jobs_task.name == entry["task"]


def test_a_job_its_worker_still_holds_is_alive_and_not_sent_again(
    world, probe, on_postgres, django_capture_on_commit_callbacks
):
    if not on_postgres:
        pytest.skip("a worker's claim is a PostgreSQL advisory lock; SQLite runs tasks in-process")
    job = idle_job(world.cm_a, minutes=40, running=True)
    claimed, release = threading.Event(), threading.Event()

    def worker():
        try:
            with jobs.job_claim(job) as ok:
                if ok:
                    claimed.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert claimed.wait(10)
        now = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            outcome = jobs.jobs_requeue_stale(now=now)
    finally:
        release.set()
        thread.join()

    assert (outcome.alive, outcome.requeued, probe) == ([job.pk], [], [])
    job.refresh_from_db()
    assert (job.status, job.requeues, job.heartbeat_at) == ("running", 0, now)
    # Once its worker lets go, it is stale again after STALE_AFTER.
    assert sweep(django_capture_on_commit_callbacks, minutes_later=16).requeued == [job.pk]


@pytest.mark.django_db(transaction=True)
def test_a_job_another_sweep_has_locked_is_skipped(world, probe, on_postgres):
    if not on_postgres:
        pytest.skip("SKIP LOCKED row locks are PostgreSQL's")
    job = idle_job(world.cm_a, minutes=20)
    locked, release = threading.Event(), threading.Event()

    def other_sweep():
        try:
            with transaction.atomic():
                Job.objects.select_for_update().get(pk=job.pk)
                locked.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_sweep)
    thread.start()
    try:
        assert locked.wait(10)
        assert jobs.jobs_requeue_stale() == jobs.StaleJobs()
    finally:
        release.set()
        thread.join()
    assert probe == []
    assert jobs.jobs_requeue_stale().requeued == [job.pk]
    assert probe == [job.pk]  # sent once the sweep committed


claims: list[bool] = []


@shared_task(name="tests.core.claim_probe_job")
def claim_probe_job(job_id: int) -> None:
    """Claims the job from another connection, as a worker process would."""

    def worker():
        try:
            with jobs.job_claim(Job(pk=job_id)) as claimed:
                claims.append(claimed)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()


@pytest.mark.django_db(transaction=True)
def test_the_task_sent_again_can_claim_its_job(world, monkeypatch, on_postgres):
    if not on_postgres:
        pytest.skip("the claim is a PostgreSQL advisory lock")
    monkeypatch.setattr(jobs, "_RUNNERS", {"probe": "tests.core.claim_probe_job"})
    claims.clear()
    job = idle_job(world.cm_a, minutes=20)

    assert jobs.jobs_requeue_stale().requeued == [job.pk]
    assert claims == [True]  # sent once the sweep had committed and let go of the job's lock


# The lead import is the first kind with a runner (leads registers it); these tests register it
# themselves, to show what the sweep does to a real import.


@pytest.fixture
def lead_imports(monkeypatch, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(jobs, "_RUNNERS", {imports.JOB_KIND: "leads.tasks.import_leads_task"})
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})


def import_file(companies: list[str]) -> SimpleUploadedFile:
    lines = ["company,country", *(f"{company},DE" for company in companies)]
    return SimpleUploadedFile("leads.csv", ("\n".join(lines) + "\n").encode(), content_type="text/csv")


def test_an_import_queued_while_the_broker_was_down_runs_when_sent_again(
    world, lead_imports, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):  # its task never reached a worker
        job = imports.lead_import_start(actor=world.cm_a, uploaded_file=import_file(["Acme", "Bolt"]))

    outcome = sweep(django_capture_on_commit_callbacks, minutes_later=16)

    assert outcome.requeued == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.ok_count, job.requeues, job.input_file) == ("done", 2, 1, "")
    assert sorted(Lead.objects.values_list("company", flat=True)) == ["Acme", "Bolt"]


def test_an_import_whose_worker_died_resumes_after_its_last_chunk(
    world, lead_imports, monkeypatch, django_capture_on_commit_callbacks
):
    companies = [f"No id {n}" for n in range(5)]  # no external ids: only the resume point avoids duplicates
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.lead_import_start(actor=world.cm_a, uploaded_file=import_file(companies))
    real_commit, calls = imports._commit_chunk, []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(imports, "_commit_chunk", dies_on_the_second_chunk)
    with pytest.raises(OperationalError):
        imports.lead_import_run(job_id=job.pk, chunk_rows=2)
    monkeypatch.setattr(imports, "_commit_chunk", real_commit)
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 2)

    outcome = sweep(django_capture_on_commit_callbacks, minutes_later=16)

    assert outcome.requeued == [job.pk]
    job.refresh_from_db()
    assert (job.status, job.done, job.ok_count) == ("done", 5, 5)
    assert sorted(Lead.objects.values_list("company", flat=True)) == companies


def test_a_task_this_process_does_not_know_is_sent_by_name(
    world, probe, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(jobs, "_RUNNERS", {"export": "elsewhere.tasks.export_task"})
    sent = []
    monkeypatch.setattr(jobs.current_app, "send_task", lambda name, args: sent.append((name, args)))
    job = idle_job(world.cm_a, minutes=16, kind="export")

    assert sweep(django_capture_on_commit_callbacks).requeued == [job.pk]
    assert sent == [("elsewhere.tasks.export_task", [job.pk])]
