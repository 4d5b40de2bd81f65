"""Explainable lead routing: which partner gets a lead, and why.

A `RoutingContext` loads the active rules and what routing needs of every partner (status, tier
weight, capacity, coordinates, certifications) once, counts open leads and recent dispatches lazily for
the partners a rule considers, and keeps the counts current as it assigns leads, so that a batch of
leads is routed with a handful of queries and little work per lead:

- rules are indexed by country, so a lead only looks at the rules that can match it;
- each rule's candidates (explicit list, or the active partners filtered by tier, type and
  certification) are computed once per context, with a `RuleState` that ranks them: for `weighted`
  and `least_loaded` a heap of (figure, partner) kept current lazily, for `nearest` unit vectors on
  the sphere (numpy), where the largest dot product is the shortest great-circle distance;
- approved deal registrations can be loaded once for a batch (`preload_protection`).

`RoutingContext.decide(facts, declined=...)` answers a `Decision`: the rule that decided, the
candidates with their deciding figure or the reason they were left out (all of them for a rule with
at most FULL_LIST candidates; the best TOP and the counts of those left out, by reason, for larger
ones), the rules tried before it, and one readable sentence. Nothing is written here;
leads.services stores the decision and moves the lead.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Count, Q
from django.utils import timezone

from leads.choices import OPEN_STATUSES, RegistrationStatus, Strategy
from leads.models import DealRegistration, DispatchRule, Lead
from partners.choices import PartnerStatus
from partners.models import Partner, Tier

FAIRNESS_WINDOW = timedelta(days=30)
EARTH_RADIUS_KM = 6371.0088
FULL_LIST = 25  # a rule with at most this many candidates explains every one of them
TOP = 5  # a larger rule keeps its best TOP eligible candidates and counts the others
COUNTRY_SKIPS_LISTED = 3  # more rules skipped for the lead's country are summed up in one line

LEFT_OUT_CAPACITY = "at capacity"
LEFT_OUT_DECLINED = "declined this lead"
LEFT_OUT_INACTIVE = "not active"
LEFT_OUT_NO_COORDINATES = "no coordinates"


@dataclass
class PartnerInfo:
    id: int
    name: str
    status: str
    type: str
    tier_rank: int
    weight: int
    capacity: int
    latitude: float | None
    longitude: float | None
    certifications: frozenset[int]
    open_leads: int = 0
    recent: int = 0


@dataclass
class Candidate:
    partner_id: int
    name: str
    figure: float | None = None
    excluded: str = ""
    chosen: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner_id": self.partner_id,
            "name": self.name,
            "figure": None if self.figure is None else round(self.figure, 4),
            "excluded": self.excluded,
            "chosen": self.chosen,
        }


@dataclass
class Decision:
    partner_id: int | None
    rule: DispatchRule | None
    strategy: str
    candidates: list[Candidate] = field(default_factory=list)
    rules_tried: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    accept_within_hours: int = 48
    # How many partners the deciding rule considered, and how many of those not listed in
    # `candidates` were left out, by reason (a large rule lists only its best TOP).
    considered: int = 0
    left_out: dict[str, int] = field(default_factory=dict)

    @property
    def ranked(self) -> list[Candidate]:
        """The eligible candidates, best first (the proposals a channel manager picks from)."""
        eligible = [c for c in self.candidates if not c.excluded]
        return sorted(eligible, key=lambda c: (c.figure if c.figure is not None else 0.0, c.partner_id))


@dataclass(slots=True)
class LeadFacts:
    """What routing reads of a lead (a model instance or a row fetched for a batch)."""

    pk: int | None
    country: str
    region: str
    postal_code: str
    category_id: int | None
    estimated_value: Decimal | None
    source: str
    latitude: float | None
    longitude: float | None
    normalised_company: str
    domain: str

    @classmethod
    def of(cls, lead: Lead) -> LeadFacts:
        from customers.models import email_domain, normalise_company

        return cls(
            pk=lead.pk, country=lead.country, region=lead.region or "", postal_code=lead.postal_code or "",
            category_id=lead.category_id, estimated_value=lead.estimated_value, source=lead.source,
            latitude=None if lead.latitude is None else float(lead.latitude),
            longitude=None if lead.longitude is None else float(lead.longitude),
            normalised_company=normalise_company(lead.company), domain=email_domain(lead.email),
        )  # fmt: skip


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    p, lam = math.radians(lat), math.radians(lon)
    return (math.cos(p) * math.cos(lam), math.cos(p) * math.sin(lam), math.sin(p))


def rule_mismatch(rule: DispatchRule, lead: LeadFacts | Lead, category_ids: frozenset[int]) -> str:
    """Why `rule` does not apply to `lead` ('' when it does)."""
    if rule.countries and lead.country not in rule.countries:
        return f"country {lead.country} not in {', '.join(rule.countries)}"
    return conditions_mismatch(rule, lead, category_ids)


def conditions_mismatch(rule: DispatchRule, lead: LeadFacts | Lead, category_ids: frozenset[int]) -> str:
    """rule_mismatch without the country, for rules already chosen by the lead's country."""
    if rule.regions and (lead.region or "").lower() not in {r.lower() for r in rule.regions}:
        return f"region “{lead.region or '—'}” not in the rule's regions"
    if rule.postal_prefixes and not any((lead.postal_code or "").startswith(p) for p in rule.postal_prefixes):
        return f"postal code {lead.postal_code or '—'} matches no prefix"
    if category_ids and lead.category_id not in category_ids:
        return "category not in the rule's categories"
    value = lead.estimated_value or Decimal("0")
    if rule.min_value is not None and value < rule.min_value:
        return f"value {value} below {rule.min_value}"
    if rule.max_value is not None and value > rule.max_value:
        return f"value {value} above {rule.max_value}"
    if rule.sources and lead.source not in rule.sources:
        return f"source {lead.source} not in {', '.join(rule.sources)}"
    return ""


_STATIC: dict[str, Any] = {}


def _static_version() -> tuple[Any, ...]:
    """Changes whenever what routing reads of partners, tiers and certifications changes: a partner
    saved bumps its updated_at, a partner or a certification link added or removed changes a count
    or a sum, a tier's rank or weight edited changes the tier sums. One query."""
    partner, tier = Partner._meta.db_table, Tier._meta.db_table
    through = Partner.certifications.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {partner}), (SELECT MAX(id) FROM {partner}), "  # noqa: S608
            f"(SELECT MAX(updated_at) FROM {partner}), (SELECT COUNT(*) FROM {through}), "
            f"(SELECT SUM(id * 7 + certification_id) FROM {through}), "
            f"(SELECT SUM(rank + routing_weight * 3 + id * rank + id * routing_weight * 5) FROM {tier})"
        )
        return tuple(cursor.fetchone() or ())


def partner_static() -> tuple[list[tuple[Any, ...]], dict[int, frozenset[int]]]:
    """What routing reads of every partner, as rows (id, name, status, type, tier rank, tier weight,
    capacity, latitude, longitude), and each partner's certifications: read once and kept in the
    process until the data changes (three small aggregate queries tell), so routing one lead or
    showing its proposals does not read ten thousand partners each time."""
    version = _static_version()
    if _STATIC.get("version") != version:
        certifications: dict[int, set[int]] = {}
        for partner_id, cert_id in Partner.certifications.through.objects.values_list(
            "partner_id", "certification_id"
        ):
            certifications.setdefault(partner_id, set()).add(cert_id)
        rows = [
            (
                pid,
                name,
                status,
                ptype,
                rank,
                weight,
                capacity,
                None if lat is None else float(lat),
                None if lon is None else float(lon),
            )  # fmt: skip
            for pid, name, status, ptype, rank, weight, capacity, lat, lon in Partner.objects.values_list(
                "id",
                "name",
                "status",
                "type",
                "tier__rank",
                "tier__routing_weight",
                "capacity",
                "latitude",
                "longitude",
            )  # fmt: skip
        ]
        _STATIC.clear()
        _STATIC.update(
            version=version, rows=rows, certifications={k: frozenset(v) for k, v in certifications.items()}
        )
    return _STATIC["rows"], _STATIC["certifications"]


class RuleState:
    """One rule's candidates in a context, ranked for quick choosing.

    `ids` are the rule's candidates; `static_out` those left out whatever the lead (not active, no
    coordinates for `nearest`); `live` the others, which are ranked: a heap of (figure, partner id)
    for `weighted` and `least_loaded`, whose entries are checked against the partner's current
    figure when they surface (figures only grow as leads are assigned; a released partner is pushed
    again), or, for `nearest`, unit vectors with a mask of the partners at capacity."""

    def __init__(self, context: RoutingContext, rule: DispatchRule, ids: list[int]) -> None:
        self.context = context
        self.rule = rule
        self.ids = ids
        self.id_set = frozenset(ids)
        self.static_out: dict[int, str] = {}
        partners = context.partners
        context.ensure_counts(ids)
        live: list[int] = []
        for pid in ids:
            info = partners[pid]
            if info.status != PartnerStatus.ACTIVE:
                self.static_out[pid] = f"{LEFT_OUT_INACTIVE} ({info.status})"
            elif rule.strategy == Strategy.NEAREST and (info.latitude is None or info.longitude is None):
                self.static_out[pid] = LEFT_OUT_NO_COORDINATES
            else:
                live.append(pid)
        self.live = live
        self.static_counts = Counter(
            LEFT_OUT_INACTIVE if r.startswith(LEFT_OUT_INACTIVE) else r for r in self.static_out.values()
        )
        self.full = {pid for pid in live if context.is_full(pid)}
        for pid in live:
            context.rule_states_of.setdefault(pid, []).append(self)
        self.heap: list[tuple[float, int]] = []
        if rule.strategy == Strategy.NEAREST:
            self.positions = {pid: i for i, pid in enumerate(live)}
            self.id_array = np.array(live, dtype=np.int64)
            self.xyz = np.array(
                [unit_vector(partners[p].latitude or 0.0, partners[p].longitude or 0.0) for p in live],
                dtype=np.float64,
            ).reshape(len(live), 3)
            self.available = np.array([pid not in self.full for pid in live], dtype=bool)
        else:
            self.heap = [(context.figure(rule.strategy, pid), pid) for pid in live if pid not in self.full]
            heapq.heapify(self.heap)

    # --- keeping current ---------------------------------------------------------------------
    def became_full(self, pid: int) -> None:
        self.full.add(pid)
        if self.rule.strategy == Strategy.NEAREST:
            self.available[self.positions[pid]] = False

    def became_free(self, pid: int) -> None:
        self.full.discard(pid)
        if self.rule.strategy == Strategy.NEAREST:
            self.available[self.positions[pid]] = True
        else:
            heapq.heappush(self.heap, (self.context.figure(self.rule.strategy, pid), pid))

    def figure_changed(self, pid: int) -> None:
        """A partner's figure went down (a lead left it): rank it again."""
        if self.rule.strategy != Strategy.NEAREST and pid not in self.full:
            heapq.heappush(self.heap, (self.context.figure(self.rule.strategy, pid), pid))

    # --- choosing ----------------------------------------------------------------------------
    def best(self, facts: LeadFacts, declined: set[int], count: int) -> list[tuple[float, int]]:
        """Up to `count` eligible candidates, best first, as (figure, partner id)."""
        if self.rule.strategy == Strategy.NEAREST:
            return self._nearest(facts, declined, count)
        context, strategy, heap = self.context, self.rule.strategy, self.heap
        out: list[tuple[float, int]] = []
        keep: list[tuple[float, int]] = []
        seen: set[int] = set()
        while heap and len(out) < count:
            entry = heapq.heappop(heap)
            figure, pid = entry
            if pid in seen or pid in self.full:
                continue  # a duplicate, or full (pushed again when it has room)
            current = context.figure(strategy, pid)
            if figure != current:
                if figure < current:
                    heapq.heappush(heap, (current, pid))  # it was given leads since: rank it again
                continue  # else an older entry of a partner pushed again when a lead left it
            seen.add(pid)
            keep.append(entry)
            if pid not in declined:
                out.append(entry)
        for entry in keep:
            heapq.heappush(heap, entry)
        return out

    def _nearest(self, facts: LeadFacts, declined: set[int], count: int) -> list[tuple[float, int]]:
        if not len(self.id_array) or facts.latitude is None or facts.longitude is None:
            return []
        vector = np.array(unit_vector(facts.latitude, facts.longitude), dtype=np.float64)
        dots = np.where(self.available, self.xyz @ vector, -np.inf)
        for pid in declined:
            position = self.positions.get(pid)
            if position is not None:
                dots[position] = -np.inf
        picked = np.argpartition(-dots, count)[:count] if count < len(dots) else np.arange(len(dots))
        out: list[tuple[float, int]] = []
        for i in picked.tolist():
            dot = float(dots[i])
            if dot == -np.inf:
                continue
            chord = math.sqrt(max(0.0, 2.0 - 2.0 * min(1.0, dot)))
            out.append((2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2)), int(self.id_array[i])))
        out.sort()
        return out

    def left_out(self, declined: set[int]) -> dict[str, int]:
        counts = dict(self.static_counts)
        if self.full:
            counts[LEFT_OUT_CAPACITY] = len(self.full)
        if declined:
            gone = sum(1 for pid in declined if pid in self.id_set and pid not in self.static_out)
            gone -= sum(1 for pid in declined if pid in self.full)
            if gone:
                counts[LEFT_OUT_DECLINED] = gone
        return counts


class RoutingContext:
    """Rules and partner figures loaded once for a batch, kept current in memory."""

    def __init__(self, *, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.rules = list(
            DispatchRule.objects.filter(active=True)
            .select_related("min_tier", "certification")
            .prefetch_related("partners", "categories")
            .order_by("priority", "id")
        )
        self.rule_partner_ids = {r.pk: [p.pk for p in r.partners.all()] for r in self.rules}
        self.rule_category_ids = {r.pk: frozenset(c.pk for c in r.categories.all()) for r in self.rules}
        # The rules a lead of each country can match, in priority order, with each rule's place in
        # the whole order (to tell how many rules of other countries came before it).
        self.position = {r.pk: i for i, r in enumerate(self.rules)}
        self._by_country: dict[str, list[DispatchRule]] = {}
        self.partners: dict[int, PartnerInfo] = {}
        rows, certifications = partner_static()
        for pid, name, status, ptype, rank, weight, capacity, lat, lon in rows:
            self.partners[pid] = PartnerInfo(
                id=pid, name=name, status=status, type=ptype, tier_rank=rank, weight=max(1, weight),
                capacity=capacity, latitude=lat, longitude=lon, certifications=certifications.get(pid, frozenset()),
            )  # fmt: skip
        # Open and recent lead counts are loaded lazily, for the partners a rule actually considers
        # (one grouped query per batch of unknown partners), so routing one lead to a rule with a few
        # explicit partners does not count the leads of every partner.
        self._counted: set[int] = set()
        self.active_ids = [p.id for p in self.partners.values() if p.status == PartnerStatus.ACTIVE]
        self.states: dict[tuple[int, int | None], RuleState] = {}
        self._sellers: dict[int, frozenset[int]] = {}
        self._skipped: dict[tuple[str, int | None], list[tuple[int, dict[str, Any]]]] = {}
        self.rule_states_of: dict[int, list[RuleState]] = {}
        self._protection: tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]] | None = (
            None
        )

    # --- counts -------------------------------------------------------------------------------
    WHOLE_TABLE_ABOVE = 1000  # above this many unknown partners, one grouped scan beats IN (…)

    def ensure_counts(self, partner_ids: Iterable[int]) -> None:
        """Load open and recent lead counts for the partners not counted yet."""
        missing = [pid for pid in partner_ids if pid not in self._counted and pid in self.partners]
        if not missing:
            return
        open_qs = Lead.objects.filter(status__in=OPEN_STATUSES, partner__isnull=False)
        recent_qs = Lead.objects.filter(partner__isnull=False, dispatched_at__gte=self.now - FAIRNESS_WINDOW)
        if len(missing) > self.WHOLE_TABLE_ABOVE:
            missing = [pid for pid in self.partners if pid not in self._counted]
        else:
            open_qs = open_qs.filter(partner_id__in=missing)
            recent_qs = recent_qs.filter(partner_id__in=missing)
        wanted = set(missing)
        for pid in wanted:
            self.partners[pid].open_leads = 0
            self.partners[pid].recent = 0
        for pid, n in open_qs.values_list("partner_id").annotate(n=Count("id")).order_by():
            if pid in wanted:
                self.partners[pid].open_leads = n
        for pid, n in recent_qs.values_list("partner_id").annotate(n=Count("id")).order_by():
            if pid in wanted:
                self.partners[pid].recent = n
        self._counted.update(wanted)

    def is_full(self, pid: int) -> bool:
        info = self.partners[pid]
        return info.open_leads >= info.capacity

    def figure(self, strategy: str, pid: int) -> float:
        info = self.partners[pid]
        if strategy == Strategy.LEAST_LOADED:
            return info.open_leads / info.capacity if info.capacity else math.inf
        return info.recent / info.weight  # weighted: fewest recent leads per unit of tier weight

    # --- bookkeeping --------------------------------------------------------------------------
    def assigned(self, partner_id: int, *, saved: bool = True) -> None:
        """Count a lead just given to a partner (open load and fairness). After the lead is saved,
        a partner counted only now already includes it; a batch counts before it writes (saved=False)."""
        if partner_id not in self._counted:
            self.ensure_counts([partner_id])
            if saved:
                return
        info = self.partners.get(partner_id)
        if info:
            was_full = info.open_leads >= info.capacity
            info.open_leads += 1
            info.recent += 1
            if not was_full and info.open_leads >= info.capacity:
                for state in self.rule_states_of.get(partner_id, ()):
                    state.became_full(partner_id)

    def released(self, partner_id: int) -> None:
        """A lead left a partner (declined or late); call before the lead row itself changes."""
        self.ensure_counts([partner_id])
        info = self.partners.get(partner_id)
        if info and info.open_leads > 0:
            was_full = info.open_leads >= info.capacity
            info.open_leads -= 1
            for state in self.rule_states_of.get(partner_id, ()):
                if was_full and info.open_leads < info.capacity:
                    state.became_free(partner_id)
                else:
                    state.figure_changed(partner_id)

    # --- deciding -----------------------------------------------------------------------------
    def preload_protection(self) -> None:
        """Load the approved, still protected deal registrations once (for a batch): protected_partner
        then answers from memory instead of one query per lead."""
        by_name: dict[str, list[tuple[Any, ...]]] = {}
        by_domain: dict[str, list[tuple[Any, ...]]] = {}
        for row in DealRegistration.objects.filter(
            status=RegistrationStatus.APPROVED, protected_until__gte=self.now.date()
        ).values_list("created_at", "id", "partner_id", "customer_company", "lead_id", "normalised_company",
                      "customer_domain"):  # fmt: skip
            if row[5]:
                by_name.setdefault(row[5], []).append(row[:5])
            if row[6]:
                by_domain.setdefault(row[6], []).append(row[:5])
        self._protection = (by_name, by_domain)

    def protected_partner(self, facts: LeadFacts) -> tuple[int, str] | None:
        """An approved deal registration protecting this lead's customer: (partner id, company)."""
        name, domain = facts.normalised_company, facts.domain
        if self._protection is not None:
            by_name, by_domain = self._protection
            rows = (by_name.get(name, []) if name else []) + (by_domain.get(domain, []) if domain else [])
            rows = [r for r in rows if facts.pk is None or r[4] != facts.pk]
            if not rows:
                return None
            first = min(rows, key=lambda r: (r[0], r[1]))
            return first[2], first[3]
        match = Q(normalised_company=name) if name else Q(pk__in=[])
        if domain:
            match |= Q(customer_domain=domain)
        registrations = DealRegistration.objects.filter(
            match, status=RegistrationStatus.APPROVED, protected_until__gte=self.now.date()
        )
        if facts.pk is not None:
            registrations = registrations.exclude(lead_id=facts.pk)
        registration = (
            registrations.order_by("created_at", "id").values_list("partner_id", "customer_company").first()
        )
        return (registration[0], registration[1]) if registration else None

    def sellers(self, category_id: int) -> frozenset[int]:
        """The partners whose assortment includes this category (catalog.selectors.partners_selling),
        read once per category and context."""
        known = self._sellers.get(category_id)
        if known is None:
            from catalog.selectors import partners_selling

            known = self._sellers[category_id] = frozenset(partners_selling(category_id))
        return known

    def candidate_ids(self, rule: DispatchRule, category_id: int | None = None) -> list[int]:
        ids = self._candidate_ids(rule)
        if rule.sells_lead_category and category_id is not None:
            selling = self.sellers(category_id)
            ids = [i for i in ids if i in selling]
        return ids

    def _candidate_ids(self, rule: DispatchRule) -> list[int]:
        explicit = self.rule_partner_ids.get(rule.pk) or []
        if explicit:
            return [pid for pid in explicit if pid in self.partners]
        ids: list[int] = self.active_ids
        if rule.min_tier_id:
            floor = rule.min_tier.rank if rule.min_tier else 0
            ids = [i for i in ids if self.partners[i].tier_rank >= floor]
        if rule.partner_types:
            ids = [i for i in ids if self.partners[i].type in rule.partner_types]
        if rule.certification_id:
            ids = [i for i in ids if rule.certification_id in self.partners[i].certifications]
        return ids

    def state(self, rule: DispatchRule, category_id: int | None = None) -> RuleState:
        """The rule's ranked candidates; for a rule that takes only partners selling the lead's
        category, one state per category."""
        key = (rule.pk, category_id if rule.sells_lead_category else None)
        state = self.states.get(key)
        if state is None:
            state = self.states[key] = RuleState(self, rule, self.candidate_ids(rule, key[1]))
        return state

    def rules_for(self, country: str) -> list[DispatchRule]:
        rules = self._by_country.get(country)
        if rules is None:
            rules = self._by_country[country] = [
                r for r in self.rules if not r.countries or country in r.countries
            ]
        return rules

    def evaluate(self, rule: DispatchRule, facts: LeadFacts, declined: set[int]) -> list[Candidate]:
        """Every candidate of a (small) rule with its figure, or why it is left out: computed
        directly, no ranking structure needed for a few partners."""
        state = self.state(rule, facts.category_id)
        out: list[Candidate] = []
        nearest = rule.strategy == Strategy.NEAREST
        for pid in state.ids:
            info = self.partners[pid]
            cand = Candidate(partner_id=pid, name=info.name)
            if pid in state.static_out:
                cand.excluded = state.static_out[pid]
            elif pid in declined:
                cand.excluded = LEFT_OUT_DECLINED
            elif pid in state.full:
                cand.excluded = f"{LEFT_OUT_CAPACITY} ({info.open_leads}/{info.capacity} open leads)"
            elif nearest:
                assert facts.latitude is not None and facts.longitude is not None
                assert info.latitude is not None and info.longitude is not None
                cand.figure = great_circle_km(facts.latitude, facts.longitude, info.latitude, info.longitude)
            else:
                cand.figure = self.figure(rule.strategy, pid)
            out.append(cand)
        return out

    def _skipped_for_country(self, country: str, upto: int | None) -> list[tuple[int, dict[str, Any]]]:
        """The rules of other countries before position `upto` (all when None), as (position, entry):
        listed one by one when there are few, else summed up in one line. The same for every lead of
        a country decided by the same rule, so kept."""
        key = (country, upto)
        known = self._skipped.get(key)
        if known is not None:
            return known
        end = len(self.rules) if upto is None else upto
        same = sum(1 for rule in self.rules_for(country) if self.position[rule.pk] < end)
        skipped = end - same
        entries: list[tuple[int, dict[str, Any]]]
        if skipped == 0:
            entries = []
        elif skipped > COUNTRY_SKIPS_LISTED:
            entries = [
                (
                    -1,
                    {
                        "rule": f"{skipped} rules for other countries",
                        "outcome": f"did not match: country {country}",
                    },
                )
            ]
        else:
            entries = [
                (
                    i,
                    {
                        "rule": r.name,
                        "outcome": f"did not match: country {country} not in {', '.join(r.countries)}",
                    },
                )
                for i, r in enumerate(self.rules[:end])
                if r.countries and country not in r.countries
            ]
        self._skipped[key] = entries
        return entries

    def _merge_tried(
        self, country: str, tried: list[tuple[int, dict[str, Any]]], upto: int | None
    ) -> list[dict[str, Any]]:
        """The rules tried before the deciding one, in priority order: those of the lead's country
        with why they did not decide, and those of other countries (summed up when many)."""
        skipped = self._skipped_for_country(country, upto)
        if not tried:
            return [entry for _, entry in skipped]
        if not skipped:
            return [entry for _, entry in tried]
        return [entry for _, entry in sorted(skipped + tried, key=lambda t: t[0])]

    def decide(self, lead: Lead | LeadFacts, *, declined: set[int] | None = None, top: int = TOP) -> Decision:
        """Route one lead in memory (nothing written). A rule with more than FULL_LIST candidates
        lists its best `top` eligible ones and counts the others."""
        facts = lead if isinstance(lead, LeadFacts) else LeadFacts.of(lead)
        declined = declined or set()
        protected = self.protected_partner(facts)
        if protected:
            pid, company = protected
            info = self.partners.get(pid)
            if info and info.status == PartnerStatus.ACTIVE and pid not in declined:
                cand = Candidate(partner_id=pid, name=info.name, chosen=True)
                return Decision(
                    partner_id=pid, rule=None, strategy="deal_registration", candidates=[cand],
                    reason=f"{info.name}: {company} is protected by their approved deal registration.",
                    considered=1,
                )  # fmt: skip
            return Decision(
                partner_id=None, rule=None, strategy="deal_registration",
                reason=f"{company} is protected by a deal registration of "
                f"{info.name if info else 'a partner'}, who cannot take it now; no other partner may.",
            )  # fmt: skip
        tried: list[tuple[int, dict[str, Any]]] = []
        position = self.position
        for rule in self.rules_for(facts.country):
            mismatch = conditions_mismatch(rule, facts, self.rule_category_ids.get(rule.pk, frozenset()))
            if mismatch:
                tried.append(
                    (position[rule.pk], {"rule": rule.name, "outcome": f"did not match: {mismatch}"})
                )
                continue
            if rule.sells_lead_category and facts.category_id is None:
                tried.append(
                    (
                        position[rule.pk],
                        {
                            "rule": rule.name,
                            "outcome": "takes only partners selling the lead's category; it has none",
                        },
                    )
                )
                continue
            if rule.strategy == Strategy.NEAREST and (facts.latitude is None or facts.longitude is None):
                tried.append(
                    (
                        position[rule.pk],
                        {"rule": rule.name, "outcome": "nearest needs the lead's coordinates"},
                    )
                )
                continue
            state = self.state(rule, facts.category_id)
            if len(state.ids) <= FULL_LIST:
                candidates = self.evaluate(rule, facts, declined)
                eligible = [c for c in candidates if not c.excluded]
                left_out: dict[str, int] = {}
            else:
                ranked = state.best(facts, declined, top)
                eligible = [Candidate(partner_id=p, name=self.partners[p].name, figure=f) for f, p in ranked]
                candidates = eligible
                left_out = state.left_out(declined)
            if not eligible:
                tried.append(
                    (
                        position[rule.pk],
                        {"rule": rule.name, "outcome": f"no candidate left ({len(state.ids)} considered)"},
                    )
                )
                continue
            best = min(eligible, key=lambda c: (c.figure if c.figure is not None else 0.0, c.partner_id))
            best.chosen = True
            return Decision(
                partner_id=best.partner_id, rule=rule, strategy=rule.strategy, candidates=candidates,
                rules_tried=self._merge_tried(facts.country, tried, position[rule.pk]),
                reason=self.sentence(rule, best, self._eligible_count(state, declined)),
                accept_within_hours=rule.accept_within_hours, considered=len(state.ids), left_out=left_out,
            )  # fmt: skip
        tried_out = self._merge_tried(facts.country, tried, None)
        return Decision(
            partner_id=None, rule=None, strategy="", rules_tried=tried_out,
            reason="No rule found a partner for this lead"
            + (f" ({len(self.rules)} rules tried)." if self.rules else " (no active rules)."),
        )  # fmt: skip

    def _eligible_count(self, state: RuleState, declined: set[int]) -> int:
        gone = sum(
            1
            for pid in declined
            if pid in state.id_set and pid not in state.static_out and pid not in state.full
        )
        return len(state.live) - len(state.full) - gone

    @staticmethod
    def sentence(rule: DispatchRule, best: Candidate, eligible: int) -> str:
        others = f" among {eligible} candidates" if eligible > 1 else " (the only candidate)"
        if rule.strategy == Strategy.NEAREST:
            figure = f"nearest at {best.figure:.0f} km"
        elif rule.strategy == Strategy.LEAST_LOADED:
            figure = f"least loaded at {100 * (best.figure or 0):.0f}% of capacity"
        else:
            figure = f"fewest recent leads per tier weight ({best.figure:.2f})"
        return f"Rule “{rule.name}”: {best.name}, {figure}{others}."[:500]
