"""The named scenarios and the runner.

A scenario logs a persona in (a session for portal pages, a bearer token for the API), prepares a
few request variants (first page, pages reached through the next cursor, a search, filters, another
sort) and then requests them in turn: warm-up requests first, which are not counted, then the
measured ones. Every request is timed and its queries counted with CaptureQueriesContext."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from bench import dataset as ds
from bench.database import BenchError
from bench.report import percentile
from core.models import User
from core.services import api_token_create, api_token_revoke
from partners import selectors
from partners.models import Tier

# The targets for list pages and API lists at 10,000 partners, one client.
MAX_QUERIES = 8
P95_MS = 50.0

NEXT_LINK = re.compile(r"<a\b[^>]*\brel=\"next\"[^>]*>")
HREF = re.compile(r"\bhref=\"([^\"]*)\"")


@dataclass
class Variant:
    """One request of a scenario. `matching` is how many partners its filters match (the page shows
    at most one page of them); `settings` are overridden for this request only."""

    label: str
    path: str
    matching: int | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass
class Sample:
    variant: int
    ms: float
    queries: int
    db_ms: float  # the queries' own time, as the database cursor measured it (1 ms resolution)
    status: int
    size: int


@dataclass
class SlowQuery:
    """A query of one request that took at least the --explain threshold, with its plan."""

    variant: str
    ms: float
    sql: str
    plan: str


@dataclass
class Session:
    """A logged-in client for one persona, and how to undo what logging in created."""

    client: Client
    user: User
    api: bool
    close: Callable[[], None] = lambda: None


@dataclass
class Scenario:
    name: str
    description: str
    persona: str | None  # "admin", "channel_manager", "partner_manager" or None (anonymous)
    api: bool
    prepare: Callable[[Session, ds.Dataset], list[Variant]]
    has_targets: bool = True


@dataclass
class ScenarioResult:
    name: str
    description: str
    requests: int
    warmup: int
    elapsed_s: float
    samples: list[Sample]
    variants: list[Variant]
    has_targets: bool
    slow_queries: list[SlowQuery] = field(default_factory=list)

    @property
    def latencies(self) -> list[float]:
        return [s.ms for s in self.samples]

    @property
    def median_ms(self) -> float:
        return percentile(self.latencies, 50)

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 95)

    @property
    def max_queries(self) -> int:
        return max(s.queries for s in self.samples)

    @property
    def min_queries(self) -> int:
        return min(s.queries for s in self.samples)

    @property
    def throughput(self) -> float:
        return len(self.samples) / self.elapsed_s if self.elapsed_s else 0.0

    @property
    def meets_targets(self) -> bool | None:
        if not self.has_targets:
            return None
        return self.max_queries <= MAX_QUERIES and self.p95_ms < P95_MS

    def variant_rows(self) -> list[dict[str, Any]]:
        rows = []
        for index, variant in enumerate(self.variants):
            samples = [s for s in self.samples if s.variant == index]
            if not samples:
                continue
            ms = [s.ms for s in samples]
            rows.append(
                {
                    "label": variant.label,
                    "path": variant.path,
                    "matching": variant.matching,
                    "settings": variant.settings or None,
                    "requests": len(samples),
                    "median_ms": round(percentile(ms, 50), 2),
                    "p95_ms": round(percentile(ms, 95), 2),
                    "max_ms": round(max(ms), 2),
                    "db_median_ms": round(percentile([s.db_ms for s in samples], 50), 2),
                    "queries": sorted({s.queries for s in samples}),
                    "response_bytes": samples[-1].size,
                }
            )
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.name,
            "description": self.description,
            "requests": len(self.samples),
            "warmup_requests": self.warmup,
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "max_ms": round(max(self.latencies), 2),
            "queries_per_request_max": self.max_queries,
            "queries_per_request_min": self.min_queries,
            "throughput_rps": round(self.throughput, 1),
            "targets": {"max_queries": MAX_QUERIES, "p95_ms": P95_MS} if self.has_targets else None,
            "meets_targets": self.meets_targets,
            "variants": self.variant_rows(),
            "slow_queries": [vars(q) for q in self.slow_queries],
        }


# --- Logging in -----------------------------------------------------------------------------------


def persona(dataset: ds.Dataset, name: str) -> User:
    return {
        "admin": dataset.admin,
        "channel_manager": dataset.channel_manager,
        "partner_manager": dataset.partner_manager,
    }[name]


@contextmanager
def logged_in(scenario: Scenario, dataset: ds.Dataset) -> Iterator[Session]:
    """A client for the scenario's persona: force_login for portal pages, a fresh bearer token for the
    API (revoked afterwards). Anonymous scenarios get a plain client."""
    if scenario.persona is None:
        yield Session(client=Client(), user=dataset.admin, api=scenario.api)
        return
    user = persona(dataset, scenario.persona)
    if scenario.api:
        token, raw = api_token_create(user=user, name=f"bench {scenario.name}")
        try:
            yield Session(client=Client(headers={"authorization": f"Bearer {raw}"}), user=user, api=True)
        finally:
            api_token_revoke(token=token, actor=user)
        return
    client = Client()
    client.force_login(user)
    try:
        yield Session(client=client, user=user, api=False)
    finally:
        client.logout()


def fetch(session: Session, path: str) -> Any:
    response = session.client.get(path)
    if response.status_code != 200:
        raise BenchError(f"GET {path} answered {response.status_code}, expected 200.")
    return response


# --- Preparing variants ---------------------------------------------------------------------------


def next_page_path(base: str, body: str) -> str | None:
    """The href of the page's rel="next" link (templates/includes/pagination.html), as a path."""
    match = NEXT_LINK.search(body)
    if not match:
        return None
    href = HREF.search(match.group(0))
    if not href:
        return None
    target = html.unescape(href.group(1))
    return base + target if target.startswith("?") else target


def walk_pages(session: Session, first: str, pages: int) -> list[tuple[int, str]]:
    """Follow the next cursor from `first` up to `pages` times: [(page number, path), ...]."""
    reached: list[tuple[int, str]] = []
    path: str | None = first
    base = first.split("?", 1)[0]
    for number in range(2, pages + 2):
        assert path is not None
        response = fetch(session, path)
        if session.api:
            cursor = response.json().get("next_cursor")
            separator = "&" if "?" in first else "?"
            path = f"{first}{separator}{urlencode({'cursor': cursor})}" if cursor else None
        else:
            path = next_page_path(base, response.content.decode())
        if path is None:
            break
        reached.append((number, path))
    return reached


def _with(path: str, **params: Any) -> str:
    return f"{path}?{urlencode(params)}" if params else path


def _count(user: User, **filters: Any) -> int:
    return selectors.partner_list(user, **filters).count()


def _paged_variants(session: Session, first: str, walk: int, matching: int) -> list[Variant]:
    """Page 2 and the deepest page reached by walking `walk` next cursors from `first`."""
    pages = walk_pages(session, first, walk)
    chosen = pages[:1] + (pages[-1:] if len(pages) > 1 else [])
    return [
        Variant(f"page {number} (next cursor walked {number - 1})", path, matching) for number, path in chosen
    ]


def portal_partner_list(walk: int) -> Callable[[Session, ds.Dataset], list[Variant]]:
    def prepare(session: Session, dataset: ds.Dataset) -> list[Variant]:
        user = session.user
        base = reverse("channel:partner_list")
        gold = Tier.objects.get(name=ds.FILTER_TIER)
        everyone = _count(user)
        variants = [Variant("first page", base, everyone)]
        variants += _paged_variants(session, base, walk, everyone)
        variants += [
            Variant(
                f"search q={ds.SEARCH_TERM}", _with(base, q=ds.SEARCH_TERM), _count(user, q=ds.SEARCH_TERM)
            ),
            Variant(
                f"filter country={ds.FILTER_COUNTRY} tier={ds.FILTER_TIER}",
                _with(base, country=ds.FILTER_COUNTRY, tier=gold.pk),
                _count(user, country=ds.FILTER_COUNTRY, tier=gold.pk),
            ),
            Variant("sort -created", _with(base, sort="-created"), everyone),
        ]
        variants += [
            Variant(f"sort -created, {v.label}", v.path, everyone)
            for v in _paged_variants(session, _with(base, sort="-created"), 1, everyone)
        ]
        variants.append(Variant("first page, 100 rows per page", base, everyone, settings={"PAGE_SIZE": 100}))
        return variants

    return prepare


def api_partner_list(walk: int) -> Callable[[Session, ds.Dataset], list[Variant]]:
    def prepare(session: Session, dataset: ds.Dataset) -> list[Variant]:
        user = session.user
        base = "/api/v1/partners"
        everyone = _count(user)
        variants = [Variant("first page (limit 50)", base, everyone)]
        variants += _paged_variants(session, base, walk, everyone)
        variants += [
            Variant("first page, limit=10", _with(base, limit=10), everyone),
            Variant("first page, limit=200", _with(base, limit=200), everyone),
            Variant(
                f"filter country={ds.FILTER_COUNTRY} tier={ds.FILTER_TIER}",
                _with(base, country=ds.FILTER_COUNTRY, tier=ds.FILTER_TIER),
                _count(user, country=ds.FILTER_COUNTRY, tier=ds.FILTER_TIER),
            ),
            Variant(
                "filter status=active type=reseller",
                _with(base, status="active", type="reseller"),
                _count(user, status="active", type="reseller"),
            ),
            Variant(
                f"search q={ds.SEARCH_TERM}", _with(base, q=ds.SEARCH_TERM), _count(user, q=ds.SEARCH_TERM)
            ),
            Variant("sort -created", _with(base, sort="-created"), everyone),
        ]
        variants += [
            Variant(f"sort -created, {v.label}", v.path, everyone)
            for v in _paged_variants(session, _with(base, sort="-created"), 1, everyone)
        ]
        return variants

    return prepare


def healthz(session: Session, dataset: ds.Dataset) -> list[Variant]:
    return [Variant("GET /healthz", "/healthz")]


SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in [
        Scenario(
            name="channel_partner_list",
            description=(
                "GET /channel/partners/ as the channel admin (all partners): first page, pages through "
                "the next cursor, a search, a country and tier filter, sorted by -created, 100 rows a page."
            ),
            persona="admin",
            api=False,
            prepare=portal_partner_list(walk=10),
        ),
        Scenario(
            name="channel_partner_list_manager",
            description=(
                "GET /channel/partners/ as a channel manager who owns a few hundred partners (and their "
                "sub-partners): the same variants, scoped by the access policy."
            ),
            persona="channel_manager",
            api=False,
            prepare=portal_partner_list(walk=4),
        ),
        Scenario(
            name="api_partners",
            description=(
                "GET /api/v1/partners with a bearer token as the channel admin: first page, following "
                "next_cursor, limit 10 and 200, filters, a search, sorted by -created."
            ),
            persona="admin",
            api=True,
            prepare=api_partner_list(walk=10),
        ),
        Scenario(
            name="healthz",
            description="GET /healthz, anonymous: the floor (middleware, one query) to compare with.",
            persona=None,
            api=False,
            prepare=healthz,
            has_targets=False,
        ),
    ]
}


# --- Running --------------------------------------------------------------------------------------


def _timed(session: Session, variant: Variant, index: int) -> Sample:
    scope = override_settings(**variant.settings) if variant.settings else nullcontext()
    with scope, CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = session.client.get(variant.path)
        elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise BenchError(f"GET {variant.path} answered {response.status_code}, expected 200.")
    return Sample(
        variant=index,
        ms=elapsed,
        queries=len(queries),
        db_ms=sum(float(q["time"]) for q in queries.captured_queries) * 1000,
        status=response.status_code,
        size=len(response.content),
    )


def explain_slow_queries(session: Session, variant: Variant, min_ms: float) -> list[SlowQuery]:
    """Request the variant once more and EXPLAIN ANALYZE each SELECT that took at least `min_ms`
    (PostgreSQL only; other statements are never explained, as ANALYZE would run them)."""
    if connection.vendor != "postgresql":
        return []
    scope = override_settings(**variant.settings) if variant.settings else nullcontext()
    with scope, CaptureQueriesContext(connection) as queries:
        session.client.get(variant.path)
    slow = []
    for query in queries.captured_queries:
        ms = float(query["time"]) * 1000
        sql = query["sql"]
        if ms < min_ms or not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        slow.append(SlowQuery(variant=variant.label, ms=ms, sql=sql, plan=plan))
    return slow


def run_scenario(
    scenario: Scenario,
    dataset: ds.Dataset,
    *,
    requests: int,
    warmup: int,
    explain_ms: float | None = None,
) -> ScenarioResult:
    """Warm up, then `requests` measured requests cycling through the scenario's variants. With
    `explain_ms`, afterwards the plans of the queries that took at least that long, per variant."""
    if requests < 1:
        raise ValueError("requests must be at least 1")
    with logged_in(scenario, dataset) as session:
        variants = scenario.prepare(session, dataset)
        for i in range(warmup):
            _timed(session, variants[i % len(variants)], i % len(variants))
        samples = []
        started = time.perf_counter()
        for i in range(requests):
            samples.append(_timed(session, variants[i % len(variants)], i % len(variants)))
        elapsed = time.perf_counter() - started
        slow = []
        if explain_ms is not None:
            for variant in variants:
                slow += explain_slow_queries(session, variant, explain_ms)
    return ScenarioResult(
        name=scenario.name,
        description=scenario.description,
        requests=requests,
        warmup=warmup,
        elapsed_s=elapsed,
        samples=samples,
        variants=variants,
        has_targets=scenario.has_targets,
        slow_queries=slow,
    )
