"""The access matrix for analytics (issue 7): each persona × both dashboards, every figure's CSV and
XLSX download, and the API summary. Distributor A, its reseller B and independent C each have
distinctive money (won revenue, order value, MDF allocation; tests/portals/analytics_helpers.py), so
the tests can assert that a partner's numbers never reach someone outside its scope, not even inside
a total (every sum that includes a hidden partner is searched for).

Scope: channel admins see every partner, a channel manager the partners they manage and their
resellers (cm_a: A and B; cm_c: C), a partner manager their own partner and its resellers (pm_a: A
and B; pm_b: B; pm_c: C); partner employees get 403 on the dashboard, its downloads and the API
summary (a partner's totals are its managers' business). The wrong portal is 403, anonymous users
are sent to log in (API: 401)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import selectors
from analytics.figures import parse_filters
from core.services import api_token_create
from tests.portals.analytics_helpers import (
    ALLOCATION,
    ORDER_VALUE,
    WON,
    csv_rows,
    forbidden_strings,
    make_data,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
PARTNER_MANAGERS = {"pm_a", "pm_b", "pm_c"}
SEES = {
    "admin": {"a", "b", "c"},
    "cm_a": {"a", "b"},
    "cm_c": {"c"},
    "pm_a": {"a", "b"},
    "pe_a": set(),
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": set(),
    "anonymous": set(),
}
SUMMARY = "/api/v1/analytics/summary"


@pytest.fixture
def data(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    make_data(world)
    filters, _ = parse_filters({})
    return [f.key for f in selectors.dashboard(world.admin, filters).figures]


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def expected_status(persona: str, portal: str) -> int:
    if persona == "anonymous":
        return 302
    allowed = CHANNEL if portal == "channel" else PARTNER_MANAGERS
    return 200 if persona in allowed else 403


def hidden(persona: str) -> set[str]:
    return {"a", "b", "c"} - SEES[persona]


def leaked(text: str, persona: str) -> set[str]:
    return {s for s in forbidden_strings(hidden(persona)) if s in text}


def xlsx_text(content: bytes) -> str:
    return "\n".join(",".join(row) for row in xlsx_rows(content))


@pytest.mark.parametrize("portal", ["channel", "partner"])
@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_and_every_download(client, world, data, persona, portal):
    client = login(client, world, persona)
    status = expected_status(persona, portal)
    page = client.get(reverse(f"{portal}:analytics"))
    assert page.status_code == status
    if status == 302:
        assert page["Location"].startswith("/accounts/login/")
    seen = [page.content.decode()] if status == 200 else []
    for key in data:
        for fmt in ("csv", "xlsx"):
            response = client.get(reverse(f"{portal}:analytics_export", kwargs={"key": key, "fmt": fmt}))
            assert response.status_code == status, (key, fmt)
            if status == 200:
                if fmt == "csv":
                    assert csv_rows(response.content)[0]  # a header at least
                    seen.append(response.content.decode())
                else:
                    seen.append(xlsx_text(response.content))
    everything = "\n".join(seen)
    assert leaked(everything, persona) == set()
    if status == 200:
        # What the persona may see is there (so the search above could have found a leak).
        for key in SEES[persona]:
            assert f"{WON[key]:f}" in everything and f"{WON[key]:,f}" in everything, key
            assert f"{ORDER_VALUE[key]:f}" in everything, key
            assert f"{ALLOCATION[key]:f}" in everything, key


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_summary(client, world, data, persona):
    headers = {}
    if persona != "anonymous":
        token = api_token_create(user=getattr(world, persona), name="matrix")[1]
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    response = client.get(SUMMARY, **headers)
    if persona == "anonymous":
        assert response.status_code == 401
        return
    if persona.startswith("pe_"):
        assert response.status_code == 403
        assert leaked(response.content.decode(), persona) == set()
        return
    assert response.status_code == 200
    assert leaked(response.content.decode(), persona) == set()
    body = response.json()
    sees = SEES[persona]
    won = sum((Decimal(str(r["amount"])) for r in body["won_revenue"] if r["currency"] == "EUR"), Decimal(0))
    assert won == sum((WON[k] for k in sees), Decimal(0))
    revenue = sum((Decimal(str(r["amount"])) for r in body["orders"]["revenue"]), Decimal(0))
    assert revenue == sum((ORDER_VALUE[k] for k in sees), Decimal(0))
    allocated = sum((Decimal(str(r["amount"])) for r in body["mdf"]), Decimal(0))
    assert allocated == sum((ALLOCATION[k] for k in sees), Decimal(0))


def test_filters_cannot_widen_a_scope(client, world, data):
    """A partner manager asking for another partner by id, or by its country, gets neither its
    figures, nor its downloads, nor its numbers in the API summary."""
    token = api_token_create(user=world.pm_b, name="matrix")[1]
    for params in ({"partner": world.c.pk}, {"partner": world.a.pk}, {"country": world.c.country}):
        response = client.get(SUMMARY, params, HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 200
        assert leaked(response.content.decode(), "pm_b") == set()
    client = login(client, world, "pm_b")
    for params in ({"partner": world.c.pk}, {"partner": world.a.pk}, {"country": world.c.country}):
        page = client.get(reverse("partner:analytics"), params)
        assert page.status_code == 200
        assert leaked(page.content.decode(), "pm_b") == set()
        for key in data:
            response = client.get(
                reverse("partner:analytics_export", kwargs={"key": key, "fmt": "csv"}), params
            )
            assert response.status_code in (200, 302)
            assert leaked(response.content.decode(), "pm_b") == set()
