"""The catalogue on a phone (375 px wide, real browser): a channel admin finds, creates and edits a
product, with nothing wider than the screen and a message after each action."""

import os
import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog import services
from catalog.models import Category, Product
from tests.catalog.conftest import png_bytes
from tests.factories import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# As in tests/e2e/conftest.py: Playwright's sync API runs an event loop in the test thread, and the
# browser is Debian's Chromium.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 375, "height": 740}


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
    }


def fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


def test_channel_admin_manages_the_catalogue_on_a_phone(page: Page, live_server, world, tmp_path):
    base = live_server.url
    sensors = Category.objects.create(name="Sensors", slug="sensors")
    pressure = Category.objects.create(name="Pressure sensors", slug="pressure-sensors", parent=sensors)
    services.product_create(
        actor=world.admin,
        fields={"sku": "KA-IS12-04FPN", "name": "Inductive proximity sensor M12, flush, 4 mm, PNP NO, M12 connector",
                "list_price": Decimal("48.90"), "category": sensors, "attributes": {"Sensing range": "4 mm"}},
    )  # fmt: skip
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("E-mail").fill("admin@test.example")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/channel/$"))

    page.goto(f"{base}/channel/catalog/")
    expect(page.locator("h1")).to_have_text("Catalogue")
    fits_the_screen(page)
    page.get_by_label("Search").fill("m12")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_text("short description shortened")).to_be_visible()
    fits_the_screen(page)

    page.get_by_role("link", name="New product").click()
    page.get_by_label("SKU").fill("KA-PT-0-10B")
    page.get_by_label(re.compile(r"^Name")).fill(
        "Pressure transmitter 0–10 bar, 4–20 mA, G1/4 process connection"
    )
    page.get_by_label("Category").select_option(str(pressure.pk))
    page.get_by_label("List price").fill("189")
    page.get_by_label("Attributes").fill("Measuring range: 0–10 bar")
    image = tmp_path / "transmitter.png"
    image.write_bytes(png_bytes(8, 8))
    page.get_by_label("Image").set_input_files(str(image))
    fits_the_screen(page)
    page.get_by_role("button", name="Create product").click()
    expect(page.get_by_text("Product KA-PT-0-10B created.")).to_be_visible()
    expect(page.get_by_text("Sensors › Pressure sensors")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("Pressure transmitter"))).to_be_visible()
    fits_the_screen(page)

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("List price").fill("-1")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 0.")).to_be_visible()
    fits_the_screen(page)
    assert Product.objects.get(sku="KA-PT-0-10B").list_price == Decimal("189.00")

    page.goto(f"{base}/channel/catalog/categories/")
    expect(page.get_by_role("cell", name=re.compile("Pressure sensors"))).to_be_visible()
    fits_the_screen(page)
    page.goto(f"{base}/channel/catalog/import/")
    fits_the_screen(page)
