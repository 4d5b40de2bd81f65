"""How PostgreSQL reads a partner's lead pages (the plans behind the partner inbox at 10M leads).

A partner user's scope is `own partner OR sub-partners OR shares`; as one `WHERE` that `OR` kept
PostgreSQL off the per-partner indexes, and the inbox walked every lead of the channel, newest first
(1.4 s at 10M leads). Its pages are now read branch by branch (partners.access.BranchedPages): the own
partner's branch walks `lead_partner_not_waiting` (the rest, newest first) or `lead_partner_awaiting`
(soonest deadline first), both from leads migration 0008, and stops after one page.

A tiny table is cheaper to scan and sort than to walk in order, so for the EXPLAIN sequential and
bitmap scans and sorts are switched off (PostgreSQL still sorts where no ordered path exists): what is
checked is that the ordered path exists, which the single `WHERE … OR …` did not have. At 1M and 10M
leads PostgreSQL takes these paths by itself."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from leads import selectors
from leads.choices import LeadStatus
from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def postgres(on_postgres):
    if not on_postgres:
        pytest.skip("plans and these indexes are PostgreSQL's (SQLite runs the plain query)")


@pytest.fixture
def inbox_leads(world):
    """Partner a holds many leads waiting for acceptance and some others (as the benchmark's
    distributor does), b and c a few."""
    soon = timezone.now() + timedelta(hours=5)
    made = [
        LeadFactory.build(partner=world.a, status=LeadStatus.DISPATCHED, accept_by=soon) for _ in range(300)
    ]
    made += [LeadFactory.build(partner=world.a, status=LeadStatus.ACCEPTED) for _ in range(30)]
    made += [
        LeadFactory.build(partner=p, status=LeadStatus.WON) for p in (world.b, world.c) for _ in range(10)
    ]
    Lead.objects.bulk_create(made)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")


def branch_plan(queryset) -> str:
    """EXPLAIN of the branches' part of reading `queryset` (a sliced, ordered page): the
    `UNION ALL` of one `ORDER BY … LIMIT` per branch that picks the page's ids."""
    page = queryset._branched_page()
    assert page is not None, "a sorted page of a partner user's scope is read by branches"
    union = page.query.where.children[-1].rhs
    sql, params = union.sql_with_params()
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def index_scans(plan: str) -> list[tuple[str, str]]:
    """(index, condition) of each index scan of the lead table in the plan."""
    return re.findall(
        r"Index (?:Only )?Scan(?: Backward)? using (\w+) on leads_lead\b[^\n]*\n\s+Index Cond: \((.*)\)", plan
    )


def walks_in_order(plan: str, index: str, partner_id: int) -> bool:
    """A branch that reads `index` for one partner in order and stops at the page's end (a Limit
    right above the index scan: no sort of the partner's leads)."""
    pattern = (
        rf"Limit [^\n]*\n\s+->  Index (?:Only )?Scan using {index} on leads_lead\b[^\n]*\n"
        rf"\s+Index Cond: \(partner_id = {partner_id}\)"
    )
    return re.search(pattern, plan) is not None


def test_inbox_rest_walks_the_partners_own_index(world, inbox_leads, postgres):
    qs = selectors.partner_inbox(world.pm_a).exclude(selectors.AWAITING_ACCEPTANCE)
    plan = branch_plan(qs.order_by("-created_at", "-pk")[:26])
    assert walks_in_order(plan, "lead_partner_not_waiting", world.a.pk), plan
    # The shares branch starts from the grants (the lead's primary key), not from the lead table.
    assert any(index == "leads_lead_pkey" for index, _ in index_scans(plan)), plan


def test_inbox_waiting_walks_the_awaiting_index(world, inbox_leads, postgres):
    qs = selectors.partner_inbox(world.pe_a).filter(selectors.AWAITING_ACCEPTANCE)
    plan = branch_plan(qs.order_by("accept_by", "pk")[:26])
    assert walks_in_order(plan, "lead_partner_awaiting", world.a.pk), plan
