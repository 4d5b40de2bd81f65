"""Marketing funds in the partner portal: the overview with each allocation's money, requests (new,
from a template, drafts changed and submitted, cancelled, closed), claims with proof files, the
access-checked download, comments and answers; who may see and do what."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from mdf import services
from mdf.choices import ClaimStatus, CommentKind, RequestStatus
from mdf.models import Claim, FundComment, FundRequest, ProofFile
from tests.mdf.conftest import PDF_BYTES, assert_books_balance, pdf, png

pytestmark = pytest.mark.django_db


D = Decimal
OVERVIEW = reverse("partner:funds")
NEW = reverse("partner:fund_request_new")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def detail(fund_request) -> str:
    return reverse("partner:fund_request_detail", args=[fund_request.pk])


def claim_detail(claim) -> str:
    return reverse("partner:fund_claim_detail", args=[claim.pk])


def action(name: str, fund_request) -> str:
    return reverse(f"partner:fund_request_{name}", args=[fund_request.pk])


def form_data(allocation, **overrides) -> dict[str, str]:
    today = timezone.localdate()
    return {
        "allocation": str(allocation.pk),
        "title": "Autumn roadshow",
        "activity_type": "event",
        "description": "Four cities, demo truck.",
        "starts_on": (today + timedelta(days=20)).isoformat(),
        "ends_on": (today + timedelta(days=24)).isoformat(),
        "amount": "4500.00",
        "expected_leads": "40",
        "expected_revenue": "90000",
        "campaign_code": "",
        "action": "submit",
        **overrides,
    }


def media_files(settings) -> list:
    from pathlib import Path

    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


# --- Who may come in ------------------------------------------------------------------------------


def test_partner_employee_gets_403_on_every_fund_page(world, funds, login):
    fund_request = funds.approved(world, amount="2000.00")
    claim = funds.claim(world, fund_request)
    proof = claim.proof_files.get()
    client = login(world.pe_a)
    for url in (
        OVERVIEW,
        NEW,
        detail(fund_request),
        claim_detail(claim),
        reverse("partner:fund_proof_download", args=[proof.pk]),
        reverse("partner:fund_claim_new", args=[fund_request.pk]),
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(action("cancel", fund_request)).status_code == 403
    fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED


def test_channel_staff_are_not_let_into_the_partner_pages(world, funds, login):
    assert login(world.cm_a).get(OVERVIEW).status_code == 403


def test_manager_of_another_partner_gets_404(world, funds, login):
    fund_request = funds.approved(world, amount="2000.00")
    claim = funds.claim(world, fund_request)
    proof = claim.proof_files.get()
    client = login(world.pm_c)
    for url in (
        detail(fund_request),
        claim_detail(claim),
        reverse("partner:fund_proof_download", args=[proof.pk]),
        reverse("partner:fund_request_edit", args=[fund_request.pk]),
        reverse("partner:fund_claim_new", args=[fund_request.pk]),
        f"{NEW}?copy={fund_request.pk}",
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(action("close", fund_request)).status_code == 404
    assert (
        client.post(reverse("partner:fund_comment", args=[fund_request.pk]), {"body": "Hi"}).status_code
        == 404
    )
    fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED and not FundComment.objects.exists()


def test_reseller_manager_cannot_see_or_act_on_the_distributors_requests(world, funds, login):
    fund_request = funds.request(world, amount="2000.00", submit=False)
    client = login(world.pm_b)
    assert client.get(detail(fund_request)).status_code == 404
    assert client.post(action("submit", fund_request)).status_code == 404
    assert client.post(action("cancel", fund_request)).status_code == 404
    fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.DRAFT


def test_distributor_manager_reads_resellers_funds_but_cannot_act_on_them(world, funds, login):
    fund_request = funds.approved(world, allocation=funds.alloc_b, amount="3000.00")
    claim = funds.claim(world, fund_request, amount="500.00")
    client = login(world.pm_a)

    overview = client.get(OVERVIEW)
    assert [row.allocation.partner for row in overview.context["reseller_rows"]] == [world.b]
    assert [row.allocation.partner for row in overview.context["own_rows"]] == [world.a]
    assert "Beta Resale · FY Test" in overview.content.decode()

    page = client.get(detail(fund_request))
    html = page.content.decode()
    assert page.status_code == 200 and "Beta Resale (for reading)" in html
    assert "Use as template" not in html and "File a claim" not in html and "Cancel the request" not in html
    assert client.get(claim_detail(claim)).status_code == 200
    proof = claim.proof_files.get()
    assert client.get(reverse("partner:fund_proof_download", args=[proof.pk])).status_code == 200

    for url in (action("cancel", fund_request), action("close", fund_request)):
        assert client.post(url).status_code == 403
    assert (
        client.post(reverse("partner:fund_comment", args=[fund_request.pk]), {"body": "x"}).status_code == 403
    )
    assert client.get(reverse("partner:fund_claim_new", args=[fund_request.pk])).status_code == 403
    assert client.get(f"{NEW}?copy={fund_request.pk}").status_code == 404  # a template is one's own
    draft = funds.request(world, allocation=funds.alloc_b, amount="100.00", submit=False)
    edit = reverse("partner:fund_request_edit", args=[draft.pk])
    assert client.get(edit).status_code == 403
    assert client.post(edit, form_data(funds.alloc_b, title="Hijacked")).status_code == 403
    assert client.post(action("submit", draft)).status_code == 403
    fund_request.refresh_from_db()
    draft.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED and not FundComment.objects.exists()
    assert (draft.title, draft.status) == ("Spring trade fair", RequestStatus.DRAFT)


# --- Overview -------------------------------------------------------------------------------------


def test_overview_shows_each_allocations_money_as_figures_and_bar(world, funds, login):
    fund_request = funds.approved(world, amount="8000.00")
    paid = funds.claim(world, fund_request, amount="2000.00")
    services.claim_approve(claim=paid, actor=world.cm_a)
    services.claim_pay(claim=paid, actor=world.cm_a, payment_reference="PAY-1")
    approved = funds.claim(world, fund_request, amount="500.00")
    services.claim_approve(claim=approved, actor=world.cm_a)
    client = login(world.pm_a)

    response = client.get(OVERVIEW)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Funds · OpenPCM</title>" in html
    (row,) = response.context["own_rows"]
    figures = {s.key: (s.amount, s.percent) for s in row.segments}
    assert figures == {
        "reserved": (D("5500.00"), "11.00"),
        "claimed": (D("500.00"), "1.00"),
        "paid": (D("2000.00"), "4.00"),
        "available": (D("42000.00"), "84.00"),
    }
    # The figures are written out, not told by colour alone.
    for label, text in (
        ("Allocated", "EUR 50,000.00"),
        ("Reserved", "EUR 5,500.00"),
        ("Claimed", "EUR 500.00"),
        ("Paid", "EUR 2,000.00"),
        ("Available", "EUR 42,000.00"),
    ):
        assert label in html and text in html
    assert 'style="width: 84.00%"' in html
    assert f'href="{detail(fund_request)}"' in html
    assert f'href="{claim_detail(paid)}"' in html and "Paid" in html
    assert_books_balance(funds.program)


def test_overview_shows_the_return_of_each_request(world, funds, login):
    from tests.factories import LeadFactory

    fund_request = funds.approved(world, amount="3000.00", campaign_code="FAIR-27")
    claim = funds.claim(world, fund_request, amount="1000.00")
    services.claim_approve(claim=claim, actor=world.cm_a)
    services.claim_pay(claim=claim, actor=world.cm_a, payment_reference="PAY-9")
    LeadFactory(partner=world.a, campaign_code="FAIR-27", status="won", won_value=D("5000.00"))
    LeadFactory(partner=world.a, campaign_code="FAIR-27")
    response = login(world.pm_a).get(OVERVIEW)
    ((row, roi),) = response.context["request_rows"]
    assert (roi.leads, roi.won_leads, roi.won_revenue, roi.paid, roi.ratio) == (
        2, 1, D("5000.00"), D("1000.00"), D("5.00"),
    )  # fmt: skip
    assert "2 leads, 1 won" in response.content.decode()


def test_overview_lists_what_expires_within_30_days(world, funds, login):
    today = timezone.localdate()
    soon = services.program_create(
        actor=world.admin, name="Q-end push", starts_on=today - timedelta(days=60), ends_on=today,
        claim_deadline=today + timedelta(days=12), budget="5000.00", allocation_rule="manual",
    )  # fmt: skip
    services.allocation_set(program=soon, partner=world.a, amount="1500.00", actor=world.admin)
    services.program_open(program=soon, actor=world.admin)
    response = login(world.pm_a).get(OVERVIEW)
    assert [(a.program.name, left, days) for a, left, days in response.context["expiring"]] == [
        ("Q-end push", D("1500.00"), 12)
    ]
    html = response.content.decode()
    assert "Expires soon" in html and "EUR 1,500.00</span> still available or reserved" in html
    assert "in 12 days" in html


def test_overview_never_shows_a_draft_programme(world, funds, login):
    today = timezone.localdate()
    draft = services.program_create(
        actor=world.admin, name="Next year (draft)", starts_on=today, ends_on=today + timedelta(days=30),
        claim_deadline=today + timedelta(days=40), budget="5000.00", allocation_rule="manual",
    )  # fmt: skip
    services.allocation_set(program=draft, partner=world.a, amount="1000.00", actor=world.admin)
    response = login(world.pm_a).get(OVERVIEW)
    assert [row.allocation.program for row in response.context["own_rows"]] == [funds.program]
    assert "Next year (draft)" not in response.content.decode()


def test_reseller_manager_sees_only_its_own_funds(world, funds, login):
    funds.request(world, amount="500.00", title="Distributor's fair")
    mine = funds.request(world, allocation=funds.alloc_b, amount="200.00", title="Reseller's mailing")
    response = login(world.pm_b).get(OVERVIEW)
    assert [row.allocation for row in response.context["own_rows"]] == [funds.alloc_b]
    assert response.context["reseller_rows"] == []
    assert [r for r, _ in response.context["request_rows"]] == [mine]
    assert "Distributor&#x27;s fair" not in response.content.decode()


def test_overview_without_funds_says_so(world, login):
    response = login(world.pm_c).get(OVERVIEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "No programme has allocated funds to your company yet." in html
    assert "No fund requests yet." in html and "No claims yet." in html


def test_overview_pages_requests_by_cursor(world, funds, login, settings):
    for n in range(12):
        funds.request(world, amount="10.00", title=f"Request {n:02}")
    client = login(world.pm_a)
    first = client.get(OVERVIEW)
    titles = [r.title for r, _ in first.context["request_rows"]]
    assert titles == [f"Request {n:02}" for n in range(11, 1, -1)]
    second = client.get(f"{OVERVIEW}?after={first.context['requests'].next_cursor}")
    assert [r.title for r, _ in second.context["request_rows"]] == ["Request 01", "Request 00"]
    claims_first = client.get(OVERVIEW).context["claims"]
    assert claims_first.items == [] and not claims_first.has_next
    bad = client.get(f"{OVERVIEW}?after=garbage")
    assert bad.status_code == 200 and "That page link is no longer valid" in " ".join(messages_of(bad))


@pytest.mark.parametrize("rows", [1, 20])
def test_overview_query_count_does_not_grow_with_rows(world, funds, login, django_assert_num_queries, rows):
    for n in range(rows):
        fund_request = funds.approved(world, amount="100.00", title=f"Request {n}")
        funds.claim(world, fund_request, amount="50.00")
    client = login(world.pm_a)
    # session, user, actor, own allocations, resellers' allocations, allocations expiring soon,
    # a page of requests, their return (leads by campaign code, paid claims), a page of claims
    with django_assert_num_queries(10):
        response = client.get(OVERVIEW)
    assert len(response.context["request_rows"]) == min(rows, 10)
    assert len(response.context["claims"].items) == min(rows, 10)


# --- New requests ---------------------------------------------------------------------------------


def test_manager_submits_a_new_request(world, funds, login):
    client = login(world.pm_a)
    form = client.get(NEW)
    assert (
        form.status_code == 200
        and "<title>New fund request · Funds · OpenPCM</title>" in form.content.decode()
    )
    assert list(form.context["form"].fields["allocation"].queryset) == [funds.alloc_a]  # never a reseller's

    response = client.post(NEW, form_data(funds.alloc_a, campaign_code="ROADSHOW-27"))

    fund_request = FundRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(fund_request)
    assert (fund_request.status, fund_request.partner, fund_request.created_by) == (
        RequestStatus.SUBMITTED, world.a, world.pm_a,
    )  # fmt: skip
    assert (fund_request.amount, fund_request.expected_leads, fund_request.expected_revenue) == (
        D("4500.00"), 40, D("90000.00"),
    )  # fmt: skip
    assert fund_request.campaign_code == "ROADSHOW-27"
    page = client.get(response["Location"])
    assert "Your request “Autumn roadshow” is submitted; your channel manager will decide." in messages_of(
        page
    )
    assert "Your channel manager decides on this request." in page.content.decode()


def test_manager_saves_a_draft_and_gets_a_campaign_code(world, funds, login):
    client = login(world.pm_a)
    response = client.post(NEW, form_data(funds.alloc_a, action="draft"))
    fund_request = FundRequest.objects.get()
    assert response.status_code == 302
    assert fund_request.status == RequestStatus.DRAFT and fund_request.submitted_at is None
    assert fund_request.campaign_code.startswith("MDF-")
    page = client.get(detail(fund_request))
    assert "Your request “Autumn roadshow” is saved as a draft." in messages_of(page)
    assert "This is a draft" in page.content.decode()


def test_a_request_above_what_is_available_is_refused_and_nothing_is_saved(world, funds, login):
    client = login(world.pm_a)
    response = client.post(NEW, form_data(funds.alloc_a, amount="50000.01"))
    assert response.status_code == 400
    assert "The request was not saved; see the errors below." in messages_of(response)
    assert response.context["form"].errors["amount"] == ["Your allocation has EUR 50,000.00 available."]
    assert "Your allocation has EUR 50,000.00 available." in response.content.decode()
    assert not FundRequest.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"amount": "12.345"}, "amount", "Ensure that there are no more than 2 decimal places."),
        ({"amount": "-5"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ({"title": ""}, "title", "This field is required."),
        ({"activity_type": "party"}, "activity_type", "Select a valid choice."),
        ({"ends_on": "2000-01-01"}, "ends_on", "The activity must end on or after the day it starts."),
        ({"campaign_code": "no spaces please"}, "campaign_code", "Use up to 60 letters"),
    ],
)
def test_bad_input_is_shown_on_the_form_and_changes_nothing(world, funds, login, overrides, field, message):
    response = login(world.pm_a).post(NEW, form_data(funds.alloc_a, **overrides))
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert not FundRequest.objects.exists()


def test_a_campaign_code_in_use_is_refused(world, funds, login):
    funds.request(world, campaign_code="TAKEN-1")
    response = login(world.pm_a).post(NEW, form_data(funds.alloc_a, campaign_code="taken-1"))
    assert response.status_code == 400
    assert response.context["form"].errors["campaign_code"] == [
        "This campaign code is already used by another request."
    ]
    assert FundRequest.objects.count() == 1


def test_a_resellers_allocation_cannot_be_posted_into_the_form(world, funds, login):
    response = login(world.pm_a).post(NEW, form_data(funds.alloc_b))
    assert response.status_code == 400 and "allocation" in response.context["form"].errors
    assert not FundRequest.objects.exists()


def test_use_as_template_fills_the_form_and_remembers_the_original(world, funds, login):
    original = funds.request(
        world, amount="1234.00", title="Trade fair Munich", description="Booth 12", expected_leads=25,
        campaign_code="MUC-26",
    )  # fmt: skip
    client = login(world.pm_a)
    form = client.get(f"{NEW}?copy={original.pk}")
    assert form.status_code == 200
    initial = form.context["form"].initial
    assert (initial["title"], initial["description"], initial["amount"], initial["expected_leads"]) == (
        "Trade fair Munich", "Booth 12", D("1234.00"), 25,
    )  # fmt: skip
    assert initial["allocation"] == funds.alloc_a.pk and "campaign_code" not in initial
    html = form.content.decode()
    assert "Filled in from “Trade fair Munich”" in html and 'value="Trade fair Munich"' in html

    response = client.post(
        NEW, form_data(funds.alloc_a, title="Trade fair Munich", copied_from=str(original.pk))
    )
    copy = FundRequest.objects.exclude(pk=original.pk).get()
    assert response.status_code == 302 and copy.copied_from == original and copy.campaign_code != "MUC-26"


def test_a_bad_template_link_is_404_not_an_error(world, funds, login):
    client = login(world.pm_a)
    assert client.get(f"{NEW}?copy=abc").status_code == 404
    assert client.get(f"{NEW}?copy=999999").status_code == 404
    assert client.get(f"{NEW}?allocation=abc").status_code == 200


def test_without_an_open_allocation_the_form_says_so(world, login):
    response = login(world.pm_a).get(NEW)
    assert response.status_code == 200
    assert "No open programme has allocated funds to your company" in response.content.decode()


# --- Changing, submitting, cancelling, closing ----------------------------------------------------


def test_manager_changes_a_draft(world, funds, login):
    draft = funds.request(world, amount="1000.00", submit=False)
    client = login(world.pm_a)
    edit = reverse("partner:fund_request_edit", args=[draft.pk])
    assert client.get(edit).context["form"].initial["amount"] == D("1000.00")
    response = client.post(
        edit, form_data(funds.alloc_a, title="Spring fair, bigger booth", amount="1800", action="draft")
    )
    assert response.status_code == 302 and response["Location"] == detail(draft)
    draft.refresh_from_db()
    assert (draft.title, draft.amount, draft.status) == (
        "Spring fair, bigger booth",
        D("1800.00"),
        RequestStatus.DRAFT,
    )


def test_a_draft_is_changed_and_submitted_together_or_not_at_all(world, funds, login):
    draft = funds.request(world, amount="1000.00", submit=False)
    client = login(world.pm_a)
    edit = reverse("partner:fund_request_edit", args=[draft.pk])

    refused = client.post(edit, form_data(funds.alloc_a, title="Too big", amount="60000"))
    assert refused.status_code == 400
    assert refused.context["form"].errors["amount"] == ["Your allocation has EUR 50,000.00 available."]
    draft.refresh_from_db()
    assert (draft.title, draft.amount, draft.status) == (
        "Spring trade fair",
        D("1000.00"),
        RequestStatus.DRAFT,
    )

    client.post(edit, form_data(funds.alloc_a, title="Right size", amount="2000"))
    draft.refresh_from_db()
    assert (draft.title, draft.amount, draft.status) == ("Right size", D("2000.00"), RequestStatus.SUBMITTED)


def test_a_submitted_request_is_changed_only_when_the_channel_asked(world, funds, login):
    fund_request = funds.request(world, amount="1000.00")
    client = login(world.pm_a)
    edit = reverse("partner:fund_request_edit", args=[fund_request.pk])
    response = client.get(edit, follow=True)
    assert "Only drafts, or requests your channel manager asked about, can be changed." in " ".join(
        messages_of(response)
    )
    services.info_request(request=fund_request, actor=world.cm_a, question="Which booth size?")
    assert client.get(edit).status_code == 200
    client.post(edit, form_data(funds.alloc_a, title="Spring trade fair, 20 m² booth", action="save"))
    fund_request.refresh_from_db()
    assert fund_request.title == "Spring trade fair, 20 m² booth"
    assert fund_request.status == RequestStatus.SUBMITTED


def test_manager_submits_a_draft_and_a_second_tap_is_harmless(world, funds, login):
    draft = funds.request(world, amount="1000.00", submit=False)
    client = login(world.pm_a)
    first = client.post(action("submit", draft), follow=True)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.SUBMITTED
    assert "Your request “Spring trade fair” is submitted; your channel manager will decide." in messages_of(
        first
    )
    second = client.post(action("submit", draft), follow=True)
    assert "The request “Spring trade fair” is already submitted." in messages_of(second)


def test_submitting_a_draft_above_what_is_available_is_refused(world, funds, login):
    draft = funds.request(world, allocation=funds.alloc_a, amount="50000.00", submit=False)
    funds.approved(world, amount="1.00")
    response = login(world.pm_a).post(action("submit", draft), follow=True)
    draft.refresh_from_db()
    assert draft.status == RequestStatus.DRAFT
    assert "Your allocation has EUR 49,999.00 available. Nothing was changed." in messages_of(response)


def test_cancelling_an_approved_request_releases_its_reservation(world, funds, login):
    fund_request = funds.approved(world, amount="3000.00")
    client = login(world.pm_a)
    response = client.post(action("cancel", fund_request), follow=True)
    fund_request.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert fund_request.status == RequestStatus.CANCELLED and funds.alloc_a.reserved == 0
    assert (
        "Your request “Spring trade fair” is cancelled; what it held reserved is available again."
        in messages_of(response)
    )
    assert_books_balance(funds.program)


def test_closing_an_approved_request_releases_what_it_did_not_use(world, funds, login):
    fund_request = funds.approved(world, amount="3000.00")
    claim = funds.claim(world, fund_request, amount="1000.00")
    services.claim_approve(claim=claim, actor=world.cm_a)
    client = login(world.pm_a)
    page = client.get(detail(fund_request)).content.decode()
    assert "Close the request" in page and "File a claim" in page
    client.post(action("close", fund_request))
    fund_request.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert fund_request.status == RequestStatus.CLOSED
    assert (fund_request.consumed, fund_request.released) == (D("1000.00"), D("2000.00"))
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (0, D("1000.00"))
    assert_books_balance(funds.program)


def test_closing_with_a_claim_waiting_is_refused_with_a_message(world, funds, login):
    fund_request = funds.approved(world, amount="3000.00")
    funds.claim(world, fund_request, amount="1000.00")
    client = login(world.pm_a)
    page = client.get(detail(fund_request)).content.decode()
    assert "Claims on this request wait for a decision; once they are decided" in page
    assert "Close the request" not in page
    response = client.post(action("close", fund_request), follow=True)
    fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.APPROVED
    assert any("Claims on this request wait for a decision" in m for m in messages_of(response))


def test_a_move_the_workflow_does_not_allow_is_a_message(world, funds, login):
    fund_request = funds.request(world, amount="1000.00")
    services.request_reject(request=fund_request, actor=world.cm_a, reason="Outside the programme's focus.")
    client = login(world.pm_a)
    page = client.get(detail(fund_request)).content.decode()
    assert "Outside the programme&#x27;s focus." in page and "Cancel the request" not in page
    response = client.post(action("cancel", fund_request), follow=True)
    fund_request.refresh_from_db()
    assert fund_request.status == RequestStatus.REJECTED
    assert "A fund request cannot go from “rejected” to “cancelled”. Nothing was changed." in messages_of(
        response
    )


# --- Comments and answers -------------------------------------------------------------------------


def test_manager_answers_the_channels_question(world, funds, login):
    fund_request = funds.request(world, amount="1000.00")
    services.info_request(request=fund_request, actor=world.cm_a, question="How many visitors do you expect?")
    client = login(world.pm_a)
    page = client.get(detail(fund_request))
    html = page.content.decode()
    assert "Your channel manager asks:" in html and "How many visitors do you expect?" in html
    assert "Send the answer" in html

    response = client.post(reverse("partner:fund_comment", args=[fund_request.pk]), {"body": "About 2,000."})

    assert response.status_code == 302 and response["Location"] == detail(fund_request) + "#comments"
    fund_request.refresh_from_db()
    answer = FundComment.objects.get(kind=CommentKind.ANSWER)
    assert (answer.body, answer.author, fund_request.info_requested) == ("About 2,000.", world.pm_a, False)
    assert "Your answer is sent; your channel manager can decide now." in messages_of(
        client.get(detail(fund_request))
    )


def test_the_request_page_points_to_a_question_about_one_of_its_claims(world, funds, login):
    fund_request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, fund_request)
    services.info_request(request=fund_request, actor=world.cm_a, question="Which fair?", claim=claim)
    html = login(world.pm_a).get(detail(fund_request)).content.decode()
    assert f"Your channel manager asked about claim {claim.reference}" in html
    assert f'href="{claim_detail(claim)}#comments"' in html


def test_an_empty_comment_is_refused_and_nothing_is_added(world, funds, login):
    fund_request = funds.request(world, amount="1000.00")
    response = login(world.pm_a).post(reverse("partner:fund_comment", args=[fund_request.pk]), {"body": "  "})
    assert response.status_code == 400
    assert "The comment was not added; see the errors below." in messages_of(response)
    assert response.context["comment_form"].errors["body"]
    assert not FundComment.objects.exists()


def test_manager_answers_a_question_about_a_claim(world, funds, login):
    fund_request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, fund_request)
    services.info_request(
        request=fund_request, actor=world.cm_a, question="Send the invoice too.", claim=claim
    )
    client = login(world.pm_a)
    assert "Send the invoice too." in client.get(claim_detail(claim)).content.decode()
    response = client.post(
        reverse("partner:fund_claim_comment", args=[claim.pk]), {"body": "Attached below."}
    )
    assert response["Location"] == claim_detail(claim) + "#comments"
    claim.refresh_from_db()
    assert not claim.info_requested
    assert FundComment.objects.get(kind=CommentKind.ANSWER).claim == claim


# --- Claims and proof files -----------------------------------------------------------------------


def test_manager_files_a_claim_with_several_proof_files(world, funds, login):
    fund_request = funds.approved(world, amount="3000.00")
    client = login(world.pm_a)
    url = reverse("partner:fund_claim_new", args=[fund_request.pk])
    form = client.get(url)
    assert form.status_code == 200 and "EUR 3,000.00" in form.content.decode()
    assert "multiple" in form.content.decode() and 'enctype="multipart/form-data"' in form.content.decode()

    response = client.post(
        url,
        {
            "amount": "1250.50",
            "description": "Booth and flyers",
            "actual_leads": "31",
            "results": "31 contacts",
            "files": [pdf("invoice.pdf"), png("booth.png")],
        },
    )

    claim = Claim.objects.get()
    assert response.status_code == 302 and response["Location"] == claim_detail(claim)
    assert (claim.amount, claim.status, claim.actual_leads, claim.submitted_by) == (
        D("1250.50"), ClaimStatus.SUBMITTED, 31, world.pm_a,
    )  # fmt: skip
    assert sorted(claim.proof_files.values_list("name", "content_type")) == [
        ("booth.png", "image/png"), ("invoice.pdf", "application/pdf"),
    ]  # fmt: skip
    page = client.get(response["Location"])
    assert (
        f"Your claim {claim.reference} for EUR 1,250.50 is filed with 2 proof files; your channel manager will decide."
        in messages_of(page)
    )
    html = page.content.decode()
    for proof in claim.proof_files.all():
        assert reverse("partner:fund_proof_download", args=[proof.pk]) in html


def test_a_fake_pdf_is_refused_with_a_message_and_nothing_is_stored(world, funds, login, settings):
    fund_request = funds.approved(world, amount="3000.00")
    before = media_files(settings)
    fake = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00 this is a program", content_type="application/pdf")
    response = login(world.pm_a).post(
        reverse("partner:fund_claim_new", args=[fund_request.pk]),
        {"amount": "100", "description": "Flyers", "files": [pdf("real.pdf"), fake]},
    )
    assert response.status_code == 400
    assert "The claim was not filed and no file was kept; see the errors below." in messages_of(response)
    errors = response.context["form"].errors["files"]
    assert len(errors) == 1 and errors[0].startswith("invoice.pdf: ")
    assert "invoice.pdf: " in response.content.decode()
    assert not Claim.objects.exists() and not ProofFile.objects.exists()
    assert media_files(settings) == before


def test_a_claim_without_files_or_above_what_remains_is_refused(world, funds, login):
    fund_request = funds.approved(world, amount="1000.00")
    client = login(world.pm_a)
    url = reverse("partner:fund_claim_new", args=[fund_request.pk])
    no_files = client.post(url, {"amount": "100", "description": "Flyers"})
    assert no_files.status_code == 400
    assert no_files.context["form"].errors["files"] == [
        "Attach proof of performance: at least one PDF, PNG or JPEG file."
    ]
    too_much = client.post(url, {"amount": "1000.01", "description": "Flyers", "files": [pdf()]})
    assert too_much.context["form"].errors["amount"] == [
        "At most EUR 1,000.00 remains of this request's approval."
    ]
    assert not Claim.objects.exists()


def test_claims_are_filed_on_approved_requests_only(world, funds, login):
    fund_request = funds.request(world, amount="1000.00")
    client = login(world.pm_a)
    url = reverse("partner:fund_claim_new", args=[fund_request.pk])
    response = client.post(url, {"amount": "100", "description": "x", "files": [pdf()]}, follow=True)
    assert "Claims are filed against approved requests only." in messages_of(response)
    assert "File a claim" not in client.get(detail(fund_request)).content.decode()
    assert not Claim.objects.exists()


def test_the_proof_download_is_an_attachment(world, funds, login):
    fund_request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, fund_request, files=[pdf("Invoice März.pdf")])
    proof = claim.proof_files.get()
    response = login(world.pm_a).get(reverse("partner:fund_proof_download", args=[proof.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PDF_BYTES


def test_a_paid_claim_shows_its_settlement(world, funds, login):
    fund_request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, fund_request, amount="400.00")
    services.claim_approve(claim=claim, actor=world.cm_a, amount="350.00")
    services.claim_pay(claim=claim, actor=world.cm_a, payment_reference="SEPA-2027-0042")
    html = login(world.pm_a).get(claim_detail(claim)).content.decode()
    assert "SEPA-2027-0042" in html and "Paid: EUR 350.00" in html and "EUR 400.00" in html


# --- Query counts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 20])
def test_request_detail_query_count_does_not_grow(world, funds, login, django_assert_num_queries, rows):
    fund_request = funds.approved(world, amount="2000.00")
    for n in range(rows):
        funds.claim(world, fund_request, amount="10.00")
        services.comment_add(request=fund_request, actor=world.pm_a, body=f"Note {n}")
    client = login(world.pm_a)
    # session, user, actor, the request (programme, partner, allocation joined), its claims, its
    # comments (authors joined), its return (leads by campaign code, paid claims)
    with django_assert_num_queries(8):
        response = client.get(detail(fund_request))
    assert len(response.context["claims"]) == rows and len(response.context["comments"]) == rows


@pytest.mark.parametrize("rows", [1, 10])
def test_claim_detail_query_count_does_not_grow(world, funds, login, django_assert_num_queries, rows):
    fund_request = funds.approved(world, amount="2000.00")
    claim = funds.claim(world, fund_request, files=[pdf(f"p{n}.pdf") for n in range(rows)])
    for n in range(rows):
        services.comment_add(request=fund_request, actor=world.pm_a, body=f"Note {n}", claim=claim)
    client = login(world.pm_a)
    # session, user, actor, the claim (programme, partner, request joined), its proof files, its
    # comments (authors joined)
    with django_assert_num_queries(6):
        response = client.get(claim_detail(claim))
    assert len(response.context["proof_files"]) == rows and len(response.context["comments"]) == rows
