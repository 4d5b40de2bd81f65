"""What both portals' analytics pages share (issue 7): the filters read from the request and checked
against the options in the user's scope, the dashboard page's context (section tabs, each figure's
chart data and table, its export links), and one figure's table downloaded as CSV or XLSX.

The figures themselves come from analytics.selectors (scoped by the access policy); this module
only presents them, generically over `Figure`, so every figure the domain adds renders and exports
without a change here. The XLSX file is written with the standard library (a zip of SpreadsheetML
parts with inline strings), so exports need no spreadsheet dependency."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape as html_escape
from django.utils.safestring import SafeString, mark_safe

from analytics import selectors
from analytics.figures import (
    PERIOD_PRESETS,
    SECTIONS,
    AnalyticsFilters,
    Figure,
    filters_querystring,
    parse_filters,
)

# The filter bar's fields, by GET parameter, as the page labels them (warnings name them so).
FILTER_LABELS: dict[str, str] = {
    "period": "Period",
    "start": "From",
    "end": "To",
    "country": "Country",
    "region": "Region",
    "tier": "Tier",
    "type": "Partner type",
    "partner": "Partner",
    "category": "Product category",
    "section": "Section",
}
SECTION_KEYS = {key for key, _ in SECTIONS}
EXPORT_FORMATS = ("csv", "xlsx")
# A spreadsheet runs a text cell that starts with one of these as a formula: such CSV cells get a
# leading apostrophe (partner and product names come from public input). XLSX text cells are inline
# strings, never formulas.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot carry (control characters other than tab, line feed, carriage return).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


# --- Filters ---------------------------------------------------------------------------------------


def _scoped_values(
    values: Sequence[Any], options: Iterable[tuple[str, str]], param: str, problems: dict[str, list[str]]
) -> bool:
    """Whether every chosen value is one of the options in scope; records a message if not."""
    allowed = {str(value) for value, _ in options}
    unknown = [str(value) for value in values if str(value) not in allowed]
    if unknown:
        what = FILTER_LABELS[param].lower()
        problems.setdefault(param, []).append(
            f"“{', '.join(unknown)}” is not a {what} you can choose; showing all instead."
        )
        return False
    return True


Choices = dict[str, list[tuple[str, str]]]


def scoped_choices(user: Any) -> Choices:
    """The filter bar's options in the user's scope (analytics.selectors.filter_choices), as text."""
    return {
        name: [(str(value), str(label)) for value, label in options]
        for name, options in selectors.filter_choices(user).items()
    }


def read_filters(
    request: HttpRequest, choices: Choices | None = None
) -> tuple[AnalyticsFilters, dict[str, list[str]]]:
    """The filters of the request (analytics.figures.parse_filters), each dimension checked against
    the options in the user's scope (`choices`; read only when a dimension is filtered if not
    given): a value that is not one of them is dropped (its default, "all", applies) and reported
    by parameter. Answers the filters and the problems, {parameter: [message]}."""
    filters, problems = parse_filters(request.GET)
    problems = {param: list(messages_) for param, messages_ in problems.items()}
    checks: list[tuple[str, str, Sequence[Any]]] = [
        ("country", "countries", filters.countries),
        ("tier", "tier_ids", filters.tier_ids),
        ("type", "partner_types", filters.partner_types),
        ("partner", "partner_ids", filters.partner_ids),
        ("category", "category_ids", filters.category_ids),
    ]
    if not any(values for _, _, values in checks) and not filters.region:
        return filters, problems
    if choices is None:
        choices = scoped_choices(request.user)
    dropped: dict[str, Any] = {}
    for param, attribute, values in checks:
        if values and param in choices and not _scoped_values(values, choices[param], param, problems):
            dropped[attribute] = ()
    region_options = choices.get("region")
    if (
        filters.region
        and region_options is not None
        and not _scoped_values([filters.region], region_options, "region", problems)
    ):
        dropped["region"] = ""
    return (replace(filters, **dropped) if dropped else filters), problems


def read_section(request: HttpRequest, problems: dict[str, list[str]]) -> str | None:
    """The `?section=` asked for, or None (every section); an unknown one is reported."""
    section = (request.GET.get("section") or "").strip()
    if not section:
        return None
    if section not in SECTION_KEYS:
        names = ", ".join(label for _, label in SECTIONS)
        problems.setdefault("section", []).append(
            f"“{section[:40]}” is not a section ({names}); showing all sections."
        )
        return None
    return section


def problems_message(problems: dict[str, list[str]]) -> str:
    """One warning that names each filter to fix and what was wrong with it."""
    parts = [f"{FILTER_LABELS.get(param, param)}: {' '.join(texts)}" for param, texts in problems.items()]
    return "Some filters could not be used, so their defaults apply. " + " ".join(parts)


# --- The dashboard page ----------------------------------------------------------------------------


@dataclass
class Cell:
    """A table cell: the text the page shows, and whether it is a number (right-aligned)."""

    text: str
    numeric: bool


@dataclass
class FigureView:
    """One figure as the page draws it: chart data (for static/js/analytics.js), table, downloads."""

    figure: Figure
    dom_id: str
    chart_id: str
    has_chart: bool
    rows: list[list[Cell]]
    csv_url: str
    xlsx_url: str
    chart_label: str
    total_rows: int = 0  # the figure's rows; the page shows the first PAGE_ROWS, downloads all


# A table (and chart) on the page shows at most this many rows: the first ones in the figure's own
# order (the largest partners first), never a sum of other partners; a note says how many there are
# and the CSV/XLSX download has every row. Ten thousand partners' rows would make a page of megabytes
# that takes seconds to draw and that nobody reads.
PAGE_ROWS = 100


def _bounded_chart(chart: dict[str, Any], limit: int) -> dict[str, Any]:
    labels = chart.get("labels") or []
    if len(labels) <= limit:
        return chart
    datasets = [{**d, "values": list(d.get("values") or [])[:limit]} for d in chart.get("datasets") or []]
    return {**chart, "labels": list(labels)[:limit], "datasets": datasets}


def display_text(value: Any) -> str:
    """A cell as the page shows it: numbers with thousands separators (exact, never rounded),
    dates as YYYY-MM-DD, nothing as an em dash."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else str(value)
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal | float) and not isinstance(value, bool)


def _dom_id(key: str) -> str:
    return "figure-" + re.sub(r"[^A-Za-z0-9_-]+", "-", key)


def _has_chart(figure: Figure) -> bool:
    chart = figure.chart or {}
    datasets = chart.get("datasets") or []
    return bool(figure.rows) and bool(chart.get("labels")) and any(d.get("values") for d in datasets)


def figure_view(figure: Figure, *, export_url_name: str, querystring: str) -> FigureView:
    dom_id = _dom_id(figure.key)
    suffix = f"?{querystring}" if querystring else ""
    kind = {"bar": "Bar", "line": "Line", "doughnut": "Doughnut"}.get(str(figure.chart.get("type")), "")
    if len(figure.rows) > PAGE_ROWS or len(figure.chart.get("labels") or []) > PAGE_ROWS:
        figure = replace(figure, chart=_bounded_chart(figure.chart, PAGE_ROWS))
    return FigureView(
        figure=figure,
        dom_id=dom_id,
        chart_id=f"{dom_id}-data",
        has_chart=_has_chart(figure),
        rows=[[Cell(display_text(v), _is_number(v)) for v in row] for row in figure.rows[:PAGE_ROWS]],
        total_rows=len(figure.rows),
        csv_url=reverse(export_url_name, kwargs={"key": figure.key, "fmt": "csv"}) + suffix,
        xlsx_url=reverse(export_url_name, kwargs={"key": figure.key, "fmt": "xlsx"}) + suffix,
        chart_label=f"{kind} chart: {figure.title}. The table below it has the same figures.".strip(),
    )


def options_html(options: Iterable[tuple[str, str]], chosen: Iterable[str]) -> SafeString:
    """A filter's `<option>`s, escaped as the template would, written in one pass: the partner filter
    of a channel admin has one per partner (thousands), which a template loop takes ~100 ms to draw."""
    picked = set(chosen)
    return mark_safe(  # noqa: S308  (every value and label is escaped here)
        "".join(
            f'<option value="{html_escape(value)}"{" selected" if value in picked else ""}>{html_escape(text)}</option>'
            for value, text in options
        )
    )


def _selected(filters: AnalyticsFilters) -> dict[str, list[str]]:
    return {
        "country": list(filters.countries),
        "tier": [str(i) for i in filters.tier_ids],
        "type": list(filters.partner_types),
        "partner": [str(i) for i in filters.partner_ids],
        "category": [str(i) for i in filters.category_ids],
    }


def dashboard_context(request: HttpRequest, *, portal: str) -> dict[str, Any]:
    """The analytics page of a portal ("channel" or "partner"): filters (with a warning for those
    that could not be used), the section tabs, the figures of the chosen section(s) grouped by
    section, and the links that keep the filters (tabs, exports)."""
    user = request.user
    choices = scoped_choices(user)
    filters, problems = read_filters(request, choices)
    section = read_section(request, problems)
    if problems:
        messages.warning(request, problems_message(problems))
    board = selectors.dashboard(user, filters, section=section)
    querystring = filters_querystring(filters)
    page_url = reverse(f"{portal}:analytics")
    views = [
        figure_view(f, export_url_name=f"{portal}:analytics_export", querystring=querystring)
        for f in board.figures
    ]
    shown = [(key, label) for key, label in SECTIONS if section in (None, key)]
    groups = [(key, label, [v for v in views if v.figure.section == key]) for key, label in shown]
    tabs = [("", "All sections", f"{page_url}?{querystring}", section is None)] + [
        (key, label, f"{page_url}?{querystring}&section={key}", section == key) for key, label in SECTIONS
    ]
    return {
        "filters": filters,
        "choices": choices,
        "selected": _selected(filters),
        "option_html": {
            name: options_html(choices.get(name, []), chosen) for name, chosen in _selected(filters).items()
        },
        "presets": list(PERIOD_PRESETS.items()),
        "section": section,
        "section_label": dict(SECTIONS).get(section or "", ""),
        "tabs": tabs,
        "groups": groups,
        "figure_count": len(views),
        "has_charts": any(v.has_chart for v in views),
        "updated_at": board.updated_at,
        "page_url": page_url,
        "querystring": querystring,
    }


# --- Downloads -------------------------------------------------------------------------------------


def export_figure(request: HttpRequest, *, portal: str, key: str, fmt: str) -> HttpResponse:
    """One figure's table, with the page's filters, as CSV or XLSX. An unknown key (or one outside
    the user's figures) is 404; filters that cannot be used send the user back to the page, which
    says what to fix (a download never silently answers for other filters)."""
    if fmt not in EXPORT_FORMATS:
        raise Http404("No such format.")
    filters, problems = read_filters(request)
    if problems:  # the page reads the same filters and says what to fix
        return redirect(f"{reverse(f'{portal}:analytics')}?{request.GET.urlencode()}")
    figure = selectors.figure(request.user, filters, key)
    if figure is None:
        raise Http404("No such figure.")
    name = _FILENAME_UNSAFE.sub("-", f"{figure.key}-{filters.start:%Y-%m-%d}-{filters.end:%Y-%m-%d}")
    if fmt == "csv":
        response = HttpResponse(
            csv_bytes(figure.columns, figure.rows), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            xlsx_bytes(figure.title, figure.columns, figure.rows),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


def csv_text(value: Any) -> str:
    """A cell as the CSV holds it: exact numbers without separators, ISO dates, empty for nothing,
    and text a spreadsheet would run as a formula defused with a leading apostrophe."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return (timezone.localtime(value) if timezone.is_aware(value) else value).isoformat(
            timespec="seconds"
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, int | float):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The table as RFC 4180 CSV (UTF-8, CRLF line ends), the header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(c) for c in columns])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return out.getvalue().encode("utf-8")


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_CONTENT_TYPES = (
    _XML_HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    _XML_HEAD + f'<Relationships xmlns="{_PKG_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
# Cell styles: 0 normal, 1 bold (the header), 2 a date, 3 a date and time.
_STYLES = (
    _XML_HEAD + f'<styleSheet xmlns="{_NS}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_EPOCH = datetime(1899, 12, 30)  # day 0 of spreadsheet serial dates (the 1900 date system)


def column_letter(index: int) -> str:
    """A spreadsheet column's letters for a 0-based index: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def sheet_name(title: str) -> str:
    """A valid worksheet name: at most 31 characters, none of []:*?/\\."""
    name = re.sub(r"[\[\]:*?/\\\s]+", " ", _xml_safe(title)).strip().strip("'") or "Figure"
    return name[:31].rstrip()


def _xml_safe(text: str) -> str:
    """Text without the characters XML cannot carry."""
    return _XML_ILLEGAL.sub("", text)


def _xlsx_cell(ref: str, value: Any, *, bold: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, datetime):
        moment = timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
        serial = (moment - _EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="3"><v>{serial:.10f}</v></c>'
    if isinstance(value, date):
        return f'<c r="{ref}" s="2"><v>{(value - _EPOCH.date()).days}</v></c>'
    if isinstance(value, Decimal):
        return (
            f'<c r="{ref}"><v>{value:f}</v></c>' if value.is_finite() else _text_cell(ref, str(value), bold)
        )
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return _text_cell(ref, str(value), bold)


def _text_cell(ref: str, text: str, bold: bool) -> str:
    style = ' s="1"' if bold else ""
    body = escape(_xml_safe(text))
    return f'<c r="{ref}" t="inlineStr"{style}><is><t xml:space="preserve">{body}</t></is></c>'


def xlsx_bytes(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """The table as a one-sheet XLSX workbook: the header in bold and frozen, numbers as numbers
    (exact decimal text), dates as dates, text as inline strings."""
    lines = []
    for number, row in enumerate([list(columns), *rows], start=1):
        cells = "".join(
            _xlsx_cell(f"{column_letter(i)}{number}", value, bold=number == 1) for i, value in enumerate(row)
        )
        lines.append(f'<row r="{number}">{cells}</row>')
    sheet = (
        _XML_HEAD + f'<worksheet xmlns="{_NS}" xmlns:r="{_REL}">'
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        "</sheetView></sheetViews>"
        f"<sheetData>{''.join(lines)}</sheetData></worksheet>"
    )
    workbook = (
        _XML_HEAD + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
        f'<sheet name="{escape(sheet_name(title), {chr(34): "&quot;"})}" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()
