"""Issue 6's order benchmark (`python -m bench --orders N`): order lists at scale.

On top of the partner data set (bench.dataset, 10,000 partners by default): three customers per
partner (2,000 for the partner-manager persona's partner, whose orders spread over them), 40 products in one category, and N orders in every status (two lines and one history line
each), spread over all partners, with ORDER_PERSONA_SHARE of them held by the partner-manager
persona's partner. Orders are numbered in creation order over the last three years. The rows are
written by `INSERT ... SELECT ... FROM generate_series` (no ORM, no Python per row); the scale is
recorded as an activity-trail line (`bench.orders`) and reused.

Then, as bench.mdf does (django.test.Client, every middleware and the session, DEBUG off), it measures
each page's query count (the same on every page and variant: constant) and its p95 (target under
50 ms, one client):
- the partner manager's orders `/partner/orders/`: first page, the next page, a status filter, the
  "customer phones" search by order number and by customer company;
- the channel orders `/channel/orders/` as the channel admin and the channel-manager persona: first
  page, next page, a status filter, a partner filter;
- `GET /api/v1/orders` with a bearer token as the channel admin: first page, the next cursor;
- the public status page `/orders/status/<token>/`;
and, apart (not a list, so not under the list target), the channel's totals per partner page."""

from __future__ import annotations

import os
import time
from typing import Any

from django.db import connection, transaction

from bench import dataset as ds
from bench.mdf import _page_variants, _timed, explain_queries

ORDERS_MARKER = "bench.orders"
ORDERS_VERSION = 2
ORDER_PERSONA_SHARE = 50  # one order in this many belongs to the partner-manager persona's partner
CUSTOMERS_PER_PARTNER = 3
PERSONA_CUSTOMERS = 2_000
PRODUCTS = 40
CATEGORY_SLUG = "bench-orders"
P95_TARGET_MS = 50.0
SPAN_SECONDS = 3 * 365 * 86400  # the orders' creation dates cover three years up to now
# Status by (order id mod 20): mostly delivered, every status present.
STATUS_SQL = """CASE
    WHEN m = 0 THEN 'draft'
    WHEN m IN (1, 2) THEN 'submitted'
    WHEN m IN (3, 4) THEN 'accepted'
    WHEN m IN (5, 6) THEN 'confirmed'
    WHEN m IN (7, 8, 9) THEN 'shipped'
    WHEN m IN (10, 11) THEN 'cancelled'
    ELSE 'delivered' END"""


def _products(admin: Any) -> list[int]:
    from catalog.models import Category, Product

    category, _ = Category.objects.get_or_create(slug=CATEGORY_SLUG, defaults={"name": "Bench orders"})
    existing = list(Product.objects.filter(category=category).order_by("id").values_list("id", flat=True))
    if len(existing) >= PRODUCTS:
        return existing[:PRODUCTS]
    Product.objects.bulk_create(
        [
            Product(
                sku=f"BORD-{n:04d}",
                name=f"Bench order product {n}",
                list_price=f"{5 * (n + 1)}.00",
                category=category,
            )
            for n in range(len(existing), PRODUCTS)
        ]
    )
    return list(Product.objects.filter(category=category).order_by("id").values_list("id", flat=True))


def wipe_orders() -> None:
    """Every order (lines and history cascade) and the benchmark's customers."""
    from core.models import ActivityEvent

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE orders_orderevent, orders_orderline, orders_order")
        cursor.execute("DELETE FROM customers_contact WHERE email LIKE '%%@orders.bench.example'")
        cursor.execute("DELETE FROM customers_customer WHERE email_domain = 'orders.bench.example'")
    ActivityEvent.objects.filter(verb=ORDERS_MARKER).delete()


def build_orders(data: ds.Dataset, *, orders: int, rebuild: bool = False, log: Any = None) -> dict[str, Any]:
    """The order data set at `orders` orders over the partner data set: reused when built at that scale."""
    from core.models import ActivityEvent
    from orders.models import Order
    from partners.models import Membership, Partner

    if connection.vendor != "postgresql":
        raise ValueError("The order data set is built with PostgreSQL's generate_series.")
    say = log or (lambda message: None)
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    marker = ActivityEvent.objects.filter(verb=ORDERS_MARKER).order_by("-id").first()
    if (
        not rebuild
        and marker is not None
        and marker.data.get("orders") == orders
        and marker.data.get("version") == ORDERS_VERSION
        and marker.data.get("partners") == data.partners
        and Order.objects.exists()
    ):
        say(f"Reusing the order data set of {orders:,} orders (--rebuild builds it again).")
        return {**marker.data, "reused": True, "build_seconds": 0.0}
    say(f"Building the order data set: {orders:,} orders over {data.partners:,} partners ...")
    started = time.perf_counter()
    partner_ids = list(Partner.objects.order_by("id").values_list("id", flat=True))
    others = [pid for pid in partner_ids if pid != persona_partner]
    with transaction.atomic():
        wipe_orders()
        products = _products(data.admin)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            # Customers: three per partner, with a contact each.
            cursor.execute(
                """
                INSERT INTO customers_customer (partner_id, company, normalised_name, email_domain, country,
                    address, city, postal_code, industry, created_at, updated_at)
                SELECT p.id, 'Bench Customer ' || p.id || '-' || k, 'bench customer ' || p.id || ' ' || k,
                    'orders.bench.example', 'DE', 'Hauptstrasse ' || k, 'Berlin', '10115', 'Retail', now(), now()
                FROM partners_partner p CROSS JOIN generate_series(1, %s) k
                """,
                [CUSTOMERS_PER_PARTNER],
            )
            # The persona's partner, which holds ORDER_PERSONA_SHARE of the orders, has PERSONA_CUSTOMERS
            # customers of its own (about ten orders each at 1,000,000 orders), with consecutive ids.
            cursor.execute(
                """
                INSERT INTO customers_customer (partner_id, company, normalised_name, email_domain, country,
                    address, city, postal_code, industry, created_at, updated_at)
                SELECT %s, 'Persona Customer ' || k, 'persona customer ' || k, 'orders.bench.example', 'DE',
                    'Ringstrasse ' || k, 'Munich', '80331', 'Retail', now(), now()
                FROM generate_series(1, %s) k ORDER BY k
                """,
                [persona_partner, PERSONA_CUSTOMERS],
            )
            cursor.execute(
                """
                INSERT INTO customers_contact (customer_id, partner_id, name, email, phone, role, created_at)
                SELECT c.id, c.partner_id, 'Buyer ' || c.id, 'buyer' || c.id || '@orders.bench.example', '', '',
                    now()
                FROM customers_customer c WHERE c.email_domain = 'orders.bench.example'
                """
            )
            cursor.execute("DROP TABLE IF EXISTS bench_order_customer")
            cursor.execute(
                """
                CREATE TEMP TABLE bench_order_customer ON COMMIT DROP AS
                SELECT c.partner_id, min(c.id) AS customer_id, min(k.id) AS contact_id,
                    CASE WHEN c.partner_id = %s THEN %s ELSE 1 END AS customers
                FROM customers_customer c JOIN customers_contact k ON k.customer_id = c.id
                WHERE c.email_domain = 'orders.bench.example'
                    AND (c.partner_id <> %s OR c.company LIKE 'Persona Customer %%')
                GROUP BY c.partner_id
                """,
                [persona_partner, PERSONA_CUSTOMERS, persona_partner],
            )
            cursor.execute("CREATE INDEX ON bench_order_customer (partner_id)")
            # Orders, ids 1..N in creation order; the total is the sum of the two lines written below
            # (quantity 1 + (id + k) mod 5, price 5 x (1 + (id + k) mod 40), k = 0, 1). Partner: the
            # persona's for every ORDER_PERSONA_SHARE-th, else one of the others by a multiplicative hash
            # (spread evenly, not in runs).
            cursor.execute(
                f"""
                INSERT INTO orders_order (id, number, partner_id, customer_id, contact_id, assigned_to_id, origin,
                    lead_id, currency, total, status, customer_reference, notes, reason, expected_delivery,
                    tracking_reference, status_token, created_by_id, created_at, updated_at, submitted_at,
                    accepted_at, confirmed_at, shipped_at, delivered_at, cancelled_at)
                SELECT g.i, 'SO-' || lpad(g.i::text, 7, '0'), g.partner_id,
                    bc.customer_id + (g.i / %(share)s) %% bc.customers, NULL, NULL,
                    (ARRAY['replenishment', 'replenishment', 'lead', 'showroom'])[1 + g.i %% 4], NULL, 'EUR',
                    (1 + g.i %% 5) * 5 * (1 + g.i %% 40) + (1 + (g.i + 1) %% 5) * 5 * (1 + (g.i + 1) %% 40),
                    g.status, 'PO-' || g.i, '', CASE WHEN g.status = 'cancelled' THEN 'Customer cancelled' ELSE '' END,
                    CASE WHEN g.status IN ('confirmed', 'shipped', 'delivered') THEN (g.created + interval '7 days')::date END,
                    CASE WHEN g.status IN ('shipped', 'delivered') THEN 'TRK' || g.i ELSE '' END,
                    md5('token' || g.i) || substr(md5('salt' || g.i), 1, 11), NULL, g.created, g.created,
                    CASE WHEN g.status <> 'draft' THEN g.created END,
                    CASE WHEN g.status IN ('accepted', 'confirmed', 'shipped', 'delivered') THEN g.created END,
                    CASE WHEN g.status IN ('confirmed', 'shipped', 'delivered') THEN g.created END,
                    CASE WHEN g.status IN ('shipped', 'delivered') THEN g.created END,
                    CASE WHEN g.status = 'delivered' THEN g.created END,
                    CASE WHEN g.status = 'cancelled' THEN g.created END
                FROM (
                    SELECT i, {STATUS_SQL} AS status,
                        CASE WHEN i %% %(share)s = 0 THEN %(persona)s
                             ELSE (%(others)s::bigint[])[1 + (i::bigint * 7919) %% %(n_others)s] END AS partner_id,
                        now() - make_interval(secs => (%(n)s - i) * %(step)s) AS created
                    FROM (SELECT i, i %% 20 AS m FROM generate_series(1, %(n)s) i) s
                ) g JOIN bench_order_customer bc ON bc.partner_id = g.partner_id
                """,
                {
                    "share": ORDER_PERSONA_SHARE,
                    "persona": persona_partner,
                    "others": others,
                    "n_others": len(others),
                    "n": orders,
                    "step": SPAN_SECONDS / orders,
                },
            )
            made = cursor.rowcount
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('orders_order', 'id'), (SELECT max(id) FROM orders_order))"
            )
            cursor.execute(
                """
                INSERT INTO orders_orderline (order_id, product_id, sku, name, quantity, unit_price, price_unit,
                    line_total)
                SELECT o.id, (%(products)s::bigint[])[1 + (o.id + k) %% %(n_products)s], 'BORD-' || ((o.id + k) %% 40),
                    'Bench order product', 1 + (o.id + k) %% 5, 5 * (1 + (o.id + k) %% 40), 1,
                    (1 + (o.id + k) %% 5) * 5 * (1 + (o.id + k) %% 40)
                FROM orders_order o CROSS JOIN generate_series(0, 1) k
                """,
                {"products": products, "n_products": len(products)},
            )
            cursor.execute(
                """
                INSERT INTO orders_orderevent (order_id, kind, status, actor_id, note, created_at, emailed_at)
                SELECT id, CASE WHEN status = 'draft' THEN 'created' ELSE status END, status, NULL, '',
                    created_at, NULL
                FROM orders_order
                """
            )
            cursor.execute("SELECT count(*) FROM orders_order WHERE partner_id = %s", [persona_partner])
            persona_orders = cursor.fetchone()[0]
        info = {
            "orders": orders, "version": ORDERS_VERSION, "partners": data.partners, "orders_made": made,
            "order_lines": made * 2, "persona_partner_orders": persona_orders,
        }  # fmt: skip
        ActivityEvent.objects.create(
            actor=data.admin, verb=ORDERS_MARKER, message=f"Benchmark order data set: {orders} orders",
            target_type=ORDERS_MARKER, target_id=orders, data=info,
        )  # fmt: skip
    with connection.cursor() as cursor:
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in ("orders_order", "orders_orderline", "orders_orderevent", "customers_customer"):
            cursor.execute(f"{command} {table}")
    elapsed = time.perf_counter() - started
    say(f"Built in {elapsed:.0f} s: {made:,} orders; the persona's partner holds {persona_orders:,}.")
    return {**info, "reused": False, "build_seconds": round(elapsed, 1)}


def _with(base: str, **params: Any) -> str:
    from urllib.parse import urlencode

    return f"{base}?{urlencode(params)}"


def run_pages(data: ds.Dataset, *, requests: int, warmup: int, explain_ms: float | None = None,
              log: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    """The order lists of both portals, the API list, the status page and the totals per partner."""
    from django.test import Client
    from django.urls import reverse

    from core.services import api_token_create, api_token_revoke
    from orders.models import Order
    from partners.models import Membership

    say = log or (lambda message: None)
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    own = Order.objects.filter(partner_id=persona_partner).order_by("-id")
    middle = own[own.count() // 2]
    partner_list = reverse("partner:order_list")
    channel_list = reverse("channel:order_list")
    managed = Order.objects.filter(partner_id__in=_managed_ids(data.channel_manager)).order_by("-id").first()
    plan: list[tuple[str, Any, bool, list[tuple[str, list[tuple[str, str]]]], list[tuple[str, str]]]] = [
        ("partner_order_list", data.partner_manager, False, [(partner_list, [("next page", "after")])], [
            ("filter status=submitted", _with(partner_list, status="submitted")),
            ("search by number", _with(partner_list, q=middle.number)),
            ("search by customer company", _with(partner_list, q="Persona Customer 1234")),
            ("search by a word every customer has", _with(partner_list, q="Persona Customer")),
        ]),
        ("channel_order_list_admin", data.admin, False, [(channel_list, [("next page", "after")])], [
            ("filter status=shipped", _with(channel_list, status="shipped")),
            ("filter partner", _with(channel_list, partner=persona_partner)),
        ]),
        ("channel_order_list_manager", data.channel_manager, False, [(channel_list, [("next page", "after")])], [
            ("filter status=shipped", _with(channel_list, status="shipped")),
            ("filter partner", _with(channel_list, partner=managed.partner_id if managed else persona_partner)),
        ]),
        ("api_orders", data.admin, True, [], []),
        ("order_status_page", None, False, [], [("status page", reverse("order_status", args=[middle.status_token]))]),
    ]  # fmt: skip
    results = []
    for name, user, api, pages, extra in plan:
        token = None
        if api:
            token, raw = api_token_create(user=user, name=f"bench {name}")
            client = Client(headers={"authorization": f"Bearer {raw}"})
            first = client.get("/api/v1/orders").json()
            paths = [("first page", "/api/v1/orders")]
            if first.get("next_cursor"):
                paths.append(("next page", _with("/api/v1/orders", cursor=first["next_cursor"])))
            paths.append(("filter status=delivered", _with("/api/v1/orders", status="delivered")))
        else:
            client = Client()
            if user is not None:
                client.force_login(user)
            paths = []
            for base, cursors in pages:
                paths += _page_variants(client, base, cursors)
            paths += extra
        say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
        load = [round(x, 2) for x in os.getloadavg()]
        variants = _timed(client, paths, requests, warmup)
        slow: list[dict[str, Any]] = []
        if explain_ms is not None:
            for _, path in paths:
                slow += explain_queries(client, path, explain_ms)
        query_counts = {q for v in variants for q in v["queries"]}
        results.append(
            {
                "scenario": name, "persona": user.email if user else "anonymous", "load_average_before": load,
                "variants": variants, "p95_ms": max(v["p95_ms"] for v in variants),
                "queries": sorted(query_counts), "target_p95_ms": P95_TARGET_MS,
                "meets_targets": all(v["p95_ms"] < P95_TARGET_MS and len(v["queries"]) == 1 for v in variants),
                "slow_queries": slow,
            }
        )  # fmt: skip
        if token is not None:
            api_token_revoke(token=token, actor=user)
    # The totals per partner: an aggregate over every order in scope, reported beside the lists.
    totals = []
    for name, user in (
        ("channel_order_totals_admin", data.admin),
        ("channel_order_totals_manager", data.channel_manager),
    ):
        client = Client()
        client.force_login(user)
        path = reverse("channel:order_totals")
        say(f"Running {name} ...")
        load = [round(x, 2) for x in os.getloadavg()]
        variants = _timed(client, [("totals per partner", path)], max(10, requests // 10), min(warmup, 3))
        totals.append(
            {"scenario": name, "persona": user.email, "load_average_before": load, "variants": variants}
        )
    return results + [{**t, "not_a_list": True} for t in totals]


def _managed_ids(user: Any) -> list[int]:
    from partners.access import managed_partner_id_list

    return managed_partner_id_list(user)


def run_orders(args: Any, data: ds.Dataset, *, log: Any = print) -> dict[str, Any]:
    """--orders N: build (or reuse) the order data set and measure the pages."""
    from core.services import emails_suppressed

    built = build_orders(data, orders=args.orders, rebuild=args.rebuild, log=log)
    report: dict[str, Any] = {"orders": built}
    with emails_suppressed():
        report["pages"] = run_pages(
            data, requests=args.requests, warmup=args.warmup, explain_ms=args.explain, log=log
        )
    report["meets_targets"] = all(p["meets_targets"] for p in report["pages"] if not p.get("not_a_list"))
    return report


def format_orders(report: dict[str, Any]) -> str:
    lines = []
    for page in report["pages"]:
        lines.append(f"{page['scenario']} as {page['persona']} (load before {page['load_average_before']}):")
        for v in page["variants"]:
            lines.append(
                f"  {v['variant']:<30} median {v['median_ms']:6.1f} ms  p95 {v['p95_ms']:6.1f} ms  "
                f"db {v['db_median_ms']:5.1f} ms  cpu {v['python_cpu_median_ms']:5.1f} ms  "
                f"queries {','.join(map(str, v['queries']))}"
            )
        if not page.get("not_a_list"):
            lines.append(f"  target p95 < {page['target_p95_ms']:g} ms, constant queries: "
                         + ("met" if page["meets_targets"] else "MISSED"))  # fmt: skip
    return "\n".join(lines)
