"""The catalogue in Django's admin: categories and products. Changes go through catalog.services (the
same validation, derived short descriptions, image checks and activity trail as the channel portal);
only channel admins change anything, and products are deactivated rather than deleted."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog import services
from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from partners import access


def _is_admin(request: HttpRequest) -> bool:
    return access.actor_of(request.user).is_admin


class CategoryAdminForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = ("name", "slug", "parent")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "parent" in cleaned:
            try:
                services.category_check_parent(category=self.instance, parent=cleaned["parent"])
            except ValidationError as exc:
                self.add_error("parent", exc.message_dict["parent"])
        return cleaned


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryAdminForm
    list_display = ("name", "slug", "parent")
    list_filter = ("parent",)
    list_select_related = ("parent",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Category, form: forms.ModelForm, change: bool) -> None:
        fields = {name: form.cleaned_data[name] for name in ("name", "slug", "parent")}
        if change:
            saved = services.category_update(actor=request.user, category=obj, fields=fields)  # type: ignore[arg-type]
        else:
            saved = services.category_create(actor=request.user, fields=fields)  # type: ignore[arg-type]
        obj.pk = saved.pk
        obj.refresh_from_db()


class ShortenedFilter(admin.SimpleListFilter):
    title = "short description"
    parameter_name = "short"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("derived", "Derived from the name"), ("given", "Given by hand")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Product]) -> QuerySet[Product]:
        if self.value() == "derived":
            return queryset.filter(short_description_auto=True)
        if self.value() == "given":
            return queryset.filter(short_description_auto=False)
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("sku", "name", "category", "list_price", "currency", "order_unit", "active", "shortened")
    list_filter = ("active", ShortenedFilter, "currency", "category")
    list_select_related = ("category",)
    search_fields = ("sku", "name", "manufacturer_part_number")
    autocomplete_fields = ("category",)
    readonly_fields = ("short_description_note", "created_at", "updated_at")
    actions = ("deactivate", "activate")
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("sku", "name", "category", "active")}),
        ("Descriptions", {"fields": ("short_description", "short_description_note", "long_description")}),
        ("Price", {"fields": ("list_price", "currency", "price_unit", "order_unit")}),
        ("Classification", {"fields": ("manufacturer_part_number", "material_group", "attributes", "image")}),
        ("Record", {"fields": ("created_at", "updated_at")}),
    )

    @admin.display(boolean=True, description="Shortened")
    def shortened(self, obj: Product) -> bool:
        return obj.short_description_shortened

    @admin.display(description="Short description is")
    def short_description_note(self, obj: Product) -> str:
        if obj.pk is None:
            return "Derived from the name when left empty."
        if not obj.short_description_auto:
            return "Given by hand."
        if obj.short_description_shortened:
            return f"Derived from the name and shortened at a word boundary (the name has {len(obj.name)} characters)."
        return "Derived from the name (the whole name fits)."

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # leads, showrooms and orders refer to products: deactivate instead

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        image = data.get("image")
        upload = image if isinstance(image, UploadedFile) else None
        names = set(services.PRODUCT_FIELDS) & set(data)
        if change:
            changed = {name: data[name] for name in names if name in form.changed_data}
            saved = services.product_update(
                actor=request.user,  # type: ignore[arg-type]
                product=obj,
                fields=changed,
                image=upload,
                remove_image=image is False,
            )
        else:
            saved = services.product_create(
                actor=request.user,  # type: ignore[arg-type]
                fields={name: data[name] for name in names},
                image=upload,
            )
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description="Deactivate the selected products (hide them from partners)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_deactivate(actor=request.user, product=product)  # type: ignore[arg-type]
        messages.success(request, f"{len(queryset)} products deactivated.")

    @admin.action(description="Activate the selected products")
    def activate(self, request: HttpRequest, queryset: QuerySet[Product]) -> None:
        for product in queryset:
            services.product_activate(actor=request.user, product=product)  # type: ignore[arg-type]
        messages.success(request, f"{len(queryset)} products activated.")


# --- Partner assortments (read only here: changes go through catalog.assortment, in the portal or API) ---


class _ReadOnlyAssortmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(PartnerCategory)
class PartnerCategoryAdmin(_ReadOnlyAssortmentAdmin):
    list_display = ("partner", "category", "created_at")
    list_select_related = ("partner", "category")
    search_fields = ("partner__name", "partner__slug", "category__name", "category__slug")
    raw_id_fields = ("partner", "category")


@admin.register(PartnerProduct)
class PartnerProductAdmin(_ReadOnlyAssortmentAdmin):
    list_display = ("partner", "product", "price", "stock", "lead_time_days", "updated_at")
    list_select_related = ("partner", "product")
    search_fields = ("partner__name", "partner__slug", "product__sku")
    raw_id_fields = ("partner", "product")
