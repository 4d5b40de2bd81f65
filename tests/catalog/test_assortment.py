"""Partner assortments: the services (categories, products, settings, replace, CSV upload), the
selectors (effective assortment, partners_selling) and the demo data."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction

from catalog import assortment as services
from catalog import selectors
from catalog.demo import seed_assortments, seed_catalog
from catalog.models import PartnerCategory, PartnerProduct
from core.errors import NotAllowed
from tests.catalog.conftest import make_category, make_product
from tests.factories import PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db


def csv_file(text: str, name: str = "assortment.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


@pytest.fixture
def tree():
    """Sensors > Inductive > Miniature, Sensors > Pressure; Controllers."""
    sensors = make_category("Sensors")
    inductive = make_category("Inductive", parent=sensors)
    miniature = make_category("Miniature", parent=inductive)
    pressure = make_category("Pressure", parent=sensors)
    controllers = make_category("Controllers")
    return {
        "sensors": sensors,
        "inductive": inductive,
        "miniature": miniature,
        "pressure": pressure,
        "controllers": controllers,
    }


def skus(partner) -> list[str]:
    return [p.sku for p in selectors.assortment(partner.pk).order_by("sku")]


# --- Effective assortment --------------------------------------------------------------------------


def test_a_chosen_category_brings_its_sub_categories_active_products_only(world, tree):
    make_product(tree["inductive"], sku="IND-1")
    make_product(tree["miniature"], sku="MIN-1")
    make_product(tree["miniature"], sku="MIN-OLD", active=False)
    make_product(tree["pressure"], sku="PRS-1")
    make_product(tree["controllers"], sku="CTL-1")
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[tree["inductive"].pk])
    assert skus(world.a) == ["IND-1", "MIN-1"]
    assert skus(world.b) == []


def test_the_effective_price_is_the_partners_else_the_list_price_and_each_product_once(world, tree):
    own = make_product(tree["pressure"], sku="PRS-OWN", list_price=Decimal("100.00"))
    plain = make_product(tree["pressure"], sku="PRS-LIST", list_price=Decimal("80.00"))
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[tree["sensors"].pk])
    services.assortment_product_update(
        actor=world.pm_a, partner=world.a, product=own,
        settings={"price": "89.90", "stock": 5, "lead_time_days": 3},
    )  # fmt: skip
    # Another partner's setting does not leak into A's rows.
    services.assortment_product_update(
        actor=world.pm_c, partner=world.c, product=plain, settings={"price": "1.00"}
    )
    rows = {p.sku: p for p in selectors.assortment(world.a.pk)}
    assert set(rows) == {"PRS-OWN", "PRS-LIST"}
    assert (rows["PRS-OWN"].effective_price, rows["PRS-OWN"].partner_price) == (
        Decimal("89.90"),
        Decimal("89.90"),
    )
    assert (rows["PRS-OWN"].stock, rows["PRS-OWN"].lead_time_days) == (5, 3)
    assert rows["PRS-OWN"].setting_id is not None
    assert (rows["PRS-LIST"].effective_price, rows["PRS-LIST"].partner_price) == (Decimal("80.00"), None)
    assert rows["PRS-LIST"].stock is None and rows["PRS-LIST"].setting_id is None


def test_single_products_join_the_assortment_and_inactive_ones_drop_out(world, tree):
    single = make_product(tree["controllers"], sku="CTL-1")
    services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[single.pk])
    assert skus(world.a) == ["CTL-1"]
    single.active = False
    single.save()
    assert skus(world.a) == []


def test_adding_an_inactive_or_unknown_product_is_refused(world, tree):
    old = make_product(tree["controllers"], active=False)
    with pytest.raises(ValidationError):
        services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[old.pk])
    with pytest.raises(ValidationError):
        services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[987654])
    assert not PartnerProduct.objects.exists()


def test_removing_a_product_keeps_it_when_its_category_is_chosen(world, tree):
    product = make_product(tree["pressure"], sku="PRS-1")
    other = make_product(tree["controllers"], sku="CTL-1")
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[tree["pressure"].pk])
    services.assortment_product_update(
        actor=world.pm_a, partner=world.a, product=product, settings={"price": "5"}
    )
    services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[other.pk])
    assert (
        services.assortment_remove_products(
            actor=world.pm_a, partner=world.a, product_ids=[product.pk, other.pk]
        )
        == 2
    )
    assert skus(world.a) == ["PRS-1"]
    assert selectors.assortment(world.a.pk).get().effective_price == Decimal("10.00")


def test_setting_categories_replaces_them_and_refuses_unknown_ids(world, tree):
    services.assortment_set_categories(
        actor=world.pm_a, partner=world.a, category_ids=[tree["sensors"].pk, tree["controllers"].pk]
    )
    services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[tree["pressure"].pk])
    assert selectors.chosen_category_ids(world.a.pk) == [tree["pressure"].pk]
    with pytest.raises(ValidationError) as exc:
        services.assortment_set_categories(actor=world.pm_a, partner=world.a, category_ids=[999999])
    assert "categories" in exc.value.message_dict
    assert selectors.chosen_category_ids(world.a.pk) == [tree["pressure"].pk]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"price": "-1"}, "price"),
        ({"price": "1.234"}, "price"),
        ({"price": "abc"}, "price"),
        ({"stock": -3}, "stock"),
        ({"stock": "many"}, "stock"),
        ({"lead_time_days": 10_000}, "lead_time_days"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(world, tree, values, field):
    product = make_product(tree["pressure"])
    with pytest.raises(ValidationError) as exc:
        services.assortment_product_update(
            actor=world.pm_a, partner=world.a, product=product, settings=values
        )
    assert field in exc.value.message_dict
    assert not PartnerProduct.objects.exists()


def test_empty_settings_clear_them(world, tree):
    product = make_product(tree["pressure"])
    services.assortment_product_update(
        actor=world.pm_a,
        partner=world.a,
        product=product,
        settings={"price": "3", "stock": 2, "lead_time_days": 1},
    )
    row = services.assortment_product_update(
        actor=world.pm_a,
        partner=world.a,
        product=product,
        settings={"price": None, "stock": "", "lead_time_days": None},
    )
    row.refresh_from_db()
    assert (row.price, row.stock, row.lead_time_days) == (None, None, None)


def test_the_database_refuses_negative_values_and_duplicates(world, tree):
    product = make_product(tree["pressure"])
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerProduct.objects.create(partner=world.a, product=product, price=Decimal("-1"))
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerProduct.objects.create(partner=world.a, product=product, stock=-1)
    PartnerCategory.objects.create(partner=world.a, category=tree["pressure"])
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerCategory.objects.create(partner=world.a, category=tree["pressure"])


# --- Who may change --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "partner", "allowed"),
    [
        ("pm_a", "a", True),
        ("admin", "a", True),
        ("cm_a", "a", True),
        ("cm_a", "b", True),  # B is A's reseller: A's channel manager manages it
        ("cm_c", "a", False),
        ("pe_a", "a", False),
        ("pm_b", "a", False),
        ("pm_a", "b", False),  # a distributor's manager reads its resellers, never changes them
        ("pm_c", "a", False),
    ],
)
def test_who_may_change_an_assortment(world, tree, persona, partner, allowed):
    actor, target = getattr(world, persona), getattr(world, partner)
    assert services.can_change_assortment(actor, target) is allowed
    if allowed:
        services.assortment_set_categories(actor=actor, partner=target, category_ids=[tree["sensors"].pk])
        assert selectors.chosen_category_ids(target.pk) == [tree["sensors"].pk]
    else:
        with pytest.raises(NotAllowed):
            services.assortment_set_categories(actor=actor, partner=target, category_ids=[tree["sensors"].pk])
        assert not PartnerCategory.objects.exists()


# --- Replace (API PUT) -----------------------------------------------------------------------------


def test_replace_sets_exactly_the_selection(world, tree):
    keep, drop, new = (make_product(tree["controllers"]) for _ in range(3))
    services.assortment_add_products(actor=world.pm_a, partner=world.a, product_ids=[keep.pk, drop.pk])
    services.assortment_replace(
        actor=world.pm_a,
        partner=world.a,
        category_ids=[tree["pressure"].pk],
        products=[
            {"product": keep.pk, "price": Decimal("7.50"), "stock": 1, "lead_time_days": None},
            {"product": new.pk, "price": None, "stock": None, "lead_time_days": 4},
        ],
    )
    rows = dict(PartnerProduct.objects.filter(partner=world.a).values_list("product_id", "price"))
    assert rows == {keep.pk: Decimal("7.50"), new.pk: None}
    assert selectors.chosen_category_ids(world.a.pk) == [tree["pressure"].pk]


def test_replace_saves_nothing_when_one_item_is_wrong(world, tree):
    good, old = make_product(tree["controllers"]), make_product(tree["controllers"], active=False)
    with pytest.raises(ValidationError) as exc:
        services.assortment_replace(
            actor=world.pm_a, partner=world.a, category_ids=[tree["pressure"].pk],
            products=[{"product": good.pk, "price": "-2"}, {"product": old.pk}, {"product": good.pk}],
        )  # fmt: skip
    errors = exc.value.message_dict
    assert set(errors) == {"products[0].price", "products[1].product", "products[2].product"}
    assert (
        "twice" in errors["products[2].product"][0]
        and "No active product" in errors["products[1].product"][0]
    )
    assert not PartnerProduct.objects.exists() and not PartnerCategory.objects.exists()


# --- partners_selling ------------------------------------------------------------------------------


def test_partners_selling_a_category(world, tree):
    other = PartnerFactory()
    services.assortment_set_categories(actor=world.admin, partner=world.a, category_ids=[tree["sensors"].pk])
    services.assortment_set_categories(
        actor=world.admin, partner=world.b, category_ids=[tree["miniature"].pk]
    )
    tool = make_product(tree["pressure"])
    old = make_product(tree["controllers"], active=False)
    services.assortment_add_products(actor=world.admin, partner=world.c, product_ids=[tool.pk])
    PartnerProduct.objects.create(partner=other, product=old)

    def selling(category):
        return set(selectors.partners_selling(category.pk))

    assert selling(tree["miniature"]) == {world.a.pk, world.b.pk}  # A through an ancestor, B directly
    assert selling(tree["inductive"]) == {world.a.pk, world.b.pk}  # B's sub-category counts
    assert selling(tree["pressure"]) == {world.a.pk, world.c.pk}  # C through a product
    assert selling(tree["sensors"]) == {world.a.pk, world.b.pk, world.c.pk}
    assert selling(tree["controllers"]) == set()  # an inactive product sells nothing
    assert set(selectors.partners_selling(999999)) == set()


def test_partners_selling_works_as_a_subquery(world, tree, django_assert_num_queries):
    services.assortment_set_categories(actor=world.admin, partner=world.c, category_ids=[tree["pressure"].pk])
    from partners.models import Partner

    ids = selectors.partners_selling(tree["pressure"].pk)  # reads the tree
    with django_assert_num_queries(1):
        assert list(Partner.objects.filter(id__in=ids).values_list("slug", flat=True)) == [world.c.slug]


# --- CSV upload ------------------------------------------------------------------------------------


def test_upload_adds_and_updates_and_reports_bad_rows(world, tree):
    a, b, old = (
        make_product(tree["pressure"], sku="A-1"),
        make_product(tree["pressure"], sku="B-1"),
        make_product(tree["pressure"], sku="OLD-1", active=False),
    )
    services.assortment_product_update(actor=world.pm_a, partner=world.a, product=b, settings={"price": "1"})
    text = (
        "sku,price,stock,lead_time_days\n"
        "A-1,12.50,10,3\n"
        "B-1,,4,\n"
        "NOPE-1,1,1,1\n"
        "OLD-1,1,1,1\n"
        "A-1,13,1,1\n"
        "\n"
        ",1,1,1\n"
        "C-1,-5,x,1\n"
    )
    result = services.assortment_upload(actor=world.pm_a, partner=world.a, uploaded_file=csv_file(text))
    assert (result.added, result.changed, result.unchanged) == (1, 1, 0)
    lines = [line for line, _ in result.errors]
    assert lines == [4, 5, 6, 8, 9]
    assert "NOPE-1" in dict(result.errors)[4] and "inactive" in dict(result.errors)[5]
    rows = {r.product_id: r for r in PartnerProduct.objects.filter(partner=world.a)}
    assert (rows[a.pk].price, rows[a.pk].stock, rows[a.pk].lead_time_days) == (Decimal("12.50"), 10, 3)
    assert (rows[b.pk].price, rows[b.pk].stock, rows[b.pk].lead_time_days) == (None, 4, None)
    assert old.pk not in rows
    again = services.assortment_upload(actor=world.pm_a, partner=world.a, uploaded_file=csv_file(text))
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)


def test_upload_leaves_columns_out_of_the_file_as_they_are(world, tree):
    product = make_product(tree["pressure"], sku="A-1")
    services.assortment_product_update(
        actor=world.pm_a, partner=world.a, product=product, settings={"price": "9", "lead_time_days": 5}
    )
    services.assortment_upload(
        actor=world.pm_a, partner=world.a, uploaded_file=csv_file("sku,stock\nA-1,7\n")
    )
    row = PartnerProduct.objects.get()
    assert (row.price, row.stock, row.lead_time_days) == (Decimal("9.00"), 7, 5)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku;price\nA-1;1\n", "commas"),
        ("price,stock\n1,2\n", "sku"),
        ("sku,colour\nA-1,red\n", "colour"),
        ("sku,price\n", "no rows"),
    ],
)
def test_upload_refuses_a_wrong_file_as_a_whole(world, tree, text, message):
    make_product(tree["pressure"], sku="A-1")
    with pytest.raises(ValidationError) as exc:
        services.assortment_upload(actor=world.pm_a, partner=world.a, uploaded_file=csv_file(text))
    assert message in " ".join(exc.value.messages)
    assert not PartnerProduct.objects.exists()


def test_upload_refuses_too_many_rows(world, tree, monkeypatch):
    monkeypatch.setattr(services, "MAX_UPLOAD_ROWS", 2)
    make_product(tree["pressure"], sku="A-1")
    with pytest.raises(ValidationError, match="at most 2"):
        services.assortment_upload(
            actor=world.pm_a, partner=world.a, uploaded_file=csv_file("sku\nA-1\nA-2\nA-3\n")
        )


def test_an_employee_cannot_upload(world, tree):
    make_product(tree["pressure"], sku="A-1")
    with pytest.raises(NotAllowed):
        services.assortment_upload(actor=world.pe_a, partner=world.a, uploaded_file=csv_file("sku\nA-1\n"))


def test_upload_queries_do_not_grow_with_rows(world, tree, django_assert_max_num_queries):
    products = [make_product(tree["pressure"], sku=f"Q-{n}") for n in range(60)]
    text = "sku,price\n" + "".join(f"{p.sku},{n}.00\n" for n, p in enumerate(products))
    # actor, product lookup, existing settings, inserts, activity, savepoints: bounded, not per row
    with django_assert_max_num_queries(10):
        result = services.assortment_upload(actor=world.pm_a, partner=world.a, uploaded_file=csv_file(text))
    assert result.added == 60


# --- Demo ------------------------------------------------------------------------------------------


def test_demo_assortments_differ_per_partner_and_are_seeded_once():
    admin = UserFactory(email="admin@openpcm.example", is_superuser=True)
    for slug in ("alpine", "brook", "cobalt"):
        PartnerFactory(slug=slug, name=slug.title())
    seed_catalog()
    from partners.models import Partner

    partners = {p.slug: p for p in Partner.objects.filter(slug__in=["alpine", "brook", "cobalt"])}
    found = {slug: {p.sku for p in selectors.assortment(p.pk)} for slug, p in partners.items()}
    assert all(len(items) >= 10 for items in found.values())
    assert found["alpine"] != found["brook"] != found["cobalt"] != found["alpine"]
    rows = PartnerProduct.objects.filter(partner__in=partners.values())
    assert rows.filter(price__isnull=False).exists() and rows.filter(stock__isnull=False).exists()
    assert len(set(rows.values_list("lead_time_days", flat=True))) >= 4
    before = list(PartnerProduct.objects.order_by("id").values_list("id", "price", "stock"))
    assert seed_assortments(admin) == 0
    assert list(PartnerProduct.objects.order_by("id").values_list("id", "price", "stock")) == before
