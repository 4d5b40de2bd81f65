"""Background jobs: their progress, their end, their error report, who may watch them (portal and
API), and the claim that keeps a job from running twice at once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from core import jobs
from core.errors import InvalidTransition
from core.models import Job
from core.services import api_token_create
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
