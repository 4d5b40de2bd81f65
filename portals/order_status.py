"""The public order status page, /orders/status/<token>/: what a customer sees by the link in their
e-mails. It shows the order's number, status, the dated history of its status changes, the expected
delivery date, the tracking reference and the seller's name; nothing else of the partner (no prices,
people, notes or reasons).

The token is unguessable (32 random bytes); still, guessing is rate-limited: each unknown token
counts against the client address, and past ORDER_STATUS_MISSES_PER_HOUR misses the address is
answered 429 for an hour, whatever token it asks for (else a 200 among 429s would tell a hit). The
page is not indexed and sends no referrer, so the token does not leak into search engines or other
sites' logs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.ratelimit import client_ip, limit_exceeded
from orders import selectors
from orders.choices import OrderEventKind, OrderStatus
from orders.models import Order

MISSES_PER_HOUR = 30
BLOCK_SECONDS = 3600
SCOPE = "order-status"

# The statuses and history as the customer reads them.
STATUS_TEXT = {
    OrderStatus.DRAFT: "Being prepared",
    OrderStatus.SUBMITTED: "Received",
    OrderStatus.ACCEPTED: "Accepted",
    OrderStatus.CONFIRMED: "Confirmed",
    OrderStatus.SHIPPED: "Shipped",
    OrderStatus.DELIVERED: "Delivered",
    OrderStatus.CANCELLED: "Cancelled",
}
EVENT_TEXT = {
    OrderEventKind.CREATED: "Order created",
    OrderEventKind.SUBMITTED: "Order received",
    OrderEventKind.ACCEPTED: "Order accepted",
    OrderEventKind.REJECTED: "Order not accepted",
    OrderEventKind.CONFIRMED: "Order confirmed",
    OrderEventKind.SHIPPED: "Shipped",
    OrderEventKind.DELIVERED: "Delivered",
    OrderEventKind.CANCELLED: "Order cancelled",
}  # "updated" (a draft changed) is the partner's business


@dataclass(frozen=True)
class PublicEvent:
    text: str
    at: datetime


@dataclass(frozen=True)
class PublicOrder:
    """All the page may show of an order: built here so that the template never sees the partner,
    the customer, the lines or the notes."""

    number: str
    status: str
    status_text: str
    seller: str
    expected_delivery: date | None
    tracking_reference: str
    history: list[PublicEvent]


def public_view(order: Order, seller: str) -> PublicOrder:
    history = [
        PublicEvent(EVENT_TEXT[OrderEventKind(e.kind)], e.created_at)
        for e in order.events.all()
        if e.kind in EVENT_TEXT
    ]
    return PublicOrder(
        number=order.number,
        status=order.status,
        status_text=STATUS_TEXT.get(OrderStatus(order.status), order.get_status_display()),
        seller=seller,
        expected_delivery=order.expected_delivery if order.status != OrderStatus.CANCELLED else None,
        tracking_reference=order.tracking_reference,
        history=history,
    )


def _limit() -> int:
    return int(getattr(settings, "ORDER_STATUS_MISSES_PER_HOUR", MISSES_PER_HOUR))


def _blocked_key(ip: str) -> str:
    return f"{SCOPE}:blocked:{hashlib.sha256(ip.encode()).hexdigest()[:32]}"


def _private(response: HttpResponse) -> HttpResponse:
    """Keep the token out of referrers, search engines and shared caches."""
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "public/order_status_rate_limited.html", {"limit": _limit()}, status=429)
    response["Retry-After"] = str(BLOCK_SECONDS)
    return _private(response)


@login_not_required
@never_cache
@require_GET
def order_status(request: HttpRequest, token: str) -> HttpResponse:
    """The order of this status link (200), or 404 for an unknown link; 429 once the client address
    has missed too often. Queries: the order, its history (and the seller's name joined)."""
    ip = client_ip(request)
    if cache.get(_blocked_key(ip)):
        return _too_many(request)
    order = selectors.order_by_token(token)
    if order is None:
        if limit_exceeded(SCOPE, ip, limit=_limit(), period_seconds=BLOCK_SECONDS):
            cache.set(_blocked_key(ip), 1, timeout=BLOCK_SECONDS)
            return _too_many(request)
        return _private(render(request, "public/order_status_unknown.html", status=404))
    seller = order.partner.name
    return _private(render(request, "public/order_status.html", {"order": public_view(order, seller)}))
