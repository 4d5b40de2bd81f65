"""catalog.services: products and categories change only through channel admins, with messages that
say what to fix, and nothing changes when input is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog import services
from catalog.models import Category, Product
from core.errors import NotAllowed
from core.models import ActivityEvent
from tests.catalog.conftest import FAKE_PNG_SVG, make_category, make_product, png_bytes, upload, webp_bytes

pytestmark = pytest.mark.django_db

LONG_NAME = "Inductive proximity sensor M12 flush mount PNP NO with 2 m cable"


def fields(category: Category | None, /, **overrides):
    return {"sku": "VX-1", "name": "Pressure transmitter 0–10 bar", "list_price": Decimal("189.00"),
            "category": category, **overrides}  # fmt: skip


def test_create_derives_the_short_description_and_records_the_actor(world):
    category = make_category()
    product = services.product_create(actor=world.admin, fields=fields(category, name=LONG_NAME))
    assert product.short_description == "Inductive proximity sensor M12 flush…"
    assert product.short_description_auto and product.short_description_shortened
    assert (product.currency, product.order_unit, product.price_unit, product.active) == (
        "EUR",
        "C62",
        1,
        True,
    )
    event = ActivityEvent.objects.get(verb="catalog.product_created")
    assert event.actor == world.admin and event.target_id == product.pk


def test_a_name_that_fits_is_the_short_description_and_not_marked_shortened(world):
    product = services.product_create(
        actor=world.admin, fields=fields(make_category(), name="  Float  switch ")
    )
    assert product.name == "Float switch"
    assert product.short_description == "Float switch"
    assert not product.short_description_shortened


def test_a_given_short_description_is_kept_and_not_followed_by_the_name(world):
    product = services.product_create(
        actor=world.admin, fields=fields(make_category(), short_description="Prox sensor M12 PNP")
    )
    assert (product.short_description, product.short_description_auto) == ("Prox sensor M12 PNP", False)
    product = services.product_update(actor=world.admin, product=product, fields={"name": LONG_NAME})
    assert product.short_description == "Prox sensor M12 PNP"


def test_a_derived_short_description_follows_a_new_name(world):
    product = services.product_create(actor=world.admin, fields=fields(make_category()))
    product = services.product_update(actor=world.admin, product=product, fields={"name": LONG_NAME})
    assert product.short_description == "Inductive proximity sensor M12 flush…"


def test_a_given_short_description_over_40_characters_is_refused_never_cut(world):
    with pytest.raises(ValidationError) as exc:
        services.product_create(
            actor=world.admin, fields=fields(make_category(), short_description=LONG_NAME)
        )
    message = exc.value.message_dict["short_description"][0]
    assert "At most 40 characters (this has 64)" in message
    assert "“Inductive proximity sensor M12 flush…”" in message
    assert not Product.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"sku": "VX 1"}, "sku", "no spaces"),
        ({"sku": ""}, "sku", "This field cannot be blank."),
        ({"name": "   "}, "name", "This field cannot be blank."),
        ({"list_price": Decimal("-1")}, "list_price", "greater than or equal to 0"),
        ({"currency": "EURO"}, "currency", "at most 3 characters"),
        ({"currency": "XYZ"}, "currency", "not an ISO 4217 currency code"),
        ({"order_unit": "piece"}, "order_unit", "at most 3 characters"),
        ({"order_unit": "c-6"}, "order_unit", "UN/ECE unit code"),
        ({"price_unit": 0}, "price_unit", "greater than or equal to 1"),
        ({"material_group": "4111 2400"}, "material_group", "no spaces"),
        ({"material_group": "41112400123"}, "material_group", "at most 10 characters"),
        ({"category": None}, "category", "Choose a category"),
        ({"attributes": {"Range": {"min": 1}}}, "attributes", "single value"),
        ({"attributes": ["a"]}, "attributes", "names and values"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(world, overrides, field, text):
    category = make_category()
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=world.admin, fields=fields(category, **overrides))
    assert text in " ".join(exc.value.message_dict[field]), exc.value.message_dict
    assert not Product.objects.exists()
    assert not ActivityEvent.objects.exists()


def test_currency_and_order_unit_are_upper_cased(world):
    product = services.product_create(
        actor=world.admin, fields=fields(make_category(), currency="usd", order_unit="h87")
    )
    assert (product.currency, product.order_unit) == ("USD", "H87")


def test_a_duplicate_sku_is_refused_with_a_message(world):
    category = make_category()
    services.product_create(actor=world.admin, fields=fields(category))
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=world.admin, fields=fields(category, name="Other"))
    assert "exists already" in exc.value.message_dict["sku"][0]
    assert Product.objects.count() == 1


def test_unknown_fields_are_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.product_create(actor=world.admin, fields=fields(make_category(), search_text="x"))
    assert "search_text" in exc.value.message_dict


@pytest.mark.parametrize("persona", ["cm_a", "pm_a", "pe_a"])
def test_only_channel_admins_change_the_catalogue(world, persona):
    user = getattr(world, persona)
    category = make_category()
    product = make_product(category)
    with pytest.raises(NotAllowed):
        services.product_create(actor=user, fields=fields(category))
    with pytest.raises(NotAllowed):
        services.product_update(actor=user, product=product, fields={"name": "Changed"})
    with pytest.raises(NotAllowed):
        services.product_deactivate(actor=user, product=product)
    with pytest.raises(NotAllowed):
        services.category_create(actor=user, fields={"name": "New"})
    with pytest.raises(NotAllowed):
        services.category_update(actor=user, category=category, fields={"name": "Changed"})
    product.refresh_from_db()
    category.refresh_from_db()
    assert product.name != "Changed" and product.active and category.name != "Changed"


def test_deactivate_and_activate(world):
    product = make_product()
    services.product_deactivate(actor=world.admin, product=product)
    services.product_deactivate(actor=world.admin, product=product)  # twice: nothing more
    product.refresh_from_db()
    assert not product.active
    assert ActivityEvent.objects.filter(verb="catalog.product_deactivated").count() == 1
    services.product_activate(actor=world.admin, product=product)
    product.refresh_from_db()
    assert product.active


def test_an_image_is_stored_under_a_random_name_with_its_real_type(world, settings):
    product = services.product_create(
        actor=world.admin, fields=fields(make_category()), image=upload(webp_bytes(), name="../../photo.png")
    )
    assert product.image.name.startswith("catalog/products/")
    assert product.image.name.endswith(".webp")
    assert "photo" not in product.image.name
    assert (settings.MEDIA_ROOT / product.image.name).read_bytes() == webp_bytes()


def test_a_fake_image_is_refused_and_nothing_is_stored(world, settings):
    with pytest.raises(ValidationError) as exc:
        services.product_create(
            actor=world.admin, fields=fields(make_category()), image=upload(FAKE_PNG_SVG, name="logo.png")
        )
    assert "SVG is not accepted" in exc.value.message_dict["image"][0]
    assert not Product.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_a_new_image_replaces_the_old_file_after_the_commit(
    world, settings, django_capture_on_commit_callbacks
):
    product = services.product_create(
        actor=world.admin, fields=fields(make_category()), image=upload(png_bytes())
    )
    old = settings.MEDIA_ROOT / product.image.name
    with django_capture_on_commit_callbacks(execute=True):
        product = services.product_update(
            actor=world.admin, product=product, fields={}, image=upload(png_bytes(4, 4))
        )
    assert not old.exists()
    assert (settings.MEDIA_ROOT / product.image.name).exists()
    with django_capture_on_commit_callbacks(execute=True):
        product = services.product_update(actor=world.admin, product=product, fields={}, remove_image=True)
    assert not product.image


def test_database_constraints_hold_outside_the_services():
    category = make_category()
    for bad in ({"list_price": Decimal("-1")}, {"price_unit": 0}, {"sku": ""}, {"name": ""}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Product.objects.create(category=category, **{"sku": "X", "name": "Y", "list_price": 1, **bad})


# --- Attributes as text --------------------------------------------------------------------------


def test_attributes_are_read_from_lines_semicolons_or_json():
    assert services.parse_attributes("Sensing range: 4 mm\nHousing: M12 ; Ratio: 1:2") == {
        "Sensing range": "4 mm", "Housing": "M12", "Ratio": "1:2",
    }  # fmt: skip
    assert services.parse_attributes('{"IP": 67}') == {"IP": 67}
    assert services.parse_attributes("  ") == {}
    assert services.format_attributes({"A": "1", "B": 2}) == "A: 1\nB: 2"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("just text", "is not “Name: value”"),
        (": value", "is not “Name: value”"),
        ("A: 1\nA: 2", "given twice"),
        ("{not json", "not a valid JSON object"),
    ],
)
def test_unreadable_attributes_say_what_is_wrong(text, message):
    with pytest.raises(ValidationError) as exc:
        services.parse_attributes(text)
    assert message in exc.value.messages[0]


# --- Categories ----------------------------------------------------------------------------------


def test_category_slug_is_made_from_the_name(world):
    category = services.category_create(actor=world.admin, fields={"name": "Level sensors"})
    assert category.slug == "level-sensors"


def test_a_taken_slug_is_refused_with_a_message(world):
    services.category_create(actor=world.admin, fields={"name": "Level sensors"})
    with pytest.raises(ValidationError) as exc:
        services.category_create(actor=world.admin, fields={"name": "Level Sensors"})
    assert "“level-sensors” is taken" in exc.value.message_dict["slug"][0]


def test_a_category_cannot_move_under_itself_or_its_sub_categories(world):
    root = services.category_create(actor=world.admin, fields={"name": "Sensors"})
    child = services.category_create(actor=world.admin, fields={"name": "Pressure", "parent": root})
    grandchild = services.category_create(actor=world.admin, fields={"name": "Gauge", "parent": child})
    for parent in (root, child, grandchild):
        with pytest.raises(ValidationError) as exc:
            services.category_update(actor=world.admin, category=root, fields={"parent": parent})
        assert "parent" in exc.value.message_dict
    root.refresh_from_db()
    assert root.parent is None
    moved = services.category_update(actor=world.admin, category=grandchild, fields={"parent": root})
    assert moved.parent == root


def test_the_tree_depth_is_limited(world):
    parent = None
    for level in range(services.MAX_CATEGORY_DEPTH):
        parent = services.category_create(
            actor=world.admin, fields={"name": f"Level {level}", "parent": parent}
        )
    with pytest.raises(ValidationError) as exc:
        services.category_create(actor=world.admin, fields={"name": "Too deep", "parent": parent})
    assert "at most 8 levels" in exc.value.message_dict["parent"][0]


def test_a_category_with_products_cannot_be_deleted():
    product = make_product()
    with pytest.raises(IntegrityError), transaction.atomic():
        product.category.delete()
