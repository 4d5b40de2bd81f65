"""The session basket (showroom.basket): quantities per product kept per showroom and purpose, limits,
and lines read from the partner's effective assortment with its price, stock and lead time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import PartnerCategory, PartnerProduct
from showroom.basket import MAX_LINES, MAX_QUANTITY, Basket, BasketError, parse_quantity
from tests.catalog.conftest import make_category, make_product


def test_add_set_remove_and_clear_keep_quantities_in_the_session():
    session: dict = {}
    basket = Basket.for_showroom(session, "alpine")
    assert basket.add(7) == 1
    assert basket.add(7, 4) == 5
    basket.add(3, 2)
    assert basket.quantities() == {7: 5, 3: 2}
    assert session["showroom:alpine"] == {"7": 5, "3": 2}  # JSON-serialisable
    basket.set(3, 10)
    assert basket.quantity(3) == 10
    basket.set(3, 0)
    assert basket.quantities() == {7: 5}
    basket.remove(7)
    assert not basket and "showroom:alpine" not in session
    basket.add(1)
    basket.clear()
    assert len(basket) == 0


def test_baskets_of_two_showrooms_and_of_oci_do_not_mix():
    session: dict = {}
    Basket.for_showroom(session, "alpine").add(1)
    Basket.for_showroom(session, "brook").add(2, 3)
    Basket.for_oci(session, "alpine").add(5)
    assert Basket.for_showroom(session, "alpine").quantities() == {1: 1}
    assert Basket.for_showroom(session, "brook").quantities() == {2: 3}
    assert Basket(session, key="oci:alpine").quantities() == {5: 1}


@pytest.mark.parametrize("bad", ["0", "-1", "1.5", "abc", "", None, "10000", "1e3", " ", "99999999"])
def test_a_bad_quantity_is_refused_with_a_message(bad):
    with pytest.raises(BasketError, match="whole number from 1 to 9999"):
        parse_quantity(bad)


def test_quantities_are_capped_per_line():
    basket = Basket({}, key="showroom:x")
    basket.add(1, MAX_QUANTITY - 1)
    with pytest.raises(BasketError, match="at most 9999"):
        basket.add(1, 2)
    assert basket.quantity(1) == MAX_QUANTITY - 1
    with pytest.raises(BasketError):
        basket.set(1, MAX_QUANTITY + 1)
    assert basket.quantity(1) == MAX_QUANTITY - 1


def test_the_number_of_lines_is_capped():
    basket = Basket({}, key="showroom:x")
    for pk in range(1, MAX_LINES + 1):
        basket.add(pk)
    with pytest.raises(BasketError, match="at most 100 products"):
        basket.add(MAX_LINES + 1)
    with pytest.raises(BasketError):
        basket.set(MAX_LINES + 1, 1)
    basket.add(1)  # an existing line still grows
    assert len(basket) == MAX_LINES and basket.quantity(1) == 2


def test_a_tampered_session_value_is_ignored():
    session = {"showroom:x": {"1": 2, "two": 3, "4": "many", "5": 0, "6": 10**6}}
    assert Basket(session, key="showroom:x").quantities() == {1: 2}
    assert Basket({"showroom:x": ["1"]}, key="showroom:x").quantities() == {}


def test_lines_carry_the_partners_price_stock_and_lead_time_and_drop_what_it_does_not_sell(
    world, django_assert_num_queries
):
    sensors = make_category("Sensors")
    other = make_category("Other")
    listed = make_product(sensors, sku="LIST-1", list_price=Decimal("10.00"))
    own = make_product(sensors, sku="OWN-1", list_price=Decimal("50.00"), price_unit=100)
    foreign = make_product(other, sku="FOREIGN-1")
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(
        partner=world.a, product=own, price=Decimal("40.00"), stock=12, lead_time_days=3
    )
    basket = Basket.for_showroom({}, "alpine")
    basket.add(own.pk, 250)
    basket.add(listed.pk, 3)
    basket.add(foreign.pk)
    # Queries: the category tree, the partner's chosen categories, the products.
    with django_assert_num_queries(3):
        contents = basket.lines(world.a.pk)
    assert [(line.product.sku, line.quantity) for line in contents.lines] == [("OWN-1", 250), ("LIST-1", 3)]
    first, second = contents.lines
    assert (first.price, first.stock, first.lead_time_days) == (Decimal("40.00"), 12, 3)
    assert first.line_total == Decimal("100.00")  # 250 × 40.00 per 100
    assert (second.price, second.stock, second.lead_time_days) == (Decimal("10.00"), None, None)
    assert second.line_total == Decimal("30.00")
    assert contents.total == Decimal("130.00")
    assert contents.totals == [("EUR", Decimal("130.00"))] and contents.currency == "EUR"
    assert contents.dropped == [foreign.pk]
    basket.forget(contents.dropped)
    assert basket.quantities() == {own.pk: 250, listed.pk: 3}
    assert basket.lines(world.b.pk).lines == []  # another partner sells none of them


def test_an_empty_basket_needs_no_query(django_assert_num_queries, db):
    with django_assert_num_queries(0):
        contents = Basket({}, key="showroom:x").lines(1)
    assert not contents and contents.total == Decimal("0.00") and contents.currency == ""
