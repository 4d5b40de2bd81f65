"""Channel portal: MDF programme set-up, allocation, the journal and its ERP export, ROI."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from leads.choices import LeadStatus
from mdf import services
from mdf.exports import JOURNAL_CSV_COLUMNS, journal_csv_rows
from mdf.models import FundAllocation, FundProgram, JournalEntry
from partners.choices import Role
from tests.factories import LeadFactory, PartnerFactory, TierFactory, channel_user
from tests.mdf.conftest import assert_books_balance

LIST = "/channel/funds/programs/"
NEW = "/channel/funds/programs/new/"
JOURNAL = "/channel/funds/journal/"
EXPORT = "/channel/funds/journal/export.csv"


def detail(program) -> str:
    return f"/channel/funds/programs/{program.pk}/"


def texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def program_form(**overrides) -> dict[str, str]:
    today = timezone.localdate()
    data = {
        "name": "FY2028 Partner Marketing",
        "description": "Co-op money for events and campaigns.",
        "starts_on": str(today),
        "ends_on": str(today + timedelta(days=364)),
        "claim_deadline": str(today + timedelta(days=394)),
        "currency": "eur",
        "budget": "250000.00",
        "approval_threshold": "20000.00",
        "allocation_rule": "tier_share",
    }
    return data | overrides


def draft_program(world, *, name="Draft programme", budget="10000.00") -> FundProgram:
    today = timezone.localdate()
    return services.program_create(
        actor=world.admin, name=name, starts_on=today, ends_on=today + timedelta(days=90),
        claim_deadline=today + timedelta(days=120), budget=budget,
    )  # fmt: skip


def csv_rows(response) -> list[dict[str, str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


# --- Programme list ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "cm_a"])
def test_channel_users_see_programmes_with_their_money(world, funds, login, who):
    client = login(getattr(world, who))
    response = client.get(LIST)
    assert response.status_code == 200
    page = response.content.decode()
    assert "<title>Fund programmes · OpenPCM</title>" in page
    assert "FY Test" in page
    assert "100,000.00 EUR" in page  # budget
    assert "90,000.00 EUR" in page  # allocated
    assert ("New programme" in page) is (who == "admin")


def test_programme_list_shows_reserved_claimed_and_paid_of_the_programme(world, funds, login):
    request = funds.approved(world, amount="3000.00")
    claim = funds.claim(world, request, amount="1000.00")
    services.claim_approve(claim=claim, actor=world.admin)
    paid = funds.claim(world, request, amount="500.00")
    services.claim_approve(claim=paid, actor=world.admin)
    services.claim_pay(claim=paid, actor=world.admin, payment_reference="BANK-1")
    row = login(world.admin).get(LIST).context["rows"][0]["figures"]
    assert (row.reserved, row.claimed, row.paid) == (
        Decimal("1500.00"),
        Decimal("1000.00"),
        Decimal("500.00"),
    )
    assert row.available == Decimal("90000.00") - Decimal("3000.00")
    page = login(world.admin).get(LIST).content.decode()
    assert "Paid 500.00 EUR" in page and "Claimed 1,000.00 EUR" in page and "Reserved 1,500.00 EUR" in page


def test_empty_programme_list_invites_admins_to_set_one_up(world, login):
    page = login(world.admin).get(LIST).content.decode()
    assert "There are no fund programmes yet" in page
    assert "Set up the first programme" in page
    page = login(world.cm_a).get(LIST).content.decode()
    assert "A channel admin sets them up" in page and "Set up the first programme" not in page


def test_programme_list_filters_by_status(world, funds, login):
    draft_program(world, name="Next year")
    client = login(world.admin)
    names = [r["program"].name for r in client.get(LIST, {"status": "draft"}).context["rows"]]
    assert names == ["Next year"]
    response = client.get(LIST, {"status": "nonsense"})
    assert len(response.context["rows"]) == 2
    assert any("not understood" in m for m in texts(response))


@pytest.mark.parametrize("who", ["pm_a", "pe_a"])
def test_partner_users_get_403_on_channel_fund_pages(world, funds, login, who):
    client = login(getattr(world, who))
    for url in (LIST, detail(funds.program), detail(funds.program) + "roi/", JOURNAL, EXPORT):
        assert client.get(url).status_code == 403, url


def test_unknown_programme_is_404(world, funds, login):
    client = login(world.admin)
    assert client.get("/channel/funds/programs/999999/").status_code == 404
    assert client.get("/channel/funds/programs/999999/roi/").status_code == 404


# --- Create, edit, open, close -----------------------------------------------------------------------


def test_admin_sets_up_a_programme_as_a_draft(world, login):
    client = login(world.admin)
    page = client.get(NEW)
    assert page.status_code == 200 and "<title>New fund programme · OpenPCM</title>" in page.content.decode()
    response = client.post(NEW, program_form(), follow=True)
    program = FundProgram.objects.get()
    assert response.redirect_chain[-1][0] == detail(program)
    assert program.name == "FY2028 Partner Marketing" and program.status == "draft"
    assert program.currency == "EUR" and program.budget == Decimal("250000.00")
    assert program.approval_threshold == Decimal("20000.00") and program.allocation_rule == "tier_share"
    assert program.created_by == world.admin
    assert any("set up as a draft" in m for m in texts(response))


def test_threshold_may_be_left_empty(world, login):
    login(world.admin).post(NEW, program_form(approval_threshold=""))
    assert FundProgram.objects.get().approval_threshold is None


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"claim_deadline": str(timezone.localdate())}, "claim_deadline", "on or after the programme's end"),
        (
            {"ends_on": str(timezone.localdate() - timedelta(days=1))},
            "ends_on",
            "on or after the day it starts",
        ),
        ({"budget": "-100.00"}, "budget", "Enter zero or more."),
        ({"budget": "100.001"}, "budget", "at most two decimal places"),
        ({"approval_threshold": "5.555"}, "approval_threshold", "at most two decimal places"),
        ({"budget": "1e30"}, "budget", "too large"),
        ({"currency": "E1"}, "currency", ""),
        ({"name": ""}, "name", ""),
        ({"allocation_rule": "lottery"}, "allocation_rule", ""),
    ],
)
def test_invalid_programme_input_shows_message_and_saves_nothing(world, login, overrides, field, message):
    response = login(world.admin).post(NEW, program_form(**overrides))
    assert response.status_code == 400
    assert FundProgram.objects.count() == 0
    form = response.context["form"]
    assert field in form.errors
    assert message in " ".join(form.errors[field])
    assert any("not saved" in m for m in texts(response))


def test_duplicate_programme_name_is_refused(world, funds, login):
    response = login(world.admin).post(NEW, program_form(name="fy test"))
    assert response.status_code == 400
    assert "exists already" in response.content.decode()
    assert FundProgram.objects.count() == 1


def test_admin_edits_a_programme_but_not_its_currency(world, funds, login):
    client = login(world.admin)
    url = detail(funds.program) + "edit/"
    form = client.get(url).context["form"]
    assert form["name"].value() == "FY Test" and form.fields["currency"].disabled
    data = program_form(
        name="FY Test (extended)", starts_on=str(funds.program.starts_on),
        budget="120000.00", currency="USD", approval_threshold="",
    )  # fmt: skip
    response = client.post(url, data, follow=True)
    assert response.redirect_chain[-1][0] == detail(funds.program)
    funds.program.refresh_from_db()
    assert funds.program.name == "FY Test (extended)" and funds.program.budget == Decimal("120000.00")
    assert funds.program.currency == "EUR" and funds.program.approval_threshold is None
    assert funds.program.status == "open"


def test_budget_below_what_is_allocated_is_refused(world, funds, login):
    url = detail(funds.program) + "edit/"
    data = program_form(name="FY Test", starts_on=str(funds.program.starts_on), budget="80000.00")
    response = login(world.admin).post(url, data)
    assert response.status_code == 400
    assert "is allocated already" in " ".join(response.context["form"].errors["budget"])
    funds.program.refresh_from_db()
    assert funds.program.budget == Decimal("100000.00")


def test_closed_programme_cannot_be_edited(world, funds, login):
    services.program_close(program=funds.program, actor=world.admin)
    response = login(world.admin).get(detail(funds.program) + "edit/", follow=True)
    assert response.redirect_chain[-1][0] == detail(funds.program)
    assert any("can no longer be changed" in m for m in texts(response))


def test_admin_opens_a_draft_programme(world, login):
    program = draft_program(world)
    client = login(world.admin)
    assert "Open programme" in client.get(detail(program)).content.decode()
    response = client.post(detail(program) + "open/", follow=True)
    program.refresh_from_db()
    assert program.status == "open"
    assert any("is open" in m for m in texts(response))
    # Opening again is refused with a message.
    response = client.post(detail(program) + "open/", follow=True)
    assert any("only a draft opens" in m for m in texts(response))


def test_programme_past_its_deadline_does_not_open(world, login):
    today = timezone.localdate()
    program = services.program_create(
        actor=world.admin, name="Late", starts_on=today - timedelta(days=60), ends_on=today - timedelta(days=30),
        claim_deadline=today - timedelta(days=1), budget="1000.00",
    )  # fmt: skip
    response = login(world.admin).post(detail(program) + "open/", follow=True)
    assert any("claim deadline has passed" in m for m in texts(response))
    program.refresh_from_db()
    assert program.status == "draft"


def test_admin_closes_a_programme_after_confirming(world, funds, login):
    request = funds.approved(world, amount="2000.00")
    funds.request(world, amount="500.00", title="Waiting")
    client = login(world.admin)
    confirm = client.get(detail(funds.program) + "close/")
    assert confirm.status_code == 200
    page = confirm.content.decode()
    assert "1 request in draft or waiting for approval is cancelled" in page
    assert "2,000.00 EUR" in page  # reserved now
    assert client.get(detail(funds.program) + "close/confirm/").status_code == 405
    response = client.post(detail(funds.program) + "close/confirm/", follow=True)
    funds.program.refresh_from_db()
    assert funds.program.status == "closed"
    request.refresh_from_db()
    assert request.status == "closed"
    assert any("is closed" in m and "90,000.00" in m for m in texts(response))
    assert_books_balance(funds.program)
    assert "Close programme" not in client.get(detail(funds.program)).content.decode()


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("get", "edit/"),
        ("post", "edit/"),
        ("post", "open/"),
        ("get", "close/"),
        ("post", "close/confirm/"),
        ("get", "allocate/"),
        ("post", "allocate/tier-share/"),
        ("post", "allocations/"),
    ],
)
def test_channel_manager_gets_403_on_programme_actions(world, login, method, suffix):
    program = draft_program(world)
    client = login(world.cm_a)
    data = {"partner": str(world.a.pk), "amount": "100.00"} if suffix == "allocations/" else program_form()
    response = getattr(client, method)(detail(program) + suffix, data if method == "post" else None)
    assert response.status_code == 403
    program.refresh_from_db()
    assert program.status == "draft" and program.name == "Draft programme"
    assert not FundAllocation.objects.exists() and not JournalEntry.objects.exists()


def test_channel_manager_gets_403_on_new_programme(world, login):
    client = login(world.cm_a)
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, program_form()).status_code == 403
    assert not FundProgram.objects.exists()


def test_actions_answer_405_to_get(world, funds, login):
    client = login(world.admin)
    for suffix in ("open/", "allocate/tier-share/", "allocations/"):
        assert client.get(detail(funds.program) + suffix).status_code == 405


# --- Detail and allocations -------------------------------------------------------------------------


def test_programme_detail_shows_figures_and_allocations(world, funds, login):
    request = funds.approved(world, amount="4000.00")
    claim = funds.claim(world, request, amount="1000.00")
    services.claim_approve(claim=claim, actor=world.admin)
    services.claim_pay(claim=claim, actor=world.admin, payment_reference="BANK-7")
    response = login(world.admin).get(detail(funds.program))
    assert response.status_code == 200
    rows = {r["allocation"].partner.name: r["figures"] for r in response.context["rows"]}
    assert list(rows) == ["Alpha Distribution", "Beta Resale", "Gamma Services"]
    alpha = rows["Alpha Distribution"]
    assert (alpha.allocated, alpha.reserved, alpha.claimed, alpha.paid, alpha.available) == (
        Decimal("50000.00"), Decimal("3000.00"), Decimal("0.00"), Decimal("1000.00"), Decimal("46000.00"),
    )  # fmt: skip
    figures = response.context["figures"]
    assert figures.allocated == Decimal("90000.00") and figures.unallocated == Decimal("10000.00")
    assert response.context["chart"]["datasets"][1] == {"label": "Paid", "values": [1000.0, 0.0, 0.0]}
    page = response.content.decode()
    assert "46,000.00 EUR" in page and 'data-grouped-chart="allocation-chart-data"' in page
    assert "js/fund-charts.js" in page


def test_channel_manager_sees_only_their_partners_allocations(world, funds, login):
    response = login(world.cm_c).get(detail(funds.program))
    assert [r["allocation"].partner_id for r in response.context["rows"]] == [world.c.pk]
    assert response.context["visible_totals"].allocated == Decimal("30000.00")
    page = response.content.decode()
    assert "Beta Resale" not in page and "Allocate by tier share" not in page and "Set allocation" not in page


def test_tier_share_preview_shows_each_partners_amount(world, login):
    program = draft_program(world, budget="10000.00")
    response = login(world.admin).get(detail(program) + "allocate/")
    assert response.status_code == 200
    rows = {r["partner"].name: r["new"] for r in response.context["rows"]}
    # Every world tier has the factory's 5 % share: 500.00 each of 10,000.00.
    assert rows == {n: Decimal("500.00") for n in ("Alpha Distribution", "Beta Resale", "Gamma Services")}
    assert response.context["total"] == Decimal("1500.00")
    assert not FundAllocation.objects.exists()  # a preview changes nothing


def test_admin_allocates_by_tier_share_in_one_click(world, login):
    program = draft_program(world, budget="10000.00")
    world.gold.mdf_share = Decimal("20.00")
    world.gold.save()
    response = login(world.admin).post(detail(program) + "allocate/tier-share/", follow=True)
    amounts = dict(FundAllocation.objects.filter(program=program).values_list("partner__name", "amount"))
    assert amounts == {
        "Alpha Distribution": Decimal("2000.00"),
        "Beta Resale": Decimal("500.00"),
        "Gamma Services": Decimal("500.00"),
    }
    assert any("3 partners set, 0 unchanged" in m for m in texts(response))
    assert_books_balance(program)
    # A second click changes nothing.
    response = login(world.admin).post(detail(program) + "allocate/tier-share/", follow=True)
    assert any("0 partners set, 3 unchanged" in m for m in texts(response))


def test_tier_share_skips_a_partner_that_committed_more_and_says_so(world, funds, login):
    funds.approved(world, amount="8000.00")  # Alpha commits 8,000; its 5 % share is 5,000
    client = login(world.admin)
    preview = client.get(detail(funds.program) + "allocate/")
    assert preview.context["blocked"] == 1
    response = client.post(detail(funds.program) + "allocate/tier-share/", follow=True)
    messages = texts(response)
    assert any("2 partners set" in m for m in messages)
    assert any("1 partner kept their allocation: Alpha Distribution" in m for m in messages)
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.amount == Decimal("50000.00")
    assert_books_balance(funds.program)


def test_tier_share_with_no_shares_says_nothing_was_allocated(world, login):
    program = draft_program(world)
    for tier in (world.gold, world.silver):
        tier.mdf_share = Decimal("0")
        tier.save()
    client = login(world.admin)
    assert "nothing to allocate" in client.get(detail(program) + "allocate/").content.decode()
    response = client.post(detail(program) + "allocate/tier-share/", follow=True)
    assert any("nothing was allocated" in m for m in texts(response))
    assert not FundAllocation.objects.exists()


def test_admin_adjusts_one_partners_allocation(world, funds, login):
    client = login(world.admin)
    form = client.get(detail(funds.program), {"adjust": world.b.pk}).context["adjust_form"]
    assert form.initial == {"partner": world.b.pk, "amount": Decimal("10000.00")}
    response = client.post(
        detail(funds.program) + "allocations/", {"partner": world.b.pk, "amount": "15000.00"}, follow=True
    )
    funds.alloc_b.refresh_from_db()
    assert funds.alloc_b.amount == Decimal("15000.00")
    assert any("Beta Resale's allocation is now EUR 15,000.00" in m for m in texts(response))
    assert_books_balance(funds.program)


def test_adjusting_creates_an_allocation_for_a_new_partner(world, funds, login):
    newcomer = PartnerFactory(name="Delta Systems", tier=world.silver)
    login(world.admin).post(
        detail(funds.program) + "allocations/", {"partner": newcomer.pk, "amount": "2500.00"}
    )
    assert FundAllocation.objects.get(program=funds.program, partner=newcomer).amount == Decimal("2500.00")


@pytest.mark.parametrize(
    ("partner", "amount", "message"),
    [
        ("c", "45000.00", "of the budget is not allocated yet"),  # 10,000 left, Gamma asks 15,000 more
        ("a", "500.00", "has committed"),  # below Alpha's approved request
        ("b", "-1.00", "Enter zero or more."),
        ("b", "12.345", "at most two decimal places"),
        ("b", "lots", "Enter an amount"),
    ],
)
def test_refused_allocation_changes_nothing(world, funds, login, partner, amount, message):
    funds.approved(world, amount="1000.00")
    before = list(JournalEntry.objects.values_list("id", flat=True))
    amounts = dict(FundAllocation.objects.values_list("pk", "amount"))
    response = login(world.admin).post(
        detail(funds.program) + "allocations/",
        {"partner": getattr(world, partner).pk, "amount": amount},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail(funds.program)
    assert any(m.startswith("The allocation was not changed") and message in m for m in texts(response))
    assert dict(FundAllocation.objects.values_list("pk", "amount")) == amounts
    assert list(JournalEntry.objects.values_list("id", flat=True)) == before


def test_allocation_of_a_closed_programme_is_refused(world, funds, login):
    services.program_close(program=funds.program, actor=world.admin)
    client = login(world.admin)
    response = client.post(
        detail(funds.program) + "allocations/", {"partner": world.b.pk, "amount": "1.00"}, follow=True
    )
    assert any("allocations are final" in m for m in texts(response))
    response = client.post(detail(funds.program) + "allocate/tier-share/", follow=True)
    assert any("allocations are final" in m for m in texts(response))
    assert client.get(detail(funds.program)).context["adjust_form"] is None


# --- Journal and its export -------------------------------------------------------------------------


def test_admin_sees_the_journal_newest_first_and_filters_by_programme(world, funds, login):
    other = draft_program(world, name="Other")
    services.allocation_set(program=other, partner=world.c, amount="100.00", actor=world.admin)
    client = login(world.admin)
    response = client.get(JOURNAL)
    assert response.status_code == 200
    lines = list(response.context["page"].items)
    assert len(lines) == 8 and lines[0].program == other
    assert [line.pk for line in lines] == sorted((line.pk for line in lines), reverse=True)
    filtered = client.get(JOURNAL, {"program": funds.program.pk})
    assert {line.program_id for line in filtered.context["page"].items} == {funds.program.pk}
    assert filtered.context["totals"]["debit"] == filtered.context["totals"]["credit"] == Decimal("90000.00")
    page = filtered.content.decode()
    assert "balanced" in page and f"export.csv?program={funds.program.pk}" in page


def test_journal_ignores_an_unknown_programme_filter_with_a_message(world, funds, login):
    response = login(world.admin).get(JOURNAL, {"program": "424242"})
    assert response.context["program_id"] is None
    assert any("not understood" in m for m in texts(response))


def test_empty_journal_says_so(world, login):
    assert "The journal is empty" in login(world.admin).get(JOURNAL).content.decode()


@pytest.mark.parametrize("who", ["cm_a", "cm_c"])
def test_channel_managers_get_403_on_the_journal_and_export(world, funds, login, who):
    client = login(getattr(world, who))
    assert client.get(JOURNAL).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert (
        "Journal"
        not in client.get(detail(funds.program)).content.decode().split("<main")[1].split("Figures")[0]
    )


def test_journal_export_is_a_csv_attachment_that_balances_per_programme(world, funds, login):
    request = funds.approved(world, amount="2000.00")
    claim = funds.claim(world, request, amount="700.00")
    services.claim_approve(claim=claim, actor=world.admin)
    services.claim_pay(claim=claim, actor=world.admin, payment_reference="BANK-9")
    other = draft_program(world, name="Other")
    services.allocation_set(program=other, partner=world.c, amount="100.00", actor=world.admin)
    response = login(world.admin).get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="mdf-journal-all-')
    rows = csv_rows(response)
    assert list(rows[0]) == list(JOURNAL_CSV_COLUMNS)
    assert len(rows) == JournalEntry.objects.count()
    sums: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        sums[row["program"]] += Decimal(row["debit"]) - Decimal(row["credit"])
    assert sums == {str(funds.program.pk): Decimal("0"), str(other.pk): Decimal("0")}
    payment = [r for r in rows if r["movement"] == "payment"]
    assert {(r["account"], r["debit"], r["credit"]) for r in payment} == {
        ("paid", "700.00", "0.00"),
        ("claims_payable", "0.00", "700.00"),
    }
    assert {r["document"] for r in payment} == {claim.reference}
    assert {r["partner"] for r in payment} == {"Alpha Distribution"}
    assert {r["currency"] for r in rows} == {"EUR"}
    assert rows[0]["date"] == str(timezone.localdate())


def test_journal_export_filtered_by_programme_has_only_its_lines(world, funds, login):
    other = draft_program(world, name="Other")
    services.allocation_set(program=other, partner=world.c, amount="100.00", actor=world.admin)
    response = login(world.admin).get(EXPORT, {"program": other.pk})
    assert f'filename="mdf-journal-program-{other.pk}-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert len(rows) == 2 and {r["program"] for r in rows} == {str(other.pk)}


def test_journal_export_with_a_bad_filter_goes_back_to_the_journal(world, funds, login):
    response = login(world.admin).get(EXPORT, {"program": "x"}, follow=True)
    assert response.redirect_chain[-1][0] == JOURNAL
    assert any("not understood" in m for m in texts(response))


def test_journal_csv_rows_defuses_partner_names_a_spreadsheet_would_run(world):
    program = draft_program(world)
    evil = PartnerFactory(name='=HYPERLINK("http://x", "Click, me")', tier=world.silver)
    services.allocation_set(program=program, partner=evil, amount="10.00", actor=world.admin)
    lines = list(journal_csv_rows(JournalEntry.objects.all()))
    assert lines[0] == ",".join(JOURNAL_CSV_COLUMNS) + "\r\n"
    assert len(lines) == 3
    rows = list(csv.DictReader(io.StringIO("".join(lines), newline="")))
    assert {r["partner"] for r in rows} == {'\'=HYPERLINK("http://x", "Click, me")'}
    assert {r["partner_id"] for r in rows} == {str(evil.pk)}


def test_journal_csv_rows_match_the_journal_line_by_line(world, funds):
    request = funds.approved(world, amount="1234.56")
    services.request_cancel(request=request, actor=world.pm_a)
    lines = list(journal_csv_rows(JournalEntry.objects.filter(program=funds.program)))
    rows = list(csv.DictReader(io.StringIO("".join(lines), newline="")))
    entries = list(JournalEntry.objects.filter(program=funds.program).order_by("id"))
    assert [
        (r["date"], r["posting"], r["movement"], r["account"], r["debit"], r["credit"], r["partner_id"], r["document"])
        for r in rows
    ] == [
        (
            e.booked_on.isoformat(), str(e.posting), e.movement, e.account, f"{e.debit:.2f}", f"{e.credit:.2f}",
            str(e.partner_id or ""), e.document,
        )
        for e in entries
    ]  # fmt: skip
    assert {r["movement"] for r in rows} == {"allocation", "reservation", "release"}


# --- ROI --------------------------------------------------------------------------------------------


def test_roi_counts_leads_and_won_revenue_carrying_the_campaign_code(world, funds, login):
    spring = funds.approved(world, amount="2000.00", campaign_code="SPRING-FAIR")
    claim = funds.claim(world, spring, amount="1000.00")
    services.claim_approve(claim=claim, actor=world.admin)
    services.claim_pay(claim=claim, actor=world.admin, payment_reference="BANK-2")
    LeadFactory(
        campaign_code="SPRING-FAIR", partner=world.a, status=LeadStatus.WON, won_value=Decimal("6000")
    )
    LeadFactory(
        campaign_code="SPRING-FAIR", partner=world.a, status=LeadStatus.WON, won_value=Decimal("1500")
    )
    LeadFactory(campaign_code="SPRING-FAIR", partner=world.a, status=LeadStatus.LOST)
    LeadFactory(campaign_code="OTHER")
    gamma = funds.approved(world, allocation=funds.alloc_c, amount="500.00", campaign_code="GAMMA-WEB")
    LeadFactory(campaign_code="GAMMA-WEB", partner=world.c, status=LeadStatus.WON, won_value=Decimal("900"))
    response = login(world.admin).get(detail(funds.program) + "roi/")
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals.leads, totals.won_leads) == (4, 3)
    assert totals.won_revenue == Decimal("8400.00") and totals.paid == Decimal("1000.00")
    assert totals.ratio == Decimal("8.40")
    partners = {r["partner"]: r for r in response.context["partners"]}
    alpha = partners["Alpha Distribution"]
    assert (alpha["leads"], alpha["won_revenue"], alpha["paid"], alpha["ratio"]) == (
        3, Decimal("7500.00"), Decimal("1000.00"), Decimal("7.50"),
    )  # fmt: skip
    assert partners["Gamma Services"]["ratio"] is None  # nothing paid yet
    by_request = {row["request"].pk: row["roi"] for row in response.context["request_rows"]}
    assert by_request[spring.pk].leads == 3 and by_request[spring.pk].ratio == Decimal("7.50")
    assert by_request[gamma.pk].won_revenue == Decimal("900.00")
    chart = response.context["chart"]
    assert chart["labels"] == ["Alpha Distribution", "Gamma Services"]
    assert chart["datasets"] == [
        {"label": "Paid", "values": [1000.0, 0.0]},
        {"label": "Won revenue", "values": [7500.0, 900.0]},
    ]
    page = response.content.decode()
    assert "SPRING-FAIR" in page and "8,400.00 EUR" in page and 'data-grouped-chart="roi-chart-data"' in page


def test_roi_of_a_channel_manager_covers_only_their_partners(world, funds, login):
    funds.approved(world, amount="2000.00", campaign_code="ALPHA-1")
    funds.approved(world, allocation=funds.alloc_c, amount="500.00", campaign_code="GAMMA-1")
    LeadFactory(campaign_code="ALPHA-1", partner=world.a, status=LeadStatus.WON, won_value=Decimal("5000"))
    response = login(world.cm_c).get(detail(funds.program) + "roi/")
    assert [r["partner"] for r in response.context["partners"]] == ["Gamma Services"]
    assert response.context["totals"].won_revenue == Decimal("0")
    assert "ALPHA-1" not in response.content.decode()


def test_roi_without_approved_requests_shows_empty_states(world, funds, login):
    page = login(world.admin).get(detail(funds.program) + "roi/").content.decode()
    assert "there is no return to show" in page and "No approved request yet" in page


# --- Query counts -------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("role", [Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER])
def test_programme_list_queries_do_not_grow_with_rows(world, login, django_assert_num_queries, count, role):
    today = timezone.localdate()
    for n in range(count):
        program = services.program_create(
            actor=world.admin, name=f"Programme {n}", starts_on=today + timedelta(days=n),
            ends_on=today + timedelta(days=n + 30), claim_deadline=today + timedelta(days=n + 60), budget="1000.00",
        )  # fmt: skip
        services.allocation_set(program=program, partner=world.a, amount="100.00", actor=world.admin)
    client = login(channel_user(role))
    # session, user, actor, the page of programmes with their allocations' sums = 4
    with django_assert_num_queries(4):
        response = client.get(LIST)
    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(("role", "queries"), [(Role.CHANNEL_ADMIN, 7), (Role.CHANNEL_MANAGER, 8)])
def test_allocation_table_queries_do_not_grow_with_rows(
    world, login, django_assert_num_queries, count, role, queries
):
    user = channel_user(role)
    program = draft_program(world, budget="100000.00")
    tier = TierFactory(name="Fund tier")
    for _ in range(count):
        partner = PartnerFactory(tier=tier)
        partner.managers.add(user)
        services.allocation_set(program=program, partner=partner, amount="10.00", actor=world.admin)
    client = login(user)
    # session, user, actor, programme, its allocation sums, the page of allocations (partner joined) = 6;
    # + the adjust form's partner choices (admin) or the sums over the manager's own partners = 7;
    # a channel manager's partner ids are read once first = 8
    with django_assert_num_queries(queries):
        response = client.get(detail(program))
    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize(("filtered", "queries"), [(False, 5), (True, 6)])
def test_journal_page_queries_do_not_grow_with_rows(
    world, login, django_assert_num_queries, count, filtered, queries
):
    program = draft_program(world, budget="100000.00")
    tier = TierFactory(name="Fund tier")
    for _ in range(count):
        services.allocation_set(
            program=program, partner=PartnerFactory(tier=tier), amount="10.00", actor=world.admin
        )
    client = login(world.admin)
    params = {"program": program.pk} if filtered else {}
    # session, user, actor, the programmes (filter options), the page of lines (programme and partner
    # joined) = 5; filtered: + the programme's debit and credit sums = 6
    with django_assert_num_queries(queries):
        response = client.get(JOURNAL, params)
    assert len(response.context["page"].items) == 2 * count


@pytest.mark.parametrize("count", [1, 20])
@pytest.mark.parametrize("role", [Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER])
def test_roi_page_queries_do_not_grow_with_rows(world, funds, login, django_assert_num_queries, count, role):
    user = world.admin if role == Role.CHANNEL_ADMIN else world.cm_a
    for n in range(count):
        allocation = funds.alloc_a if n % 2 == 0 else funds.alloc_b
        request = funds.approved(world, allocation=allocation, amount="100.00", campaign_code=f"CODE-{n}")
        LeadFactory(
            campaign_code=f"CODE-{n}", partner=world.a, status=LeadStatus.WON, won_value=Decimal("250")
        )
        if n < 3:
            claim = funds.claim(world, request, amount="100.00")
            services.claim_approve(claim=claim, actor=world.admin)
            services.claim_pay(claim=claim, actor=world.admin, payment_reference=f"PAY-{n}")
    client = login(user)
    # session, user, actor, programme, totals (leads, money) = 6, per partner (paid, leads, campaign
    # codes, names) = 10, the page of requests (partner joined) = 11, their return (leads, paid) = 13;
    # a channel manager's partner ids are read once first = 14
    with django_assert_num_queries(13 if role == Role.CHANNEL_ADMIN else 14):
        response = client.get(detail(funds.program) + "roi/")
    assert len(response.context["request_rows"]) == count
    assert response.context["totals"].leads == count
