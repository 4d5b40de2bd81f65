"""The MDF money model through its services: reservations, partial approvals, claims, payments,
releases, expiry, the second approval above the threshold, and the books after each."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from core.errors import InvalidTransition, NotAllowed
from mdf import services
from mdf.choices import ClaimStatus, RequestStatus
from mdf.models import FundAllocation, FundRequest, JournalEntry
from tests.mdf.conftest import assert_books_balance, pdf, png

D = Decimal


def test_allocations_post_from_the_budget(funds):
    assert funds.alloc_a.amount == D("50000.00")
    assert funds.alloc_a.available == D("50000.00")
    funds.program.refresh_from_db()
    assert funds.program.allocated_total == D("90000.00")
    assert_books_balance(funds.program)


def test_allocation_beyond_the_budget_is_refused(world, funds):
    with pytest.raises(services.Overspend, match="not allocated yet"):
        services.allocation_set(program=funds.program, partner=world.c, amount="40000.01", actor=world.admin)
    funds.alloc_c.refresh_from_db()
    assert funds.alloc_c.amount == D("30000.00")
    assert_books_balance(funds.program)


def test_allocation_cannot_go_below_what_is_committed(world, funds):
    funds.approved(world, amount="8000.00")
    with pytest.raises(services.Overspend, match="committed"):
        services.allocation_set(program=funds.program, partner=world.a, amount="7999.99", actor=world.admin)
    lowered = services.allocation_set(
        program=funds.program, partner=world.a, amount="8000.00", actor=world.admin
    )
    assert lowered.available == 0
    assert_books_balance(funds.program)


def test_only_admins_allocate(world, funds):
    with pytest.raises(NotAllowed):
        services.allocation_set(program=funds.program, partner=world.a, amount="1", actor=world.cm_a)


def test_request_approval_reserves_and_partial_approval_reserves_less(world, funds):
    request = funds.request(world, amount="5000.00")
    assert request.status == RequestStatus.SUBMITTED and request.campaign_code.startswith("MDF-")
    services.request_approve(request=request, actor=world.cm_a, amount="3000.00")
    request.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert (request.status, request.approved_amount) == (RequestStatus.APPROVED, D("3000.00"))
    assert (funds.alloc_a.reserved, funds.alloc_a.available) == (D("3000.00"), D("47000.00"))
    assert_books_balance(funds.program)


def test_approval_that_would_overspend_changes_nothing(world, funds):
    first = funds.request(world, allocation=funds.alloc_b, amount="6000.00")
    second = funds.request(world, allocation=funds.alloc_b, amount="6000.00")
    services.request_approve(request=first, actor=world.cm_a)
    before = JournalEntry.objects.count()
    with pytest.raises(services.Overspend, match="would overspend"):
        services.request_approve(request=second, actor=world.cm_a)
    second.refresh_from_db()
    funds.alloc_b.refresh_from_db()
    assert second.status == RequestStatus.SUBMITTED and second.approved_amount is None
    assert funds.alloc_b.reserved == D("6000.00") and JournalEntry.objects.count() == before
    assert_books_balance(funds.program)


def test_request_above_available_is_refused_at_submission(world, funds):
    with pytest.raises(ValidationError) as exc:
        funds.request(world, allocation=funds.alloc_b, amount="10000.01")
    assert "available" in str(exc.value.message_dict["amount"])
    assert not FundRequest.objects.exists()


@pytest.mark.parametrize("amount", ["-5", "0", "10.001", "abc", "1e3000"])
def test_invalid_amounts_are_refused(world, funds, amount):
    with pytest.raises(ValidationError):
        funds.request(world, amount=amount)
    assert not FundRequest.objects.exists()


def test_above_threshold_a_channel_manager_approval_waits_for_an_admin(world, funds):
    request = funds.request(world, amount="25000.00")
    services.request_approve(request=request, actor=world.cm_a)
    request.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert request.status == RequestStatus.SUBMITTED and request.awaiting_second_approval
    assert funds.alloc_a.reserved == 0
    with pytest.raises(ValidationError):
        services.request_approve(request=request, actor=world.cm_a)
    services.request_approve(request=request, actor=world.admin)
    request.refresh_from_db()
    assert (request.status, request.approved_amount) == (RequestStatus.APPROVED, D("25000.00"))
    assert_books_balance(funds.program)


def test_other_channel_manager_cannot_decide(world, funds):
    request = funds.request(world)
    with pytest.raises(NotAllowed):
        services.request_approve(request=request, actor=world.cm_c)
    with pytest.raises(NotAllowed):
        services.request_approve(request=request, actor=world.pm_a)


def test_reseller_manager_cannot_request_from_the_distributors_allocation(world, funds):
    with pytest.raises(NotAllowed):
        funds.request(world, allocation=funds.alloc_a, actor=world.pm_b)
    with pytest.raises(NotAllowed):
        funds.request(world, allocation=funds.alloc_b, actor=world.pm_a)
    with pytest.raises(NotAllowed):
        funds.request(world, allocation=funds.alloc_a, actor=world.pe_a)


def test_claim_approve_and_pay_move_the_money(world, funds):
    request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, request, amount="400.00", files=[pdf(), png()])
    assert claim.proof_files.count() == 2
    services.claim_approve(claim=claim, actor=world.cm_a, amount="300.00")
    funds.alloc_a.refresh_from_db()
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed) == (D("700.00"), D("300.00"))
    services.claim_pay(claim=claim, actor=world.cm_a, payment_reference="PAY-1")
    claim.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert claim.status == ClaimStatus.PAID and claim.settlement_method == "payment"
    assert (funds.alloc_a.claimed, funds.alloc_a.paid) == (0, D("300.00"))
    assert_books_balance(funds.program)


def test_claim_may_not_exceed_what_remains(world, funds):
    request = funds.approved(world, amount="1000.00")
    funds.claim(world, request, amount="600.00")
    with pytest.raises(ValidationError) as exc:
        funds.claim(world, request, amount="400.01")
    assert "400.00" in str(exc.value.message_dict["amount"])


def test_claim_needs_a_real_proof_file(world, funds):
    from django.core.files.uploadedfile import SimpleUploadedFile

    request = funds.approved(world)
    fake = SimpleUploadedFile("proof.pdf", b"<html><script>alert(1)</script></html>")
    with pytest.raises(ValidationError) as exc:
        funds.claim(world, request, files=[fake])
    assert "proof.pdf" in str(exc.value.message_dict["files"])
    with pytest.raises(ValidationError):
        services.claim_submit(actor=world.pm_a, request=request, amount="1", description="x", files=[])
    with pytest.raises(ValidationError, match="at most 10"):
        funds.claim(world, request, files=[pdf() for _ in range(11)])


def test_fully_consumed_request_closes(world, funds):
    request = funds.approved(world, amount="500.00")
    claim = funds.claim(world, request, amount="500.00")
    services.claim_approve(claim=claim, actor=world.cm_a)
    request.refresh_from_db()
    assert request.status == RequestStatus.CLOSED


def test_closing_releases_what_is_unused(world, funds):
    request = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, request, amount="400.00")
    with pytest.raises(ValidationError, match="wait for a decision"):
        services.request_close(request=request, actor=world.pm_a)
    services.claim_approve(claim=claim, actor=world.cm_a)
    services.request_close(request=request, actor=world.pm_a)
    request.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert (request.status, request.released) == (RequestStatus.CLOSED, D("600.00"))
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed, funds.alloc_a.available) == (
        0,
        D("400.00"),
        D("49600.00"),
    )
    assert_books_balance(funds.program)


def test_rejecting_needs_a_reason_and_reserves_nothing(world, funds):
    request = funds.request(world)
    with pytest.raises(ValidationError):
        services.request_reject(request=request, actor=world.cm_a, reason="  ")
    services.request_reject(request=request, actor=world.cm_a, reason="Not in our target market")
    request.refresh_from_db()
    assert request.status == RequestStatus.REJECTED
    with pytest.raises(InvalidTransition):
        services.request_approve(request=request, actor=world.admin)


def test_info_request_and_answer(world, funds):
    request = funds.request(world)
    services.info_request(request=request, actor=world.cm_a, question="Which fair?")
    request.refresh_from_db()
    assert request.info_requested
    comment = services.comment_add(request=request, actor=world.pm_a, body="Hannover Messe")
    request.refresh_from_db()
    assert comment.kind == "answer" and not request.info_requested


def test_expiry_releases_reservations_keeps_waiting_claims_and_expires_the_rest(world, funds):
    waiting = funds.approved(world, amount="1000.00")
    claim = funds.claim(world, waiting, amount="300.00")
    idle = funds.approved(world, amount="2000.00")
    draft = funds.request(world, submit=False)
    services.program_close(program=funds.program, actor=None)
    for obj in (waiting, idle, draft):
        obj.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert idle.status == RequestStatus.CLOSED and idle.released == D("2000.00")
    assert draft.status == RequestStatus.CANCELLED
    assert waiting.status == RequestStatus.APPROVED and waiting.reserved_now == D("300.00")
    assert funds.alloc_a.reserved == D("300.00") and funds.alloc_a.available == 0
    assert funds.alloc_a.expired == D("49700.00")
    assert_books_balance(funds.program)
    # The claim filed in time is still decided; the request then closes.
    services.claim_approve(claim=claim, actor=world.cm_a, amount="250.00")
    waiting.refresh_from_db()
    funds.alloc_a.refresh_from_db()
    assert waiting.status == RequestStatus.CLOSED
    assert (funds.alloc_a.reserved, funds.alloc_a.claimed, funds.alloc_a.available) == (0, D("250.00"), 0)
    assert_books_balance(funds.program)
    # Closing again changes nothing.
    count = JournalEntry.objects.count()
    services.program_close(program=funds.program, actor=None)
    assert JournalEntry.objects.count() == count


def test_programs_past_their_deadline_expire(world, funds):
    later = funds.program.claim_deadline + timedelta(days=1)
    assert services.programs_expire_due(today=funds.program.claim_deadline) == 0
    assert services.programs_expire_due(today=later) == 1
    funds.program.refresh_from_db()
    assert funds.program.status == "closed"


def test_reminders_go_once_at_30_and_7_days(world, funds, mailoutbox, django_capture_on_commit_callbacks):
    deadline = funds.program.claim_deadline
    assert services.reminders_send(today=deadline - timedelta(days=31)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_send(today=deadline - timedelta(days=30)) == 3
    assert services.reminders_send(today=deadline - timedelta(days=29)) == 0
    assert services.reminders_send(today=deadline - timedelta(days=7)) == 3
    assert any("claim deadline in 30 days" in m.subject for m in mailoutbox)
    assert {m.to[0] for m in mailoutbox} == {world.pm_a.email, world.pm_b.email, world.pm_c.email}


def test_tier_share_allocation_never_exceeds_the_budget(world, funds):
    world.gold.mdf_share = D("60")
    world.gold.save()
    world.silver.mdf_share = D("70")
    world.silver.save()
    run = services.allocations_by_tier_share(program=funds.program, actor=world.admin)
    assert run.set >= 1
    funds.program.refresh_from_db()
    assert funds.program.allocated_total <= funds.program.budget
    assert_books_balance(funds.program)


def test_journal_lines_cannot_be_changed(world, funds):
    line = JournalEntry.objects.first()
    with pytest.raises((DatabaseError, IntegrityError)), transaction.atomic():
        JournalEntry.objects.filter(pk=line.pk).update(memo="tampered")


def test_database_refuses_an_overspent_allocation(world, funds):
    with pytest.raises(IntegrityError), transaction.atomic():
        FundAllocation.objects.filter(pk=funds.alloc_b.pk).update(reserved=D("10000.01"))


def test_campaign_code_must_be_unique(world, funds):
    funds.request(world, campaign_code="SPRING-27")
    with pytest.raises(ValidationError) as exc:
        funds.request(world, campaign_code="spring-27")
    assert "campaign_code" in exc.value.message_dict


def test_request_ending_after_the_claim_deadline_is_refused(world, funds):
    with pytest.raises(ValidationError) as exc:
        funds.request(world, ends_on=funds.program.claim_deadline + timedelta(days=1))
    assert "ends_on" in exc.value.message_dict


def test_pay_needs_a_reference(world, funds):
    request = funds.approved(world)
    claim = funds.claim(world, request)
    services.claim_approve(claim=claim, actor=world.cm_a)
    with pytest.raises(ValidationError):
        services.claim_pay(claim=claim, actor=world.cm_a)
    services.claim_pay(
        claim=claim, actor=world.admin, credit_note_number="CN-9", paid_on=timezone.localdate()
    )
    claim.refresh_from_db()
    assert claim.settlement_method == "credit_note"
