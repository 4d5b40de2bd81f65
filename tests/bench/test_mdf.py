"""The MDF benchmark (issue 5) at tiny scale, so that `make bench --claims` cannot rot: the data set
(consistent books, every status, reused), the pages against the real views, and the journal export.
The data set is loaded with PostgreSQL's COPY: these tests run on PostgreSQL only."""

from __future__ import annotations

import pytest
from django.db import connection

from bench.__main__ import parse_args
from bench.dataset import build_dataset
from bench.mdf import build_mdf, check_books, check_references, run_journal_export, run_pages
from leads.models import Lead
from mdf.choices import ClaimStatus, RequestStatus
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest, JournalEntry, ProofFile
from partners.models import Membership

SCALE = 60
CLAIMS = 2_000


@pytest.fixture
def mdf_world(on_postgres):
    if not on_postgres:
        pytest.skip("the MDF data set is loaded with PostgreSQL's COPY")
    data = build_dataset(partners=SCALE)
    return data, build_mdf(data, claims=CLAIMS)


@pytest.mark.django_db
def test_mdf_dataset_has_every_status_and_books_that_balance(mdf_world):
    data, built = mdf_world

    assert built.claims == Claim.objects.count() >= CLAIMS
    assert (
        built.requests == FundRequest.objects.count() and built.journal_lines == JournalEntry.objects.count()
    )
    assert set(FundProgram.objects.values_list("status", flat=True)) == {"open", "closed"}
    # Drafts are 3% of the open programme's requests: at this tiny scale there may be none.
    assert set(FundRequest.objects.values_list("status", flat=True)) >= set(RequestStatus.values) - {"draft"}
    assert set(Claim.objects.values_list("status", flat=True)) == set(ClaimStatus.values)
    assert ProofFile.objects.count() == built.claims
    assert Lead.objects.filter(campaign_code__startswith="BMDF-").exists()
    persona_partner = Membership.objects.get(user=data.partner_manager).partner_id
    assert FundAllocation.objects.filter(partner_id=persona_partner).count() == 4
    with connection.cursor() as cursor:
        assert check_references(cursor) == []
        assert check_books(cursor) == {"allocations_off": 0, "programs_off": 0, "totals_off": 0}

    again = build_mdf(data, claims=CLAIMS)
    assert again.reused and Claim.objects.count() == built.claims


@pytest.mark.django_db
def test_mdf_pages_keep_their_query_count_on_every_page(mdf_world):
    data, _ = mdf_world

    results = run_pages(data, requests=3, warmup=1)

    assert [r["scenario"] for r in results] == [
        "channel_fund_queue_manager",
        "channel_fund_queue_admin",
        "partner_funds_overview",
    ]
    for result in results:
        assert result["variants"][0]["variant"] == "first page"
        for variant in result["variants"]:
            assert len(variant["queries"]) == 1, variant  # the same count on every request
    # (At this scale fewer than a page of requests wait; the claims' queue is longer than a page.)
    admin = {v["variant"] for v in results[1]["variants"]}
    assert {"claims: next page", "second approvals only", "settlement: first page"} <= admin
    overview = {v["variant"] for v in results[2]["variants"]}
    assert {"requests: next page", "claims: next page"} <= overview


@pytest.mark.django_db
def test_mdf_journal_export_writes_every_line(mdf_world):
    data, built = mdf_world

    result = run_journal_export(data)

    assert result["lines"] == result["view_lines"] == built.journal_lines
    assert result["lines_per_s"] > 0 and result["view_streaming"]


def test_claims_runs_alone():
    assert parse_args(["--claims", "1000"]).claims == 1000
    with pytest.raises(SystemExit):
        parse_args(["--claims", "1000", "--leads", "10"])
