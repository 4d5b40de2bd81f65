"""Services shared by every app: the activity trail, API tokens, e-mail."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from core.models import ActivityEvent, ApiToken, User, hash_token

TOKEN_PREFIX = "pcm_"


def activity_record(
    *,
    actor: User | None,
    verb: str,
    target: models.Model,
    message: str,
    partner_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> ActivityEvent:
    """Record who did what to which record; called inside the service's transaction."""
    return ActivityEvent.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        verb=verb,
        message=message[:500],
        target_type=target._meta.label_lower,
        target_id=target.pk,
        partner_id=partner_id,
        data=data or {},
    )


_emails_suppressed: ContextVar[bool] = ContextVar("emails_suppressed", default=False)


@contextmanager
def emails_suppressed() -> Iterator[None]:
    """No notification e-mails inside this block (loading demo data must not mail anyone)."""
    token = _emails_suppressed.set(True)
    try:
        yield
    finally:
        _emails_suppressed.reset(token)


def emails_are_suppressed() -> bool:
    """True inside an `emails_suppressed()` block: for callers that queue their own mail task."""
    return _emails_suppressed.get()


def email_send(*, to: list[str], subject: str, body: str) -> None:
    """Queue an e-mail once the surrounding transaction commits (in-process without a broker)."""
    from core.tasks import send_email_task

    if _emails_suppressed.get():
        return
    transaction.on_commit(lambda: send_email_task.delay(to=to, subject=subject, body=body))


@transaction.atomic
def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a bearer token for `user`; returns the record and the raw token (shown only once)."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API token", key_hash=hash_token(raw), prefix=raw[:12]
    )
    activity_record(
        actor=user, verb="token.created", target=token, message=f"API token “{token.name}” created"
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke a token; it stops working at once. Revoking twice changes nothing."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        activity_record(
            actor=actor, verb="token.revoked", target=token, message=f"API token “{token.name}” revoked"
        )
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active user a raw bearer token belongs to, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    # Touch last_used at most once a minute, so that reads do not turn into writes.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
