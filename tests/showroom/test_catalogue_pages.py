"""A showroom's public catalogue (no login): the categories of the partner's assortment, category pages,
search, product pages with the partner's price, stock and lead time and the other showrooms of the
customer's country, and the session basket. Only the partner's effective assortment is shown; anything
else, and unpublished or unknown showrooms, answer 404."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import PartnerCategory, PartnerProduct
from showroom import services
from showroom.models import Showroom
from showroom.views import PAGE_SIZE
from tests.catalog.conftest import make_category, make_product
from tests.factories import PartnerFactory


def open_showroom(partner, actor, **changes):
    return services.showroom_update(partner=partner, actor=actor, changes={"published": True, **changes})


def product_names(response) -> list[str]:
    return re.findall(r'class="product-link" href="[^"]+">([^<]+)</a>', response.content.decode())


@pytest.fixture
def shop(world):
    """alpha sells Sensors (with Inductive below it) as a whole and one controller with its own price,
    stock and lead time; Other is not in its assortment."""
    sensors = make_category("Sensors", slug="sensors")
    inductive = make_category("Inductive", slug="inductive", parent=sensors)
    controllers = make_category("Controllers", slug="controllers")
    other = make_category("Other", slug="other")
    products = {
        "pressure": make_product(sensors, sku="PS-10", name="Pressure sensor 10 bar", list_price=Decimal("80.00")),
        "inductive": make_product(inductive, sku="IS-M12", name="Inductive sensor M12", list_price=Decimal("49.90")),
        "old": make_product(sensors, sku="OLD-1", name="Discontinued sensor", active=False),
        "plc": make_product(controllers, sku="PLC-1", name="Compact controller", list_price=Decimal("500.00")),
        "hmi": make_product(controllers, sku="HMI-7", name="Touch panel 7 inch"),
        "foreign": make_product(other, sku="OT-1", name="Other thing"),
    }  # fmt: skip
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    PartnerProduct.objects.create(
        partner=world.a, product=products["plc"], price=Decimal("450.00"), stock=4, lead_time_days=3
    )
    open_showroom(world.a, world.admin, title="Alpha showroom")
    return {
        "sensors": sensors,
        "inductive": inductive,
        "controllers": controllers,
        "other": other,
        **products,
    }


def url(name, *args, slug="alpha"):
    return reverse(f"showroom:{name}", args=[slug, *args])


# --- Navigation, category pages, search ---------------------------------------------------------------


def test_the_showroom_lists_the_categories_of_its_assortment_as_a_tree(shop, client):
    html = client.get(url("detail")).content.decode()
    assert url("category", "sensors") in html and url("category", "inductive") in html
    assert url("category", "controllers") in html  # through its single product
    assert url("category", "other") not in html
    assert 'style="padding-left: 1rem;"><a href="/showroom/alpha/c/inductive/">Inductive</a>' in html
    assert "<script" not in html


def test_a_showroom_without_products_says_so(world, client):
    open_showroom(world.c, world.admin)
    html = client.get(url("detail", slug="gamma")).content.decode()
    assert "This showroom shows no products yet." in html
    assert "This showroom shows no products yet." in client.get(url("search", slug="gamma")).content.decode()


def test_a_category_page_shows_its_products_and_those_below_with_the_partners_figures(shop, client):
    response = client.get(url("category", "sensors"))
    assert response.status_code == 200
    assert product_names(response) == ["Inductive sensor M12", "Pressure sensor 10 bar"]
    html = response.content.decode()
    assert "<title>Sensors · Alpha showroom</title>" in html
    assert "49.90 EUR" in html and "Stock: ask the partner" in html
    assert 'aria-label="Breadcrumb"' in html and 'aria-current="page">Sensors</li>' in html
    assert url("category", "inductive") in html  # its sub-category
    assert '<input type="hidden" name="next" value="/showroom/alpha/c/sensors/">' in html  # back here
    assert '<label class="form-label small mb-0" for="qty-' in html and "csrfmiddlewaretoken" in html
    assert "<script" not in html and 'name="viewport"' in html
    inductive = client.get(url("category", "inductive")).content.decode()
    assert '<a href="/showroom/alpha/c/sensors/">Sensors</a></li>' in inductive  # breadcrumb up the tree
    controllers = client.get(url("category", "controllers"))
    assert product_names(controllers) == ["Compact controller"]  # not HMI-7: only the chosen product
    assert "450.00 EUR" in controllers.content.decode() and "In stock: 4" in controllers.content.decode()


def test_a_category_outside_the_assortment_or_unknown_is_404(shop, client):
    assert client.get(url("category", "other")).status_code == 404
    assert client.get(url("category", "no-such-thing")).status_code == 404


def test_an_empty_category_has_an_empty_state(shop, world, client):
    make_category("Empty", slug="empty", parent=shop["sensors"])
    response = client.get(url("category", "empty"))
    assert response.status_code == 200
    assert "shows no products in Empty at the moment" in response.content.decode()


def test_search_matches_sku_or_name_in_the_assortment_only(shop, client):
    assert product_names(client.get(url("search"), {"q": "sensor"})) == [
        "Inductive sensor M12",
        "Pressure sensor 10 bar",
    ]
    assert product_names(client.get(url("search"), {"q": "is-m12"})) == ["Inductive sensor M12"]
    assert product_names(client.get(url("search"), {"q": "other thing"})) == []
    assert product_names(client.get(url("search"), {"q": "discontinued"})) == []
    assert product_names(client.get(url("search"))) == [
        "Compact controller",
        "Inductive sensor M12",
        "Pressure sensor 10 bar",
    ]
    empty = client.get(url("search"), {"q": "<zz>"}).content.decode()
    assert (
        "No product matches “&lt;zz&gt;”." in empty
        and "<title>“&lt;zz&gt;” · Alpha showroom</title>" in empty
    )


def test_search_pages_by_keyset_and_keeps_the_query(shop, client):
    for n in range(PAGE_SIZE + 2):
        make_product(shop["sensors"], sku=f"BULK-{n:03d}", name=f"Bulk sensor {n:03d}")
    first = client.get(url("search"), {"q": "bulk"})
    assert product_names(first) == [f"Bulk sensor {n:03d}" for n in range(PAGE_SIZE)]
    after = re.search(r'href="\?q=bulk&amp;after=([^"]+)"', first.content.decode()).group(1)
    second = client.get(url("search") + "?q=bulk&after=" + after)
    assert product_names(second) == ["Bulk sensor 024", "Bulk sensor 025"]
    assert "Next" not in second.content.decode()
    bad = client.get(url("search"), {"q": "bulk", "after": "nonsense"})
    assert (
        "That page link is no longer valid" in bad.content.decode() and len(product_names(bad)) == PAGE_SIZE
    )


@pytest.mark.parametrize("rows", [1, 20])
def test_category_page_and_search_read_the_same_queries_for_1_and_20_products(
    world, client, django_assert_num_queries, rows
):
    sensors = make_category("Sensors", slug="sensors")
    controllers = make_category("Controllers", slug="controllers")
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    for n in range(rows):
        make_product(sensors, name=f"Sensor {n:02d}")
        PartnerProduct.objects.create(
            partner=world.a, product=make_product(controllers, name=f"Controller {n:02d}"), stock=n
        )
    open_showroom(world.a, world.admin)
    # The showroom, the category tree, the chosen categories, the categories of single products, one
    # page of products with the partner's figures.
    with django_assert_num_queries(5):
        response = client.get(url("category", "sensors"))
    assert len(product_names(response)) == rows
    with django_assert_num_queries(5):
        response = client.get(url("search"), {"q": "o"})
    assert len(product_names(response)) == min(2 * rows, PAGE_SIZE)


# --- Product pages -----------------------------------------------------------------------------------


def test_the_product_page_shows_the_partners_price_stock_and_lead_time(shop, client):
    response = client.get(url("product", "PLC-1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Compact controller · Alpha showroom</title>" in html
    assert '<p class="fs-4 fw-semibold mb-1" id="product-price">450.00 EUR</p>' in html
    assert "In stock: 4" in html and "Lead time: 3 days" in html
    assert '<label class="form-label" for="quantity">Quantity</label>' in html
    assert '<a href="/showroom/alpha/c/controllers/">Controllers</a>' in html
    assert "<script" not in html
    listed = client.get(url("product", "IS-M12")).content.decode()
    assert "49.90 EUR" in listed and "Lead time: ask the partner" in listed


@pytest.mark.parametrize("sku", ["HMI-7", "OT-1", "OLD-1", "NOPE"])
def test_a_product_outside_the_partners_assortment_is_404(shop, client, sku):
    assert client.get(url("product", sku)).status_code == 404


def test_another_partners_product_is_404_in_this_showroom(shop, world, client):
    PartnerProduct.objects.create(partner=world.c, product=shop["foreign"])
    open_showroom(world.c, world.admin)
    assert client.get(url("product", "OT-1", slug="gamma")).status_code == 200
    assert client.get(url("product", "OT-1")).status_code == 404
    assert client.get(url("product", "PLC-1", slug="gamma")).status_code == 404


def test_the_product_page_lists_other_showrooms_of_the_country_with_lead_times(
    shop, world, client, django_assert_num_queries
):
    quick = PartnerFactory(name="Quick GmbH", slug="quick", country="DE", city="Hamburg")
    slow = PartnerFactory(name="Slow GmbH", slug="slow", country="DE", city="Bonn")
    closed = PartnerFactory(name="Closed GmbH", slug="closed", country="DE")
    PartnerProduct.objects.create(partner=quick, product=shop["plc"], lead_time_days=1)
    PartnerCategory.objects.create(partner=slow, category=shop["controllers"])  # no lead time told
    PartnerProduct.objects.create(partner=closed, product=shop["plc"], lead_time_days=0)
    PartnerProduct.objects.create(partner=world.c, product=shop["plc"], lead_time_days=9)  # FR
    open_showroom(quick, world.admin, title="Quick showroom")
    open_showroom(slow, world.admin, title="Slow showroom")
    services.showroom_update(partner=closed, actor=world.admin, changes={"published": False})
    open_showroom(world.c, world.admin, title="Gamma showroom")
    # The showroom, the category tree, the chosen categories, the product, the other showrooms.
    with django_assert_num_queries(5):
        html = client.get(url("product", "PLC-1")).content.decode()
    others = re.findall(r'<a href="/showroom/([a-z]+)/p/PLC-1/">([^<]+)</a>', html)
    assert others == [("quick", "Quick showroom"), ("slow", "Slow showroom")]  # quickest first
    assert "lead time 1 day<" in html and "lead time on request" in html
    assert "Other showrooms in Germany with this product" in html
    french = client.get(url("product", "PLC-1"), {"country": "fr"}).content.decode()
    assert re.findall(r'<a href="/showroom/([a-z]+)/p/PLC-1/">', french) == ["gamma"]
    assert "lead time 9 days" in french
    none = client.get(url("product", "PLC-1"), {"country": "ES"}).content.decode()
    assert "No other showroom in Spain shows this product." in none


def test_at_most_ten_other_showrooms_are_listed(shop, world, client):
    for n in range(12):
        partner = PartnerFactory(country="DE")
        PartnerProduct.objects.create(partner=partner, product=shop["plc"], lead_time_days=n)
        open_showroom(partner, world.admin, title=f"Other {n:02d}")
    html = client.get(url("product", "PLC-1")).content.decode()
    assert len(re.findall(r'href="/showroom/[^/]+/p/PLC-1/"', html)) == 10


def test_unpublished_and_unknown_showrooms_answer_404_everywhere(shop, world, client):
    Showroom.objects.filter(partner=world.a).update(published=False)
    for address in (
        url("detail"),
        url("category", "sensors"),
        url("search"),
        url("product", "PLC-1"),
        url("basket"),
        url("quote"),
        url("quote_sent"),
    ):
        assert client.get(address).status_code == 404, address
    assert client.post(url("basket_add"), {"product": shop["plc"].pk}).status_code == 404
    assert client.get(url("detail", slug="nobody")).status_code == 404


# --- The basket --------------------------------------------------------------------------------------


def test_adding_to_the_basket_and_changing_it(shop, client):
    plc, sensor = shop["plc"], shop["inductive"]
    response = client.post(url("basket_add"), {"product": plc.pk, "quantity": "2"})
    assert response.status_code == 302 and response["Location"] == url("product", "PLC-1")
    back = client.post(
        url("basket_add"), {"product": plc.pk, "quantity": "1", "next": url("category", "controllers")}
    )
    assert back["Location"] == url("category", "controllers")
    client.post(url("basket_add"), {"product": sensor.pk})
    page = client.get(url("basket"))
    html = page.content.decode()
    assert "<title>Your basket · Alpha showroom</title>" in html
    assert 'value="3"' in html and "1350.00 EUR" in html and "49.90 EUR" in html
    assert "Total: <strong>1399.90 EUR</strong>" in html
    assert '<label class="form-label small mb-0" for="quantity-' in html
    client.post(url("basket"), {f"quantity-{plc.pk}": "5", f"quantity-{sensor.pk}": "2"})
    assert "Total: <strong>2349.80 EUR</strong>" in client.get(url("basket")).content.decode()
    client.post(url("basket"), {"remove": str(plc.pk)})
    html = client.get(url("basket")).content.decode()
    assert "Compact controller" not in html and "Total: <strong>99.80 EUR</strong>" in html
    client.post(url("basket"), {f"quantity-{sensor.pk}": "0"})
    assert "Your basket is empty." in client.get(url("basket")).content.decode()


def test_a_bad_quantity_changes_nothing_and_says_why(shop, client):
    plc, sensor = shop["plc"], shop["inductive"]
    client.post(url("basket_add"), {"product": plc.pk, "quantity": "2"})
    client.post(url("basket_add"), {"product": sensor.pk, "quantity": "1"})
    response = client.post(
        url("basket"), {f"quantity-{plc.pk}": "7", f"quantity-{sensor.pk}": "lots"}, follow=True
    )
    html = response.content.decode()
    assert "Nothing was changed. Enter the quantity as a whole number from 1 to 9999." in html
    assert f'name="quantity-{plc.pk}" value="2"' in html
    added = client.post(url("basket_add"), {"product": plc.pk, "quantity": "-3"}, follow=True)
    assert "Enter the quantity as a whole number" in added.content.decode()
    too_many = client.post(url("basket_add"), {"product": plc.pk, "quantity": "9999"}, follow=True)
    assert "A line can hold at most 9999" in too_many.content.decode()


def test_only_products_of_the_assortment_go_into_the_basket(shop, client):
    for product in ("foreign", "hmi", "old"):
        assert client.post(url("basket_add"), {"product": shop[product].pk}).status_code == 404
    assert client.post(url("basket_add"), {"product": "abc"}).status_code == 404
    assert client.get(url("basket_add")).status_code == 405
    assert "Your basket is empty." in client.get(url("basket")).content.decode()


def test_a_product_the_partner_stops_selling_leaves_the_basket_with_a_notice(shop, world, client):
    client.post(url("basket_add"), {"product": shop["plc"].pk})
    PartnerProduct.objects.filter(partner=world.a).delete()
    html = client.get(url("basket")).content.decode()
    assert "no longer sold in this showroom" in html and "Your basket is empty." in html


def test_the_basket_is_per_showroom(shop, world, client):
    PartnerProduct.objects.create(partner=world.c, product=shop["plc"])
    open_showroom(world.c, world.admin)
    client.post(url("basket_add"), {"product": shop["plc"].pk})
    assert "Compact controller" in client.get(url("basket")).content.decode()
    assert "Your basket is empty." in client.get(url("basket", slug="gamma")).content.decode()


def test_basket_changes_need_the_csrf_token(shop):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url("basket_add"), {"product": shop["plc"].pk}).status_code == 403


def test_next_outside_the_showroom_is_ignored(shop, client):
    response = client.post(url("basket_add"), {"product": shop["plc"].pk, "next": "https://evil.example/"})
    assert response["Location"] == url("product", "PLC-1")
    response = client.post(url("basket_add"), {"product": shop["plc"].pk, "next": "/showroom/gamma/"})
    assert response["Location"] == url("product", "PLC-1")
