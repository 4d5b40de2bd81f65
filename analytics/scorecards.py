"""Partner scorecards: the measures of one partner over the last twelve months, its rank among the
active partners of its tier, what it lacks for the next tier, and whether it still meets its own.

Measures (analytics.choices.Measure), of the partner's own records (not its resellers'):
- accepted within the window (%): leads it accepted / (accepted + acceptance windows it let pass);
- win rate (%): won / (won + lost) of its leads; won deals; won revenue; order revenue (submitted or
  later, not cancelled) — money in the channel's currency (SCORECARD_CURRENCY, default EUR: other
  currencies are never added to it);
- median service resolution time (hours); MDF usage (% of the allocations of programmes running in
  the period that is claimed or paid); MDF ROI (won revenue of its campaign leads per unit paid);
  certifications held.
Lead, order and event counts and the resolution median come from the roll-ups; MDF from the raw
rows (bounded by partner and period). One set of grouped queries serves any number of partners (off_tier_partners).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from analytics.choices import LOWER_IS_BETTER
from analytics.choices import Measure as MeasureKey
from analytics.models import DurationRollup, LeadEventRollup, LeadRollup, OrderRollup, TierRequirement
from analytics.selectors import REVENUE_STATUSES, MoneySum, bucket_hours, median_of_counts, percent
from leads.choices import LeadStatus
from leads.models import Lead
from mdf.choices import ClaimStatus
from mdf.models import Claim, FundAllocation, FundRequest
from partners import access
from partners.choices import PartnerStatus
from partners.models import Partner, Tier

ZERO = Decimal("0.00")
PERIOD_DAYS = 365
UNITS: dict[str, str] = {
    MeasureKey.ACCEPTED_IN_WINDOW: "percent",
    MeasureKey.WIN_RATE: "percent",
    MeasureKey.WON_DEALS: "count",
    MeasureKey.WON_REVENUE: "money",
    MeasureKey.ORDER_REVENUE: "money",
    MeasureKey.RESOLUTION_HOURS: "hours",
    MeasureKey.MDF_USAGE: "percent",
    MeasureKey.MDF_ROI: "ratio",
    MeasureKey.CERTIFICATIONS: "count",
}


def scorecard_currency() -> str:
    return str(getattr(settings, "SCORECARD_CURRENCY", "EUR"))


@dataclass
class Measure:
    """One measured figure of a scorecard."""

    key: str
    label: str
    value: Decimal | int | None
    unit: str  # "count" | "percent" | "money" | "hours" | "ratio"


@dataclass
class Scorecard:
    """A partner's measures, rank among its tier's active partners (by won revenue), the next tier
    and what it lacks for it, and whether it meets its own tier's requirements."""

    partner: Partner
    period_start: date
    period_end: date
    measures: list[Measure]
    rank: int | None
    peers: int
    next_tier: Tier | None
    gaps: list[str]
    matches_tier: bool
    shortfalls: list[str] = field(default_factory=list)  # what it misses of its own tier
    currency: str = "EUR"

    def measure(self, key: str) -> Measure | None:
        return next((m for m in self.measures if m.key == key), None)


def period(today: date | None = None) -> tuple[date, date]:
    end = today or timezone.localdate()
    return end - timedelta(days=PERIOD_DAYS - 1), end


def measure_values(partner_ids: Iterable[int], start: date, end: date) -> dict[int, dict[str, Any]]:
    """Every measure of these partners over [start, end], in a fixed number of grouped queries."""
    ids = sorted(set(partner_ids))
    cur = scorecard_currency()
    out: dict[int, dict[str, Any]] = {pid: {} for pid in ids}
    if not ids:
        return out
    days = Q(day__gte=start, day__lte=end, partner_id__in=ids)
    leads = (
        LeadRollup.objects.filter(days)
        .values("partner_id")
        .annotate(
            accepted=Sum("accepted"),
            won=Sum("leads", filter=Q(status=LeadStatus.WON)),
            lost=Sum("leads", filter=Q(status=LeadStatus.LOST)),
            revenue=MoneySum("won_value", filter=Q(status=LeadStatus.WON, currency=cur)),
        )
        .order_by()
    )
    lead_rows = {r["partner_id"]: r for r in leads}
    breaches = dict(
        LeadEventRollup.objects.filter(days)
        .values("partner_id")
        .annotate(b=Sum("breaches"))
        .order_by()
        .values_list("partner_id", "b")
    )
    orders = dict(
        OrderRollup.objects.filter(days, status__in=REVENUE_STATUSES, currency=cur)
        .values("partner_id")
        .annotate(t=MoneySum("total"))
        .order_by()
        .values_list("partner_id", "t")
    )
    tz = timezone.get_current_timezone()
    start_dt = datetime.combine(start, time.min, tzinfo=tz)
    end_dt = datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)
    resolve: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pid, bucket, n in (
        DurationRollup.objects.filter(days, kind=DurationRollup.Kind.RESOLVE)
        .values("partner_id", "bucket")
        .annotate(n=Sum("count"))
        .order_by("partner_id", "bucket")
        .values_list("partner_id", "bucket", "n")
    ):
        resolve[pid].append((bucket, int(n or 0)))
    funds = {
        r["partner_id"]: r
        for r in FundAllocation.objects.filter(
            partner_id__in=ids,
            program__currency=cur,
            program__starts_on__lte=end,
            program__ends_on__gte=start,
        )
        .values("partner_id")
        .annotate(amount=MoneySum("amount"), used=MoneySum(F("claimed") + F("paid")))
        .order_by()
    }
    paid = dict(
        Claim.objects.filter(partner_id__in=ids, status=ClaimStatus.PAID, program__currency=cur)
        .filter(paid_on__gte=start, paid_on__lte=end)
        .values("partner_id")
        .annotate(t=MoneySum("approved_amount"))
        .order_by()
        .values_list("partner_id", "t")
    )
    codes = FundRequest.objects.filter(partner_id__in=ids, approved_amount__isnull=False).values(
        "campaign_code"
    )
    campaign = dict(
        Lead.objects.filter(
            partner_id__in=ids,
            campaign_code__in=codes,
            status=LeadStatus.WON,
            currency=cur,
            created_at__gte=start_dt,
            created_at__lt=end_dt,
        )  # fmt: skip
        .values("partner_id")
        .annotate(t=MoneySum("won_value"))
        .order_by()
        .values_list("partner_id", "t")
    )
    certs = dict(
        Partner.objects.filter(pk__in=ids).annotate(n=Count("certifications")).values_list("id", "n")
    )
    for pid in ids:
        lr: dict[str, Any] = dict(lead_rows.get(pid) or {})
        accepted, won, lost = (int(lr.get(k) or 0) for k in ("accepted", "won", "lost"))
        breached = int(breaches.get(pid) or 0)
        fund = funds.get(pid)
        paid_total = paid.get(pid) or ZERO
        out[pid] = {
            MeasureKey.ACCEPTED_IN_WINDOW: percent(accepted, accepted + breached),
            MeasureKey.WIN_RATE: percent(won, won + lost),
            MeasureKey.WON_DEALS: won,
            MeasureKey.WON_REVENUE: lr.get("revenue") or ZERO,
            MeasureKey.ORDER_REVENUE: orders.get(pid) or ZERO,
            MeasureKey.RESOLUTION_HOURS: bucket_hours(median_of_counts(resolve.get(pid, []))),
            MeasureKey.MDF_USAGE: percent(fund["used"] or ZERO, fund["amount"] or ZERO) if fund else None,
            MeasureKey.MDF_ROI: ((campaign.get(pid) or ZERO) / paid_total).quantize(Decimal("0.01"))
            if paid_total
            else None,
            MeasureKey.CERTIFICATIONS: int(certs.get(pid) or 0),
        }
    return out


def _label(key: str, cur: str) -> str:
    label = str(MeasureKey(key).label)
    return f"{label} ({cur})" if UNITS[key] == "money" else label


def _meets(key: str, value: Decimal | int | None, minimum: Decimal) -> bool:
    if key in LOWER_IS_BETTER:
        return value is None or Decimal(value) <= minimum
    return Decimal(value or 0) >= minimum


def _gap(key: str, value: Decimal | int | None, minimum: Decimal, cur: str) -> str:
    """What is missing, as a sentence part: "3 more won deals", "EUR 40,000.00 more won revenue"."""
    have = Decimal(value or 0)
    if key in LOWER_IS_BETTER:
        return f"median resolution time {have - minimum:,.1f} hours shorter (at most {minimum:,.1f} hours)"
    missing = minimum - have
    unit = UNITS[key]
    if key == MeasureKey.WON_DEALS:
        n = int(missing.to_integral_value(rounding="ROUND_CEILING"))
        return f"{n} more won deal{'s' if n != 1 else ''}"
    if key == MeasureKey.CERTIFICATIONS:
        n = int(missing.to_integral_value(rounding="ROUND_CEILING"))
        return f"{n} more certification{'s' if n != 1 else ''}"
    if unit == "money":
        what = "won revenue" if key == MeasureKey.WON_REVENUE else "order revenue"
        return f"{cur} {missing:,.2f} more {what}"
    if unit == "percent":
        return f"{str(MeasureKey(key).label).split(' (')[0].lower()} {missing:,.1f} points higher (at least {minimum:,.1f} %)"
    return f"{str(MeasureKey(key).label).lower()} at least {minimum:,.2f}"


def _requirements(tier_ids: Iterable[int]) -> dict[int, list[TierRequirement]]:
    out: dict[int, list[TierRequirement]] = defaultdict(list)
    for req in TierRequirement.objects.filter(tier_id__in=set(tier_ids)).order_by("measure"):
        out[req.tier_id].append(req)
    return out


def _next_tiers() -> dict[int, Tier | None]:
    tiers = list(Tier.objects.order_by("rank"))
    return {t.pk: (tiers[i + 1] if i + 1 < len(tiers) else None) for i, t in enumerate(tiers)}


def _ranks(partners: list[Partner], start: date, end: date) -> dict[int, tuple[int | None, int]]:
    """(rank by won revenue among the active partners of its tier, how many there are) per partner."""
    cur = scorecard_currency()
    tier_ids = {p.tier_id for p in partners}
    peers = list(
        Partner.objects.filter(tier_id__in=tier_ids, status=PartnerStatus.ACTIVE).values_list("id", "tier_id")
    )
    revenue = dict(
        LeadRollup.objects.filter(
            day__gte=start,
            day__lte=end,
            partner_id__in=[pid for pid, _ in peers],
            status=LeadStatus.WON,
            currency=cur,
        )
        .values("partner_id")
        .annotate(t=MoneySum("won_value"))
        .order_by()
        .values_list("partner_id", "t")
    )
    by_tier: dict[int, list[Decimal]] = defaultdict(list)
    for pid, tid in peers:
        by_tier[tid].append(revenue.get(pid) or ZERO)
    out: dict[int, tuple[int | None, int]] = {}
    for p in partners:
        values = by_tier.get(p.tier_id, [])
        if p.status != PartnerStatus.ACTIVE:
            out[p.pk] = (None, len(values))
            continue
        mine = revenue.get(p.pk) or ZERO
        out[p.pk] = (1 + sum(1 for v in values if v > mine), len(values))
    return out


def _cards(partners: list[Partner], today: date | None) -> list[Scorecard]:
    start, end = period(today)
    cur = scorecard_currency()
    values = measure_values((p.pk for p in partners), start, end)
    nexts = _next_tiers()
    requirements = _requirements([p.tier_id for p in partners] + [t.pk for t in nexts.values() if t])
    ranks = _ranks(partners, start, end)
    cards = []
    for p in partners:
        v = values[p.pk]
        measures = [
            Measure(key=k, label=_label(k, cur), value=v[k], unit=UNITS[k]) for k in MeasureKey.values
        ]
        next_tier = nexts.get(p.tier_id)
        gaps = [
            _gap(r.measure, v[r.measure], r.minimum, cur)
            for r in (requirements.get(next_tier.pk, []) if next_tier else [])
            if not _meets(r.measure, v[r.measure], r.minimum)
        ]
        shortfalls = [
            _gap(r.measure, v[r.measure], r.minimum, cur)
            for r in requirements.get(p.tier_id, [])
            if not _meets(r.measure, v[r.measure], r.minimum)
        ]
        rank, peers = ranks[p.pk]
        cards.append(
            Scorecard(
                partner=p,
                period_start=start,
                period_end=end,
                measures=measures,
                rank=rank,
                peers=peers,
                next_tier=next_tier,
                gaps=gaps,
                matches_tier=not shortfalls,
                shortfalls=shortfalls,
                currency=cur,
            )  # fmt: skip
        )
    return cards


def scorecard(user: Any, partner: Partner, *, today: date | None = None) -> Scorecard:
    """The scorecard of a partner the caller already fetched through its scope."""
    return _cards([partner], today)[0]


def off_tier_partners(user: Any, *, today: date | None = None) -> list[Scorecard]:
    """Active partners in the caller's scope whose measures no longer meet their tier's requirements,
    most shortfalls first. Channel staff only (partners get an empty list)."""
    if not access.actor_of(user).is_channel:
        return []
    tiers_with_rules = TierRequirement.objects.values("tier_id")
    partners = list(
        access.scope_partners(user, Partner.objects.select_related("tier"))
        .filter(status=PartnerStatus.ACTIVE, tier_id__in=tiers_with_rules)
        .order_by("name", "id")
    )
    cards = [c for c in _cards(partners, today) if not c.matches_tier]
    return sorted(cards, key=lambda c: (-len(c.shortfalls), c.partner.name))
