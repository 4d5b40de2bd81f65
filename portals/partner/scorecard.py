"""Partner portal: the partner's scorecard (/partner/analytics/scorecard/, issue 7).

Each measure with its value and, where the next tier requires it, the requirement and a progress bar;
the rank among active partners of the same tier; what it takes to reach the next tier
(analytics.scorecards.Scorecard.gaps) and, when the partner no longer meets its own tier, what it
misses. A distributor's managers switch to one of their resellers' scorecards with ?partner=<id>,
fetched through the partner scope (anything else is 404).

Partner managers only: the scorecard holds the partner's revenue and MDF figures, which the portal
keeps for managers (like funds and the analytics dashboard); employees get 403.

The measure rows and their formatting are shared with the channel portal's partner scorecard."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from analytics import scorecards
from analytics.choices import LOWER_IS_BETTER
from analytics.models import TierRequirement
from partners import access
from partners import selectors as partner_selectors
from partners.choices import Role
from portals.crumbs import partner_crumbs
from portals.decorators import partner_required

# The switcher names at most this many resellers (a distributor with more types the id in the URL).
SWITCH_LIMIT = 200
HUNDRED = Decimal("100")
ZERO = Decimal("0")


# --- Measure rows (shared with portals.channel.scorecards) ---------------------------------------


@dataclass(frozen=True)
class MeasureRow:
    """One line of a scorecard: the measure's value and, where the target tier requires the measure,
    the requirement, how far the partner has come (0–100, for the bar) and the same in words."""

    key: str
    label: str
    value_text: str
    requirement_text: str = ""
    percent: int = 0
    met: bool = False
    progress_text: str = ""


def _number(value: Decimal | int, places: int) -> str:
    """A number with thousands separators and at most `places` decimals (no trailing zeros)."""
    text = f"{Decimal(value):,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_value(value: Decimal | int | None, unit: str, currency: str) -> str:
    """A measure's value for people: counts whole, percentages and hours to one decimal, money
    with its currency and cents (never rounded away silently)."""
    if value is None:
        return "No data"
    if unit == "count":
        return _number(value, 0)
    if unit == "percent":
        return f"{_number(value, 1)} %"
    if unit == "hours":
        return f"{_number(value, 1)} h"
    if unit == "money":
        amount = Decimal(value)
        # Whole amounts without cents ("EUR 40,000"); otherwise both digits ("EUR 40,000.50").
        return (
            f"{currency} {amount:,.0f}"
            if amount == amount.to_integral_value()
            else f"{currency} {amount:,.2f}"
        )
    return _number(value, 2)


def _progress(value: Decimal | int | None, minimum: Decimal, lower_is_better: bool) -> tuple[int, bool]:
    """How far towards a requirement (0–100, floored) and whether it is met, as
    analytics.scorecards judges it: no value counts as zero, and for a maximum (resolution time) as
    met (nothing was slow)."""
    if value is None:
        return (100, True) if lower_is_better else (0, False)
    amount = Decimal(value)
    if lower_is_better:
        if amount <= minimum:
            return 100, True
        return int(minimum * HUNDRED / amount), False
    if amount >= minimum:
        return 100, True
    return (int(amount * HUNDRED / minimum) if minimum > ZERO else 100), False


def measure_rows(
    card: scorecards.Scorecard, requirements: Mapping[str, Decimal], *, currency: str
) -> list[MeasureRow]:
    """The scorecard's measures, each with the target tier's requirement on it (if any)."""
    rows = []
    for measure in card.measures:
        value_text = format_value(measure.value, measure.unit, currency)
        minimum = requirements.get(measure.key)
        if minimum is None:
            rows.append(MeasureRow(key=measure.key, label=measure.label, value_text=value_text))
            continue
        lower = measure.key in LOWER_IS_BETTER
        percent, met = _progress(measure.value, minimum, lower)
        required = format_value(minimum, measure.unit, currency)
        requirement_text = f"at most {required}" if lower else f"at least {required}"
        if met and measure.value is None:
            progress_text = f"Met: no data, which counts as met ({requirement_text})."
        elif met:
            progress_text = f"Met: {value_text} ({requirement_text})."
        elif measure.value is None:
            progress_text = f"No data yet; {requirement_text} is required."
        else:
            progress_text = f"{value_text} of {required}: {percent} % of the way."
        rows.append(
            MeasureRow(
                key=measure.key,
                label=measure.label,
                value_text=value_text,
                requirement_text=requirement_text,
                percent=percent,
                met=met,
                progress_text=progress_text,
            )
        )
    return rows


def requirements_by_tier(tier_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """The minimums of these tiers, {tier id: {measure: minimum}}: one query, whatever their number."""
    ids = sorted({pk for pk in tier_ids if pk})
    grouped: dict[int, dict[str, Decimal]] = {pk: {} for pk in ids}
    if ids:
        rows = TierRequirement.objects.filter(tier_id__in=ids).values_list("tier_id", "measure", "minimum")
        for tier_id, measure, minimum in rows:
            grouped[tier_id][measure] = minimum
    return grouped


def gaps_text(card: scorecards.Scorecard) -> str:
    """Scorecard.gaps as one sentence: "3 more won deals and EUR 40,000 more won revenue"."""
    gaps = [g.rstrip(".") for g in card.gaps]
    if len(gaps) <= 1:
        return "".join(gaps)
    return f"{', '.join(gaps[:-1])} and {gaps[-1]}"


def scorecard_context(card: scorecards.Scorecard) -> dict[str, Any]:
    """What both portals' scorecard templates show (the rows, the summary): one query (the next
    tier's requirements) when there is a next tier, none otherwise."""
    next_tier_id = card.next_tier.pk if card.next_tier is not None else 0
    target = requirements_by_tier([next_tier_id]).get(next_tier_id, {})
    return {
        "card": card,
        "rows": measure_rows(card, target, currency=card.currency),
        "has_requirements": bool(target),
        "gaps_text": gaps_text(card),
    }


# --- The page -------------------------------------------------------------------------------------


def _partner_id(value: str | None) -> int | None:
    """A positive id from the query string, or None when absent; anything else names no partner."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isascii() and text.isdigit() and 0 < len(text) < 19 and int(text) > 0:
        return int(text)
    raise Http404("No such partner.")


@partner_required
@require_safe
def scorecard(request: HttpRequest) -> HttpResponse:
    """The partner's scorecard, or (for a distributor's managers) one of its resellers'.

    Queries: session, user, actor, the partner (tier and parent joined), the scorecard
    (analytics.scorecards.scorecard: grouped queries), the next tier's requirements, the
    switcher's resellers."""
    user = request.user
    actor = access.actor_of(user)
    if actor.role != Role.PARTNER_MANAGER:
        raise PermissionDenied("The scorecard is for your partner's managers.")
    visible = partner_selectors.visible_partners(user)
    chosen = _partner_id(request.GET.get("partner"))
    partner = get_object_or_404(visible, pk=chosen if chosen is not None else actor.partner_id)
    own = partner.pk == actor.partner_id
    card = scorecards.scorecard(user, partner)
    resellers = list(
        visible.filter(parent_id=actor.partner_id)
        .order_by("name", "id")
        .values_list("id", "name")[:SWITCH_LIMIT]
    )
    switch_choices: list[tuple[int, str]] = []
    if resellers:
        if own:
            own_label = f"{partner.name} (your company)"
        elif partner.parent is not None and partner.parent_id == actor.partner_id:
            own_label = f"{partner.parent.name} (your company)"
        else:
            own_label = "Your company"
        switch_choices = [(actor.partner_id or 0, own_label), *resellers]
        if not own and all(pk != partner.pk for pk, _ in resellers):
            switch_choices.append((partner.pk, partner.name))
    breadcrumbs = (
        partner_crumbs(("Scorecard", None))
        if own
        else partner_crumbs(("Scorecard", reverse("partner:scorecard")), (partner.name, None))
    )
    return render(
        request,
        "portals/partner/scorecards/scorecard.html",
        {
            **scorecard_context(card),
            "own": own,
            "switch_choices": switch_choices,
            "breadcrumbs": breadcrumbs,
        },
    )
