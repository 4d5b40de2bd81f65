"""showroom_update: who may, what it validates (with messages that say what to fix), the hashed OCI
password, the logo upload and the activity trail."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.errors import NotAllowed
from core.models import ActivityEvent
from showroom import services
from showroom.models import Showroom
from tests.catalog.conftest import FAKE_PNG_HTML, png_bytes, webp_bytes


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def update(world, actor="pm_a", partner="a", **changes):
    return services.showroom_update(
        partner=getattr(world, partner), actor=getattr(world, actor), changes=changes
    )


def test_first_save_creates_the_showroom_with_the_partners_defaults(world):
    showroom = update(world, published=True)
    assert showroom.slug == "alpha"
    assert showroom.title == "Alpha Distribution"
    assert showroom.published
    event = ActivityEvent.objects.get(verb="showroom.created")
    assert event.partner_id == world.a.pk and event.actor == world.pm_a


@pytest.mark.parametrize("actor", ["pm_a", "admin", "cm_a"])
def test_partner_managers_admins_and_the_partners_channel_manager_may_edit(world, actor):
    assert update(world, actor=actor, title="Alpha showroom").title == "Alpha showroom"


@pytest.mark.parametrize("actor", ["pe_a", "pm_b", "pm_c", "cm_c"])
def test_employees_other_partners_and_other_channel_managers_may_not(world, actor):
    with pytest.raises(NotAllowed):
        update(world, actor=actor, title="Taken over")
    assert not Showroom.objects.exists()


def test_channel_manager_of_the_distributor_edits_its_resellers_showroom(world):
    assert update(world, actor="cm_a", partner="b", title="Beta").partner == world.b


def test_only_changed_fields_are_recorded(world):
    update(world, title="One", published=False)
    update(world, title="Two", published=False, introduction="Hello")
    event = ActivityEvent.objects.filter(verb="showroom.updated").get()
    assert event.message == "Showroom settings changed: Title, Introduction"
    update(world, title="Two", published=False)
    assert ActivityEvent.objects.filter(verb="showroom.updated").count() == 1


def test_a_taken_address_is_refused_with_what_to_do(world):
    update(world, actor="pm_c", partner="c", slug="shop")
    with pytest.raises(ValidationError) as exc:
        update(world, slug="shop")
    assert exc.value.message_dict["slug"] == ["The address /showroom/shop/ is taken; choose another."]


def test_a_partner_whose_slug_is_taken_gets_a_free_default(world):
    update(world, actor="pm_c", partner="c", slug="alpha")
    assert update(world).slug == "alpha-2"


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"brand_colour": "red"}, "brand_colour", "six hexadecimal digits"),
        ({"brand_colour": "#12345g"}, "brand_colour", "six hexadecimal digits"),
        ({"slug": "Not A Slug!"}, "slug", "letters"),
        ({"title": "  "}, "title", "cannot be blank"),
        ({"contact_email": "not-an-email"}, "contact_email", "valid email"),
        ({"oci_allowed_urls": ["ftp://shop.example/oci"]}, "oci_allowed_urls", "http:// or https://"),
        ({"oci_username": "shop"}, "oci_password", "Enter a password"),
        ({"oci_password": "secret-enough"}, "oci_username", "Enter the OCI user name"),
        ({"oci_username": "shop", "oci_password": "short"}, "oci_password", "at least 8"),
        ({"colour": "#000000"}, "colour", "cannot be changed"),
    ],
)
def test_bad_values_are_refused_per_field_and_nothing_is_saved(world, changes, field, says):
    with pytest.raises(ValidationError) as exc:
        update(world, **changes)
    assert says in " ".join(exc.value.message_dict[field])
    assert not Showroom.objects.exists()
    assert not ActivityEvent.objects.filter(verb__startswith="showroom.").exists()


def test_the_colour_is_stored_in_lower_case(world):
    assert update(world, brand_colour="#ABCDEF").brand_colour == "#abcdef"


def test_the_oci_password_is_stored_hashed_kept_when_empty_and_removed_with_the_user_name(world):
    showroom = update(world, oci_username="shop", oci_password="sup3r-secret")
    assert showroom.oci_password != "sup3r-secret"
    assert check_password("sup3r-secret", showroom.oci_password)
    event = ActivityEvent.objects.get(verb="showroom.created")
    assert "sup3r-secret" not in event.message and "sup3r-secret" not in str(event.data)
    kept = update(world, oci_username="shop", oci_password="", title="New title")
    assert kept.oci_password == showroom.oci_password
    cleared = update(world, oci_username="", oci_password="")
    assert cleared.oci_password == "" and not cleared.oci_requires_credentials


def test_allowed_urls_are_trimmed_and_blank_lines_dropped(world):
    showroom = update(world, oci_allowed_urls=["  https://shop.example/oci ", "", "http://127.0.0.1:8765/x"])
    assert showroom.oci_allowed_urls == ["https://shop.example/oci", "http://127.0.0.1:8765/x"]


def test_a_logo_is_stored_under_a_random_name_with_its_real_type(world, settings):
    showroom = update(world, logo=SimpleUploadedFile("../../our logo.png", webp_bytes(), "image/png"))
    assert showroom.logo.name.startswith("showroom/logos/")
    assert showroom.logo.name.endswith(".png")  # the upload's extension when it is an image one
    assert "logo" not in showroom.logo.name.removeprefix("showroom/logos/")
    assert (settings.MEDIA_ROOT / showroom.logo.name).read_bytes() == webp_bytes()


def test_html_disguised_as_png_is_refused_and_nothing_is_stored(world, settings):
    with pytest.raises(ValidationError) as exc:
        update(world, logo=SimpleUploadedFile("logo.png", FAKE_PNG_HTML, "image/png"))
    assert "not a picture" in exc.value.message_dict["logo"][0]
    assert not Showroom.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_a_new_logo_replaces_the_old_file_after_the_commit(
    world, settings, django_capture_on_commit_callbacks
):
    showroom = update(world, logo=SimpleUploadedFile("a.png", png_bytes(), "image/png"))
    old = settings.MEDIA_ROOT / showroom.logo.name
    with django_capture_on_commit_callbacks(execute=True):
        showroom = update(world, logo=SimpleUploadedFile("b.png", png_bytes(4, 4), "image/png"))
    assert not old.exists()
    assert (settings.MEDIA_ROOT / showroom.logo.name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        showroom = update(world, logo=None)
    assert not showroom.logo
    assert "Logo" in ActivityEvent.objects.filter(verb="showroom.updated").latest("pk").message
