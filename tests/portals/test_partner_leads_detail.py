"""The partner's lead page and its actions: accept, decline (re-routed to another partner), assign,
qualify, won, lost; "Why you?" without the other candidates; who may act (403) and who may not even
see (404); bad input changes nothing."""

from decimal import Decimal

import pytest
from django.urls import reverse
from guardian.shortcuts import assign_perm

from leads import selectors, services
from leads.choices import LeadStatus
from leads.models import Lead, LeadEvent
from tests.factories import CategoryFactory, partner_user, rule
from tests.portals.test_partner_leads import forms_of, messages_of, routed_to, waiting_lead, worked_lead

pytestmark = pytest.mark.django_db

ACTIONS = ["lead_accept", "lead_decline", "lead_assign", "lead_qualify", "lead_won", "lead_lost"]
# A valid body for each action, so that a refusal is about who acts, not about the input.
VALID = {
    "lead_accept": {},
    "lead_decline": {"reason": "Too far away"},
    "lead_assign": {"user": ""},
    "lead_qualify": {"need": "Two pumps"},
    "lead_won": {"value": "100"},
    "lead_lost": {"reason": "Went elsewhere"},
}


def detail(lead):
    return reverse("partner:lead_detail", args=[lead.pk])


def action(name, lead):
    return reverse(f"partner:{name}", args=[lead.pk])


def snapshot(lead):
    """What an action could change: the lead's row and its timeline."""
    row = Lead.objects.filter(pk=lead.pk).values().get()
    row.pop("updated_at")
    return row, list(LeadEvent.objects.filter(lead=lead).values_list("pk", flat=True))


# --- The page ---------------------------------------------------------------------------------------


def test_lead_page_shows_the_lead_why_you_and_the_timeline(world, login):
    rule("DACH pool", priority=1, partners=[world.a, world.c])
    lead = services.lead_create(
        actor=world.cm_a,
        fields={
            "company": "Pumpen Huber GmbH",
            "country": "DE",
            "city": "Munich",
            "contact_name": "Hanna Huber",
        },
    )
    assert lead.partner == world.a
    response = login(world.pm_a).get(detail(lead))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Pumpen Huber GmbH · Leads · OpenPCM</title>" in html
    assert "Hanna Huber" in html
    assert "Why you?" in html
    reason = selectors.latest_decision(lead).reason
    assert response.context["why"] == reason
    assert "Alpha Distribution" in reason and "among 2 candidates" in reason
    # The other candidates are the brand owner's business.
    assert "Gamma" not in html and "pe@gamma" not in html
    assert [e.kind for e in response.context["timeline"]] == ["created", "dispatched"]


def test_previous_partners_turn_is_not_on_the_new_partners_page(world, login):
    rule("Alpha first", priority=1, partners=[world.a])
    rule("Then Gamma", priority=2, partners=[world.c])
    lead = services.lead_create(actor=world.cm_a, fields={"company": "Passed On AG", "country": "DE"})
    services.lead_decline(lead=lead, actor=world.pm_a, reason="Our warehouse is full")
    response = login(world.pm_c).get(detail(lead))
    html = response.content.decode()
    assert "Alpha" not in html
    assert "warehouse" not in html
    assert "Why you?" in html and "Gamma Services" in response.context["why"]


def test_manager_sees_every_form_the_status_allows(world, login):
    client = login(world.pm_a)
    dispatched = waiting_lead(world.a)
    assert set(client.get(detail(dispatched)).context["forms"]) == {"accept", "decline", "assign"}
    accepted = worked_lead(world.a)
    assert set(client.get(detail(accepted)).context["forms"]) == {"qualify", "won", "lost", "assign"}
    qualified = worked_lead(world.a, status=LeadStatus.QUALIFIED)
    assert set(client.get(detail(qualified)).context["forms"]) == {"won", "lost", "assign"}
    won = worked_lead(world.a, status=LeadStatus.WON, won_value=Decimal("5"))
    response = client.get(detail(won))
    assert response.context["forms"] == {}
    main = response.content.decode().split('id="main"', 1)[1]
    # A won lead is done; what is left is turning it into an order (issue 6).
    assert main.count("<form") == 1
    assert f'action="{reverse("partner:lead_convert", args=[won.pk])}"' in main


def test_employee_gets_no_assign_form(world, login):
    lead = waiting_lead(world.a)
    assert set(login(world.pe_a).get(detail(lead)).context["forms"]) == {"accept", "decline"}


def test_assign_offers_the_partners_active_people_and_nobody(world, login):
    gone = partner_user(world.a, email="gone@alpha.example")
    gone.is_active = False
    gone.save()
    lead = waiting_lead(world.a)
    form = login(world.pm_a).get(detail(lead)).context["forms"]["assign"]
    choices = [label for _, label in form.fields["user"].choices]
    assert choices[0] == "Nobody (unassigned)"
    assert any("pe@alpha.example" in c for c in choices)
    assert any("pm@alpha.example" in c for c in choices)
    assert not any("gone@alpha.example" in c or "beta" in c for c in choices)


# --- Actions ----------------------------------------------------------------------------------------


def test_accept_from_the_lead_page(world, login):
    lead = routed_to(world.a, company="Accept Here")
    client = login(world.pm_a)
    (form,) = forms_of(client.get(detail(lead)).content.decode(), action("lead_accept", lead))
    response = client.post(
        form["action"], {f["name"]: f.get("value", "") for f in form["fields"]}, follow=True
    )
    assert response.redirect_chain[-1][0] == detail(lead)
    assert "You accepted the lead Accept Here. Qualify it next." in messages_of(response)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED and lead.accept_by is None


def test_decline_reroutes_the_lead_to_another_partner(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    rule("Alpha first", priority=1, partners=[world.a])
    rule("Then Gamma", priority=2, partners=[world.c])
    lead = services.lead_create(actor=world.cm_a, fields={"company": "Reroute GmbH", "country": "DE"})
    assert lead.partner == world.a
    client = login(world.pm_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(action("lead_decline", lead), {"reason": "Outside our region"})
    assert response.status_code == 302 and response["Location"] == reverse("partner:lead_inbox")
    lead.refresh_from_db()
    assert lead.partner == world.c and lead.status == LeadStatus.DISPATCHED
    assert lead.declines.get().partner == world.a
    assert [m.to for m in mailoutbox] == [["pm@gamma.example"]]
    inbox = client.get(response["Location"])
    assert "You declined the lead Reroute GmbH; it goes to another partner." in messages_of(inbox)
    assert client.get(detail(lead)).status_code == 404  # Alpha no longer holds it
    assert login(world.pm_c).get(detail(lead)).status_code == 200


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_decline_without_a_good_reason_changes_nothing(world, login, reason):
    lead = routed_to(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_decline", lead), {"reason": reason})
    assert response.status_code == 400
    assert response.context["forms"]["decline"].errors["reason"]
    assert snapshot(lead) == before


def test_decline_of_an_accepted_lead_is_refused_with_a_message(world, login):
    lead = worked_lead(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_decline", lead), {"reason": "Changed our mind"})
    assert response.status_code == 400
    assert "Only a dispatched lead can be declined" in response.content.decode()
    assert snapshot(lead) == before


def test_manager_assigns_a_lead_to_an_employee_who_is_emailed(
    world, login, mailoutbox, django_capture_on_commit_callbacks
):
    lead = worked_lead(world.a, company="Assign Me")
    with django_capture_on_commit_callbacks(execute=True):
        response = login(world.pm_a).post(action("lead_assign", lead), {"user": world.pe_a.pk}, follow=True)
    lead.refresh_from_db()
    assert lead.assigned_to == world.pe_a
    assert f"The lead Assign Me is assigned to {world.pe_a.display_name}." in messages_of(response)
    assert [m.to for m in mailoutbox] == [["pe@alpha.example"]]
    assert lead.events.last().message == "Assigned to pe@alpha.example"


def test_manager_takes_a_lead_back_to_nobody(world, login):
    lead = worked_lead(world.a, company="Back To Nobody", assigned_to=world.pe_a)
    response = login(world.pm_a).post(action("lead_assign", lead), {"user": ""}, follow=True)
    lead.refresh_from_db()
    assert lead.assigned_to is None
    assert "The lead Back To Nobody is now unassigned." in messages_of(response)


@pytest.mark.parametrize("who", ["pe_c", "pm_b", "nobody-id", "text"])
def test_assign_to_someone_outside_the_team_changes_nothing(world, login, who):
    lead = worked_lead(world.a)
    value = {"nobody-id": 999999, "text": "pe@alpha.example"}.get(who) or getattr(world, who).pk
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_assign", lead), {"user": value})
    assert response.status_code == 400
    assert response.context["forms"]["assign"].errors["user"]
    assert snapshot(lead) == before


def test_qualify_then_mark_won(world, login):
    lead = worked_lead(world.a, company="Pipeline AG", email="anna@pipeline.example")
    client = login(world.pm_a)
    response = client.post(
        action("lead_qualify", lead),
        {
            "budget": "EUR 50k",
            "authority": "CFO",
            "need": "Two pumps",
            "timeline": "Q3",
            "notes": "Met at fair",
        },
        follow=True,
    )
    assert "The lead Pipeline AG is qualified." in messages_of(response)
    lead.refresh_from_db()
    assert (lead.status, lead.budget, lead.authority, lead.need, lead.timeline, lead.qualification_notes) == (
        LeadStatus.QUALIFIED, "EUR 50k", "CFO", "Two pumps", "Q3", "Met at fair",
    )  # fmt: skip
    assert lead.customer.company == "Pipeline AG"
    html = response.content.decode()
    assert "Qualification" in html and "Met at fair" in html
    response = client.post(action("lead_won", lead), {"value": "48000.50"}, follow=True)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON and lead.won_value == Decimal("48000.50")
    assert "Well done: Pipeline AG is won (48000.50 EUR)." in messages_of(response)


def test_qualify_with_nothing_to_say_changes_nothing(world, login):
    lead = worked_lead(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_qualify", lead), {"notes": "Only a note"})
    assert response.status_code == 400
    assert "Fill in at least one of budget" in str(response.context["forms"]["qualify"].errors)
    assert snapshot(lead) == before


@pytest.mark.parametrize("value", ["", "-1", "abc", "1e400", "12345678901234567"])
def test_won_needs_a_sensible_value(world, login, value):
    lead = worked_lead(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_won", lead), {"value": value})
    assert response.status_code == 400
    assert response.context["forms"]["won"].errors["value"]
    assert snapshot(lead) == before


def test_mark_lost_with_a_reason(world, login):
    lead = worked_lead(world.a, status=LeadStatus.QUALIFIED, company="Gone Elsewhere")
    response = login(world.pe_a).post(
        action("lead_lost", lead), {"reason": "Bought from a competitor"}, follow=True
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.LOST and lead.lost_reason == "Bought from a competitor"
    assert "The lead Gone Elsewhere is marked lost." in messages_of(response)
    assert "Bought from a competitor" in response.content.decode()


def test_mark_lost_without_a_reason_changes_nothing(world, login):
    lead = worked_lead(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_lost", lead), {"reason": " "})
    assert response.status_code == 400
    assert snapshot(lead) == before


def test_a_move_the_workflow_refuses_is_a_message(world, login):
    lead = waiting_lead(world.a)
    before = snapshot(lead)
    response = login(world.pm_a).post(action("lead_won", lead), {"value": "10"}, follow=True)
    assert response.redirect_chain[-1][0] == detail(lead)
    assert "A lead cannot go from “Dispatched” to “Won”. Nothing was changed." in messages_of(response)
    assert snapshot(lead) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_need_post(world, login, name):
    lead = waiting_lead(world.a)
    assert login(world.pm_a).get(action(name, lead)).status_code == 405


# --- Who may act ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ACTIONS)
def test_employee_gets_404_on_a_colleagues_lead(world, login, name):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    lead = waiting_lead(world.a, assigned_to=colleague)
    before = snapshot(lead)
    client = login(world.pe_a)
    assert client.get(detail(lead)).status_code == 404
    assert client.post(action(name, lead), VALID[name]).status_code == 404
    assert snapshot(lead) == before


@pytest.mark.parametrize("name", ACTIONS)
def test_employee_who_may_read_a_colleagues_lead_cannot_act_on_it(world, login, name):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    make = waiting_lead if name in ("lead_accept", "lead_decline") else worked_lead
    lead = make(world.a, assigned_to=colleague)
    assign_perm("leads.view_lead", world.pe_a, lead)  # shared for reading: grants add sight, not rights
    before = snapshot(lead)
    client = login(world.pe_a)
    page = client.get(detail(lead))
    assert page.status_code == 200 and page.context["forms"] == {}
    assert "the person it is assigned to works it" in page.content.decode()
    assert client.post(action(name, lead), VALID[name]).status_code == 403
    assert snapshot(lead) == before


def test_employee_cannot_assign(world, login):
    lead = waiting_lead(world.a)
    before = snapshot(lead)
    assert login(world.pe_a).post(action("lead_assign", lead), {"user": world.pe_a.pk}).status_code == 403
    assert snapshot(lead) == before


def test_distributor_manager_reads_a_resellers_lead_but_cannot_act(world, login):
    lead = routed_to(world.b, company="Beta Prospect")
    client = login(world.pm_a)
    response = client.get(detail(lead))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This lead belongs to Beta Resale, one of your resellers." in html
    assert "Why Beta Resale?" in html
    assert response.context["forms"] == {}
    before = snapshot(lead)
    for name in ACTIONS:
        assert client.post(action(name, lead), VALID[name]).status_code == 403, name
    assert snapshot(lead) == before


@pytest.mark.parametrize("persona", ["pm_c", "pe_c", "pm_b"])
def test_another_partner_gets_404_on_alphas_lead(world, login, persona):
    lead = waiting_lead(world.a)
    before = snapshot(lead)
    client = login(getattr(world, persona))
    assert client.get(detail(lead)).status_code == 404
    for name in ACTIONS:
        assert client.post(action(name, lead), VALID[name]).status_code == 404, name
    assert snapshot(lead) == before


def test_channel_staff_get_403_on_the_partner_lead_page(world, login):
    lead = waiting_lead(world.a)
    assert login(world.cm_a).get(detail(lead)).status_code == 403
    assert login(world.cm_a).post(action("lead_accept", lead)).status_code == 403


# --- Query count ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_lead_page_query_count_does_not_grow(world, login, django_assert_num_queries, rows):
    lead = routed_to(world.a, category=CategoryFactory())
    services.lead_accept(lead=lead, actor=world.pm_a)
    for n in range(rows):
        person = partner_user(world.a)
        services.lead_assign_user(lead=lead, actor=world.pm_a, user=person if n % 2 else None)
    client = login(world.pm_a)
    # session, user, actor, the lead (partner, assignee, category, customer joined), the latest
    # decision, the timeline (actors joined), the partner's people for the assign form
    with django_assert_num_queries(7):
        response = client.get(detail(lead))
    assert len(response.context["timeline"]) == rows + 2  # dispatched, accepted, the assignments
