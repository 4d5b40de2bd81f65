"""The showroom settings page: in the partner portal (/partner/showroom/) for the partner's people, in the
channel portal (/channel/partners/<pk>/showroom/) for channel staff. Who may edit, read or not see it,
the form's messages, the write-only OCI password and the logo upload.

Until portals/partner/urls.py and portals/channel/urls.py include portals.partner.showroom_urls, these
tests route through the urlconf below: the project's, with the showroom settings routes added."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import include, path, reverse

from core.models import ActivityEvent
from pcm import urls as root_urls
from portals.channel import urls as channel_urls
from portals.partner import showroom_urls
from portals.partner import urls as partner_urls
from showroom import services
from showroom.models import Showroom
from tests.catalog.conftest import FAKE_PNG_HTML, png_bytes

urlpatterns = [
    *(p for p in root_urls.urlpatterns if str(p.pattern) not in ("partner/", "channel/")),
    path("partner/", include(([*partner_urls.urlpatterns, *showroom_urls.urlpatterns], "partner"))),
    path("channel/", include(([*channel_urls.urlpatterns, *showroom_urls.channel_urlpatterns], "channel"))),
]
URLCONF = "tests.showroom.test_settings"

pytestmark = pytest.mark.usefixtures("_showroom_urls")


@pytest.fixture
def _showroom_urls(settings, tmp_path):
    settings.ROOT_URLCONF = URLCONF
    settings.MEDIA_ROOT = tmp_path / "media"


def own_url():
    return reverse("partner:showroom_settings")


def channel_url(partner):
    return reverse("channel:partner_showroom", args=[partner.pk])


def form_data(**overrides):
    data = {
        "title": "Alpha showroom",
        "slug": "alpha",
        "brand_colour": "#14406b",
        "introduction": "We sell sensors.",
        "contact_email": "shop@alpha.example",
        "contact_phone": "+49 89 123",
        "contact_address": "Street 1\n80331 Munich",
        "published": "on",
        "oci_allowed_urls": "https://shop.alpha.example/oci\n\nhttp://127.0.0.1:8765/oci-return\n",
        "oci_username": "",
        "oci_password": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_partner_manager_sees_the_form_with_labelled_inputs_and_defaults(world, login):
    response = login(world.pm_a).get(own_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    for name in ("title", "slug", "logo", "brand_colour", "oci_allowed_urls", "oci_username", "oci_password"):
        assert f'for="id_{name}"' in html and f'id="id_{name}"' in html
    assert 'type="color"' in html
    assert 'value="Alpha Distribution"' in html  # the partner's name by default
    assert "Leave empty to keep the current password" in html
    assert "has no showroom yet" in html
    assert 'aria-label="Breadcrumb"' in html and "Partner portal" in html


def test_partner_manager_saves_and_gets_a_message(world, login):
    client = login(world.pm_a)
    response = client.post(
        own_url(), form_data(oci_username="alpha-shop", oci_password="s3cret-pass"), follow=True
    )
    assert response.redirect_chain == [(own_url(), 302)]
    assert (
        "Showroom settings saved. Your showroom is public at /showroom/alpha/." in response.content.decode()
    )
    showroom = Showroom.objects.get(partner=world.a)
    assert showroom.oci_allowed_urls == ["https://shop.alpha.example/oci", "http://127.0.0.1:8765/oci-return"]
    assert check_password("s3cret-pass", showroom.oci_password)
    assert "s3cret-pass" not in response.content.decode()  # never shown again
    assert ActivityEvent.objects.filter(verb="showroom.created", actor=world.pm_a).exists()


def test_an_empty_password_keeps_the_stored_one(world, login):
    services.showroom_update(
        partner=world.a, actor=world.pm_a, changes={"oci_username": "shop", "oci_password": "first-pass"}
    )
    login(world.pm_a).post(own_url(), form_data(oci_username="shop", title="Renamed"))
    showroom = Showroom.objects.get(partner=world.a)
    assert showroom.title == "Renamed"
    assert check_password("first-pass", showroom.oci_password)


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"brand_colour": "blue"}, "six hexadecimal digits"),
        ({"slug": "Not a slug"}, "letters, numbers"),
        (
            {"oci_allowed_urls": "ftp://shop.example/oci"},
            "Line 1: ftp://shop.example/oci must start with http",
        ),
        ({"oci_username": "shop"}, "Enter a password for this OCI user name"),
        ({"title": ""}, "This field is required"),
    ],
)
def test_bad_input_re_shows_the_form_with_what_to_fix(world, login, overrides, says):
    response = login(world.pm_a).post(own_url(), form_data(**overrides))
    assert response.status_code == 400
    html = response.content.decode()
    assert says in html
    assert "nothing was saved" in html
    assert not Showroom.objects.exists()


def test_a_taken_address_is_a_field_message(world, login):
    services.showroom_update(partner=world.c, actor=world.pm_c, changes={"slug": "alpha"})
    response = login(world.pm_a).post(own_url(), form_data(slug="alpha"))
    assert response.status_code == 400
    assert "The address /showroom/alpha/ is taken; choose another." in response.content.decode()


def test_html_disguised_as_png_is_refused_with_a_message(world, login, settings):
    upload = SimpleUploadedFile("logo.png", FAKE_PNG_HTML, content_type="image/png")
    response = login(world.pm_a).post(own_url(), {**form_data(), "logo": upload})
    assert response.status_code == 400
    assert "not a picture" in response.content.decode()
    assert not Showroom.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_a_logo_is_uploaded_previewed_and_removed(world, login):
    client = login(world.pm_a)
    upload = SimpleUploadedFile("logo.png", png_bytes(), content_type="image/png")
    client.post(own_url(), {**form_data(published=None), "logo": upload})
    showroom = Showroom.objects.get(partner=world.a)
    assert showroom.logo and not showroom.published
    page = client.get(own_url()).content.decode()
    assert reverse("partner:showroom_logo") in page
    logo = client.get(reverse("partner:showroom_logo"))
    assert logo.status_code == 200 and logo["Content-Type"] == "image/png"
    assert logo["X-Content-Type-Options"] == "nosniff"
    client.post(own_url(), {**form_data(), "remove_logo": "on"})
    showroom.refresh_from_db()
    assert not showroom.logo
    assert client.get(reverse("partner:showroom_logo")).status_code == 404


def test_employee_reads_the_settings_without_a_form_and_may_not_post(world, login):
    services.showroom_update(
        partner=world.a,
        actor=world.pm_a,
        changes={"published": True, "oci_username": "alpha-oci-user", "oci_password": "secret-pass"},
    )
    client = login(world.pe_a)
    response = client.get(own_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="post" action="/partner/showroom/"' not in html
    assert "Your partner managers keep these settings up to date." in html
    assert 'name="oci_username"' not in html and "alpha-oci-user" not in html
    assert client.post(own_url(), form_data(title="Hijacked")).status_code == 403
    assert Showroom.objects.get(partner=world.a).title != "Hijacked"


def test_each_partner_manager_edits_only_their_own_showroom(world, login):
    login(world.pm_b).post(own_url(), form_data(slug="beta", title="Beta showroom"))
    assert Showroom.objects.get().partner == world.b
    assert not Showroom.objects.filter(partner=world.a).exists()


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_who_manage_the_partner_edit_it_in_the_channel_portal(world, login, persona):
    client = login(getattr(world, persona))
    response = client.get(channel_url(world.b))
    assert response.status_code == 200
    assert "Channel" in response.content.decode() and "Beta Resale" in response.content.decode()
    response = client.post(channel_url(world.b), form_data(slug="beta", title="Beta by channel"))
    assert response.status_code == 302 and response["Location"] == channel_url(world.b)
    assert Showroom.objects.get(partner=world.b).title == "Beta by channel"


def test_a_channel_manager_of_another_partner_gets_404(world, login):
    client = login(world.cm_c)
    assert client.get(channel_url(world.a)).status_code == 404
    assert client.post(channel_url(world.a), form_data()).status_code == 404
    assert client.get(reverse("channel:partner_showroom_logo", args=[world.a.pk])).status_code == 404
    assert not Showroom.objects.exists()


def test_partner_users_cannot_use_the_channel_page_and_channel_staff_not_the_partner_page(world, login):
    assert login(world.pm_a).get(channel_url(world.a)).status_code == 403
    assert login(world.cm_a).get(own_url()).status_code == 403


def test_anonymous_visitors_go_to_the_login_page(world, client):
    response = client.get(own_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_page_reads_a_constant_number_of_queries(world, login, django_assert_num_queries):
    services.showroom_update(partner=world.a, actor=world.pm_a, changes={"published": True})
    client = login(world.pm_a)
    client.get(own_url())  # warm the session
    # session, user, actor, partner, showroom (the permission checks read the cached actor).
    with django_assert_num_queries(5):
        assert client.get(own_url()).status_code == 200
