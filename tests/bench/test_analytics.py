"""The analytics benchmark (issue 7) at tiny scale, so that `make bench --analytics` cannot rot: leads and
orders from the other benchmarks' builders, the roll-ups' rebuild, and every analytics page of the plan
against the real views. The data sets are built in PostgreSQL SQL: these tests run on PostgreSQL only."""

from __future__ import annotations

from argparse import Namespace

import pytest
from django.db.models import Sum

from analytics.models import LeadMonthRollup, LeadRollup, OrderMonthRollup, OrderRollup
from bench.__main__ import parse_args
from bench.analytics import format_analytics, run_analytics
from bench.dataset import build_dataset

SCALE = 60
LEADS = 3_000
ORDERS = 2_000


@pytest.fixture
def analytics_world(on_postgres):
    if not on_postgres:
        pytest.skip("the lead and order data sets are built in PostgreSQL SQL")
    return build_dataset(partners=SCALE)


@pytest.mark.django_db
def test_analytics_bench_builds_rolls_up_and_measures_every_page(analytics_world):
    args = Namespace(
        analytics=LEADS, analytics_orders=ORDERS, rebuild=False, requests=2, warmup=1, explain=None
    )

    report = run_analytics(args, analytics_world, log=None)

    assert report["analytics"]["leads"] == LEADS and report["analytics"]["orders"] == ORDERS
    rows = report["rollups"]["rollup_rows"]
    assert rows["analytics_leadrollup"] == LeadRollup.objects.count() > 0
    assert rows["analytics_leadmonthrollup"] == LeadMonthRollup.objects.count() > 0
    total = LeadRollup.objects.aggregate(n=Sum("leads"))["n"]
    assert total == LEADS == LeadMonthRollup.objects.aggregate(n=Sum("leads"))["n"]
    assert OrderMonthRollup.objects.aggregate(n=Sum("orders"))["n"] == ORDERS
    assert OrderRollup.objects.aggregate(n=Sum("orders"))["n"] == ORDERS
    names = [p["scenario"] for p in report["pages"]]
    assert names == [
        "channel_analytics_admin",
        "channel_analytics_manager",
        "partner_analytics",
        "analytics_export_csv_admin",
        "api_analytics_summary",
        "channel_scorecards_admin",
        "channel_scorecards_manager",
        "partner_scorecard",
    ]
    admin = {v["variant"] for v in report["pages"][0]["variants"]}
    assert {"all sections", "section=sales", "section=orders", "country=DE", "one partner"} <= admin
    for page in report["pages"]:
        for variant in page["variants"]:
            assert variant["requests"] == 2 and variant["response_bytes"] > 0, variant
    assert "target p95 < 200 ms" in format_analytics(report)


def test_analytics_runs_alone():
    args = parse_args(["--analytics", "1000"])
    assert args.analytics == 1000 and args.analytics_orders == 1_000_000
    assert parse_args(["--analytics", "1000", "--analytics-orders", "50"]).analytics_orders == 50
    with pytest.raises(SystemExit):
        parse_args(["--analytics", "1000", "--orders", "10"])
