"""Every read of leads, rules and registrations, already scoped by the access policy."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from leads.choices import LeadEventKind, LeadStatus
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
from partners.models import Membership

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
        # Company, contact or e-mail contains the text, in any case (trigram-indexed on PostgreSQL).
        qs = qs.filter(search_text__contains=q.strip().upper())
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
    return lead.decisions.select_related("decided_by").order_by("-created_at", "-id").first()


def visible_rules(user: Any) -> QuerySet[DispatchRule]:
    """Dispatch rules are the channel's: channel staff read them (admins edit), partners none."""
    if not access.actor_of(user).is_channel:
        return DispatchRule.objects.none()
    return DispatchRule.objects.prefetch_related("partners", "categories").select_related(
        "min_tier", "certification"
    )


def visible_registrations(user: Any) -> QuerySet[DealRegistration]:
    return access.scope(
        user, DealRegistration.objects.select_related("partner", "category", "lead", "registered_by")
    )


# --- Channel portal pages ---------------------------------------------------------------------------


def lead_detail(user: Any, pk: int) -> Lead:
    """One visible lead with everything its page shows joined (partner, assignee, category, customer,
    creator); raises Lead.DoesNotExist out of scope."""
    return visible_leads(user).select_related("customer", "created_by").get(pk=pk)


def lead_status_counts(user: Any) -> dict[str, int]:
    """How many visible leads are in each status: one grouped query (a full scan of the scope, so
    pages cache it rather than run it on every view)."""
    rows = visible_leads(user).order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)


def customer_leads(user: Any, customer_id: int) -> QuerySet[Lead]:
    """The visible leads of one customer, newest first."""
    return visible_leads(user).filter(customer_id=customer_id).order_by("-created_at", "-id")


def rule_list(user: Any) -> QuerySet[DispatchRule]:
    """Visible dispatch rules in the order routing tries them, with what their summaries show."""
    return visible_rules(user).select_related("certification").order_by("priority", "id")


def registration_status_counts(user: Any) -> dict[str, int]:
    """How many visible deal registrations are in each status: one grouped query."""
    rows = visible_registrations(user).order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)


# --- The partner portal's reads (lead inbox, lead page, registrations, a customer's leads) ---------

# A lead waiting for its partner to accept it: the top of the partner's inbox, soonest deadline first.
AWAITING_ACCEPTANCE = Q(status=LeadStatus.DISPATCHED, accept_by__isnull=False)


def partner_inbox(user: Any, *, q: str = "", status: str = "", assigned: str = "") -> QuerySet[Lead]:
    """The leads of a partner user's inbox (lead_list's scope and filters); `assigned` narrows to
    the leads assigned to the user ("me") or to nobody ("unassigned")."""
    qs = lead_list(user, q=q, status=status)
    if assigned == "me":
        qs = qs.filter(assigned_to_id=access.actor_of(user).user_id)
    elif assigned == "unassigned":
        qs = qs.filter(assigned_to__isnull=True)
    return qs


def partner_lead_detail(user: Any) -> QuerySet[Lead]:
    """visible_leads with what the partner's lead page shows (the linked customer)."""
    return visible_leads(user).select_related("customer")


def partner_timeline(lead: Lead) -> QuerySet[LeadEvent]:
    """The timeline as the partner holding the lead sees it: its creation and what happened while
    this partner held it. Other partners' turns (their names, decline reasons) belong to the brand
    owner."""
    return lead_timeline(lead).filter(Q(partner_id_at_event=lead.partner_id) | Q(kind=LeadEventKind.CREATED))


def waiting_summary(user: Any) -> dict[str, Any]:
    """How many leads of the user's own partner await acceptance (of those the user sees), and the
    soonest deadline: {"count": n, "first_deadline": datetime | None}. One query."""
    partner_id = access.actor_of(user).partner_id or 0
    row = (
        visible_leads(user)
        .filter(AWAITING_ACCEPTANCE, partner_id=partner_id)
        .aggregate(count=Count("id"), first_deadline=Min("accept_by"))
    )
    return {"count": row["count"] or 0, "first_deadline": row["first_deadline"]}


def assignable_members(user: Any, lead: Lead) -> QuerySet[Membership]:
    """The active people of the partner holding the lead (whom it may be assigned to), by e-mail."""
    return (
        access.scope_memberships(user, Membership.objects.filter(partner_id=lead.partner_id or 0))
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("user__email")
    )


def own_registrations(user: Any) -> QuerySet[DealRegistration]:
    """The deal registrations of the user's own partner (not its sub-partners')."""
    return visible_registrations(user).filter(partner_id=access.actor_of(user).partner_id or 0)


def registration_detail(user: Any, pk: int) -> DealRegistration:
    """One visible deal registration with who registered and who decided joined; raises
    DealRegistration.DoesNotExist out of scope."""
    return visible_registrations(user).select_related("registered_by", "decided_by").get(pk=pk)
