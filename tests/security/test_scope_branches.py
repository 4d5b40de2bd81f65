"""A partner user's scope read page by page as a UNION ALL of its branches (own partner, sub-partners,
explicit shares; partners.access.BranchedPages) gives exactly the rows of DESIGN.md's rules, in order,
with no duplicate and nothing missing: checked against the rules written out in Python, for every
partner persona, several orders, filters and page windows, through the selectors, the inbox's keyset
pages and the API's cursor walk."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import assign_perm

from core.paging import keyset_page
from core.services import api_token_create
from customers.models import Customer
from customers.selectors import visible_customers
from leads import selectors
from leads.choices import LeadStatus
from leads.models import Lead
from partners import access
from tests.factories import LeadFactory, PartnerFactory, partner_user

pytestmark = pytest.mark.django_db

PARTNER_PERSONAS = ["pm_a", "pe_a", "pm_b", "pm_c", "pe_c", "colleague_a"]
STATUSES = [LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.QUALIFIED, LeadStatus.WON, LeadStatus.LOST]


@pytest.fixture
def crowd(world):
    """Leads of a (distributor), b and b2 (its resellers), c (independent) and the channel queue;
    assigned to pe_a, to a colleague, or to nobody; some shared with a user or a group, for view or
    change; a few with the same created_at (ties broken by id)."""
    b2 = PartnerFactory(name="Beta Two", slug="beta-two", parent=world.a)
    colleague = partner_user(world.a, email="colleague@alpha.example")
    world.colleague_a = colleague
    co_sell = Group.objects.create(name="co-sell")
    world.pe_c.groups.add(co_sell)
    holders = [world.a, world.a, world.a, world.b, b2, world.c, None]
    assignees = {world.a.pk: [None, world.pe_a, colleague], world.c.pk: [None, world.pe_c]}
    start = timezone.now() - timedelta(days=30)
    leads = []
    for n in range(70):
        partner = holders[n % len(holders)]
        status = LeadStatus.NEW if partner is None else STATUSES[n % len(STATUSES)]
        choices = assignees.get(partner.pk, [None]) if partner else [None]
        lead = LeadFactory(
            company=f"Crowd {n:02d}",
            partner=partner,
            status=status,
            assigned_to=choices[n % len(choices)],
            accept_by=start + timedelta(hours=n % 9) if status == LeadStatus.DISPATCHED else None,
        )
        leads.append(lead)
    # created_at is auto_now_add: spread it out afterwards, with some ties.
    for n, lead in enumerate(leads):
        Lead.objects.filter(pk=lead.pk).update(created_at=start + timedelta(hours=n // 3 * 2 + n % 2))
    shares = {
        "pe_a": [leads[5], leads[12], leads[2]],  # c's, the queue's, and one a's lead for a colleague
        "pm_b": [leads[0]],  # the distributor's lead, to its reseller
        "pm_c": [leads[3]],
        # Shares of leads the rules already show (own, a reseller's, an unassigned one): once only.
        "pm_a": [leads[0], leads[3]],
        "pe_c": [leads[5]],
    }
    for persona, shared in shares.items():
        for lead in shared:
            assign_perm("leads.view_lead", getattr(world, persona), lead)
    assign_perm("leads.change_lead", world.pm_a, leads[19])  # c's, as a change share
    assign_perm("leads.view_lead", co_sell, leads[7])  # a's, to pe_c's group
    return leads


def sees(world, persona: str, lead: Lead) -> bool:
    """DESIGN.md's rules for partner users, written out."""
    user = getattr(world, persona)
    actor = access.actor_of(user)
    if user.has_perm("leads.view_lead", lead) or user.has_perm("leads.change_lead", lead):
        return True
    if lead.partner_id is None:
        return False
    if persona.startswith("pm_"):
        return lead.partner_id == actor.partner_id or lead.partner.parent_id == actor.partner_id
    return lead.partner_id == actor.partner_id and lead.assigned_to_id in (None, user.pk)


def expected(world, persona, leads, keep=lambda lead: True):
    rows = Lead.objects.filter(pk__in=[x.pk for x in leads]).select_related("partner")
    return [lead for lead in rows if sees(world, persona, lead) and keep(lead)]


def in_order(leads, order: str):
    """`leads` as `ORDER BY field, id` (both descending for "-field"); NULLs come last on
    PostgreSQL and first on SQLite, as each sorts them ascending."""
    field = order.lstrip("-")
    nulls_last = connection.vendor == "postgresql"

    def key(lead):
        value = getattr(lead, field)
        return ((value is None) == nulls_last, value if value is not None else 0, lead.pk)

    return sorted(leads, key=key, reverse=order.startswith("-"))


def read_page(queryset):
    """The rows and whether the page was read as a UNION of branches."""
    with CaptureQueriesContext(connection) as queries:
        rows = list(queryset)
    return rows, any("UNION ALL" in q["sql"] for q in queries.captured_queries)


@pytest.mark.parametrize("persona", PARTNER_PERSONAS)
@pytest.mark.parametrize("order", ["-created_at", "created_at", "accept_by", "company"])
def test_sorted_pages_are_the_rules_rows_in_order(world, crowd, persona, order):
    user = getattr(world, persona)
    want = in_order(expected(world, persona, crowd), order)
    assert want, "the crowd gives every persona something to see"
    ordering = [order, "-pk" if order.startswith("-") else "pk"]
    for window in [slice(0, 5), slice(5, 12), slice(0, 200), slice(len(want) - 2, len(want) + 3)]:
        rows, branched = read_page(selectors.visible_leads(user).order_by(*ordering)[window])
        assert [lead.pk for lead in rows] == [lead.pk for lead in want[window]], (persona, order, window)
        # PostgreSQL reads by branches; SQLite cannot order the parts of a UNION and runs the plain query.
        assert branched == connection.features.supports_slicing_ordering_in_compound


@pytest.mark.parametrize("persona", PARTNER_PERSONAS)
def test_inbox_filters_and_keyset_pages(world, crowd, persona):
    user = getattr(world, persona)
    awaiting = selectors.AWAITING_ACCEPTANCE
    for label, qs, keep, order in [
        ("waiting", selectors.partner_inbox(user).filter(awaiting), lambda x: x.accept_by, "accept_by"),
        (
            "rest",
            selectors.partner_inbox(user).exclude(awaiting),
            lambda x: not (x.status == LeadStatus.DISPATCHED and x.accept_by),
            "-created_at",
        ),
        (
            "won",
            selectors.partner_inbox(user, status=LeadStatus.WON),
            lambda x: x.status == "won",
            "-created_at",
        ),
        (
            "search",
            selectors.partner_inbox(user, q="crowd 1"),
            lambda x: "Crowd 1" in x.company,
            "-created_at",
        ),
        (
            "mine",
            selectors.partner_inbox(user, assigned="me"),
            lambda x: x.assigned_to_id == user.pk,
            "-created_at",
        ),
    ]:
        want = in_order(expected(world, persona, crowd, keep), order)
        seen, after = [], None
        for _ in range(30):
            page = keyset_page(qs, order=order, after=after, size=4)
            seen += [lead.pk for lead in page.items]
            if not page.has_next:
                break
            after = page.next_cursor
        assert seen == [lead.pk for lead in want], (persona, label)


@pytest.mark.parametrize("persona", ["pm_a", "pe_a", "pe_c"])
def test_the_api_cursor_walk_lists_each_visible_lead_once(client, world, crowd, persona):
    _, raw = api_token_create(user=getattr(world, persona), name="walk")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    seen, cursor = [], ""
    for _ in range(30):
        url = "/api/v1/leads?limit=3" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url, **headers).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    want = in_order(expected(world, persona, crowd), "-created_at")
    assert seen == [lead.pk for lead in want]


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_inbox_page_shows_the_visible_leads(client, world, crowd, persona, settings):
    settings.PAGE_SIZE = 200
    client.force_login(getattr(world, persona))
    body = client.get(reverse("partner:lead_inbox")).content.decode()
    for lead in Lead.objects.filter(pk__in=[x.pk for x in crowd]).select_related("partner"):
        assert (f">{lead.company}<" in body) == sees(world, persona, lead), (persona, lead.company)


def test_reads_other_than_a_sorted_page_run_the_plain_query(world, crowd):
    user = world.pm_a
    want = expected(world, "pm_a", crowd)
    qs = selectors.visible_leads(user)
    assert qs.count() == len(want)
    assert set(qs.values_list("pk", flat=True)) == {lead.pk for lead in want}
    assert qs.order_by("-created_at").values_list("pk", flat=True)[:3].count() == 3
    assert qs.get(pk=want[0].pk) == want[0]
    assert qs.filter(pk=crowd[5].pk).exists() is False  # c's lead, not shared with pm_a
    assert qs.filter(pk=crowd[19].pk).exists() is True  # c's lead, change-shared with pm_a
    first = qs.order_by("-created_at", "-pk").first()
    assert first == max(want, key=lambda x: (x.created_at, x.pk))


def test_combining_with_another_queryset_keeps_the_other_rows(world, crowd):
    """`scoped | other` is no longer the scope: its pages must come from the plain query."""
    outside = crowd[5]  # c's lead, which pm_a does not see
    combined = selectors.visible_leads(world.pm_a) | Lead.objects.filter(pk=outside.pk)
    rows = list(combined.order_by("-created_at", "-pk")[:200])
    assert outside in rows
    assert len(rows) == len(expected(world, "pm_a", crowd)) + 1
    both = selectors.visible_leads(world.pm_a) & Lead.objects.filter(pk=outside.pk)
    assert list(both.order_by("-created_at")[:5]) == []


def test_a_page_pickles_as_a_plain_queryset(world, crowd):
    page = selectors.visible_leads(world.pm_a).order_by("-created_at", "-pk")[:5]
    restored = pickle.loads(pickle.dumps(page))
    assert [lead.pk for lead in restored] == [lead.pk for lead in page]
    assert not isinstance(restored, access.BranchedPages)


def test_prefetch_runs_once_on_the_page_rows(world, crowd, django_assert_num_queries):
    page = selectors.visible_leads(world.pm_a).prefetch_related("events").order_by("-created_at")[:5]
    with django_assert_num_queries(2):  # the page, its events
        rows = list(page)
    assert len(rows) == 5


@pytest.mark.parametrize("persona", ["pm_a", "pm_b", "pe_a"])
def test_other_record_types_follow_the_same_rules(world, persona):
    """Customers have no shares: own partner and, for a manager, the resellers'."""
    made = {
        key: Customer.objects.create(partner=getattr(world, key), company=f"Cust {key}", normalised_name=key)
        for key in ("a", "b", "c")
    }
    visible = {"pm_a": {"a", "b"}, "pm_b": {"b"}, "pe_a": {"a"}}[persona]
    rows = list(visible_customers(getattr(world, persona)).order_by("-created_at", "-pk")[:10])
    assert {c.pk for c in rows} == {made[k].pk for k in visible}
