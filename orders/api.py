"""/orders: customers' orders over the API (see docs/api.md, "Orders"): list, detail, enter, and the
workflow (submit, accept, reject, confirm, ship, deliver, cancel); /leads/{id}/convert turns a qualified
or won lead into a draft order.

Reads go through orders.selectors (scoped by the access policy), changes through orders.services. An
order in the path is fetched through the caller's scope first (outside it: 404), then the service
checks who may act (403), then the workflow (a move it does not allow: 409), then the input (422). An id
in the body (the partner, the customer, a product) that the caller cannot see is a 422 on that field.
Money goes out as decimal strings with two places ("1399.00")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StrictBool, StrictInt

from core.api import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
)
from core.models import User
from customers.selectors import visible_customers
from leads import selectors as lead_selectors
from leads.api.common import Body, ListId, fetch_visible, strip_text
from orders import selectors, services
from orders.choices import OrderEventKind, OrderOrigin, OrderStatus
from orders.models import Order, OrderEvent, OrderLine
from partners import access

router = Router(tags=["orders"])
# POST /leads/{id}/convert, added to the API at /leads beside the leads router.
lead_convert_router = Router(tags=["orders"])

MoneyOut = Annotated[str, Field(description="A decimal string with two places.", examples=["1399.00"])]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


# --- Output ----------------------------------------------------------------------------------------


class OrderLineOut(Schema):
    id: int
    product: int = Field(description="The product's id.")
    sku: str = Field(description="The product's SKU when it was ordered.")
    name: str = Field(description="The product's name when it was ordered.")
    quantity: int
    unit_price: MoneyOut = Field(description="The partner's price per `price_unit` order units.")
    price_unit: int
    line_total: MoneyOut = Field(description="quantity × unit_price ÷ price_unit, to the cent.")


class OrderEventOut(Schema):
    """One dated line of the order's history."""

    id: int
    kind: OrderEventKind
    status: OrderStatus = Field(description="The order's status after this event.")
    actor: str | None = Field(description="E-mail of who did it; null for the customer or the system.")
    note: str
    created_at: datetime


class OrderContactOut(Schema):
    id: int
    name: str
    email: str
    phone: str


class OrderOut(Schema):
    """An order with its lines and dated history."""

    id: int
    number: str = Field(examples=["SO-000123"])
    partner: int
    partner_name: str
    status: OrderStatus
    origin: OrderOrigin
    currency: str
    total: MoneyOut
    customer: int = Field(description="The id of the partner's customer (GET /customers/{id}).")
    customer_company: str
    contact: OrderContactOut | None = Field(description="The person ordering, who is e-mailed each change.")
    lead: int | None = Field(description="The id of the lead it was converted from, or null.")
    assigned_to: str | None = Field(description="E-mail of the partner's person looking after it, or null.")
    customer_reference: str = Field(description="The customer's purchase order number.")
    notes: str
    reason: str = Field(description="Why it was rejected or cancelled.")
    expected_delivery: date | None
    tracking_reference: str
    status_url: str | None = Field(
        description="The customer's public status page (secret: share it with the customer only); null "
        "for a reader outside the order's own partner and the brand owner (a distributor reading its "
        "reseller's order)."
    )
    lines: list[OrderLineOut]
    events: list[OrderEventOut]
    created_by: str | None = Field(description="E-mail of who entered it; null for the showroom.")
    created_at: datetime
    updated_at: datetime
    submitted_at: datetime | None
    accepted_at: datetime | None
    confirmed_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None


class OrderPageOut(PageOut[OrderOut]):
    pass


def _line_out(line: OrderLine) -> dict[str, Any]:
    return {
        "id": line.pk,
        "product": line.product_id,
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unit_price": _money(line.unit_price),
        "price_unit": line.price_unit,
        "line_total": _money(line.line_total),
    }


def _event_out(event: OrderEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "kind": event.kind,
        "status": event.status,
        "actor": event.actor.email if event.actor else None,
        "note": event.note,
        "created_at": event.created_at,
    }


def _sees_status_link(request: HttpRequest, order: Order) -> bool:
    """The status token is the customer's secret: the brand owner and the order's own partner see it,
    a distributor reading its reseller's orders does not."""
    actor = access.actor_of(current_user(request))
    return not actor.is_partner or actor.partner_id == order.partner_id


def _order_out(request: HttpRequest, order: Order) -> dict[str, Any]:
    contact = order.contact
    return {
        "id": order.pk,
        "number": order.number,
        "partner": order.partner_id,
        "partner_name": order.partner.name,
        "status": order.status,
        "origin": order.origin,
        "currency": order.currency,
        "total": _money(order.total),
        "customer": order.customer_id,
        "customer_company": order.customer.company,
        "contact": (
            {"id": contact.pk, "name": contact.name, "email": contact.email, "phone": contact.phone}
            if contact
            else None
        ),
        "lead": order.lead_id,
        "assigned_to": order.assigned_to.email if order.assigned_to else None,
        "customer_reference": order.customer_reference,
        "notes": order.notes,
        "reason": order.reason,
        "expected_delivery": order.expected_delivery,
        "tracking_reference": order.tracking_reference,
        "status_url": request.build_absolute_uri(order.status_url)
        if _sees_status_link(request, order)
        else None,
        "lines": [_line_out(line) for line in order.lines.all()],
        "events": [_event_out(event) for event in order.events.all()],
        "created_by": order.created_by.email if order.created_by else None,
        "created_at": order.created_at,
        "updated_at": order.updated_at,
        "submitted_at": order.submitted_at,
        "accepted_at": order.accepted_at,
        "confirmed_at": order.confirmed_at,
        "shipped_at": order.shipped_at,
        "delivered_at": order.delivered_at,
        "cancelled_at": order.cancelled_at,
    }


def _visible_orders(user: User) -> QuerySet[Order]:
    """The caller's orders with everything the answer shows joined or prefetched: queries per page
    are the same for 1 and 200 orders."""
    return (
        selectors.visible_orders(user)
        .select_related("contact", "assigned_to", "created_by")
        .prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("id")),
            Prefetch(
                "events", queryset=OrderEvent.objects.select_related("actor").order_by("created_at", "id")
            ),
        )
    )


def _answer(request: HttpRequest, user: User, order: Order) -> dict[str, Any]:
    # Read back through the scope with its relations: what was saved, as the list shows it.
    return _order_out(request, _visible_orders(user).get(pk=order.pk))


# --- Input -----------------------------------------------------------------------------------------


class OrderLineIn(Body):
    product: ListId = Field(description="The product's id; it must be in the partner's assortment.")
    quantity: StrictInt = Field(ge=1, le=services.MAX_QUANTITY, description="Order units, 1 to 99999.")


class CustomerIn(Body):
    """A customer described by its details: the partner's customer with the same company name or
    e-mail domain is used, else one is created with this contact."""

    company: CleanStr = Field(min_length=1, max_length=200)
    contact: CleanStr = Field("", max_length=150, description="The person ordering (a name or `email`).")
    email: CleanStr = Field("", max_length=254, description="The customer is e-mailed each status change.")
    phone: CleanStr = Field("", max_length=40)
    address: CleanStr = Field("", max_length=200)
    city: CleanStr = Field("", max_length=100)
    postal_code: CleanStr = Field("", max_length=20)
    country: CleanStr = Field("", max_length=2, description="ISO 3166 alpha-2 country code, e.g. DE.")


class OrderIn(Body):
    """A new order: submitted at once (`status` `submitted`), or a draft with {"draft": true}."""

    NULLABLE = frozenset({"expected_delivery"})
    BOOLEANS = frozenset({"draft"})

    partner: Id = Field(description="The id of the partner the customer orders from.")
    origin: OrderOrigin = Field(OrderOrigin.REPLENISHMENT, description="Where the order came from.")
    customer: StrictInt | CustomerIn = Field(
        description="The id of one of the partner's customers, or an object describing the customer."
    )
    lines: list[OrderLineIn] = Field(
        max_length=services.MAX_LINES, description="At least one, unless a draft."
    )
    draft: StrictBool = Field(False, description="Keep it as a draft (changed and submitted later).")
    customer_reference: CleanStr = Field(
        "", max_length=60, description="The customer's purchase order number."
    )
    notes: CleanStr = Field("", max_length=4000)
    expected_delivery: date | None = None


class OrderFilters(PageIn):
    """Filters of GET /orders. All are optional and combine with AND; they never widen your scope."""

    status: OrderStatus | None = None
    origin: OrderOrigin | None = None
    partner: Id | None = Field(None, description="Only this partner's orders.")
    customer: Id | None = Field(None, description="Only this customer's orders.")
    q: CleanStr = Field(
        "", max_length=200, description="Order number (or its start), customer company, or contact e-mail."
    )


class DeliveryDateIn(Body):
    NULLABLE = frozenset({"expected_delivery"})

    expected_delivery: date | None = Field(None, description="The expected delivery date, if known.")


class RejectIn(Body):
    reason: CleanStr = Field(max_length=500, description="Why; the customer reads it.")


class CancelIn(Body):
    reason: CleanStr = Field("", max_length=500, description="Why; the customer reads it.")


class ShipIn(Body):
    tracking_reference: CleanStr = Field(max_length=100, description="The shipment's tracking reference.")


# --- Routes ----------------------------------------------------------------------------------------


@router.get("", response={200: OrderPageOut, **READ_ERRORS}, summary="List orders")
def order_list(request: HttpRequest, filters: Query[OrderFilters]) -> Any:
    """The orders you may see, newest first, each with its lines and history: channel admins all,
    channel managers their partners', partner managers their partner's and its resellers', partner
    employees their partner's orders assigned to them or to nobody."""
    user = current_user(request)
    qs = _visible_orders(user)
    if filters.q.strip():
        qs = qs.filter(selectors.search_condition(filters.q, user=user))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.origin:
        qs = qs.filter(origin=filters.origin)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    return {"items": [_order_out(request, o) for o in page.items], "next_cursor": page.next_cursor}


@router.post("", response={201: OrderOut, **WRITE_ERRORS}, summary="Enter an order")
def order_create(request: HttpRequest, payload: OrderIn) -> Any:
    """Enter a customer's order with a partner: its own people, a channel admin, or its channel
    manager (others: 403). `customer` is the id of one of the partner's customers, or an object
    (`company`, `contact`, `email`, `phone`, `address`, `city`, `postal_code`, `country`) matched to
    the partner's customers or created. Each line's price is the partner's price for the product. A
    partner, customer or product you cannot see, or a product outside the partner's assortment, is a
    422 on that field; nothing is stored. Answers 201 with the order `submitted` (the customer is
    e-mailed its status link), or `draft` with {"draft": true}."""
    user = current_user(request)
    errors: dict[str, list[str]] = {}
    partner = access.scope_partners(user).filter(pk=payload.partner).first()
    if partner is None:
        errors["partner"] = [f"No partner with id {payload.partner} that you can see."]
    customer = None
    customer_data = None
    if isinstance(payload.customer, int):
        if 1 <= payload.customer <= MAX_ID:
            customer = visible_customers(user).filter(pk=payload.customer).first()
        if customer is None:
            errors["customer"] = [f"No customer with id {payload.customer} that you can see."]
    else:
        customer_data = {k: v for k, v in strip_text(payload.customer.model_dump()).items() if v != ""}
    if errors:
        raise ValidationError(errors)
    assert partner is not None
    order = services.order_create(
        partner=partner,
        actor=user,
        origin=payload.origin,
        customer=customer,
        customer_data=customer_data,
        lines=[{"product": line.product, "quantity": line.quantity} for line in payload.lines],
        draft=payload.draft,
        expected_delivery=payload.expected_delivery,
        customer_reference=payload.customer_reference.strip(),
        notes=payload.notes.strip(),
    )
    return Status(201, _answer(request, user, order))


@router.get("/{id}", response={200: OrderOut, **READ_ERRORS}, summary="One order")
def order_detail(request: HttpRequest, id: int) -> Any:
    """An order you may see, with its lines and history; any other id answers 404."""
    return _order_out(request, fetch_visible(_visible_orders(current_user(request)), id))


def _fetch(request: HttpRequest, id: int) -> tuple[User, Order]:
    user = current_user(request)
    return user, fetch_visible(selectors.visible_orders(user), id)


@router.post("/{id}/submit", response={200: OrderOut, **WRITE_ERRORS}, summary="Submit a draft order")
def order_submit(request: HttpRequest, id: int) -> Any:
    """The partner's own people (or a channel admin) send a draft with at least one line to be
    accepted; the customer is e-mailed. Not a draft: 409."""
    user, order = _fetch(request, id)
    return _answer(request, user, services.order_submit(order=order, actor=user))


@router.post("/{id}/accept", response={200: OrderOut, **WRITE_ERRORS}, summary="Accept an order")
def order_accept(request: HttpRequest, id: int, payload: DeliveryDateIn | None = None) -> Any:
    """The partner's own people accept a submitted order (optionally with the expected delivery
    date); it goes to the brand owner to confirm. Not submitted: 409."""
    user, order = _fetch(request, id)
    data = payload or DeliveryDateIn.model_validate({})
    order = services.order_accept(order=order, actor=user, expected_delivery=data.expected_delivery)
    return _answer(request, user, order)


@router.post("/{id}/reject", response={200: OrderOut, **WRITE_ERRORS}, summary="Reject an order")
def order_reject(request: HttpRequest, id: int, payload: RejectIn) -> Any:
    """The partner's own people reject a submitted order with a `reason`, which the customer reads;
    the order is cancelled. Not submitted: 409; no reason: 422."""
    user, order = _fetch(request, id)
    return _answer(request, user, services.order_reject(order=order, actor=user, reason=payload.reason))


@router.post("/{id}/confirm", response={200: OrderOut, **WRITE_ERRORS}, summary="Confirm an order")
def order_confirm(request: HttpRequest, id: int, payload: DeliveryDateIn | None = None) -> Any:
    """The brand owner (a channel admin, or the partner's channel manager) confirms an accepted order,
    optionally with the expected delivery date. Not accepted: 409."""
    user, order = _fetch(request, id)
    data = payload or DeliveryDateIn.model_validate({})
    order = services.order_confirm(order=order, actor=user, expected_delivery=data.expected_delivery)
    return _answer(request, user, order)


@router.post("/{id}/ship", response={200: OrderOut, **WRITE_ERRORS}, summary="Ship an order")
def order_ship(request: HttpRequest, id: int, payload: ShipIn) -> Any:
    """The brand owner ships a confirmed order with its `tracking_reference` (required). Not
    confirmed: 409."""
    user, order = _fetch(request, id)
    order = services.order_ship(order=order, actor=user, tracking_reference=payload.tracking_reference)
    return _answer(request, user, order)


@router.post("/{id}/deliver", response={200: OrderOut, **WRITE_ERRORS}, summary="Mark an order delivered")
def order_deliver(request: HttpRequest, id: int) -> Any:
    """The brand owner records that a shipped order arrived. Not shipped: 409."""
    user, order = _fetch(request, id)
    return _answer(request, user, services.order_deliver(order=order, actor=user))


@router.post("/{id}/cancel", response={200: OrderOut, **WRITE_ERRORS}, summary="Cancel an order")
def order_cancel(request: HttpRequest, id: int, payload: CancelIn | None = None) -> Any:
    """Cancel an order that has not shipped, with an optional `reason`: the partner's own people until
    the brand owner confirmed it (then 403), the brand owner until it ships. Shipped, delivered or
    cancelled already: 409."""
    user, order = _fetch(request, id)
    data = payload or CancelIn.model_validate({})
    return _answer(request, user, services.order_cancel(order=order, actor=user, reason=data.reason))


@lead_convert_router.post(
    "/{id}/convert", response={201: OrderOut, **WRITE_ERRORS}, summary="Convert a lead into an order"
)
def lead_convert(request: HttpRequest, id: int) -> Any:
    """The partner holding a qualified or won lead turns it into a draft order (origin `lead`) with the
    lead's products and quantities at the partner's prices, for the lead's customer; the lead links to
    it. A lead in another status, or converted already, answers 409; someone else's lead 403 (or 404
    outside your scope)."""
    user = current_user(request)
    lead = fetch_visible(lead_selectors.visible_leads(user), id)
    order = services.lead_convert(lead=lead, actor=user)
    return Status(201, _answer(request, user, order))
