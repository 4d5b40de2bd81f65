"""Showroom model rules: readable text on any brand colour, allowed OCI shop URLs, hashed OCI password,
and the database constraints."""

from __future__ import annotations

import itertools

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from showroom import oci
from showroom.models import (
    Showroom,
    contrast_ratio,
    oci_url_problem,
    readable_text_colour,
    validate_oci_urls,
)
from tests.factories import PartnerFactory


def test_text_on_every_brand_colour_meets_wcag_aa():
    # A coarse grid of the whole colour cube, plus the hardest mid-greys.
    steps = ["00", "33", "66", "77", "80", "99", "cc", "ff"]
    colours = [f"#{r}{g}{b}" for r, g, b in itertools.product(steps, repeat=3)] + ["#767676", "#777777"]
    for colour in colours:
        assert contrast_ratio(colour, readable_text_colour(colour)) >= 4.5, colour


@pytest.mark.parametrize(
    ("background", "text"),
    [("#ffffff", "#000000"), ("#000000", "#ffffff"), ("#14406b", "#ffffff"), ("#f2c14e", "#000000")],
)
def test_readable_text_colour_picks_black_or_white(background, text):
    assert readable_text_colour(background) == text


def test_contrast_ratio_matches_the_wcag_extremes():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1)


@pytest.mark.parametrize(
    "url",
    ["https://shop.example.com/oci", "http://127.0.0.1:8765/oci-return", "https://shop.example.com"],
)
def test_good_shop_urls_are_accepted_and_check_hook_url_agrees(url):
    assert oci_url_problem(url) is None
    assert oci.check_hook_url(url + "/return" if url.endswith("oci") else url, [url])


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://shop.example.com/oci", "http:// or https://"),
        ("javascript:alert(1)", "http:// or https://"),
        ("https:///oci", "host name"),
        ("https://user:pw@shop.example.com/oci", "user name or password"),
        ("https://shop.example.com/oci?x=1", "? or #"),
        ("https://shop.example.com/a/../oci", ". or .."),
        ("https://shop.example.com\\@evil.example/", "backslashes"),
        ("https://shop.example.com:99999/", "not a valid address"),
        ("https://shop.example.com/" + "a" * 600, "longer than"),
    ],
)
def test_bad_shop_urls_say_what_is_wrong(url, says):
    problem = oci_url_problem(url)
    assert problem is not None and says in problem


def test_the_url_list_names_bad_lines_and_duplicates():
    with pytest.raises(ValidationError) as exc:
        validate_oci_urls(["https://a.example/oci", "ftp://b.example", "https://a.example/oci"])
    text = " ".join(exc.value.messages)
    assert "Line 2: ftp://b.example" in text
    assert "Given twice: https://a.example/oci" in text


def test_at_most_twenty_urls():
    with pytest.raises(ValidationError, match="at most 20"):
        validate_oci_urls([f"https://shop{i}.example/" for i in range(21)])


@pytest.mark.django_db
def test_oci_password_is_hashed_and_checked():
    showroom = Showroom(partner=PartnerFactory(), slug="s", title="S", oci_username="shop")
    showroom.set_oci_password("correct horse")
    assert showroom.oci_password.startswith(("pbkdf2_", "argon2", "bcrypt", "md5", "scrypt"))
    assert "correct horse" not in showroom.oci_password
    assert showroom.check_oci_credentials("shop", "correct horse")
    assert not showroom.check_oci_credentials("shop", "wrong")
    assert not showroom.check_oci_credentials("other", "correct horse")


@pytest.mark.django_db
def test_without_credentials_any_caller_passes():
    showroom = Showroom(partner=PartnerFactory(), slug="s", title="S")
    assert not showroom.oci_requires_credentials
    assert showroom.check_oci_credentials("", "")


def test_a_stored_colour_that_is_not_hex_never_reaches_a_style():
    showroom = Showroom(slug="s", title="S", brand_colour="red;}</style>")
    assert showroom.safe_brand_colour == "#14406b"
    assert showroom.text_colour == "#ffffff"


@pytest.mark.django_db
def test_database_constraints_hold_outside_the_services():
    partner = PartnerFactory()
    for bad in ({"slug": ""}, {"title": ""}, {"oci_password": "hash-without-user"}):
        values = {"slug": "ok", "title": "OK", **bad}
        with pytest.raises(IntegrityError), transaction.atomic():
            Showroom.objects.create(partner=partner, **values)
    Showroom.objects.create(partner=partner, slug="taken", title="One")
    with pytest.raises(IntegrityError), transaction.atomic():
        Showroom.objects.create(partner=PartnerFactory(), slug="taken", title="Two")
    with pytest.raises(IntegrityError), transaction.atomic():
        Showroom.objects.create(partner=partner, slug="second", title="Second of the same partner")
