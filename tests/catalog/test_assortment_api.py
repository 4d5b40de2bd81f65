"""GET and PUT /api/v1/partners/{id}/assortment: the effective assortment in keyset pages with the
chosen categories; the whole selection replaced; 422 in the API's shape, 403 for readers, 404 out of
view; a flat query count."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from catalog import assortment as services
from catalog.models import PartnerCategory, PartnerProduct
from core.services import api_token_create
from tests.catalog.conftest import make_category, make_product

pytestmark = pytest.mark.django_db


def url(partner) -> str:
    return f"/api/v1/partners/{partner.pk}/assortment"


@pytest.fixture
def call(client, world):
    """call(persona, method, path, body=None, params=None) with that persona's bearer token."""

    def _call(persona, method, path, body=None, params=None):
        token = api_token_create(user=getattr(world, persona), name="t")[1]
        headers = {"Authorization": f"Bearer {token}"}
        if method == "get":
            return client.get(path, params or {}, headers=headers)
        return client.put(path, json.dumps(body), content_type="application/json", headers=headers)

    return _call


def test_get_lists_the_effective_assortment_with_settings_and_categories(world, call):
    sensors = make_category("Sensors")
    own = make_product(sensors, sku="S-1", name="A sensor", list_price=Decimal("50.00"))
    make_product(sensors, sku="S-2", name="B sensor", list_price=Decimal("20.00"))
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[sensors.pk])
    services.assortment_product_update(
        actor=world.pm_a,
        partner=world.a,
        product=own,
        settings={"price": "45.00", "stock": 3, "lead_time_days": 2},
    )
    response = call("pe_a", "get", url(world.a))
    assert response.status_code == 200
    data = response.json()
    assert data["categories"] == [sensors.pk] and data["next_cursor"] is None
    first, second = data["items"]
    assert first == {
        "product": own.pk, "sku": "S-1", "name": "A sensor", "category": sensors.pk, "currency": "EUR",
        "list_price": "50.00", "price": "45.00", "effective_price": "45.00", "stock": 3, "lead_time_days": 2,
        "chosen": True,
    }  # fmt: skip
    assert (second["sku"], second["price"], second["effective_price"], second["chosen"]) == (
        "S-2", None, "20.00", False,
    )  # fmt: skip


def test_get_pages_by_keyset(world, call):
    category = make_category()
    for n in range(5):
        make_product(category, name=f"Item {n}")
    services.assortment_set_categories(actor=world.admin, partner=world.a, category_ids=[category.pk])
    first = call("pm_a", "get", url(world.a), params={"limit": 2}).json()
    second = call("pm_a", "get", url(world.a), params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [i["name"] for i in first["items"] + second["items"]] == ["Item 0", "Item 1", "Item 2", "Item 3"]
    bad = call("pm_a", "get", url(world.a), params={"cursor": "nonsense"})
    assert bad.status_code == 422 and "cursor" in bad.json()["errors"]


def test_put_replaces_the_selection(world, call):
    category = make_category()
    kept, dropped = make_product(make_category(), sku="K-1"), make_product(make_category(), sku="D-1")
    services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[kept.pk, dropped.pk])
    body = {
        "categories": [category.pk],
        "products": [{"product": kept.pk, "price": "12.50", "stock": 4, "lead_time_days": None}],
    }
    response = call("pm_a", "put", url(world.a), body)
    assert response.status_code == 200, response.content
    assert response.json()["categories"] == [category.pk]
    assert [(i["sku"], i["price"], i["stock"]) for i in response.json()["items"]] == [("K-1", "12.50", 4)]
    assert list(PartnerProduct.objects.values_list("product_id", flat=True)) == [kept.pk]


def test_a_channel_manager_replaces_a_managed_partners_selection(world, call):
    category = make_category()
    assert call("cm_a", "put", url(world.b), {"categories": [category.pk]}).status_code == 200
    assert PartnerCategory.objects.filter(partner=world.b, category=category).exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"categories": [999999]}, "categories"),
        ({"products": [{"product": 999999}]}, "products[0].product"),
        ({"products": [{"product": "PRODUCT", "price": "1"}]}, "products"),
        ({"categories": "all"}, "categories"),
        ({"products": [{"product": 1, "stock": -1}]}, "products[0].stock"),
    ],
)
def test_put_validation_errors_use_the_api_shape(world, call, body, field):
    make_product(make_category())
    response = call("pm_a", "put", url(world.a), body)
    assert response.status_code == 422
    data = response.json()
    assert data["detail"] == "Validation failed" and field in data["errors"], data
    assert not PartnerProduct.objects.exists() and not PartnerCategory.objects.exists()


def test_put_a_negative_price_is_422(world, call):
    product = make_product(make_category())
    response = call("pm_a", "put", url(world.a), {"products": [{"product": product.pk, "price": "-1"}]})
    assert response.status_code == 422 and "products[0].price" in response.json()["errors"]


def test_readers_get_403_and_strangers_404(world, call):
    assert call("pe_a", "put", url(world.a), {"categories": []}).status_code == 403
    assert call("pm_a", "put", url(world.b), {"categories": []}).status_code == 403  # reads its reseller
    assert call("pm_c", "put", url(world.a), {"categories": []}).status_code == 404
    assert call("pm_c", "get", url(world.a)).status_code == 404
    assert call("pm_a", "get", "/api/v1/partners/999999999/assortment").status_code == 404


@pytest.mark.parametrize("count", [1, 20])
def test_list_queries_do_not_grow_with_rows(world, call, django_assert_num_queries, count):
    root = make_category()
    products = [make_product(make_category(parent=root)) for _ in range(count)]
    services.assortment_set_categories(actor=world.admin, partner=world.a, category_ids=[root.pk])
    for product in products[::2]:
        services.assortment_product_update(
            actor=world.admin, partner=world.a, product=product, settings={"stock": 1}
        )
    token = api_token_create(user=world.pm_a, name="t")[1]
    from django.test import Client

    client = Client(headers={"Authorization": f"Bearer {token}"})
    # token (user joined), token last-used update, actor, partner, chosen categories, category tree,
    # page rows = 7
    with django_assert_num_queries(7):
        response = client.get(url(world.a), {"limit": 50})
    assert len(response.json()["items"]) == count
