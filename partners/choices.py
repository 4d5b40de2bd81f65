"""Choices and workflows of the partners app."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    """Roles are Django groups of these names (DESIGN.md, access policy rule 1)."""

    CHANNEL_ADMIN = "channel_admin", "Channel admin"
    CHANNEL_MANAGER = "channel_manager", "Channel manager"
    PARTNER_MANAGER = "partner_manager", "Partner manager"
    PARTNER_EMPLOYEE = "partner_employee", "Partner employee"


CHANNEL_ROLES = frozenset({Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_MANAGER, Role.PARTNER_EMPLOYEE})


class PartnerType(models.TextChoices):
    DISTRIBUTOR = "distributor", "Distributor"
    RESELLER = "reseller", "Reseller"
    SERVICE_PARTNER = "service_partner", "Service partner"
    REFERRAL = "referral", "Referral partner"


class PartnerStatus(models.TextChoices):
    APPLIED = "applied", "Applied"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


# The one table of allowed status moves; anything else raises InvalidTransition.
PARTNER_TRANSITIONS: dict[str, frozenset[str]] = {
    PartnerStatus.APPLIED: frozenset({PartnerStatus.ONBOARDING, PartnerStatus.TERMINATED}),
    PartnerStatus.ONBOARDING: frozenset({PartnerStatus.ACTIVE, PartnerStatus.TERMINATED}),
    PartnerStatus.ACTIVE: frozenset({PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED}),
    PartnerStatus.SUSPENDED: frozenset({PartnerStatus.ACTIVE, PartnerStatus.TERMINATED}),
    PartnerStatus.TERMINATED: frozenset(),
}


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
