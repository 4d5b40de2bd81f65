"""GET /api/v1/analytics/summary: the headline figures of the dashboards for the caller's scope.

Same filters as the dashboards (analytics.figures.parse_filters): `period` (30d, 90d, ytd, 12m,
last_year) or `start`/`end` (YYYY-MM-DD, inclusive), `country`, `tier`, `type`, `partner`, `category`
(repeatable), `region`. A bad value answers 422 with the message per parameter. Leads and orders are
counted by the day they were created; MDF by the programmes running in the period. The figures come
from the roll-ups (`updated_at` says when they were last refreshed)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from analytics import selectors
from analytics.figures import parse_filters
from core.api import READ_ERRORS, ErrorOut, current_user
from partners import access
from partners.choices import Role

router = Router(tags=["analytics"])


class SummaryFilters(Schema):
    """The dashboards' filters (documentation; values are checked by analytics.figures.parse_filters)."""

    period: str | None = Field(None, description="30d, 90d, ytd, 12m (default) or last_year.")
    start: str | None = Field(None, description="First day (YYYY-MM-DD), instead of a period.")
    end: str | None = Field(None, description="Last day (YYYY-MM-DD), inclusive.")
    country: list[str] = Field(default_factory=list, description="Partner country codes (repeatable).")
    region: str | None = Field(None, description="Partner region.")
    tier: list[str] = Field(default_factory=list, description="Tier ids (repeatable).")
    type: list[str] = Field(default_factory=list, description="Partner types (repeatable).")
    partner: list[str] = Field(default_factory=list, description="Partner ids (repeatable).")
    category: list[str] = Field(default_factory=list, description="Product category ids (repeatable).")


class LeadsOut(Schema):
    total: int
    by_status: dict[str, int]


class WonOut(Schema):
    currency: str
    won_deals: int
    amount: Decimal
    open_leads: int
    pipeline: Decimal


class FundsOut(Schema):
    currency: str
    allocations: int
    allocated: Decimal = Field(description="Allocated before expiry (amount + expired).")
    amount: Decimal = Field(description="Allocated now (less what expired), as in /mdf/allocations.")
    reserved: Decimal
    claimed: Decimal
    paid: Decimal
    expired: Decimal


class MoneyOut(Schema):
    currency: str
    amount: Decimal


class OrdersOut(Schema):
    total: int
    by_status: dict[str, int]
    totals: list[MoneyOut] = Field(description="Value of all orders counted, per currency.")
    revenue: list[MoneyOut] = Field(
        description="Value of submitted or later orders (not drafts, not cancelled)."
    )


class SummaryOut(Schema):
    start: date
    end: date
    updated_at: datetime | None
    leads: LeadsOut
    won_revenue: list[WonOut]
    mdf: list[FundsOut]
    orders: OrdersOut


@router.get("/summary", response={200: SummaryOut, 403: ErrorOut, **READ_ERRORS}, summary="Analytics summary")
def analytics_summary(request: HttpRequest, filters: Query[SummaryFilters]) -> Any:
    """Lead counts by status, won revenue and pipeline, MDF totals and order totals for your scope:
    channel admins all partners, channel managers theirs (with their sub-partners and the channel's
    queue of leads no partner holds), partner managers their partner and its sub-partners. Money is
    per currency. Partner employees get 403."""
    user = current_user(request)
    if access.actor_of(user).role not in (Role.CHANNEL_ADMIN, Role.CHANNEL_MANAGER, Role.PARTNER_MANAGER):
        raise HttpError(403, "Analytics are for channel staff and partner managers.")
    parsed, errors = parse_filters(request.GET)
    if errors:
        raise ValidationError(errors)
    return selectors.summary(user, parsed)
