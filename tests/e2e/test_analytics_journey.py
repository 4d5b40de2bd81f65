"""The analytics journey of issue 7 in a real browser: a channel manager opens the channel dashboard,
sees the charts drawn, filters by a partner, opens a figure's table and downloads it as CSV, whose
rows are the table's; the distributor's manager opens the partner dashboard on a phone (charts
drawn, no sideways scrolling, every control labelled)."""

import csv
import io
import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from partners.choices import PartnerType, Role
from tests.e2e.helpers import log_in, log_out
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user
from tests.portals.analytics_helpers import WON, make_data

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"

# Every chart canvas was drawn by static/js/analytics.js and holds painted pixels.
CHARTS_DRAWN = """
() => {
  const canvases = [...document.querySelectorAll('canvas[data-analytics-chart]')];
  const painted = canvases.filter(c => {
    if (c.dataset.drawn !== 'true' || !c.width || !c.height) return false;
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] !== 0) return true; }
    return false;
  });
  return [canvases.length, painted.length];
}
"""
UNLABELLED_CONTROLS = """
() => [...document.querySelectorAll('main input, main select, main textarea')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 60))
"""


class _World:
    pass


def make_world():
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    silver = TierFactory(name="Silver", rank=2, routing_weight=2)
    world = _World()
    world.a = PartnerFactory(name="Alpha Distribution", slug="alpha", type=PartnerType.DISTRIBUTOR, tier=gold)
    world.b = PartnerFactory(name="Beta Resale", slug="beta", parent=world.a, tier=silver, country="AT")
    world.c = PartnerFactory(name="Gamma Services", slug="gamma", tier=silver, country="FR")
    world.admin = channel_user(Role.CHANNEL_ADMIN, email="admin@test.example", password=PASSWORD)
    world.cm_a = channel_user(Role.CHANNEL_MANAGER, email="cm.a@test.example", password=PASSWORD)
    world.a.managers.add(world.cm_a)
    world.pm_a = partner_user(world.a, Role.PARTNER_MANAGER, email="pm@alpha.example", password=PASSWORD)
    world.pm_b = partner_user(world.b, Role.PARTNER_MANAGER, email="pm@beta.example", password=PASSWORD)
    world.pm_c = partner_user(world.c, Role.PARTNER_MANAGER, email="pm@gamma.example", password=PASSWORD)
    return world


def assert_charts_drawn(page: Page) -> None:
    expect(page.locator("canvas[data-analytics-chart]").first).to_have_attribute("data-drawn", "true")
    total, painted = page.evaluate(CHARTS_DRAWN)
    assert total >= 3 and painted == total, (total, painted)


def normalised(cell: str) -> str:
    """The page writes thousands separators and an em dash for nothing; the CSV neither."""
    return cell.replace(",", "").replace("—", "").strip()


def test_channel_and_partner_dashboards_filter_and_download(page: Page, live_server, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    world = make_world()
    make_data(world)

    # 1. The channel manager of A opens the dashboard from the menu: charts drawn.
    page.set_viewport_size({"width": 1600, "height": 1000})  # the menu is expanded from 1400 px
    log_in(page, base, "cm.a@test.example", PASSWORD)
    page.goto(f"{base}/channel/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Analytics").click()
    expect(page).to_have_url(re.compile(r"/channel/analytics/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Channel analytics")
    expect(page.locator("main")).to_contain_text("Figures last updated")
    assert_charts_drawn(page)
    main = page.locator("main")
    expect(main).to_contain_text(f"{WON['a']:,f}")
    expect(main).to_contain_text(f"{WON['b']:,f}")
    assert f"{WON['c']:,f}" not in main.inner_text()

    # 2. Filter by the reseller: only its figures remain.
    page.get_by_label("Partner", exact=True).select_option(label="Beta Resale")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(rf"partner={world.b.pk}"))
    assert_charts_drawn(page)
    figure = page.locator('article[data-figure="sales.won_by_partner"]')
    expect(figure).to_contain_text("Won revenue and pipeline by partner")
    expect(figure.locator("table")).to_be_hidden()

    # 3. One click opens its table; its CSV download (with the filter) has the same rows.
    figure.locator("summary").click()
    table = figure.locator("table")
    expect(table).to_be_visible()
    header = [normalised(t) for t in table.locator("thead th").all_inner_texts()]
    rows = [
        [normalised(t) for t in row.locator("th, td").all_inner_texts()]
        for row in table.locator("tbody tr").all()
    ]
    assert rows and any(f"{WON['b']:f}" in row for row in rows)
    assert not any(f"{WON['a']:f}" in row for row in rows)
    with page.expect_download() as info:
        figure.get_by_role("link", name=re.compile(r"^CSV")).click()
    download = info.value
    assert download.suggested_filename.startswith("sales.won_by_partner-")
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as handle:
        exported = list(csv.reader(io.StringIO(handle.read())))
    assert exported[0] == header
    assert [[cell.replace(",", "") for cell in row] for row in exported[1:]] == rows
    log_out(page, base)

    # 4. The distributor's manager on a phone: its own and its reseller's figures, charts drawn.
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, base, "pm@alpha.example", PASSWORD)
    response = page.goto(f"{base}{reverse('partner:analytics')}")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_contain_text("Analytics")
    assert_charts_drawn(page)
    expect(page.locator("main")).to_contain_text(f"{WON['b']:,f}")
    assert f"{WON['c']:,f}" not in page.locator("main").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate(UNLABELLED_CONTROLS) == []
    # Custom dates: typing a date switches the period to "Custom dates".
    page.get_by_label("From", exact=True).fill("2020-01-01")
    expect(page.get_by_label("Period", exact=True)).to_have_value("custom")
    page.get_by_label("To", exact=True).fill("2020-12-31")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"period=custom"))
    expect(page.locator("main")).to_contain_text("No data for these filters.")
    assert page.locator("canvas[data-analytics-chart]").count() == 0
    log_out(page, base)
