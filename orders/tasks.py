"""Background work of the orders app: the customer's e-mail about each status change of an order.
Thin: the task calls orders.services.order_status_email_send, which sends each event's e-mail once
(safe to run twice, retried with backoff when the mail server or the database is away)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from orders import services

TRANSIENT = (OSError, OperationalError, InterfaceError)


@shared_task(
    acks_late=True, autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=600, max_retries=5
)
def send_order_status_email_task(event_id: int) -> bool:
    """E-mail the order's customer contact about the event (status, its link); answers whether a
    mail went out."""
    return services.order_status_email_send(event_id=event_id)
