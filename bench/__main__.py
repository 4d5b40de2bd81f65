"""python -m bench [--partners N] [--requests N] [--warmup N] [--scenario NAME ...] [--rebuild]
[--json PATH] [--check] [--explain MS] [--leads N [--route N [--profile N]] [--import-rows N]]
[--products N] [--claims N] [--orders N] [--solutions N] [--service-requests N]
[--analytics N [--analytics-orders M]]

Runs on PostgreSQL only: DATABASE_URL when set, else postgresql://postgres@127.0.0.1:5432/openpcm_bench,
created when missing. Django runs as in production (DEBUG off). See docs/benchmarks.md."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.database import BenchError, ensure_database, redact, resolve_database_url

SCENARIO_NAMES = ("channel_partner_list", "channel_partner_list_manager", "api_partners", "healthz")
# Issue 3's lead lists; run with --leads N (and then by default instead of the partner scenarios).
LEAD_SCENARIO_NAMES = ("partner_lead_inbox", "channel_lead_list", "channel_lead_list_manager", "api_leads")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Build a data set in a dedicated PostgreSQL database, run named scenarios, print and "
        "save median/p95 latency, queries per request and throughput.",
    )
    parser.add_argument(
        "--partners",
        type=int,
        default=int(os.environ.get("SCALE") or 10_000),
        help="data set scale in partners (default: $SCALE or 10000)",
    )
    parser.add_argument(
        "--requests", type=int, default=200, help="measured requests per scenario (default 200)"
    )
    parser.add_argument(
        "--warmup", type=int, default=20, help="warm-up requests per scenario, not counted (default 20)"
    )
    parser.add_argument(
        "--scenario",
        action="append",
        choices=SCENARIO_NAMES + LEAD_SCENARIO_NAMES,
        metavar="NAME",
        help=f"run this scenario (repeatable; default: all of {', '.join(SCENARIO_NAMES)}; with --leads, "
        f"{', '.join(LEAD_SCENARIO_NAMES)})",
    )
    parser.add_argument(
        "--leads", type=int, default=0, help="build this many leads (issue 3) and run the lead scenarios"
    )
    parser.add_argument(
        "--route",
        type=int,
        default=0,
        metavar="N",
        help="with --leads: route N new leads by leads_route_batch and by one set-based SQL update",
    )
    parser.add_argument(
        "--profile", type=int, default=0, metavar="N", help="with --route: cProfile a batch of N leads"
    )
    parser.add_argument(
        "--import-rows", type=int, default=0, metavar="N", help="with --leads: import an N-row CSV file"
    )
    parser.add_argument(
        "--products",
        type=int,
        default=0,
        metavar="N",
        help="only the catalogue export benchmark (issue 4): BMEcat export of N products (bench.catalog_scenarios)",
    )
    parser.add_argument(
        "--claims",
        type=int,
        default=0,
        metavar="N",
        help="only the MDF benchmark (issue 5): N claims over the partner data set, the approval queues, "
        "the partner's funds overview and the journal CSV export (bench.mdf)",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=0,
        metavar="N",
        help="only the order benchmark (issue 6): N orders over the partner data set, the order lists of "
        "both portals and the API, the status page and the totals per partner (bench.orders)",
    )
    parser.add_argument(
        "--solutions",
        type=int,
        default=0,
        metavar="N",
        help="only the service benchmark (issue 6): a knowledge base of N solutions and its search "
        "(the portal page, the API, the suggestions while typing) (bench.service)",
    )
    parser.add_argument(
        "--service-requests",
        type=int,
        default=0,
        metavar="N",
        help="only the service benchmark (issue 6): N service requests over the partner data set and "
        "their lists in both portals and the API (bench.service); combines with --solutions",
    )
    parser.add_argument(
        "--analytics",
        type=int,
        default=0,
        metavar="N",
        help="only the analytics benchmark (issue 7): N leads and --analytics-orders orders, the roll-ups' "
        "rebuild, the dashboards, an export, the API summary and the scorecards (bench.analytics)",
    )
    parser.add_argument(
        "--analytics-orders",
        type=int,
        default=1_000_000,
        metavar="M",
        help="with --analytics (default 1000000)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the data set even if it exists")
    parser.add_argument(
        "--json", type=Path, help="write the results here (default bench/results/<date>-<set>.json)"
    )
    parser.add_argument("--check", action="store_true", help="exit with status 1 when a target is missed")
    parser.add_argument(
        "--explain",
        type=float,
        metavar="MS",
        help="afterwards, EXPLAIN ANALYZE every query of a variant that takes at least MS milliseconds "
        "(printed and saved with the results)",
    )
    args = parser.parse_args(argv)
    if args.partners < 10:
        parser.error("--partners must be at least 10")
    if (args.route or args.import_rows or args.profile) and not args.leads:
        parser.error("--route, --profile and --import-rows need --leads")
    if args.leads and args.scenario and set(args.scenario) & set(SCENARIO_NAMES):
        parser.error("--leads runs the lead scenarios only")
    if args.claims and (args.leads or args.products or args.scenario):
        parser.error("--claims runs the MDF benchmark alone (no --leads, --products or --scenario)")
    if args.orders and (args.leads or args.products or args.scenario or args.claims):
        parser.error(
            "--orders runs the order benchmark alone (no --leads, --products, --claims or --scenario)"
        )
    if (args.solutions or args.service_requests) and (
        args.leads or args.products or args.scenario or args.claims or args.orders
    ):
        parser.error(
            "--solutions and --service-requests run the service benchmark alone "
            "(no --leads, --products, --claims, --orders or --scenario)"
        )
    if args.analytics and (
        args.leads or args.products or args.scenario or args.claims or args.orders or args.solutions
        or args.service_requests
    ):  # fmt: skip
        parser.error("--analytics runs the analytics benchmark alone")
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup at least 0")
    return args


def configure_environment(database_url: str) -> None:
    """Settings for the run, before Django reads them: the benchmark database, and production mode
    (DEBUG off, so templates and middleware behave as they do for users)."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)  # a throwaway key: strong, used by no one else
    os.environ["ALLOWED_HOSTS"] = "testserver"  # django.test.Client's host
    os.environ["SECURE_COOKIES"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pcm.settings")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    all_names = LEAD_SCENARIO_NAMES if args.leads else SCENARIO_NAMES
    names = list(dict.fromkeys(args.scenario or all_names))
    try:
        url = resolve_database_url(os.environ)
        created = ensure_database(url)
        print(f"Benchmark database: {redact(url)}{' (created)' if created else ''}")
        configure_environment(url)
        if args.leads:
            os.environ["EMAIL_URL"] = "locmem://"  # routing and imports mail nobody outside the process

        import django

        # DEBUG off without collectstatic: whitenoise warns that STATIC_ROOT is missing; the
        # benchmark requests no static files.
        warnings.filterwarnings("ignore", message="No directory at")
        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from bench.database import check_dedicated
        from bench.dataset import build_dataset
        from bench.report import (
            build_report,
            format_slow_queries,
            format_summary,
            format_throughput,
            format_variants,
            machine_info,
            results_path,
            write_report,
        )
        from bench.scenarios import MAX_QUERIES, P95_MS, SCENARIOS, run_scenario

        scenarios = dict(SCENARIOS)

        check_dedicated(connection)
        call_command("migrate", interactive=False, verbosity=0)
        if args.products:
            return run_products(args)
        dataset = build_dataset(partners=args.partners, rebuild=args.rebuild, log=print)
        print(
            f"Data set: {dataset.partners:,} partners ({dataset.sub_partners:,} sub-partners under "
            f"{dataset.distributors:,} distributors), {dataset.channel_managers} channel managers; the "
            f"channel-manager persona sees {dataset.managed_by_persona:,}."
        )
        if args.claims:
            return run_claims(args, dataset)
        if args.orders:
            return run_orders(args, dataset)
        if args.analytics:
            return run_analytics(args, dataset)
        if args.solutions or args.service_requests:
            return run_service(args, dataset)
        scale = dataset.summary()
        extra: list[dict] = []
        if args.leads:
            from bench import leads_dataset, leads_scenarios

            scenarios.update(leads_scenarios.LEAD_SCENARIOS)
            built = leads_dataset.build_leads(dataset, leads=args.leads, rebuild=args.rebuild, log=print)
            scale.update(built.summary())
            print(
                f"Leads: {built.leads:,}; the partner-manager persona's partner holds {built.persona_partner_leads:,}."
            )
        load_before = [round(x, 2) for x in os.getloadavg()]
        results = []
        for name in names:
            print(
                f"Running {name}: {args.warmup} warm-up + {args.requests} measured requests ...", flush=True
            )
            results.append(
                run_scenario(
                    scenarios[name],
                    dataset,
                    requests=args.requests,
                    warmup=args.warmup,
                    explain_ms=args.explain,
                )
            )
        if args.route:
            extra.append(leads_scenarios.run_routing(args.route, profile=args.profile, log=print))
        if args.import_rows:
            extra.append(leads_scenarios.run_import(args.import_rows, dataset, log=print))
        from django.conf import settings

        report = build_report(
            results=results,
            scale=scale,
            machine={**machine_info(connection), "load_average_before": load_before},
            settings={
                "debug": settings.DEBUG,
                "page_size": settings.PAGE_SIZE,
                "redis": bool(settings.REDIS_URL),
            },
        )
        if extra:
            report["throughput_scenarios"] = extra
            report["meets_targets"] = bool(report["meets_targets"] is not False) and all(
                e["meets_targets"] for e in extra
            )
        path = args.json or results_path(names, all_names, datetime.now(UTC))
        if args.leads:
            path = args.json or path.with_name(f"{path.stem}-leads-{args.leads}.json")
        write_report(report, path)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_summary(report))
    print()
    print(format_variants(report))
    print()
    for e in report.get("throughput_scenarios", []):
        print(format_throughput(e))
        print()
    if args.explain is not None:
        print(format_slow_queries(report) or f"No query took {args.explain:g} ms or more.")
        print()
    verdict = report["meets_targets"]
    if verdict is not None:
        print(
            f"Targets (at most {MAX_QUERIES} queries per request, p95 under {P95_MS:g} ms): "
            + ("met." if verdict else "MISSED (see the table above).")
        )
    print(f"Saved {path}")
    return 1 if args.check and verdict is False else 0


def run_products(args: argparse.Namespace) -> int:
    """--products N: the catalogue export benchmark alone (no partner data set needed)."""
    from bench.catalog_scenarios import (
        format_catalog_export,
        format_showroom_pages,
        run_catalog_export,
        run_showroom_pages,
    )
    from bench.report import write_report

    result = run_catalog_export(args.products, rebuild=args.rebuild, log=print)
    pages = run_showroom_pages(args.products, requests=args.requests, warmup=args.warmup, log=print)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = (
        args.json
        or Path(__file__).resolve().parent / "results" / f"{stamp}-catalog-export-{args.products}.json"
    )
    met = result["meets_targets"] and pages["meets_targets"]
    write_report({"throughput_scenarios": [result], "showroom_pages": pages, "meets_targets": met}, path)
    print()
    print(format_catalog_export(result))
    print(format_showroom_pages(pages))
    print(f"Saved {path}")
    return 1 if args.check and not met else 0


def run_orders(args: argparse.Namespace, dataset: Any) -> int:
    """--orders N: the order benchmark on the partner data set (bench.orders)."""
    from django.db import connection

    from bench.orders import format_orders
    from bench.orders import run_orders as run_order_pages
    from bench.report import code_version, machine_info, write_report

    load = [round(x, 2) for x in os.getloadavg()]
    report = run_order_pages(args, dataset)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "scale": {**dataset.summary(), **report.pop("orders")},
        "machine": {**machine_info(connection), "load_average_before": load},
        **report,
    }
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = args.json or Path(__file__).resolve().parent / "results" / f"{stamp}-orders-{args.orders}.json"
    write_report(report, path)
    print()
    print(format_orders(report))
    print(f"Saved {path}")
    return 1 if args.check and not report["meets_targets"] else 0


def run_analytics(args: argparse.Namespace, dataset: Any) -> int:
    """--analytics N: the analytics benchmark on the partner data set (bench.analytics)."""
    from django.db import connection

    from bench.analytics import format_analytics
    from bench.analytics import run_analytics as run_analytics_pages
    from bench.report import code_version, machine_info, write_report

    load = [round(x, 2) for x in os.getloadavg()]
    report = run_analytics_pages(args, dataset)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "scale": {**dataset.summary(), **report.pop("analytics")},
        "machine": {**machine_info(connection), "load_average_before": load},
        **report,
    }
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = (
        args.json or Path(__file__).resolve().parent / "results" / f"{stamp}-analytics-{args.analytics}.json"
    )
    write_report(report, path)
    print()
    print(format_analytics(report))
    print(f"Saved {path}")
    return 1 if args.check and not report["meets_targets"] else 0


def run_claims(args: argparse.Namespace, dataset: Any) -> int:
    """--claims N: the MDF benchmark on the partner data set (bench.mdf)."""
    from django.db import connection

    from bench.mdf import format_mdf
    from bench.mdf import run_claims as run_mdf
    from bench.report import code_version, machine_info, write_report

    load = [round(x, 2) for x in os.getloadavg()]
    report = run_mdf(args, dataset)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "scale": {**dataset.summary(), **report.pop("mdf")},
        "machine": {**machine_info(connection), "load_average_before": load},
        **report,
    }
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    path = args.json or Path(__file__).resolve().parent / "results" / f"{stamp}-mdf-claims-{args.claims}.json"
    write_report(report, path)
    print()
    print(format_mdf(report))
    print(f"Saved {path}")
    return 1 if args.check and not report["meets_targets"] else 0


def run_service(args: argparse.Namespace, dataset: Any) -> int:
    """--solutions N / --service-requests N: the service benchmark on the partner data set (bench.service)."""
    from django.db import connection

    from bench.report import code_version, machine_info, write_report
    from bench.service import format_service
    from bench.service import run_service as run_service_bench

    load = [round(x, 2) for x in os.getloadavg()]
    report = run_service_bench(args, dataset)
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "scale": {**dataset.summary(), **report.pop("service")},
        "machine": {**machine_info(connection), "load_average_before": load},
        **report,
    }
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    label = f"service-{args.solutions}-solutions-{args.service_requests}-requests"
    path = args.json or Path(__file__).resolve().parent / "results" / f"{stamp}-{label}.json"
    write_report(report, path)
    print()
    print(format_service(report))
    print(f"Saved {path}")
    return 1 if args.check and not report["meets_targets"] else 0


if __name__ == "__main__":
    sys.exit(main())
