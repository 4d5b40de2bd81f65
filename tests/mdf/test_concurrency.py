"""Budgets hold under concurrent approvals (issue 5, "Performance and correctness"), on PostgreSQL.

Many threads, each with its own database connection, approve against one allocation at the same
moment through the real services: never more is approved than allocated, the journal balances, and
the allocation's figures equal the journal's.

How these tests fail without the protection: `request_approve` reads the allocation, checks
`approved <= available` and adds to `reserved`. Without the row lock (`select_for_update`) every
thread reads the same untouched allocation and passes the check (DESIGN.md measured a read-check-save
approving all 60 of 60); then either `reserved` is written as an absolute value and updates are lost
(the books no longer match the journal, and far more than 33 requests are approved:
`test_a_read_check_save_without_the_lock_approves_everything` shows it), or it is written as
`reserved + x` and the CHECK constraint `allocation_available_not_negative` refuses the excess with an
IntegrityError (`test_without_the_lock_the_check_constraint_still_refuses_the_excess`) — a 500 instead
of a clear 409 for the approver, but still no overspend. (Checked: with `QuerySet.select_for_update`
patched to do nothing, the 100-approval test fails with 67 IntegrityErrors where Overspend belongs.)

PostgreSQL's `max_connections` is shared by everyone on the server (100 by default, a few reserved), so
the threads hold at most as many connections at once as the server has free; all 100 threads still
run, each with its own connection, closed when the thread ends.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from core.errors import InvalidTransition
from core.models import User
from mdf import services
from mdf.choices import ClaimStatus, Movement, RequestStatus
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest, JournalEntry
from tests.factories import PartnerFactory
from tests.mdf.conftest import assert_books_balance, make_funds, pdf

D = Decimal
THREADS = 100
JOIN_SECONDS = 120

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only(on_postgres, settings, tmp_path):
    if not on_postgres:
        pytest.skip(
            "needs PostgreSQL: concurrent transactions need a server (SQLite in memory is one connection)"
        )
    settings.MEDIA_ROOT = tmp_path / "media"


def free_connections(margin: int = 6) -> int:
    """How many more connections this server takes now, keeping a margin for everyone else."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('max_connections')::int"
            " - current_setting('superuser_reserved_connections')::int"
            " - (SELECT count(*) FROM pg_stat_activity)"
        )
        return int(cursor.fetchone()[0]) - margin


def run_concurrently(jobs: list[Callable[[], Any]], *, at_least: int = 20) -> list[Any]:
    """Run each job in its own thread with its own connection, released together (as many at once as
    the server has connections for, and `at_least` that many); returns each job's result or the
    exception it raised."""
    slots = min(len(jobs), free_connections())
    if slots < at_least:
        pytest.skip(f"only {slots} free connections on the PostgreSQL server; {at_least} needed at once")
    gate = threading.BoundedSemaphore(slots)
    ready = threading.Semaphore(0)
    go = threading.Event()
    results: list[Any] = [None] * len(jobs)

    def work(index: int, job: Callable[[], Any]) -> None:
        with gate:
            try:
                connection.ensure_connection()
                ready.release()
                go.wait(JOIN_SECONDS)
                results[index] = job()
            except Exception as exc:  # the result under test: Overspend, IntegrityError, …
                results[index] = exc
            finally:
                connection.close()

    threads = [threading.Thread(target=work, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for _ in range(slots):  # the first `slots` threads are connected and waiting: start them at once
        assert ready.acquire(timeout=JOIN_SECONDS)
    go.set()
    for thread in threads:
        thread.join(JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread hangs (a deadlock?)"
    return results


def kinds(results: list[Any]) -> Counter[str]:
    return Counter("ok" if not isinstance(r, Exception) else type(r).__name__ for r in results)


def unexpected(results: list[Any], *allowed: type[Exception]) -> list[Exception]:
    return [r for r in results if isinstance(r, Exception) and not isinstance(r, allowed)]


@pytest.fixture
def one_allocation(world):
    """Partner A holds 100,000 of a 200,000 budget, and submitted 100 requests of 3,000 each."""
    funds = make_funds(world, budget="200000.00", a="100000.00", b="1000.00", c="1000.00")
    requests = [funds.request(world, amount="3000.00", title=f"Roadshow {i}") for i in range(THREADS)]
    return funds, requests


def approve_as(user_id: int, request_id: int) -> Callable[[], FundRequest]:
    def job() -> FundRequest:
        actor = User.objects.get(pk=user_id)
        return services.request_approve(request=FundRequest.objects.get(pk=request_id), actor=actor)

    return job


def test_hundred_concurrent_approvals_approve_only_what_the_allocation_holds(world, one_allocation):
    funds, requests = one_allocation
    # The partner's channel manager and a channel admin approve at the same time (3,000 is under the
    # threshold, so one approval decides).
    approvers = [world.cm_a.pk, world.admin.pk]
    results = run_concurrently([approve_as(approvers[i % 2], r.pk) for i, r in enumerate(requests)])

    assert unexpected(results, services.Overspend) == []
    assert kinds(results) == {"ok": 33, "Overspend": 67}  # 33 × 3,000 = 99,000 ≤ 100,000 < 34 × 3,000
    assert all("would overspend" in str(r) for r in results if isinstance(r, Exception))
    statuses = Counter(FundRequest.objects.filter(allocation=funds.alloc_a).values_list("status", flat=True))
    assert statuses == {RequestStatus.APPROVED: 33, RequestStatus.SUBMITTED: 67}
    refused = [r.pk for r, result in zip(requests, results, strict=True) if isinstance(result, Exception)]
    assert not FundRequest.objects.filter(pk__in=refused).exclude(approved_amount=None).exists()
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert (allocation.reserved, allocation.available) == (D("99000.00"), D("1000.00"))
    assert JournalEntry.objects.filter(allocation=allocation, movement=Movement.RESERVATION).count() == 33 * 2
    assert_books_balance(funds.program)


def test_concurrent_approvals_of_one_request_approve_it_once(world, one_allocation):
    funds, requests = one_allocation
    results = run_concurrently([approve_as(world.admin.pk, requests[0].pk) for _ in range(30)])

    assert unexpected(results, InvalidTransition) == []
    assert kinds(results) == {"ok": 1, "InvalidTransition": 29}
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert allocation.reserved == D("3000.00")
    assert JournalEntry.objects.filter(request=requests[0]).count() == 2
    assert_books_balance(funds.program)


@pytest.fixture
def request_with_claims(world):
    """An approved request of 20,000 with 20 claims of 1,000 waiting for a decision."""
    funds = make_funds(world, threshold="50000.00")
    request = funds.approved(world, amount="20000.00")
    claims = [funds.claim(world, request, amount="1000.00", files=[pdf(f"proof-{i}.pdf")]) for i in range(20)]
    return funds, request, claims


def approve_claim_as(user_id: int, claim_id: int, amount: str | None = None) -> Callable[[], Claim]:
    def job() -> Claim:
        actor = User.objects.get(pk=user_id)
        return services.claim_approve(claim=Claim.objects.get(pk=claim_id), actor=actor, amount=amount)

    return job


def test_concurrent_claim_approvals_on_one_request_consume_exactly_what_they_approve(
    world, request_with_claims
):
    funds, request, claims = request_with_claims
    # Half approved in full, half in part (600 of 1,000): 10 × 1,000 + 10 × 600 = 16,000.
    jobs = [approve_claim_as(world.cm_a.pk, c.pk, None if i % 2 else "600.00") for i, c in enumerate(claims)]
    results = run_concurrently(jobs)

    assert unexpected(results) == []
    assert Claim.objects.filter(request=request, status=ClaimStatus.APPROVED).count() == 20
    request.refresh_from_db()
    assert (request.consumed, request.reserved_now) == (D("16000.00"), D("4000.00"))
    assert request.status == RequestStatus.APPROVED  # 4,000 is still reserved for later claims
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert (allocation.reserved, allocation.claimed) == (D("4000.00"), D("16000.00"))
    assert_books_balance(funds.program)


def test_concurrent_approvals_of_the_last_claims_close_the_request_once(world, request_with_claims):
    funds, request, claims = request_with_claims
    results = run_concurrently([approve_claim_as(world.admin.pk, c.pk) for c in claims])

    assert unexpected(results) == []
    request.refresh_from_db()
    assert (request.consumed, request.reserved_now, request.status) == (
        D("20000.00"),
        D("0.00"),
        RequestStatus.CLOSED,
    )
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert (allocation.reserved, allocation.claimed) == (D("0.00"), D("20000.00"))
    assert_books_balance(funds.program)


def test_concurrent_approvals_and_payments_of_one_claim_move_its_money_once(world, request_with_claims):
    funds, request, claims = request_with_claims
    claim = claims[0]
    results = run_concurrently([approve_claim_as(world.cm_a.pk, claim.pk) for _ in range(25)])
    assert unexpected(results, InvalidTransition) == []
    assert kinds(results) == {"ok": 1, "InvalidTransition": 24}

    def pay(reference: str) -> Callable[[], Claim]:
        def job() -> Claim:
            actor = User.objects.get(pk=world.admin.pk)
            return services.claim_pay(
                claim=Claim.objects.get(pk=claim.pk), actor=actor, payment_reference=reference
            )

        return job

    results = run_concurrently([pay(f"PAY-{i}") for i in range(25)])
    assert unexpected(results, InvalidTransition) == []
    assert kinds(results) == {"ok": 1, "InvalidTransition": 24}
    claim.refresh_from_db()
    winner = next(r for r in results if isinstance(r, Claim))
    assert (claim.status, claim.payment_reference) == (ClaimStatus.PAID, winner.payment_reference)
    assert JournalEntry.objects.filter(claim=claim, movement=Movement.PAYMENT).count() == 2
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert (allocation.claimed, allocation.paid) == (D("0.00"), D("1000.00"))
    assert_books_balance(funds.program)


def test_concurrent_claim_submissions_never_claim_more_than_the_approval(world):
    funds = make_funds(world)
    request = funds.approved(world, amount="10000.00")

    def submit(i: int) -> Callable[[], Claim]:
        def job() -> Claim:
            actor = User.objects.get(pk=world.pm_a.pk)
            return services.claim_submit(
                actor=actor, request=FundRequest.objects.get(pk=request.pk), amount="1500.00",
                description=f"Flyers, batch {i}", files=[pdf(f"batch-{i}.pdf")],
            )  # fmt: skip

        return job

    results = run_concurrently([submit(i) for i in range(30)])

    assert unexpected(results, ValidationError) == []
    assert kinds(results) == {"ok": 6, "ValidationError": 24}  # 6 × 1,500 = 9,000 ≤ 10,000 < 7 × 1,500
    waiting = Claim.objects.filter(request=request, status=ClaimStatus.SUBMITTED)
    assert sum(c.amount for c in waiting) == D("9000.00")
    assert_books_balance(funds.program)


def test_concurrent_allocations_never_exceed_the_programme_budget(world):
    # 10,000 of the 100,000 budget is unallocated (A 50,000, B 10,000, C 30,000).
    funds = make_funds(world)
    newcomers = [PartnerFactory() for _ in range(30)]

    def allocate(partner_id: int, amount: str) -> Callable[[], FundAllocation]:
        def job() -> FundAllocation:
            actor = User.objects.get(pk=world.admin.pk)
            program = FundProgram.objects.get(pk=funds.program.pk)
            partner = type(world.a).objects.get(pk=partner_id)
            return services.allocation_set(program=program, partner=partner, amount=amount, actor=actor)

        return job

    # Thirty newcomers ask for 1,000 each while A's allocation is raised by 2,000 at the same time:
    # 10,000 fits ten newcomers, or A's raise and eight of them.
    jobs = [allocate(p.pk, "1000.00") for p in newcomers] + [allocate(world.a.pk, "52000.00")]
    results = run_concurrently(jobs)

    assert unexpected(results, services.Overspend) == []
    program = FundProgram.objects.get(pk=funds.program.pk)
    assert program.allocated_total <= program.budget
    newcomer_ok = sum(1 for r in results[:-1] if not isinstance(r, Exception))
    a_raised = not isinstance(results[-1], Exception)
    assert newcomer_ok == (8 if a_raised else 10)
    assert program.allocated_total == D("100000.00")  # the budget is used up, not overrun
    assert_books_balance(program)


# --- Without the protection -------------------------------------------------------------------------


def approve_without_the_lock(
    request_id: int, *, absolute: bool, read: threading.Barrier
) -> Callable[[], str]:
    """What request_approve would do without `select_for_update`: every thread reads the allocation,
    waits until all have read it (the race window, made certain), checks and writes."""

    def job() -> str:
        with transaction.atomic():
            request = FundRequest.objects.get(pk=request_id)
            allocation = FundAllocation.objects.get(pk=request.allocation_id)
            read.wait(JOIN_SECONDS)
            if request.amount > allocation.available:
                raise services.Overspend("would overspend")
            if absolute:  # read-check-save: the reserved figure this thread read, plus its amount
                allocation.reserved += request.amount
                allocation.save(update_fields=["reserved"])
            else:  # reserved + amount, computed by the database on the latest row
                FundAllocation.objects.filter(pk=allocation.pk).update(
                    reserved=F("reserved") + request.amount
                )
            FundRequest.objects.filter(pk=request.pk).update(
                status=RequestStatus.APPROVED, approved_amount=request.amount
            )
        return "approved"

    return job


def test_a_read_check_save_without_the_lock_approves_everything(world, one_allocation):
    """The race the services' lock closes is real: the harness above would catch its return."""
    funds, requests = one_allocation
    racers = requests[:40]
    read = threading.Barrier(len(racers))
    results = run_concurrently(
        [approve_without_the_lock(r.pk, absolute=True, read=read) for r in racers], at_least=len(racers)
    )

    assert kinds(results) == {"ok": 40}  # 40 × 3,000 = 120,000 "approved" from 100,000
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert allocation.reserved == D("3000.00")  # 39 updates lost: the books no longer add up


def test_without_the_lock_the_check_constraint_still_refuses_the_excess(world, one_allocation):
    funds, requests = one_allocation
    racers = requests[:40]
    read = threading.Barrier(len(racers))
    results = run_concurrently(
        [approve_without_the_lock(r.pk, absolute=False, read=read) for r in racers], at_least=len(racers)
    )

    assert unexpected(results, IntegrityError) == []
    assert kinds(results) == {"ok": 33, "IntegrityError": 7}  # every thread passed the Python check
    assert all("allocation_available_not_negative" in str(r) for r in results if isinstance(r, Exception))
    allocation = FundAllocation.objects.get(pk=funds.alloc_a.pk)
    assert (allocation.reserved, allocation.available) == (D("99000.00"), D("1000.00"))
