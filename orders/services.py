"""Every state change of orders: one transaction each, the actor recorded in the order's history
(OrderEvent), the customer e-mailed about each status change once the transaction commits.

Checks come in the API's order: the caller fetched the order through its scope (404 outside it); the
service checks who may act (NotAllowed, 403), then the workflow (InvalidTransition, 409), then the
input (ValidationError per field, 422). Nothing is stored when one of them refuses."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.codes import DEFAULT_CURRENCY
from catalog.models import Product
from core.changes import data_changed
from core.countries import COUNTRIES
from core.errors import NotAllowed
from core.models import User
from core.services import activity_record, email_send, emails_are_suppressed
from customers.models import Contact, Customer
from customers.services import customer_match_or_create
from leads import rules as lead_rules
from leads.choices import LeadStatus
from leads.models import Lead
from leads.services import partner_manager_emails
from orders import rules
from orders.choices import OrderEventKind, OrderOrigin, OrderStatus
from orders.models import NUMBER_PREFIX, Order, OrderEvent, OrderLine, OrderTransitionError
from partners import access
from partners.choices import PartnerStatus, Role
from partners.models import Membership, Partner

CENT = Decimal("0.01")
MAX_QUANTITY = 99_999  # per line
MAX_LINES = 200
MAX_TOTAL = Decimal("999999999999.99")  # what Decimal(14, 2) holds

# customer_data: the fields a new customer may be described by (API, showroom, portal), with their
# longest lengths; "contact_name" is taken for "contact" (the showroom's form says so).
CUSTOMER_FIELDS: dict[str, int] = {
    "company": 200,
    "contact": 150,
    "email": 254,
    "phone": 40,
    "address": 200,
    "city": 100,
    "postal_code": 20,
    "country": 2,
}
CUSTOMER_FIELD_ALIASES = {"contact_name": "contact"}


class _BasketLike(Protocol):
    """What order_from_showroom needs of a showroom basket (showroom.basket.BasketContents): its lines,
    each with a product and a quantity. (orders may not import showroom.)"""

    @property
    def lines(self) -> list[Any]: ...

    def __bool__(self) -> bool: ...


@dataclass(frozen=True)
class PricedLine:
    """A line about to be stored: the product (from the partner's assortment) and its figures."""

    product: Product
    quantity: int
    unit_price: Decimal
    line_total: Decimal


# --- Building blocks -------------------------------------------------------------------------------


def _now() -> Any:
    return timezone.now()


def _event(order: Order, *, actor: User | None, kind: str, note: str = "") -> OrderEvent:
    """The order's history row of a change; every change of an order writes one, so it is also where
    the analytics hear of it (once per transaction, after the commit)."""
    data_changed("orders")
    return OrderEvent.objects.create(
        order=order,
        kind=kind,
        status=order.status,
        actor=actor if actor is not None and actor.is_authenticated else None,
        note=note[:500],
    )


def _notify_customer(event: OrderEvent) -> None:
    """E-mail the order's contact about this status change once the transaction commits
    (orders.tasks.send_order_status_email_task). Not while demo data is loaded (emails_suppressed)."""
    from orders.tasks import send_order_status_email_task

    if emails_are_suppressed():
        return
    event_id = event.pk
    transaction.on_commit(lambda: send_order_status_email_task.delay(event_id))


def _locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("partner", "customer", "contact")
        .get(pk=order.pk)
    )


def _partner_active(partner: Partner) -> None:
    if partner.status != PartnerStatus.ACTIVE:
        raise ValidationError({"partner": f"{partner.name} is not active and takes no orders."})


def _line_parts(line: Any) -> tuple[Any, Any]:
    """(product or product id, quantity) of a line given as a pair, a mapping or an object."""
    if isinstance(line, Mapping):
        return line.get("product"), line.get("quantity")
    if isinstance(line, tuple | list) and len(line) == 2:
        return line[0], line[1]
    return getattr(line, "product", None), getattr(line, "quantity", None)


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 9:
        return int(value.strip())
    return None


def price_lines(*, partner: Partner, lines: Iterable[Any]) -> tuple[list[PricedLine], str]:
    """The lines at the partner's prices (its own price, else the list price; per the product's price
    unit) and their currency. Raises ValidationError on `lines`, naming each bad line: a product that
    is not in the partner's assortment (or not active), a quantity that is not a whole number from 1
    to 99,999, products in several currencies. Queries: the category tree, the partner's categories,
    the products."""
    wanted: list[tuple[int, Any, int | None]] = []  # (line number, product id, quantity)
    errors: list[str] = []
    items = list(lines)
    if len(items) > MAX_LINES:
        raise ValidationError({"lines": f"An order holds at most {MAX_LINES} lines (this has {len(items)})."})
    for number, line in enumerate(items, start=1):
        product, quantity = _line_parts(line)
        product_id = product.pk if isinstance(product, Product) else _whole_number(product)
        count = _whole_number(quantity)
        if product_id is None or product_id < 1:
            errors.append(f"Line {number}: give the product's id.")
            continue
        if count is None or not 1 <= count <= MAX_QUANTITY:
            errors.append(f"Line {number}: the quantity must be a whole number from 1 to {MAX_QUANTITY:,}.")
            continue
        wanted.append((number, product_id, count))
    ids = sorted({product_id for _, product_id, _ in wanted if product_id <= 2**63 - 1})
    products = {p.pk: p for p in catalog_selectors.assortment(partner.pk).filter(pk__in=ids)} if ids else {}
    priced: list[PricedLine] = []
    for number, product_id, count in wanted:
        found = products.get(product_id)
        if found is None:
            errors.append(f"Line {number}: product {product_id} is not in {partner.name}'s assortment.")
            continue
        assert count is not None
        unit_price = Decimal(found.effective_price).quantize(CENT)  # type: ignore[attr-defined]
        line_total = (unit_price * count / found.price_unit).quantize(CENT, ROUND_HALF_UP)
        priced.append(PricedLine(product=found, quantity=count, unit_price=unit_price, line_total=line_total))
    currencies = sorted({line.product.currency for line in priced})
    if len(currencies) > 1:
        errors.append(
            "The products are priced in several currencies (" + ", ".join(currencies) + "); "
            "order the products of each currency separately."
        )
    if not errors and sum((line.line_total for line in priced), Decimal("0")) > MAX_TOTAL:
        errors.append("The order's total is too large; split it into several orders.")
    if errors:
        raise ValidationError({"lines": errors})
    return priced, (currencies[0] if currencies else "")


def clean_customer_data(data: Mapping[str, Any], *, prefix: str = "") -> dict[str, str]:
    """A new customer's details, trimmed: `company` and a contact name or e-mail are required, the
    e-mail must be valid, `country` a two-letter code. Raises ValidationError per field (named
    `prefix` + field, e.g. "customer.email")."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, str] = dict.fromkeys(CUSTOMER_FIELDS, "")
    for raw_name, value in data.items():
        name = CUSTOMER_FIELD_ALIASES.get(raw_name, raw_name)
        if name not in CUSTOMER_FIELDS:
            errors[prefix + raw_name] = ["Unknown field."]
            continue
        if value is None:
            continue
        if not isinstance(value, str):
            errors[prefix + raw_name] = ["Give this as text."]
            continue
        text = " ".join(value.split()) if name != "address" else value.strip()
        if "\x00" in text:
            errors[prefix + raw_name] = ["Must not contain NUL characters."]
            continue
        if len(text) > CUSTOMER_FIELDS[name]:
            errors[prefix + raw_name] = [f"At most {CUSTOMER_FIELDS[name]} characters."]
            continue
        clean[name] = text
    if not clean["company"] and prefix + "company" not in errors:
        errors[prefix + "company"] = ["Give the customer's company name."]
    if not (clean["contact"] or clean["email"]) and not any(
        prefix + f in errors for f in ("contact", "contact_name", "email")
    ):
        errors[prefix + "contact"] = ["Give the name or the e-mail address of the person ordering."]
    if clean["email"]:
        clean["email"] = clean["email"].lower() if clean["email"].isascii() else clean["email"]
        try:
            validate_email(clean["email"])
        except ValidationError:
            errors[prefix + "email"] = ["Enter a valid e-mail address."]
    if clean["country"]:
        clean["country"] = clean["country"].upper()
        if clean["country"] not in COUNTRIES:
            errors[prefix + "country"] = ["Enter a two-letter country code (ISO 3166 alpha-2), e.g. DE."]
    if errors:
        raise ValidationError(errors)
    return clean


def _customer_and_contact(
    *, partner: Partner, customer: Customer | None, customer_data: Mapping[str, Any] | None, prefix: str
) -> tuple[Customer, Contact | None]:
    """The order's customer: the one given (it must be the partner's), or the partner's customer
    matching `customer_data` (company or e-mail domain), created with its contact when new."""
    if customer is not None:
        if customer.partner_id != partner.pk:
            raise ValidationError({"customer": f"{customer.company} is not a customer of {partner.name}."})
        contact = customer.contacts.exclude(email="").order_by("id").first() or customer.contacts.first()
        return customer, contact
    if customer_data is None:
        raise ValidationError({"customer": "Choose the customer, or describe a new one."})
    clean = clean_customer_data(customer_data, prefix=prefix)
    found = customer_match_or_create(
        partner_id=partner.pk, company=clean["company"], email=clean["email"], country=clean["country"],
        city=clean["city"], postal_code=clean["postal_code"], contact_name=clean["contact"], phone=clean["phone"],
    )  # fmt: skip
    if clean["address"] and not found.address:
        found.address = clean["address"]
        found.save(update_fields=["address", "updated_at"])
    contacts = found.contacts.order_by("-id")
    contact = (
        contacts.filter(email__iexact=clean["email"]).first()
        if clean["email"]
        else contacts.filter(name__iexact=clean["contact"]).first()
    )
    if contact is not None and clean["phone"] and not contact.phone:
        contact.phone = clean["phone"]
        contact.save(update_fields=["phone"])
    return found, contact


def _assignee(*, partner: Partner, actor: User | None, assigned_to: User | None) -> User | None:
    if assigned_to is not None:
        if not Membership.objects.filter(partner=partner, user=assigned_to, user__is_active=True).exists():
            raise ValidationError(
                {"assigned_to": f"{assigned_to.email} is not an active member of {partner.name}."}
            )
        return assigned_to
    # A partner employee's own order is theirs (employees see their own and unassigned orders).
    if actor is not None and access.actor_of(actor).role == Role.PARTNER_EMPLOYEE:
        return actor
    return None


def _expected_delivery(value: date | None) -> date | None:
    if value is not None and value < timezone.localdate():
        raise ValidationError({"expected_delivery": "The expected delivery date cannot be in the past."})
    return value


def _write_lines(order: Order, priced: list[PricedLine]) -> None:
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                order=order,
                product=line.product,
                sku=line.product.sku,
                name=line.product.name[:200],
                quantity=line.quantity,
                unit_price=line.unit_price,
                price_unit=line.product.price_unit,
                line_total=line.line_total,
            )  # fmt: skip
            for line in priced
        ]
    )
    order.total = sum((line.line_total for line in priced), Decimal("0.00")).quantize(CENT)


def _notify_partner_of_new_order(order: Order, actor: User | None) -> None:
    """A submitted order the partner's own people did not enter (showroom, API, the brand owner): its
    managers are e-mailed, since they (or their employees) accept it."""
    if actor is not None and rules.works_for_partner(actor, order):
        return
    to = partner_manager_emails(order.partner_id)
    if to:
        email_send(
            to=to,
            subject=f"New order {order.number} from {order.customer.company}",
            body=f"{order.customer.company} ordered ({order.get_origin_display().lower()}): "
            f"{order.total} {order.currency}.\nAccept or reject it in the partner portal.\n",
        )


def _notify_channel_of_accepted_order(order: Order) -> None:
    """An accepted order goes to the brand owner: the partner's channel managers are e-mailed."""
    to = list(
        Partner.managers.through.objects.filter(partner_id=order.partner_id).values_list(
            "user__email", flat=True
        )
    )
    if to:
        email_send(
            to=to,
            subject=f"Order {order.number} of {order.partner.name} to confirm",
            body=f"{order.partner.name} accepted the order {order.number} of {order.customer.company} "
            f"({order.total} {order.currency}). Confirm and ship it in the channel portal.\n",
        )


# --- Creating and changing orders ----------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    partner: Partner,
    actor: User | None,
    origin: str,
    customer: Customer | None = None,
    customer_data: Mapping[str, Any] | None = None,
    lines: Iterable[Any],
    currency: str | None = None,
    lead: Lead | None = None,
    draft: bool = False,
    assigned_to: User | None = None,
    expected_delivery: date | None = None,
    customer_reference: str = "",
    notes: str = "",
) -> Order:
    """Enter an order for the partner's customer (`customer`, or `customer_data` to match or create
    one with its contact), its `lines` (Product/id and quantity) priced from the partner's assortment.
    Answers the order `submitted` (the customer e-mailed, the partner's managers too when someone else
    entered it), or a `draft` with draft=True. Only the partner's own people, a channel admin or its
    channel manager enter orders (actor None: the public showroom, through order_from_showroom)."""
    if actor is not None and not rules.can_create_order(actor, partner):
        raise NotAllowed("Only the partner's own people and its channel managers enter its orders.")
    if origin not in OrderOrigin.values:
        raise ValidationError({"origin": "Choose lead, replenishment or showroom."})
    _partner_active(partner)
    errors: dict[str, list[str]] = {}
    priced: list[PricedLine] = []
    line_currency = ""
    try:
        priced, line_currency = price_lines(partner=partner, lines=lines)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if not priced and not draft and "lines" not in errors:
        errors["lines"] = ["Add at least one product to the order."]
    currency = (currency or "").strip().upper()
    if currency and line_currency and currency != line_currency:
        errors.setdefault("currency", []).append(
            f"The products are priced in {line_currency}; the order's currency is {line_currency}."
        )
    try:
        _expected_delivery(expected_delivery)
        assignee = _assignee(partner=partner, actor=actor, assigned_to=assigned_to)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        assignee = None
    if len(customer_reference.strip()) > 60:
        errors["customer_reference"] = ["At most 60 characters."]
    try:
        found, contact = _customer_and_contact(
            partner=partner, customer=customer, customer_data=customer_data, prefix="customer."
        )
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    now = _now()
    order = Order(
        number=f"new-{secrets.token_hex(8)}", partner=partner, customer=found, contact=contact,
        assigned_to=assignee, origin=origin, lead=lead, currency=line_currency or currency or DEFAULT_CURRENCY,
        status=OrderStatus.DRAFT, customer_reference=customer_reference.strip(), notes=notes.strip(),
        expected_delivery=expected_delivery, created_by=actor if actor is not None and actor.is_authenticated else None,
    )  # fmt: skip
    order.save()
    order.number = f"{NUMBER_PREFIX}{order.pk:06d}"
    _write_lines(order, priced)
    if draft:
        order.save(update_fields=["number", "total"])
        _event(order, actor=actor, kind=OrderEventKind.CREATED, note=_created_note(order, lead))
        return order
    order.status = OrderStatus.SUBMITTED
    order.submitted_at = now
    order.save(update_fields=["number", "total", "status", "submitted_at"])
    event = _event(order, actor=actor, kind=OrderEventKind.SUBMITTED, note=_created_note(order, lead))
    _notify_customer(event)
    _notify_partner_of_new_order(order, actor)
    return order


def _created_note(order: Order, lead: Lead | None) -> str:
    if lead is not None:
        return f"From lead {lead.pk} ({lead.company})"
    notes: dict[str, str] = {
        OrderOrigin.SHOWROOM: "Ordered in the showroom",
        OrderOrigin.REPLENISHMENT: "Replenishment order",
        OrderOrigin.LEAD: "From a lead",
    }
    return notes.get(order.origin, "")


@transaction.atomic
def order_update(
    *,
    order: Order,
    actor: User,
    lines: Iterable[Any] | None = None,
    customer: Customer | None = None,
    customer_data: Mapping[str, Any] | None = None,
    expected_delivery: date | None = None,
    customer_reference: str | None = None,
    notes: str | None = None,
) -> Order:
    """Change a draft: its lines (replaced, priced again from today's assortment), customer, expected
    delivery, customer reference, notes (None leaves a field as it is). Only drafts change
    (InvalidTransition otherwise); the partner's own people or a channel admin change them."""
    order = _locked(order)
    if not (rules.works_for_partner(actor, order) or access.actor_of(actor).is_admin):
        raise NotAllowed("Only the partner's own people change its draft orders.")
    if order.status != OrderStatus.DRAFT:
        raise OrderTransitionError(
            order.get_status_display(),
            OrderStatus.DRAFT.label,
            f"Only a draft order can be changed; {order.number} is {order.get_status_display().lower()}.",
        )
    errors: dict[str, list[str]] = {}
    changed: list[str] = []
    priced: list[PricedLine] | None = None
    currency = order.currency
    if lines is not None:
        try:
            priced, currency = price_lines(partner=order.partner, lines=lines)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    new_customer: tuple[Customer, Contact | None] | None = None
    if customer is not None or customer_data is not None:
        try:
            new_customer = _customer_and_contact(
                partner=order.partner, customer=customer, customer_data=customer_data, prefix="customer."
            )
        except ValidationError as exc:
            errors.update(exc.message_dict)
    try:
        _expected_delivery(expected_delivery)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if customer_reference is not None and len(customer_reference.strip()) > 60:
        errors["customer_reference"] = ["At most 60 characters."]
    if errors:
        raise ValidationError(errors)
    if priced is not None:
        order.lines.all().delete()
        _write_lines(order, priced)
        order.currency = currency or order.currency
        changed.append("lines")
    if new_customer is not None and (new_customer[0].pk, getattr(new_customer[1], "pk", None)) != (
        order.customer_id,
        order.contact_id,
    ):
        order.customer, order.contact = new_customer
        changed.append("customer")
    if expected_delivery is not None and expected_delivery != order.expected_delivery:
        order.expected_delivery = expected_delivery
        changed.append("expected delivery")
    if customer_reference is not None and customer_reference.strip() != order.customer_reference:
        order.customer_reference = customer_reference.strip()
        changed.append("customer reference")
    if notes is not None and notes.strip() != order.notes:
        order.notes = notes.strip()
        changed.append("notes")
    if not changed:
        return order
    order.save()
    _event(order, actor=actor, kind=OrderEventKind.UPDATED, note="Changed: " + ", ".join(changed))
    return order


# --- The workflow ---------------------------------------------------------------------------------


def _move(order: Order, *, actor: User, status: str, kind: str, stamp: str, note: str = "") -> Order:
    """Set the status (InvalidTransition for a move the table refuses), date it, record and e-mail it."""
    order.set_status(status)
    setattr(order, stamp, _now())
    order.save()
    _notify_customer(_event(order, actor=actor, kind=kind, note=note))
    return order


@transaction.atomic
def order_submit(*, order: Order, actor: User) -> Order:
    """Send a draft to be accepted: the partner's own people or a channel admin; it needs a line."""
    order = _locked(order)
    if not (rules.works_for_partner(actor, order) or access.actor_of(actor).is_admin):
        raise NotAllowed("Only the partner's own people submit its draft orders.")
    if not order.can_move_to(OrderStatus.SUBMITTED):
        order.set_status(OrderStatus.SUBMITTED)  # raises
    if not order.lines.exists():
        raise ValidationError({"lines": "Add at least one product before submitting the order."})
    order = _move(
        order, actor=actor, status=OrderStatus.SUBMITTED, kind=OrderEventKind.SUBMITTED, stamp="submitted_at"
    )
    _notify_partner_of_new_order(order, actor)
    return order


@transaction.atomic
def order_accept(*, order: Order, actor: User, expected_delivery: date | None = None) -> Order:
    """The partner takes a submitted order; it goes to the brand owner (its channel managers are
    e-mailed) to confirm. An employee accepting an unassigned order takes it."""
    order = _locked(order)
    if not rules.works_for_partner(actor, order):
        raise NotAllowed("Only the partner's own people accept its orders.")
    if not order.can_move_to(OrderStatus.ACCEPTED):
        order.set_status(OrderStatus.ACCEPTED)  # raises
    if expected_delivery is not None:
        order.expected_delivery = _expected_delivery(expected_delivery)
    if access.actor_of(actor).role == Role.PARTNER_EMPLOYEE and order.assigned_to_id is None:
        order.assigned_to = actor
    order = _move(
        order, actor=actor, status=OrderStatus.ACCEPTED, kind=OrderEventKind.ACCEPTED, stamp="accepted_at"
    )
    _notify_channel_of_accepted_order(order)
    return order


@transaction.atomic
def order_reject(*, order: Order, actor: User, reason: str) -> Order:
    """The partner refuses a submitted order, saying why (the customer reads it): it is cancelled."""
    order = _locked(order)
    if not rules.works_for_partner(actor, order):
        raise NotAllowed("Only the partner's own people reject its orders.")
    if order.status != OrderStatus.SUBMITTED:
        raise OrderTransitionError(
            order.get_status_display(),
            "Rejected",
            f"Only a submitted order can be rejected; {order.number} is {order.get_status_display().lower()}.",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why the order is rejected; the customer reads it."})
    order.reason = reason[:500]
    return _move(
        order, actor=actor, status=OrderStatus.CANCELLED, kind=OrderEventKind.REJECTED, stamp="cancelled_at",
        note=order.reason,
    )  # fmt: skip


def _fulfilling(order: Order, actor: User, action: str) -> Order:
    order = _locked(order)
    if not rules.fulfils(actor, order):
        raise NotAllowed(
            f"Only the brand owner (a channel admin or the partner's channel manager) {action} orders."
        )
    return order


@transaction.atomic
def order_confirm(*, order: Order, actor: User, expected_delivery: date | None = None) -> Order:
    """The brand owner confirms an accepted order, with the expected delivery date if known."""
    order = _fulfilling(order, actor, "confirms")
    if not order.can_move_to(OrderStatus.CONFIRMED):
        order.set_status(OrderStatus.CONFIRMED)  # raises
    if expected_delivery is not None:
        order.expected_delivery = _expected_delivery(expected_delivery)
    note = f"Expected delivery {order.expected_delivery:%Y-%m-%d}" if order.expected_delivery else ""
    return _move(
        order, actor=actor, status=OrderStatus.CONFIRMED, kind=OrderEventKind.CONFIRMED, stamp="confirmed_at",
        note=note,
    )  # fmt: skip


@transaction.atomic
def order_ship(*, order: Order, actor: User, tracking_reference: str) -> Order:
    """The brand owner ships a confirmed order; the tracking reference is required."""
    order = _fulfilling(order, actor, "ships")
    if not order.can_move_to(OrderStatus.SHIPPED):
        order.set_status(OrderStatus.SHIPPED)  # raises
    tracking = " ".join((tracking_reference or "").split())
    if not tracking:
        raise ValidationError({"tracking_reference": "Give the shipment's tracking reference."})
    if len(tracking) > 100:
        raise ValidationError({"tracking_reference": "At most 100 characters."})
    order.tracking_reference = tracking
    return _move(
        order, actor=actor, status=OrderStatus.SHIPPED, kind=OrderEventKind.SHIPPED, stamp="shipped_at",
        note=f"Tracking {tracking}",
    )  # fmt: skip


@transaction.atomic
def order_deliver(*, order: Order, actor: User) -> Order:
    """The brand owner records that a shipped order arrived."""
    order = _fulfilling(order, actor, "delivers")
    return _move(
        order, actor=actor, status=OrderStatus.DELIVERED, kind=OrderEventKind.DELIVERED, stamp="delivered_at"
    )


@transaction.atomic
def order_cancel(*, order: Order, actor: User, reason: str = "") -> Order:
    """Cancel an order that has not shipped: the partner's own people until the brand owner confirmed
    it, the brand owner until it ships (orders.rules.may_cancel)."""
    order = _locked(order)
    if not (rules.works_for_partner(actor, order) or rules.fulfils(actor, order)):
        raise NotAllowed("Only the partner's own people and the brand owner cancel its orders.")
    if not order.can_move_to(OrderStatus.CANCELLED):
        order.set_status(OrderStatus.CANCELLED)  # raises
    if not rules.may_cancel(actor, order):
        raise NotAllowed("The brand owner confirmed this order; ask them to cancel it.")
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": "At most 500 characters."})
    order.reason = reason
    return _move(
        order, actor=actor, status=OrderStatus.CANCELLED, kind=OrderEventKind.CANCELLED, stamp="cancelled_at",
        note=reason,
    )  # fmt: skip


# --- From a lead, from the showroom ---------------------------------------------------------------

CONVERTIBLE = frozenset({LeadStatus.QUALIFIED, LeadStatus.WON})


@transaction.atomic
def lead_convert(*, lead: Lead, actor: User) -> Order:
    """A qualified or won lead becomes a draft order (origin lead) of the partner holding it, with the
    lead's products and quantities (leads.LeadItem) at the partner's prices and the lead's customer
    (matched or created from the lead); the lead links to it (`lead.order`). Products the partner no
    longer sells are left out and named in the order's notes. Only the partner's own people working
    the lead convert it; a lead in another status, or converted already, is an InvalidTransition."""
    lead = Lead.objects.select_for_update(of=("self",)).select_related("partner", "customer").get(pk=lead.pk)
    if not lead_rules.can_work(actor, lead) or lead.partner is None:
        raise NotAllowed("Only the partner holding the lead converts it into an order.")
    existing = Order.objects.filter(lead=lead).only("number").first()
    if existing is not None:
        raise OrderTransitionError(
            lead.get_status_display(),
            "Converted",
            f"This lead was converted already, into order {existing.number}.",
        )
    if lead.status not in CONVERTIBLE:
        raise OrderTransitionError(
            lead.get_status_display(),
            "Converted",
            f"Only a qualified or won lead converts into an order; this one is {lead.get_status_display().lower()}.",
        )
    partner = lead.partner
    items = list(lead.items.select_related("product").order_by("id"))
    sold = set(
        catalog_selectors.assortment(partner.pk)
        .filter(pk__in=[item.product_id for item in items])
        .values_list("pk", flat=True)
    )
    kept = [item for item in items if item.product_id in sold]
    left_out = [item for item in items if item.product_id not in sold]
    notes = ""
    if left_out:
        notes = "Not in the assortment any more, left out: " + ", ".join(
            f"{item.quantity} × {item.product.sku}" for item in left_out
        )
    if len({item.product.currency for item in kept}) > 1:  # one currency per order: keep the first one's
        first = kept[0].product.currency
        notes = (
            (notes + "\n" if notes else "")
            + "Left out, priced in another currency: "
            + ", ".join(
                f"{item.quantity} × {item.product.sku}" for item in kept if item.product.currency != first
            )
        )
        kept = [item for item in kept if item.product.currency == first]
    customer = lead.customer
    customer_data = None
    if customer is None or customer.partner_id != partner.pk:
        customer = None
        customer_data = {
            "company": lead.company, "contact": lead.contact_name, "email": lead.email, "phone": lead.phone,
            "city": lead.city, "postal_code": lead.postal_code, "country": lead.country,
        }  # fmt: skip
        if not (lead.contact_name or lead.email):
            customer_data["contact"] = lead.company[:150]
    order = order_create(
        partner=partner, actor=actor, origin=OrderOrigin.LEAD, customer=customer, customer_data=customer_data,
        lines=[(item.product, item.quantity) for item in kept], currency=lead.currency if not kept else None,
        lead=lead, draft=True, assigned_to=lead.assigned_to if lead.assigned_to_id else None, notes=notes,
    )  # fmt: skip
    if customer is None and lead.customer_id is None:
        lead.customer = order.customer
        lead.save(update_fields=["customer", "updated_at"])
    activity_record(
        actor=actor, verb="lead.converted", target=lead, partner_id=partner.pk,
        message=f"Converted into order {order.number}", data={"order": order.pk},
    )  # fmt: skip
    return order


@transaction.atomic
def order_from_showroom(*, showroom: Any, contents: _BasketLike, customer_data: Mapping[str, Any]) -> Order:
    """A customer orders the basket of a published showroom (instead of asking for a quote): a
    submitted order of the showroom's partner (origin showroom) at the assortment's prices, the customer
    matched or created from `customer_data` (company, contact_name, email, phone, country, city, ...;
    a "message" becomes the order's notes). The customer is e-mailed the order's status link, the
    partner's managers the order. Raises ValidationError (per field where it can; nothing stored) for a
    closed showroom, an empty basket or bad details."""
    if not showroom.published:
        raise ValidationError("This showroom is closed.")
    if not contents:
        raise ValidationError("Your basket is empty; add the products you want to order first.")
    data = {name: value for name, value in customer_data.items() if name != "message"}
    message = customer_data.get("message") or ""
    clean = clean_customer_data(data)  # the showroom form's own field names in the errors
    return order_create(
        partner=showroom.partner, actor=None, origin=OrderOrigin.SHOWROOM, customer_data=clean,
        lines=[(line.product, line.quantity) for line in contents.lines],
        notes=str(message).strip().replace("\r\n", "\n")[:4000],
    )  # fmt: skip


# --- E-mail to the customer -----------------------------------------------------------------------

_HEADLINES = {
    OrderEventKind.SUBMITTED: ("received", "We have received your order {number}."),
    OrderEventKind.ACCEPTED: ("accepted", "Your order {number} was accepted."),
    OrderEventKind.REJECTED: ("not accepted", "We are sorry: your order {number} could not be accepted."),
    OrderEventKind.CONFIRMED: ("confirmed", "Your order {number} is confirmed."),
    OrderEventKind.SHIPPED: ("shipped", "Your order {number} has been shipped."),
    OrderEventKind.DELIVERED: ("delivered", "Your order {number} has been delivered."),
    OrderEventKind.CANCELLED: ("cancelled", "Your order {number} was cancelled."),
}


def order_status_message(order: Order, event: OrderEvent) -> tuple[str, str] | None:
    """The customer's e-mail about an event: (subject, body) with the status link, or None for an
    event the customer is not told about (a draft created or changed)."""
    headline = _HEADLINES.get(OrderEventKind(event.kind))
    if headline is None:
        return None
    short, sentence = headline
    partner = order.partner
    name = order.contact.name if order.contact and order.contact.name else order.customer.company
    lines = [f"Dear {name},", "", sentence.format(number=order.number)]
    if event.kind in (OrderEventKind.REJECTED, OrderEventKind.CANCELLED) and event.note:
        lines.append(f"Reason: {event.note}")
    if event.kind == OrderEventKind.SHIPPED and order.tracking_reference:
        lines.append(f"Tracking reference: {order.tracking_reference}")
    if order.expected_delivery and event.kind in (
        OrderEventKind.ACCEPTED, OrderEventKind.CONFIRMED, OrderEventKind.SHIPPED,
    ):  # fmt: skip
        lines.append(f"Expected delivery: {order.expected_delivery:%Y-%m-%d}")
    if event.kind == OrderEventKind.SUBMITTED:
        lines.append(f"Total: {order.total} {order.currency}")
    link = settings.SITE_URL.rstrip("/") + order.status_url
    lines += ["", f"Follow your order at any time: {link}", "", partner.name]
    lines += [
        part
        for part in (
            partner.phone and f"Phone: {partner.phone}",
            partner.email and f"E-mail: {partner.email}",
        )
        if part
    ]
    return f"Your order {order.number}: {short}", "\n".join(lines) + "\n"


def order_status_email_send(*, event_id: int) -> bool:
    """Send the customer's e-mail about one event, once: the event is locked and marked sent in the
    same transaction as the sending (a second run finds it sent; a failed send leaves it unsent for
    the retry). Answers whether an e-mail went out (no contact e-mail, nothing to tell: False)."""
    with transaction.atomic():
        event = (
            OrderEvent.objects.select_for_update(of=("self",))
            .select_related("order__partner", "order__customer", "order__contact")
            .filter(pk=event_id, emailed_at__isnull=True)
            .first()
        )
        if event is None:
            return False
        order = event.order
        message = order_status_message(order, event)
        to = order.contact.email if order.contact and order.contact.email else ""
        if message is not None and to:
            send_mail(message[0], message[1], settings.DEFAULT_FROM_EMAIL, [to])
        event.emailed_at = _now()
        event.save(update_fields=["emailed_at"])
        return message is not None and bool(to)
