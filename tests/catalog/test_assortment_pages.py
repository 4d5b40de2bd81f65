"""The partner portal's assortment page: list, search, categories, add, settings, remove, CSV upload,
messages, and a flat query count."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import assortment as services
from catalog import selectors
from catalog.models import PartnerProduct
from tests.catalog.conftest import make_category, make_product

pytestmark = pytest.mark.django_db
PAGE = reverse("partner:assortment")


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_empty_state_invites_the_manager_to_choose(world, login):
    response = login(world.pm_a).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Your assortment is empty" in body and "Save categories" not in body  # no categories yet
    assert [label for label, _ in response.context["breadcrumbs"]] == ["Partner portal", "Assortment"]
    assert 'href="/partner/assortment/"' in body  # the nav entry


def test_the_manager_ticks_categories_and_sees_their_products(world, login):
    sensors = make_category("Sensors")
    sub = make_category("Inductive", parent=sensors)
    make_product(sub, sku="IND-1", name="Inductive sensor")
    client = login(world.pm_a)
    page = client.get(PAGE).content.decode()
    assert f'id="cat-{sub.pk}"' in page and 'for="cat-' in page
    response = client.post(
        reverse("partner:assortment_categories"), {"categories": [sensors.pk]}, follow=True
    )
    assert "Categories saved" in texts(response)[0]
    assert [p.sku for p in response.context["page"].items] == ["IND-1"]
    assert "through its category" in response.content.decode()


def test_the_manager_finds_adds_prices_and_removes_a_product(world, login):
    product = make_product(make_category(), sku="PLC-9", name="Compact PLC", list_price=Decimal("200"))
    client = login(world.pm_a)
    found = client.get(PAGE, {"find": "plc"})
    assert [p.sku for p in found.context["found"]] == ["PLC-9"]
    response = client.post(reverse("partner:assortment_add"), {"product": product.pk}, follow=True)
    assert texts(response) == ["PLC-9 added to your assortment."]
    response = client.post(
        reverse("partner:assortment_product", args=[product.pk]),
        {"price": "189.50", "stock": "7", "lead_time_days": "3"},
        follow=True,
    )
    assert texts(response) == ["PLC-9 saved."]
    row = PartnerProduct.objects.get(partner=world.a)
    assert (row.price, row.stock, row.lead_time_days) == (Decimal("189.50"), 7, 3)
    assert 'value="189.50"' in response.content.decode()
    response = client.post(reverse("partner:assortment_remove", args=[product.pk]), follow=True)
    assert "removed" in texts(response)[0]
    assert not PartnerProduct.objects.exists()


def test_bad_settings_say_what_is_wrong_and_save_nothing(world, login):
    product = make_product(make_category(), sku="PLC-9")
    client = login(world.pm_a)
    response = client.post(
        reverse("partner:assortment_product", args=[product.pk]), {"price": "-1", "stock": "x"}, follow=True
    )
    message = texts(response)[0]
    assert message.startswith("PLC-9 was not saved.") and "Price" in message and "Stock" in message
    assert not PartnerProduct.objects.exists()


def test_search_filters_the_assortment(world, login):
    category = make_category()
    make_product(category, sku="AAA-1", name="Alpha")
    make_product(category, sku="BBB-1", name="Beta")
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[category.pk])
    response = login(world.pm_a).get(PAGE, {"q": "bbb"})
    assert [p.sku for p in response.context["page"].items] == ["BBB-1"]
    assert (
        "No product of your assortment matches" in login(world.pm_a).get(PAGE, {"q": "zzz"}).content.decode()
    )


def test_csv_upload_reports_rows(world, login):
    make_product(make_category(), sku="A-1")
    upload = SimpleUploadedFile("a.csv", b"sku,price,stock\nA-1,5.00,3\nX-9,1,1\n", content_type="text/csv")
    response = login(world.pm_a).post(reverse("partner:assortment_upload"), {"file": upload}, follow=True)
    assert texts(response)[0] == "Upload done: 1 added, 0 changed, 0 unchanged, 1 rows refused."
    assert "Line 3" in texts(response)[1]
    assert PartnerProduct.objects.get().price == Decimal("5.00")


def test_a_wrong_header_is_refused_with_a_message(world, login):
    upload = SimpleUploadedFile("a.csv", b"name,price\nA,1\n", content_type="text/csv")
    response = login(world.pm_a).post(reverse("partner:assortment_upload"), {"file": upload}, follow=True)
    assert texts(response)[0].startswith("The file was not taken:")


def test_an_employee_reads_without_forms(world, login):
    category = make_category()
    make_product(category, sku="A-1")
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[category.pk])
    response = login(world.pe_a).get(PAGE)
    body = response.content.decode()
    assert response.status_code == 200 and "A-1" in body
    assert "Save categories" not in body and "Upload" not in body and 'name="price"' not in body
    assert 'href="/partner/assortment/"' not in body  # the nav entry is for managers


def test_the_page_paginates_by_name(world, login, settings):
    settings.PAGE_SIZE = 2
    category = make_category()
    for n in range(5):
        make_product(category, name=f"Item {n}")
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[category.pk])
    client = login(world.pm_a)
    first = client.get(PAGE)
    second = client.get(PAGE, {"after": first.context["page"].next_cursor})
    assert [p.name for p in first.context["page"].items] == ["Item 0", "Item 1"]
    assert [p.name for p in second.context["page"].items] == ["Item 2", "Item 3"]


@pytest.mark.parametrize("count", [1, 20])
def test_page_queries_do_not_grow_with_rows(world, login, django_assert_num_queries, count):
    root = make_category()
    children = [make_category(parent=root) for _ in range(3)]
    products = [make_product(children[n % 3]) for n in range(count)]
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[root.pk])
    for product in products[::2]:
        services.assortment_product_update(
            actor=world.pm_a, partner=world.a, product=product, settings={"stock": 3}
        )
    client = login(world.pm_a)
    # session, user, actor, partner, category tree, chosen categories, page rows (category and the
    # partner's settings joined) = 7
    with django_assert_num_queries(7):
        response = client.get(PAGE)
    assert len(response.context["page"].items) == count
    assert len(list(selectors.assortment(world.a.pk))) == count
