"""Scorecards: measures of the partner's own records, rank among its tier, what it lacks for the next
tier, partners below their own tier; tier requirements only by channel admins, bad input refused."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from analytics import rollups, scorecards, services
from analytics.choices import Measure
from analytics.models import TierRequirement
from core.errors import NotAllowed
from core.models import ActivityEvent
from leads.models import Lead, LeadEvent


def lead(partner, status, value="0", days_ago=10, currency="EUR"):
    obj = Lead.objects.create(
        company="X", country="DE", partner=partner, status=status, currency=currency,
        won_value=Decimal(value) if status == "won" else None,
        dispatched_at=timezone.now(), accepted_at=timezone.now() if status != "dispatched" else None,
    )  # fmt: skip
    Lead.objects.filter(pk=obj.pk).update(created_at=timezone.now() - timedelta(days=days_ago))
    return obj


@pytest.fixture
def sales(world):
    for _ in range(3):
        lead(world.a, "won", "10000.00")
    lead(world.a, "won", "99999.00", currency="USD")  # another currency: never added to EUR
    lead(world.a, "lost")
    lead(world.a, "won", "50000.00", days_ago=400)  # before the period
    lead(world.b, "won", "5000.00")
    breach = lead(world.a, "dispatched")
    LeadEvent.objects.create(
        lead=breach, kind="expired", partner_id_at_event=world.a.pk, from_status="dispatched"
    )
    rollups.rebuild_all()


def test_scorecard_measures_rank_and_gaps(world, sales):
    services.tier_requirement_set(actor=world.admin, tier=world.gold, measure=Measure.WON_DEALS, minimum="2")
    services.tier_requirement_set(
        actor=world.admin, tier=world.platinum, measure=Measure.WON_DEALS, minimum="8"
    )
    services.tier_requirement_set(
        actor=world.admin, tier=world.platinum, measure=Measure.WON_REVENUE, minimum="70000"
    )
    card = scorecards.scorecard(world.pm_a, world.a)
    value = {m.key: m.value for m in card.measures}
    assert value[Measure.WON_DEALS] == 4  # 3 EUR + 1 USD won deals in the period
    assert value[Measure.WON_REVENUE] == Decimal("30000.00")
    assert value[Measure.WIN_RATE] == Decimal("80.0")  # 4 won of 5 closed
    assert value[Measure.ACCEPTED_IN_WINDOW] == Decimal("83.3")  # 5 accepted, 1 window passed
    assert value[Measure.CERTIFICATIONS] == 0
    assert (card.rank, card.peers) == (1, 1)
    assert card.next_tier == world.platinum
    assert card.gaps == ["4 more won deals", "EUR 40,000.00 more won revenue"]
    assert card.matches_tier


def test_rank_among_the_tier_by_won_revenue(world, sales):
    b, c = scorecards.scorecard(world.admin, world.b), scorecards.scorecard(world.admin, world.c)
    assert (b.rank, b.peers, c.rank, c.peers) == (1, 2, 2, 2)


def test_off_tier_partners_in_scope_only(world, sales):
    services.tier_requirement_set(
        actor=world.admin, tier=world.silver, measure=Measure.WON_DEALS, minimum="1"
    )
    assert [c.partner for c in scorecards.off_tier_partners(world.admin)] == [world.c]
    assert scorecards.off_tier_partners(world.cm_c)[0].shortfalls == ["1 more won deal"]
    assert scorecards.off_tier_partners(world.cm_a) == []  # B meets it, C is not theirs
    assert scorecards.off_tier_partners(world.pm_c) == []  # partners get no list


def test_only_channel_admins_set_requirements(world):
    with pytest.raises(NotAllowed):
        services.tier_requirement_set(
            actor=world.cm_a, tier=world.gold, measure=Measure.WIN_RATE, minimum="20"
        )
    with pytest.raises(NotAllowed):
        services.tier_requirement_set(
            actor=world.pm_a, tier=world.gold, measure=Measure.WIN_RATE, minimum="20"
        )
    assert not TierRequirement.objects.exists()


@pytest.mark.parametrize(
    ("measure", "minimum", "field"),
    [("win_rate", "120", "minimum"), ("won_deals", "-1", "minimum"), ("won_deals", "lots", "minimum"),
     ("nonsense", "1", "measure"), ("won_revenue", "1.234", "minimum"), ("won_revenue", "NaN", "minimum")],
)  # fmt: skip
def test_bad_requirements_are_refused_and_change_nothing(world, measure, minimum, field):
    with pytest.raises(ValidationError) as exc:
        services.tier_requirement_set(actor=world.admin, tier=world.gold, measure=measure, minimum=minimum)
    assert field in exc.value.message_dict
    assert not TierRequirement.objects.exists()


def test_set_changes_in_place_and_delete_removes_with_the_actor_recorded(world):
    first = services.tier_requirement_set(
        actor=world.admin, tier=world.gold, measure=Measure.WIN_RATE, minimum="20"
    )
    again = services.tier_requirement_set(
        actor=world.admin, tier=world.gold, measure=Measure.WIN_RATE, minimum="25.5"
    )
    assert first.pk == again.pk and TierRequirement.objects.get().minimum == Decimal("25.50")
    with pytest.raises(NotAllowed):
        services.tier_requirement_delete(actor=world.cm_a, requirement=again)
    services.tier_requirement_delete(actor=world.admin, requirement=again)
    assert not TierRequirement.objects.exists()
    assert (
        ActivityEvent.objects.filter(actor=world.admin, verb__startswith="analytics.tier_requirement").count()
        == 3
    )


def test_lower_is_better_for_resolution_time(world):
    services.tier_requirement_set(
        actor=world.admin, tier=world.gold, measure=Measure.RESOLUTION_HOURS, minimum="24"
    )
    card = scorecards.scorecard(world.admin, world.a)
    assert card.matches_tier  # nothing to resolve: nothing too slow
