"""Service in Django's admin. The knowledge base is written here by the brand owner's channel staff
through service.services (the same checks as the channel portal); service requests are read here
(scoped by service.selectors, internal comments left out: they are the partner's) and escalated ones
resolved with an admin action that calls the service. Nothing is deleted here except solutions, by
channel admins."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import InvalidTransition, NotAllowed
from core.models import User
from partners import access
from service import rules, selectors, services
from service.models import ServiceAttachment, ServiceComment, ServiceEvent, ServiceRequest, Solution

TEXT_FIELDS = ("title", "problem", "solution", "tags")


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


class SolutionForm(forms.ModelForm):
    class Meta:
        model = Solution
        fields = ("title", "problem", "solution", "tags", "products", "categories", "published")

    def clean(self) -> dict[str, Any]:
        """The service's checks, shown on the form's fields (nothing is saved when one fails)."""
        cleaned = super().clean() or {}
        try:
            services.solution_values({name: cleaned.get(name, "") for name in TEXT_FIELDS})
        except ValidationError as exc:
            for field_name, texts in exc.message_dict.items():
                self.add_error(field_name if field_name in self.fields else None, texts)
        return cleaned


@admin.register(Solution)
class SolutionAdmin(admin.ModelAdmin):
    form = SolutionForm
    list_display = ("title", "published", "solved_count", "updated_at", "author")
    list_filter = ("published", "categories")
    search_fields = ("title", "tags")
    readonly_fields = ("solved_count", "author", "published_at", "created_at", "updated_at")
    filter_horizontal = ("products", "categories")
    list_select_related = ("author",)
    show_full_result_count = False
    actions = ("publish", "unpublish")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Solution]:
        return selectors.visible_solutions(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return rules.can_write_solutions(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return rules.can_write_solutions(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return access.actor_of(request.user).is_admin

    def save_model(self, request: HttpRequest, obj: Solution, form: forms.ModelForm, change: bool) -> None:
        # The many-to-many fields are set with the solution, by the service (save_related skips them).
        data = form.cleaned_data
        fields = {name: data.get(name, "") for name in TEXT_FIELDS}
        relations = {"products": data.get("products") or [], "categories": data.get("categories") or []}
        if change:
            saved = services.solution_update(solution=obj, actor=_user(request), fields=fields, **relations)
            saved = services.solution_set_published(
                solution=saved, actor=_user(request), published=bool(data.get("published"))
            )
        else:
            fields["published"] = bool(data.get("published"))
            saved = services.solution_create(actor=_user(request), fields=fields, **relations)
        obj.pk = saved.pk
        obj.refresh_from_db()

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets: Any, change: bool) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def _publish(self, request: HttpRequest, queryset: QuerySet[Solution], published: bool) -> None:
        done = 0
        for solution in queryset:
            try:
                services.solution_set_published(solution=solution, actor=_user(request), published=published)
                done += 1
            except NotAllowed as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
        self.message_user(request, f"{done} {'published' if published else 'unpublished'}.", messages.SUCCESS)

    @admin.action(description="Publish the selected solutions")
    def publish(self, request: HttpRequest, queryset: QuerySet[Solution]) -> None:
        self._publish(request, queryset, True)

    @admin.action(description="Take the selected solutions back (unpublish)")
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Solution]) -> None:
        self._publish(request, queryset, False)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EventInline(_ReadOnlyInline):
    model = ServiceEvent
    fields = ("created_at", "actor", "kind", "from_status", "to_status", "message")
    readonly_fields = fields


class CommentInline(_ReadOnlyInline):
    model = ServiceComment
    fields = ("created_at", "author", "body")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceComment]:
        # Internal comments are the partner's own (service.rules.sees_internal_comments).
        return super().get_queryset(request).filter(internal=False)


class AttachmentInline(_ReadOnlyInline):
    model = ServiceAttachment
    fields = ("name", "content_type", "size", "uploaded_by", "uploaded_at")
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "subject",
        "partner",
        "customer",
        "severity",
        "status",
        "created_at",
        "resolved_at",
    )
    list_filter = ("status", "severity")
    search_fields = ("=number", "subject")
    list_select_related = ("partner", "customer")
    readonly_fields = (
        "number", "partner", "customer", "contact", "product", "serial_number", "severity", "subject",
        "description", "status", "assigned_to", "solution", "created_by", "created_at", "escalated_at",
        "resolved_at", "closed_at", "resolve_seconds",
    )  # fmt: skip
    fields = readonly_fields
    inlines = (EventInline, CommentInline, AttachmentInline)
    actions = ("resolve_escalated",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[ServiceRequest]:
        return selectors.visible_requests(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Read here; changed only by the services (the action below, the portals).
        return False

    @admin.action(description="Resolve the selected escalated requests")
    def resolve_escalated(self, request: HttpRequest, queryset: QuerySet[ServiceRequest]) -> None:
        ok, failed = 0, []
        for item in queryset:
            try:
                services.request_resolve(request=item, actor=_user(request))
                ok += 1
            except (ValidationError, InvalidTransition, NotAllowed) as exc:
                text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                failed.append(f"{item.reference}: {text}")
        if ok:
            self.message_user(request, f"{ok} resolved.", messages.SUCCESS)
        for text in failed:
            self.message_user(request, text, messages.ERROR)
