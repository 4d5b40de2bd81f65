"""State changes of the analytics app: tier rules (channel admins only) and roll-up rebuilds."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from analytics import rollups
from analytics.choices import Measure
from analytics.models import TierRequirement
from core.errors import NotAllowed
from core.models import User
from core.services import activity_record
from partners import access
from partners.models import Tier

MAX_MINIMUM = Decimal("999999999999.99")


def _clean_minimum(measure: str, minimum: Any) -> Decimal:
    errors: dict[str, str] = {}
    if measure not in Measure.values:
        errors["measure"] = "Choose one of the scorecard measures."
    try:
        value = Decimal(str(minimum).strip())
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors["minimum"] = "Enter a number, e.g. 40000 or 75.5."
        value = Decimal("0")
    if "minimum" not in errors:
        if value < 0:
            errors["minimum"] = "The minimum must not be negative."
        elif value > MAX_MINIMUM:
            errors["minimum"] = "The minimum is too large."
        elif measure in (Measure.ACCEPTED_IN_WINDOW, Measure.WIN_RATE, Measure.MDF_USAGE) and value > 100:
            errors["minimum"] = "A percentage is at most 100."
        elif value != value.quantize(Decimal("0.01")):
            errors["minimum"] = "Use at most two decimal places."
    if errors:
        raise ValidationError(errors)
    return value.quantize(Decimal("0.01"))


@transaction.atomic
def tier_requirement_set(*, actor: User, tier: Tier, measure: str, minimum: Any) -> TierRequirement:
    """Set (create or change) the minimum a partner of `tier` needs on one measure. For the
    resolution time the figure is a maximum (less is better). Channel admins only."""
    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins set tier requirements.")
    value = _clean_minimum(measure, minimum)
    requirement, created = TierRequirement.objects.update_or_create(
        tier=tier, measure=measure, defaults={"minimum": value, "updated_by": actor}
    )
    activity_record(
        actor=actor,
        verb="analytics.tier_requirement." + ("created" if created else "changed"),
        target=requirement,
        message=f"{tier.name}: {Measure(measure).label} set to {value}",
    )
    return requirement


@transaction.atomic
def tier_requirement_delete(*, actor: User, requirement: TierRequirement) -> None:
    """Remove a tier requirement. Channel admins only."""
    if not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins remove tier requirements.")
    activity_record(
        actor=actor,
        verb="analytics.tier_requirement.deleted",
        target=requirement.tier,
        message=f"{requirement.tier.name}: requirement on {requirement.get_measure_display()} removed",
    )
    requirement.delete()


def rollups_rebuild(*, actor: User | None = None) -> None:
    """Rebuild every roll-up from the raw rows (periodic full rebuild, admin action, demo data)."""
    if actor is not None and not access.actor_of(actor).is_admin:
        raise NotAllowed("Only channel admins rebuild the analytics.")
    rollups.rebuild_all()


def rollups_refresh() -> dict[str, int]:
    """Rebuild the days whose raw rows changed since the last run."""
    return rollups.refresh_changed()
