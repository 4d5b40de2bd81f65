from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from leads.models import (
    DealRegistration,
    DispatchDecision,
    DispatchRule,
    Lead,
    LeadDecline,
    LeadEvent,
    LeadGroupObjectPermission,
    LeadItem,
    LeadSettings,
    LeadUserObjectPermission,
)


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    readonly_fields = ("created_at", "actor", "kind", "from_status", "to_status", "message")
    can_delete = False


class LeadItemInline(admin.TabularInline):
    """The products and quantities a lead asks for (a showroom quote's basket); converting the lead
    into an order carries them over."""

    model = LeadItem
    extra = 0
    raw_id_fields = ("product",)


@admin.register(Lead)
class LeadAdmin(GuardedModelAdmin):
    list_display = (
        "company",
        "status",
        "partner",
        "assigned_to",
        "country",
        "source",
        "estimated_value",
        "created_at",
    )
    list_filter = ("status", "source", "country")
    search_fields = ("company", "email", "contact_name", "external_id")
    list_select_related = ("partner", "assigned_to")
    raw_id_fields = ("partner", "assigned_to", "customer", "created_by", "category")
    readonly_fields = (
        "created_at",
        "updated_at",
        "dispatched_at",
        "accepted_at",
        "closed_at",
        "dispatch_reason",
    )
    inlines = (LeadItemInline, LeadEventInline)
    show_full_result_count = False


@admin.register(DispatchRule)
class DispatchRuleAdmin(admin.ModelAdmin):
    list_display = ("priority", "name", "active", "strategy", "accept_within_hours")
    list_filter = ("active", "strategy")
    search_fields = ("name",)
    filter_horizontal = ("partners", "categories")


@admin.register(DispatchDecision)
class DispatchDecisionAdmin(admin.ModelAdmin):
    list_display = ("created_at", "lead", "partner", "rule_name", "strategy", "reason")
    search_fields = ("reason", "rule_name")
    raw_id_fields = ("lead", "partner", "rule", "decided_by")


@admin.register(DealRegistration)
class DealRegistrationAdmin(admin.ModelAdmin):
    list_display = ("customer_company", "partner", "status", "value", "expected_close", "protected_until")
    list_filter = ("status", "country")
    search_fields = ("customer_company", "customer_domain", "partner__name")
    raw_id_fields = ("partner", "registered_by", "lead", "decided_by", "category")


@admin.register(LeadSettings)
class LeadSettingsAdmin(admin.ModelAdmin):
    list_display = ("__str__", "auto_route", "reminder_hours_before_deadline")


@admin.register(LeadDecline)
class LeadDeclineAdmin(admin.ModelAdmin):
    list_display = ("lead", "partner", "reason", "expired", "created_at")
    list_filter = ("expired",)
    search_fields = ("lead__company", "partner__name", "reason")
    raw_id_fields = ("lead", "partner")


@admin.register(LeadUserObjectPermission)
class LeadUserShareAdmin(admin.ModelAdmin):
    """Explicit shares of one lead with one user (a co-selling partner's person)."""

    list_display = ("content_object", "user", "permission")
    search_fields = ("content_object__company", "user__email")
    raw_id_fields = ("content_object", "user")


@admin.register(LeadGroupObjectPermission)
class LeadGroupShareAdmin(admin.ModelAdmin):
    list_display = ("content_object", "group", "permission")
    search_fields = ("content_object__company", "group__name")
    raw_id_fields = ("content_object",)


@admin.register(LeadEvent)
class LeadEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "lead", "kind", "from_status", "to_status", "actor", "message")
    list_filter = ("kind",)
    search_fields = ("lead__company", "message")
    raw_id_fields = ("lead", "actor")


@admin.register(LeadItem)
class LeadItemAdmin(admin.ModelAdmin):
    list_display = ("lead", "product", "quantity")
    search_fields = ("lead__company", "product__sku", "product__name")
    list_select_related = ("lead", "product")
    raw_id_fields = ("lead", "product")
