"""Channel portal: the lead page ("Why this partner?", timeline, proposals) and what channel staff
do on it: route, dispatch by hand, mark lost."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.choices import LeadEventKind, LeadStatus, Strategy
from leads.models import DispatchDecision, Lead, LeadEvent
from partners.choices import PartnerStatus, Role
from tests.factories import CategoryFactory, LeadFactory, PartnerFactory, channel_user, rule

pytestmark = pytest.mark.django_db


def detail(lead) -> str:
    return reverse("channel:lead_detail", args=[lead.pk])


def route_url(lead) -> str:
    return reverse("channel:lead_route", args=[lead.pk])


def dispatch_url(lead) -> str:
    return reverse("channel:lead_dispatch", args=[lead.pk])


def lost_url(lead) -> str:
    return reverse("channel:lead_lost", args=[lead.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def snapshot(lead) -> tuple:
    lead.refresh_from_db()
    return (lead.status, lead.partner_id, lead.accept_by, lead.lost_reason, lead.events.count())


@pytest.fixture
def routed(world):
    """A lead routed to A by the second rule: B is suspended, C at capacity, the first rule did not
    match."""
    world.b.status = PartnerStatus.SUSPENDED
    world.b.save()
    world.c.capacity = 0
    world.c.save()
    rule("France only", priority=1, countries=["FR"], partners=[world.c])
    rule("Everyone", priority=2, partners=[world.a, world.b, world.c])
    lead = LeadFactory(company="Routed Prospect AG", category=CategoryFactory(name="Ovens"), phone="+49 1")
    return services.lead_route(lead=lead, actor=None)


# --- The page -------------------------------------------------------------------------------------


def test_page_shows_the_lead_its_partner_deadline_and_timeline(world, routed, login):
    response = login(world.cm_a).get(detail(routed))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>Lead Routed Prospect AG · OpenPCM</title>" in body
    assert "Dispatched</span>" in body
    assert f'href="{reverse("channel:partner_detail", args=[world.a.pk])}">Alpha Distribution</a>' in body
    assert f'datetime="{routed.accept_by.isoformat()}"' in body or routed.accept_by.strftime("%Y") in body
    assert "Ovens" in body and "+49 1" in body and "Munich" in body
    kinds = [e.kind for e in response.context["timeline"]]
    assert kinds == [LeadEventKind.DISPATCHED]
    assert "Routing tries" not in body  # not the rule page
    assert response.context["breadcrumbs"][-1] == ("Routed Prospect AG", None)


def test_why_this_partner_lists_every_candidate_with_its_figure_or_the_reason_it_was_left_out(
    world, routed, login
):
    response = login(world.admin).get(detail(routed))
    why = response.context["why"]
    assert why["decision"].rule_name == "Everyone"
    assert why["strategy_label"] == Strategy.WEIGHTED.label
    rows = {c["name"]: c for c in why["candidates"]}
    assert rows["Alpha Distribution"]["chosen"] and rows["Alpha Distribution"]["figure"] == (
        "0.00 recent leads per tier weight"
    )
    assert rows["Beta Resale"]["excluded"] == "not active (suspended)"
    assert rows["Gamma Services"]["excluded"] == "at capacity (0/0 open leads)"
    body = response.content.decode()
    assert "Left out: not active (suspended)" in body
    assert "Left out: at capacity (0/0 open leads)" in body
    assert "<strong>Chosen</strong>" in body
    assert "France only: did not match: country DE not in FR" in body
    assert routed.dispatch_reason in body


def test_why_this_partner_does_not_name_partners_the_manager_does_not_own(world, routed, login):
    response = login(world.cm_a).get(detail(routed))
    rows = [(c["name"], c["excluded"]) for c in response.context["why"]["candidates"]]
    assert rows == [
        ("Alpha Distribution", ""),
        ("Beta Resale", "not active (suspended)"),
        ("A partner you do not manage", "at capacity (0/0 open leads)"),
    ]
    assert "Gamma" not in response.content.decode()


def test_figures_read_as_distance_and_load(world, login):
    world.a.latitude, world.a.longitude = Decimal("48.2"), Decimal("16.37")
    world.a.save()
    rule("Nearest", strategy=Strategy.NEAREST, partners=[world.a])
    lead = services.lead_route(
        lead=LeadFactory(latitude=Decimal("48.137154"), longitude=Decimal("11.576124")), actor=None
    )
    [row] = login(world.admin).get(detail(lead)).context["why"]["candidates"]
    assert row["figure"].endswith(" km away") and row["figure"].startswith("35")


def test_a_lead_never_routed_says_so(world, login):
    lead = LeadFactory()
    response = login(world.admin).get(detail(lead))
    assert response.context["why"] is None
    assert "This lead has not been routed yet." in response.content.decode()


def test_new_lead_offers_routing_ranked_proposals_and_a_partner_picker(world, login):
    rule("Everyone", partners=[world.a, world.c])
    lead = LeadFactory()
    response = login(world.admin).get(detail(lead))
    body = response.content.decode()
    assert "Route automatically" in body
    names = [p.name for p in response.context["proposals"]]
    assert sorted(names) == ["Alpha Distribution", "Gamma Services"]
    assert body.count("Give to this partner") == 2
    assert response.context["hidden_proposals"] == 0
    picker = response.context["dispatch_form"]["partner"].field.widget.choices
    assert {name for _, name in picker} >= {"Alpha Distribution", "Beta Resale", "Gamma Services"}
    assert "Mark lost" in body


def test_a_manager_is_proposed_only_their_own_partners(world, login):
    rule("Everyone", partners=[world.a, world.c])
    lead = LeadFactory()
    response = login(world.cm_a).get(detail(lead))
    assert [p.name for p in response.context["proposals"]] == ["Alpha Distribution"]
    assert response.context["hidden_proposals"] == 1
    body = response.content.decode()
    assert "Routing also considers 1 partner you do not manage; they are not listed." in body
    assert "Gamma" not in body
    picker = {name for _, name in response.context["dispatch_form"]["partner"].field.widget.choices}
    assert "Gamma Services" not in picker


def test_a_manager_is_not_told_which_other_partner_routing_would_choose(world, login):
    rule("To C", partners=[world.c])
    lead = LeadFactory()
    response = login(world.cm_a).get(detail(lead))
    assert response.context["proposals"] == []
    assert response.context["proposal_reason"] == (
        "Routing would give this lead to a partner that is not one of yours."
    )
    assert "Gamma" not in response.content.decode()


def test_dispatched_lead_offers_re_dispatch_but_not_routing(world, routed, login):
    response = login(world.cm_a).get(detail(routed))
    body = response.content.decode()
    assert "Route automatically" not in body
    assert "Assign by hand" in body
    current = [p for p in response.context["proposals"] if p.partner_id == world.a.pk]
    assert current and current[0].current
    assert "Holds it now" in body


def test_unroutable_lead_shows_why_no_partner_qualifies(world, login):
    lead = services.lead_route(lead=LeadFactory(country="JP"), actor=None)
    response = login(world.admin).get(detail(lead))
    assert response.context["proposals"] == []
    assert "None of your partners qualifies now. No rule found a partner" in response.content.decode()


def test_closed_leads_offer_no_actions(world, login):
    lead = LeadFactory(partner=world.a, status=LeadStatus.WON, won_value=Decimal("5"))
    body = login(world.admin).get(detail(lead)).content.decode()
    assert "Route automatically" not in body and "Assign by hand" not in body and "Mark lost" not in body
    assert "Won value" in body


def test_a_manager_of_another_partner_gets_404_everywhere(world, routed, login):
    client = login(world.cm_c)
    before = snapshot(routed)
    assert client.get(detail(routed)).status_code == 404
    assert client.post(route_url(routed)).status_code == 404
    assert client.post(dispatch_url(routed), {"partner": world.c.pk}).status_code == 404
    assert client.post(lost_url(routed), {"reason": "nope"}).status_code == 404
    assert snapshot(routed) == before


def test_an_unknown_lead_is_404(world, login):
    assert login(world.admin).get("/channel/leads/999999/").status_code == 404


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403_on_the_channel_pages(world, routed, login, persona):
    client = login(getattr(world, persona))
    before = snapshot(routed)
    assert client.get(detail(routed)).status_code == 403
    assert client.post(dispatch_url(routed), {"partner": world.a.pk}).status_code == 403
    assert client.post(lost_url(routed), {"reason": "x"}).status_code == 403
    assert snapshot(routed) == before


@pytest.mark.parametrize("action", [route_url, dispatch_url, lost_url])
def test_actions_only_answer_post(world, routed, login, action):
    assert login(world.admin).get(action(routed)).status_code == 405


# --- Route ----------------------------------------------------------------------------------------


def test_route_automatically_dispatches_a_new_lead(world, login):
    rule("DACH", countries=["DE"], partners=[world.a])
    lead = LeadFactory()
    response = login(world.cm_a).post(route_url(lead), follow=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == world.a
    assert response.redirect_chain[-1][0] == detail(lead)
    assert messages_of(response)[0].startswith("Dispatched to Alpha Distribution. Rule “DACH”")
    assert lead.events.get(kind=LeadEventKind.DISPATCHED).actor == world.cm_a


def test_route_without_a_rule_leaves_it_unroutable_with_the_reason(world, login):
    lead = LeadFactory()
    response = login(world.admin).post(route_url(lead), follow=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.UNROUTABLE
    assert messages_of(response)[0].startswith("Unroutable: No rule found a partner")


def test_route_to_a_partner_beyond_the_manager_lands_on_the_list(world, login):
    rule("To C", partners=[world.c])
    lead = LeadFactory()
    response = login(world.cm_a).post(route_url(lead), follow=True)
    assert response.redirect_chain[-1][0] == "/channel/leads/"
    assert any("leaves your list" in m for m in messages_of(response))


def test_routing_a_dispatched_lead_is_refused_and_changes_nothing(world, routed, login):
    before = snapshot(routed)
    response = login(world.cm_a).post(route_url(routed), follow=True)
    assert response.redirect_chain[-1][0] == detail(routed)
    assert "Only new or unroutable leads are routed" in messages_of(response)[0]
    assert snapshot(routed) == before


# --- Dispatch by hand -----------------------------------------------------------------------------


def test_give_to_a_proposed_partner(world, login):
    rule("Everyone", partners=[world.a, world.c])
    lead = LeadFactory()
    response = login(world.admin).post(dispatch_url(lead), {"partner": world.c.pk}, follow=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == world.c
    assert lead.accept_by is not None
    assert messages_of(response)[0].startswith("Dispatched to Gamma Services by hand; they have until")
    decision = DispatchDecision.objects.get(lead=lead)
    assert decision.strategy == "by_hand" and decision.decided_by == world.admin
    page = login(world.admin).get(detail(lead))
    assert page.context["why"]["strategy_label"] == "Assigned by hand"


def test_re_dispatch_by_hand_with_a_reason(world, routed, login):
    response = login(world.cm_a).post(
        dispatch_url(routed), {"partner": world.a.pk, "reason": "Asked for by the customer"}, follow=True
    )
    assert response.status_code == 200
    routed.refresh_from_db()
    assert routed.partner == world.a
    assert routed.dispatch_reason.endswith(": Asked for by the customer")
    assert routed.events.filter(kind=LeadEventKind.ASSIGNED_BY_HAND).exists()


def test_dispatch_to_a_partner_the_manager_does_not_own_is_refused(world, login):
    lead = LeadFactory()
    before = snapshot(lead)
    response = login(world.cm_a).post(dispatch_url(lead), {"partner": world.c.pk})
    assert response.status_code == 400
    assert response.context["dispatch_form"].errors["partner"] == ["Choose one of your partners."]
    assert snapshot(lead) == before


def test_dispatch_to_an_inactive_partner_is_refused_on_the_form(world, login):
    world.b.status = PartnerStatus.SUSPENDED
    world.b.save()
    lead = LeadFactory()
    before = snapshot(lead)
    response = login(world.cm_a).post(dispatch_url(lead), {"partner": world.b.pk})
    assert response.status_code == 400
    assert response.context["dispatch_form"].errors["partner"] == ["Beta Resale is not active."]
    assert snapshot(lead) == before


@pytest.mark.parametrize("value", ["", "abc", "0", "99999999999999999999999"])
def test_dispatch_without_a_valid_partner_is_refused(world, login, value):
    lead = LeadFactory()
    before = snapshot(lead)
    response = login(world.admin).post(dispatch_url(lead), {"partner": value})
    assert response.status_code == 400
    assert "partner" in response.context["dispatch_form"].errors
    assert snapshot(lead) == before


def test_dispatching_an_accepted_lead_is_refused_with_a_message(world, login):
    lead = LeadFactory(partner=world.a, status=LeadStatus.ACCEPTED)
    before = snapshot(lead)
    response = login(world.admin).post(dispatch_url(lead), {"partner": world.c.pk}, follow=True)
    assert response.redirect_chain[-1][0] == detail(lead)
    assert "cannot be dispatched again" in messages_of(response)[0]
    assert snapshot(lead) == before


def test_a_manager_who_sees_a_shared_lead_but_does_not_manage_its_partner_gets_403(world, login):
    from guardian.shortcuts import assign_perm

    lead = LeadFactory(partner=world.c, status=LeadStatus.DISPATCHED)
    assign_perm("view_lead", world.cm_a, lead)
    client = login(world.cm_a)
    page = client.get(detail(lead))
    assert page.status_code == 200
    assert "Assign by hand" not in page.content.decode()
    before = snapshot(lead)
    assert client.post(dispatch_url(lead), {"partner": world.a.pk}).status_code == 403
    assert client.post(lost_url(lead), {"reason": "x"}).status_code == 403
    assert snapshot(lead) == before


# --- Mark lost ------------------------------------------------------------------------------------


def test_mark_lost_with_a_reason(world, routed, login):
    response = login(world.cm_a).post(lost_url(routed), {"reason": "Bought elsewhere"}, follow=True)
    routed.refresh_from_db()
    assert routed.status == LeadStatus.LOST and routed.lost_reason == "Bought elsewhere"
    assert messages_of(response) == ["Routed Prospect AG marked lost."]
    assert "Lost because" in response.content.decode()


def test_mark_lost_without_a_reason_is_refused(world, routed, login):
    before = snapshot(routed)
    response = login(world.cm_a).post(lost_url(routed), {"reason": "  "})
    assert response.status_code == 400
    assert "reason" in response.context["lost_form"].errors
    assert snapshot(routed) == before


def test_marking_a_won_lead_lost_is_refused_with_a_message(world, login):
    lead = LeadFactory(partner=world.a, status=LeadStatus.WON)
    before = snapshot(lead)
    response = login(world.admin).post(lost_url(lead), {"reason": "Changed mind"}, follow=True)
    assert response.redirect_chain[-1][0] == detail(lead)
    assert "cannot go from “Won” to “Lost”" in messages_of(response)[0]
    assert snapshot(lead) == before


# --- Query budget ---------------------------------------------------------------------------------


def _lead_with_history(rows: int, manager) -> Lead:
    """A lead the manager routed to their partner by a rule with `rows` candidates (all theirs),
    with `rows` extra timeline events by different people."""
    from tests.factories import UserFactory

    owned = PartnerFactory(name="Owned")
    owned.managers.add(manager)
    candidates = [owned] + [PartnerFactory(parent=owned) for _ in range(rows - 1)]
    rule("Many", partners=candidates)
    lead = services.lead_route(lead=LeadFactory(category=CategoryFactory()), actor=manager)
    for _ in range(rows):
        LeadEvent.objects.create(lead=lead, actor=UserFactory(), kind=LeadEventKind.DISPATCHED, message="x")
    lead.accept_by = timezone.now() + timedelta(hours=1)
    lead.save()
    return lead


@pytest.mark.parametrize("rows", [1, 20])
def test_detail_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, rows):
    manager = channel_user(Role.CHANNEL_MANAGER)
    lead = _lead_with_history(rows, manager)
    client = login(manager)
    # session, user, actor, lead (partner, assignee, category, customer, creator joined), whether
    # the manager owns the partner, latest decision = 6; the routing context for the proposals
    # (rules, their partners, their categories, the partners' version (their rows and
    # certifications are kept in the process while it holds), open counts, recent counts,
    # declines, protection) = 8; which candidates are the manager's partners, partner picker = 2;
    # timeline (actors joined) = 1 (the decider is joined to the decision): 17
    with django_assert_num_queries(17):
        response = client.get(detail(lead))
    assert len(response.context["timeline"]) == rows + 1  # dispatched, and the extra ones
    assert len(response.context["why"]["candidates"]) == rows
    assert len(response.context["proposals"]) == rows


@pytest.mark.parametrize("rows", [1, 20])
def test_closed_lead_detail_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, rows):
    admin = channel_user(Role.CHANNEL_ADMIN)
    lead = _lead_with_history(rows, admin)
    Lead.objects.filter(pk=lead.pk).update(status=LeadStatus.WON)
    client = login(admin)
    # session, user, actor, lead, latest decision (decider joined), timeline = 6 (an admin sees
    # every partner: no scope query)
    with django_assert_num_queries(6):
        response = client.get(detail(lead))
    assert len(response.context["why"]["candidates"]) == rows
