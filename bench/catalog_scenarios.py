"""Issue 4's export benchmark (`python -m bench --products N`): N active products in one category, a
partner whose assortment is that whole category (a tenth of the products with the partner's own price,
stock and lead time), then

- the BMEcat 2005 export of that assortment through showroom.exports.export_run (the Celery task's body:
  server-side cursor → ExportItem → write_bmecat → temporary file → storage), in a child process whose
  peak resident memory (ru_maxrss) is reported beside its memory before the export started;
- beside it, the limit: the same rows (the assortment's own SQL) written as plain CSV by csv.writer from a
  raw server-side cursor, no objects in between.

Targets (issue 4): at least 50,000 products/s, peak memory under 250 MB, at 1,000,000 products."""

from __future__ import annotations

import csv
import multiprocessing
import os
import resource
import tempfile
import time
from typing import Any

from django.db import connection, transaction

from bench.database import MARKER_VERB

TARGET_PRODUCTS_PER_S = 50_000
TARGET_PEAK_MB = 250
CATEGORY_SLUG = "bench-export"
PARTNER_SLUG = "bench-export-partner"
OWNER_EMAIL = "export-owner@bench-export.example"
CHUNK_ROWS = 2000


def _say(log: Any, message: str) -> None:
    if log:
        log(message)


def _existing(products: int) -> bool:
    from catalog.models import Category, Product
    from core.models import ActivityEvent

    marker = ActivityEvent.objects.filter(verb=MARKER_VERB, data__catalog_products=products).exists()
    category = Category.objects.filter(slug=CATEGORY_SLUG).first()
    return bool(marker and category and Product.objects.filter(category=category).count() == products)


def build_catalogue(products: int, *, rebuild: bool = False, log: Any = None) -> dict[str, int]:
    """The category with `products` products and the partner selling it, reused when already built at
    that size. Answers the ids: category, partner, owner (a superuser, whom the export runs for)."""
    from catalog.models import Category, PartnerCategory
    from core.models import ActivityEvent, User
    from partners.models import Partner, Tier

    if not rebuild and _existing(products):
        _say(log, f"Reusing the catalogue of {products:,} products (--rebuild builds it again).")
    else:
        _say(log, f"Building a catalogue of {products:,} products ...")
        started = time.perf_counter()
        with transaction.atomic():
            category, _ = Category.objects.get_or_create(
                slug=CATEGORY_SLUG, defaults={"name": "Bench sensors"}
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM catalog_partnerproduct WHERE product_id IN "
                    "(SELECT id FROM catalog_product WHERE category_id = %s)",
                    [category.pk],
                )
                cursor.execute("DELETE FROM catalog_product WHERE category_id = %s", [category.pk])
                cursor.execute(
                    """
                    INSERT INTO catalog_product (
                        sku, name, short_description, short_description_auto, long_description, list_price,
                        currency, order_unit, price_unit, manufacturer_part_number, material_group,
                        category_id, image, attributes, active, created_at, updated_at
                    )
                    SELECT 'BX-' || lpad(g::text, 8, '0'),
                           'Inductive sensor M' || (8 + g %% 23) || ' range ' || (1 + g %% 40) || ' mm & more',
                           'Sensor ' || g, true,
                           'Flush mounting, PNP normally open, IP67 housing of nickel-plated brass; '
                           || 'cable 2 m (PVC). Series ' || (g %% 977) || '.',
                           round((5 + (g %% 9973) / 7.0)::numeric, 2), 'EUR', 'C62', 1,
                           'MPN-' || g, '39121' || lpad((g %% 1000)::text, 3, '0'),
                           %s, '', '{}'::jsonb, true, now(), now()
                    FROM generate_series(1, %s) AS g
                    """,
                    [category.pk, products],
                )
            tier = Tier.objects.order_by("rank").first() or Tier.objects.create(name="Bench", rank=1)
            partner, _ = Partner.objects.get_or_create(
                slug=PARTNER_SLUG, defaults={"name": "Bench Export GmbH", "country": "DE", "tier": tier}
            )
            PartnerCategory.objects.get_or_create(partner=partner, category=category)
            with connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO catalog_partnerproduct (partner_id, product_id, price, stock, lead_time_days,
                                                        created_at, updated_at)
                    SELECT %s, id, round(list_price * 0.9, 2), (id %% 500)::int, (id %% 21)::int, now(), now()
                    FROM catalog_product WHERE category_id = %s AND id %% 10 = 0
                    """,
                    [partner.pk, category.pk],
                )
            ActivityEvent.objects.filter(verb=MARKER_VERB, data__has_key="catalog_products").delete()
            ActivityEvent.objects.create(
                verb=MARKER_VERB,
                message=f"Benchmark catalogue of {products} products",
                target_type="bench.catalogue",
                target_id=category.pk,
                data={"catalog_products": products},
            )
        with connection.cursor() as cursor:
            for table in ("catalog_product", "catalog_partnerproduct", "catalog_partnercategory"):
                cursor.execute(f"VACUUM (ANALYZE) {table}")
        _say(log, f"Built in {time.perf_counter() - started:.1f} s.")
    owner, created = User.objects.get_or_create(email=OWNER_EMAIL, defaults={"is_superuser": True})
    if created:
        owner.set_unusable_password()
        owner.save()
    category = Category.objects.get(slug=CATEGORY_SLUG)
    partner = Partner.objects.get(slug=PARTNER_SLUG)
    return {"category": category.pk, "partner": partner.pk, "owner": owner.pk}


def _rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # kilobytes on Linux


def _export_child(job_id: int, queue: Any) -> None:
    """Runs in a forked process: export_run on a fresh connection; reports time, rows and memory."""
    from django.db import connections

    from showroom import exports

    connections.close_all()
    before = _rss_mb()
    started = time.perf_counter()
    export = exports.export_run(job_id=job_id, chunk_size=CHUNK_ROWS)
    seconds = time.perf_counter() - started
    assert export is not None
    export.refresh_from_db()
    export.job.refresh_from_db()
    queue.put(
        {
            "seconds": seconds, "rows": export.rows, "size": export.size, "status": export.job.status,
            "message": export.job.message, "rss_before_mb": before, "rss_peak_mb": _rss_mb(),
        }
    )  # fmt: skip
    connections.close_all()


def _bmecat_export(ids: dict[str, int]) -> dict[str, Any]:
    from django.core.files.storage import default_storage

    from core.jobs import job_start
    from core.models import User
    from partners.models import Partner
    from showroom.models import CatalogExport, ExportFormat

    owner = User.objects.get(pk=ids["owner"])
    partner = Partner.objects.get(pk=ids["partner"])
    job = job_start(kind="catalog_export", owner=owner, title="Bench BMEcat export", partner_id=partner.pk)
    export = CatalogExport.objects.create(
        partner=partner, job=job, format=ExportFormat.BMECAT, language="eng", created_by=owner
    )
    connection.close()
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_export_child, args=(job.pk, queue))
    child.start()
    result: dict[str, Any] = queue.get()
    child.join()
    export.refresh_from_db()
    if export.file:
        default_storage.delete(export.file)  # a benchmark file, hundreds of MB at scale
    return result


def _raw_csv(ids: dict[str, int]) -> dict[str, Any]:
    """The limit: the assortment's rows straight from a named (server-side) cursor into csv.writer."""
    from showroom.exports import export_rows

    sql, params = export_rows(ids["partner"]).query.sql_with_params()
    rows = 0
    started = time.perf_counter()
    with transaction.atomic(), tempfile.TemporaryFile("w+", newline="", encoding="utf-8") as out:
        connection.ensure_connection()
        raw = connection.connection
        assert raw is not None
        writer = csv.writer(out)
        with raw.cursor(name="bench_export_csv") as cursor:
            cursor.itersize = CHUNK_ROWS
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(CHUNK_ROWS):
                writer.writerows(batch)
                rows += len(batch)
        size = out.tell()
    seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "size": size}


SHOWROOM_SLUG = "bench-showroom"
PAGE_P95_MS = 50.0


def _timed_pages(
    client: Any, paths: list[tuple[str, str]], requests: int, warmup: int
) -> list[dict[str, Any]]:
    """Each (name, path) fetched `warmup` times unmeasured, then `requests` times: median and p95 in ms and
    the queries per request (the most seen)."""
    import statistics

    from django.test.utils import CaptureQueriesContext

    out: list[dict[str, Any]] = []
    for name, path in paths:
        for _ in range(warmup):
            assert client.get(path).status_code == 200, path
        timings: list[float] = []
        queries = 0
        for _ in range(requests):
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path)
                timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, path
            queries = max(queries, len(captured.captured_queries))
        timings.sort()
        out.append(
            {
                "variant": name,
                "path": path,
                "requests": requests,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(timings[max(0, int(len(timings) * 0.95) - 1)], 1),
                "queries": queries,
            }
        )
    return out


def run_showroom_pages(
    products: int, *, requests: int = 100, warmup: int = 10, log: Any = None
) -> dict[str, Any]:
    """The public showroom of the partner selling the whole benchmark catalogue: its category page (first
    page and the page after it, through the page's own next link) and a search, as an anonymous customer
    with django.test.Client (every middleware, the session), DEBUG off."""
    import re

    from django.test import Client
    from django.urls import reverse

    from partners.choices import PartnerStatus
    from partners.models import Partner
    from showroom.models import Showroom

    ids = build_catalogue(products, log=log)
    Partner.objects.filter(pk=ids["partner"]).update(status=PartnerStatus.ACTIVE)  # public pages need it
    Showroom.objects.update_or_create(
        partner_id=ids["partner"],
        defaults={"slug": SHOWROOM_SLUG, "title": "Bench showroom", "published": True},
    )
    client = Client()
    first = reverse("showroom:category", args=[SHOWROOM_SLUG, CATEGORY_SLUG])
    body = client.get(first).content.decode()
    match = re.search(r'href="(\?[^"]*after=[^"]+)"', body)
    second = first + match.group(1).replace("&amp;", "&") if match else first
    search = reverse("showroom:search", args=[SHOWROOM_SLUG]) + "?q=range+17+mm"
    load = [round(x, 2) for x in os.getloadavg()]
    _say(log, f"Showroom pages over {products:,} products: {requests} requests per variant ...")
    variants = _timed_pages(
        client,
        [("category, first page", first), ("category, next page", second), ("search q=range 17 mm", search)],
        requests,
        warmup,
    )
    counts = {v["queries"] for v in variants}
    return {
        "scenario": "showroom_pages",
        "products": products,
        "load_average_before": load,
        "variants": variants,
        "target_p95_ms": PAGE_P95_MS,
        "meets_targets": all(v["p95_ms"] < PAGE_P95_MS for v in variants) and len(counts) <= 2,
    }


def format_showroom_pages(result: dict[str, Any]) -> str:
    lines = [
        f"showroom_pages over {result['products']:,} products (load before {result['load_average_before']}):"
    ]
    for v in result["variants"]:
        lines.append(
            f"  {v['variant']:<24} median {v['median_ms']:6.1f} ms  p95 {v['p95_ms']:6.1f} ms  "
            f"{v['queries']} queries"
        )
    lines.append(
        f"  target p95 under {result['target_p95_ms']:g} ms: {'met' if result['meets_targets'] else 'MISSED'}"
    )
    return "\n".join(lines)


def run_catalog_export(products: int, *, rebuild: bool = False, log: Any = None) -> dict[str, Any]:
    """Build (or reuse) the catalogue, then measure the BMEcat export and the raw-cursor CSV limit."""
    ids = build_catalogue(products, rebuild=rebuild, log=log)
    load = [round(x, 2) for x in os.getloadavg()]
    _say(log, "Running the BMEcat export through export_run in a child process ...")
    bmecat = _bmecat_export(ids)
    _say(log, "Writing the same rows as CSV from a raw server-side cursor ...")
    raw = _raw_csv(ids)
    rate = bmecat["rows"] / bmecat["seconds"] if bmecat["seconds"] else 0.0
    raw_rate = raw["rows"] / raw["seconds"] if raw["seconds"] else 0.0
    return {
        "scenario": "catalog_export_bmecat",
        "products": products,
        "load_average_before": load,
        "bmecat_status": bmecat["status"],
        "bmecat_message": bmecat["message"],
        "bmecat_rows": bmecat["rows"],
        "bmecat_seconds": round(bmecat["seconds"], 2),
        "bmecat_products_per_s": round(rate),
        "bmecat_bytes": bmecat["size"],
        "rss_before_mb": round(bmecat["rss_before_mb"], 1),
        "rss_peak_mb": round(bmecat["rss_peak_mb"], 1),
        "raw_csv_rows": raw["rows"],
        "raw_csv_seconds": round(raw["seconds"], 2),
        "raw_csv_rows_per_s": round(raw_rate),
        "raw_csv_bytes": raw["size"],
        "target_products_per_s": TARGET_PRODUCTS_PER_S,
        "target_peak_mb": TARGET_PEAK_MB,
        "meets_targets": bmecat["status"] == "done"
        and rate >= TARGET_PRODUCTS_PER_S
        and bmecat["rss_peak_mb"] < TARGET_PEAK_MB,
    }


def format_catalog_export(result: dict[str, Any]) -> str:
    verdict = "met" if result["meets_targets"] else "MISSED"
    return (
        f"catalog_export_bmecat: {result['bmecat_rows']:,} products in {result['bmecat_seconds']:.1f} s = "
        f"{result['bmecat_products_per_s']:,} products/s (target {result['target_products_per_s']:,}), "
        f"{result['bmecat_bytes'] / 2**20:,.0f} MB; peak RSS {result['rss_peak_mb']:.0f} MB "
        f"(before the export {result['rss_before_mb']:.0f} MB; target under {result['target_peak_mb']} MB): "
        f"{verdict}. Job: {result['bmecat_status']} ({result['bmecat_message']})\n"
        f"limit, plain CSV from a raw server-side cursor: {result['raw_csv_rows']:,} rows in "
        f"{result['raw_csv_seconds']:.1f} s = {result['raw_csv_rows_per_s']:,} rows/s, "
        f"{result['raw_csv_bytes'] / 2**20:,.0f} MB. Load average before: {result['load_average_before']}."
    )
