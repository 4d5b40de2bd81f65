"""orders.selectors: the status search an employee uses when a customer phones, the public lookup by
token, the channel's totals per partner, a customer's orders, and one order's page (404 out of scope)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.http import Http404

from orders import selectors, services
from orders.models import Order
from tests.factories import partner_user
from tests.orders.conftest import enter_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def placed(world, shop):
    first = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    second = enter_order(
        world.a,
        world.pe_a,
        [(shop.controller, 1)],
        customer_data={"company": "Omega Werke", "email": "jo@omega.example"},
    )
    other = enter_order(
        world.c, world.pm_c, [(shop.valve, 2)], customer_data={"company": "Kunde AG", "contact": "C"}
    )
    return {"first": first, "second": second, "other": other}


def numbers(qs):
    return {order.number for order in qs}


def test_search_by_number_prefix_digits_company_and_email(world, placed):
    first, second = placed["first"], placed["second"]
    assert numbers(selectors.order_search(world.pm_a, first.number.lower())) == {first.number}
    assert numbers(selectors.order_search(world.pm_a, str(second.pk))) == {second.number}
    assert numbers(selectors.order_search(world.pm_a, "SO-")) == {first.number, second.number}
    assert numbers(selectors.order_search(world.pm_a, "omega")) == {second.number}
    assert numbers(selectors.order_search(world.pm_a, "JO@OMEGA.EXAMPLE")) == {second.number}
    assert numbers(selectors.order_search(world.pm_a, "   ")) == set()
    # The same company at another partner stays out of A's search.
    assert numbers(selectors.order_search(world.pm_a, "kunde")) == {first.number}
    assert numbers(selectors.order_search(world.admin, "kunde")) == {first.number, placed["other"].number}


def test_an_employee_finds_only_their_own_and_unassigned_orders(world, shop, placed):
    colleague = partner_user(world.a, email="pe2@alpha.example")
    theirs = enter_order(world.a, colleague, [(shop.sensor, 1)])
    assert theirs.number not in numbers(selectors.order_search(world.pe_a, "SO-"))
    assert numbers(selectors.visible_orders(world.pe_a)) == {placed["first"].number, placed["second"].number}


def test_the_status_token_finds_its_order_and_nothing_else(placed):
    order = placed["first"]
    found = selectors.order_by_token(order.status_token)
    assert found == order and [e.kind for e in found.events.all()] == ["submitted"]
    assert (
        selectors.order_by_token(order.status_token[:-1] + ("A" if order.status_token[-1] != "A" else "B"))
        is None
    )
    for bad in ("", "short", "x" * 65, "../../etc/passwd", order.status_token + " ", None):
        assert selectors.order_by_token(bad) is None


def test_each_order_has_its_own_unguessable_token(placed):
    tokens = set(Order.objects.values_list("status_token", flat=True))
    assert len(tokens) == 3 and all(len(token) == 43 for token in tokens)


def test_totals_per_partner_count_ordered_value_per_currency(world, shop, placed, django_assert_num_queries):
    enter_order(world.a, world.pm_a, [(shop.pump_usd, 1)])
    services.order_cancel(order=enter_order(world.a, world.pm_a, [(shop.sensor, 10)]), actor=world.pm_a)
    enter_order(world.a, world.pm_a, [(shop.sensor, 3)], draft=True)
    with django_assert_num_queries(2):  # the actor, the grouped totals
        rows = selectors.order_totals_by_partner(world.cm_a)
    assert [(r.partner_name, r.count, r.open_count, r.totals) for r in rows] == [
        ("Alpha Distribution", 5, 4, [("EUR", Decimal("499.90")), ("USD", Decimal("99.00"))]),
    ]
    assert [r.partner_name for r in selectors.order_totals_by_partner(world.admin)] == [
        "Alpha Distribution",
        "Gamma Services",
    ]


def test_a_customers_orders_newest_first_and_scoped_with_a_user(world, shop, placed):
    customer = placed["first"].customer
    later = enter_order(world.a, world.pm_a, [(shop.sensor, 5)])
    assert list(selectors.customer_orders(customer)) == [later, placed["first"]]
    colleague = partner_user(world.a, email="pe3@alpha.example")
    enter_order(world.a, colleague, [(shop.sensor, 1)])
    assert len(selectors.customer_orders(customer)) == 3
    assert len(selectors.customer_orders(customer, world.pe_a)) == 2


def test_order_detail_is_404_out_of_scope(world, placed):
    order = selectors.order_detail(world.cm_a, placed["first"].pk)
    assert [line.sku for line in order.lines.all()] == ["IS-M12"]
    for user, pk in (
        (world.pm_c, placed["first"].pk),
        (world.cm_a, placed["other"].pk),
        (world.admin, 10**9),
    ):
        with pytest.raises(Http404):
            selectors.order_detail(user, pk)
        with pytest.raises(Order.DoesNotExist):
            selectors.order_detail(user, pk)


def test_status_counts(world, placed):
    assert selectors.order_status_counts(world.admin) == {"submitted": 3}
    assert selectors.order_status_counts(world.pm_c) == {"submitted": 1}
