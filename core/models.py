"""What every app shares: users, the activity trail, API tokens."""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    """Users log in with their e-mail address; there are no usernames."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in: brand-owner staff or a member of exactly one partner (see
    partners.Membership). Roles are Django groups; the e-mail address is the login."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.get_full_name() or self.email


class ActivityEvent(models.Model):
    """One line of the activity trail: who did what to which record, and when.

    `partner_id` is the partner the record belongs to (denormalised, no foreign key because core sits
    below partners), so a partner's trail is one indexed scan."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verb = models.CharField(max_length=60)
    message = models.CharField(max_length=500)
    target_type = models.CharField(max_length=60)
    target_id = models.BigIntegerField()
    partner_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["partner_id", "-created_at", "-id"], name="activity_partner_recent"),
            models.Index(fields=["target_type", "target_id", "-created_at"], name="activity_target"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.verb}: {self.message}"


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 hash is stored; the raw token is shown
    once, when it is created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# The moves a job makes; core.jobs refuses any other.
JOB_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED}),
    JobStatus.DONE: frozenset(),
    JobStatus.FAILED: frozenset(),
}


class Job(models.Model):
    """Background work a person started (a CSV import, an export): its progress while it runs, its
    counts, and the rows it could not take, each with its line and the reason (capped, see core.jobs).

    `partner_id` is the partner the job works for (denormalised like ActivityEvent's, no foreign key
    because core sits below partners); null for the brand owner's own work. `input_file` names the
    uploaded file in the default storage while the job needs it (never served publicly).

    `heartbeat_at` is when the job last showed it is alive (made, made progress, seen held by its
    worker, sent again); `requeues` counts how often core.jobs.jobs_requeue_stale sent it again. A job
    whose heartbeat is old is stale: sent again, and failed after MAX_REQUEUES sends."""

    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200, blank=True)
    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="jobs")
    partner_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    input_file = models.CharField(max_length=255, blank=True)
    total = models.PositiveIntegerField(default=0, help_text="Rows (or items) to work through.")
    done = models.PositiveIntegerField(default=0, help_text="Rows worked through so far.")
    ok_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="[{line, reason}], capped.")
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now, help_text="When the job last showed it is alive."
    )
    requeues = models.PositiveSmallIntegerField(default=0, help_text="Times sent again because it stalled.")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["owner", "-created_at", "-id"], name="job_owner_recent"),
            models.Index(fields=["partner_id", "-created_at", "-id"], name="job_partner_recent"),
            # The stale-job sweep reads only unfinished jobs, however many finished ones pile up.
            models.Index(
                fields=["heartbeat_at", "id"],
                name="job_unfinished_heartbeat",
                condition=models.Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING]),
            ),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=models.Q(status__in=JobStatus.values), name="job_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.title or self.kind} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def progress(self) -> int:
        """Percent of the rows worked through, 0 to 100 (100 once done)."""
        if self.status == JobStatus.DONE:
            return 100
        if self.total <= 0:
            return 0
        return min(100, self.done * 100 // self.total)
