"""Every state change of marketing development funds, as plain functions (see STYLE.md).

Money moves only here, each movement in one transaction that locks the allocation row (and the
programme's or request's where they change), checks the figures, updates them and posts balanced
journal lines. The CHECK constraints of mdf.models back the checks up: even a forgotten lock cannot
overspend. Amounts are Decimal with two places; anything with more places is refused, never rounded
silently (see `money`)."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from core.changes import data_changed
from core.errors import InvalidTransition, NotAllowed
from core.models import User
from core.services import activity_record, email_send
from mdf import rules
from mdf.choices import (
    CLAIM_TRANSITIONS,
    PROGRAM_TRANSITIONS,
    REQUEST_TRANSITIONS,
    Account,
    ActivityType,
    AllocationRule,
    ClaimStatus,
    CommentKind,
    Movement,
    ProgramStatus,
    RequestStatus,
    SettlementMethod,
)
from mdf.models import (
    HALF_CENT,
    ZERO,
    Claim,
    FundAllocation,
    FundComment,
    FundProgram,
    FundRequest,
    JournalEntry,
    ProofFile,
)
from partners import access
from partners.choices import PartnerStatus, Role
from partners.models import Membership, Partner

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999999.99")
MAX_PROOF_FILES = 10
MAX_PROOF_BYTES = 10 * 1024 * 1024
REMINDER_DAYS = (30, 7)


class Overspend(Exception):
    """An approval or allocation would commit more money than there is; nothing changed. Answers 409."""


# --- Amounts --------------------------------------------------------------------------------------


def money(value: Any, *, field_name: str = "amount", allow_zero: bool = False) -> Decimal:
    """`value` as a Decimal amount with at most two decimal places, positive (or zero when allowed)
    and below a trillion; raises ValidationError naming what to fix. Never rounds: an amount with
    more places is a mistake the person should see."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field_name: "Enter an amount such as 1250.00."})
    if not amount.is_finite():
        raise ValidationError({field_name: "Enter an amount such as 1250.00."})
    if abs(amount) > MAX_AMOUNT:
        raise ValidationError({field_name: "This amount is too large."})
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise ValidationError({field_name: "Use at most two decimal places (cents)."})
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(
            {field_name: "Enter an amount above zero." if not allow_zero else "Enter zero or more."}
        )
    if amount > MAX_AMOUNT:
        raise ValidationError({field_name: "This amount is too large."})
    return amount.quantize(CENT)


def _fmt(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


# --- The journal ----------------------------------------------------------------------------------


def _post(
    *,
    program: FundProgram,
    movement: Movement,
    lines: Sequence[tuple[Account, Decimal]],
    actor: User | None,
    document: str,
    allocation: FundAllocation | None = None,
    request: FundRequest | None = None,
    claim: Claim | None = None,
    memo: str = "",
    booked_on: date | None = None,
) -> uuid.UUID:
    """Post one balanced movement: `lines` are (account, signed amount), debit positive. Raises if
    the lines do not balance (a programming error, never a user's)."""
    if sum((amount for _, amount in lines), ZERO) != 0:
        raise AssertionError(f"Unbalanced posting: {lines}")
    data_changed("mdf")  # every money movement passes here (the analytics hear of it after the commit)
    posting = uuid.uuid4()
    day = booked_on or timezone.localdate()
    JournalEntry.objects.bulk_create(
        [
            JournalEntry(
                posting=posting,
                program=program,
                allocation=allocation,
                partner_id=allocation.partner_id if allocation else None,
                request=request,
                claim=claim,
                booked_on=day,
                movement=movement,
                account=account,
                debit=amount if amount > 0 else ZERO,
                credit=-amount if amount < 0 else ZERO,
                currency=program.currency,
                document=document,
                memo=memo[:200],
                actor=actor,
            )  # fmt: skip
            for account, amount in lines
            if amount != 0
        ]
    )
    return posting


def _move(source: Account, target: Account, amount: Decimal) -> list[tuple[Account, Decimal]]:
    """Money leaves `source` (credit) for `target` (debit)."""
    return [(target, amount), (source, -amount)]


# --- Programmes -----------------------------------------------------------------------------------


def _require_admin(actor: User, what: str) -> None:
    if not access.actor_of(actor).is_admin:
        raise NotAllowed(f"Only channel admins {what}.")


def _check_program_dates(starts_on: date, ends_on: date, claim_deadline: date) -> None:
    errors: dict[str, str] = {}
    if ends_on < starts_on:
        errors["ends_on"] = "The programme must end on or after the day it starts."
    if claim_deadline < ends_on:
        errors["claim_deadline"] = "The claim deadline must be on or after the programme's end."
    if errors:
        raise ValidationError(errors)


def _currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError({"currency": "Use a three-letter currency code such as EUR."})
    return code


def program_check(
    *,
    program: FundProgram | None,
    name: str,
    starts_on: date,
    ends_on: date,
    claim_deadline: date,
    budget: Any,
    approval_threshold: Any = None,
    allocation_rule: str = AllocationRule.TIER_SHARE,
    currency: str = "EUR",
) -> dict[str, Any]:
    """Check a programme's set-up (new when `program` is None); answers the cleaned values or raises
    ValidationError with every field's message. Used by the services and by forms (the admin's)."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {"name": (name or "").strip()}
    if not cleaned["name"]:
        errors["name"] = "Give the programme a name."
    elif (
        FundProgram.objects.filter(name__iexact=cleaned["name"])
        .exclude(pk=program.pk if program is not None else 0)
        .exists()
    ):
        errors["name"] = "A programme with this name exists already."
    try:
        _check_program_dates(starts_on, ends_on, claim_deadline)
    except ValidationError as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    for field_name, value, optional in (
        ("budget", budget, False),
        ("approval_threshold", approval_threshold, True),
    ):
        if optional and value in (None, ""):
            cleaned[field_name] = None
            continue
        try:
            cleaned[field_name] = money(value, field_name=field_name, allow_zero=True)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if program is not None and "budget" in cleaned and cleaned["budget"] < program.allocated_total:
        errors["budget"] = (
            f"{_fmt(program.allocated_total, program.currency)} is allocated already; lower allocations "
            "first or keep the budget at least that high."
        )
    if allocation_rule not in AllocationRule.values:
        errors["allocation_rule"] = "Choose by tier MDF share or by hand."
    if program is None:
        try:
            cleaned["currency"] = _currency(currency)
        except ValidationError as exc:
            errors.update({k: v[0] for k, v in exc.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def program_create(
    *,
    actor: User,
    name: str,
    starts_on: date,
    ends_on: date,
    claim_deadline: date,
    budget: Any,
    currency: str = "EUR",
    approval_threshold: Any = None,
    allocation_rule: str = AllocationRule.TIER_SHARE,
    description: str = "",
) -> FundProgram:
    """A channel admin sets up a programme (as a draft: allocate, then open it)."""
    _require_admin(actor, "set up fund programmes")
    cleaned = program_check(
        program=None, name=name, starts_on=starts_on, ends_on=ends_on, claim_deadline=claim_deadline,
        budget=budget, approval_threshold=approval_threshold, allocation_rule=allocation_rule, currency=currency,
    )  # fmt: skip
    program = FundProgram.objects.create(
        description=(description or "").strip(), starts_on=starts_on, ends_on=ends_on,
        claim_deadline=claim_deadline, allocation_rule=allocation_rule, created_by=actor, **cleaned,
    )  # fmt: skip
    activity_record(
        actor=actor, verb="mdf.program.created", target=program, message=f"Programme {program.name} set up"
    )
    return program


@transaction.atomic
def program_update(
    *,
    program: FundProgram,
    actor: User,
    name: str,
    starts_on: date,
    ends_on: date,
    claim_deadline: date,
    budget: Any,
    approval_threshold: Any = None,
    allocation_rule: str = AllocationRule.TIER_SHARE,
    description: str = "",
) -> FundProgram:
    """Change a programme's set-up. The budget cannot go below what is allocated; the currency is
    fixed once set (amounts were posted in it)."""
    _require_admin(actor, "change fund programmes")
    program = FundProgram.objects.select_for_update().get(pk=program.pk)
    if program.status == ProgramStatus.CLOSED:
        raise ValidationError({"status": "This programme is closed; it can no longer be changed."})
    cleaned = program_check(
        program=program, name=name, starts_on=starts_on, ends_on=ends_on, claim_deadline=claim_deadline,
        budget=budget, approval_threshold=approval_threshold, allocation_rule=allocation_rule,
    )  # fmt: skip
    for key, value in cleaned.items():
        setattr(program, key, value)
    program.description = (description or "").strip()
    program.starts_on, program.ends_on, program.claim_deadline = starts_on, ends_on, claim_deadline
    program.allocation_rule = allocation_rule
    program.save()
    activity_record(
        actor=actor, verb="mdf.program.changed", target=program, message=f"Programme {program.name} changed"
    )
    return program


@transaction.atomic
def program_open(*, program: FundProgram, actor: User) -> FundProgram:
    """Open a draft programme: partners may request funds from their allocations."""
    _require_admin(actor, "open fund programmes")
    program = FundProgram.objects.select_for_update().get(pk=program.pk)
    if ProgramStatus.OPEN not in PROGRAM_TRANSITIONS[program.status]:
        raise InvalidTransition(program.status, ProgramStatus.OPEN, "programme")
    if program.claim_deadline < timezone.localdate():
        raise ValidationError({"claim_deadline": "The claim deadline has passed; move it before opening."})
    program.status = ProgramStatus.OPEN
    program.save(update_fields=["status"])
    activity_record(
        actor=actor, verb="mdf.program.opened", target=program, message=f"Programme {program.name} opened"
    )
    return program


# --- Allocations ----------------------------------------------------------------------------------


@transaction.atomic
def allocation_set(*, program: FundProgram, partner: Partner, amount: Any, actor: User) -> FundAllocation:
    """Set a partner's allocated amount. The difference is posted from or back to the budget. It can
    neither exceed the programme's unallocated budget nor go below what the partner has committed
    (reserved, claimed, paid): both raise Overspend and change nothing."""
    _require_admin(actor, "allocate funds")
    target = money(amount, allow_zero=True)
    program = FundProgram.objects.select_for_update().get(pk=program.pk)
    if program.status == ProgramStatus.CLOSED:
        raise ValidationError({"program": "This programme is closed; its allocations are final."})
    allocation, _ = FundAllocation.objects.get_or_create(program=program, partner=partner)
    allocation = FundAllocation.objects.select_for_update().get(pk=allocation.pk)
    difference = target - allocation.amount
    if difference == 0:
        return allocation
    committed = allocation.reserved + allocation.claimed + allocation.paid
    if target < committed:
        raise Overspend(
            f"{partner.name} has committed {_fmt(committed, program.currency)} of this allocation "
            f"(reserved, claimed or paid); the allocation cannot go below that."
        )
    if program.allocated_total + difference > program.budget:
        raise Overspend(
            f"Only {_fmt(program.unallocated + max(ZERO, -difference), program.currency)} of the budget is "
            f"not allocated yet; {partner.name} cannot get {_fmt(target, program.currency)}."
        )
    FundAllocation.objects.filter(pk=allocation.pk).update(amount=F("amount") + difference)
    FundProgram.objects.filter(pk=program.pk).update(allocated_total=F("allocated_total") + difference)
    _post(
        program=program, movement=Movement.ALLOCATION, lines=_move(Account.BUDGET, Account.AVAILABLE, difference),
        actor=actor, document=f"ALLOC-{allocation.pk}", allocation=allocation,
        memo=f"Allocation to {partner.name}: {_fmt(target, program.currency)}",
    )  # fmt: skip
    allocation.refresh_from_db()
    return allocation


def tier_share_amounts(program: FundProgram) -> dict[int, Decimal]:
    """What `allocate by tier share` gives each active partner: its tier's MDF share (%) of the
    budget. Where the shares add up to more than 100 %, every share is scaled down alike. Amounts are
    rounded down to the cent, so the total never exceeds the budget."""
    partners = list(
        Partner.objects.filter(status=PartnerStatus.ACTIVE, tier__mdf_share__gt=0).values_list(
            "pk", "tier__mdf_share"
        )
    )
    total_share = sum((share for _, share in partners), Decimal("0"))
    if not partners or total_share <= 0:
        return {}
    scale = max(total_share, Decimal("100"))
    return {
        pk: (program.budget * share / scale).quantize(CENT, rounding=ROUND_DOWN) for pk, share in partners
    }


@dataclass
class AllocationRun:
    """What a one-click allocation did: partners set, and those left as they were, with why."""

    set: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)


def allocations_by_tier_share(*, program: FundProgram, actor: User) -> AllocationRun:
    """Allocate the budget by tier MDF share in one click (each partner in its own transaction, so
    one that cannot be lowered below its commitments does not stop the others); adjust by hand after."""
    _require_admin(actor, "allocate funds")
    run = AllocationRun()
    amounts = tier_share_amounts(program)
    current = dict(FundAllocation.objects.filter(program=program).values_list("partner_id", "amount"))
    partners = Partner.objects.in_bulk(list(amounts))
    # Lower first, so that raising others finds the budget freed.
    order = sorted(amounts, key=lambda pk: amounts[pk] - current.get(pk, ZERO))
    for pk in order:
        if current.get(pk) == amounts[pk]:
            run.unchanged += 1
            continue
        try:
            allocation_set(program=program, partner=partners[pk], amount=amounts[pk], actor=actor)
            run.set += 1
        except (Overspend, ValidationError) as exc:
            run.skipped.append(f"{partners[pk].name}: {_message(exc)}")
    return run


def _message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


# --- Requests -------------------------------------------------------------------------------------


def _new_campaign_code() -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "MDF-" + "".join(secrets.choice(alphabet) for _ in range(8))


def _clean_campaign_code(value: str) -> str:
    code = (value or "").strip()
    if not code:
        return ""
    if len(code) > 60 or not all(ch.isalnum() or ch in "-_." for ch in code) or not code.isascii():
        raise ValidationError(
            {
                "campaign_code": "Use up to 60 letters, digits, dashes, dots or underscores, e.g. SPRING-FAIR-27."
            }
        )
    return code


def _request_fields(
    *, allocation: FundAllocation, title: str, activity_type: str, starts_on: date, ends_on: date, amount: Any,
    expected_revenue: Any, expected_leads: int | None,
) -> dict[str, Any]:  # fmt: skip
    errors: dict[str, str] = {}
    if not title.strip():
        errors["title"] = "Give the activity a title."
    if activity_type not in ActivityType.values:
        errors["activity_type"] = "Choose an activity type: " + ", ".join(ActivityType.values) + "."
    if ends_on < starts_on:
        errors["ends_on"] = "The activity must end on or after the day it starts."
    elif ends_on > allocation.program.claim_deadline:
        errors["ends_on"] = (
            f"The activity must end by the programme's claim deadline, {allocation.program.claim_deadline:%d %b %Y}."
        )
    if expected_leads is not None and expected_leads < 0:
        errors["expected_leads"] = "Enter zero or more."
    if errors:
        raise ValidationError(errors)
    return {
        "amount": money(amount),
        "expected_revenue": None
        if expected_revenue in (None, "")
        else money(expected_revenue, field_name="expected_revenue", allow_zero=True),
    }


def _check_requestable(actor: User, allocation: FundAllocation) -> None:
    if not rules.can_request_funds(actor, allocation):
        raise NotAllowed("Only your partner's managers request funds from its allocations.")
    if allocation.program.status != ProgramStatus.OPEN:
        raise ValidationError(
            {"allocation": f"The programme {allocation.program.name} is not open for requests."}
        )


@transaction.atomic
def request_create(
    *,
    actor: User,
    allocation: FundAllocation,
    title: str,
    activity_type: str,
    starts_on: date,
    ends_on: date,
    amount: Any,
    description: str = "",
    expected_leads: int | None = None,
    expected_revenue: Any = None,
    campaign_code: str = "",
    submit: bool = True,
    copied_from: FundRequest | None = None,
) -> FundRequest:
    """A partner manager plans an activity against their allocation: saved as a draft, or submitted
    for approval (the default). The amount may not exceed what the allocation has available now."""
    _check_requestable(actor, allocation)
    values = _request_fields(
        allocation=allocation, title=title, activity_type=activity_type, starts_on=starts_on, ends_on=ends_on,
        amount=amount, expected_revenue=expected_revenue, expected_leads=expected_leads,
    )  # fmt: skip
    if submit and values["amount"] > allocation.available:
        raise ValidationError(
            {
                "amount": f"Your allocation has {_fmt(allocation.available, allocation.program.currency)} available."
            }
        )
    code = _clean_campaign_code(campaign_code) or _new_campaign_code()
    if FundRequest.objects.filter(campaign_code__iexact=code).exists():
        raise ValidationError({"campaign_code": "This campaign code is already used by another request."})
    now = timezone.now()
    try:
        with transaction.atomic():
            request = FundRequest.objects.create(
                allocation=allocation, program_id=allocation.program_id, partner_id=allocation.partner_id,
                title=title.strip(), activity_type=activity_type, description=description.strip(),
                starts_on=starts_on, ends_on=ends_on, expected_leads=expected_leads, campaign_code=code,
                status=RequestStatus.SUBMITTED if submit else RequestStatus.DRAFT, created_by=actor,
                submitted_at=now if submit else None, copied_from=copied_from, **values,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError({"campaign_code": "This campaign code is already used by another request."})
    if submit:
        _notify_channel_of(request, f"New fund request: {request.title}")
    return request


@transaction.atomic
def request_update(
    *,
    request: FundRequest,
    actor: User,
    title: str,
    activity_type: str,
    starts_on: date,
    ends_on: date,
    amount: Any,
    description: str = "",
    expected_leads: int | None = None,
    expected_revenue: Any = None,
) -> FundRequest:
    """Change a draft, or a submitted request the channel asked more information about."""
    request = FundRequest.objects.select_for_update().select_related("allocation__program").get(pk=request.pk)
    if not rules.can_edit_request(actor, request):
        raise NotAllowed("Only your partner's managers change its requests.")
    if not (
        request.status == RequestStatus.DRAFT
        or (request.status == RequestStatus.SUBMITTED and request.info_requested)
    ):
        raise ValidationError({"status": "Only drafts, or requests the channel asked about, can be changed."})
    if request.first_approved_by_id:
        raise ValidationError({"status": "This request has a first approval; it can no longer be changed."})
    values = _request_fields(
        allocation=request.allocation, title=title, activity_type=activity_type, starts_on=starts_on,
        ends_on=ends_on, amount=amount, expected_revenue=expected_revenue, expected_leads=expected_leads,
    )  # fmt: skip
    request.title, request.activity_type, request.description = (
        title.strip(),
        activity_type,
        description.strip(),
    )
    request.starts_on, request.ends_on, request.expected_leads = starts_on, ends_on, expected_leads
    request.amount, request.expected_revenue = values["amount"], values["expected_revenue"]
    request.save()
    return request


@transaction.atomic
def request_submit(*, request: FundRequest, actor: User) -> FundRequest:
    """Submit a draft for approval."""
    request = FundRequest.objects.select_for_update().select_related("allocation__program").get(pk=request.pk)
    if not rules.can_edit_request(actor, request):
        raise NotAllowed("Only your partner's managers submit its requests.")
    _check_requestable(actor, request.allocation)
    _transition(request, RequestStatus.SUBMITTED)
    if request.amount > request.allocation.available:
        raise ValidationError(
            {
                "amount": f"Your allocation has {_fmt(request.allocation.available, request.program.currency)} available."
            }
        )
    request.submitted_at = timezone.now()
    request.save(update_fields=["status", "submitted_at", "updated_at"])
    _notify_channel_of(request, f"New fund request: {request.title}")
    return request


def _transition(obj: FundRequest | Claim, target: str) -> None:
    table = REQUEST_TRANSITIONS if isinstance(obj, FundRequest) else CLAIM_TRANSITIONS
    if target not in table[obj.status]:
        label = "fund request" if isinstance(obj, FundRequest) else "claim"
        raise InvalidTransition(obj.status, target, label)
    obj.status = target
    data_changed("mdf")  # every decision on a request or a claim passes here


def needs_second_approval(program: FundProgram, amount: Decimal) -> bool:
    return program.approval_threshold is not None and amount > program.approval_threshold


@transaction.atomic
def request_approve(*, request: FundRequest, actor: User, amount: Any = None) -> FundRequest:
    """Approve a submitted request in full or for a smaller amount; this reserves the money. Above
    the programme's threshold a channel manager's approval is the first of two, and the request
    waits for a channel admin's. Raises Overspend (nothing changes) when the allocation has less
    available than the amount."""
    request = FundRequest.objects.select_for_update().get(pk=request.pk)
    if not rules.can_decide(actor, request.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides fund requests.")
    if request.status != RequestStatus.SUBMITTED:
        raise InvalidTransition(request.status, RequestStatus.APPROVED, "fund request")
    default = request.first_approved_amount or request.amount
    approved = default if amount in (None, "") else money(amount)
    if approved > request.amount:
        raise ValidationError(
            {"amount": f"Approve at most the {_fmt(request.amount, request.program.currency)} requested."}
        )
    allocation = (
        FundAllocation.objects.select_for_update()
        .select_related("program", "partner")
        .get(pk=request.allocation_id)
    )
    program = allocation.program
    if program.status != ProgramStatus.OPEN:
        raise ValidationError({"status": f"The programme {program.name} is not open."})
    if approved > allocation.available:
        raise Overspend(
            f"{allocation.partner.name} has {_fmt(allocation.available, program.currency)} available in "
            f"{program.name}; approving {_fmt(approved, program.currency)} would overspend it."
        )
    now = timezone.now()
    is_admin = access.actor_of(actor).is_admin
    if needs_second_approval(program, approved) and not is_admin:
        if request.first_approved_by_id:
            raise ValidationError({"status": "This request waits for a channel admin's approval."})
        request.first_approved_by, request.first_approved_amount, request.first_approved_at = (
            actor,
            approved,
            now,
        )
        request.save(
            update_fields=["first_approved_by", "first_approved_amount", "first_approved_at", "updated_at"]
        )
        _comment(request, actor, CommentKind.COMMENT,
                 f"First approval for {_fmt(approved, program.currency)}; above the threshold of "
                 f"{_fmt(program.approval_threshold or ZERO, program.currency)} a channel admin approves as well.")  # fmt: skip
        _notify_admins(request, f"Fund request needs your approval: {request.title}")
        return request
    FundAllocation.objects.filter(pk=allocation.pk).update(reserved=F("reserved") + approved)
    _transition(request, RequestStatus.APPROVED)
    request.approved_amount, request.decided_by, request.decided_at = approved, actor, now
    request.info_requested = False
    request.save(
        update_fields=[
            "status",
            "approved_amount",
            "decided_by",
            "decided_at",
            "info_requested",
            "updated_at",
        ]
    )
    _post(
        program=program, movement=Movement.RESERVATION, lines=_move(Account.AVAILABLE, Account.RESERVED, approved),
        actor=actor, document=request.reference, allocation=allocation, request=request,
        memo=f"{request.title} approved",
    )  # fmt: skip
    _notify_partner(request, f"Fund request approved: {request.title}",
                    f"Approved: {_fmt(approved, program.currency)} of {_fmt(request.amount, program.currency)}.")  # fmt: skip
    return request


@transaction.atomic
def request_reject(*, request: FundRequest, actor: User, reason: str) -> FundRequest:
    """Reject a submitted request, saying why (the partner reads it)."""
    request = FundRequest.objects.select_for_update().get(pk=request.pk)
    if not rules.can_decide(actor, request.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides fund requests.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the request is rejected; the partner reads it."})
    _transition(request, RequestStatus.REJECTED)
    request.reject_reason, request.decided_by, request.decided_at = reason.strip(), actor, timezone.now()
    request.info_requested = False
    request.save(
        update_fields=["status", "reject_reason", "decided_by", "decided_at", "info_requested", "updated_at"]
    )
    _notify_partner(request, f"Fund request rejected: {request.title}", f"Reason: {request.reject_reason}")
    return request


def _pending_claims_total(request: FundRequest) -> Decimal:
    total = Claim.objects.filter(request=request, status=ClaimStatus.SUBMITTED).aggregate(s=Sum("amount"))[
        "s"
    ]
    return total or ZERO


def _release(request: FundRequest, allocation: FundAllocation, actor: User | None, *, keep: Decimal = ZERO,
             memo: str, movement: Movement = Movement.RELEASE) -> Decimal:  # fmt: skip
    """Give back what `request` holds reserved, except `keep`; both rows are locked by the caller."""
    amount = request.reserved_now - keep
    if amount <= 0:
        return ZERO
    FundAllocation.objects.filter(pk=allocation.pk).update(reserved=F("reserved") - amount)
    FundRequest.objects.filter(pk=request.pk).update(released=F("released") + amount)
    request.released += amount
    _post(
        program=allocation.program, movement=movement, lines=_move(Account.RESERVED, Account.AVAILABLE, amount),
        actor=actor, document=request.reference, allocation=allocation, request=request, memo=memo,
    )  # fmt: skip
    return amount


def _end_request(request: FundRequest, actor: User, target: RequestStatus) -> FundRequest:
    request = FundRequest.objects.select_for_update().get(pk=request.pk)
    label = "cancel" if target == RequestStatus.CANCELLED else "close"
    if not (rules.can_edit_request(actor, request) or rules.can_decide(actor, request.partner)):
        raise NotAllowed(f"Only the partner's managers or its channel manager {label} its requests.")
    if target not in REQUEST_TRANSITIONS[request.status]:
        raise InvalidTransition(request.status, target, "fund request")
    if request.status == RequestStatus.APPROVED:
        if Claim.objects.filter(request=request, status=ClaimStatus.SUBMITTED).exists():
            raise ValidationError(
                {"status": f"Claims on this request wait for a decision; decide them before you {label} it."}
            )
        allocation = (
            FundAllocation.objects.select_for_update().select_related("program").get(pk=request.allocation_id)
        )
        _release(
            request,
            allocation,
            actor,
            memo=f"{request.title} {'cancelled' if label == 'cancel' else 'closed'}",
        )
    request.status = target
    request.info_requested = False
    request.save(update_fields=["status", "info_requested", "updated_at"])
    data_changed("mdf")
    return request


@transaction.atomic
def request_cancel(*, request: FundRequest, actor: User) -> FundRequest:
    """Cancel a request: a draft or submitted one simply ends; an approved one releases all it still
    holds reserved (approved claims stay)."""
    return _end_request(request, actor, RequestStatus.CANCELLED)


@transaction.atomic
def request_close(*, request: FundRequest, actor: User) -> FundRequest:
    """No more claims on this request: what it still holds reserved is released."""
    return _end_request(request, actor, RequestStatus.CLOSED)


# --- Comments and requests for information -------------------------------------------------------


def _comment(
    request: FundRequest, author: User | None, kind: str, body: str, claim: Claim | None = None
) -> FundComment:
    return FundComment.objects.create(
        request=request, claim=claim, partner_id=request.partner_id, author=author, kind=kind, body=body
    )


@transaction.atomic
def comment_add(*, request: FundRequest, actor: User, body: str, claim: Claim | None = None) -> FundComment:
    """A comment from either side. From the partner while the channel asked for information, it is
    the answer and clears the question."""
    if not body.strip():
        raise ValidationError({"body": "Write the comment first."})
    if len(body) > 4000:
        raise ValidationError({"body": "Keep it under 4,000 characters."})
    is_channel_side = rules.can_decide(actor, request.partner)
    if not (is_channel_side or rules.can_edit_request(actor, request)):
        raise NotAllowed("Only the partner's managers and its channel manager comment here.")
    target: FundRequest | Claim = claim or request
    kind = CommentKind.COMMENT
    if not is_channel_side and target.info_requested:
        kind = CommentKind.ANSWER
        type(target).objects.filter(pk=target.pk).update(info_requested=False)
        target.info_requested = False
        _notify_channel_of(request, f"Answer on {target.reference}: {request.title}")
    comment = _comment(request, actor, kind, body.strip(), claim)
    if is_channel_side:
        _notify_partner(request, f"New comment on {target.reference}: {request.title}", body.strip())
    return comment


@transaction.atomic
def info_request(
    *, request: FundRequest, actor: User, question: str, claim: Claim | None = None
) -> FundComment:
    """The channel asks the partner for more information on a submitted request or claim; it stays
    in the queue, marked, until the partner answers."""
    if not rules.can_decide(actor, request.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin asks for information.")
    target: FundRequest | Claim = claim or request
    if target.status != "submitted":
        raise ValidationError({"status": "Ask about submitted requests and claims only."})
    if not question.strip():
        raise ValidationError({"question": "Write what the partner should tell you."})
    type(target).objects.filter(pk=target.pk).update(info_requested=True)
    target.info_requested = True
    comment = _comment(request, actor, CommentKind.INFO_REQUEST, question.strip(), claim)
    _notify_partner(request, f"Question on {target.reference}: {request.title}", question.strip())
    return comment


# --- Claims ---------------------------------------------------------------------------------------


def _check_proof_files(files: Sequence[Any]) -> list[tuple[Any, str]]:
    """Each file is a PDF, PNG or JPEG by its content, 10 MB at most, 10 files at most, at least one."""
    from core.uploads import check_documents

    if not files:
        raise ValidationError({"files": "Attach proof of performance: at least one PDF, PNG or JPEG file."})
    if len(files) > MAX_PROOF_FILES:
        raise ValidationError(
            {"files": f"Attach at most {MAX_PROOF_FILES} files; this claim has {len(files)}."}
        )
    return check_documents(files, max_bytes=MAX_PROOF_BYTES)


@transaction.atomic
def claim_submit(
    *,
    actor: User,
    request: FundRequest,
    amount: Any,
    description: str,
    files: Sequence[Any],
    actual_leads: int | None = None,
    actual_revenue: Any = None,
    results: str = "",
) -> Claim:
    """A partner manager claims (part of) an approved request with proof of performance. The amount
    may not exceed what remains of the approved amount (after approved and waiting claims)."""
    request = FundRequest.objects.select_for_update().select_related("program").get(pk=request.pk)
    if not rules.can_edit_request(actor, request):
        raise NotAllowed("Only your partner's managers file its claims.")
    if request.status != RequestStatus.APPROVED:
        raise ValidationError({"request": "Claims are filed against approved requests only."})
    program = request.program
    if timezone.localdate() > program.claim_deadline or program.status == ProgramStatus.CLOSED:
        raise ValidationError({"request": f"The claim deadline of {program.name} has passed."})
    value = money(amount)
    remaining = request.reserved_now - _pending_claims_total(request)
    if value > remaining:
        raise ValidationError(
            {
                "amount": f"At most {_fmt(max(remaining, ZERO), program.currency)} remains of this request's approval."
            }
        )
    if not (description or "").strip():
        raise ValidationError({"description": "Describe what was done."})
    if actual_leads is not None and actual_leads < 0:
        raise ValidationError({"actual_leads": "Enter zero or more."})
    revenue = (
        None
        if actual_revenue in (None, "")
        else money(actual_revenue, field_name="actual_revenue", allow_zero=True)
    )
    checked = _check_proof_files(files)
    claim = Claim.objects.create(
        request=request, allocation_id=request.allocation_id, program_id=request.program_id,
        partner_id=request.partner_id, amount=value, description=description.strip(),
        actual_leads=actual_leads, actual_revenue=revenue, results=(results or "").strip(), submitted_by=actor,
    )  # fmt: skip
    for upload, content_type in checked:
        proof = ProofFile(
            claim=claim, name=(getattr(upload, "name", "") or "proof")[-200:], content_type=content_type,
            size=upload.size, uploaded_by=actor,
        )  # fmt: skip
        proof.file.save(getattr(upload, "name", "proof") or "proof", upload, save=False)
        proof.save()
    data_changed("mdf")
    _notify_channel_of(request, f"New claim on {request.reference}: {request.title}")
    return claim


@transaction.atomic
def claim_approve(*, claim: Claim, actor: User, amount: Any = None) -> Claim:
    """Approve a claim in full or in part: the amount moves from reserved to claims payable. Above
    the threshold a channel manager's approval is the first of two."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not rules.can_decide(actor, claim.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides claims.")
    if claim.status != ClaimStatus.SUBMITTED:
        raise InvalidTransition(claim.status, ClaimStatus.APPROVED, "claim")
    default = claim.first_approved_amount or claim.amount
    approved = default if amount in (None, "") else money(amount)
    if approved > claim.amount:
        raise ValidationError(
            {"amount": f"Approve at most the {_fmt(claim.amount, claim.program.currency)} claimed."}
        )
    request = FundRequest.objects.select_for_update().get(pk=claim.request_id)
    allocation = (
        FundAllocation.objects.select_for_update()
        .select_related("program", "partner")
        .get(pk=claim.allocation_id)
    )
    program = allocation.program
    if approved > request.reserved_now:
        raise Overspend(
            f"The request holds {_fmt(request.reserved_now, program.currency)} reserved; "
            f"approving {_fmt(approved, program.currency)} would overspend it."
        )
    now = timezone.now()
    if needs_second_approval(program, approved) and not access.actor_of(actor).is_admin:
        if claim.first_approved_by_id:
            raise ValidationError({"status": "This claim waits for a channel admin's approval."})
        claim.first_approved_by, claim.first_approved_amount, claim.first_approved_at = actor, approved, now
        claim.save(
            update_fields=["first_approved_by", "first_approved_amount", "first_approved_at", "updated_at"]
        )
        _comment(request, actor, CommentKind.COMMENT,
                 f"First approval of the claim for {_fmt(approved, program.currency)}; a channel admin approves as well.", claim)  # fmt: skip
        _notify_admins(request, f"Claim needs your approval: {claim.reference}")
        return claim
    FundAllocation.objects.filter(pk=allocation.pk).update(
        reserved=F("reserved") - approved, claimed=F("claimed") + approved
    )
    FundRequest.objects.filter(pk=request.pk).update(consumed=F("consumed") + approved)
    request.consumed += approved
    _transition(claim, ClaimStatus.APPROVED)
    claim.approved_amount, claim.decided_by, claim.decided_at, claim.info_requested = (
        approved,
        actor,
        now,
        False,
    )
    claim.save(
        update_fields=[
            "status",
            "approved_amount",
            "decided_by",
            "decided_at",
            "info_requested",
            "updated_at",
        ]
    )
    _post(
        program=program, movement=Movement.CLAIM_APPROVAL,
        lines=_move(Account.RESERVED, Account.CLAIMS_PAYABLE, approved), actor=actor, document=claim.reference,
        allocation=allocation, request=request, claim=claim, memo=f"Claim on {request.title} approved",
    )  # fmt: skip
    _settle_request_if_done(request, allocation, actor)
    _notify_partner(request, f"Claim approved: {claim.reference}",
                    f"Approved: {_fmt(approved, program.currency)} of {_fmt(claim.amount, program.currency)}.")  # fmt: skip
    return claim


def _settle_request_if_done(request: FundRequest, allocation: FundAllocation, actor: User | None) -> None:
    """A request whose approval is used up is closed; on a closed programme, a request with no claim
    waiting any more releases the rest and closes."""
    if request.status != RequestStatus.APPROVED:
        return
    if request.reserved_now == 0:
        FundRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
        request.status = RequestStatus.CLOSED
    elif allocation.program.status == ProgramStatus.CLOSED and _pending_claims_total(request) == 0:
        _release(
            request, allocation, actor, memo=f"{request.title}: programme closed", movement=Movement.EXPIRY
        )
        _expire_available(allocation, actor)
        FundRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
        request.status = RequestStatus.CLOSED


@transaction.atomic
def claim_reject(*, claim: Claim, actor: User, reason: str) -> Claim:
    """Reject a claim, saying why; the request keeps its reservation for another claim."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not rules.can_decide(actor, claim.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin decides claims.")
    if not (reason or "").strip():
        raise ValidationError({"reason": "Say why the claim is rejected; the partner reads it."})
    _transition(claim, ClaimStatus.REJECTED)
    claim.reject_reason, claim.decided_by, claim.decided_at, claim.info_requested = (
        reason.strip(),
        actor,
        timezone.now(),
        False,
    )
    claim.save(
        update_fields=["status", "reject_reason", "decided_by", "decided_at", "info_requested", "updated_at"]
    )
    request = FundRequest.objects.select_for_update().get(pk=claim.request_id)
    allocation = (
        FundAllocation.objects.select_for_update().select_related("program").get(pk=claim.allocation_id)
    )
    _settle_request_if_done(request, allocation, actor)
    _notify_partner(request, f"Claim rejected: {claim.reference}", f"Reason: {claim.reject_reason}")
    return claim


@transaction.atomic
def claim_pay(
    *,
    claim: Claim,
    actor: User,
    payment_reference: str = "",
    credit_note_number: str = "",
    paid_on: date | None = None,
) -> Claim:
    """Settle an approved claim by payment (with its reference) or credit note (with its number):
    the amount moves from claims payable to paid."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if not rules.can_pay(actor, claim.partner):
        raise NotAllowed("Only the partner's channel manager or a channel admin settles claims.")
    reference, credit_note = (payment_reference or "").strip(), (credit_note_number or "").strip()
    if not reference and not credit_note:
        raise ValidationError({"payment_reference": "Enter the payment reference (or a credit note number)."})
    if len(reference) > 80 or len(credit_note) > 80:
        raise ValidationError({"payment_reference": "Keep references under 80 characters."})
    day = paid_on or timezone.localdate()
    if day > timezone.localdate():
        raise ValidationError({"paid_on": "The payment date cannot be in the future."})
    _transition(claim, ClaimStatus.PAID)
    allocation = (
        FundAllocation.objects.select_for_update().select_related("program").get(pk=claim.allocation_id)
    )
    amount = claim.approved_amount or ZERO
    FundAllocation.objects.filter(pk=allocation.pk).update(
        claimed=F("claimed") - amount, paid=F("paid") + amount
    )
    claim.payment_reference, claim.credit_note_number = reference, credit_note
    claim.settlement_method = SettlementMethod.PAYMENT if reference else SettlementMethod.CREDIT_NOTE
    claim.paid_on, claim.paid_by = day, actor
    claim.save(update_fields=["status", "payment_reference", "credit_note_number", "settlement_method", "paid_on", "paid_by", "updated_at"])  # fmt: skip
    request = FundRequest.objects.get(pk=claim.request_id)
    _post(
        program=allocation.program, movement=Movement.PAYMENT, lines=_move(Account.CLAIMS_PAYABLE, Account.PAID, amount),
        actor=actor, document=claim.reference, allocation=allocation, request=request, claim=claim,
        memo=f"Paid: {reference or 'credit note ' + credit_note}", booked_on=day,
    )  # fmt: skip
    _notify_partner(request, f"Claim paid: {claim.reference}",
                    f"{_fmt(amount, allocation.program.currency)} paid ({reference or 'credit note ' + credit_note}).")  # fmt: skip
    return claim


@dataclass
class BulkResult:
    done: int = 0
    failed: list[str] = field(default_factory=list)


def claims_pay_bulk(
    *, claims: Iterable[Claim], actor: User, payment_reference: str, paid_on: date | None = None
) -> BulkResult:
    """Mark several approved claims paid with one payment reference; each claim in its own
    transaction, so that one that cannot be paid is reported and the others are paid."""
    result = BulkResult()
    for claim in claims:
        try:
            claim_pay(claim=claim, actor=actor, payment_reference=payment_reference, paid_on=paid_on)
            result.done += 1
        except (ValidationError, InvalidTransition, NotAllowed) as exc:
            result.failed.append(f"{claim.reference}: {_message(exc)}")
    return result


# --- Expiry and reminders -------------------------------------------------------------------------


def _expire_available(allocation: FundAllocation, actor: User | None) -> Decimal:
    """What an allocation has available lapses: out of `amount`, into the expired account."""
    fresh = FundAllocation.objects.get(pk=allocation.pk)
    lapse = fresh.available
    if lapse <= 0:
        return ZERO
    FundAllocation.objects.filter(pk=allocation.pk).update(
        amount=F("amount") - lapse, expired=F("expired") + lapse
    )
    FundProgram.objects.filter(pk=allocation.program_id).update(allocated_total=F("allocated_total") - lapse)
    _post(
        program=allocation.program, movement=Movement.EXPIRY, lines=_move(Account.AVAILABLE, Account.EXPIRED, lapse),
        actor=actor, document=f"ALLOC-{allocation.pk}", allocation=allocation,
        memo=f"Unused at the close of {allocation.program.name}",
    )  # fmt: skip
    return lapse


@transaction.atomic
def program_close(*, program: FundProgram, actor: User | None) -> FundProgram:
    """Close a programme (by a channel admin, or by the expiry task after its claim deadline): open
    requests end, reservations not held by waiting claims are released, and every allocation's
    unused money expires. Claims already filed can still be decided and paid. Idempotent."""
    if actor is not None:
        _require_admin(actor, "close fund programmes")
    program = FundProgram.objects.select_for_update().get(pk=program.pk)
    if program.status == ProgramStatus.CLOSED:
        return program
    program.status, program.closed_at = ProgramStatus.CLOSED, timezone.now()
    program.save(update_fields=["status", "closed_at"])
    FundRequest.objects.filter(
        program=program, status__in=[RequestStatus.DRAFT, RequestStatus.SUBMITTED]
    ).update(status=RequestStatus.CANCELLED, info_requested=False)
    allocations = FundAllocation.objects.select_for_update().filter(program=program).select_related("program")
    for allocation in allocations.order_by("pk"):
        for request in FundRequest.objects.select_for_update().filter(
            allocation=allocation, status=RequestStatus.APPROVED
        ):
            waiting = _pending_claims_total(request)
            _release(request, allocation, actor, keep=waiting, memo=f"{request.title}: programme closed",
                     movement=Movement.EXPIRY)  # fmt: skip
            if waiting == 0:
                FundRequest.objects.filter(pk=request.pk).update(status=RequestStatus.CLOSED)
        _expire_available(allocation, actor)
    activity_record(
        actor=actor, verb="mdf.program.closed", target=program, message=f"Programme {program.name} closed"
    )
    return program


def programs_expire_due(*, today: date | None = None) -> int:
    """Close the open programmes whose claim deadline has passed (each in its own transaction)."""
    day = today or timezone.localdate()
    closed = 0
    for program in FundProgram.objects.filter(status=ProgramStatus.OPEN, claim_deadline__lt=day):
        program_close(program=program, actor=None)
        closed += 1
    return closed


def reminders_send(*, today: date | None = None) -> int:
    """Remind partner managers 30 and 7 days before a claim deadline of what they still have
    (available or reserved). Each reminder is sent once per allocation."""
    day = today or timezone.localdate()
    sent = 0
    for days in REMINDER_DAYS:
        field_name = f"reminded_{days}_on"
        due = (
            FundAllocation.objects.filter(
                program__status=ProgramStatus.OPEN,
                program__claim_deadline__lte=day + timedelta(days=days),
                program__claim_deadline__gte=day,
                **{f"{field_name}__isnull": True},
            )
            .filter(amount__gt=F("claimed") + F("paid") + HALF_CENT)  # see HALF_CENT: SQLite adds floats
            .select_related("program", "partner")
        )
        for allocation in due:
            with transaction.atomic():
                if not FundAllocation.objects.filter(
                    pk=allocation.pk, **{f"{field_name}__isnull": True}
                ).update(**{field_name: day}):
                    continue  # another sender took it
                program = allocation.program
                left = allocation.available + allocation.reserved
                _email_partner_managers(
                    allocation.partner_id,
                    f"{program.name}: claim deadline in {(program.claim_deadline - day).days} days",
                    f"{allocation.partner.name} still has {_fmt(left, program.currency)} in {program.name} "
                    f"(available {_fmt(allocation.available, program.currency)}, reserved for approved "
                    f"requests {_fmt(allocation.reserved, program.currency)}). File claims by "
                    f"{program.claim_deadline:%d %B %Y}; after that the money expires.",
                )
                sent += 1
    return sent


# --- Notifications --------------------------------------------------------------------------------


def _email_partner_managers(partner_id: int, subject: str, body: str) -> None:
    to = list(
        Membership.objects.filter(
            partner_id=partner_id, user__is_active=True, user__groups__name=Role.PARTNER_MANAGER
        )
        .values_list("user__email", flat=True)
        .distinct()
    )
    if to:
        email_send(to=to, subject=subject, body=body)


def _notify_partner(request: FundRequest, subject: str, body: str = "") -> None:
    _email_partner_managers(request.partner_id, subject, f"{request.title} ({request.reference})\n\n{body}")


def _notify_channel_of(request: FundRequest, subject: str) -> None:
    to = list(
        Partner.managers.through.objects.filter(partner_id=request.partner_id).values_list(
            "user__email", flat=True
        )
    )
    if to:
        email_send(to=to, subject=subject, body=f"{request.title} ({request.reference})")


def _notify_admins(request: FundRequest, subject: str) -> None:
    to = list(
        User.objects.filter(is_active=True, groups__name=Role.CHANNEL_ADMIN)
        .values_list("email", flat=True)
        .distinct()
    )
    if to:
        email_send(to=to, subject=subject, body=f"{request.title} ({request.reference})")
