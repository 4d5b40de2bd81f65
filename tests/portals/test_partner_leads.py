"""The partner's lead inbox: new leads first with their deadline, one-click accept, filters, search,
keyset paging, the read-only view of a distributor's resellers' leads, and the home page panel."""

from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from leads import services
from leads.choices import LeadStatus
from tests.factories import CategoryFactory, LeadFactory, partner_user, rule

pytestmark = pytest.mark.django_db

INBOX = reverse("partner:lead_inbox")


# --- Helpers (the other test_partner_leads* modules import these) ---------------------------------


def waiting_lead(partner, *, hours=48, **fields):
    """A lead dispatched to `partner`, waiting for acceptance for `hours` more (negative: overdue)."""
    now = timezone.now()
    return LeadFactory(
        partner=partner,
        status=LeadStatus.DISPATCHED,
        dispatched_at=now,
        accept_by=now + timedelta(hours=hours),
        **fields,
    )


def worked_lead(partner, status=LeadStatus.ACCEPTED, **fields):
    return LeadFactory(partner=partner, status=status, accepted_at=timezone.now(), **fields)


def routed_to(partner, **fields):
    """A lead routed by a rule to `partner` (with its decision and timeline)."""
    rule(f"Only {partner.name}", priority=1, partners=[partner])
    return services.lead_route(lead=LeadFactory(**fields), actor=None)


class FormParser(HTMLParser):
    """The forms of a page: action, method, the fields they send and their submit buttons."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {
                "action": attrs.get("action"),
                "method": (attrs.get("method") or "get").lower(),
                "fields": [],
                "submits": [],
            }
            self.forms.append(self._form)
        elif self._form is not None:
            kind = attrs.get("type", "submit" if tag == "button" else "text")
            if tag == "button" or (tag == "input" and kind in ("submit", "image")):
                if kind == "submit" or tag == "input":
                    self._form["submits"].append(attrs)
            elif tag in ("input", "select", "textarea"):
                self._form["fields"].append({"tag": tag, "type": kind, **attrs})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def forms_of(html: str, action: str) -> list[dict]:
    parser = FormParser()
    parser.feed(html)
    return [form for form in parser.forms if form["action"] == action]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Order and deadline ---------------------------------------------------------------------------


def test_new_leads_come_first_by_deadline_then_the_rest_newest_first(world, login):
    older = worked_lead(world.a, company="Older Accepted")
    newer = worked_lead(world.a, status=LeadStatus.QUALIFIED, company="Newer Qualified")
    later = waiting_lead(world.a, hours=30, company="Due Later")
    sooner = waiting_lead(world.a, hours=5, company="Due Sooner")
    response = login(world.pm_a).get(INBOX)
    assert response.status_code == 200
    assert [row["lead"] for row in response.context["waiting_rows"]] == [sooner, later]
    assert [row["lead"] for row in response.context["rows"]] == [newer, older]
    html = response.content.decode()
    assert html.index("Due Sooner") < html.index("Due Later") < html.index("Newer Qualified")
    assert "accept within 5 h" in html
    assert "<title>Leads · OpenPCM</title>" in html


def test_overdue_lead_is_marked_overdue(world, login):
    waiting_lead(world.a, hours=-2, company="Late Lead")
    html = login(world.pm_a).get(INBOX).content.decode()
    assert "overdue by 2 h" in html
    assert "list-group-item-danger" in html
    assert ">Overdue<" in html


def test_deadline_under_an_hour_is_in_minutes(world, login):
    waiting_lead(world.a, hours=0.5)
    assert "accept within 30 min" in login(world.pm_a).get(INBOX).content.decode()


# --- One-click accept -----------------------------------------------------------------------------


def test_accept_button_is_a_single_form_with_one_submit(world, login):
    lead = waiting_lead(world.a, company="Click Once GmbH")
    html = login(world.pm_a).get(INBOX).content.decode()
    accept_forms = forms_of(html, reverse("partner:lead_accept", args=[lead.pk]))
    assert len(accept_forms) == 1
    form = accept_forms[0]
    assert form["method"] == "post"
    assert len(form["submits"]) == 1
    # Nothing to fill in: every field the form sends is hidden (the CSRF token and where to return).
    assert {f["type"] for f in form["fields"]} == {"hidden"}
    assert {f["name"] for f in form["fields"]} == {"csrfmiddlewaretoken", "next"}


def test_one_click_accept_from_the_inbox_returns_to_the_inbox_with_a_message(world, login):
    lead = waiting_lead(world.a, company="Click Once GmbH", email="jo@clickonce.example")
    client = login(world.pe_a)
    url = INBOX + "?" + urlencode({"q": "click"})
    html = client.get(url).content.decode()
    (form,) = forms_of(html, reverse("partner:lead_accept", args=[lead.pk]))
    sent = {f["name"]: f.get("value", "") for f in form["fields"]}
    response = client.post(form["action"], sent)
    assert response.status_code == 302
    assert response["Location"] == url
    lead.refresh_from_db()
    assert lead.status == LeadStatus.ACCEPTED
    assert lead.assigned_to == world.pe_a  # an employee who accepts an unassigned lead takes it
    assert lead.customer.company == "Click Once GmbH"
    page = client.get(response["Location"])
    assert "You accepted the lead Click Once GmbH. Qualify it next." in messages_of(page)
    assert page.context["waiting_rows"] == []
    assert [row["lead"] for row in page.context["rows"]] == [lead]


def test_a_second_tap_on_accept_changes_nothing_and_says_so(world, login):
    lead = waiting_lead(world.a, company="Double Tap")
    client = login(world.pm_a)
    client.post(reverse("partner:lead_accept", args=[lead.pk]), {"next": INBOX})
    events = lead.events.count()
    response = client.post(reverse("partner:lead_accept", args=[lead.pk]), {"next": INBOX}, follow=True)
    assert "The lead Double Tap is already accepted." in messages_of(response)
    assert lead.events.count() == events


@pytest.mark.parametrize(
    "target", ["https://evil.example/partner/leads/", "//evil.example/partner/leads/", "/partner/team/"]
)
def test_accept_returns_only_to_a_lead_page_of_this_site(world, login, target):
    lead = waiting_lead(world.a)
    response = login(world.pm_a).post(reverse("partner:lead_accept", args=[lead.pk]), {"next": target})
    assert response["Location"] == reverse("partner:lead_detail", args=[lead.pk])


def test_decline_link_goes_to_the_lead_pages_decline_form(world, login):
    lead = waiting_lead(world.a)
    html = login(world.pm_a).get(INBOX).content.decode()
    assert f'href="{reverse("partner:lead_detail", args=[lead.pk])}#decline"' in html


def test_accept_refused_by_the_workflow_is_a_message(world, login):
    lead = worked_lead(world.a, status=LeadStatus.WON)
    response = login(world.pm_a).post(reverse("partner:lead_accept", args=[lead.pk]), {"next": INBOX})
    assert response["Location"] == INBOX
    lead.refresh_from_db()
    assert lead.status == LeadStatus.WON
    page = login(world.pm_a).get(INBOX)
    assert any("cannot go from “Won” to “Accepted”" in m for m in messages_of(page))


def test_accept_needs_post(world, login):
    lead = waiting_lead(world.a)
    assert login(world.pm_a).get(reverse("partner:lead_accept", args=[lead.pk])).status_code == 405


# --- Who sees what --------------------------------------------------------------------------------


def test_employee_sees_leads_assigned_to_them_and_unassigned_ones(world, login):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    mine = waiting_lead(world.a, company="Mine", assigned_to=world.pe_a)
    free = waiting_lead(world.a, company="Unassigned")
    theirs = waiting_lead(world.a, company="Colleague's", assigned_to=colleague)
    response = login(world.pe_a).get(INBOX)
    shown = {row["lead"] for row in response.context["waiting_rows"]}
    assert shown == {mine, free}
    assert theirs not in shown
    assert "Me or nobody" in response.content.decode()


def test_distributor_manager_sees_resellers_leads_read_only(world, login):
    own = waiting_lead(world.a, company="Alpha's Own")
    resold = waiting_lead(world.b, company="Beta's Lead")
    response = login(world.pm_a).get(INBOX)
    rows = {row["lead"]: row for row in response.context["waiting_rows"]}
    assert rows[own]["can_work"] and rows[own]["other_partner"] is None
    assert not rows[resold]["can_work"] and rows[resold]["other_partner"] == world.b
    html = response.content.decode()
    assert "Beta Resale · read-only" in html
    assert forms_of(html, reverse("partner:lead_accept", args=[own.pk]))
    assert not forms_of(html, reverse("partner:lead_accept", args=[resold.pk]))
    assert f"{reverse('partner:lead_detail', args=[resold.pk])}#decline" not in html


def test_other_partners_leads_are_not_in_the_inbox(world, login):
    waiting_lead(world.a, company="Alpha Only")
    worked_lead(world.a, company="Alpha Accepted")
    for persona in ("pm_c", "pe_c", "pm_b"):
        response = login(getattr(world, persona)).get(INBOX)
        assert response.context["waiting_rows"] == [] and response.context["rows"] == []
        assert "Alpha Only" not in response.content.decode()


def test_channel_staff_get_403(world, login):
    assert login(world.cm_a).get(INBOX).status_code == 403
    assert login(world.admin).get(INBOX).status_code == 403


# --- Filters, search, paging ------------------------------------------------------------------------


def test_manager_filters_by_assignment_status_and_search(world, login):
    mine = worked_lead(world.a, company="Mine Accepted", assigned_to=world.pm_a)
    pe_lead = worked_lead(world.a, company="Employee Accepted", assigned_to=world.pe_a)
    free = worked_lead(world.a, status=LeadStatus.QUALIFIED, company="Free Qualified")
    new = waiting_lead(world.a, company="Fresh Waiting")
    client = login(world.pm_a)

    def shown(**params):
        response = client.get(INBOX, params)
        return {row["lead"] for row in response.context["waiting_rows"] + response.context["rows"]}

    assert shown() == {mine, pe_lead, free, new}
    assert shown(assigned="me") == {mine}
    assert shown(assigned="unassigned") == {free, new}
    assert shown(status="qualified") == {free}
    assert shown(status="dispatched") == {new}
    assert shown(q="employee") == {pe_lead}
    assert shown(q="buyer@", status="accepted", assigned="me") == {mine}


def test_a_status_other_than_dispatched_hides_the_waiting_section(world, login):
    waiting_lead(world.a)
    response = login(world.pm_a).get(INBOX, {"status": "won"})
    assert response.context["waiting"] is None
    assert "New leads waiting for acceptance" not in response.content.decode()
    assert "No leads match these filters." in response.content.decode()


def test_filter_values_not_understood_are_ignored_with_a_message(world, login):
    lead = waiting_lead(world.a)
    response = login(world.pm_a).get(INBOX, {"status": "bogus", "assigned": "everyone-else", "q": "x" * 300})
    assert response.status_code == 200
    assert [row["lead"] for row in response.context["waiting_rows"]] == [lead]
    (warning,) = messages_of(response)
    assert warning.startswith("Some filters were not understood and are ignored:")


def test_empty_inbox_says_where_leads_come_from(world, login):
    html = login(world.pm_c).get(INBOX).content.decode()
    assert "No new leads are waiting for you." in html
    assert "No leads yet." in html


def test_inbox_pages_both_sections_by_keyset(world, login, settings):
    settings.PAGE_SIZE = 3
    waiting = [waiting_lead(world.a, hours=10 + n) for n in range(5)]
    rest = [worked_lead(world.a) for _ in range(5)]
    client = login(world.pm_a)
    first = client.get(INBOX)
    assert [r["lead"] for r in first.context["waiting_rows"]] == waiting[:3]
    assert [r["lead"] for r in first.context["rows"]] == rest[::-1][:3]
    more_waiting = client.get(INBOX, {"waiting_after": first.context["waiting"].next_cursor})
    assert [r["lead"] for r in more_waiting.context["waiting_rows"]] == waiting[3:]
    more_rest = client.get(INBOX, {"after": first.context["page"].next_cursor})
    assert [r["lead"] for r in more_rest.context["rows"]] == rest[::-1][3:]
    # Paging the other leads leaves the new ones on the first page, with a way back.
    assert more_rest.context["waiting"] is None
    assert "Back to the first page and the new leads" in more_rest.content.decode()


def test_a_cursor_this_page_did_not_make_gives_the_first_page(world, login):
    lead = worked_lead(world.a)
    response = login(world.pm_a).get(INBOX, {"after": "garbage", "waiting_before": "eyJ4Ijox"})
    assert response.status_code == 200
    assert [row["lead"] for row in response.context["rows"]] == [lead]
    assert "That page link is no longer valid, so here is the first page." in messages_of(response)


@pytest.mark.parametrize("rows", [1, 20])
def test_inbox_query_count_does_not_grow_with_the_rows(world, login, django_assert_num_queries, rows):
    category = CategoryFactory()
    for n in range(rows):
        waiting_lead(world.a, hours=n + 1, category=category, assigned_to=world.pe_a if n % 2 else None)
        worked_lead(world.a, category=category, assigned_to=world.pm_a)
        waiting_lead(world.b, hours=n + 1)  # a reseller's lead, read-only for pm_a
    client = login(world.pm_a)
    # session, user, actor (role, partner), one page of waiting leads, one page of the other leads
    # (both with partner, assignee and category joined)
    with django_assert_num_queries(5):
        response = client.get(INBOX)
    assert len(response.context["waiting_rows"]) == min(2 * rows, 25)
    assert len(response.context["rows"]) == rows


# --- The home page's "New leads waiting" panel -----------------------------------------------------


def test_home_page_has_a_new_leads_panel_that_links_to_the_inbox(world, login):
    html = login(world.pe_a).get(reverse("partner:home")).content.decode()
    assert "New leads waiting" in html
    assert f'hx-get="{INBOX}?panel=waiting"' in html
    assert f'href="{INBOX}"' in html


def test_waiting_panel_counts_the_own_partners_leads_the_user_sees(world, login):
    colleague = partner_user(world.a, email="colleague@alpha.example")
    waiting_lead(world.a, hours=5)
    waiting_lead(world.a, hours=9, assigned_to=colleague)
    waiting_lead(world.b, hours=1)  # a reseller's: read-only, not waiting for pm_a
    worked_lead(world.a)
    manager = login(world.pm_a).get(INBOX, {"panel": "waiting"})
    assert manager.context["count"] == 2
    assert "2 new leads" in manager.content.decode()
    assert "accept within 5 h" in manager.content.decode()
    employee = login(world.pe_a).get(INBOX, {"panel": "waiting"})
    assert employee.context["count"] == 1
    assert (
        "No new leads are waiting for you."
        in login(world.pm_c).get(INBOX, {"panel": "waiting"}).content.decode()
    )


def test_waiting_panel_query_count(world, login, django_assert_num_queries):
    for n in range(5):
        waiting_lead(world.a, hours=n + 1)
    client = login(world.pm_a)
    # session, user, actor, one aggregate (count and soonest deadline)
    with django_assert_num_queries(4):
        client.get(INBOX, {"panel": "waiting"})
