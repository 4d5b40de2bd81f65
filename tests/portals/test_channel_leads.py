"""Channel portal: the lead list (scope, filters, keyset paging, the status chart, query budget),
capturing a lead by form, and the lead settings."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.urls import reverse

from leads.choices import LeadSource, LeadStatus
from leads.models import Lead, LeadSettings
from partners.choices import Role
from tests.factories import CategoryFactory, LeadFactory, PartnerFactory, channel_user, rule

pytestmark = pytest.mark.django_db

LIST = "/channel/leads/"
NEW = "/channel/leads/new/"
SETTINGS = "/channel/settings/leads/"


def url(**params: str) -> str:
    return LIST + ("?" + urlencode(params) if params else "")


def companies(response) -> list[str]:
    return [lead.company for lead in response.context["page"].items]


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def leads(world):
    """A lead of each partner and one in the channel's queue, created oldest first."""
    return {
        "a": LeadFactory(company="Alpha Prospect", partner=world.a, status=LeadStatus.DISPATCHED),
        "b": LeadFactory(
            company="Beta Prospect", partner=world.b, status=LeadStatus.ACCEPTED, source=LeadSource.API
        ),
        "c": LeadFactory(company="Gamma Prospect", partner=world.c, status=LeadStatus.WON),
        "queue": LeadFactory(
            company="Queued Prospect", status=LeadStatus.UNROUTABLE, email="jo@queued.example"
        ),
    }


# --- List: scope and roles ------------------------------------------------------------------------


def test_admin_sees_every_lead_newest_first_with_the_actions(world, leads, login):
    response = login(world.admin).get(LIST)
    assert response.status_code == 200
    assert companies(response) == ["Queued Prospect", "Gamma Prospect", "Beta Prospect", "Alpha Prospect"]
    body = response.content.decode()
    assert "<title>Leads · OpenPCM</title>" in body
    assert f'href="{NEW}"' in body
    assert 'href="/channel/leads/import/"' in body
    assert f'href="{SETTINGS}"' in body


def test_channel_manager_sees_their_partners_and_the_queue_but_not_settings(world, leads, login):
    response = login(world.cm_a).get(LIST)
    assert companies(response) == ["Queued Prospect", "Beta Prospect", "Alpha Prospect"]
    body = response.content.decode()
    assert "Gamma Prospect" not in body
    assert f'href="{SETTINGS}"' not in body


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pm_c"])
def test_partner_users_get_403(world, login, persona):
    assert login(getattr(world, persona)).get(LIST).status_code == 403


def test_no_total_count_is_shown_without_a_partner_filter(world, leads, login):
    response = login(world.admin).get(url())
    assert response.context["partner_total"] is None
    assert "Newest first." in response.content.decode()


# --- Filters --------------------------------------------------------------------------------------


def test_filters_by_status_partner_source_and_search(world, leads, login):
    client = login(world.admin)
    assert companies(client.get(url(status="won"))) == ["Gamma Prospect"]
    assert companies(client.get(url(source="api"))) == ["Beta Prospect"]
    assert companies(client.get(url(q="queued.example"))) == ["Queued Prospect"]
    assert companies(client.get(url(q="alpha"))) == ["Alpha Prospect"]
    by_partner = client.get(url(partner=str(world.b.pk)))
    assert companies(by_partner) == ["Beta Prospect"]
    assert by_partner.context["partner_total"] == 1
    assert "1 lead of Beta Resale" in by_partner.content.decode()
    assert f'<option value="{world.b.pk}" selected>Beta Resale</option>' in by_partner.content.decode()


def test_partner_filter_counts_only_that_partners_matching_leads(world, leads, login):
    LeadFactory(company="Alpha Second", partner=world.a, status=LeadStatus.LOST)
    response = login(world.admin).get(url(partner=str(world.a.pk)))
    assert response.context["partner_total"] == 2
    assert "2 leads of Alpha Distribution" in response.content.decode()
    lost = login(world.admin).get(url(partner=str(world.a.pk), status="lost"))
    assert companies(lost) == ["Alpha Second"]
    assert "1 lead of Alpha Distribution matches these filters" in lost.content.decode()


def test_partner_filter_outside_the_scope_is_ignored_with_a_message(world, leads, login):
    response = login(world.cm_a).get(url(partner=str(world.c.pk)))
    assert response.status_code == 200
    assert "Gamma Prospect" not in companies(response)
    assert any("not one of yours" in m for m in messages_of(response))


def test_partner_picker_lists_only_visible_partners(world, leads, login):
    body = login(world.cm_a).get(LIST).content.decode()
    assert f'<option value="{world.a.pk}">Alpha Distribution</option>' in body
    assert f'<option value="{world.b.pk}">Beta Resale</option>' in body
    assert "Gamma Services" not in body


@pytest.mark.parametrize(
    "params",
    [{"status": "bogus"}, {"source": "fax"}, {"partner": "abc"}, {"partner": "99999999999999999999999"}],
)
def test_unknown_filter_values_are_reported_and_ignored(world, leads, login, params):
    response = login(world.admin).get(url(**params))
    assert response.status_code == 200
    assert len(companies(response)) == 4
    assert any("not understood" in m for m in messages_of(response))


def test_filters_stay_in_the_paging_links(world, login, settings):
    settings.PAGE_SIZE = 1
    for n in range(2):
        LeadFactory(company=f"Dispatched {n}", partner=world.a, status=LeadStatus.DISPATCHED)
    response = login(world.admin).get(url(status="dispatched"))
    assert response.context["querystring"] == "status=dispatched"
    assert f'href="?status=dispatched&amp;after={response.context["page"].next_cursor}"' in (
        response.content.decode()
    )


def test_keyset_paging_forward_and_back(world, login, settings):
    settings.PAGE_SIZE = 2
    for n in range(5):
        LeadFactory(company=f"Lead {n}")
    client = login(world.admin)
    first = client.get(url())
    assert companies(first) == ["Lead 4", "Lead 3"]
    second = client.get(url(after=first.context["page"].next_cursor))
    assert companies(second) == ["Lead 2", "Lead 1"]
    third = client.get(url(after=second.context["page"].next_cursor))
    assert companies(third) == ["Lead 0"]
    assert not third.context["page"].has_next
    back = client.get(url(before=third.context["page"].prev_cursor))
    assert companies(back) == ["Lead 2", "Lead 1"]


def test_a_bad_cursor_gives_the_first_page_and_a_message(world, leads, login):
    response = login(world.admin).get(url(after="garbage"))
    assert response.status_code == 200
    assert len(companies(response)) == 4
    assert any("no longer valid" in m for m in messages_of(response))


def test_empty_states(world, login):
    client = login(world.admin)
    assert "There are no leads yet." in client.get(LIST).content.decode()
    LeadFactory(company="Something")
    assert "No leads match these filters." in client.get(url(q="nothing-like-it")).content.decode()


# --- Status chart ---------------------------------------------------------------------------------


def test_status_chart_and_table_show_the_same_figures(world, leads, login):
    response = login(world.cm_a).get(LIST)
    body = response.content.decode()
    assert 'data-chart="lead-status-chart-data"' in body
    data = json.loads(
        body.split('<script id="lead-status-chart-data" type="application/json">')[1].split("<")[0]
    )
    assert data["labels"] == [s.label for s in LeadStatus]
    counts = dict(zip(data["labels"], data["values"], strict=True))
    # cm_a sees A's dispatched, B's accepted and the unroutable queue lead, not C's won one.
    assert counts == {
        "New": 0, "Dispatched": 1, "Accepted": 1, "Qualified": 0, "Won": 0, "Lost": 0, "Unroutable": 1,
    }  # fmt: skip
    rows = {row["label"]: row["count"] for row in response.context["by_status"]}
    assert rows == counts
    assert "js/charts.js" in body and "vendor/chart.umd.min.js" in body


def test_no_chart_without_leads(world, login):
    body = login(world.admin).get(LIST).content.decode()
    assert "data-chart" not in body and "charts.js" not in body


# --- Query budget ---------------------------------------------------------------------------------


def _leads_of_managed_partners(count: int, manager) -> None:
    """`count` leads spread over partners the manager owns, each partner in its own tier, each lead
    assigned and categorised, so that a missing select_related shows up as extra queries."""
    from tests.factories import UserFactory

    parent = PartnerFactory(name="Distributor")
    parent.managers.add(manager)
    for n in range(count):
        partner = parent if n == 0 else PartnerFactory(name=f"Reseller {n:02d}", parent=parent)
        LeadFactory(
            partner=partner,
            status=LeadStatus.DISPATCHED,
            assigned_to=UserFactory(),
            category=CategoryFactory(),
        )


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("role", [Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER])
def test_list_queries_do_not_grow_with_rows(db, login, django_assert_num_queries, count, role):
    user = channel_user(role)
    _leads_of_managed_partners(count, user)
    client = login(user)
    cache.clear()
    # session, user, actor, partner picker, status counts (cache miss), page rows (partner,
    # assignee and category joined) = 6
    with django_assert_num_queries(6):
        response = client.get(url(status="dispatched"))
    assert len(response.context["page"].items) == count
    # The status counts come from the cache for a minute: 5.
    with django_assert_num_queries(5):
        client.get(url())


@pytest.mark.parametrize("count", [1, 20])
def test_list_with_a_partner_filter_adds_its_count(db, login, django_assert_num_queries, count):
    manager = channel_user(Role.CHANNEL_MANAGER)
    _leads_of_managed_partners(1, manager)
    parent = manager.managed_partners.get()
    for _ in range(count - 1):
        LeadFactory(partner=parent, status=LeadStatus.DISPATCHED, category=CategoryFactory())
    client = login(manager)
    cache.clear()
    # the six above and the partner's count = 7, within the budget of 8
    with django_assert_num_queries(7):
        response = client.get(url(partner=str(parent.pk)))
    assert response.context["partner_total"] == count


def test_list_queries_stay_within_budget_when_the_filtered_partner_is_beyond_the_picker(
    world, login, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr("portals.channel.leads.PARTNER_PICK_LIMIT", 1)
    LeadFactory(company="Of Gamma", partner=world.c, status=LeadStatus.DISPATCHED)
    client = login(world.admin)
    cache.clear()
    # the seven above and the partner's name (it is not among the picker's rows) = 8
    with django_assert_num_queries(8):
        response = client.get(url(partner=str(world.c.pk)))
    assert companies(response) == ["Of Gamma"]
    assert f'<option value="{world.c.pk}" selected>Gamma Services</option>' in response.content.decode()


# --- Create ---------------------------------------------------------------------------------------


def lead_form(**overrides) -> dict[str, str]:
    data = {
        "company": "Fresh Kitchens GmbH",
        "contact_name": "Jo Buyer",
        "email": "jo@fresh-kitchens.example",
        "phone": "+49 89 1234",
        "country": "DE",
        "region": "Bavaria",
        "postal_code": "80331",
        "city": "Munich",
        "latitude": "48.137154",
        "longitude": "11.576124",
        "category": "",
        "products_of_interest": "Ovens",
        "estimated_value": "25000.50",
        "currency": "eur",
        "campaign_code": "SPRING26",
    }
    data.update(overrides)
    return data


def test_form_page_renders_for_channel_staff(world, login):
    response = login(world.cm_a).get(NEW)
    assert response.status_code == 200
    body = response.content.decode()
    assert "<title>New lead · OpenPCM</title>" in body
    assert "routed to a partner by the dispatch rules" in body


def test_create_routes_the_lead_and_says_where_it_went(world, login):
    rule("DACH", countries=["DE"], partners=[world.a])
    category = CategoryFactory(name="Ovens")
    response = login(world.cm_a).post(NEW, lead_form(category=str(category.pk)), follow=True)
    lead = Lead.objects.get()
    assert response.redirect_chain[-1][0] == reverse("channel:lead_detail", args=[lead.pk])
    assert lead.status == LeadStatus.DISPATCHED and lead.partner == world.a
    assert lead.source == LeadSource.CHANNEL and lead.created_by == world.cm_a
    assert lead.currency == "EUR" and lead.estimated_value == Decimal("25000.50")
    assert lead.latitude == Decimal("48.137154") and lead.category == category
    assert lead.campaign_code == "SPRING26" and lead.region == "Bavaria"
    [message] = messages_of(response)
    assert "Dispatched to Alpha Distribution" in message and "DACH" in message


def test_create_without_a_matching_rule_is_unroutable_and_says_why(world, login):
    response = login(world.admin).post(NEW, lead_form(), follow=True)
    lead = Lead.objects.get()
    assert lead.status == LeadStatus.UNROUTABLE
    [message] = messages_of(response)
    assert message.startswith("Lead Fresh Kitchens GmbH created. Unroutable: No rule found a partner")


def test_create_with_automatic_routing_off_leaves_the_lead_new(world, login):
    LeadSettings.objects.update_or_create(pk=1, defaults={"auto_route": False})
    rule("DACH", countries=["DE"], partners=[world.a])
    client = login(world.cm_a)
    assert "Automatic routing is off" in client.get(NEW).content.decode()
    response = client.post(NEW, lead_form(), follow=True)
    lead = Lead.objects.get()
    assert lead.status == LeadStatus.NEW and lead.partner is None
    assert "waits in the channel's queue" in messages_of(response)[0]


def test_a_lead_routed_beyond_the_managers_partners_sends_them_to_the_list(world, login):
    rule("Everything to A", partners=[world.a])
    response = login(world.cm_c).post(NEW, lead_form(), follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert Lead.objects.get().partner == world.a
    assert any("Dispatched to Alpha Distribution" in m for m in messages_of(response))
    assert any("leaves your list" in m for m in messages_of(response))


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"company": ""}, "company"),
        ({"country": "XX"}, "country"),
        ({"estimated_value": "-1"}, "estimated_value"),
        ({"estimated_value": "lots"}, "estimated_value"),
        ({"email": "not-an-email"}, "email"),
        ({"longitude": ""}, "longitude"),
        ({"latitude": "91"}, "latitude"),
        ({"currency": "E1"}, "currency"),
        ({"category": "999999"}, "category"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_created(world, login, overrides, field):
    response = login(world.admin).post(NEW, lead_form(**overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Lead.objects.exists()


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_cannot_create_leads_here(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, lead_form()).status_code == 403
    assert not Lead.objects.exists()


# --- Settings -------------------------------------------------------------------------------------


def test_admin_turns_automatic_routing_off_and_on(world, login):
    client = login(world.admin)
    page = client.get(SETTINGS)
    assert page.status_code == 200
    assert "<title>Lead settings · OpenPCM</title>" in page.content.decode()
    assert re.search(r'<input type="checkbox" name="auto_route"[^>]* checked>', page.content.decode())
    response = client.post(SETTINGS, {}, follow=True)
    assert LeadSettings.current().auto_route is False
    assert "Automatic routing is off" in messages_of(response)[0]
    response = client.post(SETTINGS, {"auto_route": "on"}, follow=True)
    assert LeadSettings.current().auto_route is True
    assert "routed automatically" in messages_of(response)[0]


@pytest.mark.parametrize("persona", ["cm_a", "pm_a"])
def test_others_may_not_change_the_lead_settings(world, login, persona):
    client = login(getattr(world, persona))
    assert client.get(SETTINGS).status_code == 403
    assert client.post(SETTINGS, {}).status_code == 403
    assert LeadSettings.current().auto_route is True
