"""Choices and workflows of the MDF app: programme, request and claim statuses with their one table
of allowed moves each, activity types, allocation rules, journal accounts and movement kinds."""

from __future__ import annotations

from django.db import models


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


PROGRAM_TRANSITIONS: dict[str, frozenset[str]] = {
    ProgramStatus.DRAFT: frozenset({ProgramStatus.OPEN, ProgramStatus.CLOSED}),
    ProgramStatus.OPEN: frozenset({ProgramStatus.CLOSED}),
    ProgramStatus.CLOSED: frozenset(),
}


class AllocationRule(models.TextChoices):
    TIER_SHARE = "tier_share", "By tier MDF share"
    MANUAL = "manual", "By hand"


class ActivityType(models.TextChoices):
    EVENT = "event", "Event"
    DIGITAL_CAMPAIGN = "digital_campaign", "Digital campaign"
    TRADE_SHOW = "trade_show", "Trade show"
    PRINT = "print", "Print"
    TRAINING = "training", "Training"
    CO_OP_ADVERTISING = "co_op_advertising", "Co-op advertising"
    OTHER = "other", "Other"


class RequestStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    CLOSED = "closed", "Closed"


# Approved → closed: no more claims (what is unused is released); approved → cancelled: the activity
# did not happen (the whole unused reservation is released; approved claims stay).
REQUEST_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.DRAFT: frozenset({RequestStatus.SUBMITTED, RequestStatus.CANCELLED}),
    RequestStatus.SUBMITTED: frozenset(
        {RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.CANCELLED, RequestStatus.CLOSED}
    ),
    RequestStatus.APPROVED: frozenset({RequestStatus.CLOSED, RequestStatus.CANCELLED}),
    RequestStatus.REJECTED: frozenset(),
    RequestStatus.CANCELLED: frozenset(),
    RequestStatus.CLOSED: frozenset(),
}


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"


CLAIM_TRANSITIONS: dict[str, frozenset[str]] = {
    ClaimStatus.SUBMITTED: frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED}),
    ClaimStatus.APPROVED: frozenset({ClaimStatus.PAID}),
    ClaimStatus.REJECTED: frozenset(),
    ClaimStatus.PAID: frozenset(),
}


class Account(models.TextChoices):
    """Journal accounts. A debit is positive, a credit negative; a programme's lines sum to zero.

    budget: the programme's budget (credited when money is allocated to a partner);
    available: a partner's allocated money not yet committed;
    reserved: approved requests not yet consumed by approved claims;
    claims_payable: approved claims not yet paid;
    paid: claims paid or credited;
    expired: money that lapsed when the programme closed."""

    BUDGET = "budget", "Budget"
    AVAILABLE = "available", "Allocated, available"
    RESERVED = "reserved", "Reserved"
    CLAIMS_PAYABLE = "claims_payable", "Claims payable"
    PAID = "paid", "Paid"
    EXPIRED = "expired", "Expired"


class Movement(models.TextChoices):
    ALLOCATION = "allocation", "Allocation"
    RESERVATION = "reservation", "Reservation"
    RELEASE = "release", "Release"
    CLAIM_APPROVAL = "claim_approval", "Claim approval"
    PAYMENT = "payment", "Payment"
    EXPIRY = "expiry", "Expiry"


class CommentKind(models.TextChoices):
    COMMENT = "comment", "Comment"
    INFO_REQUEST = "info_request", "Request for information"
    ANSWER = "answer", "Answer"


class SettlementMethod(models.TextChoices):
    PAYMENT = "payment", "Payment"
    CREDIT_NOTE = "credit_note", "Credit note"
