"""Marketing development funds: programmes, each partner's allocation, fund requests (pre-approval),
claims with proof of performance, comments, and the double-entry journal.

The money invariants live in the database: an allocation's committed money (reserved + claimed +
paid) never exceeds its allocated amount, a programme's allocations never exceed its budget, and a
request never consumes or releases more than was approved. Services change these figures only under
row locks; the CHECK constraints hold them even against a service that forgot to."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from core.uploads import RandomUploadName
from mdf.choices import (
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

ZERO = Decimal("0.00")
# Half a cent. The CHECK constraints compare with this margin because SQLite (the embedded default)
# stores decimals as binary floating point and adds them as such: 0.10 + 0.20 > 0.30 there. Amounts are
# whole cents, so on PostgreSQL (exact numerics) "x > -HALF_CENT" is exactly "x >= 0".
HALF_CENT = Decimal("0.005")


def money_field(**kwargs: object) -> models.DecimalField:
    """A money amount: 14 digits, 2 decimals (cents), never negative."""
    kwargs.setdefault("validators", [MinValueValidator(ZERO)])
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class FundProgram(models.Model):
    """MDF money for a period: a budget in one currency, shared out to partners as allocations.
    Requests are made while it is open; claims are filed until the claim deadline, after which the
    programme is closed and unused money expires."""

    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    claim_deadline = models.DateField(help_text="Claims are filed until this day; then the programme closes.")
    currency = models.CharField(max_length=3, default="EUR")
    budget = money_field()
    allocated_total = money_field(default=ZERO, editable=False)
    approval_threshold = money_field(
        null=True,
        blank=True,
        help_text="Requests and claims above this amount need a channel admin's approval as well. "
        "Empty: one approval is enough.",
    )
    allocation_rule = models.CharField(
        max_length=12, choices=AllocationRule.choices, default=AllocationRule.TIER_SHARE
    )
    status = models.CharField(max_length=8, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(status__in=ProgramStatus.values), name="program_status_valid"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="program_period_order"),
            models.CheckConstraint(
                condition=Q(claim_deadline__gte=F("ends_on")), name="program_deadline_after_end"
            ),
            models.CheckConstraint(condition=Q(budget__gte=0), name="program_budget_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated_total__gt=-HALF_CENT) & Q(allocated_total__lt=F("budget") + HALF_CENT),
                name="program_not_overallocated",
                violation_error_message="The allocations would exceed the programme's budget.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def unallocated(self) -> Decimal:
        return self.budget - self.allocated_total


class FundAllocation(models.Model):
    """A programme's money for one partner. `amount` is what was allocated (less what expired);
    `reserved` is held by approved requests, `claimed` by approved claims not yet paid, `paid` is
    settled. `available` = amount − reserved − claimed − paid, never below zero."""

    program = models.ForeignKey(FundProgram, on_delete=models.PROTECT, related_name="allocations")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_allocations")
    amount = money_field(default=ZERO)
    reserved = money_field(default=ZERO, editable=False)
    claimed = money_field(default=ZERO, editable=False)
    paid = money_field(default=ZERO, editable=False)
    expired = money_field(default=ZERO, editable=False)
    reminded_30_on = models.DateField(null=True, blank=True, editable=False)
    reminded_7_on = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["program", "partner__name"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="allocation_partner_recent"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["program", "partner"], name="allocation_one_per_partner"),
            models.CheckConstraint(
                condition=Q(reserved__gt=-HALF_CENT)
                & Q(claimed__gt=-HALF_CENT)
                & Q(paid__gt=-HALF_CENT)
                & Q(expired__gt=-HALF_CENT),
                name="allocation_figures_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=F("reserved") + F("claimed") + F("paid") - HALF_CENT),
                name="allocation_available_not_negative",
                violation_error_message="This would take the allocation's available money below zero.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} · {self.partner}"

    @property
    def available(self) -> Decimal:
        return self.amount - self.reserved - self.claimed - self.paid


class FundRequest(models.Model):
    """A partner's planned marketing activity, approved before money is spent (pre-approval).
    Approving reserves `approved_amount`; approved claims consume it; cancelling or closing
    releases what is left. `consumed + released <= approved_amount` always."""

    allocation = models.ForeignKey(FundAllocation, on_delete=models.PROTECT, related_name="requests")
    program = models.ForeignKey(FundProgram, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_requests")
    title = models.CharField(max_length=200)
    activity_type = models.CharField(max_length=20, choices=ActivityType.choices)
    description = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    amount = money_field()
    approved_amount = money_field(null=True, blank=True, editable=False)
    consumed = money_field(default=ZERO, editable=False)
    released = money_field(default=ZERO, editable=False)
    expected_leads = models.PositiveIntegerField(null=True, blank=True)
    expected_revenue = money_field(null=True, blank=True)
    campaign_code = models.CharField(
        max_length=60, help_text="Leads carrying this code count towards the request's return."
    )
    status = models.CharField(max_length=10, choices=RequestStatus.choices, default=RequestStatus.DRAFT)
    info_requested = models.BooleanField(default=False, help_text="The channel asked for more information.")
    copied_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_approved_amount = money_field(null=True, blank=True)
    first_approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="fundrequest_partner_recent"),
            models.Index(fields=["allocation", "-created_at", "-id"], name="fundrequest_allocation_recent"),
            # The approval queue: submitted requests, oldest first.
            models.Index(
                fields=["submitted_at", "id"],
                name="fundrequest_queue",
                condition=Q(status="submitted"),
            ),
            models.Index(
                fields=["partner", "submitted_at", "id"],
                name="fundrequest_partner_queue",
                condition=Q(status="submitted"),
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="fundrequest_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(activity_type__in=ActivityType.values), name="fundrequest_activity_valid"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="fundrequest_amount_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="fundrequest_dates_order"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True, consumed=0, released=0)
                | (
                    Q(approved_amount__gt=0, approved_amount__lt=F("amount") + HALF_CENT)
                    & Q(consumed__gt=-HALF_CENT, released__gt=-HALF_CENT)
                    & Q(approved_amount__gt=F("consumed") + F("released") - HALF_CENT)
                ),
                name="fundrequest_within_approval",
                violation_error_message="Claims and releases may not exceed the approved amount.",
            ),
            models.UniqueConstraint(
                fields=["campaign_code"],
                name="fundrequest_campaign_code_unique",
                violation_error_message="This campaign code is already used by another request.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        return f"REQ-{self.pk}"

    @property
    def reserved_now(self) -> Decimal:
        """What this request still holds reserved."""
        if self.approved_amount is None:
            return ZERO
        return self.approved_amount - self.consumed - self.released

    @property
    def awaiting_second_approval(self) -> bool:
        return self.status == RequestStatus.SUBMITTED and self.first_approved_by_id is not None


class Claim(models.Model):
    """Proof that an approved activity happened and what it cost: files, results, and the amount
    asked for (at most what remains of the request's approved amount). Approving moves money from
    reserved to claims payable; paying from claims payable to paid."""

    request = models.ForeignKey(FundRequest, on_delete=models.PROTECT, related_name="claims")
    allocation = models.ForeignKey(FundAllocation, on_delete=models.PROTECT, related_name="+")
    program = models.ForeignKey(FundProgram, on_delete=models.PROTECT, related_name="+")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="fund_claims")
    amount = money_field()
    approved_amount = money_field(null=True, blank=True, editable=False)
    description = models.TextField()
    actual_leads = models.PositiveIntegerField(null=True, blank=True)
    actual_revenue = money_field(null=True, blank=True)
    results = models.TextField(blank=True, help_text="What the activity achieved.")
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    info_requested = models.BooleanField(default=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_approved_amount = money_field(null=True, blank=True)
    first_approved_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    settlement_method = models.CharField(max_length=12, choices=SettlementMethod.choices, blank=True)
    payment_reference = models.CharField(max_length=80, blank=True)
    credit_note_number = models.CharField(max_length=80, blank=True)
    paid_on = models.DateField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="claim_partner_recent"),
            models.Index(fields=["request", "-created_at", "-id"], name="claim_request_recent"),
            models.Index(fields=["created_at", "id"], name="claim_queue", condition=Q(status="submitted")),
            models.Index(
                fields=["partner", "created_at", "id"],
                name="claim_partner_queue",
                condition=Q(status="submitted"),
            ),
            models.Index(fields=["decided_at", "id"], name="claim_to_pay", condition=Q(status="approved")),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(status__in=ClaimStatus.values), name="claim_status_valid"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="claim_amount_positive"),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | Q(approved_amount__gt=0, approved_amount__lte=F("amount")),
                name="claim_approved_within_amount",
            ),
            models.CheckConstraint(
                condition=~Q(status="paid") | ~Q(payment_reference="") | ~Q(credit_note_number=""),
                name="claim_paid_has_reference",
                violation_error_message="A paid claim needs a payment reference or a credit note number.",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} on {self.request_id} ({self.get_status_display()})"

    @property
    def reference(self) -> str:
        return f"CLM-{self.pk}"

    @property
    def awaiting_second_approval(self) -> bool:
        return self.status == ClaimStatus.SUBMITTED and self.first_approved_by_id is not None


class ProofFile(models.Model):
    """A proof-of-performance file of a claim (PDF, PNG or JPEG, checked by its content). Stored under
    a random name outside any public URL; served only through an access-checked download."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="proof_files")
    file = models.FileField(upload_to=RandomUploadName("mdf-proof"), max_length=200)
    name = models.CharField(max_length=200, help_text="The uploaded file's name, for display only.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["claim", "id"]

    def __str__(self) -> str:
        return self.name


class FundComment(models.Model):
    """A message on a request (or one of its claims) between the partner and the channel: a comment,
    a request for more information, or the answer to one."""

    request = models.ForeignKey(FundRequest, on_delete=models.CASCADE, related_name="comments")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="comments")
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=14, choices=CommentKind.choices, default=CommentKind.COMMENT)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request_id}"


class JournalEntry(models.Model):
    """One line of a balanced double-entry posting: every money movement posts two or more lines
    whose debits equal their credits, so a programme's lines always sum to zero. Immutable once
    posted (the database refuses updates, and on PostgreSQL deletes, of these rows)."""

    posting = models.UUIDField(db_index=True, help_text="The lines posted together share this id.")
    program = models.ForeignKey(FundProgram, on_delete=models.PROTECT, related_name="journal")
    allocation = models.ForeignKey(
        FundAllocation, null=True, blank=True, on_delete=models.PROTECT, related_name="journal"
    )
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    request = models.ForeignKey(
        FundRequest, null=True, blank=True, on_delete=models.PROTECT, related_name="journal"
    )
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="journal")
    booked_on = models.DateField()
    posted_at = models.DateTimeField(auto_now_add=True)
    movement = models.CharField(max_length=16, choices=Movement.choices)
    account = models.CharField(max_length=16, choices=Account.choices)
    debit = money_field(default=ZERO)
    credit = money_field(default=ZERO)
    currency = models.CharField(max_length=3)
    document = models.CharField(max_length=40, help_text="e.g. REQ-12, CLM-40, ALLOC-3.")
    memo = models.CharField(max_length=200, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "journal entries"
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["program", "id"], name="journal_program"),
            models.Index(fields=["allocation", "account"], name="journal_allocation_account"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                name="journal_one_sided_line",
            ),
            models.CheckConstraint(condition=Q(account__in=Account.values), name="journal_account_valid"),
            models.CheckConstraint(condition=Q(movement__in=Movement.values), name="journal_movement_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.account} {self.debit or -self.credit} {self.currency}"

    @property
    def signed(self) -> Decimal:
        return self.debit - self.credit
