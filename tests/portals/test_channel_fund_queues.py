"""Channel portal: MDF approval queues, the request and claim decision pages (approve in full or in
part, reject with a reason, ask for information, comment, second approval), proof downloads and
settlement (single and bulk payment)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from mdf import services
from mdf.choices import ClaimStatus, CommentKind, RequestStatus
from mdf.models import Claim, FundAllocation, FundComment, FundRequest, JournalEntry
from portals.channel import fund_queues
from tests.mdf.conftest import assert_books_balance

pytestmark = pytest.mark.django_db

D = Decimal
QUEUE = "/channel/funds/"
SETTLEMENT = "/channel/funds/settlement/"


def url(name: str, obj) -> str:
    return reverse(f"channel:{name}", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def request_state(r: FundRequest) -> tuple:
    r.refresh_from_db()
    return (r.status, r.approved_amount, r.first_approved_by_id, r.reject_reason, r.info_requested)


def claim_state(c: Claim) -> tuple:
    c.refresh_from_db()
    return (c.status, c.approved_amount, c.first_approved_by_id, c.reject_reason, c.payment_reference)


def books(allocation: FundAllocation) -> tuple:
    allocation.refresh_from_db()
    return (allocation.reserved, allocation.claimed, allocation.paid, JournalEntry.objects.count())


# --- The queues -----------------------------------------------------------------------------------


def test_queue_lists_the_managers_waiting_requests_and_claims_oldest_first(world, funds, login):
    older = funds.request(world, title="Older fair", amount="1200.00")
    newer = funds.request(world, allocation=funds.alloc_b, title="Beta webinar", amount="800.00")
    funds.request(world, allocation=funds.alloc_c, title="Gamma print run")
    approved = funds.approved(world, title="Done fair")
    claim = funds.claim(world, approved, amount="400.00")
    response = login(world.cm_a).get(QUEUE)
    assert response.status_code == 200
    assert [r.pk for r in response.context["requests"].items] == [older.pk, newer.pk]
    assert [c.pk for c in response.context["claims"].items] == [claim.pk]
    assert response.context["request_total"] == {"count": 2, "more": False}
    body = response.content.decode()
    assert "<title>Funds · OpenPCM</title>" in body
    assert "Older fair" in body and "Beta Resale" in body and "EUR 1,200.00" in body
    assert "Gamma print run" not in body  # cm_a does not manage Gamma
    assert reverse("channel:fund_program_list") in body and SETTLEMENT in body


def test_queue_flags_info_requested_and_second_approvals(world, funds, login):
    asked = funds.request(world, title="Asked fair")
    services.info_request(request=asked, actor=world.cm_a, question="Which hall?")
    big = funds.request(world, title="Big campaign", amount="25000.00")
    services.request_approve(request=big, actor=world.cm_a)
    manager_body = login(world.cm_a).get(QUEUE).content.decode()
    assert "info requested" in manager_body
    assert "awaiting second approval" in manager_body and "needs your approval" not in manager_body
    admin = login(world.admin)
    assert "needs your approval" in admin.get(QUEUE).content.decode()
    only_second = admin.get(QUEUE + "?show=second")
    assert [r.pk for r in only_second.context["requests"].items] == [big.pk]


def test_queue_empty_states(world, funds, login):
    body = login(world.cm_a).get(QUEUE).content.decode()
    assert "No fund request is waiting for a decision." in body
    assert "No claim is waiting for a decision." in body


def test_queue_pages_by_keyset(world, funds, login, monkeypatch):
    monkeypatch.setattr(fund_queues, "QUEUE_SIZE", 2)
    made = [funds.request(world, title=f"Fair {n}", amount="100.00") for n in range(3)]
    client = login(world.admin)
    first = client.get(QUEUE)
    assert [r.pk for r in first.context["requests"].items] == [made[0].pk, made[1].pk]
    second = client.get(QUEUE + f"?requests_after={first.context['requests'].next_cursor}")
    assert [r.pk for r in second.context["requests"].items] == [made[2].pk]
    broken = client.get(QUEUE + "?requests_after=nonsense")
    assert [r.pk for r in broken.context["requests"].items] == [made[0].pk, made[1].pk]
    assert any("no longer valid" in m for m in messages_of(broken))


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
@pytest.mark.parametrize("count", [1, 20])
def test_queue_queries_do_not_grow_with_rows(world, funds, login, django_assert_num_queries, persona, count):
    for n in range(count):
        request = funds.request(world, allocation=funds.alloc_b if n % 2 else funds.alloc_a, amount="100.00")
        approved = funds.approved(world, amount="50.00")
        funds.claim(world, approved, amount="10.00")
        assert request.status == RequestStatus.SUBMITTED
    client = login(getattr(world, persona))
    # session, user, actor, requests waiting (capped count), page of requests, claims waiting
    # (capped count), page of claims = 7; for a channel manager also their partners' ids (read once
    # for the page's four scoped queries) = 8
    with django_assert_num_queries(7 if persona == "admin" else 8):
        response = client.get(QUEUE)
    shown = min(count, fund_queues.QUEUE_SIZE)
    assert len(response.context["requests"].items) == shown
    assert len(response.context["claims"].items) == shown


@pytest.mark.parametrize("persona", ["pm_a", "pe_a"])
def test_partner_users_get_403_on_every_channel_funds_page(world, funds, login, persona):
    request = funds.request(world)
    approved = funds.approved(world)
    claim = funds.claim(world, approved)
    proof = claim.proof_files.get()
    client = login(getattr(world, persona))
    before = (request_state(request), claim_state(claim))
    for page in (QUEUE, SETTLEMENT, url("fund_request_detail", request), url("fund_claim_detail", claim),
                 url("fund_proof_download", proof)):  # fmt: skip
        assert client.get(page).status_code == 403, page
    assert client.post(url("fund_request_approve", request), {}).status_code == 403
    assert client.post(url("fund_request_reject", request), {"reason": "x"}).status_code == 403
    assert client.post(url("fund_claim_approve", claim), {}).status_code == 403
    assert (
        client.post(
            reverse("channel:fund_settlement_pay"), {"claims": [claim.pk], "payment_reference": "X"}
        ).status_code
        == 403
    )
    assert (request_state(request), claim_state(claim)) == before


def test_another_channel_managers_partner_answers_404(world, funds, login):
    request = funds.request(world)
    approved = funds.approved(world)
    claim = funds.claim(world, approved)
    client = login(world.cm_c)
    before = (request_state(request), claim_state(claim))
    assert client.get(url("fund_request_detail", request)).status_code == 404
    assert client.get(url("fund_claim_detail", claim)).status_code == 404
    assert client.post(url("fund_request_approve", request), {}).status_code == 404
    assert client.post(url("fund_request_reject", request), {"reason": "no"}).status_code == 404
    assert client.post(url("fund_request_info", request), {"question": "?"}).status_code == 404
    assert client.post(url("fund_claim_approve", claim), {}).status_code == 404
    assert client.post(url("fund_claim_pay", claim), {"payment_reference": "X"}).status_code == 404
    assert (request_state(request), claim_state(claim)) == before


def test_state_changes_answer_only_post(world, funds, login):
    request = funds.request(world)
    assert login(world.admin).get(url("fund_request_approve", request)).status_code == 405
    assert login(world.admin).get(reverse("channel:fund_settlement_pay")).status_code == 405
    assert request_state(request)[0] == RequestStatus.SUBMITTED


# --- Deciding a request ---------------------------------------------------------------------------


def test_request_page_shows_everything_needed_to_decide(world, funds, login):
    earlier = funds.approved(world, title="Earlier fair", amount="2000.00")
    funds.claim(world, earlier, amount="500.00")
    request = funds.request(
        world, title="Autumn roadshow", amount="3000.00", expected_leads=40, expected_revenue="90000.00",
        campaign_code="ROADSHOW-27", description="Five cities",
    )  # fmt: skip
    services.comment_add(request=request, actor=world.pm_a, body="Happy to share the agenda.")
    response = login(world.cm_a).get(url("fund_request_detail", request))
    assert response.status_code == 200
    body = response.content.decode()
    for text in ("Autumn roadshow", "Trade show", "ROADSHOW-27", "Five cities", "EUR 3,000.00", "EUR 90,000.00",
                 "40", "Earlier fair", "CLM-", "Happy to share the agenda.", "Approve", "Ask for information",
                 "Reject"):  # fmt: skip
        assert text in body, text
    # Allocation left: 50,000 allocated, 2,000 reserved by the earlier approval.
    assert "EUR 48,000.00" in body and "EUR 50,000.00" in body
    assert [r.pk for r in response.context["history_requests"]] == [earlier.pk]
    assert "Funds" in [label for label, _ in response.context["breadcrumbs"]]


def test_approve_in_full_reserves_the_amount(world, funds, login):
    request = funds.request(world, amount="1500.00")
    response = login(world.cm_a).post(url("fund_request_approve", request), {"amount": ""}, follow=True)
    assert any("approved: EUR 1,500.00 reserved" in m for m in messages_of(response))
    assert request_state(request)[:2] == (RequestStatus.APPROVED, D("1500.00"))
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == D("1500.00")
    assert_books_balance(funds.program)


def test_approve_in_part_reserves_the_smaller_amount(world, funds, login):
    request = funds.request(world, amount="1500.00")
    login(world.cm_a).post(url("fund_request_approve", request), {"amount": "900.50"})
    assert request_state(request)[:2] == (RequestStatus.APPROVED, D("900.50"))
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == D("900.50")
    assert_books_balance(funds.program)


@pytest.mark.parametrize(
    ("amount", "error"),
    [
        ("1500.01", "Approve at most"),
        ("10.001", "decimal places"),
        ("-5", "greater than or equal"),
        ("abc", "number"),
    ],
)
def test_bad_approval_amount_is_a_form_error_and_changes_nothing(world, funds, login, amount, error):
    request = funds.request(world, amount="1500.00")
    before = (request_state(request), books(funds.alloc_a))
    response = login(world.cm_a).post(url("fund_request_approve", request), {"amount": amount})
    assert response.status_code == 400
    assert error in str(response.context["approve_form"].errors["amount"])
    assert (request_state(request), books(funds.alloc_a)) == before


def test_approval_that_would_overspend_says_so_and_changes_nothing(world, funds, login):
    first = funds.request(world, allocation=funds.alloc_b, amount="6000.00")
    second = funds.request(world, allocation=funds.alloc_b, amount="6000.00")
    client = login(world.cm_a)
    client.post(url("fund_request_approve", first), {})
    before = (request_state(second), books(funds.alloc_b))
    page = client.get(url("fund_request_detail", second)).content.decode()
    assert "would overspend the allocation" in page
    response = client.post(url("fund_request_approve", second), {}, follow=True)
    assert any("would overspend" in m for m in messages_of(response))
    assert (request_state(second), books(funds.alloc_b)) == before
    assert_books_balance(funds.program)


def test_reject_needs_a_reason(world, funds, login):
    request = funds.request(world)
    before = request_state(request)
    response = login(world.cm_a).post(url("fund_request_reject", request), {"reason": "  "})
    assert response.status_code == 400
    assert response.context["reject_form"].errors["reason"]
    assert request_state(request) == before


def test_reject_with_a_reason(world, funds, login):
    request = funds.request(world)
    response = login(world.cm_a).post(
        url("fund_request_reject", request), {"reason": "Outside the programme's focus"}, follow=True
    )
    assert any("rejected" in m for m in messages_of(response))
    assert request_state(request)[0] == RequestStatus.REJECTED
    assert "Outside the programme&#x27;s focus" in response.content.decode()
    # Decided: nothing left to decide on the page.
    assert response.context["approve_form"] is None and response.context["reject_form"] is None


def test_ask_for_information_marks_the_request_and_adds_the_question(world, funds, login):
    request = funds.request(world)
    response = login(world.cm_a).post(
        url("fund_request_info", request), {"question": "Which hall will you be in?"}, follow=True
    )
    assert any("Question sent" in m for m in messages_of(response))
    state = request_state(request)
    assert state[0] == RequestStatus.SUBMITTED and state[4] is True
    comment = FundComment.objects.get(request=request)
    assert (comment.kind, comment.body, comment.author_id) == (
        CommentKind.INFO_REQUEST,
        "Which hall will you be in?",
        world.cm_a.pk,
    )
    assert "Which hall will you be in?" in response.content.decode()


def test_empty_question_is_refused(world, funds, login):
    request = funds.request(world)
    response = login(world.cm_a).post(url("fund_request_info", request), {"question": ""})
    assert response.status_code == 400 and response.context["info_form"].errors["question"]
    assert not FundComment.objects.exists() and request_state(request)[4] is False


def test_comment_on_a_request(world, funds, login):
    request = funds.request(world)
    response = login(world.admin).post(
        url("fund_request_comment", request), {"body": "Looks good."}, follow=True
    )
    assert any("Comment added" in m for m in messages_of(response))
    assert FundComment.objects.get(request=request).body == "Looks good."
    assert "Looks good." in response.content.decode()


def test_second_approval_channel_manager_then_channel_admin(world, funds, login):
    request = funds.request(world, amount="25000.00")
    manager = login(world.cm_a)
    response = manager.post(url("fund_request_approve", request), {}, follow=True)
    assert any("now waits for a channel admin" in m for m in messages_of(response))
    status, approved, first_by, _, _ = request_state(request)
    assert (status, approved, first_by) == (RequestStatus.SUBMITTED, None, world.cm_a.pk)
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == 0
    # The manager cannot approve a second time: no form, and a POST changes nothing.
    assert response.context["approve_form"] is None
    again = manager.post(url("fund_request_approve", request), {}, follow=True)
    assert any("waits for a channel admin" in m for m in messages_of(again))
    assert request_state(request)[0] == RequestStatus.SUBMITTED

    admin = login(world.admin)
    page = admin.get(url("fund_request_detail", request)).content.decode()
    assert "First approved by" in page and "EUR 25,000.00" in page and "your approval completes it" in page
    response = admin.post(url("fund_request_approve", request), {}, follow=True)
    assert any("approved: EUR 25,000.00 reserved" in m for m in messages_of(response))
    assert request_state(request)[:2] == (RequestStatus.APPROVED, D("25000.00"))
    assert_books_balance(funds.program)


@pytest.mark.parametrize(("persona", "queries"), [("admin", 7), ("cm_a", 9)])
@pytest.mark.parametrize("count", [1, 20])
def test_request_page_queries_do_not_grow_with_history(
    world, funds, login, django_assert_num_queries, count, persona, queries
):
    for n in range(count):
        earlier = funds.approved(world, title=f"Fair {n}", amount="100.00")
        funds.claim(world, earlier, amount="10.00")
        services.comment_add(request=earlier, actor=world.pm_a, body=f"Note {n}")
    request = funds.request(world, amount="500.00")
    for n in range(count):
        services.comment_add(request=request, actor=world.pm_a if n % 2 else world.cm_a, body=f"Comment {n}")
    client = login(getattr(world, persona))
    # session, user, actor, the request (programme, partner, allocation, people joined), the
    # partner's latest requests, its latest claims, the comments (authors joined) = 7; for a channel
    # manager, their partners' ids and whether they manage the partner = 9
    with django_assert_num_queries(queries):
        response = client.get(url("fund_request_detail", request))
    assert len(response.context["history_requests"]) == min(count, 10)
    assert len(response.context["comments"]) == count


# --- Deciding a claim -----------------------------------------------------------------------------


@pytest.fixture
def claim(world, funds):
    request = funds.approved(world, title="Spring fair", amount="1000.00")
    return funds.claim(world, request, amount="400.00")


def test_claim_page_shows_the_claim_request_and_proof(world, funds, login, claim):
    response = login(world.cm_a).get(url("fund_claim_detail", claim))
    assert response.status_code == 200
    body = response.content.decode()
    proof = claim.proof_files.get()
    assert "Booth, flyers" in body and "EUR 400.00" in body and "Spring fair" in body
    assert reverse("channel:fund_proof_download", args=[proof.pk]) in body and "invoice.pdf" in body
    # The request's reservation: 1,000 approved, nothing claimed yet.
    assert "Remains reserved" in body and "EUR 1,000.00" in body


def test_claim_approve_in_full(world, funds, login, claim):
    response = login(world.cm_a).post(url("fund_claim_approve", claim), {}, follow=True)
    assert any("approved for EUR 400.00" in m for m in messages_of(response))
    assert claim_state(claim)[:2] == (ClaimStatus.APPROVED, D("400.00"))
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (D("600.00"), D("400.00"))
    assert_books_balance(funds.program)


def test_claim_approve_in_part(world, funds, login, claim):
    login(world.cm_a).post(url("fund_claim_approve", claim), {"amount": "250.00"})
    assert claim_state(claim)[:2] == (ClaimStatus.APPROVED, D("250.00"))
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.claimed == D("250.00")
    assert_books_balance(funds.program)


def test_claim_approve_above_the_claimed_amount_changes_nothing(world, funds, login, claim):
    before = (claim_state(claim), books(funds.alloc_a))
    response = login(world.cm_a).post(url("fund_claim_approve", claim), {"amount": "400.01"})
    assert response.status_code == 400 and "Approve at most" in str(response.context["approve_form"].errors)
    assert (claim_state(claim), books(funds.alloc_a)) == before


def test_claim_reject_needs_a_reason_then_rejects(world, funds, login, claim):
    client = login(world.cm_a)
    before = claim_state(claim)
    assert client.post(url("fund_claim_reject", claim), {"reason": ""}).status_code == 400
    assert claim_state(claim) == before
    response = client.post(url("fund_claim_reject", claim), {"reason": "No photos of the booth"}, follow=True)
    assert any("rejected" in m for m in messages_of(response))
    assert claim_state(claim)[0] == ClaimStatus.REJECTED
    funds.alloc_a.refresh_from_db()
    assert funds.alloc_a.reserved == D("1000.00")  # the request keeps its reservation


def test_claim_info_request_and_comment(world, funds, login, claim):
    client = login(world.cm_a)
    client.post(url("fund_claim_info", claim), {"question": "Send the invoice, please."})
    claim.refresh_from_db()
    assert claim.info_requested is True
    client.post(url("fund_claim_comment", claim), {"body": "Thanks."})
    kinds = list(FundComment.objects.filter(claim=claim).values_list("kind", "body"))
    assert kinds == [
        (CommentKind.INFO_REQUEST, "Send the invoice, please."),
        (CommentKind.COMMENT, "Thanks."),
    ]
    body = client.get(QUEUE).content.decode()
    assert "info requested" in body


def test_claim_second_approval_above_the_threshold(world, funds, login):
    request = funds.approved(world, amount="30000.00")
    big = funds.claim(world, request, amount="21000.00")
    response = login(world.cm_a).post(url("fund_claim_approve", big), {}, follow=True)
    assert any("now waits for a channel admin" in m for m in messages_of(response))
    assert claim_state(big)[:3] == (ClaimStatus.SUBMITTED, None, world.cm_a.pk)
    login(world.admin).post(url("fund_claim_approve", big), {})
    assert claim_state(big)[:2] == (ClaimStatus.APPROVED, D("21000.00"))
    assert_books_balance(funds.program)


def test_mark_a_claim_paid_with_a_payment_reference(world, funds, login, claim):
    client = login(world.cm_a)
    client.post(url("fund_claim_approve", claim), {})
    yesterday = timezone.localdate() - timedelta(days=1)
    response = client.post(
        url("fund_claim_pay", claim), {"payment_reference": "BANK-2027-001", "paid_on": yesterday.isoformat()},
        follow=True,
    )  # fmt: skip
    assert any("marked paid: EUR 400.00" in m for m in messages_of(response))
    claim.refresh_from_db()
    assert (claim.status, claim.payment_reference, claim.paid_on) == (
        ClaimStatus.PAID,
        "BANK-2027-001",
        yesterday,
    )
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.claimed, funds.alloc_a.paid) == (0, D("400.00"))
    assert_books_balance(funds.program)


def test_mark_a_claim_paid_by_credit_note(world, funds, login, claim):
    client = login(world.admin)
    client.post(url("fund_claim_approve", claim), {})
    client.post(url("fund_claim_pay", claim), {"credit_note_number": "CN-77"})
    claim.refresh_from_db()
    assert (claim.status, claim.credit_note_number, claim.settlement_method) == (
        ClaimStatus.PAID,
        "CN-77",
        "credit_note",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [({}, "payment_reference"), ({"payment_reference": "X", "paid_on": "2999-01-01"}, "paid_on")],
)
def test_paying_needs_a_reference_and_a_date_not_in_the_future(world, funds, login, claim, data, field):
    client = login(world.cm_a)
    client.post(url("fund_claim_approve", claim), {})
    before = (claim_state(claim), books(funds.alloc_a))
    response = client.post(url("fund_claim_pay", claim), data)
    assert response.status_code == 400 and response.context["pay_form"].errors[field]
    assert (claim_state(claim), books(funds.alloc_a)) == before


def test_paying_a_claim_not_approved_is_a_message(world, funds, login, claim):
    response = login(world.cm_a).post(url("fund_claim_pay", claim), {"payment_reference": "X"}, follow=True)
    assert any("cannot go from" in m for m in messages_of(response))
    assert claim_state(claim)[0] == ClaimStatus.SUBMITTED


@pytest.mark.parametrize(("persona", "queries"), [("admin", 7), ("cm_a", 9)])
@pytest.mark.parametrize("count", [1, 20])
def test_claim_page_queries_do_not_grow_with_rows(
    world, funds, login, django_assert_num_queries, count, persona, queries
):
    request = funds.approved(world, amount="5000.00")
    claims = [funds.claim(world, request, amount="10.00") for _ in range(count)]
    for n in range(count):
        services.comment_add(request=request, actor=world.cm_a, body=f"Note {n}", claim=claims[-1])
    client = login(getattr(world, persona))
    # session, user, actor, the claim (programme, partner, request, allocation, people joined), the
    # request's other claims, the proof files, the comments (authors joined) = 7; for a channel
    # manager, their partners' ids and whether they manage the partner = 9
    with django_assert_num_queries(queries):
        response = client.get(url("fund_claim_detail", claims[-1]))
    assert len(response.context["comments"]) == count


# --- Proof downloads ------------------------------------------------------------------------------


def test_proof_downloads_as_an_attachment(world, funds, login, claim):
    proof = claim.proof_files.get()
    response = login(world.cm_a).get(url("fund_proof_download", proof))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert "invoice.pdf" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_proof_of_another_managers_partner_answers_404(world, funds, login, claim):
    proof = claim.proof_files.get()
    assert login(world.cm_c).get(url("fund_proof_download", proof)).status_code == 404
    assert login(world.admin).get(url("fund_proof_download", proof)).status_code == 200


# --- Settlement -----------------------------------------------------------------------------------


def approved_claims(world, funds, count: int, amount: str = "10.00") -> list[Claim]:
    request = funds.approved(world, amount="5000.00")
    claims = [funds.claim(world, request, amount=amount) for _ in range(count)]
    return [services.claim_approve(claim=c, actor=world.admin) for c in claims]


def test_settlement_lists_approved_claims_oldest_decision_first(world, funds, login):
    first, second = approved_claims(world, funds, 2)
    waiting = funds.claim(world, funds.approved(world), amount="5.00")  # not approved yet
    response = login(world.cm_a).get(SETTLEMENT)
    assert response.status_code == 200
    assert [c.pk for c in response.context["page"].items] == [first.pk, second.pk]
    body = response.content.decode()
    assert f'name="claims" value="{first.pk}"' in body and f'value="{waiting.pk}"' not in body
    assert login(world.cm_c).get(SETTLEMENT).context["page"].items == []
    assert "No approved claim is waiting for payment." in login(world.cm_c).get(SETTLEMENT).content.decode()


def test_bulk_payment_marks_the_ticked_claims_paid(world, funds, login):
    first, second, third = approved_claims(world, funds, 3)
    response = login(world.cm_a).post(
        reverse("channel:fund_settlement_pay"),
        {"claims": [first.pk, third.pk], "payment_reference": "BATCH-9"},
        follow=True,
    )
    assert any("2 claims marked paid with reference BATCH-9" in m for m in messages_of(response))
    assert [c.pk for c in response.context["page"].items] == [second.pk]
    assert claim_state(first)[::4] == (ClaimStatus.PAID, "BATCH-9")
    assert claim_state(third)[::4] == (ClaimStatus.PAID, "BATCH-9")
    assert claim_state(second)[0] == ClaimStatus.APPROVED
    assert_books_balance(funds.program)


def test_bulk_payment_reports_claims_no_longer_waiting_or_out_of_scope(world, funds, login):
    (mine,) = approved_claims(world, funds, 1)
    gamma = services.claim_approve(
        claim=funds.claim(world, funds.approved(world, allocation=funds.alloc_c)), actor=world.admin
    )
    response = login(world.cm_a).post(
        reverse("channel:fund_settlement_pay"),
        {"claims": [mine.pk, gamma.pk], "payment_reference": "BATCH-1"},
        follow=True,
    )
    texts = messages_of(response)
    assert any("1 claim marked paid" in m for m in texts)
    assert any("no longer wait" in m for m in texts)
    assert claim_state(mine)[0] == ClaimStatus.PAID and claim_state(gamma)[0] == ClaimStatus.APPROVED


@pytest.mark.parametrize(
    "data",
    [{"payment_reference": "X"}, {"claims": ["abc"], "payment_reference": "X"}, {"claims": ["1"]},
     {"claims": ["1"], "payment_reference": "X", "paid_on": "2999-01-01"}],
)  # fmt: skip
def test_bad_bulk_payment_is_a_message_and_changes_nothing(world, funds, login, data):
    (claim,) = approved_claims(world, funds, 1)
    data = {k: ([str(claim.pk)] if k == "claims" and v == ["1"] else v) for k, v in data.items()}
    before = (claim_state(claim), books(funds.alloc_a))
    response = login(world.cm_a).post(reverse("channel:fund_settlement_pay"), data, follow=True)
    assert response.redirect_chain[-1][0] == SETTLEMENT
    assert any(m for m in messages_of(response))
    assert (claim_state(claim), books(funds.alloc_a)) == before


@pytest.mark.parametrize("persona", ["admin", "cm_a"])
@pytest.mark.parametrize("count", [1, 20])
def test_settlement_queries_do_not_grow_with_rows(
    world, funds, login, django_assert_num_queries, persona, count
):
    approved_claims(world, funds, count)
    client = login(getattr(world, persona))
    # session, user, actor, claims waiting (capped count), page of claims (programme, partner,
    # request joined) = 5; for a channel manager also their partners' ids = 6
    with django_assert_num_queries(5 if persona == "admin" else 6):
        response = client.get(SETTLEMENT)
    assert len(response.context["page"].items) == count
