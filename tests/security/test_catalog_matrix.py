"""The access matrix for the catalogue: each persona × product list, detail, image, create, edit,
deactivate, import, categories, and the API. Channel admins do everything; channel managers read
(403 on every write); partner users get 403 in the channel portal and read active products through
the API (an inactive one is 404 to them); anonymous visitors go to the login page, or get 401 from the
API."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import services
from catalog.models import Category, Product
from core.models import Job
from core.services import api_token_create
from tests.factories import UserFactory

PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
PARTNER = {"pm_a", "pe_a", "pm_b", "pm_c", "pe_c"}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND"
    b"\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(world):
    category = Category.objects.create(name="Sensors", slug="sensors")
    active = services.product_create(
        actor=world.admin,
        fields={"sku": "ACT-1", "name": "Active sensor", "list_price": Decimal("10"), "category": category},
        image=SimpleUploadedFile("a.png", PNG),
    )
    inactive = services.product_create(
        actor=world.admin,
        fields={"sku": "OLD-1", "name": "Old sensor", "list_price": Decimal("10"), "category": category,
                "active": False},
    )  # fmt: skip
    return {"category": category, "active": active, "inactive": inactive}


def client_for(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def bearer(world, persona):
    if persona == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


def expected_page(persona, *, write: bool) -> int:
    if persona == "anonymous":
        return 302
    if persona in PARTNER:
        return 403
    if write and persona != "admin":
        return 403
    return 200


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_read_pages(client, world, catalogue, persona):
    c = client_for(client, world, persona)
    expected = expected_page(persona, write=False)
    urls = [
        reverse("channel:product_list"),
        reverse("channel:product_detail", args=[catalogue["active"].pk]),
        reverse("channel:product_detail", args=[catalogue["inactive"].pk]),
        reverse("channel:product_image", args=[catalogue["active"].pk]),
        reverse("channel:category_list"),
    ]
    for url in urls:
        response = c.get(url)
        assert response.status_code == expected, (persona, url)
        if expected == 302:
            assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_write_pages(client, world, catalogue, persona):
    c = client_for(client, world, persona)
    product, category = catalogue["active"], catalogue["category"]
    expected = expected_page(persona, write=True)
    for url in (
        reverse("channel:product_create"),
        reverse("channel:product_edit", args=[product.pk]),
        reverse("channel:product_import"),
        reverse("channel:category_create"),
        reverse("channel:category_edit", args=[category.pk]),
    ):
        assert c.get(url).status_code == expected, (persona, url)


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_write_actions_change_only_for_channel_admins(client, world, catalogue, persona):
    c = client_for(client, world, persona)
    product, category = catalogue["active"], catalogue["category"]
    edit = {
        "sku": product.sku, "name": "Renamed", "category": category.pk, "list_price": "12.00",
        "currency": "EUR", "price_unit": "1", "order_unit": "C62", "active": "on",
    }  # fmt: skip
    responses = [
        c.post(reverse("channel:product_create"), {**edit, "sku": "NEW-1", "name": "New"}),
        c.post(reverse("channel:product_edit", args=[product.pk]), edit),
        c.post(reverse("channel:product_deactivate", args=[product.pk])),
        c.post(
            reverse("channel:product_import"),
            {
                "file": SimpleUploadedFile(
                    "p.csv", b"sku,name,category,list_price\nIMP-1,Imported,sensors,1\n"
                )
            },
        ),
        c.post(reverse("channel:category_create"), {"name": "Valves"}),
        c.post(reverse("channel:category_edit", args=[category.pk]), {"name": "Renamed", "slug": "sensors"}),
    ]
    codes = {r.status_code for r in responses}
    product.refresh_from_db()
    category.refresh_from_db()
    if persona == "admin":
        assert codes == {302}
        assert product.name == "Renamed" and not product.active and category.name == "Renamed"
        assert Product.objects.filter(sku="NEW-1").exists() and Job.objects.count() == 1
        assert Category.objects.filter(slug="valves").exists()
        return
    assert codes == {expected_page(persona, write=True)}, (persona, [r.status_code for r in responses])
    assert (product.name, product.active, category.name) == ("Active sensor", True, "Sensors")
    assert Product.objects.count() == 2 and Category.objects.count() == 1 and not Job.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("persona", PERSONAS)
def test_api(client, world, catalogue, persona):
    headers = bearer(world, persona)
    active, inactive = catalogue["active"], catalogue["inactive"]
    listing = client.get("/api/v1/products", **headers)
    inactive_listing = client.get("/api/v1/products", {"active": "false"}, **headers)
    one = client.get(f"/api/v1/products/{active.pk}", **headers)
    hidden = client.get(f"/api/v1/products/{inactive.pk}", **headers)
    image = client.get(f"/api/v1/products/{active.pk}/image", **headers)
    categories = client.get("/api/v1/categories", **headers)
    if persona == "anonymous":
        assert {r.status_code for r in (listing, inactive_listing, one, hidden, image, categories)} == {401}
        return
    assert [i["sku"] for i in listing.json()["items"]] == ["ACT-1"]
    assert (one.status_code, image.status_code, categories.status_code) == (200, 200, 200)
    if persona in CHANNEL:
        assert [i["sku"] for i in inactive_listing.json()["items"]] == ["OLD-1"]
        assert hidden.status_code == 200
    else:
        assert inactive_listing.json()["items"] == []
        assert hidden.status_code == 404


@pytest.mark.django_db
def test_a_user_without_a_role_sees_no_products(client, world, catalogue):
    nobody = UserFactory(email="nobody@test.example")
    token = api_token_create(user=nobody, name="m")[1]
    response = client.get("/api/v1/products", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.json()["items"] == []
    assert (
        client.get(
            f"/api/v1/products/{catalogue['active'].pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
        ).status_code
        == 404
    )
