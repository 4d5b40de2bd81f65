"""Background tasks shared by every app."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail


@shared_task(
    bind=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def send_email_task(self, *, to: list[str], subject: str, body: str) -> int:  # type: ignore[no-untyped-def]
    """Send one plain-text e-mail; connection errors are retried with backoff."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)
