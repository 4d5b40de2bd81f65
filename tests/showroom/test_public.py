"""The public showroom pages (no login): the partner locator /showroom/ and a partner's showroom
/showroom/<slug>/. Unpublished, unknown, or of a partner that is not active: 404."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partners.choices import PartnerStatus
from showroom import services
from showroom.models import Showroom
from showroom.views import PAGE_SIZE
from tests.catalog.conftest import png_bytes
from tests.factories import PartnerFactory


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def open_showroom(partner, actor, **changes):
    return services.showroom_update(partner=partner, actor=actor, changes={"published": True, **changes})


def titles(response):
    return re.findall(
        r'class="stretched-link text-reset" href="[^"]+">([^<]+)</a>', response.content.decode()
    )


def test_the_locator_lists_published_showrooms_without_login(world, client):
    open_showroom(world.a, world.admin, title="Alpha showroom")
    open_showroom(world.c, world.admin, title="Gamma showroom")
    services.showroom_update(partner=world.b, actor=world.admin, changes={"title": "Beta draft"})
    response = client.get(reverse("showroom:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert titles(response) == ["Alpha showroom", "Gamma showroom"]
    assert "<title>Find a partner · Partner showrooms</title>" in html
    assert 'name="viewport" content="width=device-width, initial-scale=1"' in html
    assert "Log out" not in html and "partner:home" not in html and "/partner/" not in html
    assert "<script" not in html


def test_the_locator_has_an_empty_state(db, client):
    response = client.get(reverse("showroom:list"))
    assert "No partner has opened a showroom yet." in response.content.decode()


def test_the_locator_filters_by_country_and_text(world, client):
    open_showroom(world.a, world.admin, title="Alpha showroom")  # DE, Berlin
    open_showroom(world.b, world.admin, title="Beta showroom")  # AT, Vienna
    open_showroom(world.c, world.admin, title="Gamma showroom")  # FR, Lyon
    url = reverse("showroom:list")
    assert titles(client.get(url, {"country": "at"})) == ["Beta showroom"]
    assert titles(client.get(url, {"q": "lyon"})) == ["Gamma showroom"]
    assert titles(client.get(url, {"q": "Resale"})) == ["Beta showroom"]  # the partner's name
    assert titles(client.get(url, {"country": "FR", "q": "alpha"})) == []
    empty = client.get(url, {"country": "FR", "q": "alpha"}).content.decode()
    assert "No partner showroom matches in France for “alpha”." in empty
    html = client.get(url).content.decode()
    assert '<option value="AT">Austria</option>' in html and '<option value="ES">' not in html


def test_an_unknown_country_shows_every_showroom_with_a_notice(world, client):
    open_showroom(world.a, world.admin)
    response = client.get(reverse("showroom:list"), {"country": "XX"})
    assert response.status_code == 200
    assert "That country is unknown" in response.content.decode()
    assert len(titles(response)) == 1


def test_showrooms_of_partners_that_are_not_active_are_hidden(world, client):
    open_showroom(world.c, world.admin, title="Gamma showroom")
    world.c.status = PartnerStatus.SUSPENDED
    world.c.save(update_fields=["status"])
    assert titles(client.get(reverse("showroom:list"))) == []
    assert client.get(reverse("showroom:detail", args=["gamma"])).status_code == 404


def test_the_locator_pages_by_keyset_forwards_and_back(world, client):
    for n in range(PAGE_SIZE + 3):
        open_showroom(PartnerFactory(), world.admin, title=f"Showroom {n:03d}")
    url = reverse("showroom:list")
    first = client.get(url)
    assert titles(first) == [f"Showroom {n:03d}" for n in range(PAGE_SIZE)]
    after = re.search(r'href="\?after=([^"]+)"', first.content.decode()).group(1)
    second = client.get(url + "?after=" + after)
    assert titles(second) == [f"Showroom {n:03d}" for n in range(PAGE_SIZE, PAGE_SIZE + 3)]
    assert "Next" not in second.content.decode()
    before = re.search(r'href="\?before=([^"]+)"', second.content.decode()).group(1)
    assert titles(client.get(url + "?before=" + before)) == titles(first)


def test_a_bad_cursor_gives_the_first_page_and_a_notice(world, client):
    open_showroom(world.a, world.admin)
    response = client.get(reverse("showroom:list"), {"after": "not-a-cursor"})
    assert response.status_code == 200
    assert "That page link is no longer valid" in response.content.decode()
    assert len(titles(response)) == 1


@pytest.mark.parametrize("rows", [1, 20])
def test_the_locator_reads_the_same_number_of_queries_for_1_and_20_showrooms(
    world, client, django_assert_num_queries, rows
):
    for n in range(rows):
        open_showroom(PartnerFactory(country=["DE", "FR", "AT"][n % 3]), world.admin, title=f"S {n}")
    # The category tree, the countries that have showrooms, one page of showrooms with their partners.
    with django_assert_num_queries(3):
        response = client.get(reverse("showroom:list"))
    assert len(titles(response)) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_the_locator_filters_by_category_with_flat_queries(world, client, django_assert_num_queries, rows):
    from catalog.models import PartnerCategory
    from tests.catalog.conftest import make_category

    sensors = make_category("Sensors", slug="sensors")
    pressure = make_category("Pressure", slug="pressure", parent=sensors)
    valves = make_category("Valves", slug="valves")
    for n in range(rows):
        partner = PartnerFactory()
        open_showroom(partner, world.admin, title=f"Seller {n}")
        PartnerCategory.objects.create(partner=partner, category=sensors)
    open_showroom(PartnerFactory(), world.admin, title="Valves only")
    PartnerCategory.objects.create(partner=PartnerFactory(), category=valves)
    # The tree, the countries, one page (the sellers as a subquery after partners_selling's tree read).
    with django_assert_num_queries(4):
        response = client.get(reverse("showroom:list"), {"category": "pressure"})
    assert sorted(titles(response)) == sorted(f"Seller {n}" for n in range(rows))
    assert response.context["category"].id == pressure.id
    assert "Valves only" in titles(client.get(reverse("showroom:list")))
    unknown = client.get(reverse("showroom:list"), {"category": "nope"})
    assert "That product category is unknown" in unknown.content.decode()
    assert len(titles(unknown)) == rows + 1


def test_the_showroom_shows_branding_and_contact(world, client):
    open_showroom(
        world.a,
        world.pm_a,
        title="Alpha showroom",
        brand_colour="#F2C14E",
        introduction="We sell sensors.\n\nAnd <b>controllers</b>.",
        contact_email="shop@alpha.example",
        contact_phone="+49 89 123",
        contact_address="Street 1\n80331 Munich",
        logo=SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png"),
    )
    response = client.get(reverse("showroom:detail", args=["alpha"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Alpha showroom</title>" in html
    assert "background-color: #f2c14e; color: #000000;" in html  # dark text on a light brand colour
    assert "<p>We sell sensors.</p>" in html and "&lt;b&gt;controllers&lt;/b&gt;" in html
    assert 'href="mailto:shop@alpha.example"' in html and "Street 1<br>80331 Munich" in html
    assert reverse("showroom:logo", args=["alpha"]) in html
    assert "<script" not in html and "Log out" not in html
    logo = client.get(reverse("showroom:logo", args=["alpha"]))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert b"".join(logo.streaming_content) == png_bytes()


def test_the_showroom_page_reads_four_queries(world, client, django_assert_num_queries):
    from tests.catalog.conftest import make_category

    open_showroom(world.a, world.admin)
    make_category("Sensors", slug="sensors")
    # The showroom with its partner, the category tree, the partner's chosen categories, the categories
    # outside those that hold one of its single products (the navigation of its catalogue).
    with django_assert_num_queries(4):
        assert client.get(reverse("showroom:detail", args=["alpha"])).status_code == 200


def test_unpublished_and_unknown_showrooms_answer_404(world, client):
    services.showroom_update(
        partner=world.a,
        actor=world.admin,
        changes={
            "published": False,
            "logo": SimpleUploadedFile("l.png", png_bytes(), content_type="image/png"),
        },
    )
    assert client.get(reverse("showroom:detail", args=["alpha"])).status_code == 404
    assert client.get(reverse("showroom:logo", args=["alpha"])).status_code == 404
    assert client.get(reverse("showroom:detail", args=["nobody"])).status_code == 404
    Showroom.objects.filter(partner=world.a).update(published=True)
    assert client.get(reverse("showroom:detail", args=["alpha"])).status_code == 200


def test_public_pages_answer_only_get(world, client):
    open_showroom(world.a, world.admin)
    assert client.post(reverse("showroom:list")).status_code == 405
    assert client.post(reverse("showroom:detail", args=["alpha"])).status_code == 405
