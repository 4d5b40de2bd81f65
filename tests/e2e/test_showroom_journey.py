"""The showroom journey of issue 4 in a real browser: a customer on a phone browses alpine's showroom, adds
a product to the basket, requests a quote, and pm@alpine finds the lead in the inbox with its products."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from leads.choices import LeadSource, LeadStatus
from leads.models import Lead
from partners.choices import PartnerType, Role
from showroom import services
from tests.e2e.helpers import log_in
from tests.factories import PartnerFactory, TierFactory, channel_user, partner_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"


def test_browse_add_to_basket_request_a_quote_and_the_partner_finds_it(page: Page, live_server):
    base = live_server.url
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold, country="DE"
    )
    partner_user(alpine, Role.PARTNER_MANAGER, email="pm@alpine.example", password=PASSWORD)
    admin = channel_user(Role.CHANNEL_ADMIN, email="admin@openpcm.example", password=PASSWORD)
    sensors = Category.objects.create(name="Sensors", slug="sensors")
    inductive = Category.objects.create(name="Inductive sensors", slug="inductive-sensors", parent=sensors)
    Product.objects.create(
        sku="IPS-M12-PNP",
        name="Inductive proximity sensor M12",
        list_price=Decimal("49.90"),
        category=inductive,
    )
    Product.objects.create(
        sku="PT-10BAR", name="Pressure transmitter 10 bar", list_price=Decimal("189.00"), category=sensors
    )
    PartnerCategory.objects.create(partner=alpine, category=sensors)
    PartnerProduct.objects.create(
        partner=alpine,
        product=Product.objects.get(sku="IPS-M12-PNP"),
        price=Decimal("44.50"),
        stock=120,
        lead_time_days=2,
    )
    services.showroom_update(
        partner=alpine,
        actor=admin,
        changes={"published": True, "title": "Alpine sensor shop", "brand_colour": "#1f6f43"},
    )

    # 1. A customer on a phone, arriving from a campaign link, browses the showroom down to a product.
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{base}/showroom/alpine/?campaign=SPRING-26")
    expect(page).to_have_title("Alpine sensor shop")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Sensors", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sensors")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Inductive proximity sensor M12").click()
    expect(page.locator("#product-price")).to_have_text("44.50 EUR")
    expect(page.locator("#product-availability")).to_contain_text("In stock: 120")
    expect(page.locator("#product-availability")).to_contain_text("Lead time: 2 days")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # 2. Adds three to the basket and asks for a quote.
    page.get_by_label("Quantity").fill("3")
    page.get_by_role("button", name="Add to basket").click()
    expect(page.locator("main")).to_contain_text("3 in your basket")
    page.get_by_role("link", name=re.compile(r"^Basket")).click()
    expect(page.locator("main")).to_contain_text("133.50 EUR")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("link", name="Request a quote").click()
    page.get_by_label("Company").fill("Bergblick Hotel GmbH")
    page.get_by_label("Your name").fill("Hanna Berg")
    page.get_by_label("E-mail").fill("hanna@bergblick.example")
    page.get_by_label("City").fill("Garmisch")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    lead = Lead.objects.get(company="Bergblick Hotel GmbH")
    assert (lead.source, lead.status, lead.partner_id) == (
        LeadSource.SHOWROOM,
        LeadStatus.DISPATCHED,
        alpine.pk,
    )
    assert lead.campaign_code == "SPRING-26" and lead.estimated_value == Decimal("133.50")

    # 3. pm@alpine finds the lead in the inbox, with its products.
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/leads/")
    page.get_by_role("link", name="Bergblick Hotel GmbH").first.click()
    expect(page.locator("main")).to_contain_text("3 × IPS-M12-PNP Inductive proximity sensor M12 @ 44.50 EUR")
    expect(page.locator("main")).to_contain_text("Requested in Alpine Distribution GmbH's showroom.")
