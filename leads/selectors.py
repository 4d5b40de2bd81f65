"""Every read of leads, rules and registrations, already scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from leads.models import (
    DealRegistration,
    DispatchDecision,
    DispatchRule,
    Lead,
    LeadEvent,
    LeadGroupObjectPermission,
    LeadUserObjectPermission,
)
from partners import access

LEAD_ORDERINGS = {
    "-created": "-created_at",
    "created": "created_at",
    "accept_by": "accept_by",
    "company": "company",
}


def visible_leads(user: Any) -> QuerySet[Lead]:
    """Leads this user may see, ready for list pages: channel managers also see the channel's queue
    (leads no partner holds yet); employees their partner's leads assigned to them or unassigned."""
    return access.scope(
        user,
        Lead.objects.select_related("partner", "assigned_to", "category"),
        partner_field="partner_id",
        assigned_field="assigned_to_id",
        shares=(LeadUserObjectPermission, LeadGroupObjectPermission),
        unowned_to_channel=True,
    )


def lead_list(
    user: Any, *, q: str = "", status: str = "", partner: int | None = None, source: str = ""
) -> QuerySet[Lead]:
    qs = visible_leads(user)
    if q.strip():
        text = q.strip()
        qs = qs.filter(
            Q(company__icontains=text) | Q(email__icontains=text) | Q(contact_name__icontains=text)
        )
    if status:
        qs = qs.filter(status=status)
    if partner:
        qs = qs.filter(partner_id=partner)
    if source:
        qs = qs.filter(source=source)
    return qs


def lead_timeline(lead: Lead) -> QuerySet[LeadEvent]:
    return lead.events.select_related("actor").order_by("created_at", "id")


def latest_decision(lead: Lead) -> DispatchDecision | None:
    return lead.decisions.order_by("-created_at", "-id").first()


def visible_rules(user: Any) -> QuerySet[DispatchRule]:
    """Dispatch rules are the channel's: channel staff read them (admins edit), partners none."""
    if not access.actor_of(user).is_channel:
        return DispatchRule.objects.none()
    return DispatchRule.objects.prefetch_related("partners", "categories").select_related("min_tier")


def visible_registrations(user: Any) -> QuerySet[DealRegistration]:
    return access.scope(user, DealRegistration.objects.select_related("partner", "category", "lead"))
