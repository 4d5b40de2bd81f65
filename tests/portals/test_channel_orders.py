"""Orders in the channel portal: the list across the managed partners (search, status and partner
filters, keyset pages), the order page where the brand owner confirms (expected delivery date), ships
(tracking reference), delivers and cancels, and the totals per partner (table and chart). Out of scope
is 404, the partner portal's people get 403; bad input says what is wrong and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from orders import services
from orders.choices import OrderEventKind, OrderStatus
from orders.models import Order
from tests.factories import PartnerFactory
from tests.portals.orders_helpers import make_order, stock_catalogue
from tests.portals.test_partner_orders import followed_messages, messages_of, snapshot, unlabelled

pytestmark = pytest.mark.django_db

LIST = reverse("channel:order_list")
TOTALS = reverse("channel:order_totals")


@pytest.fixture
def catalogue(world):
    return stock_catalogue(world)


def detail(order) -> str:
    return reverse("channel:order_detail", args=[order.pk])


def action(name: str, order) -> str:
    return reverse(f"channel:order_{name}", args=[order.pk])


def in_a_week() -> str:
    return (timezone.localdate() + timedelta(days=7)).isoformat()


# --- Who may come in --------------------------------------------------------------------------------


def test_partner_people_get_403_and_visitors_the_login_page(world, catalogue, client, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.ACCEPTED)
    for url in (LIST, TOTALS, detail(order)):
        assert client.get(url).status_code == 302
    partner = login(world.pm_a)
    for url in (LIST, TOTALS, detail(order)):
        assert partner.get(url).status_code == 403
    assert partner.post(action("confirm", order), {"expected_delivery": in_a_week()}).status_code == 403


def test_a_partner_the_manager_does_not_manage_is_404(world, catalogue, login):
    order = make_order(world, catalogue, "c", status=OrderStatus.ACCEPTED)
    before = snapshot()
    client = login(world.cm_a)
    assert client.get(detail(order)).status_code == 404
    assert client.post(action("confirm", order), {"expected_delivery": in_a_week()}).status_code == 404
    assert client.post(action("cancel", order), {"reason": "x"}).status_code == 404
    assert snapshot() == before


# --- The list ---------------------------------------------------------------------------------------


def test_list_shows_the_managed_partners_orders_with_filters(world, catalogue, login):
    a = make_order(world, catalogue, "a", company="Alpha Buyer")
    b = make_order(world, catalogue, "b", company="Beta Buyer", status=OrderStatus.ACCEPTED)
    c = make_order(world, catalogue, "c", company="Gamma Buyer")
    client = login(world.cm_a)
    response = client.get(LIST)
    assert [o.pk for o in response.context["page"].items] == [b.pk, a.pk]
    html = response.content.decode()
    assert "Alpha Buyer" in html and "Beta Resale" in html and c.number not in html
    assert [o.pk for o in client.get(LIST, {"status": "accepted"}).context["page"].items] == [b.pk]
    assert [o.pk for o in client.get(LIST, {"partner": world.a.pk}).context["page"].items] == [a.pk]
    assert [o.pk for o in client.get(LIST, {"q": "beta buyer"}).context["page"].items] == [b.pk]
    assert [o.pk for o in client.get(LIST, {"q": b.number}).context["page"].items] == [b.pk]
    response = client.get(LIST, {"partner": world.c.pk})
    assert [o.pk for o in response.context["page"].items] == [b.pk, a.pk]
    assert any("not one of yours" in m for m in messages_of(response))
    response = client.get(LIST, {"partner": "abc", "status": "nope"})
    assert any("not understood" in m for m in messages_of(response))
    assert unlabelled(html) == []


def test_admin_sees_every_partners_orders_and_an_empty_state_without(world, catalogue, login):
    client = login(world.admin)
    assert "No orders yet" in client.get(LIST).content.decode()
    orders = [make_order(world, catalogue, key) for key in "abc"]
    assert {o.pk for o in client.get(LIST).context["page"].items} == {o.pk for o in orders}
    assert "No orders match these filters" in client.get(LIST, {"q": "zzz-nothing"}).content.decode()


@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_does_not_grow(world, catalogue, login, django_assert_num_queries, rows):
    for n in range(rows):
        make_order(world, catalogue, "a" if n % 2 else "b")
    client = login(world.cm_a)
    # session, user, actor, partner picker, the ids of the customers whose company matches, one page
    # of orders (partner, customer joined)
    with django_assert_num_queries(6):
        response = client.get(LIST, {"status": "submitted", "q": "Customer"})
    assert len(response.context["page"].items) == rows


# --- The order page and its actions -----------------------------------------------------------------


def test_order_page_shows_the_order_and_offers_confirm_for_an_accepted_one(world, catalogue, login):
    order = make_order(world, catalogue, "b", status=OrderStatus.ACCEPTED, company="Beta Buyer")
    response = login(world.cm_a).get(detail(order))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (order.number, "Beta Resale", "Beta Buyer", "Cordless drill", "45.50 EUR", "Accepted"):
        assert text in html, text
    assert set(response.context["forms"]) == {"confirm", "cancel"}
    assert order.status_token in html
    assert unlabelled(html) == []


def test_confirm_with_the_expected_delivery_date(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.ACCEPTED)
    client = login(world.cm_a)
    before = snapshot()
    for bad, error in (
        ("", "This field is required."),
        ("31.02.2030", "Enter a valid date."),
        (
            (timezone.localdate() - timedelta(days=1)).isoformat(),
            "The expected delivery cannot be in the past.",
        ),
    ):
        response = client.post(action("confirm", order), {"expected_delivery": bad})
        assert response.status_code == 400
        assert error in response.context["forms"]["confirm"].errors["expected_delivery"]
    assert snapshot() == before
    response = client.post(action("confirm", order), {"expected_delivery": in_a_week()})
    order.refresh_from_db()
    assert order.status == OrderStatus.CONFIRMED
    assert order.expected_delivery == timezone.localdate() + timedelta(days=7)
    assert order.events.last().actor == world.cm_a
    assert "is confirmed for delivery" in followed_messages(client, response)[0]


def test_ship_needs_the_tracking_reference_then_deliver(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.CONFIRMED)
    client = login(world.admin)
    assert set(client.get(detail(order)).context["forms"]) == {"ship", "cancel"}
    before = snapshot()
    response = client.post(action("ship", order), {"tracking_reference": "   "})
    assert response.status_code == 400
    assert response.context["forms"]["ship"].errors["tracking_reference"]
    assert snapshot() == before
    client.post(action("ship", order), {"tracking_reference": "DHL 0034 1234"})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED and order.tracking_reference == "DHL 0034 1234"
    page = client.get(detail(order))
    assert page.context["may"]["deliver"] and "cancel" not in page.context["forms"]
    response = client.post(action("deliver", order))
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert "is delivered" in followed_messages(client, response)[0]
    assert [e.kind for e in order.events.all()][-2:] == [OrderEventKind.SHIPPED, OrderEventKind.DELIVERED]


def test_cancel_needs_a_reason(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.CONFIRMED)
    client = login(world.cm_a)
    before = snapshot()
    response = client.post(action("cancel", order), {"reason": ""})
    assert response.status_code == 400 and snapshot() == before
    response = client.post(action("cancel", order), {"reason": "Discontinued by the factory"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED and order.reason == "Discontinued by the factory"
    assert "is cancelled" in followed_messages(client, response)[0]


def test_a_move_the_status_does_not_allow_is_a_message_and_changes_nothing(world, catalogue, login):
    submitted = make_order(world, catalogue, "a")
    delivered = make_order(world, catalogue, "a", status=OrderStatus.DELIVERED)
    client = login(world.admin)
    before = snapshot()
    for order, name, body in (
        (submitted, "confirm", {"expected_delivery": in_a_week()}),  # the partner accepts it first
        (submitted, "ship", {"tracking_reference": "X1"}),
        (submitted, "deliver", {}),
        (delivered, "cancel", {"reason": "Too late"}),
    ):
        response = client.post(action(name, order), body)
        assert "that is not possible now" in followed_messages(client, response)[0], name
    assert snapshot() == before
    for name in ("confirm", "ship", "deliver", "cancel"):
        assert client.get(action(name, submitted)).status_code == 405


@pytest.mark.parametrize("rows", [1, 20])
def test_order_page_query_count_does_not_grow(world, catalogue, login, django_assert_num_queries, rows):
    products = [catalogue.drill] + [
        Product.objects.create(category=catalogue.category, sku=f"EXTRA-{n}", name=f"Extra {n}",
                               short_description=f"Extra {n}", list_price=Decimal("1.00"))
        for n in range(rows - 1)
    ]  # fmt: skip
    order = make_order(world, catalogue, "b", status=OrderStatus.DRAFT, lines=[(p, 1) for p in products])
    for n in range(rows - 1):
        services.order_update(order=order, actor=world.pm_b, notes=f"Note {n}")
    client = login(world.cm_a)
    # session, user, actor, the order (partner, customer, contact, assignee, lead, creator joined), its
    # lines, its history (actors joined), whether cm_a manages B (B's parent A: one query)
    with django_assert_num_queries(7):
        response = client.get(detail(order))
    assert len(response.context["lines"]) == rows and len(response.context["history"]) == rows


# --- Totals per partner -----------------------------------------------------------------------------


def test_totals_per_partner_table_and_chart(world, catalogue, login):
    make_order(world, catalogue, "a")  # 2 × 9.00 + 25.50 = 43.50
    make_order(world, catalogue, "a", status=OrderStatus.DELIVERED)  # 43.50
    make_order(world, catalogue, "a", status=OrderStatus.DRAFT)  # counted, not valued
    make_order(world, catalogue, "b", status=OrderStatus.CANCELLED)  # counted, not open, not valued
    make_order(world, catalogue, "c")  # not cm_a's
    response = login(world.cm_a).get(TOTALS)
    assert response.status_code == 200
    rows = {row.partner_name: row for row in response.context["rows"]}
    assert set(rows) == {"Alpha Distribution", "Beta Resale"}
    alpha = rows["Alpha Distribution"]
    assert (alpha.count, alpha.open_count, alpha.totals) == (3, 2, [("EUR", Decimal("87.00"))])
    beta = rows["Beta Resale"]
    assert (beta.count, beta.open_count, beta.totals) == (1, 0, [])
    html = response.content.decode()
    assert "87.00 EUR" in html and "Gamma" not in html
    counts = json.loads(_script(html, "order-count-chart-data"))
    assert counts["labels"] == ["Alpha Distribution", "Beta Resale"] and counts["values"] == [3, 1]
    value = json.loads(_script(html, "order-value-chart-eur-data"))
    assert value["labels"] == ["Alpha Distribution"] and value["values"] == ["87.00"]
    assert 'data-chart="order-count-chart-data"' in html and "js/charts.js" in html


def _script(html: str, element_id: str) -> str:
    start = html.index(f'<script id="{element_id}" type="application/json">')
    start = html.index(">", start) + 1
    return html[start : html.index("</script>", start)]


def test_totals_empty_state(world, login):
    html = login(world.cm_c).get(TOTALS).content.decode()
    assert "No orders yet" in html and "charts.js" not in html


@pytest.mark.parametrize("partners", [1, 20])
def test_totals_query_count_does_not_grow(world, catalogue, login, django_assert_num_queries, partners):
    from catalog.models import PartnerCategory

    for n in range(partners):
        partner = PartnerFactory(name=f"Reseller {n:02d}", parent=world.a)
        PartnerCategory.objects.create(partner=partner, category=catalogue.category)
        services.order_create(
            partner=partner, actor=world.admin, origin="replenishment",
            customer_data={"company": f"Buyer {n}", "contact": "Jo"}, lines=[(catalogue.saw, 1)],
        )  # fmt: skip
    client = login(world.cm_a)
    # session, user, actor, the grouped totals
    with django_assert_num_queries(4):
        response = client.get(TOTALS)
    assert len(response.context["rows"]) == partners
    # then cached for a minute: the grouped totals are not summed again
    with django_assert_num_queries(3):
        client.get(TOTALS)
    assert Order.objects.count() == partners


def test_nav_has_orders(world, login):
    html = login(world.cm_a).get(reverse("channel:dashboard")).content.decode()
    assert f'href="{LIST}">Orders</a>' in html
