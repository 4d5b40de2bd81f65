"""Demo orders: for alpine, brook and cobalt, orders in every status (draft, submitted, accepted,
confirmed, shipped, delivered, rejected and cancelled) from their own assortments, for a handful of
customers each, entered by the partners' people, from the showroom and converted from won leads, and
moved along by the partners and their channel managers through orders.services, so that every history
is what the application itself would have written. The dates are then spread over the past weeks.

Idempotent: once the demo orders exist (customer reference "PO-DEMO-…"), it does nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from catalog import selectors as catalog_selectors
from catalog.models import Product
from core.models import User
from core.services import emails_suppressed
from leads.choices import LeadStatus
from leads.models import Lead, LeadItem
from orders import services
from orders.choices import OrderOrigin, OrderStatus
from orders.models import Order, OrderEvent
from partners.models import Partner

DEMO_PARTNERS = ("alpine", "brook", "cobalt")
MARK = "PO-DEMO-"
ADMIN = "admin@openpcm.example"
# Where each demo order of a partner ends up, in this order ("rejected" is a cancelled order the
# partner refused with a reason).
JOURNEY = (
    "draft",
    "submitted",
    "submitted",
    "accepted",
    "confirmed",
    "shipped",
    "delivered",
    "delivered",
    "rejected",
    "cancelled",
)
CUSTOMERS = {
    "alpine": [
        ("Bergbahn Zugspitze GmbH", "Lena Moser", "lena.moser@bergbahn-zugspitze.example", "DE", "Garmisch"),
        ("Brauerei Isartal GmbH", "Tobias Kern", "t.kern@brauerei-isartal.example", "DE", "Freising"),
        ("Klinikum Allgäu", "Dr. Miriam Vogt", "m.vogt@klinikum-allgaeu.example", "DE", "Kempten"),
    ],
    "brook": [
        ("Stadtwerke Linz Technik", "Georg Huber", "g.huber@stadtwerke-linz.example", "AT", "Linz"),
        ("Molkerei Mondsee", "Sarah Gruber", "s.gruber@molkerei-mondsee.example", "AT", "Mondsee"),
        ("Thermenhotel Bad Ischl", "Florian Wimmer", "technik@thermenhotel-ischl.example", "AT", "Bad Ischl"),
    ],
    "cobalt": [
        ("Fromagerie des Alpes SAS", "Julie Martin", "j.martin@fromagerie-alpes.example", "FR", "Annecy"),
        ("Verrerie Lyonnaise", "Marc Dubois", "marc.dubois@verrerie-lyon.example", "FR", "Lyon"),
        ("Aquaparc Rhône SAS", "Chloé Bernard", "c.bernard@aquaparc-rhone.example", "FR", "Valence"),
    ],
}
SHIPPERS = ("DHL 00340434161094042557", "UPS 1Z999AA10123456784", "DPD 01905012345678", "GLS 5049 7833 21")


def seed_orders(**_: Any) -> int:
    """Create the demo orders once; returns how many orders it created."""
    if Order.objects.filter(customer_reference__startswith=MARK).exists():
        return 0
    partners = list(Partner.objects.filter(slug__in=DEMO_PARTNERS).order_by("slug"))
    admin = User.objects.filter(email=ADMIN).first()
    if not partners or admin is None:
        return 0
    with emails_suppressed(), transaction.atomic():
        return sum(_seed_partner(partner, admin) for partner in partners)


def _person(email: str) -> User | None:
    return User.objects.filter(email=email, is_active=True).first()


def _seed_partner(partner: Partner, admin: User) -> int:
    manager = _person(f"pm@{partner.slug}.example")
    if manager is None:
        return 0
    employee = _person(f"pe@{partner.slug}.example")
    fulfiller = partner.managers.order_by("id").first() or admin
    products = list(catalog_selectors.assortment(partner.pk).order_by("name", "id")[:24])
    if not products:
        return 0
    orders: list[Order] = []
    for index, goal in enumerate(JOURNEY):
        company, contact, email, country, city = CUSTOMERS[partner.slug][index % 3]
        lines = [
            (products[(index * 3 + k) % len(products)], (index + 1) * (k + 1) * 2)
            for k in range(1 + index % 3)
        ]
        by = employee if employee is not None and index % 2 else manager
        showroom = index % 4 == 1
        order = services.order_create(
            partner=partner,
            actor=None if showroom else by,
            origin=OrderOrigin.SHOWROOM if showroom else OrderOrigin.REPLENISHMENT,
            customer_data={"company": company, "contact": contact, "email": email, "country": country,
                           "city": city},
            lines=lines,
            draft=goal == "draft",
            customer_reference=f"{MARK}{partner.slug.upper()}-{1001 + index}",
        )  # fmt: skip
        orders.append(_move_to(order, goal, decider=by, fulfiller=fulfiller, step=index))
    orders += _from_won_leads(partner, manager, fulfiller, products)
    _spread_dates(orders)
    return len(orders)


def _move_to(order: Order, goal: str, *, decider: User, fulfiller: User, step: int) -> Order:
    """Move a submitted order along the workflow to `goal`, by the people who would do it."""
    if goal in ("draft", "submitted"):
        return order
    if goal == "rejected":
        return services.order_reject(
            order=order, actor=decider, reason="We no longer carry this version; we will send an offer."
        )
    if goal == "cancelled":
        order = services.order_accept(order=order, actor=decider)
        return services.order_cancel(order=order, actor=decider, reason="The customer cancelled by phone.")
    order = services.order_accept(order=order, actor=decider)
    if goal == "accepted":
        return order
    delivery = timezone.localdate() + timedelta(days=5 + step)
    order = services.order_confirm(order=order, actor=fulfiller, expected_delivery=delivery)
    if goal == "confirmed":
        return order
    order = services.order_ship(
        order=order, actor=fulfiller, tracking_reference=SHIPPERS[step % len(SHIPPERS)]
    )
    if goal == "shipped":
        return order
    return services.order_deliver(order=order, actor=fulfiller)


def _from_won_leads(partner: Partner, manager: User, fulfiller: User, products: list[Product]) -> list[Order]:
    """Two of the partner's won leads (leads.demo) become orders: the products they asked about are
    recorded first (a showroom quote records them by itself), then the lead is converted; one order
    stays a draft, the other is submitted, accepted and confirmed."""
    leads = list(
        Lead.objects.filter(partner=partner, status=LeadStatus.WON, order__isnull=True).order_by("id")[:2]
    )
    orders = []
    for index, lead in enumerate(leads):
        if not lead.items.exists():
            LeadItem.objects.bulk_create(
                [
                    LeadItem(lead=lead, product=products[(lead.pk + k) % len(products)], quantity=5 * (k + 1))
                    for k in range(2)
                ]
            )
        order = services.lead_convert(lead=lead, actor=manager)
        order = services.order_update(
            order=order, actor=manager, customer_reference=f"{MARK}{partner.slug.upper()}-L{lead.pk}"
        )
        if index == 1:
            order = services.order_submit(order=order, actor=manager)
            order = services.order_accept(order=order, actor=manager)
            order = services.order_confirm(
                order=order, actor=fulfiller, expected_delivery=timezone.localdate() + timedelta(days=10)
            )
        orders.append(order)
    return orders


STAMPS = {
    OrderStatus.SUBMITTED: "submitted_at",
    OrderStatus.ACCEPTED: "accepted_at",
    OrderStatus.CONFIRMED: "confirmed_at",
    OrderStatus.SHIPPED: "shipped_at",
    OrderStatus.DELIVERED: "delivered_at",
    OrderStatus.CANCELLED: "cancelled_at",
}


def _spread_dates(orders: list[Order]) -> None:
    """Date the orders over the past weeks (the oldest furthest along), each step of a history a day or
    two after the one before, and delivered orders' expected dates around their delivery."""
    now = timezone.now()
    for index, order in enumerate(orders):
        events = list(OrderEvent.objects.filter(order=order).order_by("created_at", "id"))
        start = now - timedelta(days=3 + 2 * len(events) + (len(orders) - index) % 9, hours=index * 3)
        stamps: dict[str, Any] = {"created_at": start}
        for step, event in enumerate(events):
            moment = start + timedelta(days=step * 1.5, hours=step)
            OrderEvent.objects.filter(pk=event.pk).update(created_at=moment)
            stamp = STAMPS.get(OrderStatus(event.status))
            if stamp and getattr(order, stamp) is not None:
                stamps[stamp] = moment
        last = max(stamps.values())
        stamps["updated_at"] = last
        if order.status == OrderStatus.DELIVERED and order.shipped_at is not None:
            stamps["expected_delivery"] = (stamps["delivered_at"] - timedelta(days=1)).date()
        Order.objects.filter(pk=order.pk).update(**stamps)
