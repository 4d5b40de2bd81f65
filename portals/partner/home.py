"""Partner portal home: the partner at a glance, and next steps while it is onboarding."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from partners import access, selectors
from partners.choices import PartnerStatus, PartnerType
from partners.models import Partner
from portals.crumbs import partner_crumbs
from portals.decorators import partner_required


def own_partner(request: HttpRequest, *, detail: bool = False) -> Partner:
    """The partner the logged-in partner user belongs to, fetched through the access policy.

    `detail` adds what profile pages show (channel managers, certifications, sub-partner count)."""
    partner_id = access.actor_of(request.user).partner_id
    if partner_id is None:
        raise Http404("No partner.")
    try:
        if detail:
            return selectors.partner_detail(request.user, partner_id)
        return selectors.visible_partners(request.user).get(pk=partner_id)
    except ObjectDoesNotExist:
        raise Http404("No partner.")


def profile_is_complete(partner: Partner) -> bool:
    """The profile fields a channel team needs before activating a partner."""
    return all([partner.address, partner.postal_code, partner.city, partner.phone, partner.description])


@partner_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, actor, partner (+ managers, certifications), team size.
    partner = own_partner(request, detail=True)
    team_size = selectors.team_of(request.user, partner).filter(user__is_active=True).count()
    is_manager = access.can_edit_own_company(request.user, partner)
    context = {
        "partner": partner,
        "team_size": team_size,
        "is_manager": is_manager,
        "is_distributor": partner.type == PartnerType.DISTRIBUTOR,
        "onboarding": partner.status == PartnerStatus.ONBOARDING,
        "profile_complete": profile_is_complete(partner),
        "team_invited": team_size > 1,
        "inactive": partner.status in (PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED),
        "breadcrumbs": partner_crumbs(),
    }
    return render(request, "portals/partner/home.html", context)
