"""GET /api/v1/partners and /api/v1/partners/{id}: scoping, filters, sorting, keyset paging, query count."""

from __future__ import annotations

import pytest

from core.paging import encode_cursor
from partners.choices import PartnerStatus
from partners.selectors import PARTNER_ORDERINGS
from tests.factories import PartnerFactory

LIST = "/api/v1/partners"

# What each persona of the world may see (DESIGN.md, access policy).
VISIBLE = {
    "admin": {"alpha", "beta", "gamma"},
    "cm_a": {"alpha", "beta"},
    "cm_c": {"gamma"},
    "pm_a": {"alpha", "beta"},
    "pe_a": {"alpha"},
    "pm_b": {"beta"},
    "pm_c": {"gamma"},
    "pe_c": {"gamma"},
}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [p["slug"] for p in response.json()["items"]]


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_partner_list_is_scoped_per_persona(api, world, persona, visible):
    response = api(getattr(world, persona)).get(LIST)

    assert set(slugs(response)) == visible
    assert response.json()["next_cursor"] is None


@pytest.mark.parametrize(("persona", "visible"), VISIBLE.items())
def test_partner_detail_answers_in_scope_and_404_outside(api, world, persona, visible):
    client = api(getattr(world, persona))

    for partner in (world.a, world.b, world.c):
        response = client.get(f"{LIST}/{partner.pk}")
        if partner.slug in visible:
            assert response.status_code == 200
            assert response.json()["slug"] == partner.slug
        else:
            assert response.status_code == 404, partner.slug
            assert response.json() == {"detail": "Not found."}


def test_partner_carries_the_documented_fields(api, world):
    response = api(world.admin).get(f"{LIST}/{world.b.pk}")

    body = response.json()
    assert body["id"] == world.b.pk
    assert body["name"] == "Beta Resale"
    assert body["slug"] == "beta"
    assert body["type"] == "reseller"
    assert body["tier"] == "Silver"
    assert body["status"] == "active"
    assert body["country"] == "AT"
    assert body["city"] == "Vienna"
    assert body["parent"] == world.a.pk
    assert body["capacity"] == 50
    assert {
        "legal_name",
        "vat_id",
        "website",
        "email",
        "phone",
        "address",
        "postal_code",
        "region",
        "latitude",
        "longitude",
        "description",
        "created_at",
        "updated_at",
    } <= set(body)


def test_coordinates_are_numbers(api, world):
    world.a.latitude, world.a.longitude = "48.137154", "11.576124"
    world.a.save()

    body = api(world.admin).get(f"{LIST}/{world.a.pk}").json()

    assert body["latitude"] == pytest.approx(48.137154)
    assert body["longitude"] == pytest.approx(11.576124)


@pytest.mark.parametrize("bad_id", ["999999", "0", "99999999999999999999999"])
def test_missing_or_impossible_partner_id_gets_404(api, world, bad_id):
    assert api(world.admin).get(f"{LIST}/{bad_id}").status_code == 404


def test_non_numeric_partner_id_gets_422(api, world):
    response = api(world.admin).get(f"{LIST}/alpha")

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["id"]


# --- Filters and sorting -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"tier": "silver"}, ["beta", "gamma"]),
        ({"tier": "Gold"}, ["alpha"]),
        ({"status": "active", "country": "at"}, ["beta"]),
        ({"country": "FR"}, ["gamma"]),
        ({"q": "gam"}, ["gamma"]),
        ({"q": "vienna"}, ["beta"]),
        ({"type": "distributor"}, ["alpha"]),
        ({"status": "suspended"}, []),
    ],
)
def test_partner_list_filters(api, world, params, expected):
    assert slugs(api(world.admin).get(LIST, params)) == expected


def test_partner_list_filters_by_tier_id_and_parent(api, world):
    client = api(world.admin)

    assert slugs(client.get(LIST, {"tier": world.gold.pk})) == ["alpha"]
    assert slugs(client.get(LIST, {"parent": world.a.pk})) == ["beta"]


def test_filters_never_widen_the_scope(api, world):
    # pe_a sees only alpha; asking for beta's parent or gamma's country finds nothing more.
    client = api(world.pe_a)

    assert slugs(client.get(LIST, {"parent": world.a.pk})) == []
    assert slugs(client.get(LIST, {"country": "FR"})) == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sleeping"}, "status"),
        ({"type": "wholesaler"}, "type"),
        ({"country": "DEU"}, "country"),
        ({"country": "1A"}, "country"),
        ({"tier": "Diamond"}, "tier"),
        ({"tier": "99999999999999999999999"}, "tier"),
        ({"parent": "alpha"}, "parent"),
        ({"parent": "0"}, "parent"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"sort": "vat_id"}, "sort"),
        ({"q": "x" * 201}, "q"),
        ({"q": "nul\x00byte"}, "q"),
    ],
)
def test_invalid_filter_values_get_422_with_field_errors(api, world, params, field):
    response = api(world.admin).get(LIST, params)

    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert list(body["errors"]) == [field]
    assert all(isinstance(m, str) and m for m in body["errors"][field])


def test_unknown_status_error_names_the_choices(api, world):
    body = api(world.admin).get(LIST, {"status": "sleeping"}).json()

    assert "onboarding" in body["errors"]["status"][0]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["alpha", "beta", "gamma"]),
        ("-name", ["gamma", "beta", "alpha"]),
        ("country", ["beta", "alpha", "gamma"]),  # AT, DE, FR
        ("-tier", ["alpha", "gamma", "beta"]),  # Gold, then the two Silver, the ids descending too
    ],
)
def test_partner_list_sorts(api, world, sort, expected):
    assert slugs(api(world.admin).get(LIST, {"sort": sort})) == expected


# --- Keyset paging -----------------------------------------------------------------------------


@pytest.mark.parametrize("sort", list(PARTNER_ORDERINGS))
def test_cursor_paging_walks_every_row_once(api, world, sort):
    for n in range(20):
        PartnerFactory(
            tier=world.silver if n % 2 else world.gold,
            country=("DE", "AT", "FR")[n % 3],
            status=(PartnerStatus.ACTIVE, PartnerStatus.ONBOARDING)[n % 2],
        )
    client = api(world.admin)
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params = {"sort": sort, "limit": 7} | ({"cursor": cursor} if cursor else {})
        body = client.get(LIST, params).json()
        seen += [p["id"] for p in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert pages < 10

    assert pages == 4  # 23 rows in pages of 7
    assert len(seen) == len(set(seen)) == 23
    # The walk follows the requested order.
    everything = client.get(LIST, {"sort": sort, "limit": 200}).json()["items"]
    assert seen == [p["id"] for p in everything]


def test_default_page_size_is_50(api, world):
    PartnerFactory.create_batch(50, tier=world.silver)

    body = api(world.admin).get(LIST).json()

    assert len(body["items"]) == 50
    assert body["next_cursor"] is not None


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        encode_cursor("created_at", "2026-01-01", 1),  # a cursor of another sort order
        encode_cursor("name", ["a"], 1),  # the value is not text
        encode_cursor("name", "Alpha", 2**70),  # the row id is out of range
        encode_cursor("name", "nul\x00", 1),
    ],
)
def test_bad_cursor_gets_422(api, world, cursor):
    response = api(world.admin).get(LIST, {"cursor": cursor})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("tier", encode_cursor("tier__rank", "high", 1)),
        ("tier", encode_cursor("tier__rank", 2**80, 1)),
        ("created", encode_cursor("created_at", "yesterday", 1)),
        ("created", encode_cursor("created_at", None, 1)),
    ],
)
def test_crafted_cursor_with_wrong_value_type_gets_422(api, world, sort, cursor):
    response = api(world.admin).get(LIST, {"sort": sort, "cursor": cursor})

    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["cursor"]


# --- Query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_partner_list_query_count_is_flat(api, world, django_assert_num_queries, persona, rows):
    for _ in range(rows):
        PartnerFactory(tier=world.silver, parent=world.a if persona != "pe_a" else None)
    client = api(getattr(world, persona))

    # 1 token and user, 2 token last_used_at, 3 actor (groups, membership), 4 the page (tier joined;
    # the scope is a subquery).
    with django_assert_num_queries(4):
        response = client.get(LIST, {"limit": 200})

    assert response.status_code == 200
    assert len(response.json()["items"]) >= (rows if persona != "pe_a" else 1)


@pytest.mark.parametrize("rows", [1, 20])
def test_partner_list_with_tier_filter_adds_one_query(api, world, django_assert_num_queries, rows):
    PartnerFactory.create_batch(rows, tier=world.silver)
    client = api(world.admin)

    # As above, plus the tier lookup by name.
    with django_assert_num_queries(5):
        response = client.get(LIST, {"tier": "Silver", "limit": 200})

    assert len(response.json()["items"]) == rows + 2


def test_partner_detail_query_count(api, world, django_assert_num_queries):
    client = api(world.cm_a)

    # token, last_used_at, actor, the partner.
    with django_assert_num_queries(4):
        assert client.get(f"{LIST}/{world.b.pk}").status_code == 200


def test_bad_country_error_says_what_to_send(api, world):
    body = api(world.admin).get(LIST, {"country": "DEU"}).json()

    assert body["errors"] == {"country": ["Enter a two-letter country code (ISO 3166 alpha-2), e.g. DE."]}
