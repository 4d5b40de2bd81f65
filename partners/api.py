"""The partners API: /me (who am I, as the access policy sees me) and /partners (list, detail, create,
change). Reads go through partners.selectors (scoped by partners.access), changes through
partners.services; out of scope is 404 before any action rule is looked at."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, field_validator

from core.api import (
    MAX_ID,
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    CountryCode,
    ErrorOut,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
    page_out,
)
from core.errors import NotAllowed
from partners import access, selectors, services
from partners.choices import PartnerStatus, PartnerType
from partners.models import Partner, Tier

# --- /me ---------------------------------------------------------------------------------------

me_router = Router(tags=["me"])


class MeOut(Schema):
    email: str
    role: str | None = Field(
        description="channel_admin, channel_manager, partner_manager, partner_employee, or null (no role)."
    )
    partner: int | None = Field(
        description="The id of the partner you belong to; null for brand-owner staff."
    )


@me_router.get("", response={200: MeOut, 401: ErrorOut}, summary="Who am I")
def me(request: HttpRequest) -> Any:
    """The token's user: e-mail address, role and partner, as the access policy resolves them."""
    user = current_user(request)
    actor = access.actor_of(user)
    return {
        "email": user.email,
        "role": actor.role.value if actor.role else None,
        "partner": actor.partner_id,
    }


# --- Schemas -----------------------------------------------------------------------------------

router = Router(tags=["partners"])

COUNTRY_HELP = "ISO 3166 alpha-2 country code, e.g. DE."


class PartnerOut(Schema):
    """A partner as the API shows it."""

    id: int
    name: str
    legal_name: str
    slug: str
    type: PartnerType
    tier: str = Field(description="The tier's name, e.g. Gold.")
    status: PartnerStatus
    country: str = Field(description=COUNTRY_HELP)
    parent: int | None = Field(description="The id of the parent partner (a distributor), or null.")
    capacity: int = Field(description="Most open leads the partner takes at once.")
    vat_id: str
    website: str
    email: str
    phone: str
    address: str
    city: str
    postal_code: str
    region: str
    latitude: float | None
    longitude: float | None
    description: str
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_tier(obj: Partner) -> str:
        return obj.tier.name

    @staticmethod
    def resolve_parent(obj: Partner) -> int | None:
        return obj.parent_id

    @staticmethod
    def resolve_latitude(obj: Partner) -> float | None:
        return None if obj.latitude is None else float(obj.latitude)

    @staticmethod
    def resolve_longitude(obj: Partner) -> float | None:
        return None if obj.longitude is None else float(obj.longitude)


class PartnerPageOut(PageOut[PartnerOut]):
    pass


def _validate_tier_ref(value: Any) -> Any:
    """A tier is named by its name or its id, as a number or as text; ids are kept as digits."""
    if value is None:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("Give a tier name or id.")
    text = value.strip()
    if _is_id_text(text) and (len(text) > 19 or not 1 <= int(text) <= MAX_ID):
        raise ValueError(f"No tier “{text}”; give a tier name or id.")
    return value


def _is_id_text(text: str) -> bool:
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses.
    return text.isascii() and text.isdigit()


class PartnerFilters(PageIn):
    """Filters of GET /partners. All are optional and combine with AND."""

    q: CleanStr = Field("", max_length=200, description="Search in name, legal name, city, VAT id and slug.")
    tier: CleanStr | None = Field(None, max_length=60, description="Tier id or name (case-insensitive).")
    status: PartnerStatus | None = None
    type: PartnerType | None = None
    country: CountryCode | None = None
    parent: Id | None = Field(None, description="Only the sub-partners of this partner id.")
    sort: str = Field(
        "name",
        description="Sort key; a leading '-' sorts descending.",
        json_schema_extra={"enum": list(selectors.PARTNER_ORDERINGS)},
    )

    _check_tier = field_validator("tier", mode="before")(_validate_tier_ref)

    @field_validator("sort")
    @classmethod
    def _known_sort(cls, value: str) -> str:
        if value not in selectors.PARTNER_ORDERINGS:
            raise ValueError(f"Choose one of: {', '.join(selectors.PARTNER_ORDERINGS)}.")
        return value


# Fields that may not be null when given (send "" to clear a text field).
_NULLABLE = frozenset({"parent", "latitude", "longitude"})


class _PartnerWrite(Schema):
    """Fields shared by create and change. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    name: CleanStr | None = Field(None, max_length=200)
    legal_name: CleanStr | None = Field(None, max_length=200)
    slug: CleanStr | None = Field(None, max_length=80, description="Made from the name when left empty.")
    vat_id: CleanStr | None = Field(
        None, max_length=40, description="VAT or tax id; spaces, dots and dashes dropped."
    )
    website: CleanStr | None = Field(None, max_length=200)
    email: CleanStr | None = Field(None, max_length=254)
    phone: CleanStr | None = Field(None, max_length=40)
    address: CleanStr | None = Field(None, max_length=200)
    city: CleanStr | None = Field(None, max_length=100)
    postal_code: CleanStr | None = Field(None, max_length=20)
    region: CleanStr | None = Field(None, max_length=100)
    country: CountryCode | None = None
    latitude: Decimal | None = Field(None, ge=-90, le=90)
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    type: PartnerType | None = None
    tier: CleanStr | None = Field(None, max_length=60, description="Tier name or id (a number or text).")
    parent: Id | None = Field(None, description="Id of a top-level partner you can see, or null.")
    capacity: int | None = Field(None, ge=0, le=2_147_483_647)
    description: CleanStr | None = Field(None, max_length=4000)
    status: PartnerStatus | None = None

    _check_tier = field_validator("tier", mode="before")(_validate_tier_ref)

    @field_validator("*", mode="before")
    @classmethod
    def _no_null_nor_bool(cls, value: Any, info: Any) -> Any:
        if value is None and info.field_name not in _NULLABLE:
            raise ValueError('May not be null; send "" to clear a text field.')
        # JSON true/false would pass as 1/0 for numbers; no field here is a yes/no.
        if isinstance(value, bool):
            raise ValueError("Expected a number or text, not true or false.")
        return value


class PartnerCreateIn(_PartnerWrite):
    """A new partner. `name` and `country` are required; `status` defaults to onboarding, `tier` to the
    lowest tier, `type` to reseller."""

    name: CleanStr = Field(max_length=200)
    country: CountryCode


class PartnerUpdateIn(_PartnerWrite):
    """The fields to change; those not sent stay as they are. `status` moves along the workflow
    (applied → onboarding → active ⇄ suspended → terminated) and `tier` changes the programme tier;
    `reason` is recorded with either in the activity trail."""

    reason: CleanStr | None = Field(None, max_length=500, description="Why the status or tier changes.")


# --- Helpers -----------------------------------------------------------------------------------


def _tier_from(value: str) -> Tier:
    text = str(value).strip()
    tier = (
        Tier.objects.filter(pk=int(text)).first()
        if _is_id_text(text)
        else Tier.objects.filter(name__iexact=text).first()
    )
    if tier is None:
        raise ValidationError({"tier": f"No tier “{text}”; give a tier name or id."})
    return tier


def _visible_parent(request: HttpRequest, parent_id: int) -> Partner:
    parent = selectors.visible_partners(current_user(request)).filter(pk=parent_id).first()
    if parent is None:
        raise ValidationError({"parent": f"No partner with id {parent_id} that you can see."})
    return parent


def _resolve_refs(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Turn `tier` and `parent` ids or names into rows, collecting every error at once."""
    errors: dict[str, list[str]] = {}
    resolved = dict(data)
    for name, resolve in (
        ("tier", _tier_from),
        ("parent", lambda v: _visible_parent(request, v)),
    ):
        if resolved.get(name) is None:
            continue
        try:
            resolved[name] = resolve(resolved[name])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return resolved


def _fetch_visible(request: HttpRequest, id: int) -> Partner:
    """A partner through the caller's scope; anything else is 404."""
    if not 1 <= id <= MAX_ID:
        raise Http404
    partner = selectors.visible_partners(current_user(request)).filter(pk=id).first()
    if partner is None:
        raise Http404
    return partner


def _as_out(partner: Partner) -> Partner:
    # Read back with the tier joined: what was saved, as the list shows it.
    return Partner.objects.select_related("tier").get(pk=partner.pk)


# --- Routes ------------------------------------------------------------------------------------


@router.get("", response={200: PartnerPageOut, **READ_ERRORS}, summary="List partners")
def partner_list(request: HttpRequest, filters: Query[PartnerFilters]) -> Any:
    """The partners you may see (channel admin: all; channel manager: yours and their sub-partners;
    partner manager: your partner and its sub-partners; partner employee: your partner), filtered,
    sorted, one keyset page at a time."""
    user = current_user(request)
    tier: int | None = _tier_from(filters.tier).pk if filters.tier else None
    qs = selectors.partner_list(
        user,
        q=filters.q.strip(),
        tier=tier,
        status=filters.status or "",
        type=filters.type or "",
        country=filters.country or "",
        parent=filters.parent,
    )
    page = keyset_page_or_422(qs, order=selectors.PARTNER_ORDERINGS[filters.sort], paging=filters)
    return page_out(page)


@router.get("/{id}", response={200: PartnerOut, **READ_ERRORS}, summary="One partner")
def partner_detail(request: HttpRequest, id: int) -> Any:
    """A partner you may see; any other id answers 404."""
    return _fetch_visible(request, id)


@router.post("", response={201: PartnerOut, **WRITE_ERRORS}, summary="Create a partner")
def partner_create(request: HttpRequest, payload: PartnerCreateIn) -> Any:
    """Channel admins and managers create partners (a channel manager who creates one owns it);
    partner users get 403."""
    user = current_user(request)
    if not access.can_create_partner(user):
        raise NotAllowed("Only channel staff create partners.")
    fields = _resolve_refs(request, payload.model_dump(exclude_unset=True))
    partner = services.partner_create(actor=user, fields=fields)
    return Status(201, _as_out(partner))


@router.patch("/{id}", response={200: PartnerOut, **WRITE_ERRORS}, summary="Change a partner")
def partner_update(request: HttpRequest, id: int, payload: PartnerUpdateIn) -> Any:
    """Change the fields sent, all or nothing. Out of your scope: 404. In scope but not yours to
    change (any partner user; channel staff who do not manage it): 403. An invalid status move: 409."""
    user = current_user(request)
    partner = _fetch_visible(request, id)
    # The partner is in scope, so its existence is no secret: a refused action is 403 from here on.
    if access.actor_of(user).is_partner:
        raise NotAllowed("Partner users change their company in the partner portal, not through the API.")
    if not access.can_edit_partner(user, partner):
        raise NotAllowed("You may not edit this partner.")
    data = _resolve_refs(request, payload.model_dump(exclude_unset=True))
    status = data.pop("status", None)
    tier = data.pop("tier", None)
    reason = data.pop("reason", None) or ""
    with transaction.atomic():
        if data:
            partner = services.partner_update(partner=partner, actor=user, changes=data)
        if tier is not None:
            partner = services.partner_change_tier(partner=partner, actor=user, tier=tier, reason=reason)
        if status is not None and status != partner.status:
            partner = services.partner_change_status(
                partner=partner, actor=user, status=status, reason=reason
            )
    return _as_out(partner)
