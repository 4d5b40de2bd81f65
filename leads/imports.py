"""CSV import of leads: refuse a bad file at once, then validate and import it row by row in a
background job that shows its progress and lists every row it could not take.

lead_import_start (in the request) checks the file as a whole: UTF-8 CSV, not empty, not too large,
the header known. Nothing is imported and no job is made when it refuses. It stores the file privately
and queues import_leads_task, which calls lead_import_run.

lead_import_run works in chunks of CHUNK_ROWS rows, one transaction each (the leads, their "created"
timeline lines and the job's progress commit together). It validates in Python with no query per row:
the catalogue's category slugs are loaded once, the external ids of a chunk are looked up in one
query. PostgreSQL takes a chunk by COPY (bulk_create tops out near 22k rows/s, DESIGN.md); other
databases by bulk_create. A row whose external id exists already is skipped and reported as already
imported, so importing a file twice imports it once. When a worker dies, the task runs again and
resumes after the last committed chunk. At the end, if the channel routes new leads automatically,
they are routed (leads_route_batch)."""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import DecimalField, Field
from django.utils import timezone

from catalog.models import Category
from core.changes import data_changed
from core.countries import COUNTRIES
from core.errors import NotAllowed
from core.jobs import job_claim, job_fail, job_finish, job_progress, job_start
from core.models import Job, User
from core.services import activity_record
from customers.models import normalise_company
from leads import services
from leads.choices import LeadEventKind, LeadSource, LeadStatus
from leads.models import Lead, LeadEvent, LeadSettings
from partners import access

logger = logging.getLogger(__name__)

JOB_KIND = "lead_import"
# The header of an import file; only company and country are required, the others may be left out.
IMPORT_COLUMNS: list[str] = [
    "company", "contact_name", "email", "phone", "country", "region", "postal_code", "city", "latitude",
    "longitude", "category", "products_of_interest", "estimated_value", "currency", "campaign_code",
    "external_id",
]  # fmt: skip
REQUIRED_COLUMNS: list[str] = ["company", "country"]
# A small file to start from (the demo catalogue's category slugs).
EXAMPLE_CSV = (
    ",".join(IMPORT_COLUMNS) + "\n"
    "Müller Haustechnik GmbH,Anna Müller,anna.mueller@mueller-haustechnik.example,+49 89 1234567,DE,Bavaria,"
    "80331,Munich,48.137154,11.576124,heat-pumps,Two air-to-water heat pumps,25000.00,EUR,SPRING26,CRM-1001\n"
    "Dupont Énergie SARL,,achats@dupont-energie.example,,FR,,69002,Lyon,,,solar,,8000,EUR,,CRM-1002\n"
)
MAX_FILE_BYTES = 50 * 1024 * 1024
CHUNK_ROWS = 5_000
STORAGE_DIR = "imports"
# A chunk that meets a concurrent import of the same external ids is tried again this often.
CHUNK_ATTEMPTS = 3

BLANK = "This field cannot be blank."


# --- The file as a whole (in the request) --------------------------------------------------------------


def _file_error(*messages: str) -> ValidationError:
    return ValidationError({"file": list(messages)})


def import_header(raw: list[str]) -> list[str]:
    """The column names of a header row (trimmed, lower case, spaces as underscores); raises
    ValidationError naming what is missing, unknown or twice there."""
    names = [name.strip().lower().replace(" ", "_") for name in raw]
    if not any(names):
        raise _file_error(f"The first line must be the header: {', '.join(IMPORT_COLUMNS)}.")
    if len(raw) == 1:
        separator = next((s for s in (";", "\t", "|") if s in raw[0]), None)
        if separator:
            shown = "tab" if separator == "\t" else f"“{separator}”"
            raise _file_error(f"Separate the columns with commas; this file uses {shown}.")
    messages = []
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        messages.append(f"Required columns missing: {', '.join(missing)}.")
    unknown = [
        name or f"(unnamed column {i})" for i, name in enumerate(names, start=1) if name not in IMPORT_COLUMNS
    ]
    if unknown:
        messages.append(
            f"Unknown columns: {', '.join(unknown)}. The columns are: {', '.join(IMPORT_COLUMNS)}."
        )
    twice = sorted({name for name in names if name and names.count(name) > 1})
    if twice:
        messages.append(f"Columns given twice: {', '.join(twice)}.")
    if messages:
        raise _file_error(*messages)
    return names


def _text_stream(binary: IO[bytes]) -> io.TextIOWrapper:
    # utf-8-sig: spreadsheets put a byte-order mark in front of "CSV UTF-8"; strict: refuse anything else.
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="strict", newline="")


def _inspect(uploaded_file: UploadedFile) -> int:
    """Check the whole upload; answers the number of rows to import."""
    size = uploaded_file.size or 0
    if size > MAX_FILE_BYTES:
        raise _file_error(
            f"The file is {size / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB. Split it and "
            "import the parts one after the other."
        )
    if size == 0:
        raise _file_error("The file is empty.")
    for piece in uploaded_file.chunks():
        if b"\x00" in piece:
            raise _file_error("This is not a CSV text file (it contains NUL bytes).")
    uploaded_file.seek(0)
    text = _text_stream(uploaded_file)  # type: ignore[arg-type]
    reader = csv.reader(text)
    try:
        header = next(reader, None)
        if header is None:
            raise _file_error("The file is empty.")
        import_header(header)
        rows = sum(1 for row in reader if row)
    except UnicodeDecodeError:
        raise _file_error(
            "The file is not UTF-8 text. Save it as “CSV UTF-8 (comma delimited)” and upload it again."
        )
    except csv.Error as exc:
        raise _file_error(f"This is not a CSV file the import can read (line {reader.line_num}: {exc}).")
    finally:
        text.detach()
    if rows == 0:
        raise _file_error("The file has a header but no rows to import.")
    return rows


def lead_import_start(*, actor: User, uploaded_file: UploadedFile) -> Job:
    """Check an uploaded CSV file and queue its import; answers the job to watch. A file that is not
    UTF-8 CSV, is empty or too large, or has a wrong header is refused with ValidationError (on
    `file`) before anything is stored or imported. Channel staff only."""
    from leads.tasks import import_leads_task  # the task module imports this one

    if not access.actor_of(actor).is_channel:
        raise NotAllowed("Only channel staff import leads.")
    rows = _inspect(uploaded_file)
    uploaded_file.seek(0)
    stored = default_storage.save(f"{STORAGE_DIR}/{secrets.token_urlsafe(18)}.csv", uploaded_file)
    name = (uploaded_file.name or "upload.csv").rsplit("/", 1)[-1]
    try:
        with transaction.atomic():
            job = job_start(
                kind=JOB_KIND, owner=actor, title=f"Lead import: {name}", total=rows, input_file=stored
            )
            activity_record(
                actor=actor, verb="leads.import_started", target=job,
                message=f"Lead import of {name} started ({rows:,} rows)",
            )  # fmt: skip
    except BaseException:
        default_storage.delete(stored)  # no job took the file
        raise
    import_leads_task.delay_on_commit(job.pk)
    return job


# --- One row -----------------------------------------------------------------------------------------


class RowError(ValueError):
    """What is wrong with one value of a row."""


Cleaner = Callable[[str], Any]
# Generated columns (search_text) are computed by the database and cannot be written.
_LEAD_FIELDS: list[Field[Any, Any]] = [f for f in Lead._meta.concrete_fields if not f.generated]
LEAD_COLUMNS: list[str] = [f.column for f in _LEAD_FIELDS if f.column]
_SLOT = {f.name: i for i, f in enumerate(_LEAD_FIELDS)}
_COMPANY, _NORMALISED = _SLOT["company"], _SLOT["normalised_company"]


def _max_length(name: str) -> int | None:
    field = Lead._meta.get_field(name)
    assert isinstance(field, Field)
    return field.max_length


def _text(name: str, *, required: bool = False) -> Cleaner:
    limit = _max_length(name)

    def clean(raw: str) -> str:
        value = raw.strip()
        if required and not value:
            raise RowError(BLANK)
        if limit is not None and len(value) > limit:
            raise RowError(f"Ensure this value has at most {limit} characters (it has {len(value)}).")
        return value

    return clean


# Addresses this pattern accepts, Django's EmailValidator accepts too (it is that validator's pattern
# limited to ASCII); anything else goes to the validator itself, which is ten times slower.
_PLAIN_EMAIL = re.compile(
    r"[-!#$%&'*+/=?^_`{}|~0-9a-z]+(?:\.[-!#$%&'*+/=?^_`{}|~0-9a-z]+)*"
    r"@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.(?!-)[a-z-]{2,63}(?<!-)",
    re.IGNORECASE,
)


def _email(raw: str) -> str:
    value = _email_length(raw)
    if value and not (len(value) <= 320 and _PLAIN_EMAIL.fullmatch(value)):
        try:
            validate_email(value)
        except ValidationError as exc:
            raise RowError(exc.messages[0])
    return value


_email_length = _text("email")


def _country(raw: str) -> str:
    value = raw.strip().upper()
    if not value:
        raise RowError(BLANK)
    if value not in COUNTRIES:
        raise RowError(f"“{raw.strip()}” is not a country code (use ISO 3166 alpha-2 codes such as DE).")
    return value


def _currency(raw: str) -> str:
    value = raw.strip().upper() or "EUR"
    if len(value) != 3 or not (value.isascii() and value.isalpha()):
        raise RowError("Enter a three-letter currency code (ISO 4217), e.g. EUR.")
    return value


def _decimal(name: str, empty: Decimal | None) -> Cleaner:
    """A decimal field's cleaner. A plain number that fits the field's digits is checked against its
    bounds here; anything else goes through the field's own parsing and validators (and their
    messages)."""
    field = Lead._meta.get_field(name)
    assert isinstance(field, DecimalField)
    whole = field.max_digits - field.decimal_places
    plain = re.compile(rf"-?\d{{1,{whole}}}(?:\.\d{{1,{field.decimal_places}}})?")
    low = max((v.limit_value for v in field.validators if isinstance(v, MinValueValidator)), default=None)
    high = min((v.limit_value for v in field.validators if isinstance(v, MaxValueValidator)), default=None)

    def clean(raw: str) -> Decimal | None:
        value = raw.strip()
        if not value:
            return empty
        if plain.fullmatch(value):
            number = Decimal(value)
            if (low is None or number >= low) and (high is None or number <= high):
                return number
        try:
            number = field.to_python(value)
            field.run_validators(number)
        except ValidationError as exc:
            raise RowError(" ".join(exc.messages))
        return number  # type: ignore[no-any-return]

    return clean


def _category(slugs: dict[str, int]) -> Cleaner:
    def clean(raw: str) -> int | None:
        value = raw.strip()
        if not value:
            return None
        found = slugs.get(value) or slugs.get(value.lower())
        if found is None:
            raise RowError(f"Unknown category “{value}” (give the slug of a catalogue category).")
        return found

    return clean


class RowValidator:
    """Validates one CSV row into the values of a lead's columns (in LEAD_COLUMNS order), by the rules
    of the Lead model's fields (as leads.services.lead_validate applies them), without a query."""

    def __init__(self, header: list[str], *, category_slugs: dict[str, int]) -> None:
        # Optional plain text is checked in the loop below (its length only): a function call per
        # value is a fifth of the validation time.
        plain = ("contact_name", "phone", "region", "postal_code", "city", "products_of_interest",
                 "campaign_code", "external_id")  # fmt: skip
        cleaners: dict[str, Cleaner | None] = {
            **dict.fromkeys(plain),
            "company": _text("company", required=True),
            "email": _email,
            "country": _country,
            "latitude": _decimal("latitude", None),
            "longitude": _decimal("longitude", None),
            "category": _category(category_slugs),
            "estimated_value": _decimal("estimated_value", Decimal("0")),
            "currency": _currency,
        }
        self.width = len(header)
        self.plan = [
            (i, _SLOT[name], cleaners[name], name, _max_length(name) or sys.maxsize)
            for i, name in enumerate(header)
        ]

    def clean(self, row: list[str], template: list[Any]) -> tuple[list[Any], str]:
        """(values, "") for a good row; (template, reason) for a bad one."""
        if len(row) != self.width:
            return template, f"This row has {len(row)} values; the header has {self.width} columns."
        values = template.copy()
        problems = None
        for index, slot, clean, name, limit in self.plan:
            if clean is None:
                value = row[index].strip()
                if len(value) <= limit:
                    values[slot] = value
                    continue
                problem = f"Ensure this value has at most {limit} characters (it has {len(value)})."
            else:
                try:
                    values[slot] = clean(row[index])
                    continue
                except RowError as exc:
                    problem = str(exc)
            problems = problems or []
            problems.append(f"{name}: {problem}")
        if problems:
            return template, "; ".join(problems)
        # Derived as leads.services.lead_validate derives it (conflict checks match on it).
        values[_NORMALISED] = normalise_company(values[_COMPANY])[:200]
        return values, ""


# --- The job (in the worker) ---------------------------------------------------------------------------


def _template(owner_id: int, now: Any) -> list[Any]:
    """A new imported lead's column values before the row's own."""
    values: list[Any] = []
    for f in _LEAD_FIELDS:
        if f.primary_key:
            values.append(None)
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            values.append(now)
        else:
            values.append(f.get_default())
    values[_SLOT["source"]] = LeadSource.IMPORT.value
    values[_SLOT["status"]] = LeadStatus.NEW.value
    values[_SLOT["created_by"]] = owner_id
    return values


def _data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """(line number, values) of each row; blank lines are not rows."""
    for row in reader:
        if row:
            yield reader.line_num, row


def _chunks(rows: Iterator[tuple[int, list[str]]], size: int) -> Iterator[list[tuple[int, list[str]]]]:
    while chunk := list(islice(rows, size)):
        yield chunk


def _existing_external_ids(ids: list[str]) -> set[str]:
    """The ones among `ids` that imported leads carry already: one query per chunk on PostgreSQL
    (more where the database limits the number of parameters)."""
    if connection.vendor == "postgresql":
        # One probe of the unique index per id (LATERAL … LIMIT 1 keeps it a nested loop): stays
        # about 12 ms per 5,000 ids however many leads exist, also while the planner's statistics
        # still describe the table before this import (a hash join over every imported lead
        # took 110 ms per chunk at 200,000 leads, and grew).
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(Lead._meta.db_table)
            cursor.execute(
                f"SELECT x.id FROM unnest(%s::text[]) AS x(id) CROSS JOIN LATERAL (SELECT 1 FROM {table} AS l "  # noqa: S608
                "WHERE l.source = %s AND l.external_id = x.id AND l.external_id <> '' LIMIT 1) AS found",
                [ids, LeadSource.IMPORT.value],
            )
            return {row[0] for row in cursor.fetchall()}
    found: set[str] = set()
    step = connection.ops.bulk_batch_size(["external_id"], ids) or len(ids)
    for start in range(0, len(ids), step):
        found.update(
            Lead.objects.filter(source=LeadSource.IMPORT, external_id__in=ids[start : start + step])
            .exclude(external_id="")  # the unique index's condition: SQLite uses it only when repeated
            .values_list("external_id", flat=True)
            .order_by()
        )
    return found


_EVENT_COLUMNS = ("lead_id", "partner_id_at_event", "actor_id", "kind", "from_status", "to_status",
                  "message", "created_at")  # fmt: skip


def _event_values(lead_id: int, line: int, job: Job, now: Any) -> tuple[Any, ...]:
    message = f"Created (Import), line {line} of job {job.pk}"
    return (lead_id, None, job.owner_id, LeadEventKind.CREATED.value, "", LeadStatus.NEW.value, message, now)


def _insert_copy(job: Job, rows: list[tuple[int, list[Any]]], now: Any) -> None:
    """PostgreSQL: ids from the sequence in one query, then COPY the leads and their events."""
    lead_table, event_table = Lead._meta.db_table, LeadEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [lead_table, len(rows)],
        )
        ids = [r[0] for r in cursor.fetchall()]
        quote = connection.ops.quote_name
        with connection.wrap_database_errors:
            with cursor.cursor.copy(
                f"COPY {quote(lead_table)} ({', '.join(map(quote, LEAD_COLUMNS))}) FROM STDIN"
            ) as copy:
                for lead_id, (_line, values) in zip(ids, rows, strict=True):
                    values[_SLOT["id"]] = lead_id
                    copy.write_row(values)
            with cursor.cursor.copy(
                f"COPY {quote(event_table)} ({', '.join(map(quote, _EVENT_COLUMNS))}) FROM STDIN"
            ) as copy:
                for lead_id, (line, _values) in zip(ids, rows, strict=True):
                    copy.write_row(_event_values(lead_id, line, job, now))


def _insert_orm(job: Job, rows: list[tuple[int, list[Any]]], now: Any) -> None:
    attnames = [f.attname for f in _LEAD_FIELDS]
    leads = Lead.objects.bulk_create(
        [Lead(**dict(zip(attnames[1:], values[1:], strict=True))) for _line, values in rows]
    )
    LeadEvent.objects.bulk_create(
        [LeadEvent(**dict(zip(_EVENT_COLUMNS, _event_values(lead.pk, line, job, now), strict=True)))
         for lead, (line, _values) in zip(leads, rows, strict=True)]
    )  # fmt: skip


class _Counts:
    def __init__(self, job: Job) -> None:
        self.done, self.ok, self.skipped, self.errors = (
            job.done, job.ok_count, job.skipped_count, job.error_count,
        )  # fmt: skip


def _commit_chunk(
    job: Job, counts: _Counts, good: list[tuple[int, list[Any]]], bad: list[dict[str, Any]], rows_read: int
) -> None:
    """Import a chunk's good rows (skipping external ids already imported) and record progress, in
    one transaction; tried again when a concurrent import of the same ids got there first."""
    ext_slot = _SLOT["external_id"]
    for attempt in range(1, CHUNK_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                ids = [values[ext_slot] for _line, values in good if values[ext_slot]]
                existing = _existing_external_ids(ids) if ids else set()
                fresh = [(line, values) for line, values in good if values[ext_slot] not in existing]
                skipped = [
                    {
                        "line": line,
                        "reason": f"Already imported: a lead with external id “{values[ext_slot]}” exists.",
                    }
                    for line, values in good
                    if values[ext_slot] in existing
                ]
                if fresh:
                    now = timezone.now()
                    insert = _insert_copy if connection.vendor == "postgresql" else _insert_orm
                    insert(job, fresh, now)
                    data_changed("leads")  # once per chunk
                job_progress(
                    job=job, done=counts.done + rows_read, ok_count=counts.ok + len(fresh),
                    skipped_count=counts.skipped + len(skipped), error_count=counts.errors + len(bad),
                    new_rows=sorted([*bad, *skipped], key=lambda r: r["line"]),
                )  # fmt: skip
        except IntegrityError:
            job.refresh_from_db()
            if attempt == CHUNK_ATTEMPTS:
                raise
            continue
        counts.done += rows_read
        counts.ok += len(fresh)
        counts.skipped += len(skipped)
        counts.errors += len(bad)
        return


def _import_rows(job: Job, chunk_rows: int) -> _Counts:
    slugs = dict(Category.objects.values_list("slug", "id"))
    counts = _Counts(job)
    ext_slot = _SLOT["external_id"]
    with default_storage.open(job.input_file, "rb") as stored:
        text = _text_stream(stored)  # type: ignore[arg-type]
        try:
            reader = csv.reader(text)
            validator = RowValidator(import_header(next(reader)), category_slugs=slugs)
            rows = _data_rows(reader)
            # Resuming after a worker died: the first `done` rows are committed already.
            for _ in islice(rows, job.done):
                pass
            first_line: dict[str, int] = {}
            for chunk in _chunks(rows, chunk_rows):
                template = _template(job.owner_id, None)
                good: list[tuple[int, list[Any]]] = []
                bad: list[dict[str, Any]] = []
                for line, row in chunk:
                    values, reason = validator.clean(row, template)
                    if not reason and values[ext_slot]:
                        first = first_line.setdefault(values[ext_slot], line)
                        if first != line:
                            reason = (
                                f"external_id: “{values[ext_slot]}” is already on line {first} of this file."
                            )
                    if reason:
                        bad.append({"line": line, "reason": reason})
                    else:
                        good.append((line, values))
                _stamp(good)
                _commit_chunk(job, counts, good, bad, len(chunk))
        finally:
            text.detach()
    return counts


def _stamp(good: Iterable[tuple[int, list[Any]]]) -> None:
    now = timezone.now()
    for slot in (_SLOT["created_at"], _SLOT["updated_at"]):
        for _line, values in good:
            values[slot] = now


def _route_new_leads(job: Job) -> int:
    if job.ok_count == 0 or not LeadSettings.current().auto_route:
        return 0
    job_progress(job=job, done=job.done, message="Routing the new leads…")
    return services.leads_route_pending()


def _summary(job: Job, routed: int) -> str:
    parts = [f"{job.ok_count:,} leads imported", f"{job.error_count:,} rows with errors"]
    if job.skipped_count:
        parts.append(f"{job.skipped_count:,} rows already imported")
    text = "; ".join(parts) + "."
    if routed:
        text += f" {routed:,} new leads routed."
    return text


def _discard_file(job: Job) -> None:
    if job.input_file:
        default_storage.delete(job.input_file)
        Job.objects.filter(pk=job.pk).update(input_file="")
        job.input_file = ""


def lead_import_run(*, job_id: int, chunk_rows: int = CHUNK_ROWS) -> Job | None:
    """Run a lead import job to its end. Safe to call twice: a finished job is left alone, a job
    another worker holds is skipped, and a job whose worker died resumes after its last committed
    chunk. A database that went away propagates (the task retries); any other error fails the job
    with a message, keeping the leads committed before it."""
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
            _import_rows(job, chunk_rows)
            routed = _route_new_leads(job)
            job_finish(job=job, message=_summary(job, routed))
        except (OperationalError, InterfaceError):
            raise
        except FileNotFoundError:
            job.refresh_from_db()
            job_fail(job=job, message="The uploaded file is gone; upload it again.")
        except Exception:
            logger.exception("Lead import job %s failed", job_id)
            job.refresh_from_db()
            job_fail(
                job=job,
                message=f"The import stopped on an unexpected error after {job.done:,} rows; the "
                f"{job.ok_count:,} leads imported before it are kept. Importing the file again skips "
                "rows with an external id that were imported.",
            )
        _discard_file(job)
    return job


def lead_import_fail(*, job_id: int, message: str) -> Job | None:
    """End an import that cannot go on (the task gave up retrying); what was committed stays."""
    job = Job.objects.filter(pk=job_id, kind=JOB_KIND).first()
    if job is None or job.is_finished:
        return job
    job_fail(job=job, message=message)
    _discard_file(job)
    return job
