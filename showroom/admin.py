"""Showrooms in Django's admin. Changes go through showroom.services (the same validation and activity
trail as the portals); only channel admins change anything. Showrooms are set up in the portals."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from partners import access
from showroom import services
from showroom.models import CatalogExport, ExportSchedule, Showroom


def _is_admin(request: HttpRequest) -> bool:
    return access.actor_of(request.user).is_admin


class ShowroomAdminForm(forms.ModelForm):
    new_oci_password = forms.CharField(
        label="New OCI password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current password (it is stored hashed and never shown).",
    )

    class Meta:
        model = Showroom
        fields = (
            "title",
            "slug",
            "published",
            "logo",
            "brand_colour",
            "introduction",
            "contact_email",
            "contact_phone",
            "contact_address",
            "oci_allowed_urls",
            "oci_username",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        errors = services.oci_credentials_errors(
            username=(cleaned.get("oci_username") or "").strip(),
            stored_hash=self.instance.oci_password,
            raw_password=cleaned.get("new_oci_password") or "",
        )
        for field, messages in errors.items():
            self.add_error("new_oci_password" if field == "oci_password" else field, messages)
        return cleaned


@admin.register(Showroom)
class ShowroomAdmin(admin.ModelAdmin):
    form = ShowroomAdminForm
    list_display = ("title", "slug", "partner", "published", "updated_at")
    list_filter = ("published",)
    list_select_related = ("partner",)
    search_fields = ("title", "slug", "partner__name")
    readonly_fields = ("partner", "credentials_set", "created_at", "updated_at")
    show_full_result_count = False

    @admin.display(boolean=True, description="OCI credentials set")
    def credentials_set(self, obj: Showroom) -> bool:
        return obj.oci_requires_credentials

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # set up by the partner or its channel manager in the portals

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Showroom, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        changes = {name: data[name] for name in form.changed_data if name in services.SHOWROOM_FIELDS}
        if "logo" in changes and not changes["logo"]:
            changes["logo"] = None
        if data.get("new_oci_password"):
            changes["oci_password"] = data["new_oci_password"]
        # The form checked what the service checks (fields, slug, credentials), so this does not refuse.
        saved = services.showroom_update(partner=obj.partner, actor=request.user, changes=changes)  # type: ignore[arg-type]
        obj.refresh_from_db()
        obj.pk = saved.pk


class _ReadOnlyAdmin(admin.ModelAdmin):
    """Exports are made and scheduled in the partner portal and the API (showroom.exports); the admin
    only shows them."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)


@admin.register(CatalogExport)
class CatalogExportAdmin(_ReadOnlyAdmin):
    list_display = ("id", "partner", "format", "language", "schedule", "created_at")
    list_filter = ("format",)
    list_select_related = ("partner", "schedule")
    search_fields = ("partner__name",)


@admin.register(ExportSchedule)
class ExportScheduleAdmin(_ReadOnlyAdmin):
    list_display = ("id", "partner", "format", "language", "enabled")
    list_filter = ("format", "enabled")
    list_select_related = ("partner",)
    search_fields = ("partner__name",)
    exclude = ("feed_token_hash",)
