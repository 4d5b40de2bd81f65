"""/solutions and /service-requests: the knowledge base and service requests over the API (see
docs/api.md, "Service").

Reads go through service.selectors (scoped by the access policy: partners read published solutions
only; a partner employee sees the requests assigned to them or to nobody), changes through
service.services. A request in the path is fetched through the caller's scope first (outside it:
404), then the service checks the action rule (a wrong role: 403) and the workflow (a move it does
not allow: 409). An id in the body (customer, product, solution) that the caller cannot see is a 422
on that field. Lists answer keyset pages `{"items": [...], "next_cursor": ...}`; a search (`q`) pages
by rank."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from catalog import selectors as catalog_selectors
from catalog.models import Category, Product
from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
)
from core.errors import NotAllowed
from core.models import User
from core.paging import InvalidCursor
from core.uploads import document_response
from customers import selectors as customer_selectors
from leads.api.common import Body, fetch_visible, state_conflicts_as_409, strip_text
from partners import access
from service import rules, selectors, services
from service.choices import ServiceStatus, Severity
from service.models import ServiceAttachment, ServiceComment, ServiceEvent, ServiceRequest, Solution
from service.search import rank_page

solutions_router = Router(tags=["service"])
requests_router = Router(tags=["service"])

BAD_CURSOR = "This cursor is not valid for this list and sort order; start again without a cursor."


# --- Solutions ------------------------------------------------------------------------------------


class SolutionOut(Schema):
    """A knowledge-base solution."""

    id: int
    title: str
    problem: str
    solution: str
    tags: list[str]
    products: list[int] = Field(description="Ids of the products it concerns.")
    categories: list[int] = Field(description="Ids of the categories it concerns.")
    published: bool = Field(description="Partners see published solutions only.")
    solved_count: int = Field(description="How many service requests (or people) it solved.")
    updated_at: datetime
    rank: float | None = Field(
        description="With `q`: how well it matches (higher is better; the list is ordered by it)."
    )


class SolutionPageOut(PageOut[SolutionOut]):
    pass


class SolutionFilters(PageIn):
    q: CleanStr = Field(
        "",
        max_length=200,
        description="Words to search for in title, problem, solution and tags (every word must occur); "
        "the best match first.",
    )
    product: Id | None = Field(None, description="Only solutions for this product.")
    category: Id | None = Field(None, description="Only solutions for this category.")


def _solutions_with_relations(qs: QuerySet[Solution]) -> QuerySet[Solution]:
    return qs.prefetch_related(
        Prefetch("products", queryset=Product.objects.only("id").order_by("id")),
        Prefetch("categories", queryset=Category.objects.only("id").order_by("id")),
    )


def _solution_out(solution: Solution) -> dict[str, Any]:
    rank = getattr(solution, "rank", None)
    return {
        "id": solution.pk,
        "title": solution.title,
        "problem": solution.problem,
        "solution": solution.solution,
        "tags": solution.tag_list,
        "products": [p.pk for p in solution.products.all()],
        "categories": [c.pk for c in solution.categories.all()],
        "published": solution.published,
        "solved_count": solution.solved_count,
        "updated_at": solution.updated_at,
        "rank": None if rank is None else round(float(rank), 6),
    }


@solutions_router.get("", response={200: SolutionPageOut, **READ_ERRORS}, summary="Search the knowledge base")
def solution_list(request: HttpRequest, filters: Query[SolutionFilters]) -> Any:
    """The solutions you may see (partners: the published ones; channel staff: all). With `q`, those
    that contain every word, best match first (full-text search with ranking on PostgreSQL); without
    it, the latest changed first."""
    user = current_user(request)
    qs = selectors.solution_list(user, q=filters.q, product=filters.product, category=filters.category)
    qs = _solutions_with_relations(qs)
    if filters.q.strip():
        try:
            page = rank_page(qs, after=filters.cursor or None, size=filters.limit)
        except InvalidCursor:
            raise ValidationError({"cursor": BAD_CURSOR})
        return {"items": [_solution_out(s) for s in page.items], "next_cursor": page.next_cursor}
    keyset = keyset_page_or_422(qs, order="-updated_at", paging=filters)
    return {"items": [_solution_out(s) for s in keyset.items], "next_cursor": keyset.next_cursor}


@solutions_router.get("/{id}", response={200: SolutionOut, **READ_ERRORS}, summary="One solution")
def solution_detail(request: HttpRequest, id: int) -> Any:
    """A solution you may see; any other id (a draft, for partners) answers 404."""
    qs = _solutions_with_relations(selectors.visible_solutions(current_user(request)))
    return _solution_out(fetch_visible(qs, id))


# --- Service requests -----------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str = Field(description="The uploaded file's name.")
    content_type: str = Field(description="application/pdf, image/png or image/jpeg (by content).")
    size: int = Field(description="Bytes.")
    uploaded_at: datetime
    download_url: str = Field(description="Download it with your token (an attachment).")


class CommentOut(Schema):
    id: int
    author: str | None = Field(description="E-mail of who wrote it.")
    internal: bool = Field(description="Read only by the partner's people.")
    body: str
    created_at: datetime


class EventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    message: str
    actor: str | None
    created_at: datetime


class ServiceRequestOut(Schema):
    """A service request: a customer's problem a partner works."""

    id: int
    number: str = Field(description="SR-000123.")
    partner: int
    partner_name: str
    customer: int
    customer_name: str
    contact: int | None
    product: int | None
    serial_number: str
    severity: Severity
    subject: str
    description: str
    status: ServiceStatus
    assigned_to: str | None = Field(description="E-mail of the partner's person working it, or null.")
    solution: int | None = Field(description="The knowledge-base solution linked to it (that resolved it).")
    created_at: datetime
    escalated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolve_seconds: int | None = Field(description="Time to resolve: registration to resolution.")


class ServiceRequestDetailOut(ServiceRequestOut):
    """A service request with its timeline, the comments you may read and its files."""

    events: list[EventOut]
    comments: list[CommentOut]
    attachments: list[AttachmentOut]


class ServiceRequestPageOut(PageOut[ServiceRequestOut]):
    pass


class ServiceRequestFilters(PageIn):
    q: CleanStr = Field("", max_length=200, description="A number (SR-000123) or words of the subject.")
    status: ServiceStatus | None = None
    severity: Severity | None = None
    partner: Id | None = Field(None, description="Only this partner's requests.")
    customer: Id | None = Field(None, description="Only this customer's requests.")
    assigned: str | None = Field(
        None, pattern="^(me|unassigned)$", description="`me`: assigned to you; `unassigned`: to nobody."
    )


class CustomerIn(Body):
    """A customer given by its details: matched with your partner's customers (same e-mail domain
    or company name), or created."""

    company: CleanStr = Field(max_length=200)
    contact: CleanStr = Field("", max_length=150, description="The contact's name.")
    email: CleanStr = Field("", max_length=254)
    phone: CleanStr = Field("", max_length=40)


class ServiceRequestIn(Body):
    """A new service request of your own partner."""

    NULLABLE = frozenset({"product", "solution"})
    BOOLEANS = frozenset({"resolve"})

    customer: Id | CustomerIn = Field(
        description="The id of one of your partner's customers, or an object with `company`, `contact`, "
        "`email`, `phone`."
    )
    subject: CleanStr = Field(max_length=200)
    description: CleanStr = Field(max_length=10_000)
    severity: Severity = Severity.MEDIUM
    product: Id | None = Field(None, description="The id of the catalogue product concerned.")
    serial_number: CleanStr = Field("", max_length=100)
    solution: Id | None = Field(None, description="A published solution to link.")
    resolve: bool = Field(False, description="Resolve the request at once with `solution`.")


class CommentIn(Body):
    BOOLEANS = frozenset({"internal"})

    body: CleanStr = Field(max_length=4000)
    internal: bool = Field(False, description="Only your partner's people read it (partner side only).")


class EscalateIn(Body):
    reason: CleanStr = Field(
        max_length=2000, description="What was tried and why the brand owner should help."
    )


class ResolveIn(Body):
    NULLABLE = frozenset({"solution"})

    solution: Id | None = Field(None, description="The knowledge-base solution that did it.")
    note: CleanStr = Field("", max_length=2000)


class CloseIn(Body):
    note: CleanStr = Field("", max_length=2000)


def _request_out(service_request: ServiceRequest) -> dict[str, Any]:
    return {
        "id": service_request.pk,
        "number": service_request.reference,
        "partner": service_request.partner_id,
        "partner_name": service_request.partner.name,
        "customer": service_request.customer_id,
        "customer_name": service_request.customer.company,
        "contact": service_request.contact_id,
        "product": service_request.product_id,
        "serial_number": service_request.serial_number,
        "severity": service_request.severity,
        "subject": service_request.subject,
        "description": service_request.description,
        "status": service_request.status,
        "assigned_to": service_request.assigned_to.email if service_request.assigned_to else None,
        "solution": service_request.solution_id,
        "created_at": service_request.created_at,
        "escalated_at": service_request.escalated_at,
        "resolved_at": service_request.resolved_at,
        "closed_at": service_request.closed_at,
        "resolve_seconds": service_request.resolve_seconds,
    }


def _attachment_out(request: HttpRequest, attachment: ServiceAttachment) -> dict[str, Any]:
    url = reverse("api:service_attachment", kwargs={"id": attachment.request_id, "file_id": attachment.pk})
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "uploaded_at": attachment.uploaded_at,
        "download_url": request.build_absolute_uri(url),
    }


def _comment_out(comment: ServiceComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.author.email if comment.author else None,
        "internal": comment.internal,
        "body": comment.body,
        "created_at": comment.created_at,
    }


def _event_out(event: ServiceEvent) -> dict[str, Any]:
    return {
        "kind": event.kind, "from_status": event.from_status, "to_status": event.to_status,
        "message": event.message, "actor": event.actor.email if event.actor else None,
        "created_at": event.created_at,
    }  # fmt: skip


def _detail_out(request: HttpRequest, user: User, service_request: ServiceRequest) -> dict[str, Any]:
    return {
        **_request_out(service_request),
        "events": [_event_out(e) for e in selectors.request_timeline(service_request)],
        "comments": [_comment_out(c) for c in selectors.request_comments(user, service_request)],
        "attachments": [_attachment_out(request, a) for a in selectors.request_attachments(service_request)],
    }


def _fetch(user: User, id: int) -> ServiceRequest:
    return fetch_visible(selectors.visible_requests(user), id)  # type: ignore[no-any-return]


def _answer(request: HttpRequest, user: User, service_request: ServiceRequest) -> dict[str, Any]:
    # Read back through the scope: what was saved, as the detail shows it. (A manager who assigned
    # it away still sees it; an employee who resolved it keeps it, being the assignee.)
    return _detail_out(request, user, _fetch(user, service_request.pk))


@requests_router.get(
    "", response={200: ServiceRequestPageOut, **READ_ERRORS}, summary="List service requests"
)
def request_list(request: HttpRequest, filters: Query[ServiceRequestFilters]) -> Any:
    """The service requests you may see, newest first, one keyset page at a time: channel admins all;
    channel managers their partners'; partner managers their partner's and its resellers'; partner
    employees their partner's that are assigned to them or to nobody."""
    qs = selectors.request_list(
        current_user(request),
        q=filters.q,
        status=filters.status or "",
        severity=filters.severity or "",
        partner=filters.partner,
        assigned=filters.assigned or "",
    )
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    return {"items": [_request_out(r) for r in page.items], "next_cursor": page.next_cursor}


@requests_router.post(
    "", response={201: ServiceRequestDetailOut, **WRITE_ERRORS}, summary="Register a service request"
)
def request_create(request: HttpRequest, payload: ServiceRequestIn) -> Any:
    """A partner user registers a customer's problem for their own partner (channel staff get 403).
    `customer` is the id of one of your partner's customers, or the customer's details (matched with
    your customers, or created). An employee's request is assigned to them. With `solution` a
    published solution is linked; with `"resolve": true` as well, the request is resolved by it at
    once (`status` `resolved`). Ids you cannot use (another partner's customer, an unknown product
    or solution) are a 422 on their field."""
    user = current_user(request)
    if not rules.can_register(user):
        raise NotAllowed("Service requests are registered by the partner's people.")
    own_id = access.actor_of(user).partner_id or 0
    data = payload.model_dump()
    errors: dict[str, list[str]] = {}
    customer = None
    customer_data = None
    if isinstance(payload.customer, int):
        customer = (
            customer_selectors.visible_customers(user).filter(pk=payload.customer, partner_id=own_id).first()
        )
        if customer is None:
            errors["customer"] = [f"No customer of yours with id {payload.customer}."]
    else:
        customer_data = strip_text(payload.customer.model_dump())
    product = None
    if payload.product is not None:
        product = catalog_selectors.visible_products(user).filter(pk=payload.product, active=True).first()
        if product is None:
            errors["product"] = [f"No product with id {payload.product} in the catalogue."]
    solution = None
    if payload.solution is not None:
        solution = selectors.visible_solutions(user).filter(pk=payload.solution, published=True).first()
        if solution is None:
            errors["solution"] = [f"No published solution with id {payload.solution}."]
    if errors:
        raise ValidationError(errors)
    service_request = services.request_create(
        actor=user, subject=data["subject"], description=data["description"], severity=payload.severity,
        customer=customer, customer_data=customer_data, product=product,
        serial_number=data["serial_number"], solution=solution, resolve=payload.resolve,
    )  # fmt: skip
    return Status(201, _answer(request, user, service_request))


@requests_router.get(
    "/{id}", response={200: ServiceRequestDetailOut, **READ_ERRORS}, summary="One service request"
)
def request_detail(request: HttpRequest, id: int) -> Any:
    """A service request you may see, with its timeline, the comments you may read (internal ones
    only for your own partner's people) and its files; any other id answers 404."""
    user = current_user(request)
    return _detail_out(request, user, _fetch(user, id))


@requests_router.post(
    "/{id}/comments", response={201: CommentOut, **WRITE_ERRORS}, summary="Comment on a service request"
)
def request_comment(request: HttpRequest, id: int, payload: CommentIn) -> Any:
    """The partner working the request comments (`internal`: only the partner's people read it); the
    brand owner's service team (a channel admin, the partner's channel manager) comments too, never
    internally. A closed request answers 409."""
    user = current_user(request)
    service_request = _fetch(user, id)
    with state_conflicts_as_409():
        comment = services.comment_add(
            request=service_request, actor=user, body=payload.body, internal=payload.internal
        )
    return Status(201, _comment_out(comment))


@requests_router.post(
    "/{id}/escalate",
    response={200: ServiceRequestDetailOut, **WRITE_ERRORS},
    summary="Escalate a service request",
)
def request_escalate(request: HttpRequest, id: int, payload: EscalateIn) -> Any:
    """The partner working the request hands it to the brand owner's service team, saying why
    (`reason`, also added as a comment they read). A resolved or closed request answers 409."""
    user = current_user(request)
    service_request = _fetch(user, id)
    service_request = services.request_escalate(request=service_request, actor=user, reason=payload.reason)
    return _answer(request, user, service_request)


@requests_router.post(
    "/{id}/resolve",
    response={200: ServiceRequestDetailOut, **WRITE_ERRORS},
    summary="Resolve a service request",
)
def request_resolve(request: HttpRequest, id: int, payload: ResolveIn | None = None) -> Any:
    """Resolve the request: the partner working it, or, once escalated, the brand owner's service
    team. `solution` (optional) is the knowledge-base solution that did it: it is linked and counts
    once as "this solved it". A resolved or closed request answers 409."""
    user = current_user(request)
    service_request = _fetch(user, id)
    data = payload or ResolveIn.model_validate({})
    solution = None
    if data.solution is not None:
        solution = selectors.visible_solutions(user).filter(pk=data.solution).first()
        if solution is None:
            raise ValidationError({"solution": [f"No solution with id {data.solution} that you can see."]})
    service_request = services.request_resolve(
        request=service_request, actor=user, solution=solution, note=data.note
    )
    return _answer(request, user, service_request)


@requests_router.post(
    "/{id}/close", response={200: ServiceRequestDetailOut, **WRITE_ERRORS}, summary="Close a service request"
)
def request_close(request: HttpRequest, id: int, payload: CloseIn | None = None) -> Any:
    """The partner working the request closes it: a resolved one once the customer confirmed, or a
    new one registered by mistake. Any other status answers 409."""
    user = current_user(request)
    service_request = _fetch(user, id)
    data = payload or CloseIn.model_validate({})
    service_request = services.request_close(request=service_request, actor=user, note=data.note)
    return _answer(request, user, service_request)


@requests_router.get(
    "/{id}/attachments/{file_id}",
    response={200: None, **READ_ERRORS},
    summary="Download a service request's file",
    url_name="service_attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
            }
        }
    },
)
def attachment_download(request: HttpRequest, id: int, file_id: int) -> FileResponse:
    """A file of a service request you may see, as a download (`Content-Disposition: attachment`);
    any other request or file answers 404."""
    service_request = _fetch(current_user(request), id)
    attachment: ServiceAttachment = fetch_visible(
        ServiceAttachment.objects.filter(request=service_request), file_id
    )
    return document_response(attachment.file, filename=attachment.name, content_type=attachment.content_type)
