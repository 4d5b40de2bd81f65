"""MDF in Django's admin. Money moves only through mdf.services: programmes are set up and changed
through the same services as the channel portal (the budget cannot drop below what is allocated),
allocations, requests and claims are read here and decided with admin actions that call the
services, and journal lines can be read but never added, changed or deleted. Non-admin staff see
the rows their scope allows (mdf.selectors) and change nothing."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from core.errors import InvalidTransition, NotAllowed
from core.models import User
from mdf import selectors, services
from mdf.models import Claim, FundAllocation, FundComment, FundProgram, FundRequest, JournalEntry, ProofFile
from partners import access


def _is_admin(request: HttpRequest) -> bool:
    return access.actor_of(request.user).is_admin


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _run(
    modeladmin: admin.ModelAdmin, request: HttpRequest, items: QuerySet[Any], action: Any, done: str
) -> None:
    """Call a service per selected row, one transaction each; report what happened."""
    ok, failed = 0, []
    for item in items:
        try:
            action(item)
            ok += 1
        except (ValidationError, services.Overspend, InvalidTransition, NotAllowed) as exc:
            text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            failed.append(f"{item}: {text}")
    if ok:
        modeladmin.message_user(request, f"{ok} {done}.", messages.SUCCESS)
    for text in failed:
        modeladmin.message_user(request, text, messages.ERROR)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows made by the services: read, never added or edited here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class FundProgramForm(forms.ModelForm):
    class Meta:
        model = FundProgram
        fields = (
            "name", "description", "starts_on", "ends_on", "claim_deadline", "currency", "budget",
            "approval_threshold", "allocation_rule",
        )  # fmt: skip

    def clean(self) -> dict[str, Any]:
        """The service's checks, shown on the form's fields (nothing is saved when one fails)."""
        cleaned = super().clean() or {}
        needed = ("name", "starts_on", "ends_on", "claim_deadline", "budget")
        if all(cleaned.get(name) is not None for name in needed):
            try:
                services.program_check(
                    program=self.instance if self.instance.pk else None,
                    name=cleaned["name"], starts_on=cleaned["starts_on"], ends_on=cleaned["ends_on"],
                    claim_deadline=cleaned["claim_deadline"], budget=cleaned["budget"],
                    approval_threshold=cleaned.get("approval_threshold"),
                    allocation_rule=cleaned.get("allocation_rule") or "", currency=cleaned.get("currency") or "EUR",
                )  # fmt: skip
            except ValidationError as exc:
                for field_name, texts in exc.message_dict.items():
                    self.add_error(field_name if field_name in self.fields else None, texts)
        return cleaned


@admin.register(FundProgram)
class FundProgramAdmin(admin.ModelAdmin):
    form = FundProgramForm
    list_display = (
        "name",
        "status",
        "starts_on",
        "ends_on",
        "claim_deadline",
        "currency",
        "budget",
        "allocated_total",
    )
    list_filter = ("status", "currency")
    search_fields = ("name",)
    readonly_fields = ("status", "allocated_total", "created_by", "created_at", "closed_at")
    actions = ("open_programs", "allocate_by_tier_share", "close_programs")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FundProgram]:
        return selectors.visible_programs(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request) and (obj is None or obj.status != "closed")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(self.readonly_fields)
        return (*fields, "currency") if obj is not None else fields

    def save_model(self, request: HttpRequest, obj: FundProgram, form: forms.ModelForm, change: bool) -> None:
        data = form.cleaned_data
        fields = {
            name: data[name]
            for name in ("name", "description", "starts_on", "ends_on", "claim_deadline", "budget",
                         "approval_threshold", "allocation_rule")
        }  # fmt: skip
        # The form ran the service's checks already (FundProgramForm.clean).
        if change:
            saved = services.program_update(program=obj, actor=_user(request), **fields)
        else:
            saved = services.program_create(actor=_user(request), currency=data["currency"], **fields)
        obj.pk = saved.pk
        obj.refresh_from_db()

    @admin.action(description="Open the selected programmes")
    def open_programs(self, request: HttpRequest, queryset: QuerySet[FundProgram]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda p: services.program_open(program=p, actor=_user(request)),
            "opened",
        )

    @admin.action(description="Allocate by tier MDF share")
    def allocate_by_tier_share(self, request: HttpRequest, queryset: QuerySet[FundProgram]) -> None:
        for program in queryset:
            try:
                run = services.allocations_by_tier_share(program=program, actor=_user(request))
            except (ValidationError, NotAllowed) as exc:
                self.message_user(request, f"{program}: {exc}", messages.ERROR)
                continue
            self.message_user(
                request, f"{program}: {run.set} allocations set, {run.unchanged} unchanged.", messages.SUCCESS
            )
            for text in run.skipped:
                self.message_user(request, text, messages.WARNING)

    @admin.action(description="Close the selected programmes (unused money expires)")
    def close_programs(self, request: HttpRequest, queryset: QuerySet[FundProgram]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda p: services.program_close(program=p, actor=_user(request)),
            "closed",
        )


@admin.register(FundAllocation)
class FundAllocationAdmin(ReadOnlyAdmin):
    list_display = ("program", "partner", "amount", "reserved", "claimed", "paid", "available", "expired")
    list_filter = ("program",)
    search_fields = ("partner__name", "program__name")
    list_select_related = ("program", "partner")

    def get_queryset(self, request: HttpRequest) -> QuerySet[FundAllocation]:
        return selectors.visible_allocations(request.user)


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ("amount", "approved_amount", "status", "payment_reference", "paid_on")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommentInline(admin.TabularInline):
    model = FundComment
    fields = ("created_at", "author", "kind", "body")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FundRequest)
class FundRequestAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "partner",
        "program",
        "status",
        "amount",
        "approved_amount",
        "campaign_code",
        "submitted_at",
    )
    list_filter = ("status", "activity_type", "program")
    search_fields = ("title", "campaign_code", "partner__name")
    list_select_related = ("partner", "program")
    inlines = (ClaimInline, CommentInline)
    actions = ("approve_requests",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[FundRequest]:
        return selectors.visible_requests(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Approve the selected requests in full")
    def approve_requests(self, request: HttpRequest, queryset: QuerySet[FundRequest]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda r: services.request_approve(request=r, actor=_user(request)),
            "approved",
        )  # type: ignore[arg-type]


class ProofFileInline(admin.TabularInline):
    model = ProofFile
    fields = ("name", "content_type", "size", "uploaded_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "partner",
        "request",
        "status",
        "amount",
        "approved_amount",
        "payment_reference",
        "paid_on",
    )
    list_filter = ("status", "program")
    search_fields = ("partner__name", "request__title", "payment_reference", "credit_note_number")
    list_select_related = ("partner", "request")
    inlines = (ProofFileInline,)
    actions = ("approve_claims",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        return selectors.visible_claims(request.user)

    @admin.action(description="Approve the selected claims in full")
    def approve_claims(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        _run(
            self,
            request,
            queryset,
            lambda c: services.claim_approve(claim=c, actor=_user(request)),
            "approved",
        )  # type: ignore[arg-type]


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    """The journal: immutable lines (the database refuses changes too)."""

    list_display = (
        "booked_on",
        "posting",
        "program",
        "partner",
        "movement",
        "account",
        "debit",
        "credit",
        "currency",
        "document",
    )
    list_filter = ("movement", "account", "program")
    search_fields = ("document", "memo")
    list_select_related = ("program", "partner")
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[JournalEntry]:
        return selectors.visible_journal(request.user)
