"""Channel portal: the partner list (scope, search, filters, sort, keyset paging, query budget)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.paging import encode_cursor
from partners.choices import PartnerStatus, PartnerType, Role
from tests.factories import PartnerFactory, TierFactory, channel_user

pytestmark = pytest.mark.django_db


def url(**params: str) -> str:
    from urllib.parse import urlencode

    return reverse("channel:partner_list") + ("?" + urlencode(params) if params else "")


def names(response) -> list[str]:
    return [p.name for p in response.context["page"].items]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_admin_sees_every_partner_and_the_total(world, login):
    response = login(world.admin).get(url())
    assert response.status_code == 200
    assert names(response) == ["Alpha Distribution", "Beta Resale", "Gamma Services"]
    assert response.context["total"] == 3
    assert "3 partners" in response.content.decode()
    assert "<title>Partners · OpenPCM</title>" in response.content.decode()


def test_channel_manager_sees_managed_partners_and_their_resellers_only(world, login):
    response = login(world.cm_a).get(url())
    assert names(response) == ["Alpha Distribution", "Beta Resale"]
    assert response.context["total"] == 2
    assert "Gamma" not in response.content.decode()


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_b", "pm_c"])
def test_partner_users_get_403(world, login, persona):
    assert login(getattr(world, persona)).get(url()).status_code == 403


def test_anonymous_visitor_is_sent_to_login(world, client):
    response = client.get(url())
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_search_matches_name_city_and_vat_id(world, login):
    world.c.vat_id = "FR12345678901"
    world.c.save()
    client = login(world.admin)
    assert names(client.get(url(q="beta"))) == ["Beta Resale"]
    assert names(client.get(url(q="vienna"))) == ["Beta Resale"]
    assert names(client.get(url(q="fr 1234"))) == ["Gamma Services"]


def test_filters_by_tier_status_type_country_and_manager(world, login):
    world.c.status = PartnerStatus.SUSPENDED
    world.c.save()
    client = login(world.admin)
    assert names(client.get(url(tier=str(world.silver.pk)))) == ["Beta Resale", "Gamma Services"]
    assert names(client.get(url(status="suspended"))) == ["Gamma Services"]
    assert names(client.get(url(type=PartnerType.DISTRIBUTOR))) == ["Alpha Distribution"]
    assert names(client.get(url(country="AT"))) == ["Beta Resale"]
    assert names(client.get(url(manager=str(world.cm_c.pk)))) == ["Gamma Services"]
    combined = client.get(url(tier=str(world.silver.pk), country="FR", status="suspended"))
    assert names(combined) == ["Gamma Services"]
    assert combined.context["total"] == 1
    assert "1 partner match" in combined.content.decode()


def test_filters_stay_inside_the_scope(world, login):
    # cm_a filtering on Gamma's manager finds nothing: the filter never widens the scope.
    response = login(world.cm_a).get(url(manager=str(world.cm_c.pk)))
    assert names(response) == []
    assert "No partners match these filters." in response.content.decode()


def test_sub_partners_of_a_distributor(world, login):
    response = login(world.admin).get(url(parent=str(world.a.pk)))
    assert names(response) == ["Beta Resale"]
    link = reverse("channel:partner_detail", args=[world.a.pk])
    assert f'Sub-partners of <a href="{link}">Alpha Distribution</a>' in response.content.decode()


def test_chosen_filters_stay_selected(world, login):
    body = login(world.admin).get(url(country="FR", status="active", q="gam")).content.decode()
    assert '<option value="FR" selected>France</option>' in body
    assert '<option value="active" selected>Active</option>' in body
    assert 'value="gam"' in body


def test_unknown_filter_values_show_a_message_and_are_ignored(world, login):
    response = login(world.admin).get(url(status="bogus", country="ZZ", tier="999999", sort="shoe-size"))
    assert response.status_code == 200
    assert names(response) == ["Alpha Distribution", "Beta Resale", "Gamma Services"]
    [message] = messages_of(response)
    assert "not understood" in message
    assert "Status" in message and "Country" in message and "Tier" in message


def test_sort_by_tier_highest_first(world, login):
    response = login(world.admin).get(url(sort="-tier"))
    # Gold first; the two Silver partners follow by id, descending.
    assert names(response) == ["Alpha Distribution", "Gamma Services", "Beta Resale"]


def test_sort_by_newest_first(world, login):
    response = login(world.admin).get(url(sort="-created"))
    assert names(response) == ["Gamma Services", "Beta Resale", "Alpha Distribution"]


def test_sort_headers_toggle_the_direction_and_keep_the_filters(world, login):
    response = login(world.admin).get(url(sort="name", country="DE"))
    name_column = response.context["columns"][0]
    assert name_column["current"] == "ascending"
    assert "sort=-name" in name_column["url"] and "country=DE" in name_column["url"]
    assert 'aria-sort="ascending"' in response.content.decode()
    tier_column = response.context["columns"][1]
    assert tier_column["current"] is None and "sort=tier" in tier_column["url"]


def test_keyset_paging_forward_and_back(world, login, settings):
    settings.PAGE_SIZE = 2
    for n in range(3):
        PartnerFactory(name=f"Zeta {n}", tier=world.gold)
    client = login(world.admin)
    first = client.get(url())
    assert names(first) == ["Alpha Distribution", "Beta Resale"]
    assert first.context["total"] == 6
    assert not first.context["page"].has_prev
    second = client.get(url(after=first.context["page"].next_cursor))
    assert names(second) == ["Gamma Services", "Zeta 0"]
    assert 'rel="next"' in second.content.decode() and 'rel="prev"' in second.content.decode()
    third = client.get(url(after=second.context["page"].next_cursor))
    assert names(third) == ["Zeta 1", "Zeta 2"]
    assert not third.context["page"].has_next
    back = client.get(url(before=third.context["page"].prev_cursor))
    assert names(back) == ["Gamma Services", "Zeta 0"]
    assert back.context["page"].has_prev and back.context["page"].has_next


def test_paging_keeps_filters_and_sort_in_the_links(world, login, settings):
    settings.PAGE_SIZE = 1
    response = login(world.admin).get(url(tier=str(world.silver.pk), sort="-name"))
    assert names(response) == ["Gamma Services"]
    assert response.context["querystring"] == f"tier={world.silver.pk}&sort=-name"
    nxt = login(world.admin).get(
        url(tier=str(world.silver.pk), sort="-name", after=response.context["page"].next_cursor)
    )
    assert names(nxt) == ["Beta Resale"]


@pytest.mark.parametrize(
    ("sort", "cursor"),
    [
        ("name", "garbage"),
        ("name", "eyJ4Ijog"),
        ("name", encode_cursor("created_at", "2020-01-01", 1)),  # made for another ordering
        ("created", encode_cursor("created_at", "not a date", 1)),
        ("tier", encode_cursor("tier__rank", "abc", 1)),
        ("name", encode_cursor("name", "Beta", "1")),
    ],
)
def test_bad_or_foreign_cursor_gives_the_first_page_and_a_message(world, login, sort, cursor):
    response = login(world.admin).get(url(sort=sort, after=cursor))
    assert response.status_code == 200
    assert sorted(names(response)) == ["Alpha Distribution", "Beta Resale", "Gamma Services"]
    assert any("no longer valid" in m for m in messages_of(response))


def test_empty_state_without_any_partner(db, login):
    admin = channel_user(Role.CHANNEL_ADMIN)
    body = login(admin).get(url()).content.decode()
    assert "There are no partners yet." in body
    assert "Create the first partner" in body


# --- Query budget: at most 8, the same whatever the number of rows or the page size ---------------


def _partners(count: int, manager) -> None:
    """`count` partners the manager owns: a distributor and its resellers, each in its own tier, so
    that a missing select_related would show up as extra queries."""
    distributor = PartnerFactory(name="Distributor", type=PartnerType.DISTRIBUTOR, tier=TierFactory())
    distributor.managers.add(manager)
    for n in range(count - 1):
        PartnerFactory(name=f"Reseller {n:02d}", parent=distributor, tier=TierFactory())


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("role", [Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER])
def test_list_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, count, role):
    user = channel_user(role)
    _partners(count, user)
    client = login(user)
    # session, user, actor (role and partner), tier choices, manager choices, count, page rows
    # (tier and parent joined) = 7, within the budget of 8.
    with django_assert_num_queries(7):
        response = client.get(url(sort="-tier", status="active"))
    assert response.context["total"] == count
    assert len(response.context["page"].items) == count


def test_list_queries_do_not_grow_with_page_size(db, login, django_assert_num_queries, settings):
    admin = channel_user(Role.CHANNEL_ADMIN)
    _partners(20, admin)
    client = login(admin)
    for size in (5, 50):
        settings.PAGE_SIZE = size
        with django_assert_num_queries(7):
            response = client.get(url())
        assert len(response.context["page"].items) == min(size, 20)
