"""The order journey of issue 6 in a real browser: a won lead becomes an order that the brand owner
ships and the customer follows by its status link. pm@alpine converts the lead on its page, submits
and accepts the order (on a phone), cm.north confirms it with an expected date and ships it with a
tracking reference, and the customer opens the status link without logging in."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from leads.choices import LeadStatus
from leads.models import LeadItem
from orders.choices import OrderOrigin, OrderStatus
from orders.models import Order
from partners.choices import PartnerType, Role
from tests.e2e.helpers import log_in, log_out
from tests.factories import LeadFactory, PartnerFactory, TierFactory, channel_user, partner_user

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "journey-Pass-2026!"
TRACKING = "DHL 00340434161094042557"


def test_won_lead_becomes_an_order_the_brand_owner_ships_and_the_customer_follows(
    page: Page, browser: Browser, live_server
):
    base = live_server.url
    gold = TierFactory(name="Gold", rank=3, routing_weight=4)
    alpine = PartnerFactory(
        name="Alpine Distribution GmbH", slug="alpine", type=PartnerType.DISTRIBUTOR, tier=gold
    )
    cm = channel_user(Role.CHANNEL_MANAGER, email="cm.north@openpcm.example", password=PASSWORD)
    alpine.managers.add(cm)
    partner_user(alpine, Role.PARTNER_MANAGER, email="pm@alpine.example", password=PASSWORD)
    # Alpine sells the heat pump category at list price, the buffer tank at its own price.
    pumps = Category.objects.create(name="Heat pumps", slug="heat-pumps")
    pump = Product.objects.create(
        category=pumps, sku="HP-12", name="Air-to-water heat pump 12 kW", short_description="Heat pump",
        list_price=Decimal("8400.00"),
    )  # fmt: skip
    tank = Product.objects.create(
        category=pumps, sku="BT-300", name="Buffer tank 300 l", short_description="Buffer tank",
        list_price=Decimal("1200.00"),
    )  # fmt: skip
    PartnerCategory.objects.create(partner=alpine, category=pumps)
    PartnerProduct.objects.create(partner=alpine, product=tank, price=Decimal("1100.00"))
    lead = LeadFactory(
        partner=alpine, status=LeadStatus.WON, company="Bergblick Hotel GmbH", contact_name="Hanna Berg",
        email="hanna@bergblick.example", city="Garmisch", accepted_at=timezone.now(),
        won_value=Decimal("36900.00"),
    )  # fmt: skip
    LeadItem.objects.create(lead=lead, product=pump, quantity=4)
    LeadItem.objects.create(lead=lead, product=tank, quantity=3)

    # 1. pm@alpine (on a phone) converts the won lead on its page, submits the draft and accepts it.
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, base, "pm@alpine.example", PASSWORD)
    page.goto(f"{base}/partner/leads/{lead.pk}/")
    page.get_by_role("button", name="Convert to order").click()
    expect(page.locator(".messages")).to_contain_text("is a draft from the lead Bergblick Hotel GmbH")
    order = Order.objects.get(lead=lead)
    assert (order.status, order.origin) == (OrderStatus.DRAFT, OrderOrigin.LEAD)
    expect(page.locator("h1")).to_contain_text(f"Order {order.number}")
    main = page.locator("main")
    expect(main).to_contain_text("HP-12")
    expect(main).to_contain_text("BT-300")
    expect(main).to_contain_text("36,900.00 EUR")  # 4 × 8,400.00 + 3 × 1,100.00 (Alpine's price)
    page.get_by_role("button", name="Submit the order").click()
    expect(page.locator(".messages")).to_contain_text(f"Order {order.number} is submitted")
    page.get_by_role("button", name=re.compile(r"^Accept")).click()
    expect(page.locator(".messages")).to_contain_text(f"You accepted order {order.number}")
    order.refresh_from_db()
    assert order.status == OrderStatus.ACCEPTED
    status_link = page.locator("#status-link").input_value()
    assert status_link == f"{base}/orders/status/{order.status_token}/"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    # The customer's page lists the order too.
    page.goto(f"{base}/partner/customers/{order.customer_id}/")
    orders = page.get_by_role("region", name="Orders")
    expect(orders.get_by_role("link", name=order.number)).to_be_visible()
    expect(orders).to_contain_text("Accepted")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    log_out(page, base)

    # 2. The channel manager confirms it with an expected date, then ships it with a tracking reference.
    page.set_viewport_size({"width": 1280, "height": 900})
    expected = timezone.localdate() + timedelta(days=10)
    log_in(page, base, "cm.north@openpcm.example", PASSWORD)
    page.goto(f"{base}/channel/orders/")
    page.get_by_role("link", name=order.number).click()
    expect(page.locator("main")).to_contain_text("Bergblick Hotel GmbH")
    page.get_by_label("Expected delivery").fill(expected.isoformat())
    page.get_by_role("button", name="Confirm", exact=True).click()
    expect(page.locator("main")).to_contain_text("Confirmed")
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED and order.expected_delivery == expected
    page.get_by_label("Tracking reference").fill(TRACKING)
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator("main")).to_contain_text("Shipped")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_reference == TRACKING
    log_out(page, base)

    # 3. The customer opens the status link in their own browser, not logged in.
    customer = browser.new_context()
    try:
        tab = customer.new_page()
        tab.goto(status_link)
        expect(tab.locator("h1")).to_contain_text(f"Order {order.number}")
        delivery = tab.get_by_role("region", name="Delivery")
        expect(delivery).to_contain_text("Shipped")
        expect(delivery).to_contain_text(TRACKING)
        expect(delivery).to_contain_text(expected.strftime("%-d %B %Y"))
        history = tab.get_by_role("region", name="History")
        for step in ("Order received", "Order accepted", "Order confirmed", "Shipped"):
            expect(history).to_contain_text(step)
        # Nothing else of the partner: no prices, no lines, no login.
        body = tab.locator("body")
        expect(body).not_to_contain_text("36,900")
        expect(body).not_to_contain_text("HP-12")
        expect(tab.get_by_role("link", name="Log out")).to_have_count(0)
    finally:
        customer.close()
