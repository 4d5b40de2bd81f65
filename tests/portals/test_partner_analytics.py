"""The partner portal's analytics dashboard (issue 7): a distributor's manager sees its own and its
resellers' figures, never another partner's; filters, section tabs, downloads whose rows are the
table's, empty states; employees get 403; the query count does not grow with the data."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from lxml import html

from analytics import selectors
from analytics.figures import parse_filters
from portals.analytics_export import csv_text
from tests.portals.analytics_helpers import (
    ORDER_VALUE,
    WON,
    csv_rows,
    forbidden_strings,
    make_data,
    orders,
    rebuild,
    won_leads,
    xlsx_rows,
)

pytestmark = pytest.mark.django_db

PAGE = reverse("partner:analytics")


def export_url(key: str, fmt: str, query: str = "") -> str:
    url = reverse("partner:analytics_export", kwargs={"key": key, "fmt": fmt})
    return f"{url}?{query}" if query else url


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def figures_of(user, **params):
    filters, errors = parse_filters(params)
    assert errors == {}
    return selectors.dashboard(user, filters).figures


def table_rows(content: str, key: str) -> list[list[str]]:
    article = html.fromstring(content).xpath(f'//article[@data-figure="{key}"]')[0]
    return [
        [cell.text_content().strip() for cell in tr.xpath("./th|./td")]
        for tr in article.xpath(".//table/tbody/tr")
    ]


def leaked(content: str, hidden: set[str]) -> set[str]:
    return {s for s in forbidden_strings(hidden) if s in content}


def test_distributor_manager_sees_own_and_resellers_figures_only(world, login):
    make_data(world)
    response = login(world.pm_a).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Analytics · OpenPCM</title>" in content
    assert response.context["breadcrumbs"] == [
        ("Partner portal", reverse("partner:home")),
        ("Analytics", None),
    ]
    assert "Figures last updated" in content
    assert "and those of your resellers" in content
    for key in ("a", "b"):
        assert f"{WON[key]:,f}" in content  # won revenue by partner
        assert f"{ORDER_VALUE[key]:,f}" in content  # order revenue by partner
    assert leaked(content, {"c"}) == set()
    options = set(html.fromstring(content).xpath('//select[@id="filter-partner"]/option/@value')) - {""}
    assert options == {str(world.a.pk), str(world.b.pk)}
    for figure in figures_of(world.pm_a):
        assert f'data-figure="{figure.key}"' in content


def test_reseller_manager_sees_only_its_own(world, login):
    make_data(world)
    content = login(world.pm_b).get(PAGE).content.decode()
    assert f"{WON['b']:,f}" in content
    assert leaked(content, {"a", "c"}) == set()
    assert "and those of your resellers" not in content


def test_filter_by_reseller_and_section(world, login):
    make_data(world)
    response = login(world.pm_a).get(PAGE, {"partner": world.b.pk, "section": "sales"})
    content = response.content.decode()
    assert messages_of(response) == []
    assert response.context["filters"].partner_ids == (world.b.pk,)
    assert f"{WON['b']:,f}" in content and f"{WON['a']:,f}" not in content
    assert 'id="section-sales"' in content and 'id="section-orders"' not in content
    assert "<title>Analytics · Sales · OpenPCM</title>" in content


def test_another_partner_in_the_filter_is_refused_and_not_shown(world, login):
    make_data(world)
    response = login(world.pm_a).get(PAGE, {"partner": world.c.pk, "tier": "999999"})
    [warning] = messages_of(response)
    assert "Partner:" in warning and "Tier:" in warning
    assert response.context["filters"].partner_ids == ()
    assert leaked(response.content.decode(), {"c"}) == set()
    # The download with that filter goes back to the page instead of answering.
    key = figures_of(world.pm_a)[0].key
    download = login(world.pm_a).get(export_url(key, "csv", f"partner={world.c.pk}"))
    assert download.status_code == 302 and download["Location"].startswith(PAGE + "?")


def test_bad_dates_warn_and_use_the_default_period(world, login):
    response = login(world.pm_a).get(PAGE, {"period": "custom", "start": "2026-02-30", "end": "soon"})
    [warning] = messages_of(response)
    assert "From:" in warning and "To:" in warning and "YYYY-MM-DD" in warning
    assert response.status_code == 200
    assert response.context["filters"].preset in ("12m", "custom")


def test_empty_dashboard_says_so(world, login):
    response = login(world.pm_c).get(PAGE)
    content = response.content.decode()
    assert response.status_code == 200
    assert "data-analytics-chart=" not in content
    for figure in figures_of(world.pm_c):
        assert not figure.rows and figure.empty_message in content


def test_csv_and_xlsx_rows_are_the_table_rows(world, login):
    make_data(world)
    client = login(world.pm_a)
    query = f"period=90d&partner={world.a.pk}&partner={world.b.pk}"
    content = client.get(f"{PAGE}?{query}").content.decode()
    filters, _ = parse_filters({"period": "90d", "partner": [str(world.a.pk), str(world.b.pk)]})
    checked = 0
    for figure in selectors.dashboard(world.pm_a, filters).figures:
        if not figure.rows:
            continue
        assert export_url(figure.key, "csv", query).replace("&", "&amp;") in content
        header, *rows = csv_rows(client.get(export_url(figure.key, "csv", query)).content)
        assert header == figure.columns
        assert rows == [[csv_text(v) for v in row] for row in figure.rows]
        shown = table_rows(content, figure.key)
        assert [[c.replace(",", "").replace("—", "") for c in r] for r in shown] == [
            [c.replace(",", "") for c in r] for r in rows
        ]
        sheet = xlsx_rows(client.get(export_url(figure.key, "xlsx", query)).content)
        assert sheet[0] == header and len(sheet) == len(rows) + 1
        checked += 1
    assert checked >= 3


def test_unknown_figure_is_404(world, login):
    assert login(world.pm_a).get(export_url("orders.secret", "csv")).status_code == 404


def test_employee_gets_403_and_no_menu_entry(world, login):
    client = login(world.pe_a)
    assert client.get(PAGE).status_code == 403
    assert client.get(export_url("sales.funnel", "csv")).status_code == 403
    home = client.get(reverse("partner:home")).content.decode()
    assert f'href="{PAGE}"' not in home


def test_manager_menu_links_to_analytics(world, login):
    home = login(world.pm_a).get(reverse("partner:home")).content.decode()
    assert f'href="{PAGE}">Analytics</a>' in home


def test_channel_staff_get_403(world, login):
    assert login(world.cm_a).get(PAGE).status_code == 403


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_leads_and_orders(world, login):
    """Queries: session, user, actor, the filter options, then the figures' roll-up and raw reads,
    a fixed number per figure; the same with 1 lead and order per partner as with 20."""
    shop, _ = make_data(world)
    client = login(world.pm_a)
    key = "orders.revenue_by_partner"
    one_page, one_export = _queries(client, PAGE), _queries(client, export_url(key, "csv"))
    for partner_key in ("a", "b"):
        won_leads(world, partner_key, 19, value=WON[partner_key])
        orders(world, shop, partner_key, 19)
    rebuild()
    cache.clear()
    assert _queries(client, PAGE) == one_page
    assert _queries(client, export_url(key, "csv")) == one_export
