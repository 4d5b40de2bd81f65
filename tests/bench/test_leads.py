"""The lead scenarios of the benchmark (issue 3) at tiny scale, so that `make bench --leads` cannot rot:
the lead data set, each lead list scenario against the real views, batch routing against the set-based
SQL update, and the CSV import. The lead data set is built in PostgreSQL SQL: those tests run on
PostgreSQL only (the bench refuses SQLite anyway)."""

from __future__ import annotations

import pytest

from bench.__main__ import LEAD_SCENARIO_NAMES, SCENARIO_NAMES, parse_args
from bench.dataset import build_dataset
from bench.leads_dataset import ROUTED_MARK, STATUS_BOUNDS, build_leads, build_rules
from bench.leads_scenarios import LEAD_SCENARIOS, inbox_next_path, run_import, run_routing
from bench.report import format_throughput
from bench.scenarios import MAX_QUERIES, run_scenario
from leads.choices import LeadStatus
from leads.models import DispatchRule, Lead
from partners.models import Membership

SCALE = 60
LEADS = 3_000  # more than a page of every list, and more than a page of the persona's inbox


@pytest.fixture
def lead_world(on_postgres):
    if not on_postgres:
        pytest.skip("the lead data set is built in PostgreSQL SQL")
    data = build_dataset(partners=SCALE)
    return data, build_leads(data, leads=LEADS)


@pytest.mark.django_db
def test_lead_dataset_spreads_statuses_partners_and_years(lead_world):
    data, built = lead_world

    assert Lead.objects.count() == LEADS == built.leads
    statuses = set(Lead.objects.values_list("status", flat=True))
    assert statuses == {value for value, _ in STATUS_BOUNDS}
    assert not Lead.objects.filter(status=LeadStatus.NEW).exists()  # the routing queue starts empty
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    assert Lead.objects.filter(partner_id=persona_partner).count() == built.persona_partner_leads > 25
    assert Lead.objects.values("partner_id").distinct().count() > SCALE // 2
    years = {d.year for d in Lead.objects.dates("created_at", "year")}
    assert len(years) >= 5
    assert not Lead.objects.filter(status=LeadStatus.UNROUTABLE, partner__isnull=False).exists()

    again = build_leads(data, leads=LEADS)
    assert again.reused and Lead.objects.count() == LEADS


@pytest.mark.django_db
@pytest.mark.parametrize("name", LEAD_SCENARIO_NAMES)
def test_each_lead_list_scenario_pages_by_cursor_within_the_query_target(lead_world, name):
    data, _ = lead_world

    result = run_scenario(LEAD_SCENARIOS[name], data, requests=10, warmup=1)

    labels = [v.label for v in result.variants]
    assert any("cursor" in label for label in labels), labels
    assert result.max_queries <= MAX_QUERIES
    assert result.to_dict()["requests"] == 10


@pytest.mark.django_db
def test_routing_routes_every_new_lead_and_measures_the_sql_limit(lead_world):
    result = run_routing(40, log=lambda message: None)

    assert DispatchRule.objects.count() == result["rules"] == 200
    assert result["routed"] == 40
    assert sum(result["outcome"].values()) == 40
    assert result["sql_rows"] == 40
    assert result["leads_per_s"] > 0 and result["sql_rows_per_s"] > 0
    assert not Lead.objects.filter(campaign_code=ROUTED_MARK).exists()  # cleaned up
    assert "route_batch: 40 leads" in format_throughput(result)


@pytest.mark.django_db
def test_rules_mix_explicit_partner_lists_filters_and_every_strategy(lead_world):
    rules = build_rules(20)

    assert {r.strategy for r in rules} == {"weighted", "least_loaded", "nearest"}
    assert DispatchRule.partners.through.objects.exists()
    assert any(r.min_tier_id for r in rules) and any(r.partner_types for r in rules)
    assert rules[-1].countries == []  # the catch-all


@pytest.mark.django_db
def test_import_validates_and_imports_the_file_then_cleans_up(lead_world):
    data, _ = lead_world
    before = Lead.objects.count()

    result = run_import(500, data, log=lambda message: None)

    assert result["job_status"] == "done"
    assert result["imported"] + result["errors"] == 500
    assert result["errors"] == result["validation_failures"] == result["bad_rows_written"]
    assert result["validated_rows_per_s"] > 0 and result["total_rows_per_s"] > 0
    assert Lead.objects.count() == before


def test_inbox_next_link_is_the_rest_not_the_waiting_panel():
    body = (
        '<a class="page-link" href="?&amp;waiting_after=W1" rel="next">Later deadlines</a>'
        '<a class="page-link" href="?status=won&amp;after=R1" rel="next">Older</a>'
    )
    assert inbox_next_path("/partner/leads/", body) == "/partner/leads/?status=won&after=R1"
    assert inbox_next_path("/partner/leads/", "<p>one page</p>") is None


def test_lead_options_need_leads_and_keep_the_default_run_the_partner_scenarios():
    assert parse_args([]).leads == 0
    assert not set(LEAD_SCENARIO_NAMES) & set(SCENARIO_NAMES)
    with pytest.raises(SystemExit):
        parse_args(["--route", "100"])
    with pytest.raises(SystemExit):
        parse_args(["--leads", "100", "--scenario", "healthz"])
    args = parse_args(["--leads", "100", "--route", "10", "--import-rows", "20"])
    assert (args.leads, args.route, args.import_rows) == (100, 10, 20)
