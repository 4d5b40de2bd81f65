"""The channel portal's analytics dashboard (issue 7): every figure as a chart with its table and
downloads, the filter bar (and what it says about filters it cannot use), section tabs, the
CSV and XLSX downloads (their rows are the table's), empty states, and a query count that does not
grow with the data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from lxml import html

from analytics import selectors
from analytics.figures import SECTIONS, parse_filters
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

PAGE = reverse("channel:analytics")


def export_url(key: str, fmt: str, query: str = "") -> str:
    url = reverse("channel:analytics_export", kwargs={"key": key, "fmt": fmt})
    return f"{url}?{query}" if query else url


def escaped(url: str) -> str:
    return url.replace("&", "&amp;")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def default_figures(user, **params):
    filters, errors = parse_filters(params)
    assert errors == {}
    return selectors.dashboard(user, filters).figures


def page_table(content: str, key: str) -> tuple[list[str], list[list[str]]]:
    """A figure's table on the page: the header, and each row's cells as the page shows them."""
    doc = html.fromstring(content)
    article = doc.xpath(f'//article[@data-figure="{key}"]')[0]
    header = [th.text_content().strip() for th in article.xpath(".//table/thead/tr/th")]
    rows = [
        [cell.text_content().strip() for cell in tr.xpath("./th|./td")]
        for tr in article.xpath(".//table/tbody/tr")
    ]
    return header, rows


def partner_options(content: str) -> set[str]:
    return set(html.fromstring(content).xpath('//select[@id="filter-partner"]/option/@value')) - {""}


def same_cell(shown: str, exported: str) -> bool:
    """The page writes numbers with thousands separators and nothing as an em dash."""
    return shown.replace(",", "").replace("—", "") == exported.lstrip("'").replace(",", "")


def test_dashboard_draws_each_figure_with_its_table_and_downloads(world, login):
    make_data(world)
    figures = default_figures(world.admin)
    assert {f.section for f in figures} <= {key for key, _ in SECTIONS}
    assert any(f.rows for f in figures), "the data set fills at least one figure"
    response = login(world.admin).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "<title>Channel analytics · OpenPCM</title>" in content
    assert response.context["breadcrumbs"] == [("Channel", reverse("channel:dashboard")), ("Analytics", None)]
    assert "Figures last updated" in content
    assert 'src="/static/js/analytics.js"' in content or "js/analytics.js" in content
    assert "<script>" not in content.replace('<script type="application/json"', "")  # no inline code
    for label in ("Sales", "Service", "Marketing", "Orders"):
        assert f'id="section-{label.lower()}-heading">{label}</h2>' in content
    for figure in figures:
        assert f'data-figure="{figure.key}"' in content
        assert figure.title in content
        if figure.rows:
            assert export_url(figure.key, "csv", "period=12m") in content
            assert export_url(figure.key, "xlsx", "period=12m") in content
            header, rows = page_table(content, figure.key)
            assert header == figure.columns
            assert len(rows) == len(figure.rows)
        else:
            assert figure.empty_message in content
    charted = [f for f in figures if f.rows and f.chart.get("datasets")]
    assert charted and content.count("data-analytics-chart=") == len(charted)


def test_table_cells_are_the_exact_figures(world, login):
    make_data(world)
    response = login(world.admin).get(PAGE)
    content = response.content.decode()
    for figure in default_figures(world.admin):
        if not figure.rows:
            continue
        _, rows = page_table(content, figure.key)
        for shown, exact in zip(rows, figure.rows, strict=True):
            assert all(same_cell(s, csv_text(v)) for s, v in zip(shown, exact, strict=True)), figure.key
    # Partner C's won revenue is on an admin's page, with its thousands separator.
    assert f"{WON['c']:,f}" in content


def test_nothing_yet_says_so(world, login):
    response = login(world.admin).get(PAGE)
    assert response.status_code == 200
    content = response.content.decode()
    if response.context["updated_at"] is None:
        assert "have not been computed yet" in content
    assert "data-analytics-chart=" not in content
    assert 'src="/static/vendor/chart.umd.min.js"' not in content
    for figure in default_figures(world.admin):
        assert not figure.rows
        assert figure.empty_message in content


def test_partner_filter_narrows_the_figures_and_the_downloads(world, login):
    make_data(world)
    client = login(world.admin)
    response = client.get(PAGE, {"partner": world.a.pk})
    content = response.content.decode()
    assert messages_of(response) == []
    assert response.context["filters"].partner_ids == (world.a.pk,)
    assert f'<option value="{world.a.pk}" selected>' in content
    assert not {s for s in forbidden_strings({"c"}) if s in content}
    query = f"period=12m&partner={world.a.pk}"
    for figure in default_figures(world.admin, partner=str(world.a.pk)):
        if figure.rows:
            assert escaped(export_url(figure.key, "csv", query)) in content
            body = client.get(export_url(figure.key, "csv", query)).content.decode()
            assert not {s for s in forbidden_strings({"c"}) if s in body}, figure.key


def test_period_preset_and_custom_dates(world, login):
    make_data(world)
    client = login(world.admin)
    response = client.get(PAGE, {"period": "30d"})
    assert response.context["filters"].preset == "30d"
    assert '<option value="30d" selected>' in response.content.decode()
    # A custom range before the data existed: every figure is empty.
    start = timezone.localdate() - timedelta(days=400)
    end = timezone.localdate() - timedelta(days=380)
    response = client.get(PAGE, {"period": "custom", "start": start.isoformat(), "end": end.isoformat()})
    content = response.content.decode()
    assert messages_of(response) == []
    assert response.context["filters"].preset == "custom"
    assert f'value="{start.isoformat()}"' in content and f'value="{end.isoformat()}"' in content
    assert f"{WON['c']:,f}" not in content
    assert "data-analytics-chart=" not in content


def test_bad_filters_name_what_to_fix_and_use_the_defaults(world, login):
    make_data(world)
    response = login(world.admin).get(
        PAGE, {"period": "forever", "partner": "abc", "country": "Germany", "section": "finance"}
    )
    assert response.status_code == 200
    [warning] = messages_of(response)
    for label in ("Period:", "Partner:", "Country:", "Section:"):
        assert label in warning
    assert "“forever”" in warning
    filters = response.context["filters"]
    assert (filters.preset, filters.partner_ids, filters.countries) == ("12m", (), ())
    assert response.context["section"] is None
    assert f"{WON['c']:,f}" in response.content.decode()


def test_end_before_start_is_refused(world, login):
    response = login(world.admin).get(PAGE, {"start": "2026-05-01", "end": "2026-04-01"})
    [warning] = messages_of(response)
    assert "To:" in warning and "before the start" in warning
    assert response.context["filters"].preset == "12m"


def test_a_partner_outside_the_managers_scope_is_not_a_choice(world, login):
    make_data(world)
    response = login(world.cm_a).get(PAGE, {"partner": world.c.pk})
    [warning] = messages_of(response)
    assert "Partner:" in warning and "not a partner you can choose" in warning
    assert response.context["filters"].partner_ids == ()
    content = response.content.decode()
    assert not {s for s in forbidden_strings({"c"}) if s in content}
    assert partner_options(content) == {str(world.a.pk), str(world.b.pk)}


def test_section_tab_shows_only_that_section(world, login):
    make_data(world)
    response = login(world.admin).get(PAGE, {"section": "sales", "period": "90d"})
    content = response.content.decode()
    assert response.context["section"] == "sales"
    assert "<title>Channel analytics · Sales · OpenPCM</title>" in content
    assert 'id="section-sales"' in content and 'id="section-orders"' not in content
    assert '<input type="hidden" name="section" value="sales">' in content
    assert 'aria-current="page" href="/channel/analytics/?period=90d&amp;section=sales"' in content
    for figure in response.context["groups"][0][2]:
        assert figure.figure.section == "sales"


def test_csv_rows_are_the_table_rows_and_keep_the_filters(world, login):
    make_data(world)
    client = login(world.admin)
    response = client.get(PAGE, {"period": "ytd"})
    content = response.content.decode()
    exported = 0
    for figure in default_figures(world.admin, period="ytd"):
        if not figure.rows:
            continue
        download = client.get(export_url(figure.key, "csv", "period=ytd"))
        assert download.status_code == 200
        assert download["Content-Type"] == "text/csv; charset=utf-8"
        start = response.context["filters"].start
        assert download["Content-Disposition"] == (
            f'attachment; filename="{figure.key}-{start:%Y-%m-%d}-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        header, *rows = csv_rows(download.content)
        page_header, page_rows = page_table(content, figure.key)
        assert header == page_header == figure.columns
        assert len(rows) == len(page_rows) == len(figure.rows)
        for csv_row, page_row, exact in zip(rows, page_rows, figure.rows, strict=True):
            assert csv_row == [csv_text(v) for v in exact]
            assert all(same_cell(s, c) for s, c in zip(page_row, csv_row, strict=True)), figure.key
        exported += 1
    assert exported


def test_xlsx_opens_with_the_same_rows(world, login):
    make_data(world)
    client = login(world.admin)
    figure = next(f for f in default_figures(world.admin) if f.rows)
    download = client.get(export_url(figure.key, "xlsx", "period=12m"))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"].endswith('.xlsx"')
    rows = xlsx_rows(download.content)
    csv_download = csv_rows(client.get(export_url(figure.key, "csv", "period=12m")).content)
    assert rows[0] == csv_download[0]
    assert len(rows) == len(csv_download)
    for sheet_row, csv_row in zip(rows[1:], csv_download[1:], strict=True):
        padded = sheet_row + [""] * (len(csv_row) - len(sheet_row))
        for sheet_cell, csv_cell in zip(padded, csv_row, strict=True):
            # Dates are serial numbers in a workbook; everything else is the same text.
            assert sheet_cell == csv_cell.lstrip("'") or (csv_cell.count("-") == 2 and sheet_cell.isdigit())


def test_unknown_figure_or_format_is_404(world, login):
    client = login(world.admin)
    assert client.get(export_url("sales.nothing_like_this", "csv")).status_code == 404
    assert client.get(export_url("sales.nothing_like_this", "xlsx")).status_code == 404
    assert client.get(f"{PAGE}export/sales.funnel.pdf").status_code == 404


def test_download_with_bad_filters_goes_back_to_the_page(world, login):
    make_data(world)
    client = login(world.admin)
    key = default_figures(world.admin)[0].key
    response = client.get(export_url(key, "csv", "period=forever&partner=x"), follow=True)
    assert response.redirect_chain[0][0].startswith(PAGE + "?")
    [warning] = messages_of(response)
    assert "Period:" in warning and "Partner:" in warning


def test_post_is_not_allowed(world, login):
    assert login(world.admin).post(PAGE).status_code == 405


def test_navigation_links_to_analytics(world, login):
    content = login(world.cm_a).get(reverse("channel:dashboard")).content.decode()
    assert f'href="{PAGE}">Analytics</a>' in content
    page = login(world.cm_a).get(PAGE).content.decode()
    assert f'class="nav-link active" aria-current="page" href="{PAGE}">Analytics</a>' in page


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(PAGE).status_code == 200
    return len(queries)


def _export_queries(client, key: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(export_url(key, "csv")).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_leads_and_orders(world, login):
    """Queries: session, user, actor, the filter options, then the figures' roll-up reads, a fixed
    number per figure; the same with 1 lead and order per partner as with 20."""
    shop, _ = make_data(world, leads=1, order_count=1)
    client = login(world.cm_a)
    key = next(f.key for f in default_figures(world.cm_a) if f.rows)
    one_page, one_export = _page_queries(client), _export_queries(client, key)
    for partner_key in ("a", "b", "c"):
        won_leads(world, partner_key, 19, value=ORDER_VALUE[partner_key])
        orders(world, shop, partner_key, 19)
    rebuild()
    from django.core.cache import cache

    cache.clear()
    assert _page_queries(client) == one_page
    assert _export_queries(client, key) == one_export
