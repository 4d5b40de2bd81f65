"""Channel portal: the dashboard (partners by status, the applications waiting, recent activity)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from partners import selectors
from partners.choices import ApplicationStatus, PartnerStatus
from portals.decorators import channel_required

RECENT_ACTIVITY = 10
PENDING_PREVIEW = 5


@channel_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Queries: session, user, actor, partner counts by status, partner counts by tier, tiers,
    application counts by status, newest pending applications, recent activity (actor and partner
    name joined): 9."""
    counts = selectors.partner_status_counts(request.user)
    partner_list = reverse("channel:partner_list")
    statuses = [
        {
            "value": s.value,
            "label": s.label,
            "count": counts.get(s.value, 0),
            "url": f"{partner_list}?status={s.value}",
        }
        for s in PartnerStatus
    ]
    tier_counts = selectors.partner_tier_counts(request.user)
    application_counts = selectors.application_status_counts(request.user)
    pending = list(selectors.application_queue(request.user, ApplicationStatus.PENDING)[:PENDING_PREVIEW])
    return render(
        request,
        "portals/channel/dashboard.html",
        {
            "statuses": statuses,
            "partner_total": sum(counts.values()),
            "tier_counts": tier_counts,
            "tier_chart": {
                "type": "bar",
                "label": "Partners",
                "labels": [name for name, _ in tier_counts],
                "values": [n for _, n in tier_counts],
            },
            "pending_count": application_counts.get(ApplicationStatus.PENDING, 0),
            "pending": pending,
            "activity": selectors.recent_partner_activity(request.user, RECENT_ACTIVITY),
            "breadcrumbs": [("Channel", None)],
        },
    )
