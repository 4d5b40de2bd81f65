"""Leads for the lead scenarios (issue 3), on top of the partner data set (bench.dataset).

Built in SQL, not through the ORM: one `INSERT ... SELECT` over `generate_series` with a seeded
`random()`, so a million leads take seconds rather than minutes. Leads follow the partners' own
countries and cities; a few partners get many of them (the partner-manager persona's partner gets
LEADS_SHARE_PERSONA of all), statuses come in the proportions of a live channel (most leads closed long
ago, a few waiting for acceptance), `created_at` spreads over six years, more of them recent. The scale
is recorded as an activity-trail line (`bench.leads`), so the same scale is reused.

Also here: the 200 dispatch rules and the `new` leads of the routing scenario, and the CSV file of the
import scenario."""

from __future__ import annotations

import csv
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from bench import dataset as ds
from core.models import ActivityEvent
from leads.choices import LeadStatus, Strategy
from leads.models import DispatchDecision, DispatchRule, Lead, LeadDecline, LeadEvent
from partners.choices import PartnerStatus, PartnerType
from partners.models import Membership, Partner, Tier

LEADS_MARKER = "bench.leads"
LEADS_VERSION = 1
LEADS_SHARE_PERSONA = 0.02  # of all leads, to the partner manager's partner (its inbox is large)
# Status proportions of a channel's history (cumulative bounds on one random draw).
STATUS_BOUNDS: list[tuple[str, float]] = [
    (LeadStatus.DISPATCHED, 0.04),
    (LeadStatus.ACCEPTED, 0.14),
    (LeadStatus.QUALIFIED, 0.22),
    (LeadStatus.WON, 0.37),
    (LeadStatus.UNROUTABLE, 0.40),
    (LeadStatus.LOST, 1.00),
]
COMPANY_WORDS = ["Nordlicht", "Hanse", "Alpen", "Rhein", "Baltic", "Atlas", "Lumen", "Vega", "Orion",
                 "Delta", "Sierra", "Aurora", "Kestrel", "Falken", "Boreal", "Iberia", "Tamesis", "Loire"]  # fmt: skip
COMPANY_KINDS = ["Haustechnik", "Energie", "Solar", "Logistics", "Systems", "Bau", "Wärme", "Consulting",
                 "Foods", "Pharma", "Retail", "Metall", "Software", "Textil", "Automotive"]  # fmt: skip
ROUTE_RULES = 200
ROUTED_MARK = "bench-route"  # campaign_code of the routing scenario's new leads


@dataclass
class LeadsDataset:
    leads: int
    persona_partner_leads: int
    reused: bool
    build_seconds: float

    def summary(self) -> dict[str, Any]:
        return {
            "leads": self.leads,
            "leads_of_partner_manager_persona": self.persona_partner_leads,
            "leads_version": LEADS_VERSION,
            "leads_reused": self.reused,
            "leads_build_seconds": round(self.build_seconds, 2),
        }


def _persona_partner_id(data: ds.Dataset) -> int:
    return Membership.objects.filter(user=data.partner_manager).values_list("partner_id", flat=True).get()


def wipe_leads() -> None:
    """Every lead and what hangs off it (events, decisions, declines, registrations, shares)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {Lead._meta.db_table}, {DispatchRule._meta.db_table} CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        for model in (LeadEvent, DispatchDecision, LeadDecline, Lead, DispatchRule):
            model.objects.all().delete()
    ActivityEvent.objects.filter(verb=LEADS_MARKER).delete()


def build_leads(data: ds.Dataset, *, leads: int, rebuild: bool = False, log: Any = None) -> LeadsDataset:
    """`leads` leads over the data set's partners: reused when that many were built already."""
    if connection.vendor != "postgresql":
        raise ValueError("The lead data set is built in PostgreSQL SQL.")
    say = log or (lambda message: None)
    persona_partner = _persona_partner_id(data)
    marker = ActivityEvent.objects.filter(verb=LEADS_MARKER).order_by("-id").first()
    if (
        not rebuild
        and marker is not None
        and marker.data.get("leads") == leads
        and marker.data.get("version") == LEADS_VERSION
        and marker.data.get("partners") == data.partners
    ):
        say(f"Reusing the {leads:,} leads (--rebuild builds them again).")
        return LeadsDataset(leads, marker.data["persona_partner_leads"], reused=True, build_seconds=0.0)
    say(f"Building {leads:,} leads ...")
    started = time.perf_counter()
    with transaction.atomic():
        wipe_leads()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            insert_leads(cursor, leads, persona_partner=persona_partner)
            cursor.execute("SELECT count(*) FROM leads_lead WHERE partner_id = %s", [persona_partner])
            (persona_leads,) = cursor.fetchone()
        ActivityEvent.objects.create(
            actor=data.admin, verb=LEADS_MARKER, message=f"Benchmark leads: {leads}",
            target_type=LEADS_MARKER, target_id=leads,
            data={"leads": leads, "version": LEADS_VERSION, "partners": data.partners,
                  "persona_partner_leads": persona_leads},
        )  # fmt: skip
    analyze(Lead)
    elapsed = time.perf_counter() - started
    say(f"Built in {elapsed:.1f} s.")
    return LeadsDataset(leads, persona_leads, reused=False, build_seconds=elapsed)


def analyze(*models: Any) -> None:
    with connection.cursor() as cursor:
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for model in models:
            cursor.execute(f"{command} {model._meta.db_table}")


def insert_leads(
    cursor: Any,
    count: int,
    *,
    persona_partner: int | None,
    status: str | None = None,
    seed: float = 0.27,
    mark: str = "",
) -> None:
    """INSERT ... SELECT `count` leads. With `status` ('new'), every lead is new, unassigned, created
    now (the routing scenario's queue); else history in STATUS_BOUNDS proportions."""
    cursor.execute("SELECT setseed(%s)", [seed])
    cursor.execute(
        "CREATE TEMP TABLE IF NOT EXISTS bench_lead_partner AS "
        "SELECT row_number() OVER (ORDER BY id) AS rn, id, country, region, postal_code, city, "
        "latitude, longitude FROM partners_partner"
    )
    cursor.execute("SELECT count(*) FROM bench_lead_partner")
    (partners,) = cursor.fetchone()
    cursor.execute("SELECT rn FROM bench_lead_partner WHERE id = %s", [persona_partner or 0])
    row = cursor.fetchone()
    persona_rn = row[0] if row else 1
    cases = [f"WHEN s.r2 < {upper} THEN '{value}'" for value, upper in STATUS_BOUNDS]
    status_sql = f"'{status}'" if status else f"CASE {' '.join(cases)} END"
    words = "ARRAY[" + ",".join(f"'{w}'" for w in COMPANY_WORDS) + "]"
    kinds = "ARRAY[" + ",".join(f"'{k}'" for k in COMPANY_KINDS) + "]"
    # created: six years back, more of them recent; waiting (dispatched) and new leads are recent.
    history = ds.HISTORY_DAYS
    reference = ds.REFERENCE_DATE.isoformat()
    sql = f"""
    WITH s AS (
        SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4, random() AS r5
        FROM generate_series(1, %(count)s) AS g
    ), d AS (
        SELECT s.*, {status_sql} AS st,
               CASE WHEN s.r3 < %(share)s THEN %(persona_rn)s
                    ELSE 1 + floor(power(s.r1, 2) * %(partners)s)::int END AS rn
        FROM s
    ), t AS (
        SELECT d.*, CASE WHEN d.st IN ('new') THEN now()
                         WHEN d.st = 'dispatched' THEN now() - d.r4 * interval '3 days'
                         ELSE timestamptz %(reference)s - power(d.r4, 1.6) * %(history)s * interval '1 day'
                    END AS created
        FROM d
    )
    INSERT INTO leads_lead (
        company, normalised_company, contact_name, email, phone, country, region, postal_code, city,
        latitude, longitude, products_of_interest, estimated_value, currency, source, campaign_code,
        external_id, status, accept_by, budget, authority, need, timeline, qualification_notes,
        won_value, lost_reason, dispatch_reason, created_at, updated_at, dispatched_at, accepted_at,
        closed_at, partner_id
    )
    SELECT
        c.name, lower(c.name), 'Contact ' || t.g, 'buyer' || t.g || '@lead' || (t.g %% 9973) || '.example',
        '+49 30 ' || (1000000 + t.g %% 8999999), p.country, p.region, p.postal_code, p.city,
        p.latitude, p.longitude, '', round((t.r5 * 80000)::numeric, 2), 'EUR',
        (ARRAY['channel','import','api','showroom'])[1 + (t.g %% 4)], %(mark)s, '',
        t.st,
        CASE WHEN t.st = 'dispatched' THEN t.created + interval '48 hours' END,
        '', '', '', '', '',
        CASE WHEN t.st = 'won' THEN round((t.r5 * 80000)::numeric, 2) END,
        CASE WHEN t.st = 'lost' THEN 'No budget this year' ELSE '' END,
        CASE WHEN t.st IN ('new', 'unroutable') THEN '' ELSE 'Benchmark history' END,
        t.created, t.created,
        CASE WHEN t.st NOT IN ('new', 'unroutable') THEN t.created END,
        CASE WHEN t.st IN ('accepted', 'qualified', 'won', 'lost') THEN t.created + interval '1 day' END,
        CASE WHEN t.st IN ('won', 'lost') THEN t.created + interval '30 days' END,
        CASE WHEN t.st IN ('new', 'unroutable') THEN NULL ELSE p.id END
    FROM t
    JOIN bench_lead_partner p ON p.rn = t.rn
    CROSS JOIN LATERAL (
        SELECT ({words})[1 + (t.g %% {len(COMPANY_WORDS)})] || ' '
               || ({kinds})[1 + ((t.g / {len(COMPANY_WORDS)}) %% {len(COMPANY_KINDS)})] || ' ' || t.g AS name
    ) c
    """
    cursor.execute(
        sql,
        {
            "count": count,
            "share": LEADS_SHARE_PERSONA if persona_partner else 0.0,
            "persona_rn": persona_rn,
            "partners": partners,
            "reference": reference,
            "history": history,
            "mark": mark,
        },
    )
    cursor.execute("DROP TABLE bench_lead_partner")


# --- Routing: 200 rules and a queue of new leads -----------------------------------------------------


def build_rules(count: int = ROUTE_RULES, *, seed: int = ds.SEED) -> list[DispatchRule]:
    """`count` active rules over the partners: by country (one to three countries), a quarter with an
    explicit partner list (5 to 40 partners of those countries), the others choosing among the active
    partners filtered by tier or type; the three strategies in turn; a catch-all rule last."""
    rng = random.Random(seed)
    DispatchRule.objects.all().delete()
    countries = list(ds.COUNTRIES)
    by_country: dict[str, list[int]] = {}
    for pid, country in Partner.objects.filter(status=PartnerStatus.ACTIVE).values_list("id", "country"):
        by_country.setdefault(country, []).append(pid)
    tiers = list(Tier.objects.order_by("rank"))
    strategies = [Strategy.WEIGHTED, Strategy.LEAST_LOADED, Strategy.NEAREST]
    types = [PartnerType.RESELLER, PartnerType.SERVICE_PARTNER, PartnerType.DISTRIBUTOR]
    rules: list[DispatchRule] = []
    explicit: dict[int, list[int]] = {}
    for i in range(count - 1):
        chosen = rng.sample(countries, rng.choice([1, 1, 2, 3]))
        rule = DispatchRule(
            name=f"Bench rule {i + 1:03d} ({', '.join(chosen)})",
            priority=10 + i,
            countries=chosen,
            strategy=strategies[i % 3],
            accept_within_hours=48,
        )
        kind = i % 4
        if kind == 1:
            rule.min_tier = tiers[1 + rng.randrange(len(tiers) - 1)]
        elif kind == 2:
            rule.partner_types = [rng.choice(types)]
        elif kind == 3:
            rule.min_value = 1000 * rng.randrange(1, 40)
        rules.append(rule)
        if kind == 0:
            pool = [pid for c in chosen for pid in by_country.get(c, [])]
            explicit[i] = rng.sample(pool, min(len(pool), rng.randrange(5, 41)))
    rules.append(
        DispatchRule(
            name="Bench catch-all", priority=10_000, strategy=Strategy.WEIGHTED, accept_within_hours=72
        )
    )
    DispatchRule.objects.bulk_create(rules)
    through = DispatchRule.partners.through
    through.objects.bulk_create(
        [through(dispatchrule_id=rules[i].pk, partner_id=pid) for i, pids in explicit.items() for pid in pids]
    )
    return rules


def add_new_leads(count: int, *, seed: float = 0.61) -> None:
    """`count` new leads (status new, no partner) in the routing queue, committed."""
    with transaction.atomic(), connection.cursor() as cursor:
        insert_leads(cursor, count, persona_partner=None, status=LeadStatus.NEW, seed=seed, mark=ROUTED_MARK)
    analyze(Lead)


def remove_routing_leads() -> None:
    """The routing scenario's leads and what routing wrote about them."""
    with transaction.atomic(), connection.cursor() as cursor:
        ids = "SELECT id FROM leads_lead WHERE campaign_code = %s"
        for table in (LeadEvent, DispatchDecision, LeadDecline):
            cursor.execute(f"DELETE FROM {table._meta.db_table} WHERE lead_id IN ({ids})", [ROUTED_MARK])
        cursor.execute("DELETE FROM leads_lead WHERE campaign_code = %s", [ROUTED_MARK])
    analyze(Lead, LeadEvent, DispatchDecision)


# --- Import: a CSV file ------------------------------------------------------------------------------


def write_import_csv(path: Path, rows: int, *, seed: int = ds.SEED, bad_share: float = 0.01) -> int:
    """A CSV file of `rows` leads in the import format (leads.imports.IMPORT_COLUMNS), about
    `bad_share` of them invalid (a bad e-mail or an unknown country). Returns the number of bad rows."""
    from leads.imports import IMPORT_COLUMNS

    rng = random.Random(seed)
    cities = ds.CITIES
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(IMPORT_COLUMNS)
        for i in range(rows):
            country, city, postal, region, lat, lon = cities[i % len(cities)]
            company = (
                f"{COMPANY_WORDS[i % len(COMPANY_WORDS)]} {COMPANY_KINDS[(i // 7) % len(COMPANY_KINDS)]} {i}"
            )
            email = f"buyer{i}@import{i % 997}.example"
            if rng.random() < bad_share:
                bad += 1
                if i % 2:
                    email = "not-an-email"
                else:
                    country = "XX"
            writer.writerow(
                [company, f"Contact {i}", email, f"+49 89 {1000000 + i}", country, region, postal, city,
                 f"{lat + rng.uniform(-0.2, 0.2):.6f}", f"{lon + rng.uniform(-0.2, 0.2):.6f}", "",
                 "Heat pumps", f"{rng.uniform(500, 90000):.2f}", "EUR", "BENCH26", f"BENCH-{seed}-{i}"]
            )  # fmt: skip
    return bad
