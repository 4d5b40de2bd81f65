"""The benchmark harness at tiny scale on the test database, so that `make bench` cannot rot: the data
set, every scenario against the real views, the report, and the refusals (SQLite, foreign data)."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from bench.__main__ import SCENARIO_NAMES, main
from bench.database import DEFAULT_DATABASE_URL, BenchError, check_dedicated, resolve_database_url
from bench.dataset import build_dataset
from bench.report import build_report, format_summary, format_variants, percentile, write_report
from bench.scenarios import MAX_QUERIES, SCENARIOS, next_page_path, run_scenario
from partners import access
from partners.choices import PartnerType, Role
from partners.models import Partner
from tests.factories import PartnerFactory

SCALE = 60  # more than one page of the portal (25) and of the API (50)


@pytest.mark.django_db
def test_dataset_has_the_requested_scale_hierarchy_and_personas():
    data = build_dataset(partners=SCALE)

    assert Partner.objects.count() == SCALE
    subs = Partner.objects.filter(parent__isnull=False).select_related("parent")
    assert subs.count() == data.sub_partners >= 1
    assert {p.parent.type for p in subs} == {PartnerType.DISTRIBUTOR}
    assert Partner.objects.values("country").distinct().count() > 1
    assert Partner.objects.values("tier").distinct().count() > 1
    assert access.actor_of(data.admin).role == Role.CHANNEL_ADMIN
    assert access.actor_of(data.channel_manager).role == Role.CHANNEL_MANAGER
    pm = access.actor_of(data.partner_manager)
    assert pm.role == Role.PARTNER_MANAGER
    assert Partner.objects.filter(parent_id=pm.partner_id).exists()
    assert 0 < data.managed_by_persona < SCALE


@pytest.mark.django_db
def test_dataset_is_reused_at_the_same_scale_and_rebuilt_at_another():
    build_dataset(partners=SCALE)
    ids = set(Partner.objects.values_list("id", flat=True))

    again = build_dataset(partners=SCALE)
    assert again.reused
    assert set(Partner.objects.values_list("id", flat=True)) == ids

    bigger = build_dataset(partners=SCALE + 10)
    assert not bigger.reused
    assert Partner.objects.count() == SCALE + 10

    rebuilt = build_dataset(partners=SCALE + 10, rebuild=True)
    assert not rebuilt.reused
    assert Partner.objects.count() == SCALE + 10


@pytest.mark.django_db
@pytest.mark.parametrize("name", SCENARIO_NAMES)
def test_each_scenario_reports_latency_queries_and_throughput(name):
    data = build_dataset(partners=SCALE)

    result = run_scenario(SCENARIOS[name], data, requests=6, warmup=1).to_dict()

    assert result["scenario"] == name
    assert result["requests"] == 6
    assert 0 < result["median_ms"] <= result["p95_ms"] <= result["max_ms"]
    assert isinstance(result["queries_per_request_max"], int)
    assert 1 <= result["queries_per_request_min"] <= result["queries_per_request_max"]
    assert result["throughput_rps"] > 0
    assert result["variants"]
    for variant in result["variants"]:
        assert variant["requests"] >= 1
        assert all(isinstance(q, int) for q in variant["queries"])


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["channel_partner_list", "channel_partner_list_manager", "api_partners"])
def test_list_scenarios_stay_within_the_query_target_on_every_variant(name):
    """The query count does not depend on the data: what holds at 30 partners holds at 10,000."""
    data = build_dataset(partners=SCALE)

    result = run_scenario(SCENARIOS[name], data, requests=12, warmup=0)

    labels = [v.label for v in result.variants]
    assert any("search" in label for label in labels)
    assert any("filter" in label for label in labels)
    assert any("next cursor" in label for label in labels) or name == "channel_partner_list_manager"
    assert result.max_queries <= MAX_QUERIES


@pytest.mark.django_db
def test_explain_gives_the_plans_of_slow_queries_on_postgresql(on_postgres):
    data = build_dataset(partners=SCALE)

    result = run_scenario(SCENARIOS["api_partners"], data, requests=1, warmup=0, explain_ms=0)

    if on_postgres:
        assert {q.variant for q in result.slow_queries} == {v.label for v in result.variants}
        for query in result.slow_queries:
            assert query.sql.lstrip().upper().startswith("SELECT")
            assert "Execution Time" in query.plan
    else:
        assert result.slow_queries == []  # EXPLAIN ANALYZE is PostgreSQL's


@pytest.mark.django_db
def test_report_is_saved_as_json_and_printed_as_a_table(tmp_path):
    data = build_dataset(partners=SCALE)
    results = [run_scenario(SCENARIOS["healthz"], data, requests=3, warmup=0)]

    report = build_report(
        results=results,
        scale=data.summary(),
        machine={"cpu_count": 2, "postgresql": "15"},
        settings={"debug": False},
    )
    path = write_report(report, tmp_path / "results" / "run.json")

    saved = json.loads(path.read_text())
    assert saved["scale"]["partners"] == SCALE
    assert saved["machine"]["cpu_count"] == 2
    assert saved["scenarios"][0]["scenario"] == "healthz"
    assert saved["meets_targets"] is None  # healthz has no targets
    table = format_summary(saved)
    assert "median ms" in table and "p95 ms" in table and "healthz" in table
    assert "GET /healthz" in format_variants(saved)


@pytest.mark.django_db
def test_a_database_holding_partners_the_benchmark_did_not_build_is_refused():
    PartnerFactory()
    with pytest.raises(BenchError, match="did not build"):
        check_dedicated(connection)

    build_dataset(partners=SCALE)
    check_dedicated(connection)  # its own data set is fine


def test_the_cli_offers_exactly_the_registered_scenarios():
    assert set(SCENARIO_NAMES) == set(SCENARIOS)


def test_sqlite_is_refused_with_a_clear_message():
    with pytest.raises(BenchError, match="PostgreSQL only"):
        resolve_database_url({"DATABASE_URL": "sqlite:///var/openpcm.sqlite3"})


def test_the_cli_refuses_sqlite_before_touching_any_database(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/openpcm.sqlite3")
    assert main(["--partners", "10"]) == 2
    assert "PostgreSQL only" in capsys.readouterr().err


def test_the_default_database_is_the_dedicated_bench_database():
    assert resolve_database_url({}) == DEFAULT_DATABASE_URL
    assert DEFAULT_DATABASE_URL.endswith("/openpcm_bench")
    assert resolve_database_url({"DATABASE_URL": "postgres://u:p@db/bench"}) == "postgres://u:p@db/bench"


def test_next_page_link_is_read_from_the_pagination():
    body = (
        '<a class="page-link" href="?q=nord&amp;sort=name&amp;before=AAA" rel="prev">Previous</a>'
        '<a class="page-link" href="?q=nord&amp;sort=name&amp;after=BBB" rel="next">Next</a>'
    )
    assert next_page_path("/channel/partners/", body) == "/channel/partners/?q=nord&sort=name&after=BBB"
    assert next_page_path("/channel/partners/", "<p>one page only</p>") is None


def test_percentiles_are_measured_values_by_nearest_rank():
    values = [float(v) for v in range(1, 201)]
    assert percentile(values, 95) == 190.0
    assert percentile(values, 50) == 100.0
    assert percentile([7.0], 95) == 7.0
