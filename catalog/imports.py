"""CSV import of products, idempotent by SKU: a row whose SKU is in the catalogue updates that
product, any other row creates one. The shape is the lead import's (leads/imports.py):

product_import_start (in the request) checks the file as a whole (UTF-8 CSV, not empty, not too large,
the header known); nothing is imported and no job is made when it refuses. It stores the file privately
and queues import_products_task, which calls product_import_run.

product_import_run works in chunks of CHUNK_ROWS rows, one transaction each (the products and the job's
progress commit together). Rows are validated in Python by the Product model's rules with no query per
row: the category slugs are loaded once, the products of a chunk's SKUs in one query. A row that
changes nothing is counted as unchanged and not written, so importing a file twice changes the
catalogue once. When a worker dies, the task runs again and resumes after the last committed chunk.

Cells: a column left out of the file leaves that field as it is. An empty cell leaves name, category,
list_price, currency, order_unit, price_unit and active as they are (new products take the defaults);
an empty short_description is derived from the name; other empty cells clear the field."""

from __future__ import annotations

import csv
import logging
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from catalog.codes import CURRENCIES, DEFAULT_CURRENCY, DEFAULT_ORDER_UNIT
from catalog.models import (
    MAX_PRICE_UNIT,
    MPN_LENGTH,
    OCI_DESCRIPTION_LENGTH,
    SKU_LENGTH,
    Category,
    Product,
    validate_attributes,
)
from catalog.services import parse_attributes
from catalog.text import collapse_whitespace, short_text
from core.errors import NotAllowed
from core.jobs import job_claim, job_fail, job_finish, job_progress, job_start
from core.models import Job, User
from core.services import activity_record
from core.uploads import check_csv_upload, csv_header, csv_text_stream
from partners import access

logger = logging.getLogger(__name__)

JOB_KIND = "product_import"
IMPORT_COLUMNS: list[str] = [
    "sku", "name", "category", "list_price", "currency", "order_unit", "price_unit", "short_description",
    "long_description", "manufacturer_part_number", "material_group", "attributes", "active",
]  # fmt: skip
REQUIRED_COLUMNS: list[str] = ["sku"]
# A row for a SKU that is not in the catalogue yet needs these.
NEW_PRODUCT_VALUES: list[str] = ["name", "category", "list_price"]
EXAMPLE_CSV = (
    "sku,name,category,list_price,currency,order_unit,price_unit,manufacturer_part_number,material_group,"
    "attributes\n"
    'KA-IS12-04FPN,"Inductive proximity sensor M12, flush, 4 mm, PNP NO",inductive-sensors,48.90,EUR,C62,1,'
    "IS12-04FPN,39122200,Sensing range: 4 mm; Housing: M12\n"
    "KA-PT-0-10B,Pressure transmitter 0–10 bar,pressure-sensors,189.00,EUR,C62,1,PT-0-10B,41112400,\n"
)
MAX_FILE_BYTES = 20 * 1024 * 1024
CHUNK_ROWS = 1_000
STORAGE_DIR = "imports"
CHUNK_ATTEMPTS = 3
_YES = {"1", "yes", "y", "true", "t", "active", "ja", "oui"}
_NO = {"0", "no", "n", "false", "f", "inactive", "nein", "non"}
_PLAIN_PRICE = re.compile(r"\d{1,12}(?:\.\d{1,2})?")


# --- The file as a whole (in the request) --------------------------------------------------------


def import_header(raw: list[str]) -> list[str]:
    """The column names of a header row; raises ValidationError (on `file`) naming what is wrong."""
    try:
        return csv_header(raw, columns=IMPORT_COLUMNS, required=REQUIRED_COLUMNS)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages})


def product_import_start(*, actor: User, uploaded_file: UploadedFile) -> Job:
    """Check an uploaded CSV file and queue its import; answers the job to watch. A file that is not
    UTF-8 CSV, is empty or too large, or has a wrong header is refused with ValidationError (on
    `file`) before anything is stored or imported. Channel admins only."""
    from catalog.tasks import import_products_task  # the task module imports this one

    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins import products.")
    try:
        _header, rows = check_csv_upload(
            uploaded_file, columns=IMPORT_COLUMNS, required=REQUIRED_COLUMNS, max_bytes=MAX_FILE_BYTES
        )
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages})
    stored = default_storage.save(f"{STORAGE_DIR}/{secrets.token_urlsafe(18)}.csv", uploaded_file)
    name = (uploaded_file.name or "upload.csv").rsplit("/", 1)[-1]
    try:
        with transaction.atomic():
            job = job_start(
                kind=JOB_KIND, owner=actor, title=f"Product import: {name}", total=rows, input_file=stored
            )
            activity_record(
                actor=actor, verb="catalog.import_started", target=job,
                message=f"Product import of {name} started ({rows:,} rows)",
            )  # fmt: skip
    except BaseException:
        default_storage.delete(stored)  # no job took the file
        raise
    import_products_task.delay_on_commit(job.pk)
    return job


# --- One row ---------------------------------------------------------------------------------------


class RowError(ValueError):
    """What is wrong with one value of a row."""


KEEP = object()  # an empty cell that leaves the field as it is
Cleaner = Callable[[str], Any]


def _sku(raw: str) -> str:
    value = raw.strip()
    if not value:
        raise RowError("Give the product's SKU.")
    if len(value) > SKU_LENGTH:
        raise RowError(f"At most {SKU_LENGTH} characters (it has {len(value)}).")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/-]*", value):
        raise RowError("Use letters, digits and . _ / - only, starting with a letter or digit, no spaces.")
    return value


def _name(raw: str) -> Any:
    value = collapse_whitespace(raw)
    if not value:
        return KEEP
    if len(value) > 200:
        raise RowError(f"At most 200 characters (it has {len(value)}).")
    return value


def _category(slugs: dict[str, int]) -> Cleaner:
    def clean(raw: str) -> Any:
        value = raw.strip()
        if not value:
            return KEEP
        found = slugs.get(value) or slugs.get(value.lower())
        if found is None:
            raise RowError(f"Unknown category “{value}” (give the slug of a catalogue category).")
        return found

    return clean


def _price(raw: str) -> Any:
    value = raw.strip()
    if not value:
        return KEEP
    if not _PLAIN_PRICE.fullmatch(value):
        if re.fullmatch(r"\d+,\d{1,2}", value):
            raise RowError(f"“{value}”: write the decimals with a point, e.g. {value.replace(',', '.')}.")
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise RowError(f"“{value}” is not a price; write a number such as 48.90.")
        if number < 0:
            raise RowError("A price cannot be negative.")
        raise RowError("At most 12 digits before the point and 2 after it.")
    return Decimal(value)


def _currency(raw: str) -> Any:
    value = raw.strip().upper()
    if not value:
        return KEEP
    if value not in CURRENCIES:
        raise RowError(f"“{raw.strip()}” is not an ISO 4217 currency code; use e.g. EUR or USD.")
    return value


def _order_unit(raw: str) -> Any:
    value = raw.strip().upper()
    if not value:
        return KEEP
    if not re.fullmatch(r"[A-Z0-9]{1,3}", value):
        raise RowError(f"“{raw.strip()}” is not a UN/ECE unit code; use 1 to 3 letters or digits, e.g. C62.")
    return value


def _price_unit(raw: str) -> Any:
    value = raw.strip()
    if not value:
        return KEEP
    if not value.isdigit() or not 1 <= int(value) <= MAX_PRICE_UNIT:
        raise RowError(f"“{value}” is not a whole number from 1 to {MAX_PRICE_UNIT:,}.")
    return int(value)


def _short_description(raw: str) -> str:
    value = collapse_whitespace(raw)
    if len(value) > OCI_DESCRIPTION_LENGTH:
        raise RowError(
            f"At most {OCI_DESCRIPTION_LENGTH} characters (it has {len(value)}); shorten it, e.g. "
            f"“{short_text(value, OCI_DESCRIPTION_LENGTH)}”, or leave it empty to derive it from the name."
        )
    return value  # "" means: derive it from the name


def _limited(limit: int, pattern: str | None = None, hint: str = "") -> Cleaner:
    def clean(raw: str) -> str:
        value = raw.strip()
        if len(value) > limit:
            raise RowError(f"At most {limit} characters (it has {len(value)}).")
        if value and pattern and not re.fullmatch(pattern, value):
            raise RowError(hint)
        return value

    return clean


def _attributes(raw: str) -> dict[str, Any]:
    try:
        value = parse_attributes(raw)
        validate_attributes(value)
    except ValidationError as exc:
        raise RowError(" ".join(exc.messages))
    return value


def _active(raw: str) -> Any:
    value = raw.strip().lower()
    if not value:
        return KEEP
    if value in _YES:
        return True
    if value in _NO:
        return False
    raise RowError(f"“{raw.strip()}” is not yes or no (write yes/no, true/false or 1/0).")


class RowValidator:
    """Validates one CSV row into {field: value} for the columns of the file, by the Product model's
    rules, without a query. KEEP marks an empty cell that leaves the field as it is."""

    def __init__(self, header: list[str], *, category_slugs: dict[str, int]) -> None:
        cleaners: dict[str, Cleaner] = {
            "sku": _sku,
            "name": _name,
            "category": _category(category_slugs),
            "list_price": _price,
            "currency": _currency,
            "order_unit": _order_unit,
            "price_unit": _price_unit,
            "short_description": _short_description,
            "long_description": _limited(20_000),
            "manufacturer_part_number": _limited(MPN_LENGTH),
            "material_group": _limited(
                10, r"[A-Za-z0-9._-]+", "Use letters, digits and . _ - only, no spaces (e.g. 41112400)."
            ),
            "attributes": _attributes,
            "active": _active,
        }
        self.width = len(header)
        self.plan = [(i, name, cleaners[name]) for i, name in enumerate(header)]

    def clean(self, row: list[str]) -> tuple[dict[str, Any], str]:
        """({field: value}, "") for a good row; ({}, reason) for a bad one."""
        if len(row) != self.width:
            return {}, f"This row has {len(row)} values; the header has {self.width} columns."
        values: dict[str, Any] = {}
        problems: list[str] = []
        for index, name, clean in self.plan:
            try:
                values[name] = clean(row[index])
            except RowError as exc:
                problems.append(f"{name}: {exc}")
        if problems:
            return {}, "; ".join(problems)
        return values, ""


# --- Applying a row to a product ----------------------------------------------------------------


_FIELD_OF = {"category": "category_id"}


def _apply_row(product: Product, values: dict[str, Any], *, new: bool) -> list[str]:
    """Put a row's values on a product; answers the fields that changed (all for a new one)."""
    changed: list[str] = []
    for name, value in values.items():
        if name in ("sku", "short_description") or value is KEEP:
            continue
        attname = _FIELD_OF.get(name, name)
        if getattr(product, attname) != value:
            setattr(product, attname, value)
            changed.append(attname)
    if "short_description" in values and values["short_description"]:
        given = values["short_description"]
        if product.short_description != given or product.short_description_auto:
            product.short_description, product.short_description_auto = given, False
            changed += ["short_description", "short_description_auto"]
    elif "short_description" in values or product.short_description_auto or new:
        derived = short_text(product.name, OCI_DESCRIPTION_LENGTH)
        if product.short_description != derived or not product.short_description_auto:
            product.short_description, product.short_description_auto = derived, True
            changed += ["short_description", "short_description_auto"]
    return changed


def _missing_for_new(values: dict[str, Any]) -> list[str]:
    return [name for name in NEW_PRODUCT_VALUES if values.get(name, KEEP) is KEEP]


# --- The job (in the worker) ---------------------------------------------------------------------


@dataclass
class _Counts:
    done: int
    ok: int
    errors: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resumed: bool = False
    _first_line: dict[str, int] = field(default_factory=dict)


def _data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    for row in reader:
        if row:
            yield reader.line_num, row


def _commit_chunk(
    job: Job,
    counts: _Counts,
    good: list[tuple[int, dict[str, Any]]],
    bad: list[dict[str, Any]],
    rows_read: int,
) -> None:
    """Create and update a chunk's products and record progress, in one transaction; tried again when
    a concurrent import created one of its SKUs first."""
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                outcome = _write(good)
                errors = sorted([*bad, *outcome.bad], key=lambda r: r["line"])
                taken = outcome.created + outcome.updated + outcome.unchanged
                job_progress(
                    job=job, done=counts.done + rows_read, ok_count=counts.ok + taken,
                    error_count=counts.errors + len(errors), new_rows=errors,
                    message=f"So far: {counts.created + outcome.created:,} created, "
                    f"{counts.updated + outcome.updated:,} updated, {counts.unchanged + outcome.unchanged:,} unchanged.",
                )  # fmt: skip
        except IntegrityError:
            job.refresh_from_db()
            if attempt == CHUNK_ATTEMPTS:
                raise
            continue
        counts.done += rows_read
        counts.ok += taken
        counts.errors += len(errors)
        counts.created += outcome.created
        counts.updated += outcome.updated
        counts.unchanged += outcome.unchanged
        return


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    bad: list[dict[str, Any]] = field(default_factory=list)


def _write(good: list[tuple[int, dict[str, Any]]]) -> _Outcome:
    outcome = _Outcome()
    skus = [values["sku"] for _line, values in good]
    existing = {p.sku: p for p in Product.objects.select_for_update().filter(sku__in=skus)} if skus else {}
    now = timezone.now()
    fresh: list[Product] = []
    changed_rows: list[Product] = []
    changed_fields: set[str] = set()
    for line, values in good:
        product = existing.get(values["sku"])
        if product is None:
            missing = _missing_for_new(values)
            if missing:
                outcome.bad.append({
                    "line": line,
                    "reason": f"SKU “{values['sku']}” is not in the catalogue yet, so this row creates it: "
                    f"give {', '.join(missing)}.",
                })  # fmt: skip
                continue
            product = Product(sku=values["sku"], currency=DEFAULT_CURRENCY, order_unit=DEFAULT_ORDER_UNIT)
            _apply_row(product, values, new=True)
            product.created_at = product.updated_at = now
            fresh.append(product)
            continue
        changed = _apply_row(product, values, new=False)
        if changed:
            product.updated_at = now
            changed_rows.append(product)
            changed_fields.update(changed)
        else:
            outcome.unchanged += 1
    if fresh:
        Product.objects.bulk_create(fresh)
    if changed_rows:
        Product.objects.bulk_update(changed_rows, sorted({*changed_fields, "updated_at"}))
    outcome.created, outcome.updated = len(fresh), len(changed_rows)
    return outcome


def _import_rows(job: Job, chunk_rows: int) -> _Counts:
    slugs = dict(Category.objects.values_list("slug", "id"))
    counts = _Counts(done=job.done, ok=job.ok_count, errors=job.error_count, resumed=job.done > 0)
    with default_storage.open(job.input_file, "rb") as stored:
        text = csv_text_stream(stored)  # type: ignore[arg-type]
        try:
            reader = csv.reader(text)
            validator = RowValidator(import_header(next(reader)), category_slugs=slugs)
            rows = _data_rows(reader)
            for _ in islice(rows, job.done):  # resuming: these rows are committed already
                pass
            while chunk := list(islice(rows, chunk_rows)):
                good: list[tuple[int, dict[str, Any]]] = []
                bad: list[dict[str, Any]] = []
                for line, row in chunk:
                    values, reason = validator.clean(row)
                    if not reason:
                        first = counts._first_line.setdefault(values["sku"], line)
                        if first != line:
                            reason = f"sku: “{values['sku']}” is already on line {first} of this file."
                    if reason:
                        bad.append({"line": line, "reason": reason})
                    else:
                        good.append((line, values))
                _commit_chunk(job, counts, good, bad, len(chunk))
        finally:
            text.detach()
    return counts


def _summary(counts: _Counts) -> str:
    if counts.resumed:
        text = f"{counts.ok:,} rows imported (created or updated)"
    else:
        text = (
            f"{counts.created:,} products created, {counts.updated:,} updated, {counts.unchanged:,} unchanged"
        )
    return f"{text}; {counts.errors:,} rows with errors."


def _discard_file(job: Job) -> None:
    if job.input_file:
        default_storage.delete(job.input_file)
        Job.objects.filter(pk=job.pk).update(input_file="")
        job.input_file = ""


def product_import_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> Job | None:
    """Run a product import job to its end. Safe to call twice: a finished job is left alone, a job
    another worker holds is skipped, and a job whose worker died resumes after its last committed
    chunk. A database that went away propagates (the task retries); any other error fails the job
    with a message, keeping the products committed before it."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.is_finished:
        return job
    with job_claim(job) as claimed:
        if not claimed:
            return job
        job.refresh_from_db()
        if job.is_finished:
            return job
        try:
            counts = _import_rows(job, chunk_rows)
            job_finish(job=job, message=_summary(counts))
        except (OperationalError, InterfaceError):
            raise
        except FileNotFoundError:
            job.refresh_from_db()
            job_fail(job=job, message="The uploaded file is gone; upload it again.")
        except Exception:
            logger.exception("Product import job %s failed", job_id)
            job.refresh_from_db()
            job_fail(
                job=job,
                message=f"The import stopped on an unexpected error after {job.done:,} rows; the "
                f"{job.ok_count:,} rows imported before it are kept. Importing the file again is safe: "
                "rows are matched by SKU.",
            )
        _discard_file(job)
    return job


def product_import_fail(*, job_id: int, message: str) -> Job | None:
    """End an import that cannot go on (the task gave up retrying); what was committed stays."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.is_finished:
        return job
    job_fail(job=job, message=message)
    _discard_file(job)
    return job
