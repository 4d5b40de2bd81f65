"""The MDF journal as CSV for the ERP: one line per journal line, streamed from the database.

The rows are read with `values_list(...).iterator()` (no model instances, a server-side cursor on
PostgreSQL) and written as RFC 4180 lines, so an export of millions of lines holds a few thousand in
memory at a time. `journal_csv_rows` is the generator the portal's export streams (and the bench
measures)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from mdf.models import JournalEntry

JOURNAL_CSV_COLUMNS = (
    "date",
    "posting",
    "movement",
    "account",
    "debit",
    "credit",
    "currency",
    "program",
    "partner_id",
    "partner",
    "document",
)
# The database columns behind JOURNAL_CSV_COLUMNS, in the same order.
_FIELDS = (
    "booked_on",
    "posting",
    "movement",
    "account",
    "debit",
    "credit",
    "currency",
    "program_id",
    "partner_id",
    "partner__name",
    "document",
)
# A spreadsheet runs a cell that starts with one of these as a formula. Partner names come from
# partner applications (public input), so that column is defused; the others are dates, numbers,
# codes and our own document references.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_NEEDS_QUOTES = re.compile(r'[,"\r\n]')
ITERATOR_CHUNK = 2000
RESPONSE_CHUNK_LINES = 1000
HEADER = ",".join(JOURNAL_CSV_COLUMNS) + "\r\n"


def csv_text(text: str | None) -> str:
    """A text cell as RFC 4180 CSV writes it (quoted when it holds a comma, quote or line break),
    with a leading apostrophe when a spreadsheet would run it as a formula."""
    if not text:
        return ""
    if text[0] in _FORMULA_PREFIXES:
        text = "'" + text
    if _NEEDS_QUOTES.search(text):
        return '"' + text.replace('"', '""') + '"'
    return text


def journal_csv_rows(queryset: QuerySet[JournalEntry]) -> Iterator[str]:
    """The journal lines of `queryset` (already scoped and filtered) as CSV text (RFC 4180, CRLF):
    the header line first, then one line per journal line in posting order (id). Dates are ISO
    8601, money is written exactly as stored (two decimals, a dot, no thousands separator); an empty
    partner is a line of the programme's budget.

    Built by hand rather than with csv.writer, which spent most of the time turning dates, UUIDs and
    decimals into text: the lines of one posting share its id and date, and a partner's name repeats,
    so each is turned into text once (see the ≥50,000 lines/s of issue 5)."""
    yield HEADER
    rows = queryset.order_by("id").values_list(*_FIELDS).iterator(chunk_size=ITERATOR_CHUNK)
    last_posting: object = None
    posting_text = ""
    last_day: object = None
    day_text = ""
    partner_cells: dict[int | None, str] = {None: ","}  # partner_id and name cells
    for (
        day,
        posting,
        movement,
        account,
        debit,
        credit,
        currency,
        program_id,
        partner_id,
        name,
        document,
    ) in rows:
        if posting != last_posting:
            last_posting, posting_text = posting, str(posting)
        if day != last_day:
            last_day, day_text = day, day.isoformat()
        partner = partner_cells.get(partner_id)
        if partner is None:
            partner = partner_cells[partner_id] = f"{partner_id},{csv_text(name)}"
        yield (
            f"{day_text},{posting_text},{movement},{account},{debit},{credit},{currency},{program_id},"
            f"{partner},{csv_text(document)}\r\n"
        )


def in_chunks(lines: Iterable[str], size: int = RESPONSE_CHUNK_LINES) -> Iterator[str]:
    """`lines` joined `size` at a time: a streamed response writes far fewer, larger pieces."""
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= size:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)
