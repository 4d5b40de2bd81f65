"""OCI punch-out (showroom.oci): the call's parameters, the HOOK_URL check, the basket's OCI 4.0 fields
(names, indexes from 1, lengths, decimal points) and the self-submitting return page."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.http import QueryDict
from django.template.loader import render_to_string

from catalog.text import short_text
from showroom.oci import (
    OciCall,
    OciError,
    OciLine,
    basket_fields,
    check_hook_url,
    format_quantity,
    parse_call,
    return_form,
)

SHOP = "https://shop.example/oci"


def line(**overrides) -> OciLine:
    values = {
        "description": "Inductive proximity sensor M12",
        "quantity": Decimal(2),
        "unit": "C62",
        "price": Decimal("49.90"),
        "currency": "EUR",
        "vendor_mat": "IPS-M12-PNP",
        "price_unit": Decimal(1),
        "lead_time_days": 3,
        "manufact_mat": "BES M12MI-PSC40B",
        "mat_group": "41111900",
        "ext_product_id": "4711",
        "long_text": "Stainless steel housing, IP67.\nLED status indicator.",
    }
    return OciLine(**(values | overrides))


# -- basket fields ------------------------------------------------------------------------------------------


def test_fields_are_named_and_indexed_from_one_in_order():
    fields = basket_fields([line(), line(vendor_mat="PT-10BAR", long_text="")])
    assert [name for name, _ in fields] == [
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
        "NEW_ITEM-LONGTEXT_1:132[]",
        "NEW_ITEM-DESCRIPTION[2]",
        "NEW_ITEM-QUANTITY[2]",
        "NEW_ITEM-UNIT[2]",
        "NEW_ITEM-PRICE[2]",
        "NEW_ITEM-PRICEUNIT[2]",
        "NEW_ITEM-CURRENCY[2]",
        "NEW_ITEM-LEADTIME[2]",
        "NEW_ITEM-VENDORMAT[2]",
        "NEW_ITEM-MANUFACTMAT[2]",
        "NEW_ITEM-MATGROUP[2]",
        "NEW_ITEM-EXT_PRODUCT_ID[2]",
    ]  # the second line has no long text, so no NEW_ITEM-LONGTEXT_2:132[]
    values = dict(fields)
    assert values["NEW_ITEM-DESCRIPTION[1]"] == "Inductive proximity sensor M12"
    assert values["NEW_ITEM-QUANTITY[1]"] == "2"
    assert values["NEW_ITEM-UNIT[1]"] == "C62"
    assert values["NEW_ITEM-PRICE[1]"] == "49.90"
    assert values["NEW_ITEM-PRICEUNIT[1]"] == "1"
    assert values["NEW_ITEM-CURRENCY[1]"] == "EUR"
    assert values["NEW_ITEM-LEADTIME[1]"] == "3"
    assert values["NEW_ITEM-VENDORMAT[1]"] == "IPS-M12-PNP"
    assert values["NEW_ITEM-VENDORMAT[2]"] == "PT-10BAR"
    assert values["NEW_ITEM-MANUFACTMAT[1]"] == "BES M12MI-PSC40B"
    assert values["NEW_ITEM-MATGROUP[1]"] == "41111900"
    assert values["NEW_ITEM-EXT_PRODUCT_ID[1]"] == "4711"
    assert values["NEW_ITEM-LONGTEXT_1:132[]"] == "Stainless steel housing, IP67.\nLED status indicator."


def test_long_text_name_carries_the_line_number():
    fields = basket_fields([line(long_text=f"text {n}") for n in range(1, 12)])
    longtexts = [(name, value) for name, value in fields if "LONGTEXT" in name]
    assert longtexts[0] == ("NEW_ITEM-LONGTEXT_1:132[]", "text 1")
    assert longtexts[10] == ("NEW_ITEM-LONGTEXT_11:132[]", "text 11")
    assert ("NEW_ITEM-DESCRIPTION[11]", "Inductive proximity sensor M12") in fields


OCI_LENGTHS = {
    "DESCRIPTION": 40,
    "QUANTITY": 15,
    "UNIT": 3,
    "PRICE": 15,
    "PRICEUNIT": 5,
    "CURRENCY": 5,
    "LEADTIME": 5,
    "VENDORMAT": 40,
    "MANUFACTMAT": 40,
    "MATGROUP": 10,
    "EXT_PRODUCT_ID": 40,
}


def test_every_value_fits_its_oci_length_at_the_limits():
    longest = line(
        description="Inductive proximity sensor M12 flush mount PNP NO with 2 m PUR cable",
        quantity=Decimal("99999999999.999"),
        price=Decimal("999999999999.99"),
        price_unit=Decimal(10000),
        currency="EUR",
        lead_time_days=99999,
        vendor_mat="V" * 40,
        manufact_mat="M" * 40,
        mat_group="G" * 10,
        ext_product_id="E" * 40,
        long_text="x" * 5000,  # unlimited
    )
    fields = basket_fields([longest])
    for name, value in fields:
        if "LONGTEXT" in name:
            continue
        key = name.removeprefix("NEW_ITEM-").split("[")[0]
        assert len(value) <= OCI_LENGTHS[key], (name, value)
    values = dict(fields)
    assert values["NEW_ITEM-QUANTITY[1]"] == "99999999999.999"
    assert values["NEW_ITEM-PRICE[1]"] == "999999999999.99"
    assert values["NEW_ITEM-PRICEUNIT[1]"] == "10000"
    assert len(values["NEW_ITEM-LONGTEXT_1:132[]"]) == 5000


def test_description_is_shortened_at_a_word_boundary():
    description = "Inductive proximity sensor M12 flush mount PNP NO with 2 m PUR cable"
    value = dict(basket_fields([line(description=description)]))["NEW_ITEM-DESCRIPTION[1]"]
    assert value == short_text(description, 40) == "Inductive proximity sensor M12 flush…"


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (Decimal(2), "2"),
        (Decimal("1.500"), "1.5"),
        (Decimal("0.001"), "0.001"),
        (Decimal("1E+2"), "100"),
        (Decimal("10.000"), "10"),
        (7, "7"),
        (Decimal("99999999999.999"), "99999999999.999"),
    ],
)
def test_quantity_has_a_point_and_at_most_three_decimals(quantity, expected):
    assert format_quantity(quantity) == expected


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        (Decimal("100000000000"), "too large for OCI"),
        (Decimal("1E+30"), "too large for OCI"),
        (Decimal("1.2345"), "more than 3 decimals"),
        (Decimal(0), "greater than zero"),
        (Decimal(-1), "greater than zero"),
        (Decimal("NaN"), "greater than zero"),
        (1.5, "must be a Decimal"),
    ],
)
def test_a_quantity_oci_cannot_carry_raises(quantity, message):
    with pytest.raises(OciError, match=message):
        format_quantity(quantity)
    with pytest.raises(OciError, match=f"Product IPS-M12-PNP: .*{message}"):
        basket_fields([line(quantity=quantity)])


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (Decimal("49.9"), "49.90"),
        (Decimal(5), "5.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("0.125"), "0.125"),
        (Decimal("0.12500"), "0.125"),
        (Decimal("0"), "0.00"),
        (Decimal("999999999999.99"), "999999999999.99"),
    ],
)
def test_price_has_a_decimal_point(price, expected):
    value = dict(basket_fields([line(price=price)]))["NEW_ITEM-PRICE[1]"]
    assert value == expected
    assert "," not in value


@pytest.mark.parametrize(
    ("price_unit", "expected"),
    [
        (Decimal(1), "1"),
        (Decimal("1.00"), "1"),
        (100, "100"),
        (Decimal("2.5"), "2.5"),
        (Decimal("1E+3"), "1000"),
    ],
)
def test_price_unit(price_unit, expected):
    assert dict(basket_fields([line(price_unit=price_unit)]))["NEW_ITEM-PRICEUNIT[1]"] == expected


def test_missing_lead_time_is_sent_empty():
    assert dict(basket_fields([line(lead_time_days=None)]))["NEW_ITEM-LEADTIME[1]"] == ""


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"price": Decimal("1000000000000.00")}, "price 1000000000000.00 is longer than the 15"),
        ({"price": Decimal("1E+20")}, "longer than the 15"),
        ({"price": Decimal("-1")}, "zero or more"),
        ({"price": 9.99}, "must be a Decimal"),
        ({"price_unit": Decimal(0)}, "price unit must be greater than zero"),
        ({"price_unit": Decimal(100000)}, "price unit 100000 is longer than the 5"),
        ({"unit": "PCEX"}, "unit 'PCEX' is longer than the 3"),
        ({"unit": ""}, "unit is missing"),
        ({"currency": "EURO99"}, "currency 'EURO99' is longer than the 5"),
        ({"vendor_mat": "V" * 41}, "is longer than the 40"),
        ({"manufact_mat": "M" * 41}, "manufacturer part number .* is longer than the 40"),
        ({"mat_group": "27-27-09-01"}, "material group '27-27-09-01' is longer than the 10"),
        ({"ext_product_id": "E" * 41}, "external product id .* is longer than the 40"),
        ({"lead_time_days": 100000}, "too long for OCI"),
        ({"lead_time_days": -1}, "whole number of days"),
        ({"description": "  \n "}, "description is missing"),
    ],
)
def test_values_that_do_not_fit_raise_a_clear_error(overrides, message):
    with pytest.raises(OciError, match=message):
        basket_fields([line(), line(**overrides)])


def test_an_empty_basket_is_refused():
    with pytest.raises(OciError, match="The basket is empty"):
        basket_fields([])


# -- the call -------------------------------------------------------------------------------------------------


def test_parse_call_reads_the_oci_parameters():
    params = QueryDict(mutable=True)
    params.update(
        {
            "HOOK_URL": "https://shop.example/oci/return?sid=7&x=1",
            "~OkCode": "ADDI",
            "~TARGET": "_parent",
            "~CALLER": "CTLG",
            "USERNAME": "buyer",
            "PASSWORD": "s3cret",
            "FUNCTION": "validate",
            "PRODUCTID": "IPS-M12-PNP",
            "QUANTITY": "2.5",
            "OCI_VERSION": "4.0",
        }
    )
    call = parse_call(params)
    assert call == OciCall(
        hook_url="https://shop.example/oci/return?sid=7&x=1",
        ok_code="ADDI",
        target="_parent",
        caller="CTLG",
        username="buyer",
        password="s3cret",
        function="VALIDATE",
        product_id="IPS-M12-PNP",
        quantity=Decimal("2.5"),
        oci_version="4.0",
    )
    assert "s3cret" not in repr(call)


def test_parse_call_defaults():
    call = parse_call({"HOOK_URL": SHOP})
    assert (call.target, call.ok_code, call.function, call.quantity) == ("_top", "ADDI", "", Decimal(1))


def test_returntarget_is_the_alternative_name_for_the_target():
    assert parse_call({"HOOK_URL": SHOP, "returntarget": "_blank"}).target == "_blank"
    assert parse_call({"HOOK_URL": SHOP, "returntarget": "_blank", "~TARGET": "_self"}).target == "_self"


def test_a_shop_that_changes_the_case_of_parameter_names_is_understood():
    call = parse_call(
        {"hook_url": SHOP, "~okcode": "ADDI", "~target": "_self", "function": "DETAIL", "productid": "X"}
    )
    assert (call.hook_url, call.target, call.function, call.product_id) == (SHOP, "_self", "DETAIL", "X")


def test_a_twice_encoded_hook_url_is_decoded():
    assert parse_call({"HOOK_URL": "https%3A%2F%2Fshop.example%2Foci%3Fsid%3D1"}).hook_url == (
        "https://shop.example/oci?sid=1"
    )


def test_search_functions_read_the_search_string():
    call = parse_call({"HOOK_URL": SHOP, "FUNCTION": "BACKGROUND_SEARCH", "SEARCHSTRING": " pressure  "})
    assert (call.function, call.search_string) == ("BACKGROUND_SEARCH", "pressure")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"FUNCTION": "DELETE"}, "FUNCTION must be one of"),
        ({"FUNCTION": "VALIDATE"}, "FUNCTION=VALIDATE needs a PRODUCTID"),
        ({"FUNCTION": "DETAIL"}, "FUNCTION=DETAIL needs a PRODUCTID"),
        ({"FUNCTION": "BACKGROUND_SEARCH"}, "needs a SEARCHSTRING"),
        (
            {"FUNCTION": "VALIDATE", "PRODUCTID": "X", "QUANTITY": "1,5"},
            "QUANTITY must be a number with a decimal point",
        ),
        ({"FUNCTION": "VALIDATE", "PRODUCTID": "X", "QUANTITY": "abc"}, "QUANTITY must be a number"),
        ({"FUNCTION": "VALIDATE", "PRODUCTID": "X", "QUANTITY": "0"}, "greater than zero"),
        ({"FUNCTION": "VALIDATE", "PRODUCTID": "X", "QUANTITY": "Infinity"}, "greater than zero"),
        ({"FUNCTION": "VALIDATE", "PRODUCTID": "X", "QUANTITY": "1.0001"}, "more than 3 decimals"),
        ({"~TARGET": '_top" onload="x'}, "~TARGET must be a frame name"),
    ],
)
def test_a_bad_call_is_refused_with_a_clear_message(params, message):
    with pytest.raises(OciError, match=message):
        parse_call({"HOOK_URL": SHOP} | params)


# -- HOOK_URL -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "hook_url",
    [
        "https://shop.example/oci",
        "https://shop.example/oci/",
        "https://shop.example/oci/return?sid=1&x=%20y",
        "https://shop.example:443/oci/return",
        "HTTPS://Shop.Example/oci",
        "  https://shop.example/oci  ",
    ],
)
def test_hook_url_under_an_allowed_prefix_passes(hook_url):
    assert check_hook_url(hook_url, ["http://other.example/", SHOP]) == hook_url.strip()


def test_a_prefix_with_only_a_host_allows_every_path_there():
    assert check_hook_url("http://127.0.0.1:8765/oci-return", ["http://127.0.0.1:8765"])
    assert check_hook_url("http://127.0.0.1:8765/oci-return?x=1", ["http://127.0.0.1:8765/oci-return"])


@pytest.mark.parametrize(
    ("hook_url", "message"),
    [
        ("", "HOOK_URL is missing"),
        ("   ", "HOOK_URL is missing"),
        ("javascript:alert(document.cookie)", "must be an http or https address"),
        ("JavaScript://shop.example/oci%0aalert(1)", "must be an http or https address"),
        ("data:text/html,<script>alert(1)</script>", "must be an http or https address"),
        ("ftp://shop.example/oci", "must be an http or https address"),
        ("//shop.example/oci", "must be an http or https address"),
        ("https:///oci", "has no host name"),
        ("https://other.example/oci", "other.example:443/oci is not among the shop addresses"),
        ("https://shop.example.evil.com/oci", "not among the shop addresses"),
        ("https://shop.examplex/oci", "not among the shop addresses"),
        ("https://shop.example@evil.com/oci", "must not contain a user name or password"),
        ("https://user:pw@shop.example/oci", "must not contain a user name or password"),
        ("https://evil.com\\@shop.example/oci", "backslashes"),
        ("https://shop.example/oci\n.evil", "control characters"),
        ("http://shop.example/oci", "not among the shop addresses"),
        ("https://shop.example:8443/oci", "not among the shop addresses"),
        ("https://shop.example:99999/oci", "not a valid address"),
        ("https://shop.example/ocifake", "not among the shop addresses"),
        ("https://shop.example/other/oci", "not among the shop addresses"),
        ("https://shop.example/OCI", "not among the shop addresses"),
        ("https://shop.example/", "not among the shop addresses"),
        ("https://shop.example/oci/../admin", ". or .. path segments"),
        ("https://shop.example/oci/%2E%2e/admin", ". or .. path segments"),
        ("https://[::1/oci", "not a valid address"),
    ],
)
def test_hook_url_refusals(hook_url, message):
    with pytest.raises(OciError, match=message):
        check_hook_url(hook_url, [SHOP])


def test_no_allowed_shop_is_explained():
    with pytest.raises(OciError, match="accepts no shop yet"):
        check_hook_url(SHOP, [])
    with pytest.raises(OciError, match="accepts no shop yet"):
        check_hook_url(SHOP, ["", "  "])


def test_a_malformed_allowed_prefix_allows_nothing():
    with pytest.raises(OciError, match="not among the shop addresses"):
        check_hook_url(SHOP, ["shop.example/oci", "javascript:x", "https://shop.example:bad/oci"])


# -- the return page ------------------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """Collects the forms, inputs, buttons and scripts of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self.inputs: list[dict] = []
        self.buttons: list[dict] = []
        self.scripts: list[dict] = []
        self.attribute_names: set[str] = set()
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.attribute_names |= set(attributes)
        if tag == "form":
            self.forms.append(attributes)
        elif tag == "input":
            self.inputs.append(attributes)
        elif tag == "button":
            self.buttons.append(attributes)
        elif tag == "script":
            self.scripts.append(attributes | {"body": ""})
            self._in_script = True

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1]["body"] += data


def render_return_page(lines, *, hook_url="https://shop.example/oci/return?sid=7&lang=de", target="_top"):
    call = OciCall(hook_url=hook_url, target=target)
    oci = return_form(call=call, lines=lines, allowed_prefixes=[SHOP])
    html = render_to_string("showroom/oci_return.html", {"oci": oci})
    reader = FormReader()
    reader.feed(html)
    return html, reader, oci


def test_return_page_posts_every_field_to_the_hook_url_in_the_target_frame():
    html, page, oci = render_return_page([line(), line(vendor_mat="PT-10BAR")], target="_parent")
    assert page.forms == [
        {
            "id": "oci-return",
            "method": "post",
            "action": "https://shop.example/oci/return?sid=7&lang=de",
            "target": "_parent",
            "data-oci-autosubmit": None,
        }
    ]
    assert [(i["type"], i["name"], i["value"]) for i in page.inputs] == [
        ("hidden", n, v) for n, v in oci.fields
    ]
    assert len(page.inputs) == 24  # 12 fields a line, with its long text
    assert ("NEW_ITEM-LONGTEXT_1:132[]", "Stainless steel housing, IP67.\nLED status indicator.") in [
        (i["name"], i["value"]) for i in page.inputs
    ]
    assert oci.line_count == 2 and "2 items go back" in html
    # A visible button for browsers without JavaScript.
    assert page.buttons == [{"type": "submit", "class": "btn btn-primary"}]
    assert "Transfer to shop</button>" in html


def test_return_page_has_no_inline_script_and_no_csrf_token():
    html, page, _ = render_return_page([line()])
    assert page.scripts and all(s.get("src") and not s["body"].strip() for s in page.scripts)
    assert page.scripts[0]["src"].endswith("js/oci-return.js")
    assert not [name for name in page.attribute_names if name.startswith("on")]  # no onload=, onclick=
    assert "csrfmiddlewaretoken" not in html


def test_return_page_escapes_values():
    evil = '"><script>alert(1)</script> & <b>bold</b>'
    html, page, _ = render_return_page([line(description="Sensor <b>", long_text=evil, ext_product_id='x"y')])
    assert "<script>alert(1)" not in html
    assert "<b>bold" not in html
    values = {i["name"]: i["value"] for i in page.inputs}
    assert values["NEW_ITEM-LONGTEXT_1:132[]"] == evil
    assert values["NEW_ITEM-DESCRIPTION[1]"] == "Sensor <b>"
    assert values["NEW_ITEM-EXT_PRODUCT_ID[1]"] == 'x"y'
    assert page.forms[0]["action"] == "https://shop.example/oci/return?sid=7&lang=de"
    assert "sid=7&amp;lang=de" in html


def test_return_form_checks_the_hook_url_again():
    with pytest.raises(OciError, match="not among the shop addresses"):
        return_form(
            call=OciCall(hook_url="https://evil.example/oci"), lines=[line()], allowed_prefixes=[SHOP]
        )
    with pytest.raises(OciError, match="HOOK_URL is missing"):
        return_form(call=OciCall(), lines=[line()], allowed_prefixes=[SHOP])


def test_auto_submit_script_is_a_static_file_that_submits_the_marked_form():
    script = Path(settings.BASE_DIR, "static", "js", "oci-return.js").read_text()
    assert "form[data-oci-autosubmit]" in script and ".submit()" in script
