"""POST /api/v1/leads/import: a CSV file (multipart field `file`) becomes a job (202) that imports the
rows in the background; a bad file is refused at once (422) and nothing is stored or imported."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Job
from leads import imports
from leads.choices import LeadSource, LeadStatus
from leads.models import Lead, LeadSettings

IMPORT = "/api/v1/leads/import"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(api, user, text: str | None, name: str = "leads.csv"):
    client = api(user)
    data = {} if text is None else {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")}
    return client.client.post(IMPORT, data, headers=client._headers())


def stored_files(tmp_path) -> list:
    return [p for p in tmp_path.rglob("*") if p.is_file()]


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_upload_a_csv_and_get_a_job(api, world, persona, django_capture_on_commit_callbacks):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    text = "company,country,external_id\nFirst GmbH,DE,X-1\nSecond SARL,fr,X-2\n"

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, getattr(world, persona), text)

    assert response.status_code == 202, response.content
    body = response.json()
    job = Job.objects.get()
    assert body["id"] == job.pk
    assert (body["status"], body["progress"], body["total"], body["error_report"]) == ("queued", 0, 2, None)
    assert job.owner == getattr(world, persona) and job.kind == imports.JOB_KIND
    # The task ran on commit (in-process here): both rows are leads, waiting in the queue.
    assert sorted(Lead.objects.values_list("company", "source", "status")) == [
        ("First GmbH", LeadSource.IMPORT, LeadStatus.NEW),
        ("Second SARL", LeadSource.IMPORT, LeadStatus.NEW),
    ]
    followed = api(getattr(world, persona)).get(f"/api/v1/jobs/{job.pk}").json()
    assert (followed["status"], followed["progress"], followed["ok_count"]) == ("done", 100, 2)


def test_rows_that_fail_are_in_the_jobs_error_report(api, world, django_capture_on_commit_callbacks):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    text = "company,country\nGood GmbH,DE\n,DE\nBad Country,XX\n"

    with django_capture_on_commit_callbacks(execute=True):
        job_id = upload(api, world.admin, text).json()["id"]

    client = api(world.admin)
    followed = client.get(f"/api/v1/jobs/{job_id}").json()
    assert (followed["ok_count"], followed["error_count"]) == (1, 2)
    assert followed["error_report"]
    report = client.get(followed["error_report"])
    assert report.status_code == 200
    lines = b"".join(report.streaming_content).decode().splitlines()
    assert lines[0] == "line,reason"
    assert [line.split(",", 1)[0] for line in lines[1:]] == ["3", "4"]
    assert list(Lead.objects.values_list("company", flat=True)) == ["Good GmbH"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,land\nAcme,DE\n", "Required columns missing: company, country."),
        ("company,country,colour\nAcme,DE,red\n", "Unknown columns: colour."),
        ("company;country\nAcme;DE\n", "Separate the columns with commas"),
        ("company,country\n", "The file has a header but no rows to import."),
    ],
)
def test_a_file_with_a_wrong_header_is_refused_before_anything_is_imported(
    api, world, tmp_path, django_capture_on_commit_callbacks, content, expected
):
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(api, world.cm_a, content)

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert list(body["errors"]) == ["file"]
    assert expected in " ".join(body["errors"]["file"])
    assert not Job.objects.exists()
    assert not Lead.objects.exists()
    assert stored_files(tmp_path) == []


def test_a_file_that_is_not_utf8_is_refused(api, world):
    client = api(world.admin)
    data = {"file": SimpleUploadedFile("leads.csv", "company,country\nMüller,DE\n".encode("latin-1"))}

    response = client.client.post(IMPORT, data, headers=client._headers())

    assert response.status_code == 422
    assert "UTF-8" in response.json()["errors"]["file"][0]
    assert not Job.objects.exists()


def test_an_upload_without_a_file_gets_422(api, world):
    response = upload(api, world.admin, None)

    assert response.status_code == 422
    assert response.json()["errors"] == {"file": ["This field is required."]}


def test_a_json_body_instead_of_a_file_gets_422(api, world):
    response = api(world.admin).post(IMPORT, {"file": "company,country\nAcme,DE\n"})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["file"]
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_c"])
def test_partner_users_cannot_import_leads(api, world, tmp_path, persona):
    response = upload(api, getattr(world, persona), "company,country\nAcme,DE\n")

    assert response.status_code == 403
    assert not Job.objects.exists()
    assert stored_files(tmp_path) == []


def test_import_needs_a_token(api, world):
    response = upload(api, None, "company,country\nAcme,DE\n")

    assert response.status_code == 401
    assert not Job.objects.exists()


def test_openapi_document_lists_the_import_route(client, db):
    paths = client.get("/api/v1/openapi.json").json()["paths"]

    assert set(paths["/api/v1/leads/import"]) == {"post"}
    body = paths["/api/v1/leads/import"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body
