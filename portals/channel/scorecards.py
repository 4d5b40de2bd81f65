"""Channel portal: partner scorecards and tier rules (issue 7).

- /channel/analytics/scorecards/: the partners in the user's scope whose measures no longer meet their
  tier (analytics.scorecards.off_tier_partners), each with what it misses;
- /channel/partners/<id>/scorecard/: one partner's scorecard (out of scope: 404);
- /channel/analytics/tiers/: the tier rules, a minimum per tier and measure. Channel admins add,
  change and delete them (analytics.services; bad input: a message, nothing saved); channel managers
  read them. Partner users get 403 on every page here (the channel portal's gate)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from analytics import scorecards, services
from analytics.choices import LOWER_IS_BETTER, Measure
from analytics.models import TierRequirement
from core.errors import NotAllowed
from partners import access
from partners import selectors as partner_selectors
from partners.models import Partner, Tier
from portals.channel.scorecard_forms import TierRequirementForm
from portals.crumbs import channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors, error_text
from portals.partner.scorecard import format_value, scorecard_context

# The off-tier list names this many partners (the worst first as analytics orders them); the rest
# are counted.
OFF_TIER_SHOWN = 100
NOTHING_SAVED = "Nothing was saved."


def _can_edit_tiers(user: Any) -> bool:
    return access.actor_of(user).is_admin


# --- Off-tier partners ----------------------------------------------------------------------------


@channel_required
@require_safe
def scorecard_list(request: HttpRequest) -> HttpResponse:
    """Partners whose measures no longer meet their tier, with what each misses.

    Queries: session, user, actor, then the scorecards (analytics.scorecards.off_tier_partners:
    a fixed number of grouped queries, whatever the number of partners)."""
    cards = scorecards.off_tier_partners(request.user)
    shown = cards[:OFF_TIER_SHOWN]
    rows = [{"card": card, "misses": card.shortfalls} for card in shown]
    return render(
        request,
        "portals/channel/scorecards/list.html",
        {
            "rows": rows,
            "total": len(cards),
            "more": max(0, len(cards) - len(shown)),
            "sees_everything": access.actor_of(request.user).is_admin,
            "breadcrumbs": channel_crumbs(("Scorecards", None)),
        },
    )


# --- One partner's scorecard ----------------------------------------------------------------------


@channel_required
@require_safe
def partner_scorecard(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner's scorecard (a partner the user may see; otherwise 404).

    Queries: session, user, actor, the partner (tier and parent joined), the scorecard
    (analytics.scorecards.scorecard: grouped queries), the next tier's requirements."""
    partner: Partner = get_object_or_404(partner_selectors.visible_partners(request.user), pk=pk)
    card = scorecards.scorecard(request.user, partner)
    return render(
        request,
        "portals/channel/scorecards/partner.html",
        {
            **scorecard_context(card),
            "own": False,
            "breadcrumbs": channel_crumbs(
                ("Partners", reverse("channel:partner_list")),
                (partner.name, reverse("channel:partner_detail", args=[partner.pk])),
                ("Scorecard", None),
            ),
        },
    )


# --- Tier rules -----------------------------------------------------------------------------------


def _tier_form(data: Any, tiers: list[Tier], **kwargs: Any) -> TierRequirementForm:
    return TierRequirementForm(
        data,
        tier_choices=[(t.pk, t.name) for t in tiers],
        measure_choices=Measure.choices,
        measure_units=scorecards.UNITS,
        currency=scorecards.scorecard_currency(),
        **kwargs,
    )


def _tier_rows(tiers: list[Tier], requirements: list[TierRequirement]) -> list[dict[str, Any]]:
    """Each tier with its requirements, in measure order, each with its minimum in words."""
    currency = scorecards.scorecard_currency()
    units = scorecards.UNITS
    labels = dict(Measure.choices)
    order = {key: n for n, key in enumerate(Measure.values)}
    by_tier: dict[int, list[dict[str, Any]]] = {t.pk: [] for t in tiers}
    for requirement in sorted(requirements, key=lambda r: order.get(r.measure, len(order))):
        shown = format_value(requirement.minimum, units.get(requirement.measure, ""), currency)
        by_tier.setdefault(requirement.tier_id, []).append(
            {
                "requirement": requirement,
                "label": labels.get(requirement.measure, requirement.measure),
                "text": f"at most {shown}" if requirement.measure in LOWER_IS_BETTER else f"at least {shown}",
                "bound": "maximum" if requirement.measure in LOWER_IS_BETTER else "minimum",
            }
        )
    return [{"tier": t, "requirements": by_tier.get(t.pk, [])} for t in tiers]


@require_http_methods(["GET", "HEAD", "POST"])
@channel_required
def tier_requirements(request: HttpRequest) -> HttpResponse:
    """The tier rules; a channel admin's POST adds a requirement or changes one (the same tier and
    measure), through analytics.services.tier_requirement_set. Bad input: the form says why, 400,
    nothing saved.

    Queries: session, user, actor, the tiers, the requirements (one query each, whatever their
    number)."""
    can_edit = _can_edit_tiers(request.user)
    if request.method == "POST" and not can_edit:
        raise PermissionDenied("Only channel admins change the tier rules.")
    tiers = list(partner_selectors.tiers())
    form = _tier_form(request.POST if request.method == "POST" else None, tiers) if can_edit else None
    status = 200
    if request.method == "POST" and form is not None:
        if form.is_valid():
            tier = next(t for t in tiers if t.pk == form.cleaned_data["tier"])
            measure = form.cleaned_data["measure"]
            existed = TierRequirement.objects.filter(tier=tier, measure=measure).exists()
            try:
                requirement = services.tier_requirement_set(
                    actor=acting_user(request),
                    tier=tier,
                    measure=measure,
                    minimum=form.cleaned_data["minimum"],
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                label = dict(Measure.choices).get(measure, measure)
                shown = format_value(
                    requirement.minimum, scorecards.UNITS.get(measure, ""), scorecards.scorecard_currency()
                )
                verb = "now requires" if existed else "requires"
                bound = "at most" if measure in LOWER_IS_BETTER else "at least"
                messages.success(request, f"{tier.name} {verb} {label}: {bound} {shown}.")
                return redirect("channel:tier_requirements")
        messages.error(
            request, f"The requirement was not saved; correct the fields marked below. {NOTHING_SAVED}"
        )
        status = 400
    requirements = list(TierRequirement.objects.order_by("tier__rank", "measure"))
    return render(
        request,
        "portals/channel/scorecards/tiers.html",
        {
            "tier_rows": _tier_rows(tiers, requirements),
            "form": form,
            "can_edit": can_edit,
            "requirement_count": len(requirements),
            "breadcrumbs": channel_crumbs(
                ("Scorecards", reverse("channel:scorecards")), ("Tier rules", None)
            ),
        },
        status=status,
    )


@require_POST
@channel_required
def tier_requirement_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """A channel admin deletes one requirement; the tier no longer asks for that measure."""
    if not _can_edit_tiers(request.user):
        raise PermissionDenied("Only channel admins change the tier rules.")
    requirement = get_object_or_404(TierRequirement.objects.select_related("tier"), pk=pk)
    label = dict(Measure.choices).get(requirement.measure, requirement.measure)
    tier_name = requirement.tier.name
    try:
        services.tier_requirement_delete(actor=acting_user(request), requirement=requirement)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ValidationError as exc:
        messages.error(request, f"The requirement was not deleted: {error_text(exc)}")
    else:
        messages.success(request, f"{tier_name} no longer requires {label}.")
    return redirect("channel:tier_requirements")
