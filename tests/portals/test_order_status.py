"""The public order status page, /orders/status/<token>/: the customer follows an order by its secret
link; it shows the number, the status, the dated history, the expected delivery date, the tracking
reference and the seller's name, nothing else of the partner. An unknown link is 404; guessing is
rate-limited per client address (429); the page is not indexed and leaks no referrer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders import services
from orders.choices import OrderStatus
from portals import order_status
from tests.portals.orders_helpers import make_order, stock_catalogue
from tests.portals.test_partner_orders import unlabelled

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(world):
    return stock_catalogue(world)


def status_page(order) -> str:
    return reverse("order_status", args=[order.status_token])


def unknown(n: int = 0) -> str:
    return reverse("order_status", args=[f"x{n:03d}" + "A" * 40])


def test_the_link_in_the_orders_status_url_opens_the_page_without_login(world, catalogue, client):
    order = make_order(world, catalogue, "a", status=OrderStatus.SHIPPED, company="Acme Tools GmbH")
    assert order.status_url == f"/orders/status/{order.status_token}/"
    response = client.get(order.status_url)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (order.number, "Shipped", "Alpha Distribution", order.tracking_reference,
                 (timezone.localdate() + timedelta(days=7)).strftime("%-d %B %Y"),
                 "Order received", "Order accepted", "Order confirmed"):  # fmt: skip
        assert text in html, text
    history = response.context["order"].history
    assert [e.text for e in history] == ["Order received", "Order accepted", "Order confirmed", "Shipped"]
    assert [e.at for e in history] == [e.created_at for e in order.events.all()]


def test_nothing_else_of_the_partner_or_the_order_is_shown(world, catalogue, client):
    world.a.email, world.a.phone, world.a.address = "sales@alpha.example", "+49 89 555", "Alpha Allee 1"
    world.a.save()
    order = make_order(world, catalogue, "a", company="Secret Customer GmbH", email="jo@secret.example")
    rejected = services.order_reject(order=order, actor=world.pm_a, reason="Internal: credit limit reached")
    html = client.get(status_page(rejected)).content.decode()
    for secret in ("Secret Customer", "jo@secret.example", "Jo Buyer", "sales@alpha.example", "+49 89 555",
                   "Alpha Allee", "credit limit", world.pm_a.email, world.pm_a.display_name, "43.50",
                   "Cordless drill", catalogue.drill.sku, "Gold", "EUR"):  # fmt: skip
        assert secret not in html, secret
    assert "Cancelled" in html and "Order not accepted" in html


def test_the_page_is_not_indexed_not_cached_and_sends_no_referrer(world, catalogue, client):
    order = make_order(world, catalogue, "a")
    response = client.get(status_page(order))
    html = response.content.decode()
    assert response["Referrer-Policy"] == "no-referrer"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert '<meta name="referrer" content="no-referrer">' in html
    assert unlabelled(html) == []  # and it scales to a phone


def test_a_draft_is_being_prepared_and_a_logged_in_partner_sees_the_same(world, catalogue, login):
    order = make_order(world, catalogue, "a", status=OrderStatus.DRAFT)
    response = login(world.pm_c).get(status_page(order))
    assert response.status_code == 200 and "Being prepared" in response.content.decode()


def test_an_unknown_or_malformed_token_is_404(world, catalogue, client):
    order = make_order(world, catalogue, "a")
    for url in (unknown(), f"/orders/status/{order.status_token[:-1]}/", "/orders/status/short/",
                f"/orders/status/{order.status_token}x/", "/orders/status/%00%00/"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404, url
        assert response["Referrer-Policy"] == "no-referrer"
    assert "Order not found" in client.get(unknown(1)).content.decode()


def test_guessing_is_rate_limited_per_address_and_then_hides_hits_too(world, catalogue, client, settings):
    settings.ORDER_STATUS_MISSES_PER_HOUR = 5
    order = make_order(world, catalogue, "a")
    for n in range(5):
        assert client.get(unknown(n)).status_code == 404
    assert client.get(status_page(order)).status_code == 200  # hits do not count
    response = client.get(unknown(99))
    assert response.status_code == 429 and response["Retry-After"] == "3600"
    assert "Too many attempts" in response.content.decode()
    # blocked: a right token answers 429 as well, so a hit cannot be told from a miss
    assert client.get(status_page(order)).status_code == 429
    # another address is not affected
    assert client.get(status_page(order), REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.get(unknown(100), REMOTE_ADDR="198.51.100.7").status_code == 404


def test_the_default_limit_is_thirty_misses_an_hour(world, client):
    assert order_status.MISSES_PER_HOUR == 30
    codes = [client.get(unknown(n)).status_code for n in range(31)]
    assert codes == [404] * 30 + [429]


@pytest.mark.parametrize("events", [1, 20])
def test_query_count_does_not_grow_with_the_history(
    world, catalogue, client, django_assert_num_queries, events
):
    order = make_order(world, catalogue, "a", status=OrderStatus.DRAFT)
    for n in range(events - 1):
        services.order_update(order=order, actor=world.pm_a, notes=f"Note {n}")
    # the order with its seller (partner joined), its history
    with django_assert_num_queries(2):
        response = client.get(status_page(order))
    assert response.status_code == 200
    assert order.events.count() == events
