"""Demo analytics: tier requirements for the demo tiers (so that scorecards say what each partner
needs for the next tier) and the roll-ups built from the demo data of the other apps. Runs last.
Idempotent: requirements are only added when there are none; the roll-ups are rebuilt."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from analytics import rollups
from analytics.choices import Measure
from analytics.models import TierRequirement
from partners.models import Tier

# Per step up the tier ladder: (won deals, won revenue, accepted within the window %).
STEP = (Decimal("2"), Decimal("20000"), Decimal("60"))


def seed_analytics(stdout: Any = None, **options: Any) -> int:
    created = 0
    if not TierRequirement.objects.exists():
        for step, tier in enumerate(Tier.objects.order_by("rank")[1:], start=1):
            for measure, minimum in (
                (Measure.WON_DEALS, STEP[0] * step),
                (Measure.WON_REVENUE, STEP[1] * step),
                (Measure.ACCEPTED_IN_WINDOW, min(STEP[2] + 10 * (step - 1), Decimal("90"))),
            ):
                TierRequirement.objects.create(tier=tier, measure=measure, minimum=minimum)
                created += 1
    rollups.rebuild_all()
    if stdout is not None:
        stdout.write(f"Analytics: {created} tier requirements, roll-ups rebuilt.\n")
    return created
