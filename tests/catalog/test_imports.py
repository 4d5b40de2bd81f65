"""CSV product import (tasks in-process): a bad file is refused before anything happens; a good one is
validated row by row, new SKUs created and known SKUs updated, bad rows reported with line and reason;
importing it again changes nothing; an interrupted job resumes where it stopped."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError
from django.test import TestCase

from catalog import imports
from catalog.models import Product
from catalog.tasks import import_products_task
from core.errors import NotAllowed
from core.jobs import job_error_report, job_runner
from core.models import Job, JobStatus
from tests.catalog.conftest import make_category, make_product

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,list_price"


def upload(text: str | bytes, name: str = "products.csv") -> SimpleUploadedFile:
    data = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, data, content_type="text/csv")


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def start(actor, text) -> Job:
    """Upload a file and run its job in-process (the task is queued on commit)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = imports.product_import_start(actor=actor, uploaded_file=upload(text))
    job.refresh_from_db()
    return job


@pytest.fixture
def sensors():
    return make_category("Pressure sensors", slug="pressure-sensors")


# --- The file as a whole ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("sku,title,price\nX,Y,1\n", "Unknown columns: title, price."),
        ("name,list_price\nX,1\n", "Required columns missing: sku."),
        ("sku,name,sku\nX,Y,X\n", "Columns given twice: sku."),
        ("sku;name\nX;Y\n", "Separate the columns with commas; this file uses “;”."),
        ("", "The file is empty."),
        ("sku,name\n", "The file has a header but no rows to import."),
        ("sku,name\nX,Müller\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is not a CSV text file (it contains NUL bytes)."),
    ],
)
def test_a_bad_file_is_refused_before_anything_is_stored_or_imported(
    world, settings, sensors, content, message
):
    with pytest.raises(ValidationError) as exc:
        imports.product_import_start(actor=world.admin, uploaded_file=upload(content))
    assert message in " ".join(exc.value.message_dict["file"])
    assert not Job.objects.exists() and not Product.objects.exists()
    assert stored_files(settings) == []


def test_a_file_over_the_size_limit_is_refused(world, settings, monkeypatch):
    monkeypatch.setattr(imports, "MAX_FILE_BYTES", 20)
    with pytest.raises(ValidationError) as exc:
        imports.product_import_start(actor=world.admin, uploaded_file=upload("sku,name\n" + "X,Y\n" * 10))
    assert "the limit is" in exc.value.message_dict["file"][0]
    assert stored_files(settings) == []


@pytest.mark.parametrize("persona", ["cm_a", "pm_a", "pe_a"])
def test_only_channel_admins_import(world, settings, persona):
    with pytest.raises(NotAllowed):
        imports.product_import_start(
            actor=getattr(world, persona), uploaded_file=upload(f"{HEADER}\nX,Y,c,1\n")
        )
    assert not Job.objects.exists() and stored_files(settings) == []


def test_the_header_is_forgiving_about_case_spaces_and_a_byte_order_mark(world, sensors):
    job = start(world.admin, "\ufeffSKU, Name ,CATEGORY,List Price\nPT-1,Transmitter,pressure-sensors,10\n")
    assert job.status == JobStatus.DONE and job.ok_count == 1
    assert Product.objects.get().sku == "PT-1"


def test_the_import_job_kind_is_registered_for_the_stale_job_sweep():
    assert job_runner(imports.JOB_KIND) == "catalog.tasks.import_products_task"


# --- Rows ---------------------------------------------------------------------------------------------


def test_new_skus_are_created_known_skus_updated_and_bad_rows_reported(world, settings, sensors):
    existing = make_product(sensors, sku="PT-OLD", name="Old name", list_price=Decimal("5.00"))
    text = "\n".join([
        "sku,name,category,list_price,currency,order_unit,price_unit,material_group,attributes,active",
        "PT-1,Pressure transmitter 0–10 bar with a rather long name for OCI,pressure-sensors,189.00,eur,c62,1,41112400,Range: 0–10 bar; Output: 4–20 mA,yes",
        "PT-OLD,New name,,7.50,,,,,,",
        "PT 2,Bad sku,pressure-sensors,1,,,,,,",
        "PT-3,No price,pressure-sensors,,,,,,,",
        "PT-4,Unknown category,valves,1,,,,,,",
        "PT-5,Comma price,pressure-sensors,\"12,50\",,,,,,",
        "PT-6,Bad currency,pressure-sensors,1,EURO,,,,,",
        "PT-7,Bad unit,pressure-sensors,1,,piece,0,4111 2400,just text,maybe",
        "PT-8,Short,pressure-sensors,1",
    ]) + "\n"  # fmt: skip
    job = start(world.admin, text)

    assert (job.status, job.total, job.done, job.ok_count, job.error_count) == ("done", 9, 9, 2, 7)
    assert job.message == "1 products created, 1 updated, 0 unchanged; 7 rows with errors."
    created = Product.objects.get(sku="PT-1")
    assert created.short_description == "Pressure transmitter 0–10 bar with a…"
    assert created.short_description_shortened
    assert (created.currency, created.order_unit, created.material_group, created.category) == (
        "EUR", "C62", "41112400", sensors,
    )  # fmt: skip
    assert created.attributes == {"Range": "0–10 bar", "Output": "4–20 mA"}
    existing.refresh_from_db()
    assert (existing.name, existing.list_price, existing.category) == ("New name", Decimal("7.50"), sensors)
    assert existing.short_description == "New name"  # derived, so it follows the name
    reasons = {row["line"]: row["reason"] for row in job.errors}
    assert "sku: Use letters, digits" in reasons[4]
    assert "is not in the catalogue yet, so this row creates it: give list_price." in reasons[5]
    assert "category: Unknown category “valves”" in reasons[6]
    assert "write the decimals with a point, e.g. 12.50" in reasons[7]
    assert "currency: “EURO” is not an ISO 4217 currency code" in reasons[8]
    for fragment in ("order_unit:", "price_unit:", "material_group:", "attributes:", "active:"):
        assert fragment in reasons[9]
    assert reasons[10] == "This row has 4 values; the header has 10 columns."
    assert job.input_file == "" and stored_files(settings) == []
    report = "".join(job_error_report(job=job))
    assert report.splitlines()[0] == "line,reason" and "valves" in report


def test_importing_the_same_file_again_changes_nothing(world, sensors):
    text = f"{HEADER},short_description\nPT-1,Transmitter,pressure-sensors,10.00,\nPT-2,Switch,pressure-sensors,20,PS\n"
    first = start(world.admin, text)
    stamps = dict(Product.objects.values_list("sku", "updated_at"))
    second = start(world.admin, text)
    assert first.message == "2 products created, 0 updated, 0 unchanged; 0 rows with errors."
    assert second.message == "0 products created, 0 updated, 2 unchanged; 0 rows with errors."
    assert Product.objects.count() == 2
    assert dict(Product.objects.values_list("sku", "updated_at")) == stamps


def test_columns_left_out_keep_their_values_and_empty_text_clears(world, sensors):
    product = make_product(
        sensors, sku="PT-1", name="Transmitter", manufacturer_part_number="MPN-1", long_description="Long",
        short_description="Given", short_description_auto=False, attributes={"A": "1"},
    )  # fmt: skip
    start(world.admin, "sku,list_price,long_description\nPT-1,99,\n")
    product.refresh_from_db()
    assert (product.list_price, product.long_description, product.manufacturer_part_number) == (
        Decimal("99.00"), "", "MPN-1",
    )  # fmt: skip
    assert (product.short_description, product.attributes) == ("Given", {"A": "1"})
    start(world.admin, "sku,short_description,active\nPT-1,,no\n")
    product.refresh_from_db()
    assert (product.short_description, product.short_description_auto, product.active) == (
        "Transmitter", True, False,
    )  # fmt: skip


def test_a_short_description_over_40_characters_is_an_error_not_a_cut(world, sensors):
    job = start(world.admin, f"{HEADER},short_description\nPT-1,X,pressure-sensors,1,{'word ' * 10}\n")
    assert job.error_count == 1 and not Product.objects.exists()
    assert "short_description: At most 40 characters (it has 49)" in job.errors[0]["reason"]


def test_a_sku_twice_in_the_file_is_an_error_on_the_second_line(world, sensors):
    job = start(world.admin, f"{HEADER}\nPT-1,First,pressure-sensors,1\nPT-1,Second,pressure-sensors,2\n")
    assert job.errors == [{"line": 3, "reason": "sku: “PT-1” is already on line 2 of this file."}]
    assert Product.objects.get().name == "First"


def test_an_interrupted_job_resumes_after_its_last_committed_chunk(
    world, sensors, monkeypatch, django_capture_on_commit_callbacks
):
    rows = [f"PT-{n},Product {n},pressure-sensors,{n}" for n in range(5)]
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.product_import_start(
            actor=world.admin, uploaded_file=upload("\n".join([HEADER, *rows]) + "\n")
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
        imports.product_import_run(job_id=job.pk, chunk_rows=2)
    job.refresh_from_db()
    assert (job.status, job.done, Product.objects.count()) == ("running", 2, 2)
    assert job.message == "So far: 2 created, 0 updated, 0 unchanged."

    monkeypatch.setattr(imports, "_commit_chunk", real_commit)
    imports.product_import_run(job_id=job.pk, chunk_rows=2)
    job.refresh_from_db()
    assert (job.status, job.done, job.ok_count) == ("done", 5, 5)
    assert job.message == "5 rows imported (created or updated); 0 rows with errors."
    assert Product.objects.count() == 5


def test_the_task_fails_the_job_with_a_message_when_the_database_is_gone(
    world, sensors, monkeypatch, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.product_import_start(
            actor=world.admin, uploaded_file=upload(f"{HEADER}\nPT-1,X,pressure-sensors,1\n")
        )

    def unreachable(**kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(imports, "product_import_run", unreachable)
    import_products_task.apply(args=[job.pk])
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "the database could not be reached" in job.message
    assert not Product.objects.exists()


def test_an_unexpected_error_fails_the_job_and_keeps_what_was_imported(
    world, sensors, monkeypatch, django_capture_on_commit_callbacks
):
    rows = [f"PT-{n},Product {n},pressure-sensors,{n}" for n in range(3)]
    with django_capture_on_commit_callbacks(execute=False):
        job = imports.product_import_start(
            actor=world.admin, uploaded_file=upload("\n".join([HEADER, *rows]) + "\n")
        )
    real_commit = imports._commit_chunk

    def breaks_on_the_second_chunk(job, counts, good, bad, rows_read):
        if counts.done:
            raise RuntimeError("boom")
        return real_commit(job, counts, good, bad, rows_read)

    monkeypatch.setattr(imports, "_commit_chunk", breaks_on_the_second_chunk)
    imports.product_import_run(job_id=job.pk, chunk_rows=2)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message.startswith("The import stopped on an unexpected error after 2 rows")
    assert Product.objects.count() == 2 and job.input_file == ""


def test_running_a_finished_job_again_does_nothing(world, sensors):
    job = start(world.admin, f"{HEADER}\nPT-1,X,pressure-sensors,1\n")
    assert imports.product_import_run(job_id=job.pk).finished_at == job.finished_at
    assert Product.objects.count() == 1


def test_an_update_can_move_a_product_to_another_category(world, sensors):
    cables = make_category("Cables", slug="cables")
    product = make_product(sensors, sku="CB-1", name="Cable")
    job = start(world.admin, "sku,category\nCB-1,cables\n")
    product.refresh_from_db()
    assert product.category == cables and job.message.startswith("0 products created, 1 updated")


def test_the_example_on_the_import_page_imports_cleanly(world):
    make_category("Inductive", slug="inductive-sensors")
    make_category("Pressure", slug="pressure-sensors")
    job = start(world.admin, imports.EXAMPLE_CSV)
    assert (job.ok_count, job.error_count) == (2, 0), job.errors
    assert Product.objects.get(sku="KA-IS12-04FPN").attributes == {"Sensing range": "4 mm", "Housing": "M12"}
