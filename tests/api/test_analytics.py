"""GET /api/v1/analytics/summary: the caller's scope only, the same numbers the list endpoints give
when their rows are counted, filters as on the dashboards, 422 for bad parameters."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from analytics import rollups
from tests.analytics.test_exactness import build_data

SUMMARY = "/api/v1/analytics/summary"


def _all(client: Any, path: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every row of a list endpoint, page by page."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": 200, **(params or {})} | ({"cursor": cursor} if cursor else {})
        body = client.get(path, query).json()
        items += body["items"]
        cursor = body["next_cursor"]
        if not cursor:
            return items


def _wide() -> dict[str, str]:
    today = timezone.localdate()
    return {
        "start": (today - timedelta(days=1400)).isoformat(),
        "end": (today + timedelta(days=365)).isoformat(),
    }


@pytest.fixture
def data(world):
    built = build_data(world)
    rollups.rebuild_all()
    return built


def _money_by_currency(
    items: list[dict[str, Any]], amount: str, keep: Any = lambda i: True
) -> dict[str, Decimal]:
    out: dict[str, Decimal] = Counter()  # type: ignore[assignment]
    for item in items:
        if keep(item) and item[amount] is not None:
            out[item["currency"]] += Decimal(item[amount])
    return dict(out)


@pytest.mark.parametrize("persona", ["admin", "cm_a", "cm_c", "pm_a", "pm_b", "pm_c"])
def test_summary_equals_the_list_endpoints_counted(api, world, data, persona):
    client = api(getattr(world, persona))
    response = client.get(SUMMARY, _wide())
    assert response.status_code == 200, response.content
    body = response.json()

    leads = _all(client, "/api/v1/leads")
    assert {s: n for s, n in body["leads"]["by_status"].items() if n} == dict(
        Counter(i["status"] for i in leads)
    )
    assert body["leads"]["total"] == len(leads)
    won = _money_by_currency(leads, "won_value", lambda i: i["status"] == "won")
    assert {w["currency"]: Decimal(w["amount"]) for w in body["won_revenue"] if w["won_deals"]} == won

    orders = _all(client, "/api/v1/orders")
    assert {s: n for s, n in body["orders"]["by_status"].items() if n} == dict(
        Counter(i["status"] for i in orders)
    )
    assert {t["currency"]: Decimal(t["amount"]) for t in body["orders"]["totals"]} == _money_by_currency(
        orders, "total"
    )

    allocations = _all(client, "/api/v1/mdf/allocations")
    assert {m["currency"]: Decimal(m["amount"]) for m in body["mdf"]} == _money_by_currency(
        allocations, "allocated"
    )
    assert sum(m["allocations"] for m in body["mdf"]) == len(allocations)
    assert body["leads"]["total"] > 0 and body["orders"]["total"] > 0


def test_a_partner_filter_answers_what_the_filtered_lists_count(api, world, data):
    client = api(world.cm_a)
    body = client.get(SUMMARY, _wide() | {"partner": world.b.pk}).json()
    leads = _all(client, "/api/v1/leads", {"partner": world.b.pk})
    orders = _all(client, "/api/v1/orders", {"partner": world.b.pk})
    assert body["leads"]["total"] == len(leads) > 0
    assert body["orders"]["total"] == len(orders) > 0


def test_a_partner_never_sees_another_partners_numbers(api, world, data):
    # C's manager asks for A's numbers: nothing, not even in a total.
    body = api(world.pm_c).get(SUMMARY, _wide() | {"partner": world.a.pk}).json()
    assert body["leads"]["total"] == 0 and body["orders"]["total"] == 0
    assert body["won_revenue"] == [] and body["mdf"] == []
    # B (A's reseller) does not see its distributor's numbers.
    own = api(world.pm_b).get(SUMMARY, _wide()).json()
    everything_b = api(world.admin).get(SUMMARY, _wide() | {"partner": world.b.pk}).json()
    assert own["leads"] == everything_b["leads"] and own["orders"] == everything_b["orders"]


def test_the_period_narrows_the_counts(api, world, data):
    client = api(world.admin)
    wide = client.get(SUMMARY, _wide()).json()
    recent = client.get(SUMMARY, {"period": "30d"}).json()
    assert recent["leads"]["total"] < wide["leads"]["total"]
    assert recent["start"] == (timezone.localdate() - timedelta(days=29)).isoformat()


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"period": "forever"}, {"period"}),
        ({"start": "yesterday"}, {"start"}),
        ({"start": "2026-05-01", "end": "2026-04-01"}, {"end"}),
        ({"start": "2010-01-01", "end": "2026-01-01"}, {"start"}),
        ({"tier": "gold"}, {"tier"}),
        ({"partner": "-3"}, {"partner"}),
        ({"country": "Germany"}, {"country"}),
        ({"category": "1", "partner": "x"}, {"partner"}),
    ],
)
def test_bad_parameters_answer_422(api, world, params, fields):
    response = api(world.admin).get(SUMMARY, params)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == fields


def test_employees_get_403_and_strangers_401(api, world):
    assert api(world.pe_a).get(SUMMARY).status_code == 403
    assert api(None).get(SUMMARY).status_code == 401


def test_default_period_is_the_last_twelve_months(api, world):
    body = api(world.pm_a).get(SUMMARY).json()
    today = timezone.localdate()
    assert body["end"] == today.isoformat()
    assert body["start"].endswith("-01")
    assert body["leads"] == {"total": 0, "by_status": dict.fromkeys(body["leads"]["by_status"], 0)}
