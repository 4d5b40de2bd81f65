"""Every figure, read from the roll-ups, equals a straightforward recomputation from the raw rows, for
a random (seeded) data set over several partners, months and currencies, several personas and
filters. The reference below walks the raw rows in Python; it shares only the rounding helpers
(percent, median, hours, days) with the code under test."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from analytics import rollups, selectors
from analytics.figures import AnalyticsFilters, preset_range
from analytics.selectors import bucket_days, bucket_hours, days, hours, median, month_label, percent
from catalog.models import Category, Product
from core.countries import country_name
from customers.services import customer_match_or_create
from leads.choices import LeadStatus, RegistrationStatus
from leads.models import DealRegistration, Lead, LeadEvent
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest
from orders.choices import OrderStatus
from orders.models import Order
from partners.choices import PartnerType
from partners.models import Partner
from service.models import ServiceRequest, Solution
from tests.factories import PartnerFactory

ZERO = Decimal("0.00")
CURRENCIES = ["EUR", "USD"]
OPEN = {"dispatched", "accepted", "qualified"}
REVENUE = {"submitted", "accepted", "confirmed", "shipped", "delivered"}


def whole_seconds(later: datetime, earlier: datetime) -> int:
    """Seconds between two moments, each truncated to the second (DurationRollup's definition)."""
    return int(later.timestamp()) - int(earlier.timestamp())


def _money(rng: random.Random, low: int = 100, high: int = 500_000) -> Decimal:
    return Decimal(rng.randint(low, high)) / 100


def _moment(rng: random.Random, today: date) -> datetime:
    return timezone.now() - timedelta(days=rng.randint(0, 480), seconds=rng.randint(0, 86_399))


@dataclass
class Data:
    partners: list[Partner]
    categories: list[Category]


def build_data(world: Any, seed: int = 20261128) -> Data:
    rng = random.Random(seed)
    today = timezone.localdate()
    d = PartnerFactory(name="Delta Italia", slug="delta", country="IT", tier=world.platinum,
                       type=PartnerType.SERVICE_PARTNER)  # fmt: skip
    partners = [world.a, world.b, world.c, d]
    cats = [Category.objects.create(name=f"Cat {i}", slug=f"x-cat-{i}") for i in range(3)]
    products = [
        Product.objects.create(
            sku=f"P-{i}", name=f"Product {i}", list_price=Decimal("10.00"), category=cats[i % 3]
        )
        for i in range(4)
    ]
    solutions = [Solution.objects.create(title=f"Fix {i}", problem="p", solution="s") for i in range(3)]
    customers = {
        p.pk: customer_match_or_create(
            partner_id=p.pk, company=f"Buyer of {p.name}", email=f"b@{p.slug}.example"
        )
        for p in partners
    }

    # Leads with consistent timestamps
    for i in range(260):
        partner = rng.choice([*partners, None])
        status = rng.choice(["new", "unroutable", "lost"]) if partner is None else rng.choice(
            ["dispatched", "accepted", "qualified", "won", "lost"])  # fmt: skip
        created = _moment(rng, today)
        dispatched = accepted = None
        if partner is not None:
            dispatched = created + timedelta(seconds=rng.randint(0, 7200))
            if status in ("accepted", "qualified", "won") or (status == "lost" and rng.random() < 0.5):
                accepted = dispatched + timedelta(seconds=rng.randint(60, 400_000))
        lead = Lead.objects.create(
            company=f"Prospect {i}", country=rng.choice(["DE", "AT", "FR"]), partner=partner, status=status,
            category=rng.choice([*cats, None]), currency=rng.choice(CURRENCIES), source=rng.choice(["channel", "api"]),
            estimated_value=_money(rng), won_value=_money(rng) if status == "won" else None,
            campaign_code=rng.choice(["", f"CAMP-{rng.randint(1, 20)}"]),
            dispatched_at=dispatched, accepted_at=accepted,
        )  # fmt: skip
        Lead.objects.filter(pk=lead.pk).update(created_at=created)
        for _ in range(rng.randint(0, 3)):
            kind, before = rng.choice([
                ("expired", "dispatched"), ("declined", "dispatched"), ("dispatched", "new"),
                ("dispatched", "unroutable"), ("assigned_by_hand", "dispatched"), ("accepted", "dispatched"),
            ])  # fmt: skip
            event = LeadEvent.objects.create(
                lead=lead, kind=kind, from_status=before, to_status="dispatched",
                partner_id_at_event=rng.choice(partners).pk if rng.random() < 0.9 else None,
            )  # fmt: skip
            LeadEvent.objects.filter(pk=event.pk).update(created_at=_moment(rng, today))

    for i in range(40):
        reg = DealRegistration.objects.create(
            partner=rng.choice(partners), customer_company=f"Reg {i}", normalised_company=f"REG {i}", country="DE",
            value=_money(rng), expected_close=today, status=rng.choice(RegistrationStatus.values),
            conflicts=[{"kind": "lead", "id": 1}] if rng.random() < 0.3 else [],
            category=rng.choice([*cats, None]),
        )  # fmt: skip
        DealRegistration.objects.filter(pk=reg.pk).update(created_at=_moment(rng, today))

    for i in range(160):
        partner = rng.choice(partners)
        status = rng.choice(OrderStatus.values)
        created = _moment(rng, today)
        submitted = created + timedelta(hours=rng.randint(0, 48)) if status != "draft" else None
        delivered = (
            (submitted or created) + timedelta(seconds=rng.randint(3600, 2_000_000))
            if status == "delivered"
            else None
        )
        order = Order.objects.create(
            number=f"SO-T{i:05d}", partner=partner, customer=customers[partner.pk], currency=rng.choice(CURRENCIES),
            total=_money(rng), status=status, submitted_at=submitted, delivered_at=delivered,
        )  # fmt: skip
        Order.objects.filter(pk=order.pk).update(created_at=created)

    for i in range(150):
        partner = rng.choice(partners)
        status = rng.choice(["new", "in_progress", "escalated", "resolved", "closed"])
        resolved = status in ("resolved", "closed")
        created = _moment(rng, today)
        ServiceRequest.objects.create(
            partner=partner, customer=customers[partner.pk], product=rng.choice([*products, None]),
            subject=f"Problem {i}", description="d", status=status, created_at=created,
            escalated_at=created + timedelta(hours=1) if status == "escalated" or rng.random() < 0.2 else None,
            resolved_at=created + timedelta(hours=5) if resolved else None,
            closed_at=created + timedelta(hours=6) if status == "closed" else None,
            resolve_seconds=rng.randint(60, 900_000) if resolved else None,
            solution=rng.choice([*solutions, None]) if resolved else None,
        )  # fmt: skip

    programs = []
    for i, (cur, status) in enumerate([("EUR", "open"), ("USD", "closed"), ("EUR", "draft")]):
        programs.append(FundProgram.objects.create(
            name=f"Programme {i}", starts_on=today - timedelta(days=400 - 150 * i),
            ends_on=today - timedelta(days=200 - 150 * i), claim_deadline=today + timedelta(days=400),
            currency=cur, budget=Decimal("900000.00"), status=status,
        ))  # fmt: skip
    codes = iter(f"CAMP-{n}" for n in range(1, 100))
    for program in programs:
        for partner in partners:
            if rng.random() < 0.2:
                continue
            reserved, claimed, paid, expired = (_money(rng, 0, 100_000) for _ in range(4))
            alloc = FundAllocation.objects.create(
                program=program, partner=partner, amount=reserved + claimed + paid + _money(rng, 0, 50_000),
                reserved=reserved, claimed=claimed, paid=paid, expired=expired,
            )  # fmt: skip
            for _ in range(rng.randint(0, 2)):
                submitted = _moment(rng, today)
                approved = rng.random() < 0.7
                asked = _money(rng)
                req = FundRequest.objects.create(
                    allocation=alloc, program=program, partner=partner, title="Fair", activity_type="event",
                    starts_on=today, ends_on=today, amount=asked, campaign_code=next(codes),
                    status="approved" if approved else "submitted", submitted_at=submitted,
                    approved_amount=asked if approved else None,
                    decided_at=submitted + timedelta(seconds=rng.randint(100, 900_000)) if approved else None,
                )  # fmt: skip
                if approved:
                    paid_claim = rng.random() < 0.6
                    claimed_amount = _money(rng)
                    claim = Claim.objects.create(
                        request=req, allocation=alloc, program=program, partner=partner, amount=claimed_amount,
                        approved_amount=claimed_amount, description="x", status="paid" if paid_claim else "approved",
                        payment_reference="PAY-1" if paid_claim else "",
                        paid_on=today - timedelta(days=rng.randint(0, 300)) if paid_claim else None,
                    )  # fmt: skip
                    Claim.objects.filter(pk=claim.pk).update(created_at=_moment(rng, today))
    return Data(partners=partners, categories=cats)


# --- The reference: straight from the raw rows ---------------------------------------------------


class Reference:
    def __init__(
        self, partner_ids: set[int], unowned: bool, funds: bool, f: AnalyticsFilters, partner_user: bool
    ):
        self.pids, self.unowned, self.funds, self.f, self.partner_user = (
            partner_ids,
            unowned,
            funds,
            f,
            partner_user,
        )
        self.partners = {p.pk: p for p in Partner.objects.select_related("tier")}

    def in_scope(self, pid: int | None) -> bool:
        return (pid is None and self.unowned) or (pid is not None and pid in self.pids)

    def in_period(self, moment: datetime) -> bool:
        return self.f.start <= timezone.localdate(moment) <= self.f.end

    def cat_ok(self, category_id: int | None) -> bool:
        return not self.f.category_ids or category_id in self.f.category_ids

    def name(self, pid: int | None) -> str:
        return "Not dispatched" if pid is None else self.partners[pid].name

    def leads(self) -> list[Lead]:
        return [
            x
            for x in Lead.objects.all()
            if self.in_scope(x.partner_id) and self.in_period(x.created_at) and self.cat_ok(x.category_id)
        ]

    def figure(self, key: str) -> list[list[Any]]:
        return getattr(self, key.replace(".", "_"))()

    # Sales
    def sales_funnel(self) -> list[list[Any]]:
        leads = self.leads()
        n = len(leads)
        if not n:
            return []
        disp = sum(1 for x in leads if x.dispatched_at)
        acc = sum(1 for x in leads if x.accepted_at)
        qual = sum(1 for x in leads if x.status in ("qualified", "won"))
        won = sum(1 for x in leads if x.status == "won")
        lost = sum(1 for x in leads if x.status == "lost")
        return [
            ["Created", n, None, percent(n, n)],
            ["Dispatched", disp, percent(disp, n), percent(disp, n)],
            ["Accepted", acc, percent(acc, disp), percent(acc, n)],
            ["Qualified or won", qual, percent(qual, acc), percent(qual, n)],
            ["Won", won, percent(won, qual), percent(won, n)],
            ["Lost", lost, percent(lost, n), percent(lost, n)],
        ]

    def sales_status(self) -> list[list[Any]]:
        leads = self.leads()
        return [
            [label, c]
            for value, label in LeadStatus.choices
            if (c := sum(1 for x in leads if x.status == value))
        ]

    def _events(self) -> list[LeadEvent]:
        return [
            e for e in LeadEvent.objects.select_related("lead")
            if self.in_scope(e.partner_id_at_event) and self.in_period(e.created_at) and self.cat_ok(e.lead.category_id)
        ]  # fmt: skip

    def sales_acceptance(self) -> list[list[Any]]:
        data: dict[int, list[Any]] = {}
        for x in self.leads():
            if x.partner_id is None:
                continue
            row = data.setdefault(x.partner_id, [0, 0, [], 0])
            row[0] += bool(x.dispatched_at)
            row[1] += bool(x.accepted_at)
            if x.accepted_at and x.dispatched_at:
                row[2].append(whole_seconds(x.accepted_at, x.dispatched_at) // 360)
        for e in self._events():
            if e.kind == "expired" and e.partner_id_at_event is not None:
                data.setdefault(e.partner_id_at_event, [0, 0, [], 0])[3] += 1
        rows = [
            [self.name(p), d, a, percent(a, d), bucket_hours(median(w)), b]
            for p, (d, a, w, b) in data.items()
        ]
        return sorted(rows, key=lambda r: (-r[1], r[0]))

    def sales_breaches(self) -> list[list[Any]]:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for e in self._events():
            m = month_label(timezone.localdate(e.created_at))
            acc[m][0] += e.kind == "expired"
            acc[m][1] += e.kind == "declined"
            acc[m][2] += e.kind in ("dispatched", "assigned_by_hand") and e.from_status in (
                "dispatched",
                "accepted",
                "qualified",
                "unroutable",
            )
        return [[m, *v] for m, v in sorted(acc.items()) if any(v)]

    def _won(self, label: Any) -> list[list[Any]]:
        acc: dict[tuple[Any, str, str], list[Any]] = {}
        for x in self.leads():
            sort_key, name = label(x)
            row = acc.setdefault((sort_key, name, x.currency), [0, ZERO, 0, ZERO])
            if x.status == "won":
                row[0] += 1
                row[1] += x.won_value or ZERO
            if x.status in OPEN:
                row[2] += 1
                row[3] += x.estimated_value
        return [
            [name, cur, *v] for (_, name, cur), v in sorted(acc.items(), key=lambda kv: kv[0]) if v[0] or v[2]
        ]

    def sales_won_by_month(self) -> list[list[Any]]:
        return self._won(lambda x: (month_label(timezone.localdate(x.created_at)),) * 2)

    def sales_won_by_partner(self) -> list[list[Any]]:
        rows = self._won(lambda x: (0, self.name(x.partner_id)))
        return sorted(rows, key=lambda r: (r[1], -r[3], r[0]))

    def sales_won_by_tier(self) -> list[list[Any]]:
        def tier(x: Lead) -> tuple[Any, str]:
            if x.partner_id is None:
                return (-1, "Not dispatched")
            t = self.partners[x.partner_id].tier
            return (-t.rank, t.name)

        return self._won(tier)

    def sales_won_by_country(self) -> list[list[Any]]:
        def country(x: Lead) -> tuple[Any, str]:
            if x.partner_id is None:
                return ("~", "Not dispatched")
            code = self.partners[x.partner_id].country
            return (code, country_name(code) or code)

        return self._won(country)

    def sales_registrations(self) -> list[list[Any]]:
        regs = [
            r
            for r in DealRegistration.objects.all()
            if self.in_scope(r.partner_id) and self.in_period(r.created_at) and self.cat_ok(r.category_id)
        ]
        return [
            [label, n, sum(1 for r in regs if r.status == value and r.conflicts)]
            for value, label in RegistrationStatus.choices
            if (n := sum(1 for r in regs if r.status == value))
        ]

    # Service
    def _requests(self) -> list[ServiceRequest]:
        return [
            r for r in ServiceRequest.objects.select_related("product")
            if self.in_scope(r.partner_id) and self.in_period(r.created_at)
            and self.cat_ok(r.product.category_id if r.product else None)
        ]  # fmt: skip

    def service_by_month(self) -> list[list[Any]]:
        acc: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r in self._requests():
            row = acc[month_label(timezone.localdate(r.created_at))]
            row[0] += 1
            row[1] += r.status in ("resolved", "closed")
            row[2] += r.escalated_at is not None
        return [[m, o, res, e, percent(e, o)] for m, (o, res, e) in sorted(acc.items())]

    def service_resolution(self) -> list[list[Any]]:
        reqs = self._requests()
        if not reqs:
            return []
        resolved = [r for r in reqs if r.status in ("resolved", "closed")]
        return [
            ["Requests opened", len(reqs)],
            ["Resolved", len(resolved)],
            ["Escalation rate (%)", percent(sum(1 for r in reqs if r.escalated_at), len(reqs))],
            [
                "Median time to resolve (hours)",
                bucket_hours(
                    median(r.resolve_seconds // 360 for r in resolved if r.resolve_seconds is not None)
                ),
            ],
        ]

    def service_top_products(self) -> list[list[Any]]:
        acc: dict[int, list[int]] = defaultdict(lambda: [0, 0])
        names = {}
        for r in self._requests():
            if r.product:
                acc[r.product_id][0] += 1
                acc[r.product_id][1] += r.escalated_at is not None
                names[r.product_id] = f"{r.product.sku} {r.product.name}"
        top = sorted(acc.items(), key=lambda kv: (-kv[1][0], kv[0]))[:10]
        return [[names[p], n, e] for p, (n, e) in top]

    def service_top_solutions(self) -> list[list[Any]]:
        acc: dict[int, int] = defaultdict(int)
        for r in self._requests():
            if r.solution_id and r.status in ("resolved", "closed"):
                acc[r.solution_id] += 1
        titles = dict(Solution.objects.values_list("id", "title"))
        return [[titles[s], n] for s, n in sorted(acc.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]

    # Marketing
    def _allocations(self) -> list[FundAllocation]:
        if not self.funds:
            return []
        return [
            a for a in FundAllocation.objects.select_related("program")
            if self.in_scope(a.partner_id) and a.program.starts_on <= self.f.end and a.program.ends_on >= self.f.start
            and not (self.partner_user and a.program.status == "draft")
        ]  # fmt: skip

    def _funds(self, label: Any) -> list[list[Any]]:
        acc: dict[tuple[str, str], list[Decimal]] = {}
        for a in self._allocations():
            row = acc.setdefault((label(a), a.program.currency), [ZERO] * 5)
            for i, v in enumerate([a.amount + a.expired, a.reserved, a.claimed, a.paid, a.expired]):
                row[i] += v
        return [[name, cur, *v] for (name, cur), v in sorted(acc.items())]

    def marketing_by_program(self) -> list[list[Any]]:
        return self._funds(lambda a: a.program.name)

    def marketing_by_partner(self) -> list[list[Any]]:
        return self._funds(lambda a: self.name(a.partner_id))

    def marketing_cycle_times(self) -> list[list[Any]]:
        if not self.funds:
            return []
        approvals = [
            int((r.decided_at - r.submitted_at).total_seconds()) for r in FundRequest.objects.all()
            if self.in_scope(r.partner_id) and r.approved_amount is not None and r.submitted_at and r.decided_at
            and self.in_period(r.decided_at)
        ]  # fmt: skip
        payments = [
            (c.paid_on - timezone.localdate(c.created_at)).days for c in Claim.objects.all()
            if self.in_scope(c.partner_id) and c.status == "paid" and c.paid_on and self.f.start <= c.paid_on <= self.f.end
        ]  # fmt: skip
        rows: list[list[Any]] = []
        if approvals:
            rows.append(["Request → approval", "hours", len(approvals), hours(median(approvals))])
        if payments:
            rows.append(["Claim → payment", "days", len(payments), days(median(payments))])
        return rows

    def marketing_roi(self) -> list[list[Any]]:
        if not self.funds:
            return []
        reqs = [
            r for r in FundRequest.objects.select_related("program").order_by("id")
            if self.in_scope(r.partner_id) and r.approved_amount is not None and r.campaign_code
            and r.program.starts_on <= self.f.end and r.program.ends_on >= self.f.start
            and not (self.partner_user and r.program.status == "draft")
        ]  # fmt: skip
        program_of: dict[tuple[str, int], FundProgram] = {}
        acc: dict[int, list[Any]] = {}
        for r in reqs:
            program_of.setdefault((r.campaign_code, r.partner_id), r.program)
            acc.setdefault(r.program_id, [r.program.name, r.program.currency, ZERO, 0, 0, ZERO])
        ids = {r.pk for r in reqs}
        for c in Claim.objects.filter(status="paid"):
            if c.request_id in ids:
                acc[c.program_id][2] += c.approved_amount or ZERO
        for x in Lead.objects.exclude(campaign_code=""):
            prog = program_of.get((x.campaign_code, x.partner_id))
            if prog is None:
                continue
            row = acc[prog.pk]
            row[3] += 1
            if x.currency == row[1] and x.status == "won":
                row[4] += 1
                row[5] += x.won_value or ZERO
        rows = []
        for name, cur, paid, n, won, revenue in sorted(acc.values(), key=lambda r: (r[0], r[1])):
            rows.append(
                [
                    name,
                    cur,
                    paid,
                    n,
                    won,
                    revenue,
                    (revenue / paid).quantize(Decimal("0.01")) if paid else None,
                ]
            )
        return rows

    # Orders
    def _orders(self) -> list[Order]:
        return [
            o for o in Order.objects.all() if self.in_scope(o.partner_id) and self.in_period(o.created_at)
        ]

    def _order_money(self, label: Any) -> dict[tuple[Any, str], list[Any]]:
        acc: dict[tuple[Any, str], list[Any]] = {}
        for o in self._orders():
            if o.status in REVENUE:
                row = acc.setdefault((label(o), o.currency), [0, ZERO])
                row[0] += 1
                row[1] += o.total
        return acc

    def orders_revenue_by_month(self) -> list[list[Any]]:
        acc = self._order_money(lambda o: month_label(timezone.localdate(o.created_at)))
        return [[m, cur, *v] for (m, cur), v in sorted(acc.items())]

    def orders_revenue_by_partner(self) -> list[list[Any]]:
        acc = self._order_money(lambda o: o.partner_id)
        rows = [[self.name(p), cur, *v] for (p, cur), v in acc.items()]
        return sorted(rows, key=lambda r: (r[1], -r[3], r[0]))

    def orders_by_status(self) -> list[list[Any]]:
        acc: dict[tuple[int, str], list[Any]] = {}
        order = {v: i for i, v in enumerate(OrderStatus.values)}
        for o in self._orders():
            row = acc.setdefault((order[o.status], o.currency), [0, ZERO])
            row[0] += 1
            row[1] += o.total
        labels = dict(enumerate(OrderStatus.labels))
        return [[labels[i], cur, *v] for (i, cur), v in sorted(acc.items())]

    def orders_delivery(self) -> list[list[Any]]:
        acc: dict[str, list[int]] = defaultdict(list)
        for o in self._orders():
            if o.status == "delivered" and o.delivered_at:
                acc[month_label(timezone.localdate(o.created_at))].append(
                    max(0, whole_seconds(o.delivered_at, o.submitted_at or o.created_at)) // 360
                )
        return [[m, len(v), bucket_days(median(v))] for m, v in sorted(acc.items())]


@pytest.fixture
def data(world):
    built = build_data(world)
    rollups.rebuild_all()
    return built


def _personas(world: Any, data: Data) -> list[tuple[Any, set[int], bool, bool, bool]]:
    """(user, partner ids in scope, sees the unowned queue, sees funds, is a partner user)."""
    a, b, c, d = (p.pk for p in data.partners)
    return [
        (world.admin, {a, b, c, d}, True, True, False),
        (world.cm_a, {a, b}, True, True, False),
        (world.cm_c, {c}, True, True, False),
        (world.pm_a, {a, b}, False, True, True),
        (world.pm_c, {c}, False, True, True),
        (world.pe_a, {a}, False, False, True),
    ]


def _first_of_month(today: date, months: int) -> date:
    """The first day of the month `months` months from today's (negative: before)."""
    index = today.year * 12 + today.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _filters(world: Any, data: Data) -> list[tuple[AnalyticsFilters, Any]]:
    """(filters, the partner filter as a predicate on a partner) pairs."""
    today = timezone.localdate()
    return [
        (AnalyticsFilters(start=today - timedelta(days=600), end=today, preset="custom"), lambda p: True),
        (AnalyticsFilters(start=today - timedelta(days=89), end=today, preset="90d"), lambda p: True),
        # Whole months (from the monthly roll-ups) and the days of the current one, as "12m" reads:
        (AnalyticsFilters(start=preset_range("12m", today)[0], end=today, preset="12m"), lambda p: True),
        # Whole months only, and a week inside no whole month (the daily roll-ups alone):
        (
            AnalyticsFilters(
                start=_first_of_month(today, -14),
                end=_first_of_month(today, -2) - timedelta(days=1),
                preset="custom",
            ),
            lambda p: True,
        ),
        (
            AnalyticsFilters(
                start=today - timedelta(days=40), end=today - timedelta(days=34), preset="custom"
            ),
            lambda p: True,
        ),
        (
            AnalyticsFilters(
                start=today - timedelta(days=300),
                end=today - timedelta(days=20),
                countries=("AT", "IT"),
                preset="custom",
            ),
            lambda p: p.country in ("AT", "IT"),
        ),  # fmt: skip
        (
            AnalyticsFilters(
                start=today - timedelta(days=600),
                end=today,
                tier_ids=(world.silver.pk,),
                category_ids=(data.categories[0].pk,),
                preset="custom",
            ),
            lambda p: p.tier_id == world.silver.pk,
        ),  # fmt: skip
        (
            AnalyticsFilters(
                start=today - timedelta(days=600),
                end=today,
                partner_ids=(world.b.pk, data.partners[3].pk),
                partner_types=("reseller",),
                preset="custom",
            ),
            lambda p: p.pk == world.b.pk,
        ),  # fmt: skip
    ]


def test_every_figure_equals_the_raw_rows(world, data):
    partners = {p.pk: p for p in Partner.objects.all()}
    checked = 0
    for user, pids, unowned, funds, is_partner in _personas(world, data):
        for filters, partner_ok in _filters(world, data):
            narrowed = filters.countries or filters.tier_ids or filters.partner_ids or filters.partner_types
            scope_ids = {p for p in pids if partner_ok(partners[p])}
            ref = Reference(scope_ids, unowned and not narrowed, funds, filters, is_partner)
            board = selectors.dashboard(user, filters)
            by_key = {f.key: f for f in board.figures}
            if not funds:
                assert not any(k.startswith("marketing.") for k in by_key)
            for key in selectors.FIGURES:
                if key.startswith("marketing.") and not funds:
                    assert selectors.figure(user, filters, key) is None
                    continue
                expected = ref.figure(key)
                assert by_key[key].rows == expected, (user.email, filters, key)
                assert selectors.figure(user, filters, key).rows == expected  # type: ignore[union-attr]
                checked += bool(expected)
    assert checked > 200  # the data set is not empty for most combinations


def test_refresh_of_changed_days_matches_a_rebuild(world, data):
    """A lead moved to another partner and an order cancelled: the periodic refresh rebuilds their
    days, and every roll-up equals a full rebuild."""
    from analytics.models import LeadRollup, OrderRollup

    def snapshot() -> tuple[list[Any], list[Any]]:
        fields = [
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
        ]
        return (
            sorted(LeadRollup.objects.values_list(*fields), key=repr),
            sorted(
                OrderRollup.objects.values_list("day", "partner_id", "status", "currency", "orders", "total"),
                key=repr,
            ),
        )

    def derived_snapshot() -> dict[str, list[Any]]:
        from analytics.models import LeadChannelRollup, LeadMonthRollup, OrderChannelRollup, OrderMonthRollup

        out = {}
        for model in (LeadMonthRollup, LeadChannelRollup, OrderMonthRollup, OrderChannelRollup):
            names = [f.name for f in model._meta.concrete_fields if f.name != "id"]
            rows = [tuple(str(v) for v in row) for row in model.objects.values_list(*names)]
            assert rows, model  # every one is filled
            out[model.__name__] = sorted(rows)
        return out

    lead = (
        Lead.objects.filter(partner=world.a, status="dispatched").first()
        or Lead.objects.filter(partner=world.a).first()
    )
    assert lead is not None
    before = snapshot()
    lead.partner = world.c
    lead.save()  # updated_at moves
    order = Order.objects.exclude(status="cancelled").first()
    assert order is not None
    order.status = "cancelled"
    order.save()
    assert snapshot() == before  # not yet refreshed
    done = rollups.refresh_changed()
    assert done["leads"] >= 1 and done["orders"] >= 1
    refreshed = snapshot()
    assert refreshed != before
    derived = derived_snapshot()
    rollups.rebuild_all()
    assert snapshot() == refreshed
    assert derived_snapshot() == derived  # the monthly and channel-wide tables followed the refresh


def test_median_of_a_histogram_is_the_median_of_its_values():
    rng = random.Random(5)
    for _ in range(200):
        values = [rng.randint(0, 30) for _ in range(rng.randint(1, 40))]
        pairs = sorted(Counter(values).items())
        assert selectors.median_of_counts(pairs) == median(values)
    assert selectors.median_of_counts([]) is None
