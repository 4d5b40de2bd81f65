from django.contrib import admin
from guardian.admin import GuardedModelAdmin

from partners.models import (
    Certification,
    Membership,
    Partner,
    PartnerApplication,
    PartnerGroupObjectPermission,
    PartnerUserObjectPermission,
    Tier,
)


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ("name", "rank", "routing_weight", "mdf_share")
    search_fields = ("name",)


@admin.register(Certification)
class CertificationAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    search_fields = ("name", "code")


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "partner"
    extra = 0
    raw_id_fields = ("user", "invited_by")


@admin.register(Partner)
class PartnerAdmin(GuardedModelAdmin):
    list_display = ("name", "slug", "type", "tier", "status", "country", "city", "parent", "capacity")
    list_filter = ("status", "type", "tier", "country")
    search_fields = ("name", "legal_name", "slug", "vat_id", "city")
    list_select_related = ("tier", "parent")
    raw_id_fields = ("parent",)
    filter_horizontal = ("managers", "certifications")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")
    inlines = (MembershipInline,)
    show_full_result_count = False


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "partner", "created_at")
    search_fields = ("user__email", "partner__name")
    list_select_related = ("user", "partner")
    raw_id_fields = ("user", "partner", "invited_by")


@admin.register(PartnerApplication)
class PartnerApplicationAdmin(admin.ModelAdmin):
    list_display = ("company", "vat_id", "country", "contact_email", "status", "created_at")
    list_filter = ("status", "country")
    search_fields = ("company", "vat_id", "contact_email", "contact_name")
    readonly_fields = ("created_at", "decided_at", "decided_by", "partner")


@admin.register(PartnerUserObjectPermission)
class PartnerUserShareAdmin(admin.ModelAdmin):
    """Explicit shares of one partner with one user (exceptions to the scoping rules)."""

    list_display = ("content_object", "user", "permission")
    list_filter = ("permission",)
    search_fields = ("content_object__name", "user__email")
    raw_id_fields = ("content_object", "user")
    list_select_related = ("content_object", "user", "permission")


@admin.register(PartnerGroupObjectPermission)
class PartnerGroupShareAdmin(admin.ModelAdmin):
    """Explicit shares of one partner with a group."""

    list_display = ("content_object", "group", "permission")
    list_filter = ("permission", "group")
    search_fields = ("content_object__name", "group__name")
    raw_id_fields = ("content_object",)
    list_select_related = ("content_object", "group", "permission")
