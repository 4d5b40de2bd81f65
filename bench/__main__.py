"""python -m bench [--partners N] [--requests N] [--warmup N] [--scenario NAME ...] [--rebuild]
[--json PATH] [--check] [--explain MS]

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

from bench.database import BenchError, ensure_database, redact, resolve_database_url

SCENARIO_NAMES = ("channel_partner_list", "channel_partner_list_manager", "api_partners", "healthz")


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
        choices=SCENARIO_NAMES,
        metavar="NAME",
        help=f"run this scenario (repeatable; default: all of {', '.join(SCENARIO_NAMES)})",
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
    names = list(dict.fromkeys(args.scenario or SCENARIO_NAMES))
    try:
        url = resolve_database_url(os.environ)
        created = ensure_database(url)
        print(f"Benchmark database: {redact(url)}{' (created)' if created else ''}")
        configure_environment(url)

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
            format_variants,
            machine_info,
            results_path,
            write_report,
        )
        from bench.scenarios import MAX_QUERIES, P95_MS, SCENARIOS, run_scenario

        check_dedicated(connection)
        call_command("migrate", interactive=False, verbosity=0)
        dataset = build_dataset(partners=args.partners, rebuild=args.rebuild, log=print)
        print(
            f"Data set: {dataset.partners:,} partners ({dataset.sub_partners:,} sub-partners under "
            f"{dataset.distributors:,} distributors), {dataset.channel_managers} channel managers; the "
            f"channel-manager persona sees {dataset.managed_by_persona:,}."
        )
        load_before = [round(x, 2) for x in os.getloadavg()]
        results = []
        for name in names:
            print(
                f"Running {name}: {args.warmup} warm-up + {args.requests} measured requests ...", flush=True
            )
            results.append(
                run_scenario(
                    SCENARIOS[name],
                    dataset,
                    requests=args.requests,
                    warmup=args.warmup,
                    explain_ms=args.explain,
                )
            )
        from django.conf import settings

        report = build_report(
            results=results,
            scale=dataset.summary(),
            machine={**machine_info(connection), "load_average_before": load_before},
            settings={
                "debug": settings.DEBUG,
                "page_size": settings.PAGE_SIZE,
                "redis": bool(settings.REDIS_URL),
            },
        )
        path = args.json or results_path(names, SCENARIO_NAMES, datetime.now(UTC))
        write_report(report, path)
    except BenchError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print()
    print(format_summary(report))
    print()
    print(format_variants(report))
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


if __name__ == "__main__":
    sys.exit(main())
