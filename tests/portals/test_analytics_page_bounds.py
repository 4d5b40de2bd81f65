"""The analytics page draws at most PAGE_ROWS rows per table and chart (the largest first, as the figure
orders them; no row is summed into another) while the downloads keep every row; the filter bar's options
are written in one pass, escaped as the template would."""

from __future__ import annotations

from decimal import Decimal

from django.template import Context, Template

from analytics.figures import Figure
from portals.analytics_export import PAGE_ROWS, csv_bytes, figure_view, options_html


def _figure(rows: int) -> Figure:
    table = [[f"Partner {i:04d}", "EUR", rows - i, Decimal(rows - i) * 10] for i in range(rows)]
    return Figure(
        key="sales.won_by_partner",
        section="sales",
        title="Won revenue and pipeline by partner",
        columns=["Partner", "Currency", "Won deals", "Won revenue"],
        rows=table,
        chart={
            "type": "bar",
            "labels": [r[0] for r in table],
            "datasets": [{"label": "Won revenue (EUR)", "values": [str(r[3]) for r in table]}],
        },
    )


def test_a_long_table_shows_its_first_rows_and_downloads_all(db):
    figure = _figure(PAGE_ROWS + 150)

    view = figure_view(figure, export_url_name="channel:analytics_export", querystring="period=12m")

    assert view.total_rows == PAGE_ROWS + 150 and len(view.rows) == PAGE_ROWS
    assert [row[0].text for row in view.rows] == [r[0] for r in figure.rows[:PAGE_ROWS]]
    assert view.figure.chart["labels"] == [r[0] for r in figure.rows[:PAGE_ROWS]]
    assert view.figure.chart["datasets"][0]["values"] == [str(r[3]) for r in figure.rows[:PAGE_ROWS]]
    assert len(view.figure.rows) == PAGE_ROWS + 150  # the figure itself is complete
    assert len(figure.chart["labels"]) == PAGE_ROWS + 150  # and not changed in place
    assert csv_bytes(figure.columns, figure.rows).count(b"\n") == PAGE_ROWS + 151  # header + every row


def test_a_short_table_is_shown_whole(db):
    figure = _figure(7)

    view = figure_view(figure, export_url_name="channel:analytics_export", querystring="")

    assert view.total_rows == len(view.rows) == 7
    assert view.figure.chart is figure.chart


def test_options_are_escaped_like_the_template_and_mark_the_chosen():
    options = [("1", "Müller & Söhne"), ("2", '<b>"Quote"</b>'), ("3", "O'Brien")]
    looped = Template(
        '{% for value, text in options %}<option value="{{ value }}"{% if value in chosen %} selected{% endif %}>'
        "{{ text }}</option>{% endfor %}"
    ).render(Context({"options": options, "chosen": ["2"]}))

    assert options_html(options, ["2"]) == looped
    assert "<b>" not in options_html(options, [])
