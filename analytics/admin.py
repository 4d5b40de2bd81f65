"""Analytics in Django's admin: the roll-ups and their state are read-only (rebuilt by
analytics.rollups; an admin action rebuilds them), tier requirements are edited through
analytics.services (channel admins only)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from analytics import services
from analytics.models import (
    DurationRollup,
    LeadChannelRollup,
    LeadEventRollup,
    LeadMonthRollup,
    LeadRollup,
    OrderChannelRollup,
    OrderMonthRollup,
    OrderRollup,
    RollupState,
    ServiceRollup,
    TierRequirement,
)
from core.errors import NotAllowed
from core.models import User
from partners import access


class ReadOnlyRollupAdmin(admin.ModelAdmin):
    """Roll-up rows are derived data: listed, never edited by hand."""

    date_hierarchy = "day"
    search_fields = ("partner_id",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(LeadRollup)
class LeadRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "category_id", "source", "status", "currency", "leads", "won_value")


@admin.register(LeadMonthRollup)
class LeadMonthRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "category_id", "status", "currency", "leads", "won_value")


@admin.register(OrderMonthRollup)
class OrderMonthRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "status", "currency", "orders", "total")


@admin.register(LeadChannelRollup)
class LeadChannelRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "category_id", "status", "currency", "leads", "won_value")
    search_fields = ("status",)


@admin.register(OrderChannelRollup)
class OrderChannelRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "status", "currency", "orders", "total")
    search_fields = ("status",)


@admin.register(LeadEventRollup)
class LeadEventRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "category_id", "breaches", "declines", "redispatches")


@admin.register(OrderRollup)
class OrderRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "status", "currency", "orders", "total")


@admin.register(ServiceRollup)
class ServiceRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "product_id", "status", "requests", "escalated", "resolved")


@admin.register(DurationRollup)
class DurationRollupAdmin(ReadOnlyRollupAdmin):
    list_display = ("day", "partner_id", "kind", "bucket", "count")
    list_filter = ("kind", "day")


@admin.register(RollupState)
class RollupStateAdmin(admin.ModelAdmin):
    list_display = ("name", "updated_at", "refreshed_through", "full_rebuild_at")
    search_fields = ("name",)
    actions = ("rebuild_all",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Rebuild every roll-up now")
    def rebuild_all(self, request: HttpRequest, queryset: QuerySet[RollupState]) -> None:
        try:
            services.rollups_rebuild(actor=cast(User, request.user))
        except NotAllowed as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, "Every roll-up was rebuilt.", messages.SUCCESS)


@admin.register(TierRequirement)
class TierRequirementAdmin(admin.ModelAdmin):
    list_display = ("tier", "measure", "minimum", "updated_by", "updated_at")
    list_filter = ("tier", "measure")
    search_fields = ("tier__name", "measure")
    fields = ("tier", "measure", "minimum")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return access.actor_of(request.user).is_admin

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.actor_of(request.user).is_admin

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.actor_of(request.user).is_admin

    def save_model(self, request: HttpRequest, obj: TierRequirement, form: Any, change: bool) -> None:
        """Through the service (the activity trail names the admin)."""
        try:
            saved = services.tier_requirement_set(
                actor=cast(User, request.user), tier=obj.tier, measure=obj.measure, minimum=obj.minimum
            )
        except (ValidationError, NotAllowed) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            self.message_user(request, text, messages.ERROR)
            return
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: TierRequirement) -> None:
        services.tier_requirement_delete(actor=cast(User, request.user), requirement=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TierRequirement]) -> None:
        for obj in queryset:
            services.tier_requirement_delete(actor=cast(User, request.user), requirement=obj)
