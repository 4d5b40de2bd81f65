"""/api/v1/orders and POST /api/v1/leads/{id}/convert: entering orders (201, submitted or draft), the
list and detail per persona, every move of the workflow, and the answers to what is refused: 404 out of
scope, 403 for the wrong role, 409 for a move the workflow does not allow, 422 for bad input (nothing
changed). Money as decimal strings; the list's queries are the same for 1 and 20 orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from leads.choices import LeadStatus
from leads.models import LeadItem
from orders import services
from orders.choices import OrderStatus
from orders.models import Order, OrderEvent
from tests.factories import LeadFactory, partner_user
from tests.orders.conftest import CUSTOMER, enter_order, make_shop

pytestmark = pytest.mark.django_db

LIST = "/api/v1/orders"


@pytest.fixture
def shop(world):
    return make_shop(world)


def url(order, action: str = "") -> str:
    pk = order if isinstance(order, int) else order.pk
    return f"{LIST}/{pk}" + (f"/{action}" if action else "")


def act(client, order, action: str, body: dict | None = None):
    """POST an action; without a body, an empty one (as a client that sends none)."""
    return (
        client.post(url(order, action), body) if body is not None else client.post(url(order, action), raw="")
    )


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields), body
    return body["errors"]


def payload(shop, world, **fields) -> dict:
    return {
        "partner": world.a.pk,
        "origin": "replenishment",
        "customer": dict(CUSTOMER),
        "lines": [
            {"product": shop.controller.pk, "quantity": 2},
            {"product": shop.sensor.pk, "quantity": 10},
        ],
    } | fields


def snapshot() -> tuple:
    return (
        list(
            Order.objects.order_by("pk").values_list("pk", "status", "total", "reason", "tracking_reference")
        ),
        OrderEvent.objects.count(),
    )


# --- POST /orders ----------------------------------------------------------------------------------


def test_a_partner_manager_enters_an_order_that_answers_201_submitted(api, world, shop):
    response = api(world.pm_a).post(LIST, payload(shop, world, customer_reference="PO-4711"))
    assert response.status_code == 201, response.content
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.pk and body["number"] == order.number == f"SO-{order.pk:06d}"
    assert (body["status"], body["origin"], body["partner"], body["partner_name"]) == (
        "submitted",
        "replenishment",
        world.a.pk,
        "Alpha Distribution",
    )
    assert (body["currency"], body["total"]) == ("EUR", "1399.00")
    assert [
        (line["sku"], line["quantity"], line["unit_price"], line["line_total"]) for line in body["lines"]
    ] == [
        ("PLC-1", 2, "450.00", "900.00"),
        ("IS-M12", 10, "49.90", "499.00"),
    ]
    assert body["status_url"] == f"http://testserver/orders/status/{order.status_token}/"
    assert body["customer"] == order.customer_id and body["customer_company"] == "Kunde AG"
    assert body["contact"]["email"] == "kim@kunde.example"
    assert body["customer_reference"] == "PO-4711" and body["created_by"] == world.pm_a.email
    assert [(e["kind"], e["status"], e["actor"]) for e in body["events"]] == [
        ("submitted", "submitted", world.pm_a.email)
    ]
    assert body["submitted_at"] and body["lead"] is None and body["expected_delivery"] is None


def test_draft_true_answers_a_draft(api, world, shop):
    response = api(world.pe_a).post(LIST, payload(shop, world, draft=True))
    assert response.status_code == 201
    assert response.json()["status"] == "draft" and response.json()["assigned_to"] == world.pe_a.email


def test_an_existing_customer_is_given_by_id(api, world, shop):
    customer = enter_order(world.a, world.pm_a, [(shop.sensor, 1)]).customer
    response = api(world.cm_a).post(LIST, payload(shop, world, customer=customer.pk))
    assert response.status_code == 201 and response.json()["customer"] == customer.pk


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"partner": 10**6}, {"partner"}),
        ({"lines": [{"product": 10**6, "quantity": 1}]}, {"lines"}),
        ({"lines": [{"product": "valve", "quantity": 1}]}, {"lines"}),
        ({"lines": [{"product": 1, "quantity": 0}]}, {"lines"}),
        ({"lines": [{"product": 1, "quantity": True}]}, {"lines"}),
        ({"lines": []}, {"lines"}),
        ({"customer": {"contact": "Kim"}}, {"customer"}),
        ({"customer": {"company": "X", "contact": "Kim", "email": "nope"}}, {"customer.email"}),
        ({"customer": {"company": "X", "contact": "Kim", "country": "ZZ"}}, {"customer.country"}),
        ({"customer": None}, {"customer"}),
        ({"origin": "fax"}, {"origin"}),
        ({"draft": "yes"}, {"draft"}),
        ({"colour": "red"}, {"colour"}),
        ({"expected_delivery": "2001-01-01"}, {"expected_delivery"}),
    ],
)
def test_bad_payloads_answer_422_per_field_and_store_nothing(api, world, shop, fields, errors):
    if fields.get("lines") and fields["lines"][0].get("product") == "valve":
        fields = {"lines": [{"product": shop.valve.pk, "quantity": 1}]}  # C's product, not A's
    before = snapshot()
    assert_422(api(world.pm_a).post(LIST, payload(shop, world, **fields)), *errors)
    assert snapshot() == before and not Order.objects.exists()


def test_a_product_outside_the_assortment_is_named(api, world, shop):
    errors = assert_422(
        api(world.pm_a).post(LIST, payload(shop, world, lines=[{"product": shop.valve.pk, "quantity": 1}])),
        "lines",
    )
    assert errors["lines"] == [f"Line 1: product {shop.valve.pk} is not in Alpha Distribution's assortment."]


def test_a_customer_you_cannot_see_is_422(api, world, shop):
    other = enter_order(world.c, world.pm_c, [(shop.valve, 1)]).customer
    errors = assert_422(api(world.pm_a).post(LIST, payload(shop, world, customer=other.pk)), "customer")
    assert errors["customer"] == [f"No customer with id {other.pk} that you can see."]
    assert Order.objects.count() == 1


def test_another_partners_customer_that_you_can_see_is_422(api, world, shop):
    other = enter_order(world.c, world.pm_c, [(shop.valve, 1)]).customer
    assert_422(api(world.admin).post(LIST, payload(shop, world, customer=other.pk)), "customer")


def test_a_partner_you_can_see_but_may_not_order_for_is_403(api, world, shop):
    # A's manager reads its reseller B, but enters no orders for it.
    response = api(world.pm_a).post(
        LIST, payload(shop, world, partner=world.b.pk, lines=[{"product": shop.sensor.pk, "quantity": 1}])
    )
    assert response.status_code == 403 and not Order.objects.exists()


def test_posting_needs_a_token(api, world, shop):
    assert api(None).post(LIST, payload(shop, world)).status_code == 401


# --- GET /orders and /orders/{id} ------------------------------------------------------------------


@pytest.fixture
def orders(world, shop):
    """One order each: A's unassigned, A's assigned to pe_a, A's assigned to another employee, B's, C's."""
    colleague = partner_user(world.a, email="pe2@alpha.example")
    return {
        "a_open": enter_order(world.a, world.pm_a, [(shop.sensor, 1)]),
        "a_pe": enter_order(world.a, world.pe_a, [(shop.sensor, 2)]),
        "a_other": enter_order(
            world.a, colleague, [(shop.controller, 1)], customer_data={"company": "Zeta", "contact": "Z"}
        ),
        "b": enter_order(world.b, world.pm_b, [(shop.sensor, 1)]),
        "c": enter_order(world.c, world.pm_c, [(shop.valve, 1)], draft=True),
    }


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("admin", {"a_open", "a_pe", "a_other", "b", "c"}),
        ("cm_a", {"a_open", "a_pe", "a_other", "b"}),
        ("cm_c", {"c"}),
        ("pm_a", {"a_open", "a_pe", "a_other", "b"}),
        ("pe_a", {"a_open", "a_pe"}),
        ("pm_b", {"b"}),
        ("pm_c", {"c"}),
        ("pe_c", {"c"}),
    ],
)
def test_each_persona_lists_and_reads_its_scope_only(api, world, orders, persona, expected):
    client = api(getattr(world, persona))
    body = client.get(LIST).json()
    names = {name for name, order in orders.items() if order.pk in {item["id"] for item in body["items"]}}
    assert names == expected and body["next_cursor"] is None
    for name, order in orders.items():
        assert client.get(url(order)).status_code == (200 if name in expected else 404)


def test_the_status_link_is_not_shown_to_a_distributor_reading_its_resellers_order(api, world, orders):
    # B is A's reseller: A's manager reads B's order, but the link is B's customer's secret.
    reseller = api(world.pm_a).get(url(orders["b"])).json()
    assert reseller["status_url"] is None
    own = api(world.pm_b).get(url(orders["b"])).json()
    assert own["status_url"].endswith(f"/orders/status/{orders['b'].status_token}/")
    assert api(world.admin).get(url(orders["b"])).json()["status_url"] == own["status_url"]
    listed = {item["id"]: item for item in api(world.pm_a).get(LIST).json()["items"]}
    assert listed[orders["b"].pk]["status_url"] is None and listed[orders["a_open"].pk]["status_url"]


def test_the_list_is_newest_first_and_pages_by_cursor(api, world, orders):
    client = api(world.admin)
    first = client.get(LIST, {"limit": 2}).json()
    second = client.get(LIST, {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = client.get(LIST, {"limit": 2, "cursor": second["next_cursor"]}).json()
    ids = [item["id"] for page in (first, second, third) for item in page["items"]]
    assert ids == sorted((o.pk for o in orders.values()), reverse=True) and third["next_cursor"] is None
    assert_422(client.get(LIST, {"cursor": "garbage"}), "cursor")


def test_the_list_filters_by_status_partner_and_search(api, world, orders):
    client = api(world.admin)

    def ids(**params):
        return {item["id"] for item in client.get(LIST, params).json()["items"]}

    assert ids(status="draft") == {orders["c"].pk}
    assert ids(partner=world.b.pk) == {orders["b"].pk}
    assert ids(q=orders["a_pe"].number) == {orders["a_pe"].pk}
    assert ids(q=str(orders["a_pe"].pk)) == {orders["a_pe"].pk}  # the number's digits
    assert ids(q="zeta") == {orders["a_other"].pk}
    assert ids(q="KIM@kunde.example", partner=world.a.pk) == {orders["a_open"].pk, orders["a_pe"].pk}
    # Filters never widen the scope.
    assert {i["id"] for i in api(world.pm_c).get(LIST, {"partner": world.a.pk}).json()["items"]} == set()
    assert_422(client.get(LIST, {"status": "lost"}), "status")


@pytest.mark.parametrize("bad", ["0", "99999999999999999999", "abc"])
def test_impossible_ids_are_404_or_422(api, world, bad):
    assert api(world.admin).get(f"{LIST}/{bad}").status_code in (404, 422)


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a", "pe_a"])
@pytest.mark.parametrize("rows", [1, 20])
def test_order_list_query_count_is_flat(api, world, shop, django_assert_num_queries, persona, rows):
    for _ in range(rows):
        order = enter_order(world.a, world.pe_a, [(shop.sensor, 1), (shop.controller, 1)])
        services.order_accept(order=order, actor=world.pe_a)
    client = api(getattr(world, persona))

    # 1 token and user, 2 token last_used_at, 3 actor (groups, membership), 4 the page (partner,
    # customer, contact, assignee, creator joined; the scope a subquery or the branches' UNION),
    # 5 the lines, 6 the events with their actors.
    with django_assert_num_queries(6):
        response = client.get(LIST, {"limit": 200, "status": "accepted"})

    assert len(response.json()["items"]) == rows


def test_order_detail_query_count(api, world, orders, django_assert_num_queries):
    client = api(world.cm_a)
    # token, last_used_at, actor, the order (relations joined), its lines, its events.
    with django_assert_num_queries(6):
        assert client.get(url(orders["a_pe"])).status_code == 200


# --- The workflow ----------------------------------------------------------------------------------


def test_the_whole_journey_over_the_api(api, world, shop):
    draft = api(world.pe_a).post(LIST, payload(shop, world, draft=True)).json()
    order = Order.objects.get(pk=draft["id"])
    submitted = act(api(world.pe_a), order, "submit")
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    delivery = (timezone.localdate() + timedelta(days=7)).isoformat()
    accepted = act(api(world.pm_a), order, "accept", {"expected_delivery": delivery})
    assert accepted.status_code == 200 and accepted.json()["expected_delivery"] == delivery
    confirmed = act(api(world.cm_a), order, "confirm")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed"
    shipped = act(api(world.admin), order, "ship", {"tracking_reference": "UPS 1Z999"})
    assert shipped.json()["status"] == "shipped" and shipped.json()["tracking_reference"] == "UPS 1Z999"
    delivered = act(api(world.cm_a), order, "deliver")
    body = delivered.json()
    assert delivered.status_code == 200 and body["status"] == "delivered" and body["delivered_at"]
    assert [e["kind"] for e in body["events"]] == [
        "created",
        "submitted",
        "accepted",
        "confirmed",
        "shipped",
        "delivered",
    ]


def test_reject_needs_a_reason_and_cancels(api, world, shop):
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    client = api(world.pm_a)
    assert_422(act(client, order, "reject", {"reason": "  "}), "reason")
    assert act(client, order, "reject", {}).status_code == 422
    assert Order.objects.get().status == OrderStatus.SUBMITTED
    response = act(client, order, "reject", {"reason": "Out of stock for months"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["reason"]) == ("cancelled", "Out of stock for months")
    assert response.json()["events"][-1]["kind"] == "rejected"


def test_ship_needs_a_tracking_reference(api, world, shop):
    order = services.order_confirm(
        order=services.order_accept(
            order=enter_order(world.a, world.pm_a, [(shop.sensor, 1)]), actor=world.pm_a
        ),
        actor=world.admin,
    )
    before = snapshot()
    assert_422(act(api(world.admin), order, "ship", {"tracking_reference": ""}), "tracking_reference")
    assert_422(act(api(world.admin), order, "ship", {}), "tracking_reference")
    assert snapshot() == before


@pytest.mark.parametrize(
    ("action", "body", "persona"),
    [
        ("submit", None, "pm_a"),
        ("confirm", None, "admin"),
        ("ship", {"tracking_reference": "T"}, "admin"),
        ("deliver", None, "admin"),
        ("reject", {"reason": "No"}, "pm_a"),
    ],
)
def test_bad_moves_answer_409_and_change_nothing(api, world, shop, action, body, persona):
    order = services.order_accept(
        order=enter_order(world.a, world.pm_a, [(shop.sensor, 1)]), actor=world.pm_a
    )
    if action == "confirm":
        order = services.order_cancel(order=order, actor=world.pm_a)
    before = snapshot()
    response = act(api(getattr(world, persona)), order, action, body)
    assert response.status_code == 409, response.content
    assert "cannot go from" in response.json()["detail"] or "Only a submitted" in response.json()["detail"]
    assert snapshot() == before


def test_cancel_after_shipping_is_409(api, world, shop):
    order = services.order_accept(
        order=enter_order(world.a, world.pm_a, [(shop.sensor, 1)]), actor=world.pm_a
    )
    order = services.order_confirm(order=order, actor=world.admin)
    order = services.order_ship(order=order, actor=world.admin, tracking_reference="T")
    assert act(api(world.admin), order, "cancel", {"reason": "late"}).status_code == 409


@pytest.mark.parametrize(
    ("action", "persona", "status"),
    [
        ("accept", "pm_c", 404),  # another partner's order: it does not exist for them
        ("accept", "pm_b", 404),
        ("accept", "cm_a", 403),  # the brand owner sees it but does not accept for the partner
        ("confirm", "pm_a", 403),
        ("confirm", "cm_c", 404),
        ("cancel", "pe_c", 404),
    ],
)
def test_out_of_scope_is_404_and_the_wrong_role_403(api, world, shop, action, persona, status):
    order = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    if action == "confirm":
        order = services.order_accept(order=order, actor=world.pm_a)
    before = snapshot()
    assert act(api(getattr(world, persona)), order, action).status_code == status
    assert snapshot() == before


def test_cancel_with_and_without_a_reason(api, world, shop):
    first = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    second = enter_order(world.a, world.pm_a, [(shop.sensor, 1)])
    assert act(api(world.pm_a), first, "cancel").json()["status"] == "cancelled"
    body = act(api(world.cm_a), second, "cancel", {"reason": "Duplicate"}).json()
    assert (body["status"], body["reason"]) == ("cancelled", "Duplicate")


# --- POST /leads/{id}/convert ----------------------------------------------------------------------


def lead_with_items(world, shop, status=LeadStatus.WON):
    lead = LeadFactory(partner=world.a, status=status, company="Lead GmbH", email="buyer@lead.example")
    LeadItem.objects.create(lead=lead, product=shop.controller, quantity=2)
    return lead


def test_a_won_lead_converts_into_a_draft_order_201(api, world, shop):
    lead = lead_with_items(world, shop)
    response = api(world.pm_a).post(f"/api/v1/leads/{lead.pk}/convert", raw="")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["origin"], body["lead"], body["total"]) == (
        "draft",
        "lead",
        lead.pk,
        "900.00",
    )
    assert [(line["sku"], line["quantity"]) for line in body["lines"]] == [("PLC-1", 2)]
    assert Order.objects.get().lead == lead
    again = api(world.pm_a).post(f"/api/v1/leads/{lead.pk}/convert", raw="")
    assert again.status_code == 409 and "converted already" in again.json()["detail"]


@pytest.mark.parametrize(
    ("persona", "status", "expected"),
    [
        ("pm_c", LeadStatus.WON, 404),
        ("cm_a", LeadStatus.WON, 403),
        ("pm_a", LeadStatus.DISPATCHED, 409),
        ("pm_a", LeadStatus.LOST, 409),
    ],
)
def test_converting_refusals(api, world, shop, persona, status, expected):
    lead = lead_with_items(world, shop, status=status)
    assert (
        api(getattr(world, persona)).post(f"/api/v1/leads/{lead.pk}/convert", raw="").status_code == expected
    )
    assert not Order.objects.exists()


def test_converting_an_unknown_lead_is_404(api, world):
    assert api(world.pm_a).post("/api/v1/leads/999999/convert", raw="").status_code == 404


def test_the_openapi_document_lists_the_order_routes(api, world):
    paths = api(None).get("/api/v1/openapi.json").json()["paths"]
    for path in (LIST, f"{LIST}/{{id}}", f"{LIST}/{{id}}/ship", "/api/v1/leads/{id}/convert"):
        assert path in paths
