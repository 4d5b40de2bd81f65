"""Every read of service records, already scoped by the access policy (DESIGN.md).

Solutions: channel staff read the whole knowledge base, partner users the published solutions,
anybody else none. Service requests: channel admins all; channel managers their partners' (and those
partners' sub-partners'); partner managers their own partner's and its sub-partners' (read); partner
employees their partner's requests that are assigned to them or to nobody. Comments, attachments and
the timeline are read through their request's scope; internal comments only by the request's own
partner's people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, Prefetch, Q, QuerySet

from catalog.models import Category, Product
from partners import access
from partners.choices import Role
from service import rules
from service.choices import OPEN_STATUSES, ServiceStatus
from service.models import (
    NUMBER_PREFIX,
    ServiceAttachment,
    ServiceComment,
    ServiceEvent,
    ServiceRequest,
    Solution,
    duration_text,
)
from service.search import ranked_search

SUGGESTIONS = 5


# --- Solutions ------------------------------------------------------------------------------------


def visible_solutions(user: Any) -> QuerySet[Solution]:
    """Channel staff: every solution (drafts too); partner users: the published ones; others none."""
    actor = access.actor_of(user)
    qs = Solution.objects.defer("search_vector")
    if actor.is_channel:
        return qs
    if actor.is_partner:
        return qs.filter(published=True)
    return qs.none()


def solution_list(
    user: Any,
    *,
    q: str = "",
    published: bool | None = None,
    product: int | None = None,
    category: int | None = None,
) -> QuerySet[Solution]:
    """The visible solutions (of a product or category); with `q` the ones that contain every word,
    best match first (annotated with `rank`, see service.search), else newest change first."""
    qs = visible_solutions(user)
    if published is not None:
        qs = qs.filter(published=published)
    if product:
        qs = qs.filter(products=product)
    if category:
        qs = qs.filter(categories=category)
    if q.strip():
        return ranked_search(qs, q, match_all=True)
    return qs.order_by("-updated_at", "-id")


def solution_suggestions(user: Any, text: str, *, limit: int = SUGGESTIONS) -> list[Solution]:
    """The published solutions that best match a problem being typed (sharing at least two of its
    words, or one of fewer than three; those that share more, and in the title, first): at most
    `limit`, one query."""
    qs = visible_solutions(user).filter(published=True)
    return list(ranked_search(qs, text, match_all=False)[:limit])


def solution_detail(user: Any) -> QuerySet[Solution]:
    """For one solution's page: with its author, products and categories."""
    return (
        visible_solutions(user)
        .select_related("author")
        .prefetch_related(
            Prefetch("products", queryset=Product.objects.order_by("sku")),
            Prefetch("categories", queryset=Category.objects.order_by("name")),
        )
    )


# --- Service requests -----------------------------------------------------------------------------


def _scoped(user: Any, queryset: QuerySet[Any], prefix: str = "") -> QuerySet[Any]:
    if access.actor_of(user).role == Role.CHANNEL_MANAGER:
        # The same rows as access.scope, by a list of partner ids read once per request: planning a
        # page with the managed-partners subquery costs more than the page (see mdf.selectors).
        return queryset.filter(**{f"{prefix}partner_id__any_of": access.managed_partner_id_list(user)})
    return access.scope(
        user, queryset, partner_field=f"{prefix}partner_id", assigned_field=f"{prefix}assigned_to_id"
    )


def visible_requests(user: Any) -> QuerySet[ServiceRequest]:
    """Service requests with what their list rows show (partner, customer, assignee)."""
    return _scoped(user, ServiceRequest.objects.select_related("partner", "customer", "assigned_to"))


def request_list(
    user: Any,
    *,
    q: str = "",
    status: str = "",
    severity: str = "",
    partner: int | None = None,
    assigned: str = "",
    product: int | None = None,
) -> QuerySet[ServiceRequest]:
    """The visible requests, filtered. `q`: a number (SR-000123, or its digits) finds that request;
    other text searches the subjects. `status` may be "open" (every open status). `assigned`: "me"
    or "unassigned"."""
    qs = visible_requests(user)
    text = q.strip()
    if text:
        digits = text.upper().removeprefix(NUMBER_PREFIX)
        if digits.isdigit() and len(digits) < 19:
            qs = qs.filter(Q(number=f"{NUMBER_PREFIX}{int(digits):06d}") | Q(subject__icontains=text))
        else:
            qs = qs.filter(subject__icontains=text)
    if status == "open":
        qs = qs.filter(status__in=sorted(OPEN_STATUSES))
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if partner:
        qs = qs.filter(partner_id=partner)
    if product:
        qs = qs.filter(product_id=product)
    if assigned == "me":
        qs = qs.filter(assigned_to_id=access.actor_of(user).user_id)
    elif assigned == "unassigned":
        qs = qs.filter(assigned_to__isnull=True)
    return qs


def request_detail(user: Any) -> QuerySet[ServiceRequest]:
    """For one request's page: with its contact, product, solution and who registered it."""
    return visible_requests(user).select_related("contact", "product", "solution", "created_by")


def own_partner_requests(user: Any) -> QuerySet[ServiceRequest]:
    """The visible requests of the user's own partner (not its sub-partners')."""
    return visible_requests(user).filter(partner_id=access.actor_of(user).partner_id or 0)


def escalation_queue(user: Any) -> QuerySet[ServiceRequest]:
    """Escalated requests the brand owner's service team works, longest waiting first: channel
    staff only, of the partners in their scope."""
    if not access.actor_of(user).is_channel:
        return ServiceRequest.objects.none()
    return visible_requests(user).filter(status=ServiceStatus.ESCALATED).order_by("escalated_at", "id")


def customer_requests(user: Any, customer_id: int) -> QuerySet[ServiceRequest]:
    """The visible service requests of one customer, newest first (for the customer's page)."""
    return visible_requests(user).filter(customer_id=customer_id).order_by("-created_at", "-id")


def request_timeline(request: ServiceRequest) -> QuerySet[ServiceEvent]:
    return request.events.select_related("actor").order_by("created_at", "id")


def request_comments(user: Any, request: ServiceRequest) -> QuerySet[ServiceComment]:
    """The comments of a request (already fetched through its scope) this user may read: internal
    ones only for the request's own partner's people."""
    qs = ServiceComment.objects.filter(request=request).select_related("author")
    if not rules.sees_internal_comments(user, request):
        qs = qs.filter(internal=False)
    return qs.order_by("created_at", "id")


def request_attachments(request: ServiceRequest) -> QuerySet[ServiceAttachment]:
    """The files of a request already fetched through its scope."""
    return ServiceAttachment.objects.filter(request=request).select_related("uploaded_by").order_by("id")


def visible_attachments(user: Any) -> QuerySet[ServiceAttachment]:
    """Attachments of the requests this user may see (for downloads)."""
    return _scoped(user, ServiceAttachment.objects.select_related("request"), prefix="request__")


# --- Figures --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Volume:
    """Service requests of one partner or product in a period: how many, how many still open,
    escalated, resolved, and the average time to resolve (seconds; None when none resolved)."""

    key: int | None
    label: str
    total: int
    open: int
    escalated: int
    resolved: int
    avg_resolve_seconds: float | None

    @property
    def avg_resolve_hours(self) -> float | None:
        return None if self.avg_resolve_seconds is None else round(self.avg_resolve_seconds / 3600, 1)

    @property
    def avg_time_to_resolve(self) -> str:
        return duration_text(self.avg_resolve_seconds)


VOLUME_ROWS = 20


def _volumes(rows: QuerySet[Any], key: str, label: str, fallback: str) -> list[Volume]:
    grouped = (
        rows.order_by()
        .values(key, label)
        .annotate(
            total=Count("id"),
            open=Count("id", filter=Q(status__in=sorted(OPEN_STATUSES))),
            escalated=Count("id", filter=Q(escalated_at__isnull=False)),
            resolved=Count("id", filter=Q(resolve_seconds__isnull=False)),
            avg=Avg("resolve_seconds"),
        )
        .order_by("-total", label)[:VOLUME_ROWS]
    )
    return [
        Volume(
            key=row[key],
            label=row[label] or fallback,
            total=row["total"],
            open=row["open"],
            escalated=row["escalated"],
            resolved=row["resolved"],
            avg_resolve_seconds=float(row["avg"]) if row["avg"] is not None else None,
        )  # fmt: skip
        for row in grouped
    ]


def volumes_by_partner(user: Any, *, since: datetime) -> list[Volume]:
    """Per partner (the VOLUME_ROWS busiest), the requests registered since `since`: one grouped
    query over the user's scope."""
    rows = _scoped(user, ServiceRequest.objects.all()).filter(created_at__gte=since)
    return _volumes(rows, "partner_id", "partner__name", "—")


def volumes_by_product(user: Any, *, since: datetime) -> list[Volume]:
    """Per product (the VOLUME_ROWS most affected; requests without a product as one row)."""
    rows = _scoped(user, ServiceRequest.objects.all()).filter(created_at__gte=since)
    return _volumes(rows, "product_id", "product__sku", "No product given")


def volume_totals(user: Any, *, since: datetime) -> Volume:
    """All the user's partners together, since `since`: one aggregate."""
    rows = _scoped(user, ServiceRequest.objects.all()).filter(created_at__gte=since)
    row = rows.aggregate(
        total=Count("id"),
        open=Count("id", filter=Q(status__in=sorted(OPEN_STATUSES))),
        escalated=Count("id", filter=Q(escalated_at__isnull=False)),
        resolved=Count("id", filter=Q(resolve_seconds__isnull=False)),
        avg=Avg("resolve_seconds"),
    )
    return Volume(
        key=None, label="All", total=row["total"] or 0, open=row["open"] or 0,
        escalated=row["escalated"] or 0, resolved=row["resolved"] or 0,
        avg_resolve_seconds=float(row["avg"]) if row["avg"] is not None else None,
    )  # fmt: skip
