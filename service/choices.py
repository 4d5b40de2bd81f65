"""Choices and workflows of the service app: the service request's status with its one table of
allowed moves, severities, and the kinds of line in a request's timeline."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class ServiceStatus(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_FOR_CUSTOMER = "waiting_for_customer", "Waiting for customer"
    ESCALATED = "escalated", "Escalated"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


# The one table of allowed moves; anything else raises InvalidTransition.
# - new → resolved: a knowledge-base solution fixed it at once; new → closed: registered by mistake.
# - escalated → in_progress: the brand owner's service team hands it back (or the partner takes it back).
# - resolved → in_progress: the fix did not hold (reopened).
SERVICE_TRANSITIONS: dict[str, frozenset[str]] = {
    ServiceStatus.NEW: frozenset(
        {
            ServiceStatus.IN_PROGRESS,
            ServiceStatus.WAITING_FOR_CUSTOMER,
            ServiceStatus.ESCALATED,
            ServiceStatus.RESOLVED,
            ServiceStatus.CLOSED,
        }
    ),
    ServiceStatus.IN_PROGRESS: frozenset(
        {ServiceStatus.WAITING_FOR_CUSTOMER, ServiceStatus.ESCALATED, ServiceStatus.RESOLVED}
    ),
    ServiceStatus.WAITING_FOR_CUSTOMER: frozenset(
        {ServiceStatus.IN_PROGRESS, ServiceStatus.ESCALATED, ServiceStatus.RESOLVED}
    ),
    ServiceStatus.ESCALATED: frozenset({ServiceStatus.IN_PROGRESS, ServiceStatus.RESOLVED}),
    ServiceStatus.RESOLVED: frozenset({ServiceStatus.IN_PROGRESS, ServiceStatus.CLOSED}),
    ServiceStatus.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset(
    {
        ServiceStatus.NEW,
        ServiceStatus.IN_PROGRESS,
        ServiceStatus.WAITING_FOR_CUSTOMER,
        ServiceStatus.ESCALATED,
    }
)


class ServiceEventKind(models.TextChoices):
    CREATED = "created", "Registered"
    ASSIGNED = "assigned", "Assigned"
    STARTED = "started", "Work started"
    WAITING = "waiting", "Waiting for the customer"
    ESCALATED = "escalated", "Escalated to the brand owner"
    HANDED_BACK = "handed_back", "Handed back to the partner"
    RESOLVED = "resolved", "Resolved"
    REOPENED = "reopened", "Reopened"
    CLOSED = "closed", "Closed"
    SOLUTION_LINKED = "solution_linked", "Solution linked"
