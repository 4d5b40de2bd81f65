"""The OCI punch-out pages (/oci/<slug>/): the shop's call (credentials, HOOK_URL, FUNCTION), browsing and
the basket inside the punch-out, and "Transfer to shop" with the OCI 4.0 return form. Every page may be
framed by the shop: no X-Frame-Options."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from catalog.models import PartnerCategory, PartnerProduct
from showroom import oci_views, services
from tests.catalog.conftest import make_category, make_product

SHOP = "https://shop.example/oci"
HOOK = "https://shop.example/oci/return?sid=42"


class ReturnForm(HTMLParser):
    """The return page's form: its attributes and hidden fields, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.form: dict[str, str | None] = {}
        self.fields: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "form" and values.get("id") == "oci-return":
            self.form = values
        elif tag == "input" and values.get("type") == "hidden":
            self.fields.append((values["name"] or "", values.get("value") or ""))


@pytest.fixture(autouse=True)
def _oci_urls(settings):
    settings.ROOT_URLCONF = "tests.showroom.oci_urlconf"


@pytest.fixture
def shop(world):
    """Alpha's published showroom allowing SHOP, selling the Sensors category (list prices) and the
    controller (its own price and lead time); the relay is in the catalogue but not Alpha's."""
    services.showroom_update(
        partner=world.a, actor=world.admin, changes={"published": True, "oci_allowed_urls": [SHOP]}
    )
    sensors = make_category("Sensors")
    PartnerCategory.objects.create(partner=world.a, category=sensors)
    sensor = make_product(
        sensors,
        sku="IPS-M12",
        name="Inductive proximity sensor M12 with a rather long name for OCI",
        list_price=Decimal("49.90"),
        manufacturer_part_number="BES M12MI-PSC40B",
        material_group="41112400",
        long_description="Flush mounting, 4 mm switching distance.",
    )
    controller = make_product(
        make_category("Controllers"),
        sku="CTL-100",
        name="Controller 100",
        list_price=Decimal("120.00"),
        order_unit="PK",
        price_unit=10,
    )
    PartnerProduct.objects.create(
        partner=world.a, product=controller, price=Decimal("99.50"), lead_time_days=5
    )
    relay = make_product(make_category("Relays"), sku="REL-1", name="Relay 1")
    return {"sensor": sensor, "controller": controller, "relay": relay, "sensors": sensors}


def entry(slug: str = "alpha") -> str:
    return reverse("oci:entry", args=[slug])


def call(**params) -> dict[str, str]:
    return {"HOOK_URL": HOOK, "~OkCode": "ADDI", "~TARGET": "_parent", "~CALLER": "CTLG", **params}


def no_frame_header(response) -> bool:
    return "X-Frame-Options" not in response.headers


def start(client, **params):
    response = client.get(entry(), call(**params))
    assert response.status_code == 302, response.content.decode()
    return response


def with_credentials(world):
    services.showroom_update(
        partner=world.a,
        actor=world.admin,
        changes={"oci_username": "alpha-shop", "oci_password": "s3cret-pass"},
    )


# --- the entry -------------------------------------------------------------------------------------------


def test_a_call_without_credentials_opens_the_catalogue(shop, client):
    response = start(client)
    assert response.url == reverse("oci:products", args=["alpha"])
    assert no_frame_header(response)
    page = client.get(response.url)
    assert page.status_code == 200 and no_frame_header(page)
    html = page.content.decode()
    assert "Inductive proximity sensor M12" in html and "Controller 100" in html
    assert "Relay 1" not in html  # not in Alpha's assortment
    assert "<script" not in html
    assert client.session[oci_views.CALL_SESSION_PREFIX + "alpha"]["hook_url"] == HOOK


def test_the_shop_may_post_its_call_without_a_csrf_token(shop, world):
    from django.test import Client

    with_credentials(world)
    client = Client(enforce_csrf_checks=True)
    response = client.post(entry(), call(USERNAME="alpha-shop", PASSWORD="s3cret-pass"))
    assert response.status_code == 302
    assert response.url == reverse("oci:products", args=["alpha"])
    assert client.get(response.url).status_code == 200


@pytest.mark.parametrize(
    ("credentials", "says"),
    [
        ({}, "The shop sent no OCI user name and password"),
        (
            {"USERNAME": "alpha-shop", "PASSWORD": "wrong"},
            "The OCI user name or password the shop sent is wrong",
        ),
        (
            {"USERNAME": "other", "PASSWORD": "s3cret-pass"},
            "The OCI user name or password the shop sent is wrong",
        ),
    ],
)
def test_missing_or_wrong_credentials_answer_403(shop, world, client, credentials, says):
    with_credentials(world)
    response = client.get(entry(), call(**credentials))
    assert response.status_code == 403
    html = response.content.decode()
    assert says in html and "Access denied" in html
    assert no_frame_header(response)
    assert oci_views.CALL_SESSION_PREFIX + "alpha" not in client.session
    # No answer with prices either.
    validate = client.get(entry(), call(FUNCTION="VALIDATE", PRODUCTID="IPS-M12", **credentials))
    assert validate.status_code == 403 and "NEW_ITEM" not in validate.content.decode()


def test_repeated_wrong_credentials_block_the_address_for_a_while(shop, world, client, monkeypatch):
    with_credentials(world)
    monkeypatch.setattr(oci_views, "LOGIN_FAILURES", 2)
    right = call(USERNAME="alpha-shop", PASSWORD="s3cret-pass")
    for _ in range(4):  # right credentials are not counted
        assert client.get(entry(), right).status_code == 302
    for _ in range(3):
        assert client.get(entry(), call(USERNAME="alpha-shop", PASSWORD="guess")).status_code == 403
    response = client.get(entry(), right)
    assert response.status_code == 429
    assert "Too many wrong OCI user names or passwords" in response.content.decode()
    assert response["Retry-After"] == "600"


@pytest.mark.parametrize(
    ("hook_url", "says"),
    [
        ("", "HOOK_URL is missing"),
        ("https://other.example/oci/return", "is not among the shop addresses allowed"),
        ("https://shop.example.evil.com/oci/return", "is not among the shop addresses allowed"),
        ("https://shop.example@evil.com/oci", "must not contain a user name or password"),
        ("https://shop.example/ocifake", "is not among the shop addresses allowed"),
        ("http://shop.example/oci/return", "is not among the shop addresses allowed"),
        ("javascript:alert(1)", "must be an http or https address"),
    ],
)
def test_a_hook_url_outside_the_allowed_shops_answers_400(shop, client, hook_url, says):
    response = client.get(entry(), call(HOOK_URL=hook_url))
    assert response.status_code == 400
    html = response.content.decode()
    assert says in html and "return address is refused" in html
    assert oci_views.CALL_SESSION_PREFIX + "alpha" not in client.session


def test_a_bad_call_parameter_answers_400_with_its_name(shop, client):
    response = client.get(entry(), call(FUNCTION="VALIDATE", PRODUCTID="IPS-M12", QUANTITY="1,5"))
    assert response.status_code == 400
    assert "QUANTITY must be a number with a decimal point" in response.content.decode()
    assert client.get(entry(), call(FUNCTION="NONSENSE")).status_code == 400


def test_unpublished_and_unknown_showrooms_answer_404(shop, world, client):
    unknown = client.get(entry("nobody"), call())
    assert unknown.status_code == 404 and no_frame_header(unknown)
    assert "No such showroom." in unknown.content.decode()
    services.showroom_update(partner=world.a, actor=world.admin, changes={"published": False})
    assert client.get(entry(), call()).status_code == 404
    assert client.get(entry(), call(FUNCTION="VALIDATE", PRODUCTID="IPS-M12")).status_code == 404


def test_a_showroom_that_allows_no_shop_says_so(shop, world, client):
    services.showroom_update(partner=world.a, actor=world.admin, changes={"oci_allowed_urls": []})
    response = client.get(entry(), call())
    assert response.status_code == 400
    assert "This showroom accepts no shop yet" in response.content.decode()


# --- browsing, basket, transfer ----------------------------------------------------------------------------


def test_punch_out_pages_need_the_shops_call_first(shop, client):
    for url in (
        reverse("oci:products", args=["alpha"]),
        reverse("oci:product", args=["alpha", shop["sensor"].pk]),
        reverse("oci:basket", args=["alpha"]),
    ):
        response = client.get(url)
        assert response.status_code == 400
        assert "Open the catalogue again from your shop" in response.content.decode()
    assert client.post(reverse("oci:transfer", args=["alpha"])).status_code == 400


def test_the_catalogue_searches_by_sku_and_name(shop, client):
    start(client)
    url = reverse("oci:products", args=["alpha"])
    html = client.get(url, {"q": "ctl-1"}).content.decode()
    assert "Controller 100" in html and "Inductive" not in html
    assert "99.50 EUR" in html  # the partner's own price
    html = client.get(url, {"q": "relay"}).content.decode()
    assert "No product matches “relay”" in html


def test_a_broken_page_link_shows_the_first_page(shop, client):
    start(client)
    response = client.get(reverse("oci:products", args=["alpha"]), {"after": "garbage"})
    assert response.status_code == 200
    assert "That page link is no longer valid" in response.content.decode()


def test_browse_add_and_transfer_sends_the_basket_to_the_hook_url(shop, client):
    start(client)
    sensor, controller = shop["sensor"], shop["controller"]
    add = reverse("oci:basket_add", args=["alpha"])
    response = client.post(add, {"product": sensor.pk, "quantity": "2"})
    assert response.status_code == 302 and no_frame_header(response)
    client.post(add, {"product": controller.pk, "quantity": "3"})
    basket = client.get(reverse("oci:basket", args=["alpha"]))
    assert basket.status_code == 200 and no_frame_header(basket)
    html = basket.content.decode()
    assert "Inductive proximity sensor" in html and "Controller 100" in html and "Transfer to shop" in html

    response = client.post(reverse("oci:transfer", args=["alpha"]))
    assert response.status_code == 200 and no_frame_header(response)
    form = ReturnForm(response.content.decode())
    assert form.form["action"] == HOOK and form.form["method"] == "post" and form.form["target"] == "_parent"
    fields = dict(form.fields)
    assert [name for name, _ in form.fields if name.endswith("[1]")] == [
        "NEW_ITEM-DESCRIPTION[1]",
        "NEW_ITEM-QUANTITY[1]",
        "NEW_ITEM-UNIT[1]",
        "NEW_ITEM-PRICE[1]",
        "NEW_ITEM-PRICEUNIT[1]",
        "NEW_ITEM-CURRENCY[1]",
        "NEW_ITEM-LEADTIME[1]",
        "NEW_ITEM-VENDORMAT[1]",
        "NEW_ITEM-MANUFACTMAT[1]",
        "NEW_ITEM-MATGROUP[1]",
        "NEW_ITEM-EXT_PRODUCT_ID[1]",
    ]
    assert fields["NEW_ITEM-DESCRIPTION[1]"] == sensor.short_description
    assert len(fields["NEW_ITEM-DESCRIPTION[1]"]) <= 40
    assert fields["NEW_ITEM-QUANTITY[1]"] == "2"
    assert fields["NEW_ITEM-UNIT[1]"] == "C62"
    assert fields["NEW_ITEM-PRICE[1]"] == "49.90"
    assert fields["NEW_ITEM-PRICEUNIT[1]"] == "1"
    assert fields["NEW_ITEM-CURRENCY[1]"] == "EUR"
    assert fields["NEW_ITEM-LEADTIME[1]"] == ""
    assert fields["NEW_ITEM-VENDORMAT[1]"] == "IPS-M12"
    assert fields["NEW_ITEM-MANUFACTMAT[1]"] == "BES M12MI-PSC40B"
    assert fields["NEW_ITEM-MATGROUP[1]"] == "41112400"
    assert fields["NEW_ITEM-EXT_PRODUCT_ID[1]"] == "IPS-M12"
    assert fields["NEW_ITEM-LONGTEXT_1:132[]"] == "Flush mounting, 4 mm switching distance."
    assert fields["NEW_ITEM-DESCRIPTION[2]"] == "Controller 100"
    assert fields["NEW_ITEM-QUANTITY[2]"] == "3"
    assert fields["NEW_ITEM-UNIT[2]"] == "PK"
    assert fields["NEW_ITEM-PRICE[2]"] == "99.50"
    assert fields["NEW_ITEM-PRICEUNIT[2]"] == "10"
    assert fields["NEW_ITEM-LEADTIME[2]"] == "5"
    assert fields["NEW_ITEM-VENDORMAT[2]"] == "CTL-100"
    assert "NEW_ITEM-LONGTEXT_2:132[]" not in fields
    assert not any("[3]" in name for name in fields)

    # The basket is empty now; transferring again says so.
    assert "Your basket is empty" in client.get(reverse("oci:basket", args=["alpha"])).content.decode()
    again = client.post(reverse("oci:transfer", args=["alpha"]))
    assert again.status_code == 400 and "The basket is empty" in again.content.decode()


def test_the_basket_changes_and_removes_lines(shop, client):
    start(client)
    sensor = shop["sensor"]
    client.post(reverse("oci:basket_add", args=["alpha"]), {"product": sensor.pk, "quantity": "2"})
    basket_url = reverse("oci:basket", args=["alpha"])
    assert client.post(basket_url, {"product": sensor.pk, "quantity": "5"}).status_code == 302
    assert 'value="5"' in client.get(basket_url).content.decode()
    bad = client.post(basket_url, {"product": sensor.pk, "quantity": "lots"})
    assert bad.status_code == 400 and "whole number from 1 to 9999" in bad.content.decode()
    client.post(basket_url, {"product": sensor.pk, "quantity": "0"})
    assert "Your basket is empty" in client.get(basket_url).content.decode()


def test_adding_a_bad_quantity_or_a_product_not_sold_is_refused(shop, client):
    start(client)
    add = reverse("oci:basket_add", args=["alpha"])
    bad = client.post(add, {"product": shop["sensor"].pk, "quantity": "-1"})
    assert bad.status_code == 400 and "whole number from 1 to 9999" in bad.content.decode()
    assert client.post(add, {"product": shop["relay"].pk, "quantity": "1"}).status_code == 404
    assert client.post(add, {"product": "x", "quantity": "1"}).status_code == 404
    assert client.get(reverse("oci:product", args=["alpha", shop["relay"].pk])).status_code == 404


def test_a_transfer_to_a_shop_no_longer_allowed_is_refused(shop, world, client):
    start(client)
    client.post(reverse("oci:basket_add", args=["alpha"]), {"product": shop["sensor"].pk, "quantity": "1"})
    services.showroom_update(
        partner=world.a, actor=world.admin, changes={"oci_allowed_urls": ["https://newshop.example/oci"]}
    )
    response = client.post(reverse("oci:transfer", args=["alpha"]))
    assert response.status_code == 400
    assert "is not among the shop addresses allowed" in response.content.decode()
    assert "NEW_ITEM" not in response.content.decode()


def test_the_punch_out_basket_is_apart_from_the_showroom_basket(shop, client):
    start(client)
    client.post(reverse("oci:basket_add", args=["alpha"]), {"product": shop["sensor"].pk, "quantity": "1"})
    assert client.session["oci:alpha"] == {str(shop["sensor"].pk): 1}
    assert "showroom:alpha" not in client.session


# --- FUNCTION ------------------------------------------------------------------------------------------


def test_validate_answers_the_item_at_the_partners_price(shop, client):
    response = client.get(entry(), call(FUNCTION="VALIDATE", PRODUCTID="CTL-100", QUANTITY="2.5"))
    assert response.status_code == 200 and no_frame_header(response)
    form = ReturnForm(response.content.decode())
    assert form.form["action"] == HOOK and form.form["target"] == "_parent"
    fields = dict(form.fields)
    assert fields["NEW_ITEM-VENDORMAT[1]"] == "CTL-100"
    assert fields["NEW_ITEM-QUANTITY[1]"] == "2.5"
    assert fields["NEW_ITEM-PRICE[1]"] == "99.50"
    assert fields["NEW_ITEM-LEADTIME[1]"] == "5"
    assert not any("[2]" in name for name in fields)


def test_validate_and_detail_of_an_unknown_sku_name_it(shop, client):
    for function in ("VALIDATE", "DETAIL"):
        response = client.get(entry(), call(FUNCTION=function, PRODUCTID="NOPE-9"))
        assert response.status_code == 404
        assert "no product with the SKU “NOPE-9”" in response.content.decode()
        # In the catalogue, but not sold by Alpha.
        response = client.get(entry(), call(FUNCTION=function, PRODUCTID="REL-1"))
        assert response.status_code == 404 and "REL-1" in response.content.decode()


def test_validate_without_productid_answers_400(shop, client):
    response = client.get(entry(), call(FUNCTION="VALIDATE"))
    assert response.status_code == 400
    assert "FUNCTION=VALIDATE needs a PRODUCTID" in response.content.decode()


def test_detail_opens_the_product_in_the_punch_out(shop, client):
    response = client.get(entry(), call(FUNCTION="DETAIL", PRODUCTID="IPS-M12"))
    assert response.status_code == 302
    assert response.url == reverse("oci:product", args=["alpha", shop["sensor"].pk])
    page = client.get(response.url)
    assert page.status_code == 200 and no_frame_header(page)
    html = page.content.decode()
    assert "Inductive proximity sensor M12" in html and "BES M12MI-PSC40B" in html
    assert 'for="oci-quantity"' in html


@pytest.mark.parametrize("function", ["BACKGROUND_SEARCH", "SOURCING"])
def test_background_search_answers_the_matching_items(shop, client, function):
    response = client.get(entry(), call(FUNCTION=function, SEARCHSTRING="sensor"))
    assert response.status_code == 200 and no_frame_header(response)
    fields = dict(ReturnForm(response.content.decode()).fields)
    assert fields["NEW_ITEM-VENDORMAT[1]"] == "IPS-M12"
    assert fields["NEW_ITEM-QUANTITY[1]"] == "1"
    assert "NEW_ITEM-VENDORMAT[2]" not in fields


def test_background_search_is_capped_and_says_when_nothing_matches(shop, client, monkeypatch):
    monkeypatch.setattr(oci_views, "SEARCH_LIMIT", 2)
    for n in range(3):
        make_product(shop["sensors"], sku=f"SEN-{n}", name=f"Sensor {n}")
    response = client.get(entry(), call(FUNCTION="BACKGROUND_SEARCH", SEARCHSTRING="sensor"))
    names = [name for name, _ in ReturnForm(response.content.decode()).fields if "VENDORMAT" in name]
    assert names == ["NEW_ITEM-VENDORMAT[1]", "NEW_ITEM-VENDORMAT[2]"]
    none = client.get(entry(), call(FUNCTION="BACKGROUND_SEARCH", SEARCHSTRING="relay"))
    assert none.status_code == 404 and "matches “relay”" in none.content.decode()


def test_downloadjson_is_refused_with_a_message(shop, client):
    response = client.get(entry(), call(FUNCTION="DOWNLOADJSON"))
    assert response.status_code == 400 and "DOWNLOADJSON" in response.content.decode()


# --- queries ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_the_catalogue_reads_the_same_number_of_queries_for_1_and_20_products(
    world, client, django_assert_num_queries, rows
):
    services.showroom_update(
        partner=world.a, actor=world.admin, changes={"published": True, "oci_allowed_urls": [SHOP]}
    )
    category = make_category()
    PartnerCategory.objects.create(partner=world.a, category=category)
    for _ in range(rows):
        make_product(category)
    start(client)
    url = reverse("oci:products", args=["alpha"])
    # The session, the showroom with its partner, the category tree, the chosen categories, one page.
    with django_assert_num_queries(5):
        response = client.get(url)
    assert response.content.decode().count('name="product"') == rows
