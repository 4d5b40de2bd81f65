"""Orders for the portal and access-matrix tests, made through the order services: a catalogue that
partners A, B and C sell, and orders of a partner in any status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from itertools import count

from django.utils import timezone

from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from orders import services
from orders.choices import OrderOrigin, OrderStatus
from orders.models import Order

_numbers = count(1)

# Who moves an order of a partner along: its manager accepts, a channel admin fulfils.
MANAGERS = {"a": "pm_a", "b": "pm_b", "c": "pm_c"}


@dataclass
class Catalogue:
    category: Category
    drill: Product  # 10.00 list, 9.00 for partner A
    saw: Product  # 25.50 list
    bits: Product  # 4.99 list
    hidden: Product  # in no partner's assortment


def stock_catalogue(world) -> Catalogue:
    """Three products in one category that A, B and C all sell (A at its own price for the drill),
    and one product nobody sells."""
    n = next(_numbers)
    category = Category.objects.create(name=f"Power tools {n}", slug=f"power-tools-{n}")
    other = Category.objects.create(name=f"Garden {n}", slug=f"garden-{n}")

    def product(sku: str, name: str, price: str, cat: Category = category) -> Product:
        return Product.objects.create(
            category=cat, sku=f"{sku}-{n}", name=name, short_description=name[:40], list_price=Decimal(price)
        )

    catalogue = Catalogue(
        category=category,
        drill=product("DRL", "Cordless drill", "10.00"),
        saw=product("SAW", "Circular saw", "25.50"),
        bits=product("BIT", "Drill bits, set of 10", "4.99"),
        hidden=product("MOW", "Lawn mower", "300.00", other),
    )
    for partner in (world.a, world.b, world.c):
        PartnerCategory.objects.create(partner=partner, category=category)
    PartnerProduct.objects.create(partner=world.a, product=catalogue.drill, price=Decimal("9.00"))
    return catalogue


def customer_data(company: str = "Acme Tools GmbH", email: str = "buyer@acme.example", **extra) -> dict:
    return {"company": company, "contact": "Jo Buyer", "email": email, "phone": "+49 30 1234", **extra}


def make_order(
    world,
    catalogue: Catalogue,
    key: str = "a",
    *,
    status: str = OrderStatus.SUBMITTED,
    company: str = "",
    email: str = "",
    actor=None,
    lines=None,
    customer=None,
) -> Order:
    """An order of partner `key` ("a", "b", "c") entered by its manager (or `actor`), moved along the
    workflow to `status` by the order services."""
    partner = getattr(world, key)
    manager = getattr(world, MANAGERS[key])
    n = next(_numbers)
    order = services.order_create(
        partner=partner,
        actor=actor or manager,
        origin=OrderOrigin.REPLENISHMENT,
        customer=customer,
        customer_data=None
        if customer
        else customer_data(company or f"Customer {n} of {partner.name}", email or f"buyer{n}@c{n}.example"),
        lines=lines if lines is not None else [(catalogue.drill, 2), (catalogue.saw, 1)],
        draft=status == OrderStatus.DRAFT,
    )
    if status in (OrderStatus.DRAFT, OrderStatus.SUBMITTED):
        return order
    if status == OrderStatus.CANCELLED:
        return services.order_cancel(order=order, actor=manager, reason="Customer changed their mind")
    order = services.order_accept(order=order, actor=manager)
    if status == OrderStatus.ACCEPTED:
        return order
    order = services.order_confirm(
        order=order, actor=world.admin, expected_delivery=timezone.localdate() + timedelta(days=7)
    )
    if status == OrderStatus.CONFIRMED:
        return order
    order = services.order_ship(order=order, actor=world.admin, tracking_reference=f"TRACK-{n}")
    if status == OrderStatus.SHIPPED:
        return order
    return services.order_deliver(order=order, actor=world.admin)
