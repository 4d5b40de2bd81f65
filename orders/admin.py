"""Orders in Django's admin: read here (scoped like everywhere else, orders.selectors), moved along
their workflow with admin actions that call orders.services (who may do what is the services' rule).
Lines and history are shown read-only; nothing is added, edited or deleted here."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import InvalidTransition, NotAllowed
from core.models import User
from orders import selectors, services
from orders.models import Order, OrderEvent, OrderLine


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _run(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    orders: QuerySet[Order],
    action: Callable[[Order], Any],
    done: str,
) -> None:
    """Call the service for each selected order, one transaction each; report what happened."""
    ok, failed = 0, []
    for order in orders:
        try:
            action(order)
            ok += 1
        except (ValidationError, InvalidTransition, NotAllowed) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            failed.append(f"{order.number}: {text}")
    if ok:
        modeladmin.message_user(request, f"{ok} {'order' if ok == 1 else 'orders'} {done}.", messages.SUCCESS)
    for text in failed:
        modeladmin.message_user(request, text, messages.ERROR)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(_ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "name", "quantity", "unit_price", "price_unit", "line_total")
    readonly_fields = fields


class OrderEventInline(_ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "kind", "status", "actor", "note", "emailed_at")
    readonly_fields = fields


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "status",
        "partner",
        "customer",
        "origin",
        "total",
        "currency",
        "expected_delivery",
        "created_at",
    )
    list_filter = ("status", "origin", "currency")
    search_fields = (
        "=number",
        "customer__company",
        "contact__email",
        "customer_reference",
        "tracking_reference",
    )
    list_select_related = ("partner", "customer")
    readonly_fields = (
        "number", "partner", "customer", "contact", "assigned_to", "origin", "lead", "currency", "total",
        "status", "customer_reference", "notes", "reason", "expected_delivery", "tracking_reference",
        "created_by", "created_at", "updated_at", "submitted_at", "accepted_at", "confirmed_at", "shipped_at",
        "delivered_at", "cancelled_at",
    )  # fmt: skip
    inlines = (OrderLineInline, OrderEventInline)
    actions = ("submit_orders", "confirm_orders", "deliver_orders", "cancel_orders")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        return selectors.visible_orders(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Submit the selected draft orders")
    def submit_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_submit(order=o, actor=_user(request)),
            "submitted",
        )

    @admin.action(description="Confirm the selected accepted orders")
    def confirm_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_confirm(order=o, actor=_user(request)),
            "confirmed",
        )

    @admin.action(description="Mark the selected shipped orders delivered")
    def deliver_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_deliver(order=o, actor=_user(request)),
            "delivered",
        )

    @admin.action(description="Cancel the selected orders")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda o: services.order_cancel(
                order=o, actor=_user(request), reason="Cancelled by the brand owner."
            ),
            "cancelled",
        )
