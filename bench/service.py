"""Issue 6's service benchmark (`python -m bench --solutions N --service-requests M`).

On top of the partner data set (bench.dataset, 10,000 partners by default):

- `--solutions N` (the issue: 100,000): a knowledge base of N published solutions, generated from a
  vocabulary of devices, symptoms, places, causes and fixes (a few hundred common words, rarer error
  codes and firmware versions), loaded with COPY; PostgreSQL computes each row's weighted document
  (the generated column `search_vector`) and the GIN index is built after the load. Then the search,
  as partners meet it: the partner portal's knowledge base (`/partner/service/solutions/?q=`), the API
  (`GET /api/v1/solutions?q=`) and the suggestions partial while a problem is typed
  (`/partner/service/suggest/`), each with queries from one very common word to a rare error code.
- `--service-requests N` (the issue: 1,000,000): N service requests over 2,000 partners (the
  partner-manager persona's partner holds 2 %, the channel-manager persona's partners their share),
  with ten customers per partner, in every status over three years, loaded with COPY. Then the lists:
  "My requests" and "Our requests" of the partner manager, the channel's request list and escalations
  queue as the channel manager and the admin (first page and the page after through its own next
  link), and `GET /api/v1/service-requests` as the partner and the channel manager.

Every page is requested through django.test.Client with the session and every middleware, DEBUG off;
targets: p95 under 50 ms and the same number of queries on every request of a variant. The data sets
are recorded as activity-trail lines (`bench.solutions`, `bench.service`) and reused at the same scale."""

from __future__ import annotations

import os
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import connection, transaction

from bench import dataset as ds
from bench.mdf import _next_link, _Table, _timed, explain_queries

SOLUTIONS_MARKER = "bench.solutions"
SERVICE_MARKER = "bench.service"
VERSION = 1
P95_TARGET_MS = 50.0
REQUEST_PARTNERS = 2_000
CUSTOMERS_PER_PARTNER = 10
PERSONA_SHARE = 0.02  # of all requests, to the partner-manager persona's partner
PERSONA_ASSIGNED_SHARE = 0.3  # of those, assigned to the persona (its "My requests")
CUSTOMER_INDUSTRY = "Benchmark service"
NOW = datetime(2026, 11, 27, 18, 0, tzinfo=UTC)
HISTORY_DAYS = 3 * 365

DEVICES = [
    "pressure transmitter", "inductive sensor", "photoelectric sensor", "radar level transmitter",
    "electromagnetic flow meter", "temperature controller", "compact PLC", "IO-Link master", "touch panel",
    "thermocouple", "Pt100 probe", "vortex meter", "float switch", "analogue input module", "relay output",
    "fibre amplifier", "laser distance sensor", "ultrasonic level sensor", "pressure switch",
    "vibrating fork", "capacitive sensor", "HART transmitter", "digital output module", "safety relay",
    "frequency converter", "encoder", "light curtain", "M12 cable", "Y distributor", "reflector",
]  # fmt: skip
SYMPTOMS = [
    "drifts after warm-up", "shows no signal", "flickers", "switches without a target", "reads too high",
    "reads too low", "loses communication", "goes to STOP", "reports a wire break", "jumps by several percent",
    "does not start", "overheats", "freezes after power-up", "cannot be found on the network",
    "loses its settings", "responds slowly", "shows full scale", "chatters around the set point",
    "counts with the pump off", "fails intermittently", "shows a checksum error", "times out",
    "stays in the covered state", "misses glossy parts", "detects the background",
]  # fmt: skip
PLACES = [
    "on the bottling line", "in the paint shop", "at the waste-water plant", "in the cold store",
    "on the packaging machine", "in the boiler house", "on the press line", "in the clean room",
    "at the tank farm", "on the conveyor", "in the dosing station", "in the drying oven",
    "at the filling machine", "in the compressor room", "on the test bench", "in the mixing plant",
]  # fmt: skip
CONDITIONS = [
    "when the motor starts", "after a power failure", "with hot media", "during cleaning",
    "at low temperatures", "after the firmware update", "when the frequency converter runs",
    "at full load", "after a few hours of operation", "when it rains", "after the cable was replaced",
    "when several valves switch", "at night", "after a pressure peak", "during start-up",
]  # fmt: skip
CAUSES = [
    "The cable runs parallel to motor cables and picks up interference.",
    "The supply voltage drops below the minimum when the valves switch.",
    "The medium temperature exceeds the compensated range of the sensor cell.",
    "The mounting bracket is too close to the sensing face.",
    "The input card expects the other switching logic (PNP versus NPN).",
    "A pressure peak exceeded the overload limit.",
    "The vent of the connector is blocked by moisture.",
    "The cycle time exceeds the watchdog time.",
    "The loop resistance is too low for HART communication.",
    "Deposits on the probe damp the measurement.",
    "The grounding of the pipe is missing.",
    "The firmware stores the setting only after ten seconds.",
    "The terminating resistor of the bus line is missing.",
    "The reflector does not rotate the polarisation.",
    "The thermocouple is extended with copper instead of compensating cable.",
]  # fmt: skip
FIXES = [
    "Route the cable at least 20 cm away from power cables or use a shielded cable.",
    "Check the 24 V supply and add a buffer module.",
    "Mount the device on a siphon or cooling element.",
    "Increase the free zone around the sensing face.",
    "Use the matching switching variant or an interface relay.",
    "Fit a pressure snubber and choose a range with reserve.",
    "Dry the connector and replace the filter element.",
    "Split long loops over several cycles or raise the watchdog.",
    "Add a 250 ohm resistor in the loop.",
    "Clean the probe and select the high-density setting.",
    "Fit grounding rings on both flanges.",
    "Update the firmware with Kestrel Studio.",
    "Terminate both ends of the line with 120 ohm.",
    "Use a micro-prism reflector.",
    "Replace the extension by compensating cable.",
    "Run the auto-tune at the operating set point.",
    "Run the false-echo mapping with the tank empty.",
    "Adjust the zero at operating temperature.",
]  # fmt: skip
TAGS = [
    "drift", "EMC", "wiring", "mounting", "firmware", "calibration", "grounding", "overload", "IO-Link",
    "Modbus", "HART", "PNP", "NPN", "watchdog", "teach-in", "filter", "reflector", "cable", "supply",
    "temperature", "pressure", "level", "flow", "network", "licence",
]  # fmt: skip
# The searches measured: from one very common word to a rare error code.
SEARCHES = [
    ("one common word", "sensor"),
    ("two words", "pressure drift"),
    ("three words", "watchdog firmware update"),
    ("device and symptom", "radar level transmitter shows full scale"),
    ("rare error code", "E4711"),
    ("no match", "zebra crossing"),
]
SUGGESTION_TEXTS = [
    ("short problem", "Pressure transmitter drifts", "hot water"),
    ("typed problem", "Sensor flickers on the conveyor",
     "The inductive sensor switches without a target when the motor starts; we replaced the cable already."),
]  # fmt: skip
SUBJECTS = [f"{d.capitalize()} {s}" for d in DEVICES[:12] for s in SYMPTOMS[:8]]


@dataclass
class ServiceDataset:
    solutions: int = 0
    requests: int = 0
    customers: int = 0
    persona_partner_requests: int = 0
    persona_assigned_requests: int = 0
    solutions_reused: bool = False
    requests_reused: bool = False
    build_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {
            "service_solutions": self.solutions,
            "service_requests": self.requests,
            "service_customers": self.customers,
            "service_requests_of_partner_manager_persona": self.persona_partner_requests,
            "service_requests_assigned_to_partner_manager_persona": self.persona_assigned_requests,
            "service_version": VERSION,
            "service_solutions_reused": self.solutions_reused,
            "service_requests_reused": self.requests_reused,
            "service_build_seconds": round(self.build_seconds, 1),
        }


def _marker(verb: str) -> Any:
    from core.models import ActivityEvent

    return ActivityEvent.objects.filter(verb=verb).order_by("-id").first()


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        raise ValueError("The service data set is loaded with PostgreSQL's COPY.")


def _analyze(tables: list[str]) -> None:
    with connection.cursor() as cursor:
        # As autovacuum would leave a live system (VACUUM cannot run inside a test's transaction).
        command = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        for table in tables:
            cursor.execute(f"{command} {table}")


# --- The knowledge base ---------------------------------------------------------------------------


def _solution_text(rng: random.Random) -> tuple[str, str, str, str]:
    device, symptom = rng.choice(DEVICES), rng.choice(SYMPTOMS)
    place, condition = rng.choice(PLACES), rng.choice(CONDITIONS)
    code = f"E{rng.randrange(1000, 10000)}"
    title = f"{device.capitalize()} {symptom}" + (f" {condition}" if rng.random() < 0.4 else "")
    problem = (
        f"The {device} {symptom} {place} {condition}. "
        f"The display shows error {code} now and then; firmware {rng.randrange(1, 5)}.{rng.randrange(0, 10)}."
    )
    steps = rng.sample(FIXES, 3)
    solution = f"{rng.choice(CAUSES)}\n" + "\n".join(f"{n}. {step}" for n, step in enumerate(steps, 1))
    tags = ", ".join(rng.sample(TAGS, 3))
    return title[:200], problem, solution, tags


def build_solutions(
    data: ds.Dataset, *, solutions: int, rebuild: bool = False, log: Any = None
) -> tuple[int, bool]:
    """N published solutions (reused when built at this scale); answers (count, reused)."""
    from core.models import ActivityEvent
    from service.models import Solution

    _require_postgres()
    say = log or (lambda message: None)
    marker = _marker(SOLUTIONS_MARKER)
    if (
        not rebuild and marker is not None and marker.data.get("solutions") == solutions
        and marker.data.get("version") == VERSION and Solution.objects.count() == solutions
    ):  # fmt: skip
        say(f"Reusing the knowledge base of {solutions:,} solutions (--rebuild builds it again).")
        return solutions, True
    say(f"Building a knowledge base of {solutions:,} solutions ...")
    started = time.perf_counter()
    rng = random.Random(ds.SEED + solutions)
    with transaction.atomic(), tempfile.TemporaryDirectory(prefix="bench-service-") as directory:
        with connection.cursor() as cursor:
            # Solutions the benchmark's requests do not use; a plain DELETE (TRUNCATE would cascade to
            # every table that may point at a solution).
            cursor.execute(
                "UPDATE service_servicerequest SET solution_id = NULL WHERE solution_id IS NOT NULL"
            )
            # A bulk load: the foreign-key triggers are off for this transaction (their deferred checks
            # would block building the indexes again); the only key filled, the author, is the admin.
            cursor.execute("SET LOCAL session_replication_role = replica")
            for linked in (
                "service_solutionfeedback",
                "service_solution_products",
                "service_solution_categories",
            ):
                cursor.execute(f"DELETE FROM {linked}")
            cursor.execute("DELETE FROM service_solution")
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            table = _Table(directory, "service_solution", ["title", "problem", "solution", "tags", "published", "published_at", "solved_count", "author_id", "created_at", "updated_at"])  # fmt: skip
            for _ in range(solutions):
                title, problem, solution, tags = _solution_text(rng)
                when = NOW - timedelta(seconds=rng.randrange(0, HISTORY_DAYS * 86400))
                table.add(title, problem.replace("\n", " "), solution.replace("\n", "\\n"), tags, "t",
                          when.isoformat(), rng.choice([0, 0, 0, 1, 2, 5, 12]), data.admin.pk, when.isoformat(),
                          when.isoformat())  # fmt: skip
            say("  generated; loading with COPY (PostgreSQL computes each document) ...")
            table.load(cursor)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('service_solution', 'id'), (SELECT coalesce(max(id), 1) FROM service_solution))"
            )
            cursor.execute("SET LOCAL session_replication_role = origin")
        ActivityEvent.objects.filter(verb=SOLUTIONS_MARKER).delete()
        ActivityEvent.objects.create(
            actor=data.admin, verb=SOLUTIONS_MARKER, message=f"Benchmark knowledge base: {solutions} solutions",
            target_type=SOLUTIONS_MARKER, target_id=solutions, data={"solutions": solutions, "version": VERSION},
        )  # fmt: skip
    _analyze(["service_solution"])
    say(f"  built in {time.perf_counter() - started:.0f} s.")
    return solutions, False


# --- Service requests -----------------------------------------------------------------------------


def _request_partners(data: ds.Dataset, rng: random.Random) -> tuple[list[int], int]:
    """REQUEST_PARTNERS active partners: the persona's, the channel-manager persona's, and others."""
    from partners import access
    from partners.choices import PartnerStatus
    from partners.models import Membership, Partner

    active = Partner.objects.filter(status=PartnerStatus.ACTIVE)
    persona = Membership.objects.get(user=data.partner_manager).partner_id
    mine = list(
        access.scope_partners(data.channel_manager, active).order_by("id").values_list("id", flat=True)
    )
    chosen = list(dict.fromkeys([persona, *mine]))[:REQUEST_PARTNERS]
    rest = list(active.exclude(id__in=chosen).order_by("id").values_list("id", flat=True))
    chosen += rng.sample(rest, min(len(rest), REQUEST_PARTNERS - len(chosen)))
    return chosen, persona


def _cumsum(values: list[float]) -> list[float]:
    out, total = [], 0.0
    for value in values:
        total += value
        out.append(total)
    return out


def wipe_requests() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("TRUNCATE service_servicerequest CASCADE")
        # Checked at once (not at commit), so that the loads after it can rebuild the indexes.
        cursor.execute("DELETE FROM customers_customer WHERE industry = %s", [CUSTOMER_INDUSTRY])
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def build_requests(
    data: ds.Dataset, *, requests: int, rebuild: bool = False, log: Any = None
) -> ServiceDataset:
    """N service requests over the partner data set (reused when built at this scale)."""
    from core.models import ActivityEvent
    from service.models import ServiceRequest

    _require_postgres()
    say = log or (lambda message: None)
    marker = _marker(SERVICE_MARKER)
    if (
        not rebuild and marker is not None and marker.data.get("requests") == requests
        and marker.data.get("version") == VERSION and marker.data.get("partners") == data.partners
        and ServiceRequest.objects.exists()
    ):  # fmt: skip
        say(f"Reusing the {requests:,} service requests (--rebuild builds them again).")
        return ServiceDataset(
            requests=marker.data["made"], customers=marker.data["customers"],
            persona_partner_requests=marker.data["persona"], persona_assigned_requests=marker.data["assigned"],
            requests_reused=True, counts=marker.data["counts"],
        )  # fmt: skip
    say(f"Building {requests:,} service requests over {REQUEST_PARTNERS:,} partners ...")
    started = time.perf_counter()
    rng = random.Random(ds.SEED + requests)
    made = persona_count = assigned_count = 0
    with transaction.atomic(), tempfile.TemporaryDirectory(prefix="bench-service-") as directory:
        wipe_requests()
        partners, persona = _request_partners(data, rng)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute("SELECT coalesce(max(id), 0) FROM customers_customer")
            customer_id = cursor.fetchone()[0]
            cursor.execute("SELECT coalesce(max(id), 0) FROM service_servicerequest")
            request_id = cursor.fetchone()[0]
            cursor.execute("SELECT id FROM catalog_product WHERE active ORDER BY id LIMIT 500")
            products = [row[0] for row in cursor.fetchall()]
            customers_table = _Table(directory, "customers_customer", ["id", "partner_id", "company", "normalised_name", "email_domain", "country", "address", "city", "postal_code", "industry", "created_at", "updated_at"])  # fmt: skip
            customers: dict[int, list[int]] = {}
            for partner in partners:
                for n in range(CUSTOMERS_PER_PARTNER):
                    customer_id += 1
                    name = f"Service customer {partner}-{n}"
                    customers_table.add(customer_id, partner, name, name.lower(), f"c{partner}-{n}.example", "DE",
                                        "", "", "", CUSTOMER_INDUSTRY, NOW.isoformat(), NOW.isoformat())  # fmt: skip
                    customers.setdefault(partner, []).append(customer_id)
            table = _Table(directory, "service_servicerequest", ["id", "number", "partner_id", "customer_id", "product_id", "serial_number", "severity", "subject", "description", "status", "assigned_to_id", "created_by_id", "created_at", "updated_at", "escalated_at", "resolved_at", "closed_at", "resolve_seconds"])  # fmt: skip
            others = [p for p in partners if p != persona]
            # A partner's share of the requests: most have a few, some many (log-normal weights).
            weights = [rng.lognormvariate(0, 1.0) for _ in others]
            cumulative = _cumsum(weights)
            persona_total = int(requests * PERSONA_SHARE) if persona in partners else 0
            manager = data.partner_manager.pk
            for n in range(requests):
                request_id += 1
                partner = persona if n < persona_total else rng.choices(others, cum_weights=cumulative)[0]
                created = NOW - timedelta(seconds=int(HISTORY_DAYS * 86400 * rng.random() ** 1.5))
                age_days = (NOW - created).days
                if age_days < 30:
                    status = rng.choices(["new", "in_progress", "waiting_for_customer", "escalated", "resolved", "closed"],
                                         [20, 25, 10, 8, 17, 20])[0]  # fmt: skip
                else:
                    status = rng.choices(["closed", "resolved", "escalated", "in_progress"], [90, 6, 2, 2])[0]
                escalated = (
                    created + timedelta(hours=rng.randrange(2, 96))
                    if status == "escalated" or rng.random() < 0.05
                    else None
                )
                resolved = None
                if status in ("resolved", "closed"):
                    resolved = created + timedelta(minutes=rng.randrange(20, 14 * 1440))
                    escalated = escalated if escalated and escalated < resolved else None
                closed = (
                    resolved + timedelta(days=rng.randrange(1, 14))
                    if status == "closed" and resolved
                    else None
                )
                if status == "escalated" and escalated is None:
                    escalated = created + timedelta(hours=1)
                escalated = min(escalated, NOW) if escalated else None
                resolved = min(resolved, NOW) if resolved else None
                closed = min(closed, NOW) if closed else None
                assigned = None
                if partner == persona:
                    persona_count += 1
                    if rng.random() < PERSONA_ASSIGNED_SHARE:
                        assigned = manager
                        assigned_count += 1
                subject = rng.choice(SUBJECTS)
                table.add(
                    request_id, f"SR-{request_id:06d}", partner, rng.choice(customers[partner]),
                    rng.choice(products) if products and rng.random() < 0.8 else None, f"SN{rng.randrange(10**7)}",
                    rng.choices(["low", "medium", "high", "critical"], [30, 45, 20, 5])[0], subject,
                    f"{subject} {rng.choice(PLACES)} {rng.choice(CONDITIONS)}.", status, assigned, manager,
                    created.isoformat(), (closed or resolved or escalated or created).isoformat(),
                    escalated.isoformat() if escalated else None, resolved.isoformat() if resolved else None,
                    closed.isoformat() if closed else None,
                    int((resolved - created).total_seconds()) if resolved else None,
                )  # fmt: skip
                made += 1
            say(f"  generated in {time.perf_counter() - started:.0f} s; loading with COPY ...")
            for loaded in (customers_table, table):
                began = time.perf_counter()
                loaded.load(cursor)
                say(f"  {loaded.name}: {loaded.rows:,} rows in {time.perf_counter() - began:.1f} s")
            for name in ("customers_customer", "service_servicerequest"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), (SELECT coalesce(max(id), 1) FROM {name}))"
                )
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM service_servicerequest r WHERE NOT EXISTS "
                "(SELECT 1 FROM customers_customer c WHERE c.id = r.customer_id AND c.partner_id = r.partner_id))"
            )
            if cursor.fetchone()[0]:
                raise AssertionError(
                    "A generated request points at another partner's (or a missing) customer."
                )
        counts = {"customers_customer": customers_table.rows, "service_servicerequest": table.rows}
        ActivityEvent.objects.filter(verb=SERVICE_MARKER).delete()
        ActivityEvent.objects.create(
            actor=data.admin, verb=SERVICE_MARKER, message=f"Benchmark service requests: {requests}",
            target_type=SERVICE_MARKER, target_id=requests,
            data={"requests": requests, "version": VERSION, "partners": data.partners, "made": made,
                  "customers": customers_table.rows, "persona": persona_count, "assigned": assigned_count,
                  "counts": counts},
        )  # fmt: skip
    _analyze(["customers_customer", "service_servicerequest"])
    elapsed = time.perf_counter() - started
    say(f"  built in {elapsed:.0f} s.")
    return ServiceDataset(
        requests=made, customers=counts["customers_customer"], persona_partner_requests=persona_count,
        persona_assigned_requests=assigned_count, build_seconds=elapsed, counts=counts,
    )  # fmt: skip


# --- Measuring ------------------------------------------------------------------------------------


def _api_timed(
    client: Any, token: str, paths: list[tuple[str, str]], requests: int, warmup: int
) -> list[dict[str, Any]]:
    """As bench.mdf._timed, for API routes with a bearer token."""

    class _Bearer:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def get(self, path: str) -> Any:
            return self.inner.get(path, headers={"Authorization": f"Bearer {token}"})

    return _timed(_Bearer(client), paths, requests, warmup)


def _result(
    name: str, persona: str, variants: list[dict[str, Any]], slow: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "scenario": name, "persona": persona, "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "variants": variants, "p95_ms": max(v["p95_ms"] for v in variants),
        "queries": sorted({q for v in variants for q in v["queries"]}), "target_p95_ms": P95_TARGET_MS,
        "meets_targets": all(v["p95_ms"] < P95_TARGET_MS and len(v["queries"]) == 1 for v in variants),
        "slow_queries": slow,
    }  # fmt: skip


def run_search(data: ds.Dataset, *, requests: int, warmup: int, explain_ms: float | None = None,
               log: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    """The knowledge-base search as the partner-manager persona: the portal page, the API, the
    suggestions partial."""
    from django.test import Client
    from django.urls import reverse

    from core.services import api_token_create, api_token_revoke

    say = log or (lambda message: None)
    client = Client()
    client.force_login(data.partner_manager)
    page = reverse("partner:solution_search")
    suggest = reverse("partner:service_suggest")
    page_paths = [(label, f"{page}?{urlencode({'q': q})}") for label, q in SEARCHES]
    first = client.get(page_paths[0][1]).content.decode()
    after = _next_link(first, "after")
    if after:
        page_paths.append(("one common word: next page", page + after if after.startswith("?") else after))
    suggest_paths = [
        (label, f"{suggest}?{urlencode({'subject': s, 'description': d})}")
        for label, s, d in SUGGESTION_TEXTS
    ]
    token_row, token = api_token_create(user=data.partner_manager, name="bench service")
    api_paths = [(label, f"/api/v1/solutions?{urlencode({'q': q, 'limit': 20})}") for label, q in SEARCHES]
    results = []
    try:
        for name, paths, api in (("partner_solution_search", page_paths, False),
                                 ("partner_solution_suggestions", suggest_paths, False),
                                 ("api_solution_search", api_paths, True)):  # fmt: skip
            say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
            variants = (
                _api_timed(client, token, paths, requests, warmup)
                if api
                else _timed(client, paths, requests, warmup)
            )
            slow: list[dict[str, Any]] = []
            if explain_ms is not None and not api:
                for _, path in paths:
                    slow += explain_queries(client, path, explain_ms)
            results.append(_result(name, data.partner_manager.email, variants, slow))
    finally:
        api_token_revoke(token=token_row, actor=data.partner_manager)
        client.logout()
    return results


def _pages(client: Any, base: str, parameter: str) -> list[tuple[str, str]]:
    response = client.get(base)
    if response.status_code != 200:
        raise RuntimeError(f"GET {base} answered {response.status_code}")
    variants = [("first page", base)]
    href = _next_link(response.content.decode(), parameter)
    if href:
        variants.append(("next page", (base.split("?")[0] + href) if href.startswith("?") else href))
    return variants


def run_lists(data: ds.Dataset, *, requests: int, warmup: int, explain_ms: float | None = None,
              log: Any = None) -> list[dict[str, Any]]:  # fmt: skip
    """The service request lists of the partner manager, the channel manager and the admin, and the API."""
    from django.test import Client
    from django.urls import reverse

    from core.services import api_token_create, api_token_revoke

    say = log or (lambda message: None)
    mine, ours = reverse("partner:service_requests"), reverse("partner:service_partner_requests")
    channel_list, queue = reverse("channel:service_request_list"), reverse("channel:service_queue")
    plan = [
        ("partner_service_requests", data.partner_manager, [(mine, "my requests"), (ours, "our requests"),
                                                            (ours + "?status=open", "our open requests")]),
        ("channel_service_requests_manager", data.channel_manager, [(channel_list, "requests"), (queue, "escalations"),
                                                                    (channel_list + "?status=escalated", "escalated")]),
        ("channel_service_requests_admin", data.admin, [(channel_list, "requests"), (queue, "escalations")]),
    ]  # fmt: skip
    results = []
    for name, user, bases in plan:
        client = Client()
        client.force_login(user)
        paths: list[tuple[str, str]] = []
        for base, label in bases:
            paths += [(f"{label}: {variant}", path) for variant, path in _pages(client, base, "after")]
        say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
        variants = _timed(client, paths, requests, warmup)
        slow: list[dict[str, Any]] = []
        if explain_ms is not None:
            for _, path in paths:
                slow += explain_queries(client, path, explain_ms)
        results.append(_result(name, user.email, variants, slow))
        client.logout()
    for name, user in (("api_service_requests_partner", data.partner_manager),
                       ("api_service_requests_manager", data.channel_manager)):  # fmt: skip
        client = Client()
        token_row, token = api_token_create(user=user, name="bench service")
        try:
            first = client.get(
                "/api/v1/service-requests?limit=25", headers={"Authorization": f"Bearer {token}"}
            ).json()
            paths = [("first page", "/api/v1/service-requests?limit=25")]
            if first.get("next_cursor"):
                paths.append(
                    ("next page", f"/api/v1/service-requests?limit=25&cursor={first['next_cursor']}")
                )
            paths.append(("escalated, first page", "/api/v1/service-requests?limit=25&status=escalated"))
            say(f"Running {name}: {len(paths)} variants x ({warmup} warm-up + {requests} measured) ...")
            results.append(_result(name, user.email, _api_timed(client, token, paths, requests, warmup), []))
        finally:
            api_token_revoke(token=token_row, actor=user)
    return results


def time_volumes(data: ds.Dataset, *, runs: int = 3, log: Any = None) -> list[dict[str, Any]]:
    """The channel's service volumes page (/channel/service/volumes/) computed afresh (its cache
    cleared before each request) as the channel manager and the admin: what the first view in a
    minute costs. Not a list page, so reported beside the targets, not against them."""
    from django.core.cache import cache
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    say = log or (lambda message: None)
    out = []
    for user in (data.channel_manager, data.admin):
        client = Client()
        client.force_login(user)
        timings, queries = [], set()
        for _ in range(runs):
            cache.clear()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(reverse("channel:service_volumes"))
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"The volumes page answered {response.status_code}")
            queries.add(len(captured.captured_queries))
        cached_started = time.perf_counter()
        client.get(reverse("channel:service_volumes"))
        cached = (time.perf_counter() - cached_started) * 1000
        say(
            f"  volumes as {user.email}: uncached {min(timings):.0f}–{max(timings):.0f} ms, cached {cached:.1f} ms"
        )
        out.append({"persona": user.email, "uncached_ms": [round(t, 1) for t in timings], "cached_ms": round(cached, 1),
                    "queries": sorted(queries)})  # fmt: skip
        client.logout()
    return out


# --- The command ----------------------------------------------------------------------------------


def run_service(args: Any, data: ds.Dataset, *, log: Any = print) -> dict[str, Any]:
    """--solutions N and/or --service-requests N: build (or reuse) the data, measure the pages."""
    from core.services import emails_suppressed

    built = ServiceDataset()
    report: dict[str, Any] = {"pages": []}
    started = time.perf_counter()
    if args.solutions:
        built.solutions, built.solutions_reused = build_solutions(
            data, solutions=args.solutions, rebuild=args.rebuild, log=log
        )
    if args.service_requests:
        made = build_requests(data, requests=args.service_requests, rebuild=args.rebuild, log=log)
        made.solutions, made.solutions_reused = built.solutions, built.solutions_reused
        built = made
    built.build_seconds = time.perf_counter() - started
    report["service"] = built.summary()
    with emails_suppressed():
        if args.solutions:
            report["pages"] += run_search(
                data, requests=args.requests, warmup=args.warmup, explain_ms=args.explain, log=log
            )
        if args.service_requests:
            report["pages"] += run_lists(
                data, requests=args.requests, warmup=args.warmup, explain_ms=args.explain, log=log
            )
            log("Service volumes per partner and product (not a list; reported, no target):")
            report["volumes"] = time_volumes(data, log=log)
    report["meets_targets"] = all(p["meets_targets"] for p in report["pages"])
    return report


def format_service(report: dict[str, Any]) -> str:
    lines = []
    for page in report["pages"]:
        lines.append(f"{page['scenario']} as {page['persona']} (load before {page['load_average_before']}):")
        for v in page["variants"]:
            lines.append(
                f"  {v['variant']:<40} median {v['median_ms']:6.1f} ms  p95 {v['p95_ms']:6.1f} ms  "
                f"db {v['db_median_ms']:5.1f} ms  cpu {v['python_cpu_median_ms']:5.1f} ms  "
                f"queries {','.join(map(str, v['queries']))}"
            )
        lines.append(f"  target p95 < {page['target_p95_ms']:g} ms, constant queries: "
                     + ("met" if page["meets_targets"] else "MISSED"))  # fmt: skip
    for row in report.get("volumes", []):
        lines.append(f"channel_service_volumes as {row['persona']}: uncached {row['uncached_ms']} ms, "
                     f"cached {row['cached_ms']} ms, queries {row['queries']}")  # fmt: skip
    return "\n".join(lines)
