"""Sub-partners: a distributor's manager sees its resellers, read-only."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from core.paging import InvalidCursor, keyset_page
from partners import selectors
from partners.choices import PartnerType, Role
from portals.crumbs import partner_crumbs
from portals.decorators import partner_required
from portals.partner.home import own_partner

SUBPARTNER_ORDER = "name"
TEAM_SHOWN = 100  # a reseller's team page is a bounded glance, not a directory


def role_label(role: Role | None) -> str:
    return Role(role).label if role else "No role"


@partner_required
@require_GET
def subpartner_list(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, actor, own partner, one page of sub-partners (tier joined).
    partner = own_partner(request)
    children = selectors.partner_children(request.user, partner)
    after, before = request.GET.get("after"), request.GET.get("before")
    try:
        page = keyset_page(
            children, order=SUBPARTNER_ORDER, after=after, before=before, size=settings.PAGE_SIZE
        )
    except InvalidCursor:
        messages.info(request, "That page link is out of date; here is the first page.")
        page = keyset_page(children, order=SUBPARTNER_ORDER, size=settings.PAGE_SIZE)
    context = {
        "partner": partner,
        "page": page,
        "querystring": "",
        "is_distributor": partner.type == PartnerType.DISTRIBUTOR,
        "breadcrumbs": partner_crumbs(("Sub-partners", None)),
    }
    return render(request, "portals/partner/subpartners/list.html", context)


@partner_required
@require_GET
def subpartner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # Queries: session, user, actor, own partner, the sub-partner (tier joined), its team (+ groups).
    partner = own_partner(request)
    child = get_object_or_404(selectors.partner_children(request.user, partner), pk=pk)
    members = list(selectors.team_of(request.user, child).filter(user__is_active=True)[: TEAM_SHOWN + 1])
    team = [
        (membership, role_label(selectors.role_of_member(membership))) for membership in members[:TEAM_SHOWN]
    ]
    context = {
        "partner": partner,
        "child": child,
        "team": team,
        "team_truncated": len(members) > TEAM_SHOWN,
        "breadcrumbs": partner_crumbs(
            ("Sub-partners", reverse("partner:subpartner_list")), (child.name, None)
        ),
    }
    return render(request, "portals/partner/subpartners/detail.html", context)
