"""The access matrix for partner assortments: each persona × the partner portal's page (read, every
write) and the API (read and replace) of partner A's and its reseller B's assortment.

Page: partner users read their own partner's assortment; only partner managers change it, and only
their own; channel staff get 403 from the partner portal; anonymous visitors go to the login page.
API: whoever sees the partner reads it (others 404); its managers, channel admins and its channel
managers replace it; other readers get 403; no token is 401."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import assortment as services
from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from core.services import api_token_create

pytestmark = pytest.mark.django_db

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
MANAGERS = {"pm_a", "pm_b", "pm_c"}
OWN_PARTNER = {"pm_a": "a", "pe_a": "a", "pm_b": "b", "pm_c": "c", "pe_c": "c"}

# partner -> persona -> (GET status, PUT status)
API_EXPECTED = {
    "a": {
        "admin": (200, 200), "cm_a": (200, 200), "cm_c": (404, 404), "pm_a": (200, 200), "pe_a": (200, 403),
        "pm_b": (404, 404), "pm_c": (404, 404), "pe_c": (404, 404), "anonymous": (401, 401),
    },
    "b": {
        "admin": (200, 200), "cm_a": (200, 200), "cm_c": (404, 404), "pm_a": (200, 403), "pe_a": (404, 404),
        "pm_b": (200, 200), "pm_c": (404, 404), "pe_c": (404, 404), "anonymous": (401, 401),
    },
}  # fmt: skip


@pytest.fixture
def catalogue(world):
    category = Category.objects.create(name="Sensors", slug="sensors")
    product = Product.objects.create(sku="S-1", name="Sensor", list_price="10", category=category)
    cables = Category.objects.create(name="Cables", slug="cables")
    extra = Product.objects.create(sku="C-1", name="Cable", list_price="5", category=cables)
    for partner in (world.a, world.b, world.c):
        services.assortment_set_categories(actor=world.admin, partner=partner, category_ids=[category.pk])
        services.assortment_add_products(actor=world.admin, partner=partner, product_ids=[product.pk])
    return {"category": category, "product": product, "extra": extra}


def as_persona(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def headers(world, persona) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"Authorization": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_page_read(client, world, catalogue, persona):
    response = as_persona(client, world, persona).get(reverse("partner:assortment"))
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    elif persona in CHANNEL:
        assert response.status_code == 403
    else:
        assert response.status_code == 200
        assert response.context["partner"] == getattr(world, OWN_PARTNER[persona])
        assert response.context["can_change"] is (persona in MANAGERS)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", ["categories", "add", "product", "remove", "upload"])
def test_page_writes(client, world, catalogue, persona, action):
    product = catalogue["product"]
    requests = {
        "categories": (reverse("partner:assortment_categories"), {"categories": []}),
        "add": (reverse("partner:assortment_add"), {"product": catalogue["extra"].pk}),
        "product": (reverse("partner:assortment_product", args=[product.pk]), {"price": "1.00"}),
        "remove": (reverse("partner:assortment_remove", args=[product.pk]), {}),
        "upload": (
            reverse("partner:assortment_upload"),
            {"file": SimpleUploadedFile("a.csv", b"sku,price\nS-1,2.00\n", content_type="text/csv")},
        ),
    }
    path, data = requests[action]
    before_categories = set(PartnerCategory.objects.values_list("partner_id", "category_id"))
    before_products = set(PartnerProduct.objects.values_list("partner_id", "product_id", "price"))
    response = as_persona(client, world, persona).post(path, data)
    after_categories = set(PartnerCategory.objects.values_list("partner_id", "category_id"))
    after_products = set(PartnerProduct.objects.values_list("partner_id", "product_id", "price"))
    changed = {row[0] for row in (before_categories ^ after_categories) | (before_products ^ after_products)}
    if persona == "anonymous":
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not changed
    elif persona in MANAGERS:
        assert response.status_code == 302 and response["Location"].startswith(reverse("partner:assortment"))
        assert changed == {getattr(world, OWN_PARTNER[persona]).pk}  # its own partner's, nobody else's
    else:
        assert response.status_code == 403
        assert not changed


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("partner", ["a", "b"])
def test_api_read_and_replace(client, world, catalogue, persona, partner):
    target = getattr(world, partner)
    path = f"/api/v1/partners/{target.pk}/assortment"
    expected_get, expected_put = API_EXPECTED[partner][persona]
    response = client.get(path, headers=headers(world, persona))
    assert response.status_code == expected_get
    if expected_get == 200:
        assert [item["sku"] for item in response.json()["items"]] == ["S-1"]
    before = set(PartnerCategory.objects.values_list("partner_id", "category_id"))
    response = client.put(
        path, json.dumps({"categories": []}), content_type="application/json", headers=headers(world, persona)
    )
    assert response.status_code == expected_put
    after = set(PartnerCategory.objects.values_list("partner_id", "category_id"))
    if expected_put == 200:
        assert before - after == {(target.pk, catalogue["category"].pk)}
    else:
        assert before == after
