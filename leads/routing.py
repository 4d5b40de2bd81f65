"""Explainable lead routing: which partner gets a lead, and why.

A `RoutingContext` loads the active rules and what routing needs of every partner (status, tier
weight, capacity, coordinates, certifications) once, counts open leads and recent dispatches lazily for
the partners a rule considers, and keeps the counts current as it assigns leads, so that a batch of
leads is routed with a handful of queries.

`RoutingContext.decide(lead, declined=...)` answers a `Decision`: the rule that decided, every
candidate with its deciding figure or the reason it was left out, the rules tried before it, and one
readable sentence. Nothing is written here; leads.services stores the decision and moves the lead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from leads.choices import OPEN_STATUSES, RegistrationStatus, Strategy
from leads.models import DealRegistration, DispatchRule, Lead
from partners.choices import PartnerStatus
from partners.models import Partner

FAIRNESS_WINDOW = timedelta(days=30)
EARTH_RADIUS_KM = 6371.0088


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

    @property
    def ranked(self) -> list[Candidate]:
        """The eligible candidates, best first (the proposals a channel manager picks from)."""
        eligible = [c for c in self.candidates if not c.excluded]
        return sorted(eligible, key=lambda c: (c.figure if c.figure is not None else 0.0, c.partner_id))


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))


def rule_mismatch(rule: DispatchRule, lead: Lead, category_ids: frozenset[int]) -> str:
    """Why `rule` does not apply to `lead` ('' when it does)."""
    if rule.countries and lead.country not in rule.countries:
        return f"country {lead.country} not in {', '.join(rule.countries)}"
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


class RoutingContext:
    """Rules and partner figures loaded once for a batch (five queries), kept current in memory."""

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
        certifications: dict[int, set[int]] = {}
        for partner_id, cert_id in Partner.certifications.through.objects.values_list(
            "partner_id", "certification_id"
        ):
            certifications.setdefault(partner_id, set()).add(cert_id)
        self.partners: dict[int, PartnerInfo] = {}
        for row in Partner.objects.values_list(
            "id",
            "name",
            "status",
            "type",
            "tier__rank",
            "tier__routing_weight",
            "capacity",
            "latitude",
            "longitude",
        ):
            pid, name, status, ptype, rank, weight, capacity, lat, lon = row
            self.partners[pid] = PartnerInfo(
                id=pid, name=name, status=status, type=ptype, tier_rank=rank, weight=max(1, weight),
                capacity=capacity, latitude=float(lat) if lat is not None else None,
                longitude=float(lon) if lon is not None else None,
                certifications=frozenset(certifications.get(pid, ())),
            )  # fmt: skip
        # Open and recent lead counts are loaded lazily, for the partners a rule actually considers
        # (one grouped query per batch of unknown partners), so routing one lead to a rule with a few
        # explicit partners does not count the leads of every partner.
        self._counted: set[int] = set()
        self.active_ids = [p.id for p in self.partners.values() if p.status == PartnerStatus.ACTIVE]

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

    # --- bookkeeping --------------------------------------------------------------------------
    def assigned(self, partner_id: int) -> None:
        """Count a lead just given to a partner (open load and fairness). Called after the lead is
        saved: a partner counted only now already includes it."""
        if partner_id not in self._counted:
            self.ensure_counts([partner_id])
            return
        info = self.partners.get(partner_id)
        if info:
            info.open_leads += 1
            info.recent += 1

    def released(self, partner_id: int) -> None:
        """A lead left a partner (declined or late); call before the lead row itself changes."""
        self.ensure_counts([partner_id])
        info = self.partners.get(partner_id)
        if info and info.open_leads > 0:
            info.open_leads -= 1

    # --- deciding -----------------------------------------------------------------------------
    def protected_partner(self, lead: Lead) -> tuple[int, str] | None:
        """An approved deal registration protecting this lead's customer: (partner id, company)."""
        from customers.models import email_domain, normalise_company

        name = normalise_company(lead.company)
        domain = email_domain(lead.email)
        match = Q(normalised_company=name) if name else Q(pk__in=[])
        if domain:
            match |= Q(customer_domain=domain)
        registration = (
            DealRegistration.objects.filter(
                match, status=RegistrationStatus.APPROVED, protected_until__gte=self.now.date()
            )
            .exclude(lead_id=lead.pk)
            .order_by("created_at")
            .values_list("partner_id", "customer_company")
            .first()
        )
        return (registration[0], registration[1]) if registration else None

    def candidate_ids(self, rule: DispatchRule) -> Iterable[int]:
        explicit = self.rule_partner_ids.get(rule.pk) or []
        if explicit:
            return explicit
        ids: Iterable[int] = self.active_ids
        if rule.min_tier_id:
            floor = rule.min_tier.rank if rule.min_tier else 0
            ids = [i for i in ids if self.partners[i].tier_rank >= floor]
        if rule.partner_types:
            ids = [i for i in ids if self.partners[i].type in rule.partner_types]
        if rule.certification_id:
            ids = [i for i in ids if rule.certification_id in self.partners[i].certifications]
        return ids

    def evaluate(self, rule: DispatchRule, lead: Lead, declined: set[int]) -> list[Candidate]:
        """Every candidate of a rule with its figure, or why it is left out."""
        out: list[Candidate] = []
        ids = list(self.candidate_ids(rule))
        self.ensure_counts(ids)
        for pid in ids:
            info = self.partners.get(pid)
            if info is None:
                continue
            cand = Candidate(partner_id=pid, name=info.name)
            if info.status != PartnerStatus.ACTIVE:
                cand.excluded = f"not active ({info.status})"
            elif pid in declined:
                cand.excluded = "declined this lead"
            elif info.open_leads >= info.capacity:
                cand.excluded = f"at capacity ({info.open_leads}/{info.capacity} open leads)"
            elif rule.strategy == Strategy.NEAREST:
                if info.latitude is None or info.longitude is None:
                    cand.excluded = "no coordinates"
                elif lead.latitude is not None and lead.longitude is not None:
                    cand.figure = great_circle_km(
                        float(lead.latitude), float(lead.longitude), info.latitude, info.longitude
                    )
            elif rule.strategy == Strategy.LEAST_LOADED:
                cand.figure = info.open_leads / info.capacity if info.capacity else math.inf
            else:  # weighted: fewest recent leads per unit of tier weight, fair over time
                cand.figure = info.recent / info.weight
            out.append(cand)
        return out

    def decide(self, lead: Lead, *, declined: set[int] | None = None) -> Decision:
        declined = declined or set()
        protected = self.protected_partner(lead)
        if protected:
            pid, company = protected
            info = self.partners.get(pid)
            if info and info.status == PartnerStatus.ACTIVE and pid not in declined:
                cand = Candidate(partner_id=pid, name=info.name, chosen=True)
                return Decision(
                    partner_id=pid, rule=None, strategy="deal_registration", candidates=[cand],
                    reason=f"{info.name}: {company} is protected by their approved deal registration.",
                )  # fmt: skip
            return Decision(
                partner_id=None, rule=None, strategy="deal_registration",
                reason=f"{company} is protected by a deal registration of "
                f"{info.name if info else 'a partner'}, who cannot take it now; no other partner may.",
            )  # fmt: skip
        tried: list[dict[str, Any]] = []
        for rule in self.rules:
            mismatch = rule_mismatch(rule, lead, self.rule_category_ids.get(rule.pk, frozenset()))
            if mismatch:
                tried.append({"rule": rule.name, "outcome": f"did not match: {mismatch}"})
                continue
            if rule.strategy == Strategy.NEAREST and (lead.latitude is None or lead.longitude is None):
                tried.append({"rule": rule.name, "outcome": "nearest needs the lead's coordinates"})
                continue
            candidates = self.evaluate(rule, lead, declined)
            eligible = [c for c in candidates if not c.excluded]
            if not eligible:
                tried.append(
                    {"rule": rule.name, "outcome": f"no candidate left ({len(candidates)} considered)"}
                )
                continue
            best = min(eligible, key=lambda c: (c.figure if c.figure is not None else 0.0, c.partner_id))
            best.chosen = True
            return Decision(
                partner_id=best.partner_id, rule=rule, strategy=rule.strategy, candidates=candidates,
                rules_tried=tried, reason=self.sentence(rule, best, len(eligible)),
                accept_within_hours=rule.accept_within_hours,
            )  # fmt: skip
        return Decision(
            partner_id=None, rule=None, strategy="", rules_tried=tried,
            reason="No rule found a partner for this lead"
            + (f" ({len(tried)} rules tried)." if tried else " (no active rules)."),
        )  # fmt: skip

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
