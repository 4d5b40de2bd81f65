"""Every read of fund records, already scoped by the access policy (DESIGN.md): channel admins see
everything; channel managers their partners' (and those partners' sub-partners') funds; partner
managers their own partner's and its sub-partners'; partner employees no funds at all."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from leads.choices import LeadStatus
from leads.models import Lead
from mdf import rules
from mdf.choices import Account, ClaimStatus, RequestStatus
from mdf.models import (
    ZERO,
    Claim,
    FundAllocation,
    FundComment,
    FundProgram,
    FundRequest,
    JournalEntry,
    ProofFile,
)
from partners import access
from partners.choices import Role


def _scoped(user: Any, queryset: QuerySet[Any], partner_field: str = "partner_id") -> QuerySet[Any]:
    if not rules.sees_funds(user):
        return queryset.none()
    if access.actor_of(user).role == Role.CHANNEL_MANAGER:
        # The same rows as access.scope (fund records have no object shares of their own), by a list
        # of partner ids read once per request: a queue page runs four scoped queries.
        return queryset.filter(**{f"{partner_field}__any_of": access.managed_partner_id_list(user)})
    return access.scope(user, queryset, partner_field=partner_field)


def visible_programs(user: Any) -> QuerySet[FundProgram]:
    """Channel staff: every programme. Partner managers: the programmes that allocated money to
    their partner or its sub-partners (drafts never)."""
    actor = access.actor_of(user)
    if actor.is_channel:
        return FundProgram.objects.all()
    if not rules.sees_funds(user):
        return FundProgram.objects.none()
    return FundProgram.objects.exclude(status="draft").filter(
        pk__in=visible_allocations(user).values("program_id")
    )


def visible_allocations(user: Any) -> QuerySet[FundAllocation]:
    """Allocations a user may see; partner users never see a draft programme's."""
    qs = _scoped(user, FundAllocation.objects.select_related("program", "partner"))
    if access.actor_of(user).is_partner:
        qs = qs.exclude(program__status="draft")
    return qs


def visible_requests(user: Any) -> QuerySet[FundRequest]:
    """Requests with what their list rows show (programme, partner). Every table joined costs planning
    time on every page (measured at 1M claims: six joins plan in ~10 ms, two in ~1 ms); one request's
    page adds what it shows (`request_detail`)."""
    return _scoped(user, FundRequest.objects.select_related("program", "partner"))


def visible_claims(user: Any) -> QuerySet[Claim]:
    """Claims with what their list rows show (programme, partner, request); see visible_requests."""
    return _scoped(user, Claim.objects.select_related("program", "partner", "request"))


def request_detail(user: Any) -> QuerySet[FundRequest]:
    """For one request's page: with its allocation and the people who made, approved and decided it."""
    return visible_requests(user).select_related(
        "allocation", "created_by", "first_approved_by", "decided_by"
    )


def claim_detail(user: Any) -> QuerySet[Claim]:
    """For one claim's page: with the people who filed, approved, decided and paid it."""
    return visible_claims(user).select_related("submitted_by", "first_approved_by", "decided_by", "paid_by")


def visible_proof_files(user: Any) -> QuerySet[ProofFile]:
    return _scoped(user, ProofFile.objects.select_related("claim"), partner_field="claim__partner_id")


def visible_comments(user: Any) -> QuerySet[FundComment]:
    return _scoped(user, FundComment.objects.select_related("author"))


def visible_journal(user: Any) -> QuerySet[JournalEntry]:
    """The journal: channel admins only."""
    if not rules.can_see_journal(user):
        return JournalEntry.objects.none()
    return JournalEntry.objects.select_related("program", "partner")


# --- Queues ---------------------------------------------------------------------------------------


def request_queue(user: Any) -> QuerySet[FundRequest]:
    """Submitted requests a channel user decides, oldest first (for a channel admin, those waiting for
    a second approval included)."""
    if not access.actor_of(user).is_channel:
        return FundRequest.objects.none()
    return visible_requests(user).filter(status=RequestStatus.SUBMITTED).order_by("submitted_at", "id")


def claim_queue(user: Any) -> QuerySet[Claim]:
    if not access.actor_of(user).is_channel:
        return Claim.objects.none()
    return visible_claims(user).filter(status=ClaimStatus.SUBMITTED).order_by("created_at", "id")


def claims_to_pay(user: Any) -> QuerySet[Claim]:
    """Approved claims waiting for settlement, oldest decision first."""
    if not access.actor_of(user).is_channel:
        return Claim.objects.none()
    return visible_claims(user).filter(status=ClaimStatus.APPROVED).order_by("decided_at", "id")


# --- Figures --------------------------------------------------------------------------------------


def allocation_figures_from_journal(allocation: FundAllocation) -> dict[str, Decimal]:
    """An allocation's figures as its journal lines say (what the stored figures must equal)."""
    # Debits and credits summed apart and subtracted here: on SQLite `SUM(debit) - SUM(credit)` is a
    # float difference (50000 - 49999.99 = 0.0100000000002183) that no decimal converter rounds.
    balances = {
        row["account"]: (row["debits"] or ZERO) - (row["credits"] or ZERO)
        for row in JournalEntry.objects.filter(allocation=allocation)
        .values("account")
        .annotate(debits=Sum("debit"), credits=Sum("credit"))
    }
    reserved = balances.get(Account.RESERVED, ZERO)
    claimed = balances.get(Account.CLAIMS_PAYABLE, ZERO)
    paid = balances.get(Account.PAID, ZERO)
    available = balances.get(Account.AVAILABLE, ZERO)
    return {
        "allocated": available + reserved + claimed + paid,
        "reserved": reserved,
        "claimed": claimed,
        "paid": paid,
        "available": available,
        "expired": balances.get(Account.EXPIRED, ZERO),
    }


def program_journal_sum(program: FundProgram) -> Decimal:
    """Debits minus credits of a programme's journal: always zero."""
    total = JournalEntry.objects.filter(program=program).aggregate(d=Sum("debit"), c=Sum("credit"))
    return (total["d"] or ZERO) - (total["c"] or ZERO)


@dataclass
class Roi:
    """What money earned: leads carrying the campaign codes, won revenue, against the amount paid."""

    leads: int = 0
    won_leads: int = 0
    won_revenue: Decimal = ZERO
    approved: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def ratio(self) -> Decimal | None:
        """Won revenue per unit paid (None before anything is paid)."""
        if not self.paid:
            return None
        return (self.won_revenue / self.paid).quantize(Decimal("0.01"))


def roi_by_campaign(codes: list[str]) -> dict[str, Roi]:
    """Leads and won revenue per campaign code, in one query."""
    if not codes:
        return {}
    rows = (
        Lead.objects.filter(campaign_code__in=codes)
        .values("campaign_code")
        .annotate(
            leads=Count("id"),
            won_leads=Count("id", filter=Q(status=LeadStatus.WON)),
            won_revenue=Sum("won_value", filter=Q(status=LeadStatus.WON)),
        )
    )
    return {
        row["campaign_code"]: Roi(
            leads=row["leads"], won_leads=row["won_leads"], won_revenue=row["won_revenue"] or ZERO
        )
        for row in rows
    }


def request_rois(requests: list[FundRequest]) -> dict[int, Roi]:
    """Return per request (a page of them): leads, won revenue and the amount paid on its claims;
    two queries whatever the page's size."""
    by_code = roi_by_campaign([r.campaign_code for r in requests])
    paid = dict(
        Claim.objects.filter(request__in=[r.pk for r in requests], status=ClaimStatus.PAID)
        .values("request_id")
        .annotate(total=Sum("approved_amount"))
        .values_list("request_id", "total")
    )
    out = {}
    for r in requests:
        roi = by_code.get(r.campaign_code) or Roi()
        roi.approved = r.approved_amount or ZERO
        roi.paid = paid.get(r.pk) or ZERO
        out[r.pk] = roi
    return out


def roi_totals(requests: QuerySet[FundRequest]) -> Roi:
    """Return over a set of requests (a partner's, a programme's): leads and won revenue of their
    campaign codes against what was paid on their claims."""
    codes = requests.exclude(approved_amount__isnull=True).values("campaign_code")
    leads = Lead.objects.filter(campaign_code__in=codes).aggregate(
        leads=Count("id"),
        won_leads=Count("id", filter=Q(status=LeadStatus.WON)),
        won_revenue=Sum("won_value", filter=Q(status=LeadStatus.WON)),
    )
    money = Claim.objects.filter(request__in=requests.values("pk")).aggregate(
        approved=Sum("approved_amount", filter=Q(status__in=[ClaimStatus.APPROVED, ClaimStatus.PAID])),
        paid=Sum("approved_amount", filter=Q(status=ClaimStatus.PAID)),
    )
    return Roi(
        leads=leads["leads"] or 0,
        won_leads=leads["won_leads"] or 0,
        won_revenue=leads["won_revenue"] or ZERO,
        approved=money["approved"] or ZERO,
        paid=money["paid"] or ZERO,
    )


def roi_by_partner(program: FundProgram, user: Any) -> list[dict[str, Any]]:
    """Per partner in a programme (those the user may see): paid, leads and won revenue."""
    requests = visible_requests(user).filter(program=program).exclude(approved_amount__isnull=True)
    paid_rows = dict(
        Claim.objects.filter(request__in=requests.values("pk"), status=ClaimStatus.PAID)
        .values("partner_id")
        .annotate(total=Sum("approved_amount"))
        .values_list("partner_id", "total")
    )
    lead_rows = (
        Lead.objects.filter(campaign_code__in=requests.values("campaign_code"))
        .values("campaign_code")
        .annotate(leads=Count("id"), won=Sum("won_value", filter=Q(status=LeadStatus.WON)))
    )
    partner_of = dict(requests.values_list("campaign_code", "partner_id"))
    names = dict(requests.values_list("partner_id", "partner__name"))
    out: dict[int, dict[str, Any]] = {
        pid: {
            "partner_id": pid,
            "partner": names[pid],
            "paid": paid_rows.get(pid) or ZERO,
            "leads": 0,
            "won_revenue": ZERO,
        }
        for pid in names
    }
    for row in lead_rows:
        pid = partner_of.get(row["campaign_code"])
        if pid in out:
            out[pid]["leads"] += row["leads"]
            out[pid]["won_revenue"] += row["won"] or ZERO
    return sorted(out.values(), key=lambda r: (-r["won_revenue"], r["partner"]))
