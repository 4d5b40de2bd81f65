"""Action rules on orders, evaluated on orders already fetched through their scope (see
partners.access and orders.selectors). Each `can_*` rule answers for the order as it is now (its status
included), for pages deciding which buttons to show; the services check the role part
(`works_for_partner`, `fulfils`) and let the workflow refuse a move it does not allow (409)."""

from __future__ import annotations

from typing import Any

from orders.choices import OrderStatus
from orders.models import Order
from partners import access
from partners.choices import Role
from partners.models import Partner

# Until the brand owner confirms an order, its partner may still cancel it (the customer phoned).
PARTNER_CANCELS = frozenset({OrderStatus.DRAFT, OrderStatus.SUBMITTED, OrderStatus.ACCEPTED})


def works_for_partner(user: Any, order: Order) -> bool:
    """A partner manager or employee of the order's own partner (an employee: orders assigned to them
    or to nobody). A distributor's manager only reads its resellers' orders."""
    actor = access.actor_of(user)
    if not actor.is_partner or actor.partner_id != order.partner_id:
        return False
    if actor.role == Role.PARTNER_EMPLOYEE:
        return order.assigned_to_id in (None, actor.user_id)
    return True


def fulfils(user: Any, order: Order) -> bool:
    """The brand owner's side of the order: a channel admin, or a channel manager managing its partner."""
    actor = access.actor_of(user)
    if not actor.is_channel:
        return False
    return actor.is_admin or access.manages_partner(user, order.partner)


def can_create_order(user: Any, partner: Partner) -> bool:
    """Enter an order for a partner: its own managers and employees, a channel admin, or a channel
    manager managing the partner."""
    actor = access.actor_of(user)
    if actor.is_partner:
        return actor.partner_id == partner.pk
    return actor.is_channel and access.manages_partner(user, partner)


def can_edit_order(user: Any, order: Order) -> bool:
    """Change or submit a draft: the partner's own people, or a channel admin."""
    if order.status != OrderStatus.DRAFT:
        return False
    return works_for_partner(user, order) or access.actor_of(user).is_admin


def can_decide_order(user: Any, order: Order) -> bool:
    """Accept or reject a submitted order: the partner's own managers and employees."""
    return order.status == OrderStatus.SUBMITTED and works_for_partner(user, order)


def can_fulfil_order(user: Any, order: Order) -> bool:
    """Confirm, ship, deliver an accepted order: the brand owner (see `fulfils`)."""
    return order.status in (OrderStatus.ACCEPTED, OrderStatus.CONFIRMED, OrderStatus.SHIPPED) and fulfils(
        user, order
    )


def may_cancel(user: Any, order: Order) -> bool:
    """The role part of cancelling, for the order's status: the partner's own people until the brand
    owner confirmed it; the brand owner until it ships."""
    if order.status in PARTNER_CANCELS and works_for_partner(user, order):
        return True
    return fulfils(user, order)


def can_cancel_order(user: Any, order: Order) -> bool:
    """Cancel an order that is not shipped, delivered or cancelled yet (see `may_cancel`)."""
    return order.can_move_to(OrderStatus.CANCELLED) and may_cancel(user, order)
