"""Channel portal: uploading a CSV of leads. The page refuses a bad file before anything is stored
or imported; a good one becomes a job, and the browser goes to the job's page."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import Job
from leads import imports
from leads.choices import LeadSource, LeadStatus
from leads.models import Lead, LeadSettings
from tests.factories import rule

pytestmark = pytest.mark.django_db

IMPORT = "/channel/leads/import/"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def csv_file(text: str, name: str = "leads.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def stored_files(tmp_path) -> list:
    return [p for p in tmp_path.rglob("*") if p.is_file()]


def test_page_shows_the_expected_header_and_an_example(world, login):
    response = login(world.cm_a).get(IMPORT)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Import leads · OpenPCM</title>" in body
    assert ",".join(imports.IMPORT_COLUMNS) in body
    assert "Müller Haustechnik GmbH" in body  # the example file
    assert "<strong>company and country</strong>" in body
    assert 'enctype="multipart/form-data"' in body


def test_a_good_file_starts_a_job_and_goes_to_its_page(world, login, django_capture_on_commit_callbacks):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    text = "company,country,external_id\nFirst GmbH,DE,X-1\nSecond SARL,FR,X-2\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.cm_a).post(IMPORT, {"file": csv_file(text)})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job_detail", args=[job.pk])
    assert job.owner == world.cm_a and job.kind == imports.JOB_KIND and job.total == 2
    # The task ran (eagerly, on commit): both rows imported, left in the queue.
    assert sorted(Lead.objects.values_list("company", "source", "status")) == [
        ("First GmbH", LeadSource.IMPORT, LeadStatus.NEW),
        ("Second SARL", LeadSource.IMPORT, LeadStatus.NEW),
    ]


def test_imported_leads_are_routed_when_the_channel_routes_automatically(
    world, login, django_capture_on_commit_callbacks
):
    rule("All to A", partners=[world.a])
    with django_capture_on_commit_callbacks(execute=True):
        login(world.admin).post(IMPORT, {"file": csv_file("company,country\nRouted Co,DE\n")})
    lead = Lead.objects.get()
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == world.a


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("name,land\nAcme,DE\n", "Required columns missing: company, country."),
        ("company,country,colour\nAcme,DE,red\n", "Unknown columns: colour."),
        ("company;country\nAcme;DE\n", "Separate the columns with commas"),
        ("company,country\n", "The file has a header but no rows to import."),
        ("", "The submitted file is empty."),
    ],
)
def test_a_bad_file_is_refused_before_anything_is_stored_or_imported(
    world, login, tmp_path, content, expected
):
    response = login(world.admin).post(IMPORT, {"file": csv_file(content)})
    assert response.status_code == 400
    assert any(expected in e for e in response.context["form"].errors["file"])
    assert expected in response.content.decode()
    assert not Job.objects.exists() and not Lead.objects.exists()
    assert stored_files(tmp_path) == []


def test_a_file_that_is_not_utf8_is_refused(world, login, tmp_path):
    upload = SimpleUploadedFile("leads.csv", "company,country\nMüller,DE\n".encode("latin-1"))
    response = login(world.admin).post(IMPORT, {"file": upload})
    assert response.status_code == 400
    assert "not UTF-8" in response.context["form"].errors["file"][0]
    assert not Job.objects.exists() and stored_files(tmp_path) == []


def test_posting_without_a_file_asks_for_one(world, login):
    response = login(world.admin).post(IMPORT, {})
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == ["This field is required."]
    assert not Job.objects.exists()


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403(world, login, tmp_path, persona):
    client = login(getattr(world, persona))
    assert client.get(IMPORT).status_code == 403
    assert client.post(IMPORT, {"file": csv_file("company,country\nAcme,DE\n")}).status_code == 403
    assert not Job.objects.exists() and stored_files(tmp_path) == []
