""" "Place order" in a public showroom: beside "Send the request" on the quote page, the same contact
form turns the basket into a submitted order of the showroom's partner; the thank-you page shows the
order's number and status link. Rate-limited with the quote requests; bad input and bots store nothing.
And a quote request now records the basket's products as the lead's items."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import PartnerCategory, PartnerProduct
from leads.models import Lead, LeadItem
from orders.choices import OrderOrigin, OrderStatus
from orders.models import Order
from showroom import services
from tests.catalog.conftest import make_category, make_product

CUSTOMER = {
    "company": "Kunde AG",
    "contact_name": "Kim Kunde",
    "email": "kim@kunde.example",
    "phone": "+49 30 1234",
    "country": "DE",
    "city": "Potsdam",
    "message": "Gate 2, please.",
}


@pytest.fixture
def shop(world):
    sensors = make_category("Sensors", slug="sensors")
    plc = make_product(make_category("Controllers"), sku="PLC-1", name="Compact controller")
    sensor = make_product(sensors, sku="IS-M12", name="Inductive sensor M12", list_price=Decimal("49.90"))
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(partner=world.a, product=plc, price=Decimal("450.00"))
    services.showroom_update(
        partner=world.a, actor=world.admin, changes={"published": True, "title": "Alpha showroom"}
    )
    return {"plc": plc, "sensor": sensor}


def url(name, slug="alpha"):
    return reverse(f"showroom:{name}", args=[slug])


def fill_basket(client, shop):
    client.post(url("basket_add"), {"product": shop["plc"].pk, "quantity": "2"})
    client.post(url("basket_add"), {"product": shop["sensor"].pk, "quantity": "10"})


def test_the_quote_page_offers_place_order_beside_the_quote_request(shop, client):
    fill_basket(client, shop)
    page = client.get(url("quote")).content.decode()
    assert (
        '<button type="submit" name="action" value="quote" class="btn btn-primary">Send the request</button>'
        in page
    )
    assert (
        '<button type="submit" name="action" value="order" class="btn btn-outline-primary">Place order</button>'
        in page
    )
    assert "Request a quote or order" in client.get(url("basket")).content.decode()


def test_place_order_makes_a_submitted_order_and_shows_its_number_and_status_link(
    shop, world, client, django_capture_on_commit_callbacks, mailoutbox
):
    fill_basket(client, shop)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("quote"), CUSTOMER | {"action": "order"})
    assert response.status_code == 302 and response["Location"] == url("order_placed")
    order = Order.objects.get()
    assert (order.partner, order.status, order.origin, order.total, order.notes) == (
        world.a,
        OrderStatus.SUBMITTED,
        OrderOrigin.SHOWROOM,
        Decimal("1399.00"),
        "Gate 2, please.",
    )
    assert (order.customer.company, order.contact.email) == ("Kunde AG", "kim@kunde.example")
    assert not Lead.objects.exists()  # an order, not a quote request
    page = client.get(url("order_placed")).content.decode()
    link = f"http://testserver/orders/status/{order.status_token}/"
    assert order.number in page and f'<a href="{link}">' in page and "1399.00 EUR" in page
    assert "Your basket is empty." in client.get(url("basket")).content.decode()
    to_customer = next(m for m in mailoutbox if m.to == ["kim@kunde.example"])
    assert (
        to_customer.subject == f"Your order {order.number}: received"
        and order.status_token in to_customer.body
    )
    assert any(m.to == [world.pm_a.email] for m in mailoutbox)


def test_bad_details_store_nothing_and_say_why(shop, client):
    fill_basket(client, shop)
    response = client.post(url("quote"), CUSTOMER | {"email": "nope", "action": "order"})
    assert response.status_code == 200 and "Enter a valid email address." in response.content.decode()
    assert not Order.objects.exists()


def test_orders_and_quotes_share_the_hourly_limit(shop, client, settings):
    settings.SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR = 1
    fill_basket(client, shop)
    assert client.post(url("quote"), CUSTOMER | {"action": "order"}).status_code == 302
    fill_basket(client, shop)
    response = client.post(url("quote"), CUSTOMER | {"action": "order"})
    assert response.status_code == 429 and Order.objects.count() == 1
    assert client.post(url("quote"), CUSTOMER).status_code == 429 and not Lead.objects.exists()


def test_a_bot_placing_an_order_gets_the_thank_you_and_stores_nothing(shop, client):
    fill_basket(client, shop)
    response = client.post(url("quote"), CUSTOMER | {"action": "order", "fax_number": "123"})
    assert response.status_code == 302 and not Order.objects.exists()


def test_the_order_placed_page_without_an_order_leads_back_to_the_showroom(shop, client):
    response = client.get(url("order_placed"))
    assert response.status_code == 302 and response["Location"] == url("detail")


def test_a_quote_request_records_the_baskets_products_as_lead_items(shop, client):
    fill_basket(client, shop)
    assert client.post(url("quote"), CUSTOMER).status_code == 302
    lead = Lead.objects.get()
    items = LeadItem.objects.filter(lead=lead).order_by("id")
    assert [(item.product.sku, item.quantity) for item in items] == [("PLC-1", 2), ("IS-M12", 10)]
    assert list(lead.items.all()) == list(items)
