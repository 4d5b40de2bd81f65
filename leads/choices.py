"""Choices and workflows of the leads app."""

from __future__ import annotations

from django.db import models


class LeadStatus(models.TextChoices):
    NEW = "new", "New"
    DISPATCHED = "dispatched", "Dispatched"
    ACCEPTED = "accepted", "Accepted"
    QUALIFIED = "qualified", "Qualified"
    WON = "won", "Won"
    LOST = "lost", "Lost"
    UNROUTABLE = "unroutable", "Unroutable"


# The one table of allowed moves. Dispatched → dispatched is a re-dispatch (by hand); unroutable →
# unroutable is routing tried again and still finding nobody.
LEAD_TRANSITIONS: dict[str, frozenset[str]] = {
    LeadStatus.NEW: frozenset({LeadStatus.DISPATCHED, LeadStatus.UNROUTABLE, LeadStatus.LOST}),
    LeadStatus.UNROUTABLE: frozenset({LeadStatus.DISPATCHED, LeadStatus.UNROUTABLE, LeadStatus.LOST}),
    LeadStatus.DISPATCHED: frozenset(
        {LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.UNROUTABLE, LeadStatus.LOST}
    ),
    LeadStatus.ACCEPTED: frozenset(
        {LeadStatus.QUALIFIED, LeadStatus.WON, LeadStatus.LOST, LeadStatus.DISPATCHED}
    ),
    # qualified → qualified: the partner corrects the qualification.
    LeadStatus.QUALIFIED: frozenset(
        {LeadStatus.QUALIFIED, LeadStatus.WON, LeadStatus.LOST, LeadStatus.DISPATCHED}
    ),
    LeadStatus.WON: frozenset(),
    LeadStatus.LOST: frozenset(),
}
OPEN_STATUSES = frozenset({LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.QUALIFIED})


class LeadSource(models.TextChoices):
    CHANNEL = "channel", "Channel portal"
    IMPORT = "import", "Import"
    API = "api", "API"
    SHOWROOM = "showroom", "Showroom"
    DEAL_REGISTRATION = "deal_registration", "Deal registration"


class Strategy(models.TextChoices):
    WEIGHTED = "weighted", "Weighted by tier (fair over time)"
    LEAST_LOADED = "least_loaded", "Least loaded (open leads / capacity)"
    NEAREST = "nearest", "Nearest (great-circle distance)"


class LeadEventKind(models.TextChoices):
    CREATED = "created", "Created"
    DISPATCHED = "dispatched", "Dispatched"
    ASSIGNED_BY_HAND = "assigned_by_hand", "Assigned by hand"
    UNROUTABLE = "unroutable", "Unroutable"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    EXPIRED = "expired", "Acceptance window passed"
    ASSIGNED = "assigned", "Assigned to a person"
    QUALIFIED = "qualified", "Qualified"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
