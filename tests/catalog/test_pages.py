"""Channel portal catalogue pages: channel admins manage products, categories and imports; channel
managers read. Every list keeps a flat query count; bad input re-shows the form with messages and
changes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Category, Product
from core.models import Job
from tests.catalog.conftest import (
    FAKE_PNG_HTML,
    jpeg_bytes,
    make_category,
    make_product,
    png_bytes,
    upload,
)

pytestmark = pytest.mark.django_db

LIST = reverse("channel:product_list")
NEW = reverse("channel:product_create")
IMPORT = reverse("channel:product_import")
CATEGORIES = reverse("channel:category_list")


def detail(product):
    return reverse("channel:product_detail", args=[product.pk])


def edit(product):
    return reverse("channel:product_edit", args=[product.pk])


def form_data(category, /, **overrides):
    return {
        "sku": "VX-PT10", "name": "Pressure transmitter 0–10 bar", "category": str(category.pk),
        "short_description": "", "long_description": "", "list_price": "189.00", "currency": "EUR",
        "price_unit": "1", "order_unit": "C62", "manufacturer_part_number": "", "material_group": "41112400",
        "attributes": "Range: 0–10 bar", "active": "on", **overrides,
    }  # fmt: skip


# --- List -----------------------------------------------------------------------------------------


def test_list_shows_products_by_name_with_breadcrumbs_and_title(world, login):
    category = make_category("Sensors")
    make_product(category, name="Zeta switch", sku="Z-1")
    make_product(category, name="Alpha sensor", sku="A-1", active=False)
    response = login(world.cm_a).get(LIST)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Catalogue · OpenPCM</title>" in body
    assert body.index("Alpha sensor") < body.index("Zeta switch")
    assert response.context["breadcrumbs"] == [("Channel", reverse("channel:dashboard")), ("Catalogue", None)]
    assert "Inactive" in body
    assert "New product" not in body and "Import CSV" not in body  # managers read only


def test_admin_sees_the_actions(world, login):
    body = login(world.admin).get(LIST).content.decode()
    assert "Import CSV" in body and "Create a category" in body  # empty catalogue without categories


def test_search_and_filters(world, login):
    sensors = make_category("Sensors")
    pressure = make_category("Pressure", parent=sensors)
    other = make_category("Cables")
    in_child = make_product(pressure, name="Pressure transmitter", sku="PT-10")
    in_other = make_product(other, name="Sensor cable", sku="CB-5")
    inactive = make_product(sensors, name="Old sensor", sku="OLD-1", active=False)
    client = login(world.admin)

    def shown(**params):
        return {p.pk for p in client.get(LIST, params).context["page"].items}

    assert shown(category=sensors.pk) == {in_child.pk, inactive.pk}  # sub-categories included
    assert shown(q="pt-1") == {in_child.pk}  # SKU, any case
    assert shown(q="SENSOR") == {in_other.pk, inactive.pk}
    assert shown(status="inactive") == {inactive.pk}
    assert shown(status="active", category=sensors.pk) == {in_child.pk}


def test_a_bad_filter_is_ignored_with_a_message(world, login):
    make_product()
    response = login(world.admin).get(LIST, {"category": "999999", "status": "gone"})
    assert response.status_code == 200
    assert len(response.context["page"].items) == 1
    assert "Some filters were not understood and are ignored: Category, Status." in response.content.decode()


def test_keyset_pages_walk_the_catalogue(world, login, settings):
    settings.PAGE_SIZE = 2
    category = make_category()
    for n in range(5):
        make_product(category, name=f"Product {n}")
    client = login(world.admin)
    names, response = [], client.get(LIST)
    while True:
        page = response.context["page"]
        names += [p.name for p in page.items]
        if not page.has_next:
            break
        response = client.get(LIST, {"after": page.next_cursor})
    assert names == [f"Product {n}" for n in range(5)]
    response = client.get(LIST, {"after": "garbage"})
    assert "That page link is no longer valid" in response.content.decode()


def test_empty_filtered_list_offers_to_clear(world, login):
    make_product()
    body = login(world.admin).get(LIST, {"q": "nothing-like-this"}).content.decode()
    assert "No products match these filters." in body and "Clear filters" in body


@pytest.mark.parametrize("count", [1, 20])
def test_list_queries_do_not_grow_with_rows(world, login, django_assert_num_queries, count):
    sensors = make_category()
    children = [make_category(parent=sensors) for _ in range(3)]
    for n in range(count):
        make_product(children[n % 3], name=f"Product {n}", active=n % 2 == 0)
    client = login(world.cm_a)
    # session, user, actor, category tree, page rows (category joined) = 5
    with django_assert_num_queries(5):
        response = client.get(LIST, {"category": sensors.pk, "q": "product"})
    assert len(response.context["page"].items) == count


# --- Detail ---------------------------------------------------------------------------------------


def test_detail_shows_the_product_and_says_the_short_description_was_shortened(world, login):
    root = make_category("Sensors")
    category = make_category("Proximity", parent=root)
    product = make_product(
        category, name="Inductive proximity sensor M12 flush mount PNP NO with 2 m cable",
        attributes={"Sensing range": "4 mm"}, price_unit=10,
    )  # fmt: skip
    body = login(world.cm_a).get(detail(product)).content.decode()
    assert "Sensors › Proximity" in body
    assert "Inductive proximity sensor M12 flush…" in body and "Shortened" in body
    assert "Sensing range" in body and "per 10 C62" in body
    assert "Deactivate" not in body and ">Edit<" not in body


@pytest.mark.parametrize("count", [1, 20])
def test_detail_queries_do_not_grow(world, login, django_assert_num_queries, count):
    for _ in range(count):
        make_category()
    product = make_product(attributes={f"A{n}": n for n in range(count)})
    client = login(world.admin)
    # session, user, actor, product (category joined), category tree = 5
    with django_assert_num_queries(5):
        assert client.get(detail(product)).status_code == 200


def test_an_unknown_product_is_404(world, login):
    assert login(world.admin).get("/channel/catalog/products/999999/").status_code == 404
    assert login(world.admin).get("/channel/catalog/products/999999/edit/").status_code == 404


# --- Create and edit ------------------------------------------------------------------------------


def test_admin_creates_a_product_with_an_image_and_sees_a_message(world, login, settings):
    category = make_category()
    data = form_data(category, name="Inductive proximity sensor M12 flush mount PNP NO with 2 m cable")
    response = login(world.admin).post(
        NEW, {**data, "image": upload(png_bytes(), name="sensor.png")}, follow=True
    )
    product = Product.objects.get()
    assert response.redirect_chain[-1][0] == detail(product)
    body = response.content.decode()
    assert "Product VX-PT10 created." in body
    assert "shortened to “Inductive proximity sensor M12 flush…”" in body
    assert product.attributes == {"Range": "0–10 bar"} and product.image.name.endswith(".png")
    image = login(world.cm_a).get(reverse("channel:product_image", args=[product.pk]))
    assert image["Content-Type"] == "image/png" and image["X-Content-Type-Options"] == "nosniff"
    assert b"".join(image.streaming_content) == png_bytes()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"sku": "VX PT10"}, "sku", "no spaces"),
        ({"list_price": "-5"}, "list_price", "greater than or equal to 0"),
        ({"list_price": "12,50"}, "list_price", "Enter a number."),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"order_unit": "p!"}, "order_unit", "UN/ECE unit code"),
        ({"price_unit": "0"}, "price_unit", "greater than or equal to 1"),
        ({"category": ""}, "category", "This field is required."),
        ({"short_description": "A short description that is much longer than forty"}, "short_description",
         "At most 40 characters (this has 50)"),
        ({"attributes": "no colon here"}, "attributes", "is not “Name: value”"),
    ],
)  # fmt: skip
def test_bad_input_re_shows_the_form_and_changes_nothing(world, login, overrides, field, message):
    category = make_category()
    response = login(world.admin).post(NEW, form_data(category, **overrides))
    assert response.status_code == 400
    assert any(message in e for e in response.context["form"].errors[field]), response.context["form"].errors
    assert message in response.content.decode()
    assert not Product.objects.exists()


@pytest.mark.parametrize("content", [FAKE_PNG_HTML, b"<svg onload=alert(1)></svg>"])
def test_a_fake_png_is_refused_with_a_message(world, login, settings, content):
    category = make_category()
    data = {
        **form_data(category),
        "image": SimpleUploadedFile("photo.png", content, content_type="image/png"),
    }
    response = login(world.admin).post(NEW, data)
    assert response.status_code == 400
    assert "SVG, HTML or XML text, not a picture" in response.context["form"].errors["image"][0]
    assert not Product.objects.exists()
    media = settings.MEDIA_ROOT
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_admin_edits_a_product_replacing_the_image(world, login, settings):
    product = make_product(name="Float switch")
    client = login(world.admin)
    form = client.get(edit(product)).context["form"]
    assert form.initial["short_description"] == ""  # derived: shown as the hint, not as a value
    data = {
        **form_data(product.category, sku=product.sku, name="Float switch, 2 m cable"),
        "image": upload(jpeg_bytes(), "x.jpg"),
    }
    response = client.post(edit(product), data, follow=True)
    assert "Product " + product.sku + " saved." in response.content.decode()
    product.refresh_from_db()
    assert product.short_description == "Float switch, 2 m cable" and product.image.name.endswith(".jpg")
    data = {**form_data(product.category, sku=product.sku, name=product.name), "remove_image": "on"}
    client.post(edit(product), data)
    product.refresh_from_db()
    assert not product.image


def test_edit_with_bad_input_changes_nothing(world, login):
    product = make_product(name="Float switch", list_price=Decimal("10.00"))
    response = login(world.admin).post(
        edit(product), form_data(product.category, sku=product.sku, list_price="abc")
    )
    assert response.status_code == 400
    product.refresh_from_db()
    assert product.list_price == Decimal("10.00") and product.name == "Float switch"


def test_deactivate_and_activate_with_messages(world, login):
    product = make_product()
    client = login(world.admin)
    response = client.post(reverse("channel:product_deactivate", args=[product.pk]), follow=True)
    assert "deactivated: partners no longer see it" in response.content.decode()
    product.refresh_from_db()
    assert not product.active
    assert client.get(reverse("channel:product_deactivate", args=[product.pk])).status_code == 405
    client.post(reverse("channel:product_activate", args=[product.pk]))
    product.refresh_from_db()
    assert product.active


def test_channel_manager_gets_403_on_every_write(world, login, settings):
    product = make_product(name="Unchanged")
    client = login(world.cm_a)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, form_data(product.category, sku="NEW-1")).status_code == 403
    assert client.get(edit(product)).status_code == 403
    assert (
        client.post(edit(product), form_data(product.category, sku=product.sku, name="Changed")).status_code
        == 403
    )
    assert client.post(reverse("channel:product_deactivate", args=[product.pk])).status_code == 403
    assert client.get(IMPORT).status_code == 403
    csv = SimpleUploadedFile("p.csv", b"sku,name,category,list_price\nN-1,New,x,1\n")
    assert client.post(IMPORT, {"file": csv}).status_code == 403
    assert client.post(reverse("channel:category_create"), {"name": "New"}).status_code == 403
    product.refresh_from_db()
    assert (product.name, product.active, Product.objects.count(), Job.objects.count()) == (
        "Unchanged",
        True,
        1,
        0,
    )
    assert Category.objects.count() == 1


# --- Import ---------------------------------------------------------------------------------------


def test_import_page_shows_the_columns_and_an_example(world, login):
    body = login(world.admin).get(IMPORT).content.decode()
    assert "<title>Import products · OpenPCM</title>" in body
    assert "sku,name,category,list_price,currency" in body
    assert 'enctype="multipart/form-data"' in body


def test_a_good_file_starts_a_job_and_goes_to_its_page(world, login, django_capture_on_commit_callbacks):
    make_category(slug="sensors")
    csv = SimpleUploadedFile(
        "p.csv", b"sku,name,category,list_price\nN-1,New sensor,sensors,12.50\nbad sku,X,sensors,1\n"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.admin).post(IMPORT, {"file": csv})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("job_detail", args=[job.pk])
    assert Product.objects.get().sku == "N-1"
    page = login(world.admin).get(reverse("job_detail", args=[job.pk])).content.decode()
    assert "Download the error report" in page and 'role="progressbar"' in page
    assert f'href="{reverse("channel:product_list")}">See the products' in page
    assert f'href="{IMPORT}">Import another file' in page
    report = login(world.admin).get(reverse("job_error_report", args=[job.pk]))
    assert b"3," in b"".join(report.streaming_content)
    assert job.title in login(world.admin).get(IMPORT).content.decode()  # listed under recent imports


def test_a_wrong_header_is_refused_on_the_page(world, login):
    csv = SimpleUploadedFile("p.csv", b"article,title\nX,Y\n")
    response = login(world.admin).post(IMPORT, {"file": csv})
    assert response.status_code == 400
    assert "Required columns missing: sku." in response.content.decode()
    assert not Job.objects.exists()


# --- Categories -----------------------------------------------------------------------------------


def test_category_tree_lists_counts_and_admin_edits(world, login):
    root = make_category("Sensors", slug="sensors")
    child = make_category("Pressure", slug="pressure", parent=root)
    make_product(child)
    response = login(world.cm_a).get(CATEGORIES)
    assert [(node.name, node.depth, count) for node, count in response.context["rows"]] == [
        ("Sensors", 0, 0), ("Pressure", 1, 1),
    ]  # fmt: skip
    assert reverse("channel:category_edit", args=[root.pk]) not in response.content.decode()
    client = login(world.admin)
    response = client.post(
        reverse("channel:category_create"), {"name": "Level sensors", "parent": root.pk}, follow=True
    )
    assert "Category Level sensors created (slug “level-sensors”)." in response.content.decode()
    response = client.post(
        reverse("channel:category_edit", args=[root.pk]),
        {"name": "Sensors", "slug": "sensors", "parent": child.pk},
    )
    assert response.status_code == 400  # its own sub-category is not even offered
    root.refresh_from_db()
    assert root.parent is None


@pytest.mark.parametrize("count", [1, 20])
def test_category_list_queries_do_not_grow(world, login, django_assert_num_queries, count):
    for _ in range(count):
        make_product(make_category())
    client = login(world.cm_a)
    # session, user, actor, category tree, product counts = 5
    with django_assert_num_queries(5):
        response = client.get(CATEGORIES)
    assert len(response.context["rows"]) == count


def test_the_nav_has_a_catalogue_entry(world, login):
    body = login(world.cm_c).get(reverse("channel:dashboard")).content.decode()
    assert f'href="{LIST}">Catalogue</a>' in body
