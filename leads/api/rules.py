"""/dispatch-rules: channel staff read them, channel admins create, change and delete them."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from catalog.models import Category
from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    CountryCode,
    ErrorOut,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
    page_out,
)
from core.errors import NotAllowed
from core.models import User
from leads import selectors, services
from leads.api.common import (
    Body,
    ListId,
    Money,
    Slug,
    fetch_visible,
    raise_if,
)
from leads.choices import LeadSource, Strategy
from leads.models import DispatchRule
from partners import access
from partners.choices import PartnerType
from partners.models import Certification, Partner, Tier

rules_router = Router(tags=["dispatch rules"])


class RuleOut(Schema):
    """A dispatch rule: conditions on the lead, candidates, and how one of them is chosen."""

    id: int
    name: str
    priority: int = Field(description="A smaller number is tried first.")
    active: bool
    countries: list[str]
    regions: list[str]
    postal_prefixes: list[str]
    categories: list[str] = Field(description="Category slugs; empty: any category.")
    min_value: Decimal | None
    max_value: Decimal | None
    sources: list[LeadSource]
    partners: list[int] = Field(description="Explicit candidate partner ids; empty: the filters below.")
    min_tier: str | None = Field(description="The lowest tier's name, or null.")
    partner_types: list[PartnerType]
    certification: str | None = Field(description="The required certification's code, or null.")
    sells_lead_category: bool = Field(
        description="Only candidates whose assortment includes the lead's category (a lead without one "
        "does not match)."
    )
    strategy: Strategy
    accept_within_hours: int
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_categories(obj: DispatchRule) -> list[str]:
        return sorted(c.slug for c in obj.categories.all())

    @staticmethod
    def resolve_partners(obj: DispatchRule) -> list[int]:
        return sorted(p.pk for p in obj.partners.all())

    @staticmethod
    def resolve_min_tier(obj: DispatchRule) -> str | None:
        return obj.min_tier.name if obj.min_tier_id and obj.min_tier else None

    @staticmethod
    def resolve_certification(obj: DispatchRule) -> str | None:
        return obj.certification.code if obj.certification_id and obj.certification else None


class RulePageOut(PageOut[RuleOut]):
    pass


class RuleFilters(PageIn):
    active: bool | None = Field(None, description="Only active (true) or inactive (false) rules.")


class _RuleWrite(Body):
    NULLABLE = frozenset({"min_value", "max_value", "min_tier", "certification"})
    BOOLEANS = frozenset({"active", "sells_lead_category"})

    name: CleanStr | None = Field(None, max_length=120)
    priority: int | None = Field(None, ge=0, le=2_147_483_647, description="A smaller number is tried first.")
    active: bool | None = None
    countries: list[CountryCode] | None = Field(None, max_length=300)
    regions: list[Annotated[CleanStr, Field(max_length=100)]] | None = Field(None, max_length=300)
    postal_prefixes: list[Annotated[CleanStr, Field(max_length=20)]] | None = Field(None, max_length=1000)
    categories: list[Slug] | None = Field(None, max_length=300, description="Category slugs.")
    min_value: Money | None = None
    max_value: Money | None = None
    sources: list[LeadSource] | None = Field(None, max_length=10)
    partners: list[ListId] | None = Field(None, max_length=1000, description="Explicit candidate ids.")
    min_tier: CleanStr | None = Field(None, max_length=60, description="A tier's name.")
    partner_types: list[PartnerType] | None = Field(None, max_length=10)
    certification: CleanStr | None = Field(None, max_length=40, description="A certification's code.")
    sells_lead_category: bool | None = None
    strategy: Strategy | None = None
    accept_within_hours: int | None = Field(None, ge=1, le=24 * 365)


class RuleCreateIn(_RuleWrite):
    """A new rule. `name` is required; the rest default to: priority 100, active, any lead, all active
    partners, weighted, 48 hours."""

    name: CleanStr = Field(max_length=120)


class RuleUpdateIn(_RuleWrite):
    """The fields to change; those not sent stay as they are. Lists replace the current ones."""


def _visible_rules(user: User) -> QuerySet[DispatchRule]:
    # The rules are the channel's: partner users get 403 on every route, like the portal's rule pages.
    if not access.actor_of(user).is_channel:
        raise NotAllowed("Dispatch rules are the channel's; only channel staff see them.")
    return selectors.visible_rules(user).select_related("certification")


def _require_admin(user: User) -> None:
    """Only channel admins edit rules: channel managers and partner users get 403."""
    if not access.actor_of(user).is_admin:
        raise NotAllowed("Only channel admins edit dispatch rules.")


def _resolve_rule_refs(
    user: User, data: dict[str, Any]
) -> tuple[dict[str, Any], list[Partner] | None, list[Category] | None]:
    """Turn names, codes, slugs and ids into rows, collecting every error at once."""
    errors: dict[str, list[str]] = {}
    fields = {k: v for k, v in data.items() if k not in ("partners", "categories")}
    if "name" in fields:
        fields["name"] = fields["name"].strip()
    if fields.get("min_tier") is not None:
        text = fields["min_tier"].strip()
        fields["min_tier"] = Tier.objects.filter(name__iexact=text).first()
        if fields["min_tier"] is None:
            errors["min_tier"] = [f"No tier “{text}”; give a tier's name."]
    if fields.get("certification") is not None:
        code = fields["certification"].strip()
        fields["certification"] = Certification.objects.filter(code=code).first()
        if fields["certification"] is None:
            errors["certification"] = [f"No certification “{code}”; give a certification's code."]
    partners: list[Partner] | None = None
    if data.get("partners") is not None:
        wanted = list(dict.fromkeys(data["partners"]))
        found = {p.pk: p for p in access.scope_partners(user).filter(pk__in=wanted)}
        unknown = [str(pk) for pk in wanted if pk not in found]
        if unknown:
            errors["partners"] = [f"No partner with id {', '.join(unknown)}."]
        partners = [found[pk] for pk in wanted if pk in found]
    categories: list[Category] | None = None
    if data.get("categories") is not None:
        slugs = list(dict.fromkeys(s.strip() for s in data["categories"]))
        by_slug = {c.slug: c for c in Category.objects.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in by_slug]
        if missing:
            errors["categories"] = [f"No category “{s}”." for s in missing]
        categories = [by_slug[s] for s in slugs if s in by_slug]
    raise_if(errors)
    return fields, partners, categories


def _rule_out(rule: DispatchRule, user: User) -> DispatchRule:
    return _visible_rules(user).get(pk=rule.pk)


@rules_router.get(
    "", response={200: RulePageOut, 403: ErrorOut, **READ_ERRORS}, summary="List dispatch rules"
)
def rule_list(request: HttpRequest, filters: Query[RuleFilters]) -> Any:
    """The dispatch rules in the order routing tries them (priority, then id). Channel staff only."""
    qs = _visible_rules(current_user(request))
    if filters.active is not None:
        qs = qs.filter(active=filters.active)
    return page_out(keyset_page_or_422(qs, order="priority", paging=filters))


@rules_router.post("", response={201: RuleOut, **WRITE_ERRORS}, summary="Create a dispatch rule")
def rule_create(request: HttpRequest, payload: RuleCreateIn) -> Any:
    """Channel admins create rules; channel managers and partner users get 403."""
    user = current_user(request)
    _require_admin(user)
    fields, partners, categories = _resolve_rule_refs(user, payload.model_dump(exclude_unset=True))
    rule = services.dispatch_rule_save(actor=user, fields=fields, partners=partners, categories=categories)
    return Status(201, _rule_out(rule, user))


@rules_router.patch("/{id}", response={200: RuleOut, **WRITE_ERRORS}, summary="Change a dispatch rule")
def rule_update(request: HttpRequest, id: int, payload: RuleUpdateIn) -> Any:
    """Change the fields sent, all or nothing. Channel admins only."""
    user = current_user(request)
    rule: DispatchRule = fetch_visible(_visible_rules(user), id)
    _require_admin(user)
    fields, partners, categories = _resolve_rule_refs(user, payload.model_dump(exclude_unset=True))
    rule = services.dispatch_rule_save(
        actor=user, fields=fields, rule=rule, partners=partners, categories=categories
    )
    return _rule_out(rule, user)


@rules_router.delete("/{id}", response={204: None, **WRITE_ERRORS}, summary="Delete a dispatch rule")
def rule_delete(request: HttpRequest, id: int) -> Any:
    """Delete a rule; decisions already taken keep its name. Channel admins only."""
    user = current_user(request)
    rule: DispatchRule = fetch_visible(_visible_rules(user), id)
    services.dispatch_rule_delete(actor=user, rule=rule)
    return Status(204, None)
