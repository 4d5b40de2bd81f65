"""CSV import of leads (tasks in-process): a bad file is refused before anything happens; a good one is
validated row by row, its good rows imported, its bad rows reported with line and reason; importing
it again imports nothing twice; an interrupted job resumes where it stopped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import TestCase
from django.urls import reverse

from core.errors import NotAllowed
from core.jobs import job_progress
from core.models import Job, JobStatus
from leads import imports, services
from leads.choices import LeadSource, LeadStatus
from leads.models import Lead, LeadEvent, LeadSettings
from tests.factories import CategoryFactory, rule

pytestmark = pytest.mark.django_db

HEADER = ",".join(imports.IMPORT_COLUMNS)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(text: str | bytes, name: str = "leads.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def row(company="Acme GmbH", country="DE", **values) -> str:
    fields = {"company": company, "country": country, **values}
    return ",".join(str(fields.get(column, "")) for column in imports.IMPORT_COLUMNS)


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def start(actor, text) -> Job:
    """Upload a file and run its job in-process (the task is queued on commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = imports.lead_import_start(actor=actor, uploaded_file=upload(text))
    job.refresh_from_db()
    return job


# --- The file as a whole ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("company,name,country,colour\nAcme,x,DE,red\n", "Unknown columns: name, colour."),
        ("contact_name,email\nAnn,ann@example.org\n", "Required columns missing: company, country."),
        ("company,country,country\nAcme,DE,DE\n", "Columns given twice: country."),
        ("company;country\nAcme;DE\n", "Separate the columns with commas; this file uses “;”."),
        ("", "The file is empty."),
        (f"{HEADER}\n", "The file has a header but no rows to import."),
        ("company,country\nMüller,DE\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"company,country\nAcme,DE\x00\n", "This is not a CSV text file (it contains NUL bytes)."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV text file (it contains NUL bytes)."),
    ],
)
def test_a_bad_file_is_refused_before_anything_is_stored_or_imported(world, settings, content, message):
    with pytest.raises(ValidationError) as exc:
        imports.lead_import_start(actor=world.cm_a, uploaded_file=upload(content))

    assert any(m.startswith(message) for m in exc.value.message_dict["file"]), exc.value.message_dict
    assert not Job.objects.exists()
    assert not Lead.objects.exists()
    assert stored_files(settings) == []


def test_unknown_columns_message_names_the_expected_header(world):
    with pytest.raises(ValidationError) as exc:
        imports.lead_import_start(actor=world.cm_a, uploaded_file=upload("company,country,fax\nA,DE,1\n"))

    assert exc.value.message_dict["file"] == [
        f"Unknown columns: fax. The columns are: {', '.join(imports.IMPORT_COLUMNS)}."
    ]


def test_a_file_over_the_size_limit_is_refused(world, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 100)
    with pytest.raises(ValidationError, match="the limit is 0 MB"):
        imports.lead_import_start(actor=world.cm_a, uploaded_file=upload(HEADER + "\n" + row() * 5))
    assert not Job.objects.exists()


def test_partner_users_may_not_import(world):
    with pytest.raises(NotAllowed):
        imports.lead_import_start(actor=world.pm_a, uploaded_file=upload(f"{HEADER}\n{row()}\n"))
    assert not Job.objects.exists()


def test_header_is_forgiving_about_case_spaces_and_a_byte_order_mark(world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    job = start(world.cm_a, "\ufeffCompany , Contact Name,COUNTRY\nAcme GmbH,Ann Smith,de\n")

    assert job.status == JobStatus.DONE and job.ok_count == 1
    lead = Lead.objects.get()
    assert (lead.company, lead.contact_name, lead.country) == ("Acme GmbH", "Ann Smith", "DE")


# --- Rows -----------------------------------------------------------------------------------------------


def test_bad_rows_are_listed_with_line_and_reason_and_good_rows_imported(world, settings):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    pumps = CategoryFactory(slug="heat-pumps")
    text = "\n".join(
        [
            HEADER,
            row("Good One AG", "DE", email="buyer@good.example", category="heat-pumps", estimated_value="1200.50",
                latitude="48.137154", longitude="11.576124", currency="chf", external_id="A-1"),
            row("", "DE"),
            row("Bad Country", "XX"),
            "",  # a blank line is no row, but counts as a line
            row("Bad Mail", "FR", email="not-an-address", estimated_value="-5"),
            row("Too Precise", "FR", latitude="48.1234567", category="solar"),
            "Short row,DE",
            row("Good Two", "at", external_id="A-2"),
        ]
    )  # fmt: skip
    job = start(world.cm_a, text + "\n")

    assert job.status == JobStatus.DONE
    assert (job.total, job.done, job.ok_count, job.error_count, job.skipped_count) == (7, 7, 2, 5, 0)
    assert job.progress == 100
    assert job.errors == [
        {"line": 3, "reason": "company: This field cannot be blank."},
        {"line": 4, "reason": "country: “XX” is not a country code (use ISO 3166 alpha-2 codes such as DE)."},
        {
            "line": 6,
            "reason": "email: Enter a valid email address.; "
            "estimated_value: Ensure this value is greater than or equal to 0.",
        },
        {
            "line": 7,
            "reason": "latitude: Ensure that there are no more than 6 decimal places.; "
            "category: Unknown category “solar” (give the slug of a catalogue category).",
        },
        {"line": 8, "reason": "This row has 2 values; the header has 16 columns."},
    ]
    assert job.message == "2 leads imported; 5 rows with errors."
    good = Lead.objects.get(external_id="A-1")
    assert good.category == pumps and good.estimated_value == Decimal("1200.50")
    assert (good.latitude, good.longitude) == (Decimal("48.137154"), Decimal("11.576124"))
    assert (good.source, good.status, good.currency, good.created_by) == ("import", "new", "CHF", world.cm_a)
    assert Lead.objects.get(external_id="A-2").country == "AT"
    events = LeadEvent.objects.filter(lead=good)
    assert [(e.kind, e.actor, e.to_status) for e in events] == [("created", world.cm_a, "new")]
    assert events[0].message == f"Created (Import), line 2 of job {job.pk}"
    # The upload is kept privately only while the job needs it.
    assert job.input_file == "" and stored_files(settings) == []


def test_the_upload_is_stored_privately_under_a_random_name(
    world, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = imports.lead_import_start(
            actor=world.cm_a, uploaded_file=upload(f"{HEADER}\n{row()}\n", "my leads.csv")
        )

    assert len(callbacks) == 1  # the task is queued once the job is committed
    assert job.status == JobStatus.QUEUED and job.total == 1 and job.title == "Lead import: my leads.csv"
    assert job.input_file.startswith("imports/") and "my leads" not in job.input_file
    assert [p.relative_to(settings.MEDIA_ROOT).as_posix() for p in stored_files(settings)] == [job.input_file]


def test_a_duplicate_external_id_within_the_file_is_an_error(world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    job = start(world.cm_a, f"{HEADER}\n{row('One', external_id='X-1')}\n{row('Two', external_id='X-1')}\n")

    assert (job.ok_count, job.error_count) == (1, 1)
    assert job.errors == [{"line": 3, "reason": "external_id: “X-1” is already on line 2 of this file."}]


def test_importing_the_same_file_again_imports_nothing_twice(world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    text = f"{HEADER}\n{row('One', external_id='E-1')}\n{row('Two', external_id='E-2')}\n{row('Bad', 'XX')}\n"
    first = start(world.cm_a, text)
    again = start(world.cm_a, text)

    assert (first.ok_count, first.skipped_count) == (2, 0)
    assert again.status == JobStatus.DONE
    assert (again.ok_count, again.skipped_count, again.error_count) == (0, 2, 1)
    assert Lead.objects.count() == 2
    assert again.errors[:2] == [
        {"line": 2, "reason": "Already imported: a lead with external id “E-1” exists."},
        {"line": 3, "reason": "Already imported: a lead with external id “E-2” exists."},
    ]
    assert again.message == "0 leads imported; 1 rows with errors; 2 rows already imported."


def test_an_external_id_from_another_source_does_not_count_as_imported(world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    services.lead_create(
        actor=world.admin,
        fields={"company": "Via API", "country": "DE", "source": "api", "external_id": "E-1"},
    )
    job = start(world.cm_a, f"{HEADER}\n{row('One', external_id='E-1')}\n")

    assert (job.ok_count, job.skipped_count) == (1, 0)


def test_progress_is_recorded_after_every_chunk(world, monkeypatch, django_capture_on_commit_callbacks):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    seen = []

    def recording(**kwargs):
        job = job_progress(**kwargs)
        seen.append((job.status, job.done, job.total, job.ok_count, job.error_count, job.progress))
        return job

    monkeypatch.setattr(imports, "job_progress", recording)
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.lead_import_start(
            actor=world.cm_a,
            uploaded_file=upload(
                "\n".join([HEADER, row("A"), row("B", "XX"), row("C"), row("D"), row("E")]) + "\n"
            ),
        )
    imports.lead_import_run(job_id=job.pk, chunk_rows=2)

    assert seen == [
        ("running", 2, 5, 1, 1, 40),
        ("running", 4, 5, 3, 1, 80),
        ("running", 5, 5, 4, 1, 100),
    ]
    job.refresh_from_db()
    assert (job.status, job.progress, job.started_at is not None, job.finished_at is not None) == (
        "done",
        100,
        True,
        True,
    )


def test_running_a_finished_job_again_does_nothing(world):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    job = start(world.cm_a, f"{HEADER}\n{row('One')}\n")
    finished_at = job.finished_at

    assert imports.lead_import_run(job_id=job.pk).finished_at == finished_at
    assert Lead.objects.count() == 1


def test_an_interrupted_job_resumes_after_its_last_committed_chunk(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    rows = [row(f"No id {n}") for n in range(5)]  # no external ids: only the resume point avoids duplicates
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.lead_import_start(
            actor=world.cm_a, uploaded_file=upload("\n".join([HEADER, *rows]) + "\n")
        )
    real_commit = imports._commit_chunk
    calls = []

    def dies_on_the_second_chunk(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OperationalError("server closed the connection unexpectedly")
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(imports, "_commit_chunk", dies_on_the_second_chunk)
    with pytest.raises(OperationalError):
        imports.lead_import_run(job_id=job.pk, chunk_rows=2)
    job.refresh_from_db()
    assert (job.status, job.done, Lead.objects.count()) == ("running", 2, 2)

    monkeypatch.setattr(imports, "_commit_chunk", real_commit)
    imports.lead_import_run(job_id=job.pk, chunk_rows=2)

    job.refresh_from_db()
    assert (job.status, job.done, job.ok_count) == ("done", 5, 5)
    assert sorted(Lead.objects.values_list("company", flat=True)) == [f"No id {n}" for n in range(5)]


def test_an_unexpected_error_fails_the_job_and_keeps_what_was_imported(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.lead_import_start(
            actor=world.cm_a, uploaded_file=upload("\n".join([HEADER, row("A"), row("B"), row("C")]) + "\n")
        )
    real_commit = imports._commit_chunk

    def breaks_on_the_second_chunk(job, counts, good, bad, rows_read):
        if counts.done:
            raise RuntimeError("boom")
        return real_commit(job, counts, good, bad, rows_read)

    monkeypatch.setattr(imports, "_commit_chunk", breaks_on_the_second_chunk)
    imports.lead_import_run(job_id=job.pk, chunk_rows=2)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.message.startswith("The import stopped on an unexpected error after 2 rows; the 2 leads")
    assert Lead.objects.count() == 2 and job.input_file == ""


def test_imported_leads_are_routed_when_the_channel_routes_automatically(world):
    rule("All to A", partners=[world.a])
    job = start(world.cm_a, f"{HEADER}\n{row('One')}\n{row('Two')}\n")

    assert set(Lead.objects.values_list("status", "partner")) == {(LeadStatus.DISPATCHED, world.a.pk)}
    assert job.message == "2 leads imported; 0 rows with errors. 2 new leads routed."


def test_imported_leads_stay_new_when_routing_is_by_hand(world):
    rule("All to A", partners=[world.a])
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    start(world.cm_a, f"{HEADER}\n{row('One')}\n")

    assert Lead.objects.get().status == LeadStatus.NEW


# --- The row validator agrees with leads.services.lead_validate --------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {},
        {"company": ""},
        {"company": "x" * 201},
        {"country": "XX"},
        {"email": "someone@example.org"},
        {"email": "Some.One+tag@sub.example.co.uk"},
        {"email": "not-an-address"},
        {"email": "a@b"},
        {"email": "user@localhost"},
        {"email": "user@[127.0.0.1]"},
        {"email": "jörg@müller.example"},
        {"email": "x" * 250 + "@example.org"},
        {"latitude": "90"},
        {"latitude": "90.000001"},
        {"latitude": "-89.5"},
        {"latitude": "48.1234567"},
        {"latitude": "abc"},
        {"longitude": "-180"},
        {"longitude": "180.5"},
        {"estimated_value": "0"},
        {"estimated_value": "-1"},
        {"estimated_value": "1e3"},
        {"estimated_value": "1_000"},
        {"estimated_value": "NaN"},
        {"estimated_value": "123456789012.99"},
        {"estimated_value": "1234567890123"},
        {"estimated_value": "10.999"},
        {"phone": "9" * 41},
        {"postal_code": "1" * 21},
        {"campaign_code": "c" * 61},
        {"external_id": "e" * 101},
    ],
)
def test_row_validator_accepts_and_refuses_what_lead_validate_does(db, values):
    fields = {"company": "Acme", "country": "DE", **values}
    validator = imports.RowValidator(list(imports.IMPORT_COLUMNS), category_slugs={})
    template = imports._template(1, None)
    _values, reason = validator.clean([fields.get(c, "") for c in imports.IMPORT_COLUMNS], template)
    try:
        services.lead_validate({**{k: v for k, v in fields.items() if v != ""}, "source": LeadSource.IMPORT})
        expected: set[str] = set()
    except ValidationError as exc:
        expected = set(exc.message_dict)
    refused = {part.split(":", 1)[0] for part in reason.split("; ")} if reason else set()

    assert refused == expected


def test_an_imported_lead_equals_one_made_by_lead_validate_from_the_same_values(world):
    """Guards the query-free validator against drift: a field that lead_validate sets (or derives)
    must come out the same from the import."""
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    CategoryFactory(slug="heat-pumps")
    values = {
        "company": "Müller Haustechnik GmbH", "contact_name": "Anna Müller", "email": "anna@mueller.example",
        "phone": "+49 89 1234567", "country": "DE", "region": "Bavaria", "postal_code": "80331", "city": "Munich",
        "latitude": "48.137154", "longitude": "11.576124", "category": "heat-pumps",
        "products_of_interest": "Two heat pumps", "estimated_value": "25000.50", "currency": "EUR",
        "campaign_code": "SPRING26", "external_id": "CRM-1",
    }  # fmt: skip
    start(world.cm_a, f"{HEADER}\n{row(**values)}\n")
    imported = Lead.objects.get()
    fields = {**values, "category": imported.category, "source": LeadSource.IMPORT, "external_id": "CRM-2"}
    for name in ("latitude", "longitude", "estimated_value"):
        fields[name] = Decimal(values[name])
    made = services.lead_validate(fields)
    made.created_by = world.cm_a
    made.save()
    made.refresh_from_db()

    skip = {"id", "external_id", "created_at", "updated_at"}
    names = [f.attname for f in Lead._meta.concrete_fields if f.attname not in skip]
    assert {n: getattr(imported, n) for n in names} == {n: getattr(made, n) for n in names}


# --- The error report in the portal -------------------------------------------------------------------


def report_job(world) -> Job:
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    return start(world.cm_a, f"{HEADER}\n{row('Good')}\n{row('=cmd|x', 'XX')}\n")


def test_owner_downloads_the_error_report(world, login):
    job = report_job(world)
    response = login(world.cm_a).get(reverse("job_error_report", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="job-{job.pk}-errors.csv"'
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == [
        "line,reason",
        "3,country: “XX” is not a country code (use ISO 3166 alpha-2 codes such as DE).",
    ]


def test_another_partner_user_gets_404_for_the_error_report(world, login):
    job = report_job(world)
    for user in (world.pm_a, world.pm_c, world.cm_c):
        assert login(user).get(reverse("job_error_report", args=[job.pk])).status_code == 404


def test_anonymous_visitor_is_sent_to_login_for_the_error_report(world, client):
    job = report_job(world)
    response = client.get(reverse("job_error_report", args=[job.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
