"""The dashboards' figures, scoped by the access policy (partners.access).

Scope: a channel admin sees every partner (and the channel's queue of leads no partner holds); a
channel manager the partners they manage, their sub-partners and partners shared with them (plus the
queue); a partner manager their partner and its sub-partners; a partner employee their own partner.
Explicit shares of single leads are not counted: a co-selling partner must never see another
partner's numbers, not even in a total. The dimension filters (country, region, tier, type, partner)
are the partner's attributes; the category filter applies to leads, deal registrations and service
requests (by product), not to orders or MDF.

Where figures come from:
- roll-ups (analytics.rollups): lead funnel and statuses, won revenue and pipeline, acceptance
  counts, breaches, declines and re-dispatches, orders by status, revenue, service counts, top
  products and solutions;
- the duration histogram (DurationRollup, tenths of an hour): the medians of the time to accept,
  to resolve and to deliver, exact at that resolution;
- raw tables, read with the scope and period on their `(partner_id, created_at)` indexes: deal
  registrations, and MDF (allocations, requests and claims, cycle times and ROI: thousands of rows,
  not millions).

Money is Decimal and summed per currency; different currencies are never added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics import rollups
from analytics.figures import SECTIONS, AnalyticsFilters, Dashboard, Figure
from analytics.models import (
    DurationRollup,
    LeadChannelRollup,
    LeadEventRollup,
    LeadMonthRollup,
    LeadRollup,
    OrderChannelRollup,
    OrderMonthRollup,
    OrderRollup,
    ServiceRollup,
)
from catalog.models import Category, Product
from core.countries import COUNTRY_CHOICES, country_name
from leads.choices import OPEN_STATUSES, LeadStatus, RegistrationStatus
from leads.models import DealRegistration, Lead
from mdf import rules as mdf_rules
from mdf.choices import ClaimStatus, ProgramStatus
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest
from orders.choices import OrderStatus
from partners import access
from partners.choices import PartnerType, Role
from partners.models import Partner, Tier
from service.choices import ServiceStatus
from service.models import Solution

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class MoneySum(Sum):
    """A sum of money, to the cent on every database: SQLite adds decimals as floats and hands back
    e.g. 617.280000000000 or 315 (an aggregate is not quantized like a column), PostgreSQL exact
    numerics; both come out as Decimal("617.28"), Decimal("315.00")."""

    def get_db_converters(self, connection: Any) -> list[Any]:
        return [*super().get_db_converters(connection), _to_cents]


def _to_cents(value: Any, expression: Any, connection: Any) -> Any:
    return None if value is None else Decimal(value).quantize(CENT)


ONE_DECIMAL = Decimal("0.1")
# Orders that count as revenue: submitted and on their way or delivered (not drafts, not cancelled).
REVENUE_STATUSES = [
    OrderStatus.SUBMITTED,
    OrderStatus.ACCEPTED,
    OrderStatus.CONFIRMED,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
]
OPEN_LEAD_STATUSES = sorted(OPEN_STATUSES)
RESOLVED_SERVICE = [ServiceStatus.RESOLVED, ServiceStatus.CLOSED]
TOP = 10
NO_PARTNER = "Not dispatched"


# --- Small exact helpers (the exactness tests use the same definitions) ---------------------------


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal | None:
    """part / whole in percent to one decimal (None when whole is 0)."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE_DECIMAL)


def median(values: Iterable[int]) -> Decimal | None:
    """The exact median of whole numbers (the mean of the middle two for an even count)."""
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return Decimal(ordered[mid])
    return (Decimal(ordered[mid - 1]) + Decimal(ordered[mid])) / 2


def hours(seconds: Decimal | None) -> Decimal | None:
    return None if seconds is None else (seconds / 3600).quantize(ONE_DECIMAL)


def days(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(ONE_DECIMAL)


def median_of_counts(pairs: Iterable[tuple[int, int]]) -> Decimal | None:
    """The exact median of a histogram given as (value, how many) pairs sorted by value."""
    pairs = [(v, n) for v, n in pairs if n > 0]
    total = sum(n for _, n in pairs)
    if not total:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based positions of the middle one or two
    found: list[int] = []
    seen = 0
    for value, n in pairs:
        while wanted and wanted[0] < seen + n:
            found.append(value)
            wanted.pop(0)
        seen += n
    return (Decimal(found[0]) + Decimal(found[1])) / 2


def bucket_hours(bucket: Decimal | None) -> Decimal | None:
    """A duration in tenths of an hour (DurationRollup.bucket), in hours."""
    return None if bucket is None else (bucket / 10).quantize(ONE_DECIMAL)


def bucket_days(bucket: Decimal | None) -> Decimal | None:
    """A duration in tenths of an hour, in days."""
    return None if bucket is None else (bucket / 240).quantize(ONE_DECIMAL)


def month_label(value: date | datetime) -> str:
    return f"{value.year:04d}-{value.month:02d}"


def _num(value: Any) -> Any:
    """A chart value: numbers as str (Decimal) or int; None stays None."""
    if isinstance(value, Decimal):
        return str(value)
    return value


# --- Scope ------------------------------------------------------------------------------------------


@dataclass
class Scope:
    """The partners whose numbers a figure may count: `partner_ids` None means every partner;
    `unowned` adds the leads no partner holds (the channel's queue)."""

    partner_ids: list[int] | None
    unowned: bool
    funds: bool = True

    def q(self, field_name: str = "partner_id") -> Q:
        if self.partner_ids is None:
            return Q() if self.unowned else Q(**{f"{field_name}__isnull": False})
        rule = Q(**{f"{field_name}__in": self.partner_ids})
        if self.unowned:
            rule |= Q(**{f"{field_name}__isnull": True})
        return rule

    @property
    def empty(self) -> bool:
        return self.partner_ids == [] and not self.unowned


NOTHING = Scope(partner_ids=[], unowned=False, funds=False)


def analytics_scope(user: Any, filters: AnalyticsFilters | None = None) -> Scope:
    """The partners (and queue) this user's figures count, narrowed by the partner filters."""
    actor = access.actor_of(user)
    if actor.role is None:
        return NOTHING
    funds = mdf_rules.sees_funds(user)
    ids: list[int] | None
    if actor.role == Role.CHANNEL_ADMIN:
        ids, unowned = None, True
    elif actor.role == Role.CHANNEL_MANAGER:
        ids, unowned = list(access.managed_partner_id_list(user)), True
    elif actor.role == Role.PARTNER_MANAGER:
        own = actor.partner_id or 0
        ids = [own, *Partner.objects.filter(parent_id=own).order_by("id").values_list("id", flat=True)]
        unowned = False
    else:
        ids, unowned = [actor.partner_id or 0], False
    if filters is not None and (
        filters.countries
        or filters.region
        or filters.tier_ids
        or filters.partner_types
        or filters.partner_ids
    ):
        partners = Partner.objects.order_by("id")
        if ids is not None:
            partners = partners.filter(id__in=ids)
        if filters.countries:
            partners = partners.filter(country__in=filters.countries)
        if filters.region:
            partners = partners.filter(region__iexact=filters.region)
        if filters.tier_ids:
            partners = partners.filter(tier_id__in=filters.tier_ids)
        if filters.partner_types:
            partners = partners.filter(type__in=filters.partner_types)
        if filters.partner_ids:
            partners = partners.filter(id__in=filters.partner_ids)
        ids, unowned = list(partners.values_list("id", flat=True)), False
    return Scope(partner_ids=ids, unowned=unowned, funds=funds)


def _start_dt(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.get_current_timezone())


def _end_dt(d: date) -> datetime:
    """The first moment after the inclusive end day."""
    return _start_dt(d + timedelta(days=1))


@dataclass
class Context:
    """What every figure builder needs: user, filters, scope, and the partners met so far."""

    user: Any
    filters: AnalyticsFilters
    scope: Scope
    _partners: dict[int, dict[str, Any]] = field(default_factory=dict)
    memo: dict[Any, Any] = field(default_factory=dict)  # grouped reads shared by several figures

    def created_range(self, field_name: str = "created_at") -> Q:
        return Q(
            **{
                f"{field_name}__gte": _start_dt(self.filters.start),
                f"{field_name}__lt": _end_dt(self.filters.end),
            }
        )

    def day_range(self) -> Q:
        return Q(day__gte=self.filters.start, day__lte=self.filters.end)

    def categories(self, field_name: str = "category_id") -> Q:
        return Q(**{f"{field_name}__in": self.filters.category_ids}) if self.filters.category_ids else Q()

    def rollup(self, model: Any, *, category: bool = True) -> QuerySet[Any]:
        if self.scope.empty:
            return model.objects.none()  # type: ignore[no-any-return]
        qs = model.objects.order_by().filter(self.day_range(), self.scope.q("partner_id"))
        return qs.filter(self.categories()) if category else qs  # type: ignore[no-any-return]

    def whole_months(self) -> tuple[date, date] | None:
        """The first and last day of the calendar months wholly inside the period (None if none)."""
        start, end = self.filters.start, self.filters.end
        first = start if start.day == 1 else (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        last = end if (end + timedelta(days=1)).day == 1 else end.replace(day=1) - timedelta(days=1)
        return (first, last) if first <= last else None

    def grouped(
        self,
        day_model: Any,
        month_model: Any,
        fields: list[str],
        aggregates: dict[str, Any],
        *,
        category: bool = True,
        where: Q | None = None,
        channel_model: Any = None,
    ) -> list[dict[str, Any]]:
        """`aggregates` of a daily roll-up grouped by `fields` ("month" = the calendar month of
        `day`) over the scope and period, in one query: the period's whole months are read from
        the monthly table (`month_model`: the daily rows summed by month), the days of its partial
        months from the daily one, and the two sums added here. When the scope is the whole channel
        (every partner and the queue) and the grouping is not per partner, `channel_model` (the
        daily rows summed over every partner) answers alone. Rows sorted by `fields`, NULLs last."""
        if self.scope.empty:
            return []
        months = self.whole_months()
        base = Q(self.scope.q("partner_id"), self.categories() if category else Q(), where or Q())
        parts: list[QuerySet[Any]] = []
        whole_channel = self.scope.partner_ids is None and self.scope.unowned
        if channel_model is not None and whole_channel and "partner_id" not in fields:
            channel = Q(self.categories() if category else Q(), where or Q())
            parts.append(channel_model.objects.filter(channel, self.day_range()))
        elif months is None:
            parts.append(day_model.objects.filter(base, self.day_range()))
        else:
            start, end = self.filters.start, self.filters.end
            parts.append(month_model.objects.filter(base, day__gte=months[0], day__lte=months[1]))
            # The days before the first whole month and after the last, each a plain range (an
            # index range scan); an empty one is not read.
            if start < months[0]:
                parts.append(day_model.objects.filter(base, day__gte=start, day__lt=months[0]))
            if months[1] < end:
                parts.append(day_model.objects.filter(base, day__gt=months[1], day__lte=end))
        selects = []
        for qs in parts:
            qs = qs.order_by()
            if "month" in fields:
                qs = qs.annotate(month=TruncMonth("day"))
            selects.append(qs.values(*fields).annotate(**aggregates).order_by())
        query = selects[0].union(*selects[1:], all=True) if len(selects) > 1 else selects[0]
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in query:
            key = tuple(row[f] for f in fields)
            acc = merged.get(key)
            if acc is None:
                merged[key] = dict(row)
                continue
            for name in aggregates:
                if row[name] is not None:
                    acc[name] = row[name] if acc[name] is None else acc[name] + row[name]
        return sorted(merged.values(), key=lambda r: tuple((r[f] is None, r[f] or 0) for f in fields))

    def raw(self, queryset: QuerySet[Any], *, category_field: str | None = None) -> QuerySet[Any]:
        if self.scope.empty:
            return queryset.none()
        qs = queryset.order_by().filter(self.created_range(), self.scope.q("partner_id"))
        return qs.filter(self.categories(category_field)) if category_field else qs

    def partners(self, ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
        """Name, country and tier of these partners (one query for those not yet read)."""
        missing = {i for i in ids if i is not None and i not in self._partners}
        if len(missing) > 1000 and self.scope.partner_ids is None:  # most of the channel: read it whole
            for row in Partner.objects.values("id", "name", "country", "tier__name", "tier__rank"):
                self._partners.setdefault(row["id"], dict(row))
            missing -= set(self._partners)
        if missing:
            for row in Partner.objects.filter(id__in=missing).values(
                "id", "name", "country", "tier__name", "tier__rank"
            ):
                self._partners[row["id"]] = dict(row)
        return self._partners

    def partner_name(self, pid: int | None) -> str:
        if pid is None:
            return NO_PARTNER
        known = self._partners.get(pid) or self.partners([pid]).get(pid, {})
        return str(known.get("name", f"Partner {pid}"))


# --- Sales ------------------------------------------------------------------------------------------


def _lead_totals(ctx: Context) -> dict[str, Any]:
    if "lead_totals" not in ctx.memo:
        ctx.memo["lead_totals"] = _read_lead_totals(ctx)
    return ctx.memo["lead_totals"]  # type: ignore[no-any-return]


def _read_lead_totals(ctx: Context) -> dict[str, Any]:
    rows = ctx.grouped(
        LeadRollup,
        LeadMonthRollup,
        ["status"],
        {"n": Sum("leads"), "d": Sum("dispatched"), "a": Sum("accepted")},
        channel_model=LeadChannelRollup,
    )
    by_status = {r["status"]: int(r["n"] or 0) for r in rows}
    return {
        "by_status": by_status,
        "leads": sum(by_status.values()),
        "dispatched": sum(int(r["d"] or 0) for r in rows),
        "accepted": sum(int(r["a"] or 0) for r in rows),
    }


def sales_funnel(ctx: Context) -> Figure:
    t = _lead_totals(ctx)
    s = t["by_status"]
    qualified = s.get(LeadStatus.QUALIFIED, 0) + s.get(LeadStatus.WON, 0)
    stages = [
        ("Created", t["leads"], None),
        ("Dispatched", t["dispatched"], t["leads"]),
        ("Accepted", t["accepted"], t["dispatched"]),
        ("Qualified or won", qualified, t["accepted"]),
        ("Won", s.get(LeadStatus.WON, 0), qualified),
        ("Lost", s.get(LeadStatus.LOST, 0), t["leads"]),
    ]
    rows = [
        [name, n, percent(n, prev) if prev is not None else None, percent(n, t["leads"])]
        for name, n, prev in stages
    ]
    return Figure(
        key="sales.funnel",
        section="sales",
        title="Lead funnel",
        columns=["Stage", "Leads", "Conversion from the stage before (%)", "Share of all leads (%)"],
        rows=rows if t["leads"] else [],
        chart={"type": "bar", "labels": [r[0] for r in rows], "datasets": [{"label": "Leads", "values": [r[1] for r in rows]}]},
        description="Leads that came in during the period, by how far they got; lost is counted against all leads.",
    )  # fmt: skip


def sales_status(ctx: Context) -> Figure:
    by_status = _lead_totals(ctx)["by_status"]
    rows = [[label, by_status[value]] for value, label in LeadStatus.choices if by_status.get(value)]
    return Figure(
        key="sales.status",
        section="sales",
        title="Leads by status",
        columns=["Status", "Leads"],
        rows=rows,
        chart={"type": "doughnut", "labels": [r[0] for r in rows], "datasets": [{"label": "Leads", "values": [r[1] for r in rows]}]},
        description="Where the leads of the period stand now.",
    )  # fmt: skip


def _durations(
    ctx: Context, kind: str, group: str | None, *, category: bool = True
) -> dict[Any, list[tuple[int, int]]]:
    """(bucket, count) pairs of the duration histogram, sorted by bucket, per `group` value (or under
    None), for the scope and period."""
    qs = ctx.rollup(DurationRollup, category=category).filter(kind=kind)
    fields: list[str] = ["bucket"]
    if group == "month":
        qs = qs.annotate(month=TruncMonth("day"))
    if group:
        fields = [group, "bucket"]
    out: dict[Any, list[tuple[int, int]]] = defaultdict(list)
    for row in qs.values(*fields).annotate(n=Sum("count")).order_by(*fields):
        out[row[group] if group else None].append((int(row["bucket"]), int(row["n"] or 0)))
    return out


def sales_acceptance(ctx: Context) -> Figure:
    counts: dict[int, list[int]] = {}
    for r in _won_rows(ctx, "partner_id"):
        if r["partner_id"] is not None:
            acc = counts.setdefault(r["partner_id"], [0, 0])
            acc[0] += int(r["dispatched"] or 0)
            acc[1] += int(r["accepted"] or 0)
    breaches = dict(
        ctx.rollup(LeadEventRollup)
        .filter(partner_id__isnull=False)
        .values("partner_id")
        .annotate(b=Sum("breaches"))
        .values_list("partner_id", "b")
    )
    waits = _durations(ctx, DurationRollup.Kind.ACCEPT, "partner_id")
    data: dict[int, list[int]] = counts
    for pid in breaches:
        data.setdefault(pid, [0, 0])
    ctx.partners(data)
    rows: list[list[Any]] = []
    for pid, (dispatched, accepted) in data.items():
        rows.append([
            ctx.partner_name(pid), dispatched, accepted, percent(accepted, dispatched),
            bucket_hours(median_of_counts(waits.get(pid, []))), int(breaches.get(pid) or 0),
        ])  # fmt: skip
    rows.sort(key=lambda r: (-r[1], r[0]))
    return Figure(
        key="sales.acceptance",
        section="sales",
        title="Acceptance by partner",
        columns=["Partner", "Dispatched", "Accepted", "Acceptance rate (%)", "Median time to accept (hours)", "Window breaches"],
        rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows],
               "datasets": [{"label": "Acceptance rate (%)", "values": [_num(r[3]) for r in rows]}]},
        description="Of the leads that came in during the period and went to each partner: how many it accepted, how fast, and how often it let the acceptance window pass.",
    )  # fmt: skip


def sales_breaches(ctx: Context) -> Figure:
    rows_qs = (
        ctx.rollup(LeadEventRollup)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(b=Sum("breaches"), d=Sum("declines"), r=Sum("redispatches"))
        .order_by("month")
    )
    rows = [[month_label(r["month"]), int(r["b"] or 0), int(r["d"] or 0), int(r["r"] or 0)] for r in rows_qs]
    rows = [r for r in rows if r[1] or r[2] or r[3]]
    return Figure(
        key="sales.breaches",
        section="sales",
        title="Acceptance-window breaches and re-dispatches",
        columns=["Month", "Window breaches", "Declines", "Re-dispatches"],
        rows=rows,
        chart={"type": "line", "labels": [r[0] for r in rows], "datasets": [
            {"label": "Window breaches", "values": [r[1] for r in rows]},
            {"label": "Re-dispatches", "values": [r[3] for r in rows]},
        ]},
        description="Leads not accepted in time, declined, and given to a partner again, by the month it happened.",
    )  # fmt: skip


def _won_rows(ctx: Context, group: str) -> list[dict[str, Any]]:
    """Won deals and revenue, open leads and pipeline (and dispatched/accepted counts) grouped by
    `group` and currency; read once per context (several figures share it)."""
    key = ("won_rows", group)
    if key not in ctx.memo:
        ctx.memo[key] = _read_won_rows(ctx, group)
    return ctx.memo[key]  # type: ignore[no-any-return]


def _read_won_rows(ctx: Context, group: str) -> list[dict[str, Any]]:
    fields = [group, "currency"] if group != "currency" else ["currency"]
    return ctx.grouped(LeadRollup, LeadMonthRollup, fields, {
        "won": Sum("leads", filter=Q(status=LeadStatus.WON)),
        "revenue": MoneySum("won_value", filter=Q(status=LeadStatus.WON)),
        "pipeline": MoneySum("estimated_value", filter=Q(status__in=OPEN_LEAD_STATUSES)),
        "open_leads": Sum("leads", filter=Q(status__in=OPEN_LEAD_STATUSES)),
        "dispatched": Sum("dispatched"),
        "accepted": Sum("accepted"),
    }, channel_model=LeadChannelRollup)  # fmt: skip


def _money_rows(rows: list[dict[str, Any]], label: Callable[[Any], str]) -> list[list[Any]]:
    """Grouped won/pipeline rows to table rows (label, currency, won deals, won revenue, open leads,
    pipeline), skipping rows with neither."""
    out = []
    for r in rows:
        won, open_leads = int(r["won"] or 0), int(r["open_leads"] or 0)
        if not won and not open_leads:
            continue
        out.append([label(r), r["currency"], won, r["revenue"] or ZERO, open_leads, r["pipeline"] or ZERO])
    return out


def _currency_chart(
    rows: list[list[Any]], value_index: int, what: str, chart_type: str = "bar"
) -> dict[str, Any]:
    labels = list(dict.fromkeys(r[0] for r in rows))
    currencies = sorted({r[1] for r in rows})
    values = {(r[0], r[1]): r[value_index] for r in rows}
    return {
        "type": chart_type,
        "labels": labels,
        "datasets": [
            {"label": f"{what} ({cur})", "values": [_num(values.get((lab, cur), ZERO)) for lab in labels]}
            for cur in currencies
        ],
    }


WON_COLUMNS = ["Currency", "Won deals", "Won revenue", "Open leads", "Pipeline"]


def sales_won_by_month(ctx: Context) -> Figure:
    rows = _money_rows(_won_rows(ctx, "month"), lambda r: month_label(r["month"]))
    return Figure(
        key="sales.won_by_month", section="sales", title="Won revenue and pipeline by month",
        columns=["Month", *WON_COLUMNS], rows=rows, chart=_currency_chart(rows, 3, "Won revenue", "line"),
        description="Won revenue and the estimated value of open leads, by the month the leads came in, per currency.",
    )  # fmt: skip


def sales_won_by_partner(ctx: Context) -> Figure:
    raw = _won_rows(ctx, "partner_id")
    ctx.partners(r["partner_id"] for r in raw)
    rows = _money_rows(raw, lambda r: ctx.partner_name(r["partner_id"]))
    rows.sort(key=lambda r: (r[1], -r[3], r[0]))
    return Figure(
        key="sales.won_by_partner", section="sales", title="Won revenue and pipeline by partner",
        columns=["Partner", *WON_COLUMNS], rows=rows, chart=_currency_chart(rows, 3, "Won revenue"),
        description="Won revenue and pipeline of the period's leads, per partner and currency.",
    )  # fmt: skip


def _won_by_attribute(
    ctx: Context, attribute: Callable[[dict[str, Any] | None], tuple[Any, str]]
) -> list[list[Any]]:
    raw = _won_rows(ctx, "partner_id")
    info = ctx.partners(r["partner_id"] for r in raw)
    merged: dict[tuple[Any, str, str], list[Any]] = {}
    for r in raw:
        sort_key, label = attribute(info.get(r["partner_id"]) if r["partner_id"] is not None else None)
        acc = merged.setdefault((sort_key, label, r["currency"]), [0, ZERO, 0, ZERO])
        acc[0] += int(r["won"] or 0)
        acc[1] += r["revenue"] or ZERO
        acc[2] += int(r["open_leads"] or 0)
        acc[3] += r["pipeline"] or ZERO
    return [[label, cur, *acc] for (_, label, cur), acc in sorted(merged.items()) if acc[0] or acc[2]]


def sales_won_by_tier(ctx: Context) -> Figure:
    def tier(p: dict[str, Any] | None) -> tuple[Any, str]:
        return (-1, NO_PARTNER) if p is None else (-(p["tier__rank"] or 0), p["tier__name"])

    rows = _won_by_attribute(ctx, tier)
    return Figure(
        key="sales.won_by_tier", section="sales", title="Won revenue and pipeline by tier",
        columns=["Tier", *WON_COLUMNS], rows=rows, chart=_currency_chart(rows, 3, "Won revenue"),
        description="Won revenue and pipeline of the period's leads, by the partner's current tier.",
    )  # fmt: skip


def sales_won_by_country(ctx: Context) -> Figure:
    def country(p: dict[str, Any] | None) -> tuple[Any, str]:
        return ("~", NO_PARTNER) if p is None else (p["country"], country_name(p["country"]) or p["country"])

    rows = _won_by_attribute(ctx, country)
    return Figure(
        key="sales.won_by_country", section="sales", title="Won revenue and pipeline by country",
        columns=["Country", *WON_COLUMNS], rows=rows, chart=_currency_chart(rows, 3, "Won revenue"),
        description="Won revenue and pipeline of the period's leads, by the partner's country.",
    )  # fmt: skip


def sales_registrations(ctx: Context) -> Figure:
    qs = ctx.raw(DealRegistration.objects.all(), category_field="category_id")
    counts = dict(qs.values("status").annotate(n=Count("id")).values_list("status", "n"))
    conflicts = dict(
        qs.exclude(conflicts=[]).values("status").annotate(n=Count("id")).values_list("status", "n")
    )
    rows = [
        [label, counts.get(value, 0), conflicts.get(value, 0)]
        for value, label in RegistrationStatus.choices
        if counts.get(value)
    ]
    return Figure(
        key="sales.registrations", section="sales", title="Deal registrations and conflicts",
        columns=["Status", "Registrations", "With conflicts"], rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows], "datasets": [
            {"label": "Registrations", "values": [r[1] for r in rows]},
            {"label": "With conflicts", "values": [r[2] for r in rows]},
        ]},
        description="Deal registrations submitted in the period, by status, and how many clashed with another partner's customer, lead or registration.",
    )  # fmt: skip


# --- Service ----------------------------------------------------------------------------------------


def service_by_month(ctx: Context) -> Figure:
    rows_qs = (
        ctx.rollup(ServiceRollup)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(n=Sum("requests"), r=Sum("resolved"), e=Sum("escalated"))
        .order_by("month")
    )
    rows = [
        [month_label(r["month"]), int(r["n"] or 0), int(r["r"] or 0), int(r["e"] or 0), percent(int(r["e"] or 0), int(r["n"] or 0))]
        for r in rows_qs
    ]  # fmt: skip
    return Figure(
        key="service.by_month", section="service", title="Service requests opened and resolved",
        columns=["Month", "Opened", "Resolved", "Escalated", "Escalation rate (%)"], rows=rows,
        chart={"type": "line", "labels": [r[0] for r in rows], "datasets": [
            {"label": "Opened", "values": [r[1] for r in rows]},
            {"label": "Resolved", "values": [r[2] for r in rows]},
        ]},
        description="Requests registered each month, and how many of them are resolved or escalated.",
    )  # fmt: skip


def service_resolution(ctx: Context) -> Figure:
    totals = ctx.rollup(ServiceRollup).aggregate(n=Sum("requests"), r=Sum("resolved"), e=Sum("escalated"))
    opened, resolved, escalated = (int(totals[k] or 0) for k in ("n", "r", "e"))
    times = _durations(ctx, DurationRollup.Kind.RESOLVE, None).get(None, [])
    rows: list[list[Any]] = [
        ["Requests opened", opened],
        ["Resolved", resolved],
        ["Escalation rate (%)", percent(escalated, opened)],
        ["Median time to resolve (hours)", bucket_hours(median_of_counts(times))],
    ]
    return Figure(
        key="service.resolution", section="service", title="Resolution and escalation",
        columns=["Measure", "Value"], rows=rows if opened else [],
        chart={"type": "bar", "labels": ["Opened", "Resolved", "Escalated"],
               "datasets": [{"label": "Requests", "values": [opened, resolved, escalated]}]},
        description="Requests registered in the period: how many are resolved, how many were escalated, and the median time from registration to resolution.",
    )  # fmt: skip


def service_top_products(ctx: Context) -> Figure:
    top = list(
        ctx.rollup(ServiceRollup)
        .filter(product_id__isnull=False)
        .values("product_id")
        .annotate(n=Sum("requests"), e=Sum("escalated"))
        .order_by("-n", "product_id")[:TOP]
    )
    names = {
        p.pk: f"{p.sku} {p.name}"
        for p in Product.objects.filter(pk__in=[r["product_id"] for r in top]).only("sku", "name")
    }
    rows = [
        [names.get(r["product_id"], str(r["product_id"])), int(r["n"] or 0), int(r["e"] or 0)] for r in top
    ]
    return Figure(
        key="service.top_products", section="service", title="Products with the most problems",
        columns=["Product", "Requests", "Escalated"], rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows], "datasets": [{"label": "Requests", "values": [r[1] for r in rows]}]},
        description=f"The {TOP} products with the most service requests in the period.",
    )  # fmt: skip


def service_top_solutions(ctx: Context) -> Figure:
    top = list(
        ctx.rollup(ServiceRollup)
        .filter(solution_id__isnull=False)
        .values("solution_id")
        .annotate(n=Sum("resolved"))
        .filter(n__gt=0)
        .order_by("-n", "solution_id")[:TOP]
    )
    titles = dict(Solution.objects.filter(pk__in=[r["solution_id"] for r in top]).values_list("id", "title"))
    rows = [[titles.get(r["solution_id"], str(r["solution_id"])), int(r["n"] or 0)] for r in top]
    return Figure(
        key="service.top_solutions", section="service", title="Solutions that resolved most",
        columns=["Solution", "Requests resolved"], rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows], "datasets": [{"label": "Resolved", "values": [r[1] for r in rows]}]},
        description=f"The {TOP} knowledge-base solutions linked to the most resolved requests of the period.",
    )  # fmt: skip


# --- Marketing (MDF) --------------------------------------------------------------------------------


def _allocations(ctx: Context) -> QuerySet[FundAllocation]:
    if not ctx.scope.funds or ctx.scope.empty:
        return FundAllocation.objects.none()
    qs = FundAllocation.objects.order_by().filter(
        ctx.scope.q("partner_id"),
        program__starts_on__lte=ctx.filters.end,
        program__ends_on__gte=ctx.filters.start,
    )
    if access.actor_of(ctx.user).is_partner:
        qs = qs.exclude(program__status=ProgramStatus.DRAFT)
    return qs


FUND_FIGURES = ["allocated", "reserved", "claimed", "paid", "expired"]
FUND_COLUMNS = ["Currency", "Allocated", "Reserved", "Claimed", "Paid", "Expired"]


def _fund_rows(ctx: Context, group: str) -> list[dict[str, Any]]:
    return list(
        _allocations(ctx)
        .values(group, "program__currency")
        .annotate(
            allocated=MoneySum(F("amount") + F("expired")),
            reserved=MoneySum("reserved"),
            claimed=MoneySum("claimed"),
            paid=MoneySum("paid"),
            expired=MoneySum("expired"),
        )
        .order_by(group, "program__currency")
    )


def _fund_chart(rows: list[list[Any]]) -> dict[str, Any]:
    return {
        "type": "bar",
        "labels": [f"{r[0]} ({r[1]})" for r in rows],
        "datasets": [
            {"label": label, "values": [_num(r[i + 2]) for r in rows]}
            for i, label in enumerate(FUND_COLUMNS[1:])
        ],
    }


def marketing_by_program(ctx: Context) -> Figure:
    raw = _fund_rows(ctx, "program_id")
    names = dict(FundProgram.objects.filter(pk__in=[r["program_id"] for r in raw]).values_list("id", "name"))
    rows = [
        [names.get(r["program_id"], ""), r["program__currency"], *(r[k] or ZERO for k in FUND_FIGURES)]
        for r in raw
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    return Figure(
        key="marketing.by_program", section="marketing", title="MDF by programme",
        columns=["Programme", *FUND_COLUMNS], rows=rows, chart=_fund_chart(rows),
        description="Money of the programmes running in the period: allocated (before expiry), reserved by approved requests, claimed, paid and expired.",
    )  # fmt: skip


def marketing_by_partner(ctx: Context) -> Figure:
    raw = _fund_rows(ctx, "partner_id")
    ctx.partners(r["partner_id"] for r in raw)
    rows = [
        [ctx.partner_name(r["partner_id"]), r["program__currency"], *(r[k] or ZERO for k in FUND_FIGURES)]
        for r in raw
    ]
    rows.sort(key=lambda r: (r[0], r[1]))
    return Figure(
        key="marketing.by_partner", section="marketing", title="MDF by partner",
        columns=["Partner", *FUND_COLUMNS], rows=rows, chart=_fund_chart(rows),
        description="Each partner's MDF in the programmes running in the period.",
    )  # fmt: skip


def _approval_seconds(ctx: Context) -> list[int]:
    if not ctx.scope.funds or ctx.scope.empty:
        return []
    qs = FundRequest.objects.order_by().filter(
        ctx.scope.q("partner_id"), ctx.created_range("decided_at"),
        approved_amount__isnull=False, submitted_at__isnull=False,
    )  # fmt: skip
    return [
        max(0, int((d - s).total_seconds()))
        for s, d in qs.values_list("submitted_at", "decided_at").iterator()
        if s is not None and d is not None
    ]


def _payment_days(ctx: Context) -> list[int]:
    if not ctx.scope.funds or ctx.scope.empty:
        return []
    qs = Claim.objects.order_by().filter(
        ctx.scope.q("partner_id"),
        status=ClaimStatus.PAID,
        paid_on__gte=ctx.filters.start,
        paid_on__lte=ctx.filters.end,
    )
    return [
        max(0, (paid - timezone.localdate(created)).days)
        for created, paid in qs.values_list("created_at", "paid_on").iterator()
        if paid is not None
    ]


def marketing_cycle_times(ctx: Context) -> Figure:
    approvals, payments = _approval_seconds(ctx), _payment_days(ctx)
    rows: list[list[Any]] = []
    if approvals:
        rows.append(["Request → approval", "hours", len(approvals), hours(median(approvals))])
    if payments:
        rows.append(["Claim → payment", "days", len(payments), days(median(payments))])
    return Figure(
        key="marketing.cycle_times", section="marketing", title="MDF cycle times",
        columns=["Step", "Unit", "Count", "Median"], rows=rows,
        chart={"type": "bar", "labels": [r[0] for r in rows], "datasets": [{"label": "Median", "values": [_num(r[3]) for r in rows]}]},
        description="Median time from a fund request's submission to its approval (requests approved in the period), and from a claim to its payment (claims paid in the period).",
    )  # fmt: skip


def _roi_rows(ctx: Context) -> list[list[Any]]:
    """Per programme (and currency): paid on its claims, and the leads carrying its approved requests'
    campaign codes that belong to the requesting partner (never another partner's leads)."""
    if not ctx.scope.funds or ctx.scope.empty:
        return []
    requests = list(
        FundRequest.objects.order_by("id")
        .filter(ctx.scope.q("partner_id"), approved_amount__isnull=False,
                program__starts_on__lte=ctx.filters.end, program__ends_on__gte=ctx.filters.start)
        .exclude(campaign_code="")
        .exclude(program__status=ProgramStatus.DRAFT if access.actor_of(ctx.user).is_partner else "-")
        .values_list("id", "program_id", "program__name", "program__currency", "partner_id", "campaign_code")
    )  # fmt: skip
    program_of: dict[tuple[str, int], int] = {}
    acc: dict[int, dict[str, Any]] = {}
    for _rid, prog, name, cur, pid, code in requests:
        program_of.setdefault((code, pid), prog)
        acc.setdefault(
            prog, {"name": name, "currency": cur, "paid": ZERO, "leads": 0, "won": 0, "revenue": ZERO}
        )
    paid = (
        Claim.objects.order_by()
        .filter(request_id__in=[r[0] for r in requests], status=ClaimStatus.PAID)
        .values("program_id")
        .annotate(total=MoneySum("approved_amount"))
    )
    for row in paid:
        acc[row["program_id"]]["paid"] += row["total"] or ZERO
    lead_rows = (
        Lead.objects.order_by()
        .filter(campaign_code__in={code for code, _ in program_of}, partner_id__in={pid for _, pid in program_of})
        .values("campaign_code", "partner_id", "currency")
        .annotate(n=Count("id"), won=Count("id", filter=Q(status=LeadStatus.WON)),
                  revenue=MoneySum("won_value", filter=Q(status=LeadStatus.WON)))
    )  # fmt: skip
    for lead_row in lead_rows:
        prog_id = program_of.get((lead_row["campaign_code"], lead_row["partner_id"]))
        if prog_id is None:
            continue
        a = acc[prog_id]
        a["leads"] += lead_row["n"]
        if lead_row["currency"] == a["currency"]:
            a["won"] += lead_row["won"]
            a["revenue"] += lead_row["revenue"] or ZERO
    rows = []
    for a in sorted(acc.values(), key=lambda a: (a["name"], a["currency"])):
        ratio = (a["revenue"] / a["paid"]).quantize(Decimal("0.01")) if a["paid"] else None
        rows.append([a["name"], a["currency"], a["paid"], a["leads"], a["won"], a["revenue"], ratio])
    return rows


def marketing_roi(ctx: Context) -> Figure:
    rows = _roi_rows(ctx)
    return Figure(
        key="marketing.roi", section="marketing", title="MDF return on investment",
        columns=["Programme", "Currency", "Paid", "Campaign leads", "Won deals", "Won revenue", "Won revenue per unit paid"],
        rows=rows,
        chart={"type": "bar", "labels": [f"{r[0]} ({r[1]})" for r in rows],
               "datasets": [{"label": "Won revenue per unit paid", "values": [_num(r[6]) for r in rows]}]},
        description="Won revenue of the leads carrying the campaign codes of each programme's approved requests, per unit of MDF paid (same currency only).",
    )  # fmt: skip


# --- Orders -----------------------------------------------------------------------------------------


def _order_money(ctx: Context, group: str) -> list[dict[str, Any]]:
    return ctx.grouped(
        OrderRollup, OrderMonthRollup, [group, "currency"], {"n": Sum("orders"), "revenue": MoneySum("total")},
        category=False, where=Q(status__in=REVENUE_STATUSES), channel_model=OrderChannelRollup,
    )  # fmt: skip


def orders_revenue_by_month(ctx: Context) -> Figure:
    rows = [
        [month_label(r["month"]), r["currency"], int(r["n"] or 0), r["revenue"] or ZERO]
        for r in _order_money(ctx, "month")
    ]
    return Figure(
        key="orders.revenue_by_month", section="orders", title="Order revenue by month",
        columns=["Month", "Currency", "Orders", "Revenue"], rows=rows, chart=_currency_chart(rows, 3, "Revenue", "line"),
        description="Orders placed each month (submitted or further, not cancelled) and their value, per currency.",
    )  # fmt: skip


def orders_revenue_by_partner(ctx: Context) -> Figure:
    raw = _order_money(ctx, "partner_id")
    ctx.partners(r["partner_id"] for r in raw)
    rows = [
        [ctx.partner_name(r["partner_id"]), r["currency"], int(r["n"] or 0), r["revenue"] or ZERO]
        for r in raw
    ]
    rows.sort(key=lambda r: (r[1], -r[3], r[0]))
    return Figure(
        key="orders.revenue_by_partner", section="orders", title="Order revenue by partner",
        columns=["Partner", "Currency", "Orders", "Revenue"], rows=rows, chart=_currency_chart(rows, 3, "Revenue"),
        description="Each partner's orders of the period (submitted or further, not cancelled) and their value.",
    )  # fmt: skip


def _orders_by_status(ctx: Context) -> list[dict[str, Any]]:
    return ctx.grouped(
        OrderRollup, OrderMonthRollup, ["status", "currency"], {"n": Sum("orders"), "total": MoneySum("total")},
        category=False, channel_model=OrderChannelRollup,
    )  # fmt: skip


def orders_by_status(ctx: Context) -> Figure:
    raw = _orders_by_status(ctx)
    order = {value: i for i, (value, _) in enumerate(OrderStatus.choices)}
    labels = dict(OrderStatus.choices)
    raw.sort(key=lambda r: (order.get(r["status"], 99), r["currency"]))
    rows = [
        [labels.get(r["status"], r["status"]), r["currency"], int(r["n"] or 0), r["total"] or ZERO]
        for r in raw
    ]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[0]] = counts.get(r[0], 0) + r[2]
    return Figure(
        key="orders.by_status", section="orders", title="Orders by status",
        columns=["Status", "Currency", "Orders", "Value"], rows=rows,
        chart={"type": "doughnut", "labels": list(counts), "datasets": [{"label": "Orders", "values": list(counts.values())}]},
        description="Orders created in the period by where they stand now.",
    )  # fmt: skip


def orders_delivery(ctx: Context) -> Figure:
    per_month = _durations(ctx, DurationRollup.Kind.DELIVER, "month", category=False)
    rows = [
        [month_label(m), sum(n for _, n in pairs), bucket_days(median_of_counts(pairs))]
        for m, pairs in sorted(per_month.items())
    ]
    return Figure(
        key="orders.delivery", section="orders", title="Delivery times",
        columns=["Month ordered", "Orders delivered", "Median days from submission to delivery"], rows=rows,
        chart={"type": "line", "labels": [r[0] for r in rows], "datasets": [{"label": "Median days", "values": [_num(r[2]) for r in rows]}]},
        description="Delivered orders of the period, by the month they were placed: the median time from submission to delivery (to a tenth of an hour).",
    )  # fmt: skip


# --- Registry and public selectors -----------------------------------------------------------------

FIGURES: dict[str, tuple[str, Callable[[Context], Figure]]] = {
    "sales.funnel": ("sales", sales_funnel),
    "sales.status": ("sales", sales_status),
    "sales.acceptance": ("sales", sales_acceptance),
    "sales.breaches": ("sales", sales_breaches),
    "sales.won_by_month": ("sales", sales_won_by_month),
    "sales.won_by_partner": ("sales", sales_won_by_partner),
    "sales.won_by_tier": ("sales", sales_won_by_tier),
    "sales.won_by_country": ("sales", sales_won_by_country),
    "sales.registrations": ("sales", sales_registrations),
    "service.by_month": ("service", service_by_month),
    "service.resolution": ("service", service_resolution),
    "service.top_products": ("service", service_top_products),
    "service.top_solutions": ("service", service_top_solutions),
    "marketing.by_program": ("marketing", marketing_by_program),
    "marketing.by_partner": ("marketing", marketing_by_partner),
    "marketing.cycle_times": ("marketing", marketing_cycle_times),
    "marketing.roi": ("marketing", marketing_roi),
    "orders.revenue_by_month": ("orders", orders_revenue_by_month),
    "orders.revenue_by_partner": ("orders", orders_revenue_by_partner),
    "orders.by_status": ("orders", orders_by_status),
    "orders.delivery": ("orders", orders_delivery),
}
SECTION_KEYS = {key for key, _ in SECTIONS}


def _context(user: Any, filters: AnalyticsFilters) -> Context:
    return Context(user=user, filters=filters, scope=analytics_scope(user, filters))


def dashboard(user: Any, filters: AnalyticsFilters, *, section: str | None = None) -> Dashboard:
    """Every figure (or one section's) for this user's scope and filters, with the roll-ups' age.
    An unknown section gives no figures."""
    ctx = _context(user, filters)
    figures = [build(ctx) for (sec, build) in FIGURES.values() if section is None or sec == section]
    if not ctx.scope.funds:
        figures = [f for f in figures if f.section != "marketing"]
    return Dashboard(figures=figures, updated_at=rollups.last_updated(), filters=filters)


def figure(user: Any, filters: AnalyticsFilters, key: str) -> Figure | None:
    """One figure (for exports); None for an unknown key, or a marketing figure for someone who does
    not see funds."""
    entry = FIGURES.get(key)
    if entry is None:
        return None
    ctx = _context(user, filters)
    if entry[0] == "marketing" and not ctx.scope.funds:
        return None
    return entry[1](ctx)


def filter_choices(user: Any) -> dict[str, list[tuple[str, str]]]:
    """The options of the filter form, within the user's scope."""
    scope = analytics_scope(user)
    if scope.empty:
        partners = Partner.objects.none()
    else:
        partners = (
            Partner.objects.filter(scope.q("id")) if scope.partner_ids is not None else Partner.objects.all()
        )
    countries = set(partners.order_by().values_list("country", flat=True).distinct())
    names = dict(COUNTRY_CHOICES)
    tier_ids = set(partners.order_by().values_list("tier_id", flat=True).distinct())
    return {
        "country": sorted(((c, names.get(c, c)) for c in countries), key=lambda o: o[1]),
        "tier": [(str(t.pk), t.name) for t in Tier.objects.filter(pk__in=tier_ids).order_by("rank")],
        "type": [(value, str(label)) for value, label in PartnerType.choices],
        "partner": [
            (str(pk), name) for pk, name in partners.order_by("name", "id").values_list("id", "name")
        ],
        "category": [
            (str(pk), name) for pk, name in Category.objects.order_by("name", "id").values_list("id", "name")
        ],
    }


def summary(user: Any, filters: AnalyticsFilters) -> dict[str, Any]:
    """The API's answer: lead counts by status, won revenue and pipeline per currency, MDF totals per
    currency, order counts by status and totals per currency, for the caller's scope."""
    ctx = _context(user, filters)
    leads = _lead_totals(ctx)
    won = _won_rows(ctx, "currency")
    funds = (
        _allocations(ctx)
        .values("program__currency")
        .annotate(
            allocated=MoneySum(F("amount") + F("expired")), amount=MoneySum("amount"), reserved=MoneySum("reserved"),
            claimed=MoneySum("claimed"), paid=MoneySum("paid"), expired=MoneySum("expired"), allocations=Count("id"),
        )
        .order_by("program__currency")
    )  # fmt: skip
    order_rows = _orders_by_status(ctx)
    order_counts: dict[str, int] = {}
    order_totals: dict[str, Decimal] = {}
    revenue: dict[str, Decimal] = {}
    for r in order_rows:
        order_counts[r["status"]] = order_counts.get(r["status"], 0) + int(r["n"] or 0)
        order_totals[r["currency"]] = order_totals.get(r["currency"], ZERO) + (r["total"] or ZERO)
        if r["status"] in REVENUE_STATUSES:
            revenue[r["currency"]] = revenue.get(r["currency"], ZERO) + (r["total"] or ZERO)
    return {
        "start": filters.start,
        "end": filters.end,
        "updated_at": rollups.last_updated(),
        "leads": {"total": leads["leads"], "by_status": {s: leads["by_status"].get(s, 0) for s in LeadStatus.values}},
        "won_revenue": [
            {"currency": r["currency"], "won_deals": int(r["won"] or 0), "amount": r["revenue"] or ZERO,
             "open_leads": int(r["open_leads"] or 0), "pipeline": r["pipeline"] or ZERO}
            for r in won if r["won"] or r["open_leads"]
        ],
        "mdf": [
            {"currency": r["program__currency"], "allocations": r["allocations"], "allocated": r["allocated"] or ZERO,
             "amount": r["amount"] or ZERO, "reserved": r["reserved"] or ZERO, "claimed": r["claimed"] or ZERO,
             "paid": r["paid"] or ZERO, "expired": r["expired"] or ZERO}
            for r in funds
        ] if ctx.scope.funds else [],
        "orders": {
            "total": sum(order_counts.values()),
            "by_status": {s: order_counts.get(s, 0) for s in OrderStatus.values},
            "totals": [{"currency": c, "amount": a} for c, a in sorted(order_totals.items())],
            "revenue": [{"currency": c, "amount": a} for c, a in sorted(revenue.items())],
        },
    }  # fmt: skip
