"""/deal-registrations: partners register deals; channel staff approve or reject them. Partner users
learn only whether a registration conflicts, channel staff with whom."""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    CountryCode,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
)
from core.errors import NotAllowed
from core.models import User
from leads import selectors, services
from leads.api.common import (
    Body,
    Currency,
    Money,
    Slug,
    category_by_slug,
    fetch_visible,
    merge_errors,
    raise_if,
    state_conflicts_as_409,
    strip_text,
)
from leads.choices import RegistrationStatus
from leads.models import DealRegistration
from partners import access
from partners.models import Partner

registrations_router = Router(tags=["deal registrations"])


class ConflictOut(Schema):
    kind: str = Field(description="lead or registration")
    id: int
    company: str
    partner_name: str | None
    status: str


class RegistrationOut(Schema):
    """A deal registration as its partner sees it: only whether it conflicts, never with whom."""

    model_config = ConfigDict(extra="forbid")

    id: int
    partner: int
    registered_by: str | None = Field(description="E-mail of who registered it.")
    customer_company: str
    customer_domain: str
    country: str
    category: str | None = Field(description="The product category's slug, or null.")
    value: Decimal
    currency: str
    expected_close: date
    notes: str
    status: RegistrationStatus
    conflict: bool = Field(description="Another partner already registered or holds this customer.")
    lead: int | None = Field(description="The lead made on approval, or null.")
    protected_until: date | None
    reject_reason: str
    decided_at: datetime | None
    created_at: datetime


class RegistrationChannelOut(RegistrationOut):
    """A deal registration as channel staff see it: with the conflicts' details."""

    conflicts: list[ConflictOut]


RegistrationAnyOut = RegistrationChannelOut | RegistrationOut


class RegistrationPageOut(PageOut[RegistrationAnyOut]):  # type: ignore[valid-type]
    pass


class RegistrationFilters(PageIn):
    status: RegistrationStatus | None = None
    partner: Id | None = Field(None, description="Only this partner's registrations.")


class RegistrationIn(Body):
    """A new deal registration, for your own partner."""

    NULLABLE = frozenset({"category"})

    customer_company: CleanStr = Field(max_length=200)
    customer_domain: CleanStr = Field(
        "",
        max_length=254,
        description="The customer's e-mail domain (or an address there), e.g. omega.example.",
    )
    country: CountryCode
    category: Slug | None = Field(None, description="A product category's slug.")
    value: Money
    currency: Currency = "EUR"
    expected_close: date = Field(description="Today or later, e.g. 2026-12-31.")
    notes: CleanStr = Field("", max_length=4000)


class ApproveIn(Body):
    protect_days: int = Field(90, ge=1, le=730, description="Days the customer stays protected.")


class RejectIn(Body):
    reason: CleanStr = Field(max_length=2000, description="The partner reads it.")


def _visible_registrations(user: User) -> QuerySet[DealRegistration]:
    return selectors.visible_registrations(user).select_related("registered_by")


def _registration_out(registration: DealRegistration, *, channel: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": registration.pk,
        "partner": registration.partner_id,
        "registered_by": registration.registered_by.email if registration.registered_by else None,
        "customer_company": registration.customer_company,
        "customer_domain": registration.customer_domain,
        "country": registration.country,
        "category": registration.category.slug if registration.category else None,
        "value": registration.value,
        "currency": registration.currency,
        "expected_close": registration.expected_close,
        "notes": registration.notes,
        "status": registration.status,
        "conflict": bool(registration.conflicts),
        "lead": registration.lead_id,
        "protected_until": registration.protected_until,
        "reject_reason": registration.reject_reason,
        "decided_at": registration.decided_at,
        "created_at": registration.created_at,
    }
    if channel:
        out["conflicts"] = [
            {
                "kind": c.get("kind", ""),
                "id": c.get("id"),
                "company": c.get("company", ""),
                "partner_name": c.get("partner"),
                "status": c.get("status", ""),
            }
            for c in registration.conflicts or []
        ]
    return out


def _registration_answer(user: User, registration: DealRegistration) -> dict[str, Any]:
    fresh = _visible_registrations(user).filter(pk=registration.pk).first() or registration
    return _registration_out(fresh, channel=access.actor_of(user).is_channel)


def _customer_domain(value: str) -> str:
    text = value.strip().lower()
    domain = text.rsplit("@", 1)[-1]
    labels = domain.split(".")
    if text and (
        len(labels) < 2
        or not all(label and label.isascii() and label.replace("-", "").isalnum() for label in labels)
    ):
        raise ValidationError({"customer_domain": "Enter a domain such as omega.example."})
    return text


@registrations_router.get(
    "", response={200: RegistrationPageOut, **READ_ERRORS}, summary="List deal registrations"
)
def registration_list(request: HttpRequest, filters: Query[RegistrationFilters]) -> Any:
    """The registrations you may see, newest first: partner users their partner's (a distributor's
    manager also its resellers'), channel managers their partners', channel admins all."""
    user = current_user(request)
    qs = _visible_registrations(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    channel = access.actor_of(user).is_channel
    return {
        "items": [_registration_out(r, channel=channel) for r in page.items],
        "next_cursor": page.next_cursor,
    }


@registrations_router.post("", response={201: RegistrationOut, **WRITE_ERRORS}, summary="Register a deal")
def registration_create(request: HttpRequest, payload: RegistrationIn) -> Any:
    """A partner's people register an opportunity they found, for their own partner (channel staff:
    403). If another partner already holds or registered the customer, the answer says `conflict:
    true`, never who."""
    user = current_user(request)
    actor = access.actor_of(user)
    if not actor.is_partner or actor.partner_id is None:
        raise NotAllowed("Partner users register deals, for their own partner.")
    data = strip_text(payload.model_dump())
    errors: dict[str, list[str]] = {}
    category = category_by_slug(data.pop("category"), errors)
    try:
        data["customer_domain"] = _customer_domain(data["customer_domain"])
    except ValidationError as exc:
        merge_errors(errors, exc)
    raise_if(errors)
    registration = services.registration_submit(
        actor=user, partner=Partner.objects.get(pk=actor.partner_id), category=category, **data
    )
    return Status(201, _registration_answer(user, registration))


@registrations_router.get(
    "/{id}", response={200: RegistrationAnyOut, **READ_ERRORS}, summary="One deal registration"
)
def registration_detail(request: HttpRequest, id: int) -> Any:
    """A registration you may see; any other id answers 404."""
    user = current_user(request)
    registration = fetch_visible(_visible_registrations(user), id)
    return _registration_out(registration, channel=access.actor_of(user).is_channel)


@registrations_router.post(
    "/{id}/approve", response={200: RegistrationAnyOut, **WRITE_ERRORS}, summary="Approve a deal registration"
)
def registration_approve(request: HttpRequest, id: int, payload: ApproveIn | None = None) -> Any:
    """The partner's channel manager (or a channel admin) approves a pending registration: it becomes an
    accepted lead of that partner, and the customer is protected for `protect_days` (default 90)."""
    user = current_user(request)
    registration = fetch_visible(_visible_registrations(user), id)
    data = payload or ApproveIn.model_validate({})
    with state_conflicts_as_409():
        registration = services.registration_approve(
            registration=registration, actor=user, protect_days=data.protect_days
        )
    return _registration_answer(user, registration)


@registrations_router.post(
    "/{id}/reject", response={200: RegistrationAnyOut, **WRITE_ERRORS}, summary="Reject a deal registration"
)
def registration_reject(request: HttpRequest, id: int, payload: RejectIn) -> Any:
    """The partner's channel manager (or a channel admin) rejects a pending registration with a reason,
    which the partner reads."""
    user = current_user(request)
    registration = fetch_visible(_visible_registrations(user), id)
    with state_conflicts_as_409():
        registration = services.registration_reject(
            registration=registration, actor=user, reason=payload.reason
        )
    return _registration_answer(user, registration)
