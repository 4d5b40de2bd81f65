"""GET/POST /api/v1/dispatch-rules and PATCH/DELETE /api/v1/dispatch-rules/{id}: channel staff read,
channel admins write, partner users get 403; validation with field errors; query count."""

from __future__ import annotations

import pytest

from leads.models import DispatchRule
from partners.models import Certification
from tests.factories import CategoryFactory, rule

LIST = "/api/v1/dispatch-rules"


def url(obj: DispatchRule) -> str:
    return f"{LIST}/{obj.pk}"


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    return body["errors"]


# --- GET -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "cm_a", "cm_c"])
def test_channel_staff_list_the_rules_in_priority_order(api, world, persona):
    rule("Fallback", priority=100)
    rule("DACH", priority=10, countries=["DE", "AT"], partners=[world.a, world.b])
    rule("France", priority=20, countries=["FR"], active=False)

    response = api(getattr(world, persona)).get(LIST)

    assert response.status_code == 200
    assert [r["name"] for r in response.json()["items"]] == ["DACH", "France", "Fallback"]


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c", "pe_c"])
def test_partner_users_get_403_on_every_rule_route(api, world, persona):
    existing = rule("DACH", countries=["DE"])
    client = api(getattr(world, persona))

    assert client.get(LIST).status_code == 403
    assert client.post(LIST, {"name": "Mine"}).status_code == 403
    assert client.patch(url(existing), {"name": "Mine"}).status_code == 403
    assert client.delete(url(existing)).status_code == 403
    existing.refresh_from_db()
    assert existing.name == "DACH"
    assert DispatchRule.objects.count() == 1


def test_rule_carries_the_documented_fields(api, world):
    category = CategoryFactory(slug="pumps")
    certification = Certification.objects.create(code="install", name="Installation")
    saved = rule(
        "DACH",
        priority=10,
        countries=["DE", "AT"],
        regions=["Bavaria"],
        postal_prefixes=["80"],
        min_value="1000.00",
        max_value="50000.00",
        sources=["api", "import"],
        min_tier=world.silver,
        partner_types=["reseller"],
        certification=certification,
        strategy="least_loaded",
        accept_within_hours=24,
        partners=[world.a, world.b],
    )
    saved.categories.set([category])

    body = api(world.cm_a).get(LIST).json()["items"][0]

    assert body == {
        "id": saved.pk,
        "name": "DACH",
        "priority": 10,
        "active": True,
        "countries": ["DE", "AT"],
        "regions": ["Bavaria"],
        "postal_prefixes": ["80"],
        "categories": ["pumps"],
        "min_value": "1000.00",
        "max_value": "50000.00",
        "sources": ["api", "import"],
        "partners": sorted([world.a.pk, world.b.pk]),
        "min_tier": "Silver",
        "partner_types": ["reseller"],
        "certification": "install",
        "sells_lead_category": False,
        "strategy": "least_loaded",
        "accept_within_hours": 24,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }


def test_rule_list_filters_by_active_and_pages(api, world):
    for n in range(5):
        rule(f"R{n}", priority=n, active=n != 2)
    client = api(world.admin)

    assert [r["name"] for r in client.get(LIST, {"active": "false"}).json()["items"]] == ["R2"]
    first = client.get(LIST, {"limit": 3}).json()
    second = client.get(LIST, {"limit": 3, "cursor": first["next_cursor"]}).json()
    assert [r["name"] for r in first["items"] + second["items"]] == ["R0", "R1", "R2", "R3", "R4"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize("rows", [1, 20])
def test_rule_list_query_count_is_flat(api, world, django_assert_num_queries, rows):
    category = CategoryFactory()
    for n in range(rows):
        saved = rule(f"R{n}", priority=n, partners=[world.a, world.c], min_tier=world.silver)
        saved.categories.set([category])
    client = api(world.cm_a)

    # 1 token and user, 2 token last_used_at, 3 actor, 4 the page (tier and certification joined),
    # 5 the rules' partners, 6 their categories (prefetched).
    with django_assert_num_queries(6):
        response = client.get(LIST, {"limit": 200})

    assert len(response.json()["items"]) == rows


# --- POST ----------------------------------------------------------------------------------------


def test_channel_admin_creates_a_rule(api, world):
    CategoryFactory(slug="pumps")
    Certification.objects.create(code="install", name="Installation")

    response = api(world.admin).post(
        LIST,
        {
            "name": " DACH ",
            "priority": 10,
            "countries": ["de", "AT"],
            "regions": ["Bavaria"],
            "postal_prefixes": ["80", "81"],
            "categories": ["pumps"],
            "min_value": "100",
            "max_value": 5000,
            "sources": ["api"],
            "partners": [world.a.pk, world.b.pk],
            "min_tier": "silver",
            "partner_types": ["reseller", "distributor"],
            "certification": "install",
            "strategy": "nearest",
            "accept_within_hours": 24,
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    saved = DispatchRule.objects.get(pk=body["id"])
    assert saved.name == body["name"] == "DACH"
    assert saved.countries == body["countries"] == ["DE", "AT"]
    assert set(saved.partners.values_list("pk", flat=True)) == {world.a.pk, world.b.pk}
    assert body["categories"] == ["pumps"]
    assert (body["min_tier"], body["certification"], body["strategy"]) == ("Silver", "install", "nearest")
    assert (body["min_value"], body["max_value"]) == ("100.00", "5000.00")


def test_a_rule_with_only_a_name_takes_the_defaults(api, world):
    body = api(world.admin).post(LIST, {"name": "Everything"}).json()

    assert (body["priority"], body["active"], body["strategy"], body["accept_within_hours"]) == (
        100,
        True,
        "weighted",
        48,
    )
    assert body["partners"] == body["countries"] == []


@pytest.mark.parametrize("persona", ["cm_a", "cm_c"])
def test_channel_managers_cannot_create_rules(api, world, persona):
    response = api(getattr(world, persona)).post(LIST, {"name": "Mine", "partners": [999999]})

    assert response.status_code == 403
    assert not DispatchRule.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"countries": ["DEU"]}, "countries"),
        ({"countries": ["XX"]}, "countries"),
        ({"countries": "DE"}, "countries"),
        ({"countries": None}, "countries"),
        ({"sources": ["fax"]}, "sources"),
        ({"partner_types": ["wholesaler"]}, "partner_types"),
        ({"strategy": "random"}, "strategy"),
        ({"priority": -1}, "priority"),
        ({"priority": True}, "priority"),
        ({"accept_within_hours": 0}, "accept_within_hours"),
        ({"accept_within_hours": 24 * 365 + 1}, "accept_within_hours"),
        ({"min_value": -5}, "min_value"),
        ({"min_value": 500, "max_value": 100}, "__all__"),
        ({"partners": [999999]}, "partners"),
        ({"partners": [True]}, "partners"),
        ({"partners": ["alpha"]}, "partners"),
        ({"categories": ["no-such"]}, "categories"),
        ({"min_tier": "Diamond"}, "min_tier"),
        ({"certification": "nope"}, "certification"),
        ({"active": "maybe"}, "active"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_create_with_a_bad_value_gets_422_and_saves_nothing(api, world, data, field):
    assert_422(api(world.admin).post(LIST, {"name": "Bad"} | data), field)

    assert not DispatchRule.objects.exists()


def test_create_reports_every_reference_error_at_once(api, world):
    assert_422(
        api(world.admin).post(
            LIST, {"name": "Bad", "partners": [999999], "categories": ["x"], "min_tier": "Diamond"}
        ),
        "partners",
        "categories",
        "min_tier",
    )


# --- PATCH and DELETE ----------------------------------------------------------------------------


def test_channel_admin_changes_only_the_fields_sent(api, world):
    saved = rule("DACH", priority=10, countries=["DE"], partners=[world.a], min_tier=world.silver)

    response = api(world.admin).patch(url(saved), {"priority": 5, "partners": [world.c.pk], "min_tier": None})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["name"], body["priority"], body["countries"], body["partners"], body["min_tier"]) == (
        "DACH",
        5,
        ["DE"],
        [world.c.pk],
        None,
    )
    saved.refresh_from_db()
    assert saved.priority == 5 and saved.min_tier is None


def test_patch_with_a_bad_value_gets_422_and_changes_nothing(api, world):
    saved = rule("DACH", priority=10, partners=[world.a])

    assert_422(api(world.admin).patch(url(saved), {"priority": 1, "partners": [999999]}), "partners")
    assert_422(api(world.admin).patch(url(saved), {"priority": 1, "strategy": "random"}), "strategy")

    saved.refresh_from_db()
    assert saved.priority == 10
    assert list(saved.partners.all()) == [world.a]


def test_channel_manager_cannot_change_or_delete_a_rule(api, world):
    saved = rule("DACH", priority=10)
    client = api(world.cm_a)

    assert client.patch(url(saved), {"priority": 1}).status_code == 403
    assert client.delete(url(saved)).status_code == 403
    saved.refresh_from_db()
    assert saved.priority == 10


def test_channel_admin_deletes_a_rule(api, world):
    saved = rule("Old")

    response = api(world.admin).delete(url(saved))

    assert response.status_code == 204
    assert not DispatchRule.objects.exists()


@pytest.mark.parametrize("bad_id", ["999999", "0", "99999999999999999999999"])
def test_missing_rule_gets_404(api, world, bad_id):
    client = api(world.admin)

    assert client.patch(f"{LIST}/{bad_id}", {"priority": 1}).status_code == 404
    assert client.delete(f"{LIST}/{bad_id}").status_code == 404
