"""Service: knowledge-base solutions with their "this solved it" feedback, and service requests with
their timeline, comments and attachments.

A service request belongs to one partner (`partner_id` on every row, comments and attachments
included, so that each scope is one indexed column); list indexes start with it. The status moves
along service.choices.SERVICE_TRANSITIONS only; the timestamps of escalation, resolution and closing
are held by CHECK constraints."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core.errors import InvalidTransition
from core.uploads import RandomUploadName
from service.choices import SERVICE_TRANSITIONS, ServiceEventKind, ServiceStatus, Severity
from service.search import SolutionDocument

NUMBER_PREFIX = "SR-"


def duration_text(seconds: float | None) -> str:
    """A time to resolve as people read it: "45 min", "5 h 20 min", "3 d 4 h"; "—" for none."""
    if seconds is None:
        return "—"
    minutes = max(0, int(seconds // 60))
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def request_number(pk: int) -> str:
    """The readable number of a service request: SR-000123."""
    return f"{NUMBER_PREFIX}{pk:06d}"


class Solution(models.Model):
    """A knowledge-base article written by the brand owner: a problem and how to solve it, for the
    products and categories it concerns. Partners read the published ones; "this solved it" feedback
    is counted in `solved_count` (one SolutionFeedback row per service request, or per person
    without one, so nothing counts twice)."""

    title = models.CharField(max_length=200)
    problem = models.TextField(help_text="The symptom as a customer or technician describes it.")
    solution = models.TextField(help_text="What to do, step by step.")
    tags = models.CharField(max_length=500, blank=True, help_text="Comma-separated keywords.")
    products = models.ManyToManyField("catalog.Product", blank=True, related_name="solutions")
    categories = models.ManyToManyField("catalog.Category", blank=True, related_name="solutions")
    published = models.BooleanField(default=False, help_text="Partners see published solutions only.")
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    solved_count = models.PositiveIntegerField(default=0, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The weighted full-text document (service.search): a tsvector on PostgreSQL, with a GIN index
    # (migration 0002); NULL on SQLite, which searches with LIKE.
    search_vector = models.GeneratedField(
        expression=SolutionDocument(), output_field=SearchVectorField(), db_persist=True
    )

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["-updated_at", "-id"], name="solution_recent"),
            models.Index(
                fields=["-updated_at", "-id"], condition=Q(published=True), name="solution_published"
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(title=""), name="solution_title_not_blank"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [tag.strip() for tag in self.tags.split(",") if tag.strip()]


class ServiceRequest(models.Model):
    """A customer's problem that a partner registers and works: new, in progress, waiting for the
    customer, escalated to the brand owner's service team, resolved (with the solution that did it),
    closed. Employees see their own and unassigned requests, as with leads. Time to resolve is
    measured from registration to resolution (`resolve_seconds`)."""

    number = models.CharField(max_length=20, unique=True, null=True, editable=False)
    partner = models.ForeignKey(
        "partners.Partner",
        on_delete=models.PROTECT,
        related_name="service_requests",
        db_index=False,  # servicerequest_partner_recent starts with partner_id
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="service_requests"
    )
    contact = models.ForeignKey(
        "customers.Contact", null=True, blank=True, on_delete=models.SET_NULL, related_name="service_requests"
    )
    product = models.ForeignKey(
        "catalog.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="service_requests"
    )
    serial_number = models.CharField(max_length=100, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    subject = models.CharField(max_length=200)
    description = models.TextField()
    status = models.CharField(max_length=24, choices=ServiceStatus.choices, default=ServiceStatus.NEW)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_service_requests",
        db_index=False,  # servicerequest_assignee starts with partner_id, assigned_to_id
    )
    solution = models.ForeignKey(
        Solution, null=True, blank=True, on_delete=models.SET_NULL, related_name="service_requests"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    resolve_seconds = models.PositiveIntegerField(
        null=True, blank=True, help_text="Time to resolve: from registration to (the last) resolution."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner", "-created_at", "-id"], name="servicerequest_partner_recent"),
            models.Index(
                fields=["partner", "status", "-created_at", "-id"], name="servicerequest_partner_status"
            ),
            models.Index(
                fields=["partner", "assigned_to", "-created_at", "-id"], name="servicerequest_assignee"
            ),
            models.Index(fields=["-created_at", "-id"], name="servicerequest_recent"),
            models.Index(fields=["status", "-created_at", "-id"], name="servicerequest_status_recent"),
            # The brand owner's escalation queue: escalated requests, longest waiting first.
            models.Index(
                fields=["escalated_at", "id"], condition=Q(status="escalated"), name="servicerequest_queue"
            ),
            models.Index(
                fields=["partner", "escalated_at", "id"],
                condition=Q(status="escalated"),
                name="servicerequest_partner_queue",
            ),
            models.Index(fields=["customer", "-created_at", "-id"], name="servicerequest_customer"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(
                condition=Q(status__in=ServiceStatus.values), name="servicerequest_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="servicerequest_severity_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="escalated") | Q(escalated_at__isnull=False),
                name="servicerequest_escalated_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="servicerequest_resolved_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False), name="servicerequest_closed_dated"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number or 'SR-?'} {self.subject}"

    @property
    def reference(self) -> str:
        return self.number or request_number(self.pk or 0)

    def can_move_to(self, status: str) -> bool:
        return status in SERVICE_TRANSITIONS.get(self.status, frozenset())

    def set_status(self, status: str) -> None:
        """Move along the workflow; raises InvalidTransition for a move the table does not allow."""
        if not self.can_move_to(status):
            raise InvalidTransition(self.get_status_display(), ServiceStatus(status).label, "service request")
        self.status = status

    @property
    def is_open(self) -> bool:
        return self.status not in (ServiceStatus.RESOLVED, ServiceStatus.CLOSED)

    @property
    def time_to_resolve(self) -> str:
        """From registration to resolution, as people read it ("—" while unresolved)."""
        return duration_text(self.resolve_seconds)


class SolutionFeedback(models.Model):
    """ "This solved it": one row per solution and service request (or per solution and person when
    given without a request), so that a solution's count never counts the same case twice."""

    solution = models.ForeignKey(Solution, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    service_request = models.ForeignKey(
        ServiceRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["solution", "service_request"],
                condition=Q(service_request__isnull=False),
                name="solutionfeedback_once_per_request",
            ),
            models.UniqueConstraint(
                fields=["solution", "user"],
                condition=Q(service_request__isnull=True),
                name="solutionfeedback_once_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"Solved by {self.solution_id}"


class ServiceEvent(models.Model):
    """One line of a request's timeline: who did what, when, from which status to which."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=ServiceEventKind.choices)
    from_status = models.CharField(max_length=24, blank=True)
    to_status = models.CharField(max_length=24, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["request", "created_at", "id"], name="serviceevent_request")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.message}"


class ServiceComment(models.Model):
    """A comment on a request. `internal` comments stay with the partner's people; the others are
    read by the brand owner's service team as well (and are how the two talk on an escalation)."""

    request = models.ForeignKey(
        ServiceRequest, on_delete=models.CASCADE, related_name="comments", db_index=False
    )
    partner = models.ForeignKey("partners.Partner", on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    internal = models.BooleanField(default=False, help_text="Only the partner's people read it.")
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["request", "created_at", "id"], name="servicecomment_request")
        ]

    def __str__(self) -> str:
        return f"Comment on {self.request_id}"


class ServiceAttachment(models.Model):
    """A file on a request (PDF, PNG or JPEG, checked by its content, like MDF proof). Stored under a
    random name outside any public URL; downloaded only through access-checked views, as an
    attachment."""

    request = models.ForeignKey(ServiceRequest, on_delete=models.PROTECT, related_name="attachments")
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=RandomUploadName("service-attachments"), max_length=200)
    name = models.CharField(max_length=200, help_text="The uploaded file's name, for display only.")
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name
