"""The money model's invariants under random sequences of fund operations (issue 5, "Performance and
correctness"): a Hypothesis state machine creates, submits, approves (in full, in part, over budget,
above the two-approval threshold), rejects, cancels and closes requests; files, approves, rejects and
pays claims; changes allocations; and expires the programme. After every step the books must hold:

- the programme's journal sums to zero, and each allocation's figures equal its journal lines
  (`assert_books_balance`: also available >= 0 and allocated total <= budget);
- each allocation's reserved / claimed / paid equal what its requests and claims say;
- approved claims on a request never exceed its approved amount, and claims waiting for a decision
  never exceed what it still holds reserved;
- a request that is not approved holds nothing reserved and has no claim waiting;
- once the programme is closed, nothing is available, and no request waits;

and a refused step (ValidationError, Overspend, InvalidTransition, NotAllowed) changes nothing.
Any other exception (an IntegrityError from a CHECK constraint, say) fails the test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any, TypeVar

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.errors import InvalidTransition, NotAllowed
from mdf import services
from mdf.choices import ClaimStatus, ProgramStatus, RequestStatus
from mdf.models import ZERO, Claim, FundAllocation, FundProgram, FundRequest, JournalEntry
from tests.conftest import World
from tests.mdf.conftest import assert_books_balance, make_funds, pdf

T = TypeVar("T")
CENT = Decimal("0.01")
REFUSALS = (ValidationError, services.Overspend, InvalidTransition, NotAllowed)

# Amounts around the allocations' size (5,000 / 2,000 / 3,000 of a 12,000 budget; threshold 3,000), so
# that overspends, second approvals and exact fits all happen; now and then one that is not money.
cents = st.integers(min_value=1, max_value=400_000).map(lambda c: Decimal(c) / 100)
round_amounts = st.sampled_from(["1000.00", "2000.00", "3000.00", "3000.01", "5000.00"]).map(Decimal)
not_money = st.sampled_from(["0", "-5.00", "1.234", "lots"])
amounts = st.integers(min_value=0, max_value=9).flatmap(
    lambda n: not_money if n == 0 else round_amounts if n < 3 else cents
)
# A partial amount as a percentage of what is asked; above 100 is more than asked (refused).
percent = st.one_of(st.none(), st.integers(min_value=0, max_value=120))
pick = st.integers(min_value=0, max_value=10_000)
# Mostly someone entitled to decide; now and then a channel manager of another partner (refused).
who = st.sampled_from(["manager", "manager", "admin", "admin", "stranger"])
# Mostly a record in the state the step applies to; now and then any record (refused if in the wrong one).
stray = st.integers(min_value=0, max_value=4).map(lambda n: n == 0)


def share(amount: Decimal, pct: int | None) -> Decimal | None:
    return None if pct is None else (amount * pct / 100).quantize(CENT, rounding=ROUND_DOWN)


def has_request(*statuses: str) -> Callable[[Any], bool]:
    """Precondition: the example has a request in one of `statuses` (as of the last step)."""
    return lambda machine: any(r["status"] in statuses for r in machine.last_state.requests)


def has_claim(status: str) -> Callable[[Any], bool]:
    return lambda machine: any(c["status"] == status for c in machine.last_state.claims)


class FundsMachine(RuleBasedStateMachine):
    """One open programme with allocations for A, B (A's reseller) and C; each example starts from it
    inside a savepoint that is rolled back at the end, so examples do not see each other's rows."""

    def __init__(self, world: World, outcomes: Counter[str]) -> None:
        super().__init__()
        self.world = world
        self.outcomes = outcomes
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        funds = make_funds(
            world, budget="12000.00", threshold="3000.00", a="5000.00", b="2000.00", c="3000.00"
        )
        self.program = funds.program
        self.allocation_ids = [funds.alloc_a.pk, funds.alloc_b.pk, funds.alloc_c.pk]
        self.last_state: State | None = None
        self.steps = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers --------------------------------------------------------------------------------

    def manager_of(self, partner_id: int):
        w = self.world
        return {w.a.pk: w.pm_a, w.b.pk: w.pm_b, w.c.pk: w.pm_c}[partner_id]

    def decider(self, partner_id: int, kind: str):
        """The partner's channel manager (cm_a manages A and its reseller B), an admin, or a channel
        manager of someone else (refused)."""
        w = self.world
        if kind == "admin":
            return w.admin
        own, other = (w.cm_c, w.cm_a) if partner_id == w.c.pk else (w.cm_a, w.cm_c)
        return own if kind == "manager" else other

    def state(self) -> State:
        """Every figure of the programme, its allocations, requests and claims (four queries)."""
        return State(
            program=FundProgram.objects.filter(pk=self.program.pk)
            .values("status", "budget", "allocated_total")
            .get(),
            allocations=list(
                FundAllocation.objects.filter(program=self.program)
                .order_by("pk")
                .values("pk", "amount", "reserved", "claimed", "paid", "expired")
            ),
            requests=list(
                FundRequest.objects.filter(program=self.program)
                .order_by("pk")
                .values(
                    "pk",
                    "allocation_id",
                    "status",
                    "amount",
                    "approved_amount",
                    "consumed",
                    "released",
                    "first_approved_amount",
                )
            ),  # fmt: skip
            claims=list(
                Claim.objects.filter(program=self.program)
                .order_by("pk")
                .values(
                    "pk",
                    "request_id",
                    "allocation_id",
                    "status",
                    "amount",
                    "approved_amount",
                    "first_approved_amount",
                )
            ),  # fmt: skip
            journal_lines=JournalEntry.objects.filter(program=self.program).count(),
        )

    def attempt(self, what: str, step: Callable[[], T]) -> T | None:
        """Run a service call; an expected refusal is a fine step as long as it changed nothing (the
        state the invariants recorded after the previous step is the state before this one). Counts
        what happened, so that the test can tell it explored more than refusals."""
        try:
            result = step()
        except REFUSALS as exc:
            self.outcomes[type(exc).__name__] += 1
            self.outcomes[f"{what}: {type(exc).__name__}"] += 1
            assert self.state() == self.last_state, f"a refused {what} changed something: {exc}"
            return None
        self.outcomes[what] += 1
        return result

    def request(self, index: int, stray: bool, *statuses: str) -> FundRequest:
        """One of this example's requests in one of `statuses` (or, when `stray`, in any)."""
        assert self.last_state is not None
        ids = [r["pk"] for r in self.last_state.requests if stray or r["status"] in statuses]
        return FundRequest.objects.get(pk=ids[index % len(ids)])

    def claim(self, index: int, stray: bool, status: str) -> Claim:
        assert self.last_state is not None
        ids = [c["pk"] for c in self.last_state.claims if stray or c["status"] == status]
        return Claim.objects.get(pk=ids[index % len(ids)])

    # --- requests -------------------------------------------------------------------------------

    @initialize(
        planned=st.lists(st.tuples(st.integers(0, 2), cents), min_size=1, max_size=4),
        claims=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=3),
    )
    def start_with_work_in_progress(self, planned: list[tuple[int, Decimal]], claims: list[int]) -> None:
        """Start from submitted requests and from an approved request of A's with claims on it (the
        first approved), so that every kind of step has something to work on from the first step."""
        for which, amount in planned:
            self.last_state = self.state()  # invariants run only after the initialisation
            self.create_request(which, amount, submit=True)
        w = self.world
        today = timezone.localdate()
        request = services.request_create(
            actor=w.pm_a, allocation=FundAllocation.objects.select_related("program").get(pk=self.allocation_ids[0]),
            title="Head start", activity_type="print", starts_on=today, ends_on=today, amount="2000.00",
        )  # fmt: skip
        services.request_approve(request=request, actor=w.cm_a)
        for i, amount in enumerate(claims):
            claim = services.claim_submit(
                actor=w.pm_a, request=request, amount=amount, description="Flyers", files=[pdf()]
            )
            if i == 0:
                services.claim_approve(claim=claim, actor=w.admin)
        self.last_state = self.state()

    # Not while four requests wait already: the other steps get their turn.
    @precondition(
        lambda self: sum(r["status"] in ("draft", "submitted") for r in self.last_state.requests) < 4
    )
    @rule(which=st.integers(min_value=0, max_value=2), amount=amounts, submit=st.booleans())
    def create_request(self, which: int, amount: Any, submit: bool) -> None:
        allocation = FundAllocation.objects.select_related("program").get(pk=self.allocation_ids[which])
        today = timezone.localdate()
        self.attempt(
            "request_create",
            lambda: services.request_create(
                actor=self.manager_of(allocation.partner_id),
                allocation=allocation,
                title=f"Activity {self.steps}",
                activity_type="event",
                starts_on=today,
                ends_on=today + timedelta(days=5),
                amount=amount,
                submit=submit,
            ),  # fmt: skip
        )

    @precondition(has_request(RequestStatus.DRAFT))
    @rule(index=pick, stray=stray)
    def submit_draft(self, index: int, stray: bool) -> None:
        request = self.request(index, stray, RequestStatus.DRAFT)
        self.attempt(
            "request_submit",
            lambda: services.request_submit(request=request, actor=self.manager_of(request.partner_id)),
        )

    @precondition(has_request(RequestStatus.SUBMITTED))
    @rule(index=pick, stray=stray, kind=who, pct=percent)
    def approve_request(self, index: int, stray: bool, kind: str, pct: int | None) -> None:
        request = self.request(index, stray, RequestStatus.SUBMITTED)
        self.attempt(
            "request_approve",
            lambda: services.request_approve(
                request=request,
                actor=self.decider(request.partner_id, kind),
                amount=share(request.amount, pct),
            ),
        )

    @precondition(has_request(RequestStatus.SUBMITTED))
    @rule(index=pick, stray=stray, kind=who)
    def reject_request(self, index: int, stray: bool, kind: str) -> None:
        request = self.request(index, stray, RequestStatus.SUBMITTED)
        self.attempt(
            "request_reject",
            lambda: services.request_reject(
                request=request, actor=self.decider(request.partner_id, kind), reason="Not in this quarter."
            ),
        )

    @precondition(has_request(RequestStatus.APPROVED, RequestStatus.SUBMITTED))
    @rule(index=pick, stray=stray, by_partner=st.booleans(), close=st.booleans())
    def end_request(self, index: int, stray: bool, by_partner: bool, close: bool) -> None:
        request = self.request(index, stray, RequestStatus.APPROVED, RequestStatus.SUBMITTED)
        actor = (
            self.manager_of(request.partner_id) if by_partner else self.decider(request.partner_id, "manager")
        )
        end = services.request_close if close else services.request_cancel
        self.attempt("request_end", lambda: end(request=request, actor=actor))

    # --- claims ---------------------------------------------------------------------------------

    @precondition(has_request(RequestStatus.APPROVED))
    @rule(index=pick, stray=stray, pct=st.integers(min_value=1, max_value=130))
    def submit_claim(self, index: int, stray: bool, pct: int) -> None:
        request = self.request(index, stray, RequestStatus.APPROVED)
        amount = share(request.reserved_now or request.amount, pct)
        self.attempt(
            "claim_submit",
            lambda: services.claim_submit(
                actor=self.manager_of(request.partner_id),
                request=request,
                amount=amount,
                description="Booth and flyers",
                files=[pdf()],
            ),  # fmt: skip
        )

    @precondition(has_claim(ClaimStatus.SUBMITTED))
    @rule(index=pick, stray=stray, kind=who, pct=percent)
    def approve_claim(self, index: int, stray: bool, kind: str, pct: int | None) -> None:
        claim = self.claim(index, stray, ClaimStatus.SUBMITTED)
        self.attempt(
            "claim_approve",
            lambda: services.claim_approve(
                claim=claim, actor=self.decider(claim.partner_id, kind), amount=share(claim.amount, pct)
            ),
        )

    @precondition(has_claim(ClaimStatus.SUBMITTED))
    @rule(index=pick, stray=stray, kind=who)
    def reject_claim(self, index: int, stray: bool, kind: str) -> None:
        claim = self.claim(index, stray, ClaimStatus.SUBMITTED)
        self.attempt(
            "claim_reject",
            lambda: services.claim_reject(
                claim=claim, actor=self.decider(claim.partner_id, kind), reason="The invoice is missing."
            ),
        )

    @precondition(has_claim(ClaimStatus.APPROVED))
    @rule(index=pick, stray=stray, kind=who, credit_note=st.booleans())
    def pay_claim(self, index: int, stray: bool, kind: str, credit_note: bool) -> None:
        claim = self.claim(index, stray, ClaimStatus.APPROVED)
        reference = {"credit_note_number": "CN-7"} if credit_note else {"payment_reference": "PAY-2027-001"}
        self.attempt(
            "claim_pay",
            lambda: services.claim_pay(claim=claim, actor=self.decider(claim.partner_id, kind), **reference),
        )

    # --- programme ------------------------------------------------------------------------------

    # Now and then, once there is something committed to fall below.
    @precondition(lambda self: self.steps >= 5 and self.steps % 4 == 0)
    @rule(which=st.integers(min_value=0, max_value=2), amount=amounts)
    def change_allocation(self, which: int, amount: Any) -> None:
        allocation = FundAllocation.objects.select_related("partner").get(pk=self.allocation_ids[which])
        self.attempt(
            "allocation_set",
            lambda: services.allocation_set(
                program=self.program, partner=allocation.partner, amount=amount, actor=self.world.admin
            ),
        )

    # Late in an example, so that most of its steps run on an open programme.
    @precondition(lambda self: self.steps >= 20 and self.last_state.program["status"] == ProgramStatus.OPEN)
    @rule(how=st.sampled_from(["admin", "deadline task"]))
    def expire(self, how: str) -> None:
        if how == "admin":
            self.attempt(
                "program_close", lambda: services.program_close(program=self.program, actor=self.world.admin)
            )
        else:
            after_deadline = self.program.claim_deadline + timedelta(days=1)
            services.programs_expire_due(today=after_deadline)

    # --- invariants -----------------------------------------------------------------------------

    @invariant()
    def books_hold(self) -> None:
        self.steps += 1
        assert_books_balance(self.program)
        state = self.last_state = self.state()
        requests, claims = state.requests, state.claims

        # Each allocation's figures equal what its requests and claims say.
        for allocation in state.allocations:
            assert allocation["reserved"] == sum(
                (reserved_now(r) for r in requests if r["allocation_id"] == allocation["pk"]), ZERO
            ), allocation
            mine = [c for c in claims if c["allocation_id"] == allocation["pk"]]
            for status, figure in ((ClaimStatus.APPROVED, "claimed"), (ClaimStatus.PAID, "paid")):
                assert allocation[figure] == sum(
                    (c["approved_amount"] for c in mine if c["status"] == status), ZERO
                ), allocation

        # Claims stay within their request: approved ones within its approval, waiting ones within
        # what it still holds; a request that is not approved holds nothing and has nothing waiting.
        for request in requests:
            on_it = [c for c in claims if c["request_id"] == request["pk"]]
            approved = sum(
                (c["approved_amount"] for c in on_it if c["status"] in (ClaimStatus.APPROVED, ClaimStatus.PAID)),
                ZERO,
            )  # fmt: skip
            waiting = sum((c["amount"] for c in on_it if c["status"] == ClaimStatus.SUBMITTED), ZERO)
            assert approved == request["consumed"], request
            assert request["consumed"] + request["released"] <= (request["approved_amount"] or ZERO), request
            assert waiting <= reserved_now(request), request
            if request["status"] != RequestStatus.APPROVED:
                assert (reserved_now(request), waiting) == (ZERO, ZERO), request

        # Once the programme is closed, nothing is left to spend and no request waits.
        if state.program["status"] == ProgramStatus.CLOSED:
            for allocation in state.allocations:
                assert (
                    allocation["amount"]
                    == allocation["reserved"] + allocation["claimed"] + allocation["paid"]
                )
            assert not [r for r in requests if r["status"] in (RequestStatus.DRAFT, RequestStatus.SUBMITTED)]


@dataclass
class State:
    program: dict[str, Any]
    allocations: list[dict[str, Any]]
    requests: list[dict[str, Any]]
    claims: list[dict[str, Any]]
    journal_lines: int


def reserved_now(request: dict[str, Any]) -> Decimal:
    if request["approved_amount"] is None:
        return ZERO
    return request["approved_amount"] - request["consumed"] - request["released"]


@pytest.mark.django_db
def test_random_fund_operations_keep_the_books_balanced(world, media):
    outcomes: Counter[str] = Counter()
    run_state_machine_as_test(
        lambda: FundsMachine(world, outcomes),
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            database=None,  # no .hypothesis/ directory in the repository
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        ),
    )
    # The sequences reached every kind of money movement and every kind of refusal, not only refusals.
    for outcome in ("request_approve", "claim_approve", "claim_pay", "request_end", "program_close",
                    "Overspend", "ValidationError", "InvalidTransition", "NotAllowed"):  # fmt: skip
        assert outcomes[outcome] > 0, (outcome, outcomes)


@pytest.fixture
def media(settings, tmp_path):
    """Proof files land in a temporary directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
