"""Issue 7's benchmark (`python -m bench --analytics N [--analytics-orders M]`): the analytics pages at scale.

On top of the partner data set (bench.dataset, 10,000 partners by default) it builds (or reuses) N
leads with bench.leads_dataset (six years of history, 2% held by the partner-manager persona's
partner) and M orders with bench.orders (1,000,000 by default, three years), then rebuilds every
roll-up with `analytics.rollups.rebuild_all()` (timed, with the rows each roll-up holds), and
measures, as bench.orders does (django.test.Client, every middleware and the session, DEBUG off),
the p95 of (target under 200 ms, one client):
- `/channel/analytics/` as the channel admin and as the channel-manager persona: every section at
  once, each `?section=`, a country filter and a partner filter;
- `/partner/analytics/` as the partner-manager persona: every section, each section;
- one CSV download (won revenue by partner, the widest table) as the channel admin;
- `GET /api/v1/analytics/summary` with a bearer token as the channel admin;
- the scorecard pages: the channel's list of partners off their tier (admin, manager), one partner's
  scorecard in the channel portal, the partner's own scorecard.
Service requests and MDF are not built here (bench.service and bench.mdf measure those at scale;
their figures read small tables or the roll-ups measured here)."""

from __future__ import annotations

import os
import time
from typing import Any
from urllib.parse import urlencode

from django.db import connection

from bench import dataset as ds
from bench.mdf import _timed, explain_queries

P95_TARGET_MS = 200.0
SECTIONS = ("sales", "service", "marketing", "orders")


def rebuild_rollups(log: Any = None) -> dict[str, Any]:
    """`rebuild_all()` timed, then ANALYZE of the roll-up tables; the rows of each."""
    from analytics import rollups

    say = log or (lambda message: None)
    say("Rebuilding the roll-ups (rebuild_all) ...")
    started = time.perf_counter()
    rollups.rebuild_all()
    elapsed = time.perf_counter() - started
    specs = [
        *rollups.SPECS,
        *(getattr(s, name, None) for s in rollups.SPECS for name in ("month", "channel")),
    ]
    tables = sorted({spec.model._meta.db_table for spec in specs if spec is not None})
    rows: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"VACUUM (ANALYZE) {table}" if not connection.in_atomic_block else f"ANALYZE {table}"
            )
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608  (table names of the roll-ups)
            rows[table] = cursor.fetchone()[0]
    say(f"Roll-ups rebuilt in {elapsed:.1f} s: {rows}")
    return {"rebuild_seconds": round(elapsed, 1), "rollup_rows": rows}


def _with(base: str, **params: Any) -> str:
    return f"{base}?{urlencode(params, doseq=True)}"


def _dashboard_paths(base: str, *, country: str | None, partner: int | None) -> list[tuple[str, str]]:
    paths = [("all sections", base)]
    paths += [(f"section={s}", _with(base, section=s)) for s in SECTIONS]
    if country:
        paths.append((f"country={country}", _with(base, country=country)))
    if partner:
        paths.append(("one partner", _with(base, partner=partner)))
    return paths


def _managed_partner(user: Any) -> int | None:
    from partners.access import managed_partner_id_list

    ids = managed_partner_id_list(user)
    return ids[len(ids) // 2] if ids else None


def run_pages(data: ds.Dataset, *, requests: int, warmup: int, explain_ms: float | None = None,
              log: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    from django.test import Client
    from django.urls import reverse

    from core.services import api_token_create, api_token_revoke
    from partners.models import Membership

    say = log or (lambda message: None)
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    channel = reverse("channel:analytics")
    partner = reverse("partner:analytics")
    export = reverse("channel:analytics_export", args=["sales.won_by_partner", "csv"])
    managed = _managed_partner(data.channel_manager)
    plan: list[tuple[str, Any, bool, list[tuple[str, str]]]] = [
        ("channel_analytics_admin", data.admin, False,
         _dashboard_paths(channel, country="DE", partner=persona_partner)),
        ("channel_analytics_manager", data.channel_manager, False,
         _dashboard_paths(channel, country="DE", partner=managed)),
        ("partner_analytics", data.partner_manager, False, _dashboard_paths(partner, country=None, partner=None)),
        ("analytics_export_csv_admin", data.admin, False, [("won revenue by partner (CSV)", export)]),
        ("api_analytics_summary", data.admin, True, [("summary", "/api/v1/analytics/summary"),
                                                      ("summary, one country", _with("/api/v1/analytics/summary", country="DE"))]),
        ("channel_scorecards_admin", data.admin, False, [
            ("partners off their tier", reverse("channel:scorecards")),
            ("one partner's scorecard", reverse("channel:partner_scorecard", args=[persona_partner])),
        ]),
        ("channel_scorecards_manager", data.channel_manager, False, [
            ("partners off their tier", reverse("channel:scorecards")),
        ]),
        ("partner_scorecard", data.partner_manager, False, [("own scorecard", reverse("partner:scorecard"))]),
    ]  # fmt: skip
    results = []
    for name, user, api, paths in plan:
        token = None
        if api:
            token, raw = api_token_create(user=user, name=f"bench {name}")
            client = Client(headers={"authorization": f"Bearer {raw}"})
        else:
            client = Client()
            client.force_login(user)
        say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
        load = [round(x, 2) for x in os.getloadavg()]
        variants = _timed(client, paths, requests, warmup)
        for v in variants:
            say(f"  {v['variant']:<32} median {v['median_ms']:7.1f} ms  p95 {v['p95_ms']:7.1f} ms  "
                f"db {v['db_median_ms']:6.1f} ms  queries {','.join(map(str, v['queries']))}")  # fmt: skip
        slow: list[dict[str, Any]] = []
        if explain_ms is not None:
            for _, path in paths:
                slow += explain_queries(client, path, explain_ms)
        results.append(
            {
                "scenario": name, "persona": user.email, "load_average_before": load, "variants": variants,
                "p95_ms": max(v["p95_ms"] for v in variants), "target_p95_ms": P95_TARGET_MS,
                "meets_targets": all(v["p95_ms"] < P95_TARGET_MS for v in variants), "slow_queries": slow,
            }
        )  # fmt: skip
        if token is not None:
            api_token_revoke(token=token, actor=user)
    return results


def run_analytics(args: Any, data: ds.Dataset, *, log: Any = print) -> dict[str, Any]:
    """--analytics N: build (or reuse) the leads and orders, rebuild the roll-ups, measure the pages."""
    from bench.leads_dataset import build_leads
    from bench.orders import build_orders
    from core.services import emails_suppressed

    leads = build_leads(data, leads=args.analytics, rebuild=args.rebuild, log=log)
    orders = build_orders(data, orders=args.analytics_orders, rebuild=args.rebuild, log=log)
    report: dict[str, Any] = {
        "analytics": {**leads.summary(), "orders": orders["orders"], "orders_reused": orders["reused"],
                      "orders_build_seconds": orders["build_seconds"]},
    }  # fmt: skip
    report["rollups"] = rebuild_rollups(log)
    with emails_suppressed():
        report["pages"] = run_pages(
            data, requests=args.requests, warmup=args.warmup, explain_ms=args.explain, log=log
        )
    report["meets_targets"] = all(p["meets_targets"] for p in report["pages"])
    return report


def format_analytics(report: dict[str, Any]) -> str:
    lines = [
        f"Roll-ups rebuilt in {report['rollups']['rebuild_seconds']} s: {report['rollups']['rollup_rows']}"
    ]
    for page in report["pages"]:
        lines.append(f"{page['scenario']} as {page['persona']} (load before {page['load_average_before']}):")
        for v in page["variants"]:
            lines.append(
                f"  {v['variant']:<32} median {v['median_ms']:7.1f} ms  p95 {v['p95_ms']:7.1f} ms  "
                f"db {v['db_median_ms']:6.1f} ms  cpu {v['python_cpu_median_ms']:6.1f} ms  "
                f"queries {','.join(map(str, v['queries']))}"
            )
        lines.append(
            f"  target p95 < {page['target_p95_ms']:g} ms: " + ("met" if page["meets_targets"] else "MISSED")
        )
    return "\n".join(lines)
