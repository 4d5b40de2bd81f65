"""Roll-up tables behind the dashboards (rebuilt set-based by analytics.rollups) and the tier rules.

A roll-up row counts raw rows of one day and one combination of dimensions; the dashboards sum
them. Partner attributes (country, region, tier, type) are joined at read time, so a partner that
changes tier moves its history with it. Money sums are per currency, never mixed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from analytics.choices import Measure

ZERO = Decimal("0.00")


def _money(**kwargs: object) -> models.DecimalField:
    return models.DecimalField(max_digits=18, decimal_places=2, default=ZERO, **kwargs)  # type: ignore[arg-type]


class LeadRollup(models.Model):
    """Leads by the day they came in × partner × category × source × status × currency: how many,
    how many were dispatched and accepted, their estimated value and their won value."""

    day = models.DateField()
    partner_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    source = models.CharField(max_length=20)
    status = models.CharField(max_length=12)
    currency = models.CharField(max_length=3)
    leads = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    estimated_value = _money()
    won_value = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="leadrollup_partner_day"),
            models.Index(fields=["day"], name="leadrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} partner {self.partner_id}: {self.leads} {self.status}"


class LeadMonthRollup(models.Model):
    """LeadRollup summed by calendar month (`day` is the first of the month) × partner × category ×
    status × currency, without the source. The dashboards read whole months of a period from here
    and only the days of its partial months from LeadRollup: the same sums, far fewer rows."""

    day = models.DateField(help_text="The first day of the month.")
    partner_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12)
    currency = models.CharField(max_length=3)
    leads = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    estimated_value = _money()
    won_value = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="leadmonthrollup_partner_day"),
            models.Index(fields=["day"], name="leadmonthrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} partner {self.partner_id}: {self.leads} {self.status}"


class LeadChannelRollup(models.Model):
    """LeadRollup summed over every partner (and the queue) by day × category × status × currency:
    what a channel admin's unfiltered figures that are not per partner (funnel, statuses, months,
    currencies) read, a few rows a day whatever the number of partners."""

    day = models.DateField()
    category_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=12)
    currency = models.CharField(max_length=3)
    leads = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    estimated_value = _money()
    won_value = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["day"], name="leadchannelrollup_day")]

    def __str__(self) -> str:
        return f"{self.day} every partner: {self.leads} {self.status}"


class LeadEventRollup(models.Model):
    """Lead timeline events by day × partner (at the event) × category: acceptance-window breaches,
    declines and re-dispatches (a lead given to a partner again after a decline, a missed window,
    by hand, or after it was unroutable)."""

    day = models.DateField()
    partner_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    breaches = models.PositiveIntegerField(default=0)
    declines = models.PositiveIntegerField(default=0)
    redispatches = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="leadeventrollup_partner_day"),
            models.Index(fields=["day"], name="leadeventrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} partner {self.partner_id}: {self.breaches} breaches"


class OrderRollup(models.Model):
    """Orders by the day they were created × partner × status × currency: how many and their total."""

    day = models.DateField()
    partner_id = models.BigIntegerField()
    status = models.CharField(max_length=10)
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0)
    total = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="orderrollup_partner_day"),
            models.Index(fields=["day"], name="orderrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} partner {self.partner_id}: {self.orders} {self.status}"


class OrderMonthRollup(models.Model):
    """OrderRollup summed by calendar month (`day` is the first of the month); read like
    LeadMonthRollup."""

    day = models.DateField(help_text="The first day of the month.")
    partner_id = models.BigIntegerField()
    status = models.CharField(max_length=10)
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0)
    total = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="ordermonthrollup_partner_day"),
            models.Index(fields=["day"], name="ordermonthrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m} partner {self.partner_id}: {self.orders} {self.status}"


class OrderChannelRollup(models.Model):
    """OrderRollup summed over every partner by day × status × currency (see LeadChannelRollup)."""

    day = models.DateField()
    status = models.CharField(max_length=10)
    currency = models.CharField(max_length=3)
    orders = models.PositiveIntegerField(default=0)
    total = _money()

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["day"], name="orderchannelrollup_day")]

    def __str__(self) -> str:
        return f"{self.day} every partner: {self.orders} {self.status}"


class ServiceRollup(models.Model):
    """Service requests by the day they were registered × partner × product × category × solution ×
    status: how many, how many were escalated, how many are resolved (or closed after resolution)."""

    day = models.DateField()
    partner_id = models.BigIntegerField()
    product_id = models.BigIntegerField(null=True, blank=True)
    category_id = models.BigIntegerField(null=True, blank=True)
    solution_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=24)
    requests = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "day"], name="servicerollup_partner_day"),
            models.Index(fields=["day"], name="servicerollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} partner {self.partner_id}: {self.requests} {self.status}"


class DurationRollup(models.Model):
    """How long things took, as a histogram: per day (the record's creation day) × partner × category
    × kind, how many records took `bucket` tenths of an hour (whole seconds // 360). The medians of
    the dashboards (time to accept a lead, to resolve a service request, to deliver an order) are
    read from it exactly, at that resolution, without reading the raw rows."""

    class Kind(models.TextChoices):
        ACCEPT = "accept", "Dispatch to acceptance (leads)"
        RESOLVE = "resolve", "Registration to resolution (service requests)"
        DELIVER = "deliver", "Submission to delivery (orders)"

    day = models.DateField()
    partner_id = models.BigIntegerField()
    category_id = models.BigIntegerField(null=True, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    bucket = models.PositiveIntegerField(help_text="Tenths of an hour (whole seconds // 360).")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["kind", "partner_id", "day"], name="durationrollup_partner_day"),
            models.Index(fields=["kind", "day"], name="durationrollup_day"),
        ]

    def __str__(self) -> str:
        return f"{self.day} partner {self.partner_id} {self.kind}: {self.count} × {self.bucket}"


class RollupState(models.Model):
    """When a roll-up was last rebuilt or refreshed: pages say how current their figures are, and the
    periodic refresh reads the raw rows changed since `refreshed_through`."""

    name = models.CharField(max_length=40, unique=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    refreshed_through = models.DateTimeField(
        null=True, blank=True, help_text="Raw rows changed up to this moment are in the roll-up."
    )
    full_rebuild_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}: {self.updated_at}"


class TierRequirement(models.Model):
    """A threshold a partner of `tier` must meet on one scorecard measure (editable by channel admins);
    the scorecard says what a partner lacks for the next tier, and flags partners below their own."""

    tier = models.ForeignKey("partners.Tier", on_delete=models.CASCADE, related_name="requirements")
    measure = models.CharField(max_length=40, choices=Measure.choices)
    minimum = models.DecimalField(max_digits=14, decimal_places=2)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["tier__rank", "measure"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["tier", "measure"], name="tier_requirement_once"),
            models.CheckConstraint(condition=Q(minimum__gte=0), name="tier_requirement_not_negative"),
            models.CheckConstraint(
                condition=Q(measure__in=Measure.values), name="tier_requirement_measure_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tier}: {self.measure} ≥ {self.minimum}"
