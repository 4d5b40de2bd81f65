"""The lead scenarios of issue 3: lead lists at scale (portal pages and the API, through the runner of
bench.scenarios), the batch routing rate against a set-based SQL update of the same rows, and the
CSV import rate."""

from __future__ import annotations

import cProfile
import csv
import io
import pstats
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import reverse

from bench import dataset as ds
from bench import leads_dataset as lds
from bench.scenarios import Scenario, Session, Variant, _with, fetch, walk_pages
from core.jobs import job_start
from core.services import emails_suppressed
from leads import imports, selectors, services
from leads.choices import LeadStatus
from leads.models import Lead, LeadSettings
from leads.routing import RoutingContext

# Issue 3's targets.
ROUTE_TARGET_PER_S = 20_000.0
IMPORT_TARGET_PER_S = 50_000.0
ROUTE_CHUNK = services.ROUTE_BATCH  # as the beat task and leads.imports route (leads_route_pending)

REL_NEXT = re.compile(r"<a\b[^>]*\bhref=\"([^\"]*)\"[^>]*\brel=\"next\"")


# --- Lead lists -----------------------------------------------------------------------------------


def inbox_next_path(base: str, body: str) -> str | None:
    """The inbox's "older leads" link (`after=`), not the waiting panel's (`waiting_after=`)."""
    import html

    for href in REL_NEXT.findall(body):
        target = html.unescape(href)
        if re.search(r"[?&]after=", target):
            return base + target if target.startswith("?") else target
    return None


def partner_inbox(session: Session, dataset: ds.Dataset) -> list[Variant]:
    base = reverse("partner:lead_inbox")
    variants = [Variant("first page (waiting + rest)", base)]
    path: str | None = base
    for number in range(2, 12):
        assert path is not None
        path = inbox_next_path(base, fetch(session, path).content.decode())
        if path is None:
            break
        if number in (2, 11):
            variants.append(Variant(f"rest page {number} (next cursor walked {number - 1})", path))
    variants += [
        Variant("filter status=won", _with(base, status=LeadStatus.WON)),
        Variant("filter status=accepted", _with(base, status=LeadStatus.ACCEPTED)),
        Variant("search q=solar", _with(base, q="solar")),
    ]
    return variants


def channel_lead_list(walk: int) -> Callable[[Session, ds.Dataset], list[Variant]]:
    def prepare(session: Session, dataset: ds.Dataset) -> list[Variant]:
        base = reverse("channel:lead_list")
        variants = [Variant("first page", base)]
        pages = walk_pages(session, base, walk)
        for number, path in pages[:1] + pages[-1:]:
            variants.append(Variant(f"page {number} (next cursor walked {number - 1})", path))
        some_partner = (
            selectors.lead_list(session.user).exclude(partner=None).values_list("partner_id", flat=True)
        )
        variants += [
            Variant("filter status=dispatched", _with(base, status=LeadStatus.DISPATCHED)),
            Variant("filter status=unroutable", _with(base, status=LeadStatus.UNROUTABLE)),
            Variant("filter partner (with its count)", _with(base, partner=some_partner.first())),
            Variant("search q=nordlicht solar", _with(base, q="nordlicht solar")),
        ]
        return variants

    return prepare


def api_leads(walk: int) -> Callable[[Session, ds.Dataset], list[Variant]]:
    def prepare(session: Session, dataset: ds.Dataset) -> list[Variant]:
        base = "/api/v1/leads"
        variants = [Variant("first page", base)]
        pages = walk_pages(session, base, walk)
        for number, path in pages[:1] + pages[-1:]:
            variants.append(Variant(f"page {number} (next_cursor walked {number - 1})", path))
        variants += [
            Variant("limit=200", _with(base, limit=200)),
            Variant("filter status=won", _with(base, status=LeadStatus.WON)),
            Variant("filter country=DE", _with(base, country="DE")),
        ]
        return variants

    return prepare


LEAD_SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            name="partner_lead_inbox",
            description="GET /partner/leads/ as the partner manager of a distributor holding 2% of all "
            "leads: first page (waiting and the rest), rest pages 2 and 11 by the next cursor, status "
            "filters, a search.",
            persona="partner_manager",
            api=False,
            prepare=partner_inbox,
        ),
        Scenario(
            name="channel_lead_list",
            description="GET /channel/leads/ as the channel admin (every lead): first page, pages 2 and 11 "
            "by the next cursor, status filters, one partner's leads, a search.",
            persona="admin",
            api=False,
            prepare=channel_lead_list(walk=10),
        ),
        Scenario(
            name="channel_lead_list_manager",
            description="GET /channel/leads/ as a channel manager (the leads of the partners they manage "
            "and the channel's queue): the same variants.",
            persona="channel_manager",
            api=False,
            prepare=channel_lead_list(walk=10),
        ),
        Scenario(
            name="api_leads",
            description="GET /api/v1/leads with a bearer token as the channel admin: first page, pages 2 "
            "and 21 by next_cursor, limit=200, filters.",
            persona="admin",
            api=True,
            prepare=api_leads(walk=20),
        ),
    ]
}


# --- Batch routing ----------------------------------------------------------------------------------


def _route_orm(count: int) -> tuple[int, float, float]:
    """Route as leads_route_pending does (one RoutingContext, batches of ROUTE_CHUNK), stopping at
    `count`; then, timed apart, the routing digests that tell the partners."""
    routed = 0
    started = time.perf_counter()
    with emails_suppressed():
        context = RoutingContext()
        while routed < count:
            done = services.leads_route_batch(limit=min(ROUTE_CHUNK, count - routed), context=context)
            if not done:
                break
            routed += done
        routed_at = time.perf_counter()
        services.routing_digests_send()
    return routed, routed_at - started, time.perf_counter() - routed_at


def _route_sql() -> tuple[int, float]:
    """The limit to compare with: one set-based UPDATE giving every new bench lead a partner (the
    active partners in turn), its deadline and reason; committed."""
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            """
            WITH p AS (
                SELECT row_number() OVER (ORDER BY id) - 1 AS k, id FROM partners_partner
                WHERE status = 'active'
            ), n AS (SELECT count(*) AS c FROM p),
            q AS (
                SELECT l.id, (row_number() OVER (ORDER BY l.id) - 1) %% (SELECT c FROM n) AS k
                FROM leads_lead l WHERE l.status = 'new' AND l.campaign_code = %s
            )
            UPDATE leads_lead SET status = 'dispatched', partner_id = p.id, dispatched_at = now(),
                   accept_by = now() + interval '48 hours', dispatch_reason = 'set-based SQL',
                   updated_at = now()
            FROM q JOIN p USING (k)
            WHERE leads_lead.id = q.id
            """,
            [lds.ROUTED_MARK],
        )
        rows = cursor.rowcount
    return rows, time.perf_counter() - started


def _profile(count: int, top: int = 25) -> str:
    lds.add_new_leads(count, seed=0.83)
    profiler = cProfile.Profile()
    with emails_suppressed():
        profiler.enable()
        services.leads_route_batch(limit=count)
        profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    lds.remove_routing_leads()
    return out.getvalue()


def run_routing(count: int, *, profile: int = 0, log: Any = print) -> dict[str, Any]:
    """Route `count` new leads with leads_route_batch (chunks of ROUTE_CHUNK, one process), then, in
    the same run, the same number of new leads by one set-based UPDATE. E-mails are suppressed (the
    dataset's partners have no users to mail; this measures routing, not mail)."""
    rules = lds.build_rules()
    lds.remove_routing_leads()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead WHERE status = 'new'")
        (already_new,) = cursor.fetchone()
    if already_new:
        raise ValueError(f"{already_new} new leads outside the benchmark's queue; rebuild the leads.")
    log(f"Routing: {len(rules)} rules; {count:,} new leads by set-based SQL ...")
    lds.add_new_leads(count)
    sql_rows, sql_s = _route_sql()
    lds.remove_routing_leads()
    log(f"  SQL: {sql_rows:,} rows in {sql_s:.2f} s. Now leads_route_batch ...")
    lds.add_new_leads(count)
    routed, orm_s, digest_s = _route_orm(count)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, count(*) FROM leads_lead WHERE campaign_code = %s GROUP BY status ORDER BY 1",
            [lds.ROUTED_MARK],
        )
        outcome = dict(cursor.fetchall())
    log(f"  leads_route_batch: {routed:,} leads in {orm_s:.2f} s ({outcome}); digests {digest_s:.2f} s.")
    lds.remove_routing_leads()
    result: dict[str, Any] = {
        "scenario": "route_batch",
        "rules": len(rules),
        "leads": count,
        "chunk": ROUTE_CHUNK,
        "routed": routed,
        "outcome": outcome,
        "seconds": round(orm_s, 2),
        "leads_per_s": round(routed / orm_s, 1) if orm_s else None,
        "digest_seconds": round(digest_s, 2),
        "sql_rows": sql_rows,
        "sql_seconds": round(sql_s, 3),
        "sql_rows_per_s": round(sql_rows / sql_s, 1) if sql_s else None,
        "target_leads_per_s": ROUTE_TARGET_PER_S,
        "meets_targets": bool(orm_s) and routed / orm_s >= ROUTE_TARGET_PER_S,
    }
    if profile:
        log(f"  Profiling leads_route_batch over {profile:,} leads ...")
        result["profile_leads"] = profile
        result["profile"] = _profile(profile)
    return result


# --- CSV import ---------------------------------------------------------------------------------------


def run_import(rows: int, data: ds.Dataset, *, log: Any = print) -> dict[str, Any]:
    """Write a `rows`-row CSV file, validate it alone (RowValidator over every row: validated rows/s),
    then run the import job end to end (lead_import_run: validation, COPY, progress; routing off, as
    it is measured on its own). The imported leads are deleted afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "leads.csv"
        bad = lds.write_import_csv(path, rows)
        size = path.stat().st_size
        # Validation alone, as the job does it (no query per row).
        slugs = dict(imports.Category.objects.values_list("slug", "id"))
        started = time.perf_counter()
        with path.open(encoding="utf-8", newline="") as source:
            reader = csv.reader(source)
            validator = imports.RowValidator(imports.import_header(next(reader)), category_slugs=slugs)
            template = imports._template(data.admin.pk, None)
            failed = sum(1 for row in reader if validator.clean(row, template)[1])
        validate_s = time.perf_counter() - started
        settings = LeadSettings.current()
        auto_route = settings.auto_route
        LeadSettings.objects.filter(pk=settings.pk).update(auto_route=False)
        try:
            with path.open("rb") as source:
                stored = default_storage.save(f"{imports.STORAGE_DIR}/bench-{rows}.csv", source)
            started_job = job_start(
                kind=imports.JOB_KIND, owner=data.admin, title="Bench import", total=rows, input_file=stored
            )
            log(
                f"Import: {rows:,} rows ({size / 1e6:.1f} MB), validated alone in {validate_s:.2f} s; the job ..."
            )
            started = time.perf_counter()
            job = imports.lead_import_run(job_id=started_job.pk)
            job_s = time.perf_counter() - started
        finally:
            LeadSettings.objects.filter(pk=settings.pk).update(auto_route=auto_route)
        assert job is not None
        job.refresh_from_db()
        log(f"  job {job.status}: {job.message} in {job_s:.2f} s")
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM leads_leadevent WHERE lead_id IN (SELECT id FROM leads_lead WHERE source = 'import' AND external_id LIKE 'BENCH-%%')"
            )
            cursor.execute("DELETE FROM leads_lead WHERE source = 'import' AND external_id LIKE 'BENCH-%%'")
    return {
        "scenario": "csv_import",
        "rows": rows,
        "file_bytes": size,
        "bad_rows_written": bad,
        "validate_seconds": round(validate_s, 3),
        "validated_rows_per_s": round(rows / validate_s, 1),
        "validation_failures": failed,
        "job_status": job.status,
        "job_message": job.message,
        "imported": job.ok_count,
        "errors": job.error_count,
        "job_seconds": round(job_s, 2),
        "total_rows_per_s": round(rows / job_s, 1),
        "target_validated_rows_per_s": IMPORT_TARGET_PER_S,
        "meets_targets": rows / validate_s >= IMPORT_TARGET_PER_S,
    }


def leads_in_queue() -> int:
    return Lead.objects.filter(status=LeadStatus.NEW).count()
