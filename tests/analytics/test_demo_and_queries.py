"""The analytics demo seeder, and query counts that do not grow with the rows: a dashboard and the
summary API run a fixed number of queries whether there is one record of each kind or twenty."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import rollups, selectors
from analytics.demo import seed_analytics
from analytics.figures import AnalyticsFilters
from analytics.models import RollupState, TierRequirement
from catalog.models import Category, Product
from customers.services import customer_match_or_create
from leads.models import DealRegistration, Lead, LeadEvent
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest
from orders.models import Order
from service.models import ServiceRequest, Solution


def test_demo_seeder_adds_requirements_once_and_builds_the_rollups(world):
    created = seed_analytics()
    assert created == 9  # three measures for each of the three tiers above the lowest
    assert not TierRequirement.objects.filter(tier=world.registered).exists()
    assert seed_analytics() == 0
    assert RollupState.objects.count() == len(rollups.SPECS)


def _records(world, n: int) -> None:
    today = timezone.localdate()
    category = Category.objects.create(name="Q", slug=f"q-{n}")
    solution = Solution.objects.create(title="Fix", problem="p", solution="s")
    program = FundProgram.objects.create(
        name=f"P{n}", starts_on=today - timedelta(days=30), ends_on=today, claim_deadline=today,
        budget=Decimal("100000.00"), status="open",
    )  # fmt: skip
    partners = [world.a, world.b, world.c]
    for i in range(n):
        partner = partners[i % 3]
        product = Product.objects.create(
            sku=f"S{n}-{i}", name="P", list_price=Decimal("1.00"), category=category
        )
        customer = customer_match_or_create(
            partner_id=partner.pk, company=f"C{n}-{i}", email=f"x@c{n}-{i}.example"
        )
        lead = Lead.objects.create(
            company="L", country="DE", partner=partner, status="won", won_value=Decimal("5.00"), category=category,
            dispatched_at=timezone.now(), accepted_at=timezone.now(), campaign_code=f"Q{n}-{i}",
        )  # fmt: skip
        LeadEvent.objects.create(
            lead=lead, kind="expired", partner_id_at_event=partner.pk, from_status="dispatched"
        )
        DealRegistration.objects.create(partner=partner, customer_company="R", normalised_company="R", country="DE",
                                        value=Decimal("1.00"), expected_close=today)  # fmt: skip
        Order.objects.create(number=f"SO-Q{n}-{i}", partner=partner, customer=customer, total=Decimal("3.00"),
                             status="delivered", submitted_at=timezone.now(), delivered_at=timezone.now())  # fmt: skip
        ServiceRequest.objects.create(partner=partner, customer=customer, product=product, subject="s", description="d",
                                      status="resolved", resolved_at=timezone.now(), resolve_seconds=60 + i,
                                      solution=solution)  # fmt: skip
        alloc, _ = FundAllocation.objects.get_or_create(
            program=program, partner=partner, defaults={"amount": Decimal("100.00")}
        )
        req = FundRequest.objects.create(
            allocation=alloc, program=program, partner=partner, title="t", activity_type="event", starts_on=today,
            ends_on=today, amount=Decimal("1.00"), approved_amount=Decimal("1.00"), campaign_code=f"Q{n}-{i}",
            status="approved", submitted_at=timezone.now(), decided_at=timezone.now(),
        )  # fmt: skip
        Claim.objects.create(request=req, allocation=alloc, program=program, partner=partner, amount=Decimal("1.00"),
                             approved_amount=Decimal("1.00"), description="d", status="paid", paid_on=today,
                             payment_reference="P")  # fmt: skip
    rollups.rebuild_all()


def _count(user) -> int:
    filters = AnalyticsFilters(start=timezone.localdate() - timedelta(days=60), end=timezone.localdate())
    user = type(user).objects.get(pk=user.pk)  # a fresh user object: nothing cached
    with CaptureQueriesContext(connection) as queries:
        selectors.dashboard(user, filters)
        selectors.summary(user, filters)
    return len(queries)


@pytest.mark.parametrize("persona", ["admin", "cm_a", "pm_a"])
def test_query_count_is_the_same_for_1_and_20_records(world, persona):
    user = getattr(world, persona)
    _records(world, 1)
    one = _count(user)
    _records(world, 20)
    twenty = _count(user)
    # Per figure a fixed handful (the roll-up reads, the partner/product/solution names, the raw
    # medians); never one per row.
    assert one == twenty
    board = selectors.dashboard(
        user, AnalyticsFilters(start=timezone.localdate() - timedelta(days=60), end=timezone.localdate())
    )
    assert sum(len(f.rows) for f in board.figures) > len(board.figures)
