"""The shapes every analytics page, export and API answer share: filters, figures, dashboards.

Pure data and parsing; no database access here (the selectors fill the figures).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils import timezone

PERIOD_PRESETS: dict[str, str] = {
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "ytd": "This year",
    "12m": "Last 12 months",
    "last_year": "Last year",
}
DEFAULT_PRESET = "12m"
MAX_RANGE_DAYS = 5 * 366  # "a range over 5 years" is refused

SECTIONS: list[tuple[str, str]] = [
    ("sales", "Sales"),
    ("service", "Service"),
    ("marketing", "Marketing"),
    ("orders", "Orders"),
]


@dataclass(frozen=True)
class AnalyticsFilters:
    """What a dashboard is asked for: an inclusive date range plus optional dimension filters."""

    start: date  # inclusive
    end: date  # inclusive
    countries: tuple[str, ...] = ()
    region: str = ""
    tier_ids: tuple[int, ...] = ()
    partner_types: tuple[str, ...] = ()
    partner_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    preset: str = DEFAULT_PRESET  # the preset it came from, or "custom"


@dataclass
class Figure:
    """One chart and its table; cells are exact values (Decimal for money, never float)."""

    key: str
    section: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any]
    description: str = ""
    empty_message: str = "No data for these filters."


@dataclass
class Dashboard:
    """The figures of one or all sections, with the time the roll-ups were last refreshed."""

    figures: list[Figure]
    updated_at: datetime | None
    filters: AnalyticsFilters
    sections: list[tuple[str, str]] = field(default_factory=lambda: list(SECTIONS))


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive (start, end) of a period preset on `today`."""
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "90d":
        return today - timedelta(days=89), today
    if preset == "ytd":
        return date(today.year, 1, 1), today
    if preset == "last_year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    # "12m": the last twelve whole-or-current months, starting on the first of a month
    year, month = today.year, today.month - 11
    if month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1), today


def _getlist(params: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(params, "getlist", None)
    if callable(getlist):
        values = list(getlist(name))
    else:
        raw = params.get(name)
        if raw is None:
            values = []
        elif isinstance(raw, list | tuple):
            values = list(raw)
        else:
            values = [raw]
    out: list[str] = []
    for value in values:
        if value is None:
            continue
        for part in str(value).split(","):
            part = part.strip()
            if part:
                out.append(part)
    return out


def _first(params: Mapping[str, Any], name: str) -> str:
    values = _getlist(params, name)
    return values[0] if values else ""


def _ids(params: Mapping[str, Any], name: str, errors: dict[str, list[str]]) -> tuple[int, ...]:
    ids: list[int] = []
    for value in _getlist(params, name):
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number <= 0:
            errors.setdefault(name, []).append(f"“{value}” is not a valid id.")
            return ()
        if number not in ids:
            ids.append(number)
    return tuple(ids)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_filters(
    params: Mapping[str, Any], *, today: date | None = None
) -> tuple[AnalyticsFilters, dict[str, list[str]]]:
    """Filters from GET parameters; a bad value gives an error message and that param's default."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}

    preset = _first(params, "period")
    if preset and preset not in PERIOD_PRESETS and preset != "custom":
        errors["period"] = [f"Unknown period “{preset}”."]
        preset = ""
    start_raw, end_raw = _first(params, "start"), _first(params, "end")
    start_value = _parse_date(start_raw) if start_raw else None
    end_value = _parse_date(end_raw) if end_raw else None
    if start_raw and start_value is None:
        errors["start"] = ["Enter a valid start date (YYYY-MM-DD)."]
    if end_raw and end_value is None:
        errors["end"] = ["Enter a valid end date (YYYY-MM-DD)."]

    default_start, default_end = preset_range(DEFAULT_PRESET, today)
    if preset and preset != "custom":
        start, end = preset_range(preset, today)
    elif start_value is not None or end_value is not None:
        if start_value is not None and end_value is not None:
            start, end = start_value, end_value
        elif start_value is not None:
            start, end = start_value, max(today, start_value)
        else:
            assert end_value is not None
            start, end = end_value - (default_end - default_start), end_value
        preset = "custom"
        if end < start:
            errors["end"] = ["The end date must not be before the start date."]
            start, end, preset = default_start, default_end, DEFAULT_PRESET
        elif (end - start).days > MAX_RANGE_DAYS:
            errors["start"] = ["Choose a period of at most five years."]
            start, end, preset = default_start, default_end, DEFAULT_PRESET
    else:
        start, end, preset = default_start, default_end, DEFAULT_PRESET

    countries: list[str] = []
    for value in _getlist(params, "country"):
        code = value.upper()
        if len(code) != 2 or not code.isalpha():
            errors.setdefault("country", []).append(f"“{value}” is not a country code.")
            countries = []
            break
        if code not in countries:
            countries.append(code)

    region = _first(params, "region")
    if len(region) > 100:
        errors["region"] = ["The region is too long."]
        region = ""

    partner_types: list[str] = []
    for value in _getlist(params, "type"):
        if len(value) > 40 or not value.replace("_", "").replace("-", "").isalnum():
            errors.setdefault("type", []).append(f"“{value}” is not a partner type.")
            partner_types = []
            break
        if value not in partner_types:
            partner_types.append(value)

    filters = AnalyticsFilters(
        start=start,
        end=end,
        countries=tuple(countries),
        region=region,
        tier_ids=_ids(params, "tier", errors),
        partner_types=tuple(partner_types),
        partner_ids=_ids(params, "partner", errors),
        category_ids=_ids(params, "category", errors),
        preset=preset,
    )
    return filters, errors


def filters_querystring(filters: AnalyticsFilters) -> str:
    """The GET query string (without "?") that parses back to these filters."""
    pairs: list[tuple[str, str]] = []
    if filters.preset and filters.preset != "custom":
        pairs.append(("period", filters.preset))
    else:
        pairs.append(("start", filters.start.isoformat()))
        pairs.append(("end", filters.end.isoformat()))
    pairs += [("country", c) for c in filters.countries]
    if filters.region:
        pairs.append(("region", filters.region))
    pairs += [("tier", str(i)) for i in filters.tier_ids]
    pairs += [("type", t) for t in filters.partner_types]
    pairs += [("partner", str(i)) for i in filters.partner_ids]
    pairs += [("category", str(i)) for i in filters.category_ids]
    return urlencode(pairs)
