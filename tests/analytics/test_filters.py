"""analytics.figures.parse_filters: presets, custom ranges, repeatable ids, and bad values that give
a message and the default (never an exception); filters_querystring parses back to the same."""

from __future__ import annotations

from datetime import date

from django.http import QueryDict

from analytics.figures import AnalyticsFilters, filters_querystring, parse_filters

TODAY = date(2026, 11, 28)


def parse(qs: str):
    return parse_filters(QueryDict(qs), today=TODAY)


def test_default_is_the_last_twelve_months_from_the_first_of_a_month():
    filters, errors = parse("")
    assert errors == {}
    assert (filters.start, filters.end, filters.preset) == (date(2025, 12, 1), TODAY, "12m")


def test_presets():
    assert parse("period=30d")[0].start == date(2026, 10, 30)
    assert parse("period=90d")[0].start == date(2026, 8, 31)
    assert parse("period=ytd")[0].start == date(2026, 1, 1)
    last = parse("period=last_year")[0]
    assert (last.start, last.end) == (date(2025, 1, 1), date(2025, 12, 31))


def test_custom_range_and_repeatable_ids():
    filters, errors = parse(
        "start=2026-02-01&end=2026-03-31&country=de&country=AT&tier=2&tier=3&partner=7&category=4,5&type=reseller&region=Bavaria"
    )
    assert errors == {}
    assert filters == AnalyticsFilters(
        start=date(2026, 2, 1), end=date(2026, 3, 31), countries=("DE", "AT"), region="Bavaria", tier_ids=(2, 3),
        partner_types=("reseller",), partner_ids=(7,), category_ids=(4, 5), preset="custom",
    )  # fmt: skip


def test_bad_values_give_messages_and_defaults():
    filters, errors = parse("period=forever&tier=gold&partner=0&country=Germany&category=-1")
    assert set(errors) == {"period", "tier", "partner", "country", "category"}
    assert (
        filters.preset,
        filters.tier_ids,
        filters.partner_ids,
        filters.countries,
        filters.category_ids,
    ) == ("12m", (), (), (), ())
    filters, errors = parse("start=2026-05-01&end=2026-04-01")
    assert "end" in errors and filters.preset == "12m"
    filters, errors = parse("start=2019-01-01&end=2026-01-01")
    assert "start" in errors and filters.start == date(2025, 12, 1)
    filters, errors = parse("start=01.02.2026")
    assert "start" in errors


def test_querystring_round_trips():
    for qs in (
        "period=ytd&country=DE&tier=3",
        "start=2026-01-05&end=2026-02-06&partner=1&partner=2&category=9&type=distributor&region=North",
    ):
        filters, _ = parse(qs)
        assert parse(filters_querystring(filters))[0] == filters
