"""The access matrix for orders and their public status tokens: each persona × the orders of
distributor A, its reseller B and independent C; selectors, portal lists and pages, the change actions
of both portals, the API (read: list and detail), and the public status page.

Scope (orders.selectors.visible_orders): channel admins see every order, a channel manager those of the
partners they manage and their resellers (cm_a: A and B), a partner manager their own partner's and its
resellers' (pm_a: A and B; pm_b: B), a partner employee their own partner's orders assigned to them or
to nobody (pe_a: A's unassigned ones, not a colleague's). Out of scope is 404; the wrong portal 403.
Accepting an incoming order, changing a draft: the order's own partner's people (pm_a reads B's orders
but gets 403 on them). Confirming, shipping, delivering: channel admins and the partner's channel
manager. The status link is the customer's: public by its token, shown in the partner portal only to the
order's own partner, and the public page shows nothing of the partner but its name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone

from core.services import api_token_create
from orders import selectors
from orders.choices import OrderStatus
from orders.models import Order
from tests.factories import partner_user
from tests.portals.orders_helpers import make_order, stock_catalogue

pytestmark = pytest.mark.django_db

API = "/api/v1/orders"
PERSONAS = ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "anonymous"]
CHANNEL = {"admin", "cm_a", "cm_c"}
KEYS = ["a", "b", "c"]

SEES = {
    "admin": {"a", "b", "c"},
    "cm_a": {"a", "b"},
    "cm_c": {"c"},
    "pm_a": {"a", "b"},
    "pe_a": {"a"},
    "pm_b": {"b"},
    "pm_c": {"c"},
    "pe_c": {"c"},
    "anonymous": set(),
}
OWN = {"pm_a": "a", "pe_a": "a", "pm_b": "b", "pm_c": "c", "pe_c": "c"}  # who works a partner's orders
FULFILS = {"admin": {"a", "b", "c"}, "cm_a": {"a", "b"}, "cm_c": {"c"}}


@dataclass
class PartnerOrders:
    draft: Order
    submitted: Order
    accepted: Order


@dataclass
class Records:
    of: dict[str, PartnerOrders]
    colleagues: Order  # A's order assigned to another employee of A: not pe_a's

    def ids(self, keys: set[str]) -> set[int]:
        return {getattr(self.of[k], name).pk for k in keys for name in ("draft", "submitted", "accepted")}


@pytest.fixture
def records(world) -> Records:
    catalogue = stock_catalogue(world)
    of = {
        key: PartnerOrders(
            draft=make_order(world, catalogue, key, status=OrderStatus.DRAFT, company=f"Draft buyer {key}"),
            submitted=make_order(world, catalogue, key, company=f"Submitted buyer {key}"),
            accepted=make_order(
                world, catalogue, key, status=OrderStatus.ACCEPTED, company=f"Accepted buyer {key}"
            ),
        )
        for key in KEYS
    }
    colleague = partner_user(world.a, email="colleague@alpha.example")
    colleagues = make_order(world, catalogue, "a", actor=colleague, company="Colleague buyer")
    assert colleagues.assigned_to == colleague
    return Records(of=of, colleagues=colleagues)


def user(world, persona):
    return AnonymousUser() if persona == "anonymous" else getattr(world, persona)


def login(client, world, persona):
    if persona != "anonymous":
        client.force_login(getattr(world, persona))
    return client


def bearer(world, persona) -> dict[str, str]:
    if persona == "anonymous":
        return {}
    return {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=getattr(world, persona), name='m')[1]}"}


def portal_expectation(persona: str, channel_side: bool, key: str | None = None) -> int:
    if persona == "anonymous":
        return 302
    if (persona in CHANNEL) != channel_side:
        return 403
    return 200 if key is None or key in SEES[persona] else 404


def links(body: str, name: str, pks: set[int]) -> set[int]:
    return {pk for pk in pks if f'href="{reverse(name, args=[pk])}"' in body}


def sees_order(persona: str, key: str, records: Records, order: Order) -> bool:
    if order.pk == records.colleagues.pk:
        return persona in ("admin", "cm_a", "pm_a")
    return key in SEES[persona]


# --- Selectors and lists ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_selector_scopes_the_orders(world, records, persona):
    expected = records.ids(SEES[persona])
    if persona in ("admin", "cm_a", "pm_a"):
        expected |= {records.colleagues.pk}
    assert set(selectors.visible_orders(user(world, persona)).values_list("pk", flat=True)) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_portal_lists_link_only_the_orders_in_scope(client, world, records, persona):
    every = records.ids(set(KEYS)) | {records.colleagues.pk}
    c = login(client, world, persona)
    for channel_side, url, name in (
        (False, reverse("partner:order_list"), "partner:order_detail"),
        (True, reverse("channel:order_list"), "channel:order_detail"),
    ):
        response = c.get(url)
        assert response.status_code == portal_expectation(persona, channel_side)
        if response.status_code == 200:
            expected = {
                pk
                for pk in every
                if pk in set(selectors.visible_orders(user(world, persona)).values_list("pk", flat=True))
            }
            assert links(response.content.decode(), name, every) == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_list_answers_only_the_orders_in_scope(client, world, records, persona):
    response = client.get(API, **bearer(world, persona))
    if persona == "anonymous":
        assert response.status_code == 401
        return
    assert response.status_code == 200
    expected = records.ids(SEES[persona]) | (
        {records.colleagues.pk} if persona in ("admin", "cm_a", "pm_a") else set()
    )
    assert {item["id"] for item in response.json()["items"]} == expected


# --- Details ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_order_detail(client, world, records, persona, key):
    pk = records.of[key].accepted.pk
    c = login(client, world, persona)
    partner = c.get(reverse("partner:order_detail", args=[pk]))
    channel = c.get(reverse("channel:order_detail", args=[pk]))
    api = client.get(f"{API}/{pk}", **bearer(world, persona))
    assert partner.status_code == portal_expectation(persona, channel_side=False, key=key)
    assert channel.status_code == portal_expectation(persona, channel_side=True, key=key)
    assert api.status_code == (401 if persona == "anonymous" else 200 if key in SEES[persona] else 404)


@pytest.mark.parametrize("persona", ["pe_a", "pm_a", "pe_c"])
def test_a_colleagues_order_is_404_for_an_employee(client, world, records, persona):
    pk = records.colleagues.pk
    expected = 200 if persona == "pm_a" else 404
    c = login(client, world, persona)
    assert c.get(reverse("partner:order_detail", args=[pk])).status_code == expected
    assert client.get(f"{API}/{pk}", **bearer(world, persona)).status_code == expected


# --- Changes ----------------------------------------------------------------------------------------


def partner_change_expectation(persona: str, key: str, done: int) -> int:
    """A partner-side change: `done` for the order's own partner's people, 403 for a distributor's
    manager on a reseller's order and for channel staff (wrong portal), 404 out of scope."""
    if persona == "anonymous":
        return 302
    if persona in CHANNEL:
        return 403
    if key not in SEES[persona]:
        return 404
    return done if OWN.get(persona) == key else 403


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_accepting_an_incoming_order(client, world, records, persona, key):
    order = records.of[key].submitted
    response = login(client, world, persona).post(reverse("partner:order_accept", args=[order.pk]))
    expected = partner_change_expectation(persona, key, done=302)
    assert response.status_code == expected
    order.refresh_from_db()
    assert (order.status == OrderStatus.ACCEPTED) == (expected == 302 and persona != "anonymous")


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_changing_a_draft(client, world, records, persona, key):
    draft = records.of[key].draft
    c = login(client, world, persona)
    edit = c.get(reverse("partner:order_edit", args=[draft.pk]))
    reject = c.post(reverse("partner:order_reject", args=[records.of[key].submitted.pk]), {"reason": "No"})
    assert edit.status_code == partner_change_expectation(persona, key, done=200)
    assert reject.status_code == partner_change_expectation(persona, key, done=302)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_confirming_an_accepted_order(client, world, records, persona, key):
    order = records.of[key].accepted
    body = {"expected_delivery": timezone.localdate().isoformat()}
    response = login(client, world, persona).post(reverse("channel:order_confirm", args=[order.pk]), body)
    if persona == "anonymous":
        expected = 302
    elif persona not in CHANNEL:
        expected = 403
    else:
        expected = 302 if key in FULFILS[persona] else 404
    assert response.status_code == expected
    order.refresh_from_db()
    assert (order.status == OrderStatus.CONFIRMED) == (key in FULFILS.get(persona, set()))


# --- The status token -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("key", KEYS)
def test_status_page_is_public_by_its_token_and_404_without(client, world, records, persona, key):
    order = records.of[key].accepted
    partner = getattr(world, key)
    partner.email, partner.phone, partner.address = f"sales@{partner.slug}.example", "+49 89 555", "Allee 1"
    partner.save()
    c = login(client, world, persona)
    right = c.get(reverse("order_status", args=[order.status_token]))
    assert right.status_code == 200
    body = right.content.decode()
    assert order.number in body and partner.name in body
    for secret in (order.customer.company, order.contact.email, order.contact.name, str(order.total),
                   partner.email, partner.phone, partner.address, partner.tier.name, "Cordless drill"):  # fmt: skip
        assert secret not in body, secret
    wrong = c.get(reverse("order_status", args=[order.status_token[:-2] + "zz"]))
    assert wrong.status_code == 404 and order.number not in wrong.content.decode()


@pytest.mark.parametrize("persona", ["admin", "cm_a", "cm_c", "pm_a", "pe_a", "pm_b", "pm_c", "pe_c"])
@pytest.mark.parametrize("key", KEYS)
def test_the_status_link_is_shown_only_to_the_orders_own_partner_and_the_brand_owner(
    client, world, records, persona, key
):
    order = records.of[key].accepted
    c = login(client, world, persona)
    side = "channel" if persona in CHANNEL else "partner"
    response = c.get(reverse(f"{side}:order_detail", args=[order.pk]))
    shown = response.status_code == 200 and order.status_token in response.content.decode()
    assert shown == (key in SEES[persona] and (persona in CHANNEL or OWN.get(persona) == key))
