"""The service benchmark (issue 6) at tiny scale, so that `make bench BENCH_ARGS="--solutions N
--service-requests M"` cannot rot: the knowledge base and the requests (every status, consistent with
the constraints, reused), the search and list pages against the real views with the same number of
queries on every request, and the command line. The data is loaded with PostgreSQL's COPY; on SQLite
the builders refuse with a message."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.__main__ import parse_args
from bench.dataset import build_dataset
from bench.service import (
    CUSTOMER_INDUSTRY,
    build_requests,
    build_solutions,
    run_lists,
    run_search,
    run_service,
    time_volumes,
)
from customers.models import Customer
from partners.models import Membership
from service.choices import ServiceStatus
from service.models import ServiceRequest, Solution

pytestmark = pytest.mark.django_db

SCALE = 60
SOLUTIONS = 400
REQUESTS = 3_000


@pytest.fixture
def data():
    return build_dataset(partners=SCALE)


def test_the_builders_need_postgres(data, on_postgres):
    if on_postgres:
        assert build_solutions(data, solutions=10)[0] == 10
        return
    with pytest.raises(ValueError, match="COPY"):
        build_solutions(data, solutions=10)
    with pytest.raises(ValueError, match="COPY"):
        build_requests(data, requests=10)


def test_the_knowledge_base_is_searchable_and_reused(data, on_postgres):
    if not on_postgres:
        pytest.skip("the data set is loaded with PostgreSQL's COPY (the refusal on SQLite is tested above)")
    count, reused = build_solutions(data, solutions=SOLUTIONS)
    assert (count, reused) == (SOLUTIONS, False) and Solution.objects.filter(
        published=True
    ).count() == SOLUTIONS
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM service_solution WHERE search_vector IS NULL")
        assert cursor.fetchone()[0] == 0  # every document computed by PostgreSQL on load
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'solution_search'")
        assert "gin" in cursor.fetchone()[0]  # the index built again after the load
    assert build_solutions(data, solutions=SOLUTIONS) == (SOLUTIONS, True)


def test_requests_in_every_status_and_reused(data, on_postgres):
    if not on_postgres:
        pytest.skip("the data set is loaded with PostgreSQL's COPY (the refusal on SQLite is tested above)")
    built = build_requests(data, requests=REQUESTS)
    assert built.requests == ServiceRequest.objects.count() == REQUESTS and not built.requests_reused
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == set(ServiceStatus.values)
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    assert (
        ServiceRequest.objects.filter(partner_id=persona_partner).count()
        == built.persona_partner_requests
        > 0
    )
    assert (
        ServiceRequest.objects.filter(assigned_to=data.partner_manager).count()
        == built.persona_assigned_requests
        > 0
    )
    assert Customer.objects.filter(industry=CUSTOMER_INDUSTRY).count() == built.customers
    first = ServiceRequest.objects.order_by("id").first()
    assert first.number == f"SR-{first.pk:06d}" and first.customer.partner_id == first.partner_id
    resolved = ServiceRequest.objects.filter(status="resolved").first()
    assert resolved.resolve_seconds == int((resolved.resolved_at - resolved.created_at).total_seconds())
    again = build_requests(data, requests=REQUESTS)
    assert again.requests_reused and ServiceRequest.objects.count() == REQUESTS


def test_pages_keep_their_query_count_on_every_request(data, on_postgres):
    if not on_postgres:
        pytest.skip("the data set is loaded with PostgreSQL's COPY (the refusal on SQLite is tested above)")
    build_solutions(data, solutions=SOLUTIONS)
    build_requests(data, requests=REQUESTS)

    results = run_search(data, requests=3, warmup=1) + run_lists(data, requests=3, warmup=1)

    assert [r["scenario"] for r in results] == [
        "partner_solution_search", "partner_solution_suggestions", "api_solution_search",
        "partner_service_requests", "channel_service_requests_manager", "channel_service_requests_admin",
        "api_service_requests_partner", "api_service_requests_manager",
    ]  # fmt: skip
    for result in results:
        for variant in result["variants"]:
            assert len(variant["queries"]) == 1, variant  # the same count on every request
    lists = {v["variant"] for v in results[3]["variants"]}
    assert {"my requests: first page", "our requests: first page", "our requests: next page"} <= lists
    volumes = time_volumes(data, runs=1)
    assert [len(v["uncached_ms"]) for v in volumes] == [1, 1]


def test_the_command_runs_the_service_benchmark_alone(data, on_postgres):
    args = parse_args(["--solutions", "100", "--service-requests", "200", "--requests", "2", "--warmup", "0"])
    assert (args.solutions, args.service_requests) == (100, 200)
    with pytest.raises(SystemExit):
        parse_args(["--solutions", "100", "--claims", "10"])
    with pytest.raises(SystemExit):
        parse_args(["--service-requests", "100", "--leads", "10"])
    if not on_postgres:
        with pytest.raises(ValueError):
            run_service(args, data, log=lambda message: None)
        return
    report = run_service(args, data, log=lambda message: None)
    assert report["service"]["service_solutions"] == 100 and report["service"]["service_requests"] == 200
    assert report["pages"] and all(p["variants"] for p in report["pages"])
