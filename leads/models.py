"""Leads, their timeline, dispatch rules and decisions, deal registrations."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Concat, Upper
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from core.countries import COUNTRY_CHOICES
from core.errors import InvalidTransition
from core.fields import latitude_field, longitude_field
from leads.choices import (
    LEAD_TRANSITIONS,
    LeadEventKind,
    LeadSource,
    LeadStatus,
    RegistrationStatus,
    Strategy,
)


class Lead(models.Model):
    """A sales prospect: dispatched to a partner, accepted or declined, qualified, won or lost."""

    company = models.CharField(max_length=200)
    # Set by leads.services from `company` (customers.models.normalise_company): conflict checks.
    normalised_company = models.CharField(max_length=200, blank=True, editable=False)
    contact_name = models.CharField(max_length=150, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="leads"
    )
    products_of_interest = models.TextField(blank=True)
    estimated_value = models.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="EUR")
    source = models.CharField(max_length=20, choices=LeadSource.choices, default=LeadSource.CHANNEL)
    campaign_code = models.CharField(max_length=60, blank=True)
    external_id = models.CharField(max_length=100, blank=True)
    partner = models.ForeignKey(
        "partners.Partner",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        db_index=False,  # lead_partner_recent starts with partner_id and serves the same lookups
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_leads",
    )
    customer = models.ForeignKey(
        "customers.Customer", null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    status = models.CharField(max_length=12, choices=LeadStatus.choices, default=LeadStatus.NEW)
    accept_by = models.DateTimeField(null=True, blank=True)
    # Qualification (BANT)
    budget = models.CharField(max_length=200, blank=True)
    authority = models.CharField(max_length=200, blank=True)
    need = models.CharField(max_length=500, blank=True)
    timeline = models.CharField(max_length=200, blank=True)
    qualification_notes = models.TextField(blank=True)
    won_value = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    lost_reason = models.CharField(max_length=500, blank=True)
    dispatch_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the lead search looks in, upper-cased in one column; on PostgreSQL a pg_trgm GIN index
    # (migration 0006) serves `LIKE '%…%'` on it.
    search_text = models.GeneratedField(
        expression=Upper(
            Concat(
                "company", models.Value(" "), "contact_name", models.Value(" "), "email",
                output_field=models.TextField(),
            ),
            output_field=models.TextField(),
        ),
        output_field=models.TextField(),
        db_persist=True,
    )  # fmt: skip
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="lead_partner_recent"),
            models.Index(fields=["partner", "status", "-created_at", "-id"], name="lead_partner_status"),
            models.Index(fields=["-created_at", "-id"], name="lead_recent"),
            models.Index(fields=["status", "-created_at", "-id"], name="lead_status_recent"),
            models.Index(
                fields=["accept_by"], condition=Q(status="dispatched"), name="lead_dispatched_deadline"
            ),
            models.Index(fields=["id"], condition=Q(status="new"), name="lead_new_queue"),
            models.Index(fields=["normalised_company"], name="lead_normalised_company"),
            # MDF return on investment: the leads that carry a fund request's campaign code.
            models.Index(
                fields=["campaign_code", "status"], condition=~Q(campaign_code=""), name="lead_campaign"
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["source", "external_id"],
                condition=~Q(external_id=""),
                name="lead_external_id_per_source",
            ),
            models.CheckConstraint(condition=Q(status__in=LeadStatus.values), name="lead_status_valid"),
            models.CheckConstraint(condition=Q(estimated_value__gte=0), name="lead_value_not_negative"),
            # A lead in a partner's hands has a partner.
            models.CheckConstraint(
                condition=~Q(status__in=["dispatched", "accepted", "qualified"]) | Q(partner__isnull=False),
                name="lead_open_has_partner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.company} ({self.get_status_display()})"

    def can_move_to(self, status: str) -> bool:
        return status in LEAD_TRANSITIONS.get(self.status, frozenset())

    def set_status(self, status: str) -> None:
        """Move along the workflow; raises InvalidTransition for a move the table does not allow."""
        if not self.can_move_to(status):
            raise InvalidTransition(self.get_status_display(), LeadStatus(status).label, "lead")
        self.status = status


class LeadEvent(models.Model):
    """One line of a lead's timeline: who did what, when and why."""

    lead = models.ForeignKey(
        Lead, on_delete=models.CASCADE, related_name="events", db_index=False
    )  # see leadevent_lead
    partner_id_at_event = models.BigIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=LeadEventKind.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["lead", "created_at"], name="leadevent_lead")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class LeadItem(models.Model):
    """A product the customer asked about, with the quantity (a showroom quote's basket line): what
    the lead's order is made of when it converts (orders.services.lead_convert)."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="lead_items")
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="lead_item_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × product {self.product_id}"


class LeadDecline(models.Model):
    """A partner that declined a lead (or let its acceptance window pass): never offered it again."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="declines")
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    expired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["lead", "partner"], name="lead_decline_once")
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} declined lead {self.lead_id}"


class DispatchRule(models.Model):
    """Which partners may receive which leads, and how one of them is chosen. Tried by priority
    (smaller first); the first rule that matches and has candidates left decides."""

    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    # Conditions (empty means any)
    countries = models.JSONField(default=list, blank=True, help_text="ISO country codes")
    regions = models.JSONField(default=list, blank=True)
    postal_prefixes = models.JSONField(default=list, blank=True)
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="+")
    min_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    max_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    sources = models.JSONField(default=list, blank=True)
    # Candidates: explicit partners, or all active partners filtered by these
    partners = models.ManyToManyField("partners.Partner", blank=True, related_name="dispatch_rules")
    min_tier = models.ForeignKey(
        "partners.Tier", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    partner_types = models.JSONField(default=list, blank=True)
    certification = models.ForeignKey(
        "partners.Certification", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sells_lead_category = models.BooleanField(
        default=False,
        help_text="Only partners whose assortment includes the lead's product category (a lead without "
        "a category does not match).",
    )
    strategy = models.CharField(max_length=20, choices=Strategy.choices, default=Strategy.WEIGHTED)
    accept_within_hours = models.PositiveIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(8760)],
        help_text="1 to 8760 (a year).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="rule_value_range",
                violation_error_message="The lowest value must not be above the highest value.",
            ),
            models.CheckConstraint(
                condition=Q(accept_within_hours__gte=1) & Q(accept_within_hours__lte=8760),
                name="rule_window_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.priority}: {self.name}"


class DispatchDecision(models.Model):
    """Why a lead went where it went: the rule, every candidate with its figure or the reason it was
    left out, and the choice. Kept for every routing, automatic or by hand."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="decisions")
    rule = models.ForeignKey(DispatchRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=120, blank=True)
    strategy = models.CharField(max_length=20, blank=True)
    partner = models.ForeignKey(
        "partners.Partner", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    candidates = models.JSONField(default=list)
    # A rule with many candidates keeps its best few in `candidates`; how many it considered and
    # how many of the others were left out, by reason ({"at capacity": 12, ...}).
    considered = models.PositiveIntegerField(default=0)
    left_out = models.JSONField(default=dict, blank=True)
    rules_tried = models.JSONField(default=list)
    reason = models.CharField(max_length=500)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Automatic decisions are e-mailed in digests (leads.services.routing_digests_send); set when sent.
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["id"],
                name="decision_to_notify",
                condition=models.Q(notified_at__isnull=True, decided_by__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return self.reason


class DealRegistration(models.Model):
    """A partner's claim on an opportunity it found; approved ones protect the customer from other
    partners' leads until `protected_until`."""

    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="registrations")
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    customer_company = models.CharField(max_length=200)
    normalised_company = models.CharField(max_length=200, editable=False)
    customer_domain = models.CharField(max_length=120, blank=True)
    country = models.CharField(max_length=2, choices=COUNTRY_CHOICES)
    category = models.ForeignKey(
        "catalog.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    value = models.DecimalField(max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))])
    currency = models.CharField(max_length=3, default="EUR")
    expected_close = models.DateField()
    notes = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING
    )
    conflicts = models.JSONField(default=list, blank=True)
    lead = models.OneToOneField(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="registration"
    )
    protected_until = models.DateField(null=True, blank=True)
    reject_reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="registration_partner_recent"),
            models.Index(fields=["normalised_company"], name="registration_company"),
            models.Index(fields=["customer_domain"], name="registration_domain"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values), name="registration_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_company} by {self.partner_id} ({self.get_status_display()})"


class LeadSettings(models.Model):
    """Channel-wide lead settings (one row)."""

    auto_route = models.BooleanField(default=True, help_text="Route new leads automatically.")
    reminder_hours_before_deadline = models.PositiveIntegerField(default=4)
    accept_within_hours_by_hand = models.PositiveIntegerField(
        "acceptance window for leads dispatched by hand (hours)",
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(8760)],
    )

    class Meta:
        verbose_name_plural = "lead settings"

    def __str__(self) -> str:
        return "Lead settings"

    @classmethod
    def current(cls) -> LeadSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


# Explicit shares of single leads (a co-selling partner): guardian's direct foreign-key tables.
class LeadUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Lead, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["user", "permission", "content_object"], name="lead_user_share"),
        ]


class LeadGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Lead, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["group", "permission", "content_object"], name="lead_group_share"),
        ]
