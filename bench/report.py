"""Statistics, the printed table, machine information and the saved JSON of a benchmark run."""

from __future__ import annotations

import json
import math
import os
import platform
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Server settings that move the figures, recorded with them.
POSTGRES_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "random_page_cost", "jit")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 200 values is the 190th smallest): always a measured value."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_mb() -> int | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def code_version() -> dict[str, Any]:
    """The commit measured, and whether the working tree differed from it (git calls that write
    nothing, not even the index)."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        dirty = bool(status.strip())
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "uncommitted_changes": None}
    return {"commit": commit, "uncommitted_changes": dirty}


def machine_info(connection: Any) -> dict[str, Any]:
    """Where the figures were measured."""
    import django
    import psycopg

    server_version = None
    server_settings: dict[str, str] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            (server_version,) = cursor.fetchone()
            for name in POSTGRES_SETTINGS:
                cursor.execute(f"SHOW {name}")
                server_settings[name] = cursor.fetchone()[0]
    db = connection.settings_dict
    return {
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "memory_mb": memory_total_mb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "psycopg": psycopg.__version__,
        "postgresql": server_version,
        "postgresql_settings": server_settings,
        "database": {"name": db["NAME"], "host": db.get("HOST") or "local socket", "port": db.get("PORT")},
        # Other work on the machine moves the figures: the load (1, 5, 15 min) when the run ended.
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def results_path(scenario_names: Sequence[str], all_names: Sequence[str], today: datetime) -> Path:
    """bench/results/<date>-<scenario set>.json; the full set is called `all`."""
    label = "all" if sorted(scenario_names) == sorted(all_names) else "+".join(scenario_names)
    return RESULTS_DIR / f"{today:%Y-%m-%d}-{label}.json"


def build_report(
    *, results: Sequence[Any], scale: dict[str, Any], machine: dict[str, Any], settings: dict[str, Any]
) -> dict[str, Any]:
    verdicts = [r.meets_targets for r in results if r.meets_targets is not None]
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "code": code_version(),
        "scale": scale,
        "machine": machine,
        "settings": settings,
        "scenarios": [r.to_dict() for r in results],
        "meets_targets": all(verdicts) if verdicts else None,
    }


def write_report(report: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _table(header: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_summary(report: dict[str, Any]) -> str:
    """One line per scenario: requests, median and p95 latency, queries per request, throughput."""
    header = ["scenario", "requests", "median ms", "p95 ms", "queries/req (max)", "req/s", "targets"]
    rows = []
    for s in report["scenarios"]:
        verdict = {True: "met", False: "MISSED", None: "-"}[s["meets_targets"]]
        rows.append(
            [
                s["scenario"],
                str(s["requests"]),
                f"{s['median_ms']:.1f}",
                f"{s['p95_ms']:.1f}",
                str(s["queries_per_request_max"]),
                f"{s['throughput_rps']:.1f}",
                verdict,
            ]
        )
    return _table(header, rows, right={1, 2, 3, 4, 5})


def format_variants(report: dict[str, Any]) -> str:
    """Each scenario's variants: where the time and the queries go."""
    header = ["scenario", "variant", "matching", "requests", "median ms", "p95 ms", "db ms", "queries"]
    rows = []
    for s in report["scenarios"]:
        for v in s["variants"]:
            rows.append(
                [
                    s["scenario"],
                    v["label"],
                    "" if v["matching"] is None else f"{v['matching']:,}",
                    str(v["requests"]),
                    f"{v['median_ms']:.1f}",
                    f"{v['p95_ms']:.1f}",
                    f"{v['db_median_ms']:.0f}",
                    ",".join(str(q) for q in v["queries"]),
                ]
            )
    return _table(header, rows, right={2, 3, 4, 5, 6, 7})


def format_slow_queries(report: dict[str, Any]) -> str:
    """The queries --explain found slow, with their plans."""
    parts = []
    for s in report["scenarios"]:
        for q in s.get("slow_queries") or []:
            title = f"--- {s['scenario']} / {q['variant']}: {q['ms']:.0f} ms"
            parts.append(f"{title}\n{q['sql']}\n\n{q['plan']}\n")
    return "\n".join(parts)


def format_throughput(result: dict[str, Any]) -> str:
    """A routing or import run: its rates against the target."""
    verdict = "met" if result["meets_targets"] else "MISSED"
    if result["scenario"] == "route_batch":
        return (
            f"route_batch: {result['routed']:,} leads over {result['rules']} rules in {result['seconds']:.1f} s = "
            f"{result['leads_per_s']:,.0f} leads/s (target {result['target_leads_per_s']:,.0f}: {verdict}); "
            f"set-based SQL: {result['sql_rows']:,} rows in {result['sql_seconds']:.2f} s = "
            f"{result['sql_rows_per_s']:,.0f} rows/s. Outcome: {result['outcome']}"
            + (f"\n\n{result['profile']}" if result.get("profile") else "")
        )
    return (
        f"csv_import: {result['rows']:,} rows; validated {result['validated_rows_per_s']:,.0f} rows/s "
        f"(target {result['target_validated_rows_per_s']:,.0f}: {verdict}); the job end to end "
        f"{result['job_seconds']:.1f} s = {result['total_rows_per_s']:,.0f} rows/s ({result['job_message']})"
    )
