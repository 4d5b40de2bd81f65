"""Building the roll-up tables: set-based `INSERT … SELECT … GROUP BY` from the raw tables.

- `rebuild_all()` empties each roll-up and fills it again in one statement per table (the periodic
  full rebuild, nightly; also after a data import).
- Two roll-ups also have a monthly table (LeadMonthRollup, OrderMonthRollup): the daily rows summed by
  calendar month, rebuilt with them (whole, or the months of the days refreshed), so that a period's
  whole months are read from a few rows.
- `refresh_changed()` (every few minutes, Celery beat) rebuilds only the days touched by raw rows
  changed since the last run (`updated_at`, or `created_at` for append-only events), read with an
  overlap so that a transaction committing late is not missed. A day is rebuilt whole (every
  partner), so a lead that moves from one partner to another leaves no stale row behind.

Both run on PostgreSQL and SQLite: the SELECT is compiled by the ORM and wrapped in an INSERT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncDate, TruncMonth
from django.utils import timezone

from analytics.models import (
    DurationRollup,
    LeadChannelRollup,
    LeadEventRollup,
    LeadMonthRollup,
    LeadRollup,
    OrderChannelRollup,
    OrderMonthRollup,
    OrderRollup,
    RollupState,
    ServiceRollup,
)
from leads.choices import LeadEventKind, LeadStatus
from leads.models import Lead, LeadEvent
from orders.choices import OrderStatus
from orders.models import Order
from service.choices import ServiceStatus
from service.models import ServiceRequest

ZERO = Decimal("0.00")
OVERLAP = timedelta(minutes=10)  # raw rows saved before a late commit are read again
REDISPATCH_FROM = ["dispatched", "accepted", "qualified", "unroutable"]
RESOLVED_STATUSES = [ServiceStatus.RESOLVED, ServiceStatus.CLOSED]


def _money_sum(field: str, **kwargs: Any) -> Coalesce:
    return Coalesce(
        Sum(field, **kwargs), Value(ZERO), output_field=models.DecimalField(max_digits=18, decimal_places=2)
    )


def lead_source_rows(where: Q | None = None) -> Any:
    """The SELECT behind LeadRollup (column order = LEAD_COLUMNS)."""
    qs = Lead.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(day=TruncDate("created_at"))
        .values("day", "partner_id", "category_id", "source", "status", "currency")
        .annotate(
            n_leads=Count("id"),
            n_dispatched=Count("id", filter=Q(dispatched_at__isnull=False)),
            n_accepted=Count("id", filter=Q(accepted_at__isnull=False)),
            sum_estimated=_money_sum("estimated_value"),
            sum_won=_money_sum("won_value", filter=Q(status=LeadStatus.WON)),
        )
    )


def lead_event_source_rows(where: Q | None = None) -> Any:
    """The SELECT behind LeadEventRollup."""
    kinds = [
        LeadEventKind.EXPIRED,
        LeadEventKind.DECLINED,
        LeadEventKind.DISPATCHED,
        LeadEventKind.ASSIGNED_BY_HAND,
    ]
    redispatch = Q(
        kind__in=[LeadEventKind.DISPATCHED, LeadEventKind.ASSIGNED_BY_HAND], from_status__in=REDISPATCH_FROM
    )
    qs = LeadEvent.objects.order_by().filter(kind__in=kinds)
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(day=TruncDate("created_at"), category=models.F("lead__category_id"))
        .values("day", "partner_id_at_event", "category")
        .annotate(
            n_breaches=Count("id", filter=Q(kind=LeadEventKind.EXPIRED)),
            n_declines=Count("id", filter=Q(kind=LeadEventKind.DECLINED)),
            n_redispatches=Count("id", filter=redispatch),
        )
    )


def order_source_rows(where: Q | None = None) -> Any:
    qs = Order.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(day=TruncDate("created_at"))
        .values("day", "partner_id", "status", "currency")
        .annotate(n_orders=Count("id"), sum_total=_money_sum("total"))
    )


def service_source_rows(where: Q | None = None) -> Any:
    qs = ServiceRequest.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(day=TruncDate("created_at"), category=models.F("product__category_id"))
        .values("day", "partner_id", "product_id", "category", "solution_id", "status")
        .annotate(
            n_requests=Count("id"),
            n_escalated=Count("id", filter=Q(escalated_at__isnull=False)),
            n_resolved=Count("id", filter=Q(status__in=RESOLVED_STATUSES)),
        )
    )


def lead_month_rows(where: Q | None = None) -> Any:
    """The SELECT behind LeadMonthRollup: LeadRollup's rows summed by month (no source)."""
    qs = LeadRollup.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(month=TruncMonth("day"))
        .values("month", "partner_id", "category_id", "status", "currency")
        .annotate(
            n_leads=Sum("leads"),
            n_dispatched=Sum("dispatched"),
            n_accepted=Sum("accepted"),
            sum_estimated=_money_sum("estimated_value"),
            sum_won=_money_sum("won_value"),
        )
    )


def order_month_rows(where: Q | None = None) -> Any:
    """The SELECT behind OrderMonthRollup: OrderRollup's rows summed by month."""
    qs = OrderRollup.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return (
        qs.annotate(month=TruncMonth("day"))
        .values("month", "partner_id", "status", "currency")
        .annotate(n_orders=Sum("orders"), sum_total=_money_sum("total"))
    )


def lead_channel_rows(where: Q | None = None) -> Any:
    """The SELECT behind LeadChannelRollup: LeadRollup's rows summed over every partner."""
    qs = LeadRollup.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return qs.values("day", "category_id", "status", "currency").annotate(
        n_leads=Sum("leads"),
        n_dispatched=Sum("dispatched"),
        n_accepted=Sum("accepted"),
        sum_estimated=_money_sum("estimated_value"),
        sum_won=_money_sum("won_value"),
    )


def order_channel_rows(where: Q | None = None) -> Any:
    """The SELECT behind OrderChannelRollup: OrderRollup's rows summed over every partner."""
    qs = OrderRollup.objects.order_by()
    if where is not None:
        qs = qs.filter(where)
    return qs.values("day", "status", "currency").annotate(
        n_orders=Sum("orders"), sum_total=_money_sum("total")
    )


class WholeSecondsBetween(models.Func):
    """`later - earlier` in whole seconds, each moment truncated to the second first (so that the
    figure is an exact integer on every database; Python: `int(later.timestamp()) - int(earlier.timestamp())`)."""

    output_field = models.BigIntegerField()
    arity = 2

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> Any:  # type: ignore[override]  # PostgreSQL
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        sql = (
            f"(EXTRACT(EPOCH FROM DATE_TRUNC('second', {later[0]}))::bigint"
            f" - EXTRACT(EPOCH FROM DATE_TRUNC('second', {earlier[0]}))::bigint)"
        )
        return sql, (*later[1], *earlier[1])

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        later, earlier = (compiler.compile(e) for e in self.get_source_expressions())
        sql = (
            f"(CAST(strftime('%%s', {later[0]}) AS INTEGER) - CAST(strftime('%%s', {earlier[0]}) AS INTEGER))"
        )
        return sql, (*later[1], *earlier[1])


BUCKET_SECONDS = 360  # a tenth of an hour


def _bucket(seconds: Any) -> Any:
    return Greatest(seconds, Value(0), output_field=models.BigIntegerField()) / Value(BUCKET_SECONDS)


def _duration_rows(qs: QuerySet[Any], kind: str, seconds: Any, category: Any) -> Any:
    return (
        qs.annotate(
            day=TruncDate("created_at"),
            cat=category,
            kind=Value(kind),
            bucket=_bucket(seconds),
        )
        .values("day", "partner_id", "cat", "kind", "bucket")
        .annotate(n=Count("id"))
    )


def accept_duration_rows(where: Q | None = None) -> Any:
    qs = Lead.objects.order_by().filter(
        partner_id__isnull=False, dispatched_at__isnull=False, accepted_at__isnull=False
    )
    qs = qs.filter(where) if where is not None else qs
    return _duration_rows(
        qs, "accept", WholeSecondsBetween("accepted_at", "dispatched_at"), models.F("category_id")
    )


def resolve_duration_rows(where: Q | None = None) -> Any:
    qs = ServiceRequest.objects.order_by().filter(status__in=RESOLVED_STATUSES, resolve_seconds__isnull=False)
    qs = qs.filter(where) if where is not None else qs
    return _duration_rows(qs, "resolve", models.F("resolve_seconds"), models.F("product__category_id"))


def deliver_duration_rows(where: Q | None = None) -> Any:
    qs = Order.objects.order_by().filter(status=OrderStatus.DELIVERED, delivered_at__isnull=False)
    qs = qs.filter(where) if where is not None else qs
    start = Coalesce("submitted_at", "created_at")
    return _duration_rows(
        qs,
        "deliver",
        WholeSecondsBetween("delivered_at", start),
        Value(None, output_field=models.BigIntegerField()),
    )


class Spec:
    """One roll-up: its table, the columns its SELECT fills (in order), how to find changed days;
    `rows` narrows the table to this roll-up's rows when several share one table."""

    def __init__(
        self,
        name: str,
        model: type[models.Model],
        columns: list[str],
        source: Callable[[Q | None], QuerySet[Any, dict[str, Any]]],
        changed_days: Callable[[datetime], Iterable[date]],
        date_field: str = "created_at",
        rows: dict[str, Any] | None = None,
        month: Spec | None = None,
        channel: Spec | None = None,
    ) -> None:
        self.name, self.model, self.columns, self.source = name, model, columns, source
        self.changed_days, self.date_field, self.rows = changed_days, date_field, rows or {}
        self.month = month  # the monthly table summed from this one (its source reads this table)
        self.channel = channel  # the daily table summed over every partner (likewise)

    def table(self) -> QuerySet[Any]:
        return self.model._default_manager.filter(**self.rows)


def _days(qs: QuerySet[Any]) -> Iterable[date]:
    return qs.annotate(d=TruncDate("created_at")).order_by().values_list("d", flat=True).distinct()


DURATION_COLUMNS = ["day", "partner_id", "category_id", "kind", "bucket", "count"]
LEAD_MONTHS = Spec(
    "lead_months",
    LeadMonthRollup,
    ["day", "partner_id", "category_id", "status", "currency", "leads", "dispatched", "accepted",
     "estimated_value", "won_value"],
    lead_month_rows,
    lambda since: [],
)  # fmt: skip
LEAD_CHANNEL = Spec(
    "lead_channel",
    LeadChannelRollup,
    ["day", "category_id", "status", "currency", "leads", "dispatched", "accepted", "estimated_value",
     "won_value"],
    lead_channel_rows,
    lambda since: [],
)  # fmt: skip
ORDER_CHANNEL = Spec(
    "order_channel",
    OrderChannelRollup,
    ["day", "status", "currency", "orders", "total"],
    order_channel_rows,
    lambda since: [],
)
ORDER_MONTHS = Spec(
    "order_months",
    OrderMonthRollup,
    ["day", "partner_id", "status", "currency", "orders", "total"],
    order_month_rows,
    lambda since: [],
)
SPECS: list[Spec] = [
    Spec(
        "leads",
        LeadRollup,
        [
            "day",
            "partner_id",
            "category_id",
            "source",
            "status",
            "currency",
            "leads",
            "dispatched",
            "accepted",
            "estimated_value",
            "won_value",
        ],
        lead_source_rows,
        lambda since: _days(Lead.objects.filter(updated_at__gte=since)),
        month=LEAD_MONTHS,
        channel=LEAD_CHANNEL,
    ),  # fmt: skip
    Spec(
        "lead_events",
        LeadEventRollup,
        ["day", "partner_id", "category_id", "breaches", "declines", "redispatches"],
        lead_event_source_rows,
        lambda since: _days(LeadEvent.objects.filter(created_at__gte=since)),
    ),
    Spec(
        "orders",
        OrderRollup,
        ["day", "partner_id", "status", "currency", "orders", "total"],
        order_source_rows,
        lambda since: _days(Order.objects.filter(updated_at__gte=since)),
        month=ORDER_MONTHS,
        channel=ORDER_CHANNEL,
    ),
    Spec(
        "service",
        ServiceRollup,
        [
            "day",
            "partner_id",
            "product_id",
            "category_id",
            "solution_id",
            "status",
            "requests",
            "escalated",
            "resolved",
        ],
        service_source_rows,
        lambda since: _days(ServiceRequest.objects.filter(updated_at__gte=since)),
    ),  # fmt: skip
    Spec(
        "accept_times",
        DurationRollup,
        DURATION_COLUMNS,
        accept_duration_rows,
        lambda since: _days(Lead.objects.filter(updated_at__gte=since)),
        rows={"kind": "accept"},
    ),
    Spec(
        "resolve_times",
        DurationRollup,
        DURATION_COLUMNS,
        resolve_duration_rows,
        lambda since: _days(ServiceRequest.objects.filter(updated_at__gte=since)),
        rows={"kind": "resolve"},
    ),
    Spec(
        "deliver_times",
        DurationRollup,
        DURATION_COLUMNS,
        deliver_duration_rows,
        lambda since: _days(Order.objects.filter(updated_at__gte=since)),
        rows={"kind": "deliver"},
    ),
]


def _insert_select(spec: Spec, where: Q | None) -> None:
    sql, params = spec.source(where).query.sql_with_params()
    table = connection.ops.quote_name(spec.model._meta.db_table)
    fields = [spec.model._meta.get_field(c) for c in spec.columns]
    columns = ", ".join(connection.ops.quote_name(getattr(f, "column", None) or f.name) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql}", params)  # noqa: S608  (compiled by the ORM)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _mark(name: str, *, now: datetime, through: datetime, full: bool) -> None:
    defaults: dict[str, Any] = {"updated_at": now, "refreshed_through": through}
    if full:
        defaults["full_rebuild_at"] = now
    RollupState.objects.update_or_create(name=name, defaults=defaults)


def _lock(spec: Spec) -> None:
    """Serialise the writers of one roll-up (a refresh still running when the next one starts, the
    nightly rebuild): without it two of them could both delete a day and both insert it again. The
    row lock on the roll-up's state row is held until the caller's transaction ends."""
    RollupState.objects.get_or_create(name=spec.name)
    list(RollupState.objects.select_for_update().filter(name=spec.name))


def rebuild(spec: Spec) -> None:
    """Empty one roll-up and fill it again from the raw rows, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        _lock(spec)
        spec.table().delete()
        _insert_select(spec, None)
        for derived in (spec.month, spec.channel):
            if derived is not None:
                derived.table().delete()
                _insert_select(derived, None)
        _mark(spec.name, now=now, through=now, full=True)


def rebuild_all() -> None:
    """Every roll-up from scratch; then, on PostgreSQL, fresh planner statistics for the refilled
    tables (until autovacuum gets to them, a table emptied and refilled in one transaction keeps the
    statistics of its old contents, and the dashboards' queries get plans for the wrong sizes)."""
    for spec in SPECS:
        rebuild(spec)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        tables = {s.model._meta.db_table for spec in SPECS for s in (spec, spec.month, spec.channel) if s}
        with connection.cursor() as cursor:
            for table in sorted(tables):
                cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def refresh_days(spec: Spec, days: Iterable[date]) -> int:
    """Rebuild the given days of one roll-up (every partner of those days)."""
    count = 0
    months: set[date] = set()
    for day in sorted(set(days)):
        start, end = _day_bounds(day)
        raw = Q(**{f"{spec.date_field}__gte": start, f"{spec.date_field}__lt": end})
        with transaction.atomic():
            _lock(spec)
            spec.table().filter(day=day).delete()
            _insert_select(spec, raw)
            if spec.channel is not None:
                spec.channel.table().filter(day=day).delete()
                _insert_select(spec.channel, Q(day=day))
        months.add(day.replace(day=1))
        count += 1
    if spec.month is not None:
        for first in sorted(months):
            after = (first + timedelta(days=32)).replace(day=1)
            with transaction.atomic():
                _lock(spec)
                spec.month.table().filter(day=first).delete()
                _insert_select(spec.month, Q(day__gte=first, day__lt=after))
    return count


def refresh_changed(*, now: datetime | None = None) -> dict[str, int]:
    """Rebuild the days whose raw rows changed since each roll-up's last run; a roll-up never built
    is rebuilt whole. Returns how many days each refreshed."""
    now = now or timezone.now()
    states = {s.name: s for s in RollupState.objects.all()}
    done: dict[str, int] = {}
    for spec in SPECS:
        state = states.get(spec.name)
        if state is None or state.refreshed_through is None:
            rebuild(spec)
            done[spec.name] = -1
            continue
        days = [d for d in spec.changed_days(state.refreshed_through - OVERLAP) if d is not None]
        done[spec.name] = refresh_days(spec, days)
        _mark(spec.name, now=now, through=now, full=False)
    return done


def last_updated() -> datetime | None:
    """The oldest refresh time among the roll-ups (None when one was never built): how current every
    figure on a page is at least."""
    names = {spec.name for spec in SPECS}
    times = dict(RollupState.objects.filter(name__in=names).values_list("name", "updated_at"))
    if set(times) != names or any(t is None for t in times.values()):
        return None
    return min(t for t in times.values() if t is not None)
