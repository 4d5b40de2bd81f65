"""POST /api/v1/partners and PATCH /api/v1/partners/{id}: roles, scope, validation, workflow."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from core.models import ActivityEvent
from partners.choices import PartnerStatus
from partners.models import Partner, PartnerUserObjectPermission

LIST = "/api/v1/partners"


def url(partner: Partner) -> str:
    return f"{LIST}/{partner.pk}"


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    for messages in body["errors"].values():
        assert messages and all(isinstance(m, str) and m for m in messages)
    return body["errors"]


# --- POST ----------------------------------------------------------------------------------------


def test_channel_admin_creates_a_partner(api, world):
    response = api(world.admin).post(
        LIST,
        {
            "name": "Delta Systems",
            "country": "nl",
            "city": "Utrecht",
            "tier": "gold",
            "parent": world.a.pk,
            "vat_id": "nl 123.456.789-b01",
            "latitude": 52.0907,
            "longitude": "5.1214",
            "capacity": 12,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    partner = Partner.objects.get(pk=body["id"])
    assert body["slug"] == partner.slug == "delta-systems"
    assert body["tier"] == "Gold"
    assert body["parent"] == world.a.pk
    assert body["country"] == "NL"
    assert body["status"] == "onboarding"
    assert body["type"] == "reseller"
    assert body["vat_id"] == "NL123456789B01"
    assert body["capacity"] == 12
    assert body["latitude"] == pytest.approx(52.0907)
    assert ActivityEvent.objects.filter(
        verb="partner.created", target_id=partner.pk, actor=world.admin
    ).exists()


def test_channel_manager_creates_a_partner_and_owns_it(api, world):
    client = api(world.cm_c)

    response = client.post(
        LIST, {"name": "Echo", "country": "FR", "tier": world.silver.pk, "status": "active"}
    )

    assert response.status_code == 201
    partner = Partner.objects.get(pk=response.json()["id"])
    assert list(partner.managers.all()) == [world.cm_c]
    assert partner.tier == world.silver
    assert partner.status == PartnerStatus.ACTIVE
    assert client.get(url(partner)).status_code == 200


def test_tier_defaults_to_the_lowest(api, world):
    response = api(world.admin).post(LIST, {"name": "Foxtrot", "country": "DE"})

    assert response.json()["tier"] == "Registered"


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c"])
def test_partner_users_cannot_create_partners(api, world, persona):
    response = api(getattr(world, persona)).post(LIST, {"name": "Sneaky", "country": "DE"})

    assert response.status_code == 403
    assert response.json()["detail"]
    assert not Partner.objects.filter(name="Sneaky").exists()


def test_create_without_required_fields_gets_422(api, world):
    errors = assert_422(api(world.admin).post(LIST, {}), "name", "country")

    assert errors["name"] == ["This field is required."]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"country": "DEU"}, "country"),
        ({"country": "XX"}, "country"),  # two letters, but no such country (the model's choices)
        ({"tier": "Diamond"}, "tier"),
        ({"tier": 0}, "tier"),
        ({"tier": True}, "tier"),
        ({"parent": 999999}, "parent"),
        ({"parent": "alpha"}, "parent"),
        ({"slug": "alpha"}, "slug"),  # taken
        ({"slug": "not a slug!"}, "slug"),
        ({"vat_id": "??"}, "vat_id"),
        ({"website": "not a url"}, "website"),
        ({"type": "wholesaler"}, "type"),
        ({"status": "dormant"}, "status"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": 10**12}, "capacity"),
        ({"latitude": 91}, "latitude"),
        ({"latitude": "NaN"}, "latitude"),
        ({"longitude": 11.1234567}, "longitude"),  # more than 6 decimal places
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"city": "Nul\x00City"}, "city"),
        ({"managers": [1]}, "managers"),  # unknown field
    ],
)
def test_create_with_a_bad_value_gets_422_and_saves_nothing(api, world, data, field):
    before = Partner.objects.count()

    assert_422(api(world.admin).post(LIST, {"name": "Golf", "country": "DE"} | data), field)

    assert Partner.objects.count() == before


def test_create_under_a_parent_the_caller_cannot_see_gets_422(api, world):
    # cm_c manages gamma only; alpha exists but is not theirs.
    errors = assert_422(
        api(world.cm_c).post(LIST, {"name": "Hotel", "country": "FR", "parent": world.a.pk}), "parent"
    )

    assert "that you can see" in errors["parent"][0]
    assert not Partner.objects.filter(name="Hotel").exists()


def test_create_under_a_sub_partner_gets_422(api, world):
    errors = assert_422(
        api(world.admin).post(LIST, {"name": "India", "country": "AT", "parent": world.b.pk}), "parent"
    )

    assert "two levels" in errors["parent"][0]


def test_create_reports_every_reference_error_at_once(api, world):
    assert_422(
        api(world.cm_c).post(LIST, {"name": "Juliet", "country": "FR", "tier": "Nope", "parent": world.a.pk}),
        "tier",
        "parent",
    )


def test_create_with_malformed_json_gets_400_and_saves_nothing(api, world):
    before = Partner.objects.count()

    response = api(world.admin).post(LIST, raw='{"name": "Kilo", "country": ')

    assert response.status_code == 400
    assert "JSON object" in response.json()["detail"]
    assert Partner.objects.count() == before


# --- PATCH ---------------------------------------------------------------------------------------


def test_channel_manager_changes_a_sub_partner(api, world):
    response = api(world.cm_a).patch(
        url(world.b), {"city": "Graz", "capacity": 80, "legal_name": "Beta Resale GmbH"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["city"], body["capacity"], body["legal_name"]) == ("Graz", 80, "Beta Resale GmbH")
    world.b.refresh_from_db()
    assert (world.b.city, world.b.capacity) == ("Graz", 80)
    assert ActivityEvent.objects.filter(
        verb="partner.updated", target_id=world.b.pk, actor=world.cm_a
    ).exists()


def test_patch_changes_only_the_fields_sent(api, world):
    api(world.admin).patch(url(world.c), {"region": "Auvergne-Rhône-Alpes"})

    world.c.refresh_from_db()
    assert (world.c.region, world.c.city, world.c.name) == ("Auvergne-Rhône-Alpes", "Lyon", "Gamma Services")


def test_patch_moves_status_and_tier_through_their_services(api, world):
    response = api(world.cm_c).patch(
        url(world.c), {"status": "suspended", "tier": "Platinum", "reason": "Audit"}
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["tier"]) == ("suspended", "Platinum")
    world.c.refresh_from_db()
    assert (world.c.status, world.c.tier) == (PartnerStatus.SUSPENDED, world.platinum)
    status_event = ActivityEvent.objects.get(verb="partner.status", target_id=world.c.pk)
    assert status_event.data["reason"] == "Audit"
    assert ActivityEvent.objects.filter(verb="partner.tier", target_id=world.c.pk).exists()


def test_patch_with_the_current_status_is_a_no_op(api, world):
    response = api(world.admin).patch(url(world.a), {"status": "active"})

    assert response.status_code == 200
    assert not ActivityEvent.objects.filter(verb="partner.status").exists()


def test_patch_can_remove_the_parent(api, world):
    response = api(world.admin).patch(url(world.b), {"parent": None})

    assert response.status_code == 200
    assert response.json()["parent"] is None
    world.b.refresh_from_db()
    assert world.b.parent_id is None


def test_invalid_status_move_gets_409_and_saves_nothing(api, world):
    response = api(world.admin).patch(
        url(world.a), {"name": "Renamed", "tier": "Platinum", "status": "applied"}
    )

    assert response.status_code == 409
    assert response.json() == {"detail": "A partner cannot go from “Active” to “Applied”."}
    world.a.refresh_from_db()
    assert (world.a.name, world.a.tier, world.a.status) == (
        "Alpha Distribution",
        world.gold,
        PartnerStatus.ACTIVE,
    )
    assert not ActivityEvent.objects.filter(target_id=world.a.pk, verb__startswith="partner.").exists()


def test_terminated_partner_cannot_come_back(api, world):
    client = api(world.admin)
    assert client.patch(url(world.c), {"status": "terminated"}).status_code == 200

    assert client.patch(url(world.c), {"status": "active"}).status_code == 409


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("pm_a", "a"),  # own partner
        ("pe_a", "a"),
        ("pm_b", "b"),
        ("pm_a", "b"),  # a sub-partner the partner manager may see, but not change
    ],
)
def test_partner_user_patching_a_visible_partner_gets_403(api, world, persona, target):
    partner = getattr(world, target)

    response = api(getattr(world, persona)).patch(url(partner), {"city": "Elsewhere"})

    assert response.status_code == 403
    assert "partner portal" in response.json()["detail"]
    partner.refresh_from_db()
    assert partner.city != "Elsewhere"


@pytest.mark.parametrize(
    ("persona", "target"),
    [
        ("pm_a", "c"),
        ("pe_a", "b"),
        ("pm_b", "a"),
        ("pm_c", "a"),
        ("cm_c", "a"),
        ("cm_a", "c"),
    ],
)
def test_patching_another_partner_gets_404(api, world, persona, target):
    partner = getattr(world, target)

    response = api(getattr(world, persona)).patch(url(partner), {"city": "Elsewhere"})

    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    partner.refresh_from_db()
    assert partner.city != "Elsewhere"


def test_missing_partner_gets_404(api, world):
    assert api(world.admin).patch(f"{LIST}/999999", {"city": "X"}).status_code == 404


def test_channel_manager_with_a_view_share_gets_403_on_patch(api, world):
    PartnerUserObjectPermission.objects.create(
        user=world.cm_c, content_object=world.a, permission=Permission.objects.get(codename="view_partner")
    )
    client = api(world.cm_c)
    assert client.get(url(world.a)).status_code == 200

    response = client.patch(url(world.a), {"city": "Elsewhere"})

    assert response.status_code == 403
    world.a.refresh_from_db()
    assert world.a.city == "Berlin"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"colour": "blue"}, "colour"),  # unknown field
        ({"managers": [1]}, "managers"),
        ({"name": None}, "name"),
        ({"status": None}, "status"),
        ({"tier": None}, "tier"),
        ({"name": ""}, "name"),
        ({"country": "XX"}, "country"),
        ({"country": "Germany"}, "country"),
        ({"status": "dormant"}, "status"),
        ({"tier": "Diamond"}, "tier"),
        ({"capacity": "lots"}, "capacity"),
        ({"latitude": -90.5}, "latitude"),
        ({"slug": "gamma"}, "slug"),  # taken
        ({"parent": 10**30}, "parent"),
    ],
)
def test_patch_with_a_bad_value_gets_422_and_saves_nothing(api, world, data, field):
    before = Partner.objects.values().get(pk=world.b.pk)

    assert_422(api(world.cm_a).patch(url(world.b), {"city": "Linz"} | data), field)

    assert Partner.objects.values().get(pk=world.b.pk) == before


def test_patch_under_a_parent_the_caller_cannot_see_gets_422(api, world):
    # cm_a manages alpha and beta; gamma exists but is not theirs.
    errors = assert_422(api(world.cm_a).patch(url(world.b), {"parent": world.c.pk}), "parent")

    assert "that you can see" in errors["parent"][0]
    world.b.refresh_from_db()
    assert world.b.parent_id == world.a.pk


def test_patch_that_breaks_the_hierarchy_gets_422(api, world):
    # alpha has a sub-partner, so it cannot itself go under gamma.
    errors = assert_422(api(world.admin).patch(url(world.a), {"parent": world.c.pk}), "parent")

    assert "sub-partners" in errors["parent"][0]


def test_patch_with_malformed_json_gets_400(api, world):
    response = api(world.admin).patch(url(world.a), raw="name=Broken")

    assert response.status_code == 400
    world.a.refresh_from_db()
    assert world.a.name == "Alpha Distribution"


def test_empty_patch_changes_nothing(api, world):
    updated_at = world.a.updated_at

    response = api(world.admin).patch(url(world.a), {})

    assert response.status_code == 200
    world.a.refresh_from_db()
    assert world.a.updated_at == updated_at


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"tier": 1.5}, "tier"),
        ({"tier": ["Gold"]}, "tier"),
        ({"tier": "²"}, "tier"),
        ({"tier": 10**30}, "tier"),
        ({"parent": True}, "parent"),
        ({"capacity": False}, "capacity"),
        ({"latitude": "north"}, "latitude"),
        ({"name": ["Lima"]}, "name"),
    ],
)
def test_wrongly_typed_values_get_one_error_per_field(api, world, data, field):
    errors = assert_422(api(world.admin).post(LIST, {"name": "Lima", "country": "PE"} | data), field)

    assert len(errors[field]) == 1
    assert not Partner.objects.filter(country="PE").exists()


def test_tier_may_be_given_as_id_text(api, world):
    response = api(world.admin).post(LIST, {"name": "Mike", "country": "DE", "tier": str(world.platinum.pk)})

    assert response.json()["tier"] == "Platinum"
