"""The lead's workflow through the API: dispatch (routing and by hand), proposals, accept, decline,
assign, qualify, won, lost. Each route: who may, who gets 403 (a wrong role on a lead they can see),
who gets 404 (out of scope), bad bodies (422, nothing saved), moves the workflow refuses (409)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from leads import services
from leads.choices import LeadStatus
from leads.models import DispatchDecision, Lead, LeadDecline
from partners.choices import PartnerStatus
from tests.factories import LeadFactory, PartnerFactory, partner_user, rule

LIST = "/api/v1/leads"


def url(lead: Lead, action: str = "") -> str:
    return f"{LIST}/{lead.pk}/{action}" if action else f"{LIST}/{lead.pk}"


def assert_422(response, *fields: str) -> dict:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["detail"] == "Validation failed"
    assert set(body["errors"]) == set(fields)
    return body["errors"]


def assert_unchanged(lead: Lead) -> None:
    before = (lead.status, lead.partner_id, lead.assigned_to_id, lead.updated_at)
    lead.refresh_from_db()
    assert (lead.status, lead.partner_id, lead.assigned_to_id, lead.updated_at) == before


def dispatched_to(partner, **fields) -> Lead:
    return LeadFactory(partner=partner, status=LeadStatus.DISPATCHED, **fields)


def accepted_by_a(world, **fields) -> Lead:
    return LeadFactory(partner=world.a, status=LeadStatus.ACCEPTED, **fields)


# --- POST /leads/{id}/dispatch: routing ------------------------------------------------------------


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
def test_channel_staff_route_a_new_lead(api, world, persona):
    rule("DACH", countries=["DE"], partners=[world.a])
    lead = LeadFactory()

    response = api(getattr(world, persona)).post(url(lead, "dispatch"), raw="")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["partner"]) == ("dispatched", world.a.pk)
    assert "DACH" in body["dispatch_reason"]
    assert DispatchDecision.objects.get(lead=lead).partner == world.a


def test_routing_with_an_empty_object_is_the_same_as_without_a_body(api, world):
    rule("DACH", countries=["DE"], partners=[world.a])
    lead = LeadFactory()

    response = api(world.admin).post(url(lead, "dispatch"), {})

    assert response.json()["partner"] == world.a.pk


def test_routing_an_unroutable_lead_again(api, world):
    lead = LeadFactory(status=LeadStatus.UNROUTABLE)
    rule("All", partners=[world.c])

    body = api(world.cm_c).post(url(lead, "dispatch"), raw="").json()

    assert (body["status"], body["partner"]) == ("dispatched", world.c.pk)


def test_routing_an_already_dispatched_lead_gets_409(api, world):
    lead = dispatched_to(world.a)

    response = api(world.admin).post(url(lead, "dispatch"), raw="")

    assert response.status_code == 409
    assert "new or unroutable" in response.json()["detail"]
    assert_unchanged(lead)


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_cannot_route_a_lead_they_can_see(api, world, persona):
    rule("All", partners=[world.c])
    lead = LeadFactory(partner=world.a)  # new, but already a partner's: alpha's people see it

    response = api(getattr(world, persona)).post(url(lead, "dispatch"), raw="")

    assert response.status_code == 403
    assert_unchanged(lead)


@pytest.mark.parametrize(("persona", "partner"), [("cm_c", "a"), ("pm_c", "a"), ("pm_b", "a"), ("cm_a", "c")])
def test_dispatching_a_lead_out_of_scope_gets_404(api, world, persona, partner):
    lead = dispatched_to(getattr(world, partner))

    response = api(getattr(world, persona)).post(url(lead, "dispatch"), {"partner": world.b.pk})

    assert response.status_code == 404
    assert_unchanged(lead)


def test_a_reason_without_a_partner_gets_422(api, world):
    lead = LeadFactory()

    assert_422(api(world.admin).post(url(lead, "dispatch"), {"reason": "because"}), "reason")
    assert_unchanged(lead)


# --- POST /leads/{id}/dispatch: by hand ------------------------------------------------------------


def test_channel_manager_dispatches_a_dispatched_lead_by_hand(api, world):
    lead = dispatched_to(world.a)

    response = api(world.cm_a).post(url(lead, "dispatch"), {"partner": world.b.pk, "reason": "Local"})

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["partner"]) == ("dispatched", world.b.pk)
    assert "by hand" in body["dispatch_reason"] and "Local" in body["dispatch_reason"]
    assert body["accept_by"] is not None


@pytest.mark.parametrize("target", ["c", "missing"])
def test_dispatch_to_a_partner_not_ones_own_gets_the_same_422(api, world, target):
    lead = LeadFactory()
    partner_id = world.c.pk if target == "c" else 999_999

    errors = assert_422(api(world.cm_a).post(url(lead, "dispatch"), {"partner": partner_id}), "partner")

    assert errors["partner"] == ["Choose one of your partners."]
    assert_unchanged(lead)


def test_dispatch_to_an_inactive_partner_gets_422(api, world):
    world.b.status = PartnerStatus.SUSPENDED
    world.b.save()
    lead = LeadFactory()

    errors = assert_422(api(world.admin).post(url(lead, "dispatch"), {"partner": world.b.pk}), "partner")

    assert "not active" in errors["partner"][0]


def test_dispatching_an_accepted_lead_by_hand_gets_409(api, world):
    lead = accepted_by_a(world)

    response = api(world.cm_a).post(url(lead, "dispatch"), {"partner": world.b.pk})

    assert response.status_code == 409
    assert_unchanged(lead)


def test_partner_user_dispatching_by_hand_gets_403(api, world):
    lead = dispatched_to(world.a)

    response = api(world.pm_a).post(url(lead, "dispatch"), {"partner": world.b.pk})

    assert response.status_code == 403
    assert_unchanged(lead)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"partner": "beta"}, "partner"),
        ({"partner": True}, "partner"),
        ({"partner": 0}, "partner"),
        ({"partner": 1, "reason": "x" * 301}, "reason"),
        ({"partner": 1, "priority": 1}, "priority"),
    ],
)
def test_dispatch_with_a_bad_body_gets_422(api, world, data, field):
    lead = LeadFactory()

    assert_422(api(world.admin).post(url(lead, "dispatch"), data), field)
    assert_unchanged(lead)


# --- GET /leads/{id}/proposals ---------------------------------------------------------------------


def test_channel_admin_sees_ranked_proposals_with_figures_and_reasons(api, world):
    world.b.status = PartnerStatus.SUSPENDED
    world.b.save()
    LeadFactory.create_batch(
        2, partner=world.a, status=LeadStatus.DISPATCHED, dispatched_at="2030-01-01T00:00Z"
    )
    rule("Nowhere", priority=1, countries=["JP"], partners=[world.a])
    rule("All", priority=5, partners=[world.a, world.b, world.c], strategy="least_loaded")
    lead = LeadFactory()

    response = api(world.admin).get(url(lead, "proposals"))

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["rule"] == "All"
    assert body["strategy"] == "least_loaded"
    assert body["partner"] == world.c.pk
    assert "Gamma Services" in body["reason"]
    assert [c["partner"] for c in body["candidates"]] == [world.c.pk, world.a.pk]
    assert body["candidates"][0] == {"partner": world.c.pk, "name": "Gamma Services", "figure": 0.0}
    assert body["candidates"][1]["figure"] == pytest.approx(2 / 50)
    assert body["excluded"] == [
        {"partner": world.b.pk, "name": "Beta Resale", "reason": "not active (suspended)"}
    ]
    assert body["rules_tried"] == [{"rule": "Nowhere", "outcome": "did not match: country DE not in JP"}]
    assert not DispatchDecision.objects.exists()  # nothing is written


def test_proposals_of_a_large_rule_list_the_best_and_count_those_left_out(api, world):
    from leads.routing import FULL_LIST

    partners = PartnerFactory.create_batch(FULL_LIST + 10, capacity=5)
    for _ in range(5):
        LeadFactory(partner=partners[0], status=LeadStatus.DISPATCHED)  # full
    rule("Many", strategy="least_loaded", partners=partners)
    body = api(world.admin).get(url(LeadFactory(), "proposals")).json()
    assert body["considered"] == FULL_LIST + 10
    assert body["left_out"] == {"at capacity": 1}
    assert len(body["candidates"]) == FULL_LIST + 9  # every eligible one (at most 50 are proposed)
    assert partners[0].pk not in {c["partner"] for c in body["candidates"]}


def test_channel_manager_sees_only_candidates_among_their_partners(api, world):
    rule("All", partners=[world.a, world.b, world.c], strategy="least_loaded")
    LeadFactory.create_batch(2, partner=world.a, status=LeadStatus.DISPATCHED)
    LeadFactory.create_batch(1, partner=world.b, status=LeadStatus.DISPATCHED)
    lead = LeadFactory()  # the channel's queue: routing would pick gamma, not cm_a's

    body = api(world.cm_a).get(url(lead, "proposals")).json()

    assert [c["partner"] for c in body["candidates"]] == [world.b.pk, world.a.pk]
    assert body["partner"] is None
    assert "Gamma" not in body["reason"] and "not one of yours" in body["reason"]
    assert "Gamma" not in str(body)


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_cannot_see_proposals(api, world, persona):
    lead = dispatched_to(world.a)

    assert api(getattr(world, persona)).get(url(lead, "proposals")).status_code == 403


@pytest.mark.parametrize("persona", ["cm_c", "pm_c"])
def test_proposals_out_of_scope_get_404(api, world, persona):
    lead = dispatched_to(world.a)

    assert api(getattr(world, persona)).get(url(lead, "proposals")).status_code == 404


# --- POST /leads/{id}/accept -----------------------------------------------------------------------


def test_partner_manager_accepts_and_the_lead_gets_a_customer(api, world):
    lead = dispatched_to(world.a, company="Brand New KG", email="jo@brandnew.example")

    response = api(world.pm_a).post(url(lead, "accept"), raw="")

    assert response.status_code == 200, response.content
    body = response.json()
    lead.refresh_from_db()
    assert body["status"] == "accepted" and body["accept_by"] is None
    assert body["customer"] == lead.customer_id is not None
    assert lead.customer.company == "Brand New KG"


def test_employee_accepting_an_unassigned_lead_takes_it(api, world):
    lead = dispatched_to(world.a)

    body = api(world.pe_a).post(url(lead, "accept"), raw="").json()

    assert (body["status"], body["assigned_to"]) == ("accepted", "pe@alpha.example")


@pytest.mark.parametrize(
    ("persona", "partner", "status"),
    [
        ("cm_a", "a", 403),  # channel staff do not work the partner's leads
        ("admin", "a", 403),
        ("pm_a", "b", 403),  # a distributor's manager only reads its resellers' leads
        ("pm_b", "a", 404),
        ("pm_c", "a", 404),
        ("pe_c", "a", 404),
        ("cm_c", "a", 404),
    ],
)
def test_accept_by_anyone_else_is_refused(api, world, persona, partner, status):
    lead = dispatched_to(getattr(world, partner))

    assert api(getattr(world, persona)).post(url(lead, "accept"), raw="").status_code == status
    assert_unchanged(lead)


def test_employee_cannot_reach_a_colleagues_lead(api, world):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    lead = dispatched_to(world.a, assigned_to=colleague)

    assert api(world.pe_a).post(url(lead, "accept"), raw="").status_code == 404


@pytest.mark.parametrize("status", [LeadStatus.NEW, LeadStatus.ACCEPTED, LeadStatus.WON])
def test_accepting_a_lead_that_is_not_dispatched_gets_409(api, world, status):
    lead = LeadFactory(partner=world.a, status=status)

    response = api(world.pm_a).post(url(lead, "accept"), raw="")

    assert response.status_code == 409
    assert "cannot go from" in response.json()["detail"]
    assert_unchanged(lead)


# --- POST /leads/{id}/decline ----------------------------------------------------------------------


def test_decline_routes_the_lead_again_without_the_partner(api, world):
    rule("All", partners=[world.a, world.c])
    lead = services.lead_route(lead=LeadFactory(), actor=None)
    assert lead.partner == world.a
    client = api(world.pm_a)

    response = client.post(url(lead, "decline"), {"reason": "No capacity in Bavaria"})

    assert response.status_code == 204
    assert response.content == b""
    lead.refresh_from_db()
    assert (lead.status, lead.partner) == (LeadStatus.DISPATCHED, world.c)
    assert LeadDecline.objects.get(lead=lead).reason == "No capacity in Bavaria"
    assert client.get(url(lead)).status_code == 404  # it left alpha


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": None}])
def test_decline_needs_a_reason(api, world, body):
    lead = dispatched_to(world.a)

    assert_422(api(world.pm_a).post(url(lead, "decline"), body), "reason")
    assert_unchanged(lead)
    assert not LeadDecline.objects.exists()


def test_declining_an_accepted_lead_gets_409(api, world):
    lead = accepted_by_a(world)

    response = api(world.pm_a).post(url(lead, "decline"), {"reason": "Changed our mind"})

    assert response.status_code == 409
    assert_unchanged(lead)


@pytest.mark.parametrize(("persona", "status"), [("cm_a", 403), ("pm_c", 404), ("cm_c", 404), ("pm_b", 404)])
def test_decline_by_anyone_else_is_refused(api, world, persona, status):
    lead = dispatched_to(world.a)

    response = api(getattr(world, persona)).post(url(lead, "decline"), {"reason": "Not ours"})

    assert response.status_code == status
    assert_unchanged(lead)


# --- POST /leads/{id}/assign -----------------------------------------------------------------------


def test_partner_manager_assigns_and_the_assignee_is_told(
    api, world, django_capture_on_commit_callbacks, mailoutbox
):
    lead = dispatched_to(world.a)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.pm_a).post(url(lead, "assign"), {"user": "PE@alpha.example "})

    assert response.status_code == 200, response.content
    assert response.json()["assigned_to"] == "pe@alpha.example"
    assert [m.to for m in mailoutbox] == [["pe@alpha.example"]]


def test_partner_manager_takes_a_lead_back(api, world):
    lead = accepted_by_a(world, assigned_to=world.pe_a)

    body = api(world.pm_a).post(url(lead, "assign"), {"user": None}).json()

    assert body["assigned_to"] is None


@pytest.mark.parametrize("email", ["pe@gamma.example", "nobody@alpha.example"])
def test_assign_to_someone_outside_the_partner_gets_the_same_422(api, world, email):
    lead = dispatched_to(world.a)

    errors = assert_422(api(world.pm_a).post(url(lead, "assign"), {"user": email}), "user")

    assert errors["user"] == [f"{email} is not an active member of this partner."]
    assert_unchanged(lead)


@pytest.mark.parametrize(
    ("persona", "partner", "status"),
    [("pe_a", "a", 403), ("cm_a", "a", 403), ("admin", "a", 403), ("pm_a", "b", 403), ("pm_c", "a", 404)],
)
def test_assign_by_anyone_else_is_refused(api, world, persona, partner, status):
    lead = dispatched_to(getattr(world, partner))

    response = api(getattr(world, persona)).post(url(lead, "assign"), {"user": "nobody@alpha.example"})

    assert response.status_code == status
    assert_unchanged(lead)


def test_assign_without_a_user_field_gets_422(api, world):
    assert_422(api(world.pm_a).post(url(dispatched_to(world.a), "assign"), {}), "user")


def test_assigning_a_closed_lead_gets_409(api, world):
    lead = LeadFactory(partner=world.a, status=LeadStatus.WON)

    response = api(world.pm_a).post(url(lead, "assign"), {"user": "pe@alpha.example"})

    assert response.status_code == 409
    assert_unchanged(lead)


# --- POST /leads/{id}/qualify, /won, /lost ---------------------------------------------------------


def test_qualify_records_the_qualification(api, world):
    lead = accepted_by_a(world)

    response = api(world.pm_a).post(
        url(lead, "qualify"), {"budget": "EUR 50k", "need": " Two pumps ", "notes": "Call in May"}
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "qualified"
    assert body["qualification"] == {
        "budget": "EUR 50k",
        "authority": "",
        "need": "Two pumps",
        "timeline": "",
        "notes": "Call in May",
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({}, "need"),
        ({"notes": "only notes"}, "need"),
        ({"budget": "x" * 201}, "budget"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_qualify_with_a_bad_body_gets_422(api, world, data, field):
    lead = accepted_by_a(world)

    assert_422(api(world.pm_a).post(url(lead, "qualify"), data), field)
    assert_unchanged(lead)


def test_qualifying_a_lead_not_accepted_gets_409(api, world):
    lead = dispatched_to(world.a)

    assert api(world.pm_a).post(url(lead, "qualify"), {"need": "pumps"}).status_code == 409
    assert_unchanged(lead)


@pytest.mark.parametrize(("persona", "status"), [("cm_a", 403), ("pm_c", 404)])
def test_qualify_by_anyone_else_is_refused(api, world, persona, status):
    lead = accepted_by_a(world)

    assert api(getattr(world, persona)).post(url(lead, "qualify"), {"need": "pumps"}).status_code == status
    assert_unchanged(lead)


def test_won_records_the_value_and_closes_the_lead(api, world):
    lead = accepted_by_a(world)

    body = api(world.pm_a).post(url(lead, "won"), {"value": "48000.00"}).json()

    assert (body["status"], body["won_value"]) == ("won", "48000.00")
    lead.refresh_from_db()
    assert lead.won_value == Decimal("48000.00") and lead.closed_at is not None


@pytest.mark.parametrize("data", [{}, {"value": -1}, {"value": "a lot"}, {"value": "1.001"}, {"value": None}])
def test_won_with_a_bad_value_gets_422(api, world, data):
    lead = accepted_by_a(world)

    assert_422(api(world.pm_a).post(url(lead, "won"), data), "value")
    assert_unchanged(lead)


@pytest.mark.parametrize("status", [LeadStatus.DISPATCHED, LeadStatus.WON, LeadStatus.LOST])
def test_winning_a_lead_in_the_wrong_status_gets_409(api, world, status):
    lead = LeadFactory(partner=world.a, status=status)

    assert api(world.pm_a).post(url(lead, "won"), {"value": 1}).status_code == 409
    assert_unchanged(lead)


@pytest.mark.parametrize(("persona", "status"), [("cm_a", 403), ("pm_a_on_b", 403), ("pm_c", 404)])
def test_won_by_anyone_else_is_refused(api, world, persona, status):
    lead = LeadFactory(partner=world.b if persona == "pm_a_on_b" else world.a, status=LeadStatus.ACCEPTED)
    user = world.pm_a if persona == "pm_a_on_b" else getattr(world, persona)

    assert api(user).post(url(lead, "won"), {"value": 1}).status_code == status
    assert_unchanged(lead)


@pytest.mark.parametrize("persona", ["pm_a", "cm_a", "admin"])
def test_the_partner_or_channel_staff_mark_a_lead_lost(api, world, persona):
    lead = dispatched_to(world.a)

    body = api(getattr(world, persona)).post(url(lead, "lost"), {"reason": "Bought elsewhere"}).json()

    assert (body["status"], body["lost_reason"]) == ("lost", "Bought elsewhere")


@pytest.mark.parametrize("body", [{}, {"reason": " "}, {"reason": "x" * 501}])
def test_lost_needs_a_reason(api, world, body):
    lead = dispatched_to(world.a)

    assert_422(api(world.pm_a).post(url(lead, "lost"), body), "reason")
    assert_unchanged(lead)


def test_losing_a_won_lead_gets_409(api, world):
    lead = LeadFactory(partner=world.a, status=LeadStatus.WON)

    response = api(world.pm_a).post(url(lead, "lost"), {"reason": "Changed mind"})

    assert response.status_code == 409
    assert response.json()["detail"] == "A lead cannot go from “Won” to “Lost”."
    assert_unchanged(lead)


@pytest.mark.parametrize(("persona", "status"), [("pe_c", 404), ("cm_c", 404), ("pm_b", 404)])
def test_lost_by_anyone_else_is_refused(api, world, persona, status):
    lead = dispatched_to(world.a)

    assert api(getattr(world, persona)).post(url(lead, "lost"), {"reason": "x"}).status_code == status
    assert_unchanged(lead)


def test_the_whole_journey_through_the_api(api, world):
    rule("DACH", countries=["DE"], partners=[world.a])
    created = api(world.cm_a).post(LIST, {"company": "Journey AG", "country": "DE"}).json()
    lead = Lead.objects.get(pk=created["id"])
    manager, employee = api(world.pm_a), api(world.pe_a)

    assert manager.post(url(lead, "assign"), {"user": "pe@alpha.example"}).status_code == 200
    assert employee.post(url(lead, "accept"), raw="").json()["status"] == "accepted"
    assert employee.post(url(lead, "qualify"), {"need": "Pumps"}).json()["status"] == "qualified"
    won = employee.post(url(lead, "won"), {"value": 9000}).json()

    assert (won["status"], won["won_value"], won["assigned_to"]) == ("won", "9000.00", "pe@alpha.example")
    assert [e.kind for e in lead.events.all()] == [
        "created", "dispatched", "assigned", "accepted", "qualified", "won",
    ]  # fmt: skip
