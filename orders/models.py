"""Orders: what a customer orders from a partner (from a won lead, a replenishment order, the showroom
basket), its lines at the partner's prices, and its dated status history, which the customer follows by
an unguessable status link."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from core.errors import InvalidTransition
from orders.choices import ORDER_TRANSITIONS, OrderEventKind, OrderOrigin, OrderStatus

ZERO = Decimal("0.00")
NUMBER_PREFIX = "SO-"


class OrderTransitionError(InvalidTransition):
    """A move the order workflow does not allow (answers 409 like every InvalidTransition), with a
    message of its own where the plain "cannot go from … to …" would not say what is wrong."""

    def __init__(self, current: str, target: str, message: str = "") -> None:
        self.current = current
        self.target = target
        Exception.__init__(self, message or f"An order cannot go from “{current}” to “{target}”.")


def new_status_token() -> str:
    """The secret of an order's public status link: 32 random bytes, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def money_field(**kwargs: object) -> models.DecimalField:
    """A money amount: 14 digits, 2 decimals (cents), never negative."""
    kwargs.setdefault("validators", [MinValueValidator(ZERO)])
    return models.DecimalField(max_digits=14, decimal_places=2, **kwargs)  # type: ignore[arg-type]


class Order(models.Model):
    """A customer's order with one partner: lines at the partner's prices, a status that moves along
    ORDER_TRANSITIONS (each move dated in `events`), and a secret token for the customer's status page."""

    number = models.CharField(max_length=20, unique=True, help_text="Readable, e.g. SO-000123.")
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.PROTECT, related_name="orders", db_index=False
    )  # order_partner_recent starts with partner_id and serves the same lookups
    customer = models.ForeignKey("customers.Customer", on_delete=models.PROTECT, related_name="orders")
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_orders",
    )
    origin = models.CharField(max_length=15, choices=OrderOrigin.choices, default=OrderOrigin.REPLENISHMENT)
    lead = models.OneToOneField(
        "leads.Lead", null=True, blank=True, on_delete=models.SET_NULL, related_name="order"
    )
    currency = models.CharField(max_length=3, default="EUR")
    total = money_field(default=ZERO)
    status = models.CharField(max_length=10, choices=OrderStatus.choices, default=OrderStatus.DRAFT)
    customer_reference = models.CharField(
        "customer reference", max_length=60, blank=True, help_text="The customer's purchase order number."
    )
    notes = models.TextField(blank=True)
    reason = models.CharField(max_length=500, blank=True, help_text="Why it was rejected or cancelled.")
    expected_delivery = models.DateField(null=True, blank=True)
    tracking_reference = models.CharField(max_length=100, blank=True)
    # Never shown to anyone but the order's own people and its customer (the status link).
    status_token = models.CharField(max_length=64, unique=True, default=new_status_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="order_partner_recent"),
            models.Index(fields=["partner", "status", "-created_at", "-id"], name="order_partner_status"),
            models.Index(fields=["-created_at", "-id"], name="order_recent"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_recent"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(condition=Q(origin__in=OrderOrigin.values), name="order_origin_valid"),
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(condition=~Q(status_token=""), name="order_token_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.number} ({self.get_status_display()})"

    def can_move_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS.get(self.status, frozenset())

    def set_status(self, status: str) -> None:
        """Move along the workflow; raises InvalidTransition for a move the table does not allow."""
        if not self.can_move_to(status):
            raise OrderTransitionError(self.get_status_display(), OrderStatus(status).label)
        self.status = status

    @property
    def is_open(self) -> bool:
        return self.status not in (OrderStatus.DELIVERED, OrderStatus.CANCELLED)

    @property
    def status_url(self) -> str:
        """The root-relative address of the customer's public status page."""
        return reverse("order_status", kwargs={"token": self.status_token})


class OrderLine(models.Model):
    """A product on an order: quantity, the partner's price when it was ordered (per `price_unit` order
    units) and the line total (quantity × price ÷ price unit, to the cent). SKU and name are kept as they
    were, so an order reads the same after the catalogue changes."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="order_lines")
    sku = models.CharField("SKU", max_length=40)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_price = money_field()
    price_unit = models.PositiveIntegerField(default=1)
    line_total = money_field()

    class Meta:
        ordering = ["id"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
            models.CheckConstraint(condition=Q(line_total__gte=0), name="order_line_total_not_negative"),
            models.CheckConstraint(condition=Q(price_unit__gte=1), name="order_line_price_unit_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"


class OrderEvent(models.Model):
    """One dated line of an order's history: what happened, the status after it, who did it and a note
    (a rejection reason, a tracking reference). The customer's status page shows kind, status and date."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", db_index=False)
    kind = models.CharField(max_length=10, choices=OrderEventKind.choices)
    status = models.CharField(max_length=10, choices=OrderStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the customer was e-mailed about this event (orders.tasks); claimed before sending, so the
    # mail goes out once even if the task runs twice.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["order", "created_at", "id"], name="orderevent_order")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_status_display()})"
