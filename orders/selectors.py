"""Every read of orders, already scoped by the access policy: channel admins all, channel managers
their partners' (and those partners' resellers'), partner managers their partner's and its resellers',
partner employees their partner's orders assigned to them or to nobody. The public status page reads
one order by its secret token and nothing else."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.http import Http404

from customers.models import Contact, Customer
from orders.choices import OPEN_STATUSES, OrderStatus
from orders.models import NUMBER_PREFIX, Order, OrderEvent, OrderLine
from partners import access

NUMBER_DIGITS = 6  # SO-000123: orders.services numbers orders with at least six digits
CUSTOMER_MATCHES_SENT = 2000  # a company search sends at most this many customer ids as one array

# What a status token can look like (secrets.token_urlsafe): anything else is not looked up.
TOKEN_PATTERN = re.compile(r"\A[A-Za-z0-9_-]{20,64}\Z")
# Statuses whose totals count as ordered value (drafts are not ordered yet, cancelled ones no more).
ORDERED_STATUSES = frozenset(
    {
        OrderStatus.SUBMITTED,
        OrderStatus.ACCEPTED,
        OrderStatus.CONFIRMED,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    }
)


class OrderNotFound(Order.DoesNotExist, Http404):  # type: ignore[misc]
    """No such order in the user's scope: a 404 for views (Http404) and the API (DoesNotExist)."""


def visible_orders(user: Any) -> QuerySet[Order]:
    """Orders this user may see, ready for list pages (partner and customer joined)."""
    return access.scope(
        user,
        Order.objects.select_related("partner", "customer"),
        partner_field="partner_id",
        assigned_field="assigned_to_id",
    )


def order_list(
    user: Any, *, q: str = "", status: str = "", partner: int | None = None, origin: str = ""
) -> QuerySet[Order]:
    """The visible orders filtered (filters never widen the scope); `q` as in order_search."""
    qs = visible_orders(user)
    if q.strip():
        qs = qs.filter(search_condition(q, user=user))
    if status:
        qs = qs.filter(status=status)
    if partner:
        qs = qs.filter(partner_id=partner)
    if origin:
        qs = qs.filter(origin=origin)
    return qs


def order_detail(user: Any, pk: int) -> Order:
    """One visible order with everything its page shows: contact, assignee, lead, creator, the lines
    with their products, the history with its actors. Raises OrderNotFound (404) out of scope."""
    order = (
        visible_orders(user)
        .select_related("contact", "assigned_to", "lead", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product").order_by("id")),
            Prefetch(
                "events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if order is None:
        raise OrderNotFound("No such order.")
    return order


def search_condition(q: str, *, user: Any) -> Q:
    """The condition of order_search (for lists that add it to their own queryset). The company is
    looked up among the customers `user` may see first (a partner's own customers: a few index rows),
    so that a common word cannot send PostgreSQL through every customer's orders of the channel."""
    text = q.strip()
    if not text:
        return Q(pk__in=[])
    # An order number is looked up by number alone: a whole one through the unique index, "SO-0001"
    # as a prefix, "123" as SO-000123. (With the company as an alternative, PostgreSQL read every
    # order of the partner: 0.3 s at 20,000 orders.)
    upper = text.upper()
    if upper.startswith(NUMBER_PREFIX):
        digits = upper.removeprefix(NUMBER_PREFIX)
        if digits.isdigit() and len(digits) >= NUMBER_DIGITS:
            return Q(number=upper)
        return Q(number__startswith=upper)
    if text.isdigit() and len(text) <= 12:
        return Q(number=f"{NUMBER_PREFIX}{int(text):0{NUMBER_DIGITS}d}")
    customers = access.scope(user, Customer.objects.all()).filter(company__icontains=text)
    # The matching customers' ids are read first and sent as one array, so that PostgreSQL sees how
    # many there are: a few -> their orders by the customer index; most of a partner's customers ->
    # the partner's orders newest first until a page is full. (As a subquery it guessed "two" for a
    # word every customer has and read all 20,000 orders of the partner: 0.15 s.)
    ids = list(customers.order_by().values_list("id", flat=True)[: CUSTOMER_MATCHES_SENT + 1])
    if len(ids) <= CUSTOMER_MATCHES_SENT:
        match = Q(customer_id__any_of=ids)
    else:
        match = Q(customer_id__in=customers.values("id"))
    if "@" in text:
        contacts = Contact.objects.filter(email__iexact=text).values("customer_id")
        match |= Q(contact__email__iexact=text) | Q(customer_id__in=contacts)
    return match


def order_search(user: Any, q: str) -> QuerySet[Order]:
    """The visible orders a customer on the phone may mean: by order number ("SO-000123", "so-0001…"
    as a prefix, or just "123"), by customer company (contains, any case) or by a contact's e-mail
    (exact, any case). An empty text finds nothing."""
    return visible_orders(user).filter(search_condition(q, user=user))


def order_by_token(token: str) -> Order | None:
    """The order of a public status link, with its dated history; None for a token that is malformed
    or unknown. The public page shows its number, status, history, expected delivery and tracking,
    nothing else of the partner."""
    if not isinstance(token, str) or not TOKEN_PATTERN.match(token):
        return None
    return (
        Order.objects.filter(status_token=token)
        .select_related("partner")
        .prefetch_related(Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")))
        .first()
    )


def order_timeline(order: Order) -> QuerySet[OrderEvent]:
    return order.events.select_related("actor").order_by("created_at", "id")


def order_lines(order: Order) -> QuerySet[OrderLine]:
    return order.lines.select_related("product").order_by("id")


def order_status_counts(user: Any) -> dict[str, int]:
    """How many visible orders are in each status: one grouped query."""
    return dict(visible_orders(user).order_by().values_list("status").annotate(n=Count("id")))


@dataclass
class PartnerOrderTotals:
    """One partner's orders as the channel portal sums them: how many, how many still open (neither
    delivered nor cancelled), and the ordered value per currency (submitted to delivered; drafts and
    cancelled orders left out)."""

    partner_id: int
    partner_name: str
    count: int = 0
    open_count: int = 0
    totals: list[tuple[str, Decimal]] = field(default_factory=list)


def order_totals_by_partner(user: Any) -> list[PartnerOrderTotals]:
    """Per visible partner with orders, by partner name: count, open count and totals per currency.
    One grouped query."""
    rows = (
        visible_orders(user)
        .order_by()
        .values("partner_id", "partner__name", "currency")
        .annotate(
            n=Count("id"),
            open_n=Count("id", filter=Q(status__in=OPEN_STATUSES)),
            value=Sum("total", filter=Q(status__in=ORDERED_STATUSES)),
        )
    )
    by_partner: dict[int, PartnerOrderTotals] = {}
    for row in rows:
        entry = by_partner.setdefault(
            row["partner_id"],
            PartnerOrderTotals(partner_id=row["partner_id"], partner_name=row["partner__name"]),
        )
        entry.count += row["n"]
        entry.open_count += row["open_n"]
        if row["value"] is not None:
            entry.totals.append((row["currency"], Decimal(row["value"]).quantize(Decimal("0.01"))))
    for entry in by_partner.values():
        entry.totals.sort()
    return sorted(by_partner.values(), key=lambda entry: (entry.partner_name.lower(), entry.partner_id))


def customer_orders(customer: Customer, user: Any | None = None) -> QuerySet[Order]:
    """The customer's orders, newest first; with `user`, only those the user may see (a partner
    employee: their own and unassigned ones)."""
    qs = visible_orders(user) if user is not None else Order.objects.select_related("partner", "customer")
    return qs.filter(customer_id=customer.pk).order_by("-created_at", "-id")
