"""The catalogue in Django's admin goes through catalog.services: derived short descriptions, image
checks, no cycles in the category tree; products are deactivated, never deleted."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Category, Product
from core.models import ActivityEvent
from tests.catalog.conftest import FAKE_PNG_SVG, make_category, make_product, png_bytes, upload
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(email="root@test.example", is_staff=True, is_superuser=True))
    return client


def product_data(category, **overrides):
    return {
        "sku": "AD-1", "name": "Inductive proximity sensor M12 flush mount PNP NO with 2 m cable",
        "category": category.pk, "active": "on", "short_description": "", "long_description": "",
        "list_price": "48.90", "currency": "EUR", "price_unit": "1", "order_unit": "C62",
        "manufacturer_part_number": "", "material_group": "", "attributes": "{}", **overrides,
    }  # fmt: skip


def test_adding_a_product_derives_its_short_description(superuser_client):
    category = make_category()
    data = {**product_data(category), "image": upload(png_bytes())}
    response = superuser_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    product = Product.objects.get()
    assert product.short_description == "Inductive proximity sensor M12 flush…"
    assert product.image.name.endswith(".png")
    assert ActivityEvent.objects.filter(verb="catalog.product_created", target_id=product.pk).exists()


def test_a_fake_image_is_refused_in_the_admin(superuser_client):
    category = make_category()
    data = {
        **product_data(category),
        "image": SimpleUploadedFile("x.png", FAKE_PNG_SVG, content_type="image/png"),
    }
    response = superuser_client.post(reverse("admin:catalog_product_add"), data)
    assert response.status_code == 200
    assert "SVG is not accepted" in response.content.decode()
    assert not Product.objects.exists()


def test_changing_the_name_moves_a_derived_short_description(superuser_client):
    product = make_product(name="Float switch")
    url = reverse("admin:catalog_product_change", args=[product.pk])
    data = product_data(
        product.category,
        sku=product.sku,
        name="Float switch, 2 m cable",
        short_description=product.short_description,
    )
    assert superuser_client.post(url, data).status_code == 302
    product.refresh_from_db()
    assert product.short_description == "Float switch, 2 m cable"


def test_products_are_not_deleted_but_deactivated(superuser_client):
    product = make_product()
    assert superuser_client.get(reverse("admin:catalog_product_delete", args=[product.pk])).status_code == 403
    response = superuser_client.post(
        reverse("admin:catalog_product_changelist"),
        {"action": "deactivate", "_selected_action": [product.pk]},
    )
    assert response.status_code == 302
    product.refresh_from_db()
    assert not product.active


def test_a_category_cannot_become_its_own_descendant(superuser_client):
    root = make_category("Sensors", slug="sensors")
    child = make_category("Pressure", slug="pressure", parent=root)
    url = reverse("admin:catalog_category_change", args=[root.pk])
    response = superuser_client.post(url, {"name": "Sensors", "slug": "sensors", "parent": child.pk})
    assert response.status_code == 200
    assert "cannot move under its own sub-category" in response.content.decode()
    root.refresh_from_db()
    assert root.parent is None
    assert Category.objects.count() == 2


def test_staff_who_are_not_channel_admins_cannot_change_the_catalogue(client, world):
    world.cm_a.is_staff = True
    world.cm_a.save()
    # Even with Django's model permissions, the access policy decides: only channel admins change it.
    world.cm_a.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    product = make_product()
    client.force_login(world.cm_a)
    url = reverse("admin:catalog_product_change", args=[product.pk])
    assert "View product" in client.get(url).content.decode()  # read-only
    data = product_data(product.category, sku=product.sku, name="Changed")
    assert client.post(url, data).status_code == 403
    product.refresh_from_db()
    assert product.name != "Changed"
    assert client.get(reverse("admin:catalog_product_add")).status_code == 403
    assert client.get(reverse("admin:catalog_product_changelist")).status_code == 200  # reading is fine
