"""/api/v1/products and /api/v1/categories: any channel or partner user reads the active products;
channel staff also the inactive ones with active=false; keyset pages; errors in the API's shapes."""

from __future__ import annotations

import pytest
from django.test import Client

from catalog import services
from core.services import api_token_create
from tests.catalog.conftest import make_category, make_product, png_bytes, upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/products"


@pytest.fixture
def get(client, world):
    """get(persona, path, params) with that persona's bearer token (None: no token)."""

    def _get(persona, path, params=None):
        headers = {}
        if persona is not None:
            headers["Authorization"] = f"Bearer {api_token_create(user=getattr(world, persona), name='t')[1]}"
        return client.get(path, params or {}, headers=headers)

    return _get


@pytest.fixture
def catalogue():
    sensors = make_category("Sensors", slug="sensors")
    pressure = make_category("Pressure sensors", slug="pressure-sensors", parent=sensors)
    cables = make_category("Cables", slug="cables")
    return {
        "sensors": sensors,
        "transmitter": make_product(pressure, sku="PT-10", name="Pressure transmitter 0–10 bar", attributes={"Range": "10 bar"}),
        "cable": make_product(cables, sku="CB-5", name="Sensor cable 5 m"),
        "old": make_product(sensors, sku="OLD-1", name="Old sensor", active=False),
    }  # fmt: skip


@pytest.mark.parametrize("persona", ["admin", "cm_c", "pm_a", "pe_c"])
def test_everyone_with_a_role_reads_the_active_products_by_name(get, catalogue, persona):
    response = get(persona, LIST)
    assert response.status_code == 200
    body = response.json()
    assert [item["sku"] for item in body["items"]] == ["PT-10", "CB-5"]
    assert body["next_cursor"] is None
    item = body["items"][0]
    assert item["category"] == {
        "id": catalogue["transmitter"].category_id,
        "slug": "pressure-sensors",
        "name": "Pressure sensors",
    }
    assert item["list_price"] == "10.00" and item["currency"] == "EUR" and item["order_unit"] == "C62"
    assert item["attributes"] == {"Range": "10 bar"} and item["image_url"] is None
    assert (
        item["short_description"] == "Pressure transmitter 0–10 bar"
        and item["short_description_shortened"] is False
    )


@pytest.mark.parametrize(
    ("persona", "expected"), [("admin", ["OLD-1"]), ("cm_a", ["OLD-1"]), ("pm_a", []), ("pe_a", [])]
)
def test_inactive_products_only_for_channel_staff(get, catalogue, persona, expected):
    assert [i["sku"] for i in get(persona, LIST, {"active": "false"}).json()["items"]] == expected
    status = 200 if persona in ("admin", "cm_a") else 404
    assert get(persona, f"{LIST}/{catalogue['old'].pk}").status_code == status


def test_filters_category_with_sub_categories_and_search(get, catalogue):
    assert [i["sku"] for i in get("pm_a", LIST, {"category": "sensors"}).json()["items"]] == ["PT-10"]
    assert [i["sku"] for i in get("pm_a", LIST, {"q": "cable"}).json()["items"]] == ["CB-5"]
    assert [i["sku"] for i in get("pm_a", LIST, {"q": "pt-"}).json()["items"]] == ["PT-10"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"category": "valves"}, "category", "No category “valves”"),
        ({"active": "maybe"}, "active", "valid boolean"),
        ({"limit": "0"}, "limit", "greater than or equal to 1"),
        ({"cursor": "garbage"}, "cursor", "not valid for this list"),
        ({"q": "x" * 201}, "q", "at most 200 characters"),
    ],
)
def test_bad_filters_answer_422_with_field_errors(get, catalogue, params, field, message):
    response = get("admin", LIST, params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert any(message in m for m in body["errors"][field]), body


def test_keyset_pages(get, catalogue):
    first = get("admin", LIST, {"limit": 1}).json()
    second = get("admin", LIST, {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [first["items"][0]["sku"], second["items"][0]["sku"]] == ["PT-10", "CB-5"]
    assert second["next_cursor"] is None


def test_detail_and_unknown_ids(get, catalogue):
    product = catalogue["cable"]
    assert get("pe_c", f"{LIST}/{product.pk}").json()["sku"] == "CB-5"
    assert get("pe_c", f"{LIST}/999999").json() == {"detail": "Not found."}
    assert get("pe_c", f"{LIST}/{2**70}").status_code == 404


def test_anonymous_gets_401(get, catalogue):
    response = get(None, LIST)
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert get(None, f"{LIST}/{catalogue['cable'].pk}").status_code == 401


def test_the_image_is_served_with_its_checked_type(get, world, catalogue):
    product = services.product_update(
        actor=world.admin, product=catalogue["cable"], fields={}, image=upload(png_bytes(), name="a.png")
    )
    item = get("pm_a", f"{LIST}/{product.pk}").json()
    assert item["image_url"] == f"http://testserver/api/v1/products/{product.pk}/image"
    response = get("pm_a", f"{LIST}/{product.pk}/image")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == png_bytes()
    assert get("pm_a", f"{LIST}/{catalogue['transmitter'].pk}/image").status_code == 404  # none
    assert get("pm_a", f"{LIST}/{catalogue['old'].pk}/image").status_code == 404  # inactive


def test_categories_list(get, catalogue):
    items = get("pe_a", "/api/v1/categories").json()["items"]
    assert [(i["slug"], i["parent"]) for i in items] == [
        ("cables", None), ("pressure-sensors", catalogue["sensors"].pk), ("sensors", None),
    ]  # fmt: skip


@pytest.mark.parametrize("persona", ["admin", "pm_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_list_query_count_is_flat(get, world, django_assert_num_queries, persona, rows):
    category = make_category(slug="all")
    for n in range(rows):
        make_product(make_category(parent=category) if n % 2 else category, name=f"Product {n}")
    token = api_token_create(user=getattr(world, persona), name="t")[1]
    client = Client()
    # 1 token and user, 2 token last_used_at, 3 actor, 4 category tree, 5 the page (category joined).
    with django_assert_num_queries(5):
        response = client.get(
            LIST, {"limit": 200, "category": "all"}, headers={"Authorization": f"Bearer {token}"}
        )
    assert len(response.json()["items"]) == rows


def test_the_openapi_document_lists_the_routes(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert {
        "/api/v1/products",
        "/api/v1/products/{id}",
        "/api/v1/products/{id}/image",
        "/api/v1/categories",
    } <= set(paths)
