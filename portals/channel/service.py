"""Channel portal: service (issue 6), for the brand owner's service team. The escalations queue
(escalated requests of the user's partners, longest waiting first), the partners' service requests,
a request's page (timeline, the comments the brand owner reads, files; on an escalated request: hand
it back to the partner or resolve it with a solution), the knowledge base (list, new, change,
publish), and service volumes per partner and product (table and chart).

Every read goes through service.selectors (out of scope is 404), every change through
service.services: a refused move is a message and changes nothing, NotAllowed answers 403."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import InvalidTransition, NotAllowed
from core.paging import InvalidCursor
from core.uploads import document_response
from partners import access
from portals.channel.fund_queues import capped_count
from portals.channel.leads import partner_name_for_filter, visible_partner_choices
from portals.channel.service_forms import (
    AttachmentForm,
    CommentForm,
    HandBackForm,
    RequestFilterForm,
    ResolveForm,
    SolutionFilterForm,
    SolutionForm,
    VolumeForm,
)
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page
from service import rules, selectors, services
from service.choices import ServiceStatus
from service.models import ServiceRequest, Solution
from service.search import rank_page, ranked_search

QUEUE_SIZE = 25
TIMELINE_SHOWN = 200
COMMENTS_SHOWN = 200
SOLUTIONS_PER_PAGE = 25
VOLUMES_TTL = 60  # seconds: the volumes group the whole scope; counted at most a minute ago
DEFAULT_DAYS = 90
NOTHING_CHANGED = "Nothing was changed."


def _crumbs(*items: Crumb) -> list[Crumb]:
    return channel_crumbs(("Service", reverse("channel:service_queue")), *items)


# --- Escalations queue and requests ---------------------------------------------------------------


@channel_required
@require_GET
def service_queue(request: HttpRequest) -> HttpResponse:
    """Escalated requests of the user's partners (a channel admin: all), longest waiting first, by
    keyset pages; counted up to 1,000.

    Queries: session, user, actor, waiting (capped count), a page (partner, customer, assignee
    joined): 5; for a channel manager also their partners' ids (read once for both): 6."""
    queue = selectors.escalation_queue(request.user)
    total = capped_count(queue)
    page = request_page(request, queue, order="escalated_at", size=QUEUE_SIZE)
    return render(
        request,
        "portals/channel/service/queue.html",
        {
            "page": page,
            "total": total,
            "querystring": "",
            "is_admin": access.actor_of(request.user).is_admin,
            "breadcrumbs": channel_crumbs(("Service", None)),
        },
    )


@channel_required
@require_GET
def service_request_list(request: HttpRequest) -> HttpResponse:
    """The service requests of the user's partners, newest first, filtered.

    Queries: session, user, actor, partner picker, a page (partner, customer, assignee joined): 5;
    a channel manager's partners' ids: 6; a partner outside the picker, its name: 7."""
    user = request.user
    choices, _ = visible_partner_choices(user)
    form = RequestFilterForm(request.GET, partner_choices=choices)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    if "partner" in values and partner_name_for_filter(user, choices, values["partner"]) is None:
        messages.warning(request, "That partner is not one of yours; the filter is ignored.")
        del values["partner"]
    qs = selectors.request_list(
        user,
        q=values.get("q", ""),
        status=values.get("status", ""),
        severity=values.get("severity", ""),
        partner=values.get("partner"),
    )
    page = request_page(request, qs, order="-created_at", size=settings.PAGE_SIZE)
    return render(
        request,
        "portals/channel/service/requests.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(values),
            "querystring": urlencode(values),
            "breadcrumbs": _crumbs(("Requests", None)),
        },
    )


def _visible_request(request: HttpRequest, pk: int) -> ServiceRequest:
    return get_object_or_404(selectors.request_detail(request.user), pk=pk)


def _solution_choices(request: HttpRequest, service_request: ServiceRequest) -> list[tuple[int, str]]:
    """The linked solution first, then the best matches of the request's text (drafts included:
    the brand owner may resolve with one it is still writing)."""
    choices: list[tuple[int, str]] = []
    if service_request.solution is not None:
        choices.append((service_request.solution.pk, f"{service_request.solution.title} (linked)"))
    ranked = selectors.solution_list(request.user)
    text = f"{service_request.subject} {service_request.description}"
    for solution in ranked_search(ranked, text, match_all=False)[:5]:
        if solution.pk != service_request.solution_id:
            label = solution.title if solution.published else f"{solution.title} (draft)"
            choices.append((solution.pk, label))
    return choices


def render_request_detail(
    request: HttpRequest, service_request: ServiceRequest, *, sent: Form | None = None, status: int = 200
) -> HttpResponse:
    """The request page as the brand owner sees it (no internal comments).

    Queries: session, user, actor, the request (partner, customer, contact, product, solution, people
    joined), whether the user manages the partner, its timeline, its comments, its files: 8; on an
    escalated request the matching solutions: 9; a channel manager's partners' ids: one more."""
    user = request.user
    serves = rules.serves_escalations(user, service_request)
    escalated = service_request.status == ServiceStatus.ESCALATED
    handles = serves and escalated

    def form(cls: type[Form], offered: bool, **kwargs: Any) -> Form | None:
        if isinstance(sent, cls):
            return sent
        return cls(**kwargs) if offered else None

    resolve_form: Form | None = sent if isinstance(sent, ResolveForm) else None
    if resolve_form is None and handles:
        resolve_form = ResolveForm(
            solutions=_solution_choices(request, service_request),
            initial={"solution": service_request.solution_id},
        )
    open_request = service_request.status != ServiceStatus.CLOSED
    context = {
        "r": service_request,
        "serves": serves,
        "handles": handles,
        "events": list(selectors.request_timeline(service_request)[:TIMELINE_SHOWN]),
        "comments": list(selectors.request_comments(user, service_request)[:COMMENTS_SHOWN]),
        "attachments": list(selectors.request_attachments(service_request)),
        "hand_back_form": form(HandBackForm, handles),
        "resolve_form": resolve_form,
        "comment_form": form(CommentForm, serves and open_request),
        "attachment_form": form(AttachmentForm, serves and open_request),
        "breadcrumbs": _crumbs(
            ("Requests", reverse("channel:service_request_list")), (service_request.reference, None)
        ),
    }
    return render(request, "portals/channel/service/request_detail.html", context, status=status)


@channel_required
@require_GET
def service_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_request_detail(request, _visible_request(request, pk))


def _act(
    request: HttpRequest,
    service_request: ServiceRequest,
    form: Form,
    act: Callable[[dict[str, Any]], Any],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """One action posted from the request's page (see portals.partner.service._act)."""
    back = reverse("channel:service_request_detail", args=[service_request.pk]) + anchor
    if form.is_valid():
        try:
            act(form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except InvalidTransition as exc:
            messages.error(request, f"{exc} {NOTHING_CHANGED}")
            return redirect(back)
        except ValidationError as exc:
            if not (hasattr(exc, "error_dict") and set(exc.error_dict) & set(form.fields)):
                messages.error(request, f"{error_text(exc)} {NOTHING_CHANGED}")
                return redirect(back)
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect(back)
    messages.error(request, "That did not work; see the errors below.")
    return render_request_detail(request, service_request, sent=form, status=400)


@channel_required
@require_POST
def service_request_hand_back(request: HttpRequest, pk: int) -> HttpResponse:
    """The escalation ends: the partner works the request again."""
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    return _act(
        request, service_request, HandBackForm(request.POST),
        lambda d: services.request_take_back(request=service_request, actor=user, note=d["note"]),
        f"{service_request.reference} is handed back to {service_request.partner.name}.",
    )  # fmt: skip


@channel_required
@require_POST
def service_request_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    """Resolve an escalated request, with the solution that did it."""
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    choices = (
        _solution_choices(request, service_request) if rules.handles_escalation(user, service_request) else []
    )
    form = ResolveForm(request.POST, solutions=choices)

    def act(data: dict[str, Any]) -> None:
        solution = None
        if data.get("solution") is not None:
            solution = selectors.visible_solutions(user).filter(pk=data["solution"]).first()
        services.request_resolve(
            request=service_request, actor=user, solution=solution, note=data["note"],
            unlink=data.get("solution") is None,
        )  # fmt: skip

    return _act(
        request, service_request, form, act, f"{service_request.reference} is resolved; the partner is told."
    )


@channel_required
@require_POST
def service_request_comment(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    return _act(
        request, service_request, CommentForm(request.POST),
        lambda d: services.comment_add(request=service_request, actor=user, body=d["body"]),
        "Your comment is added; the partner is told.", "#comments",
    )  # fmt: skip


@channel_required
@require_POST
def service_request_attach(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    form = AttachmentForm(request.POST, request.FILES)
    return _act(
        request, service_request, form,
        lambda d: services.attachment_add(request=service_request, actor=user, files=d["files"]),
        "The files are attached.", "#files",
    )  # fmt: skip


@channel_required
@require_GET
def service_attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A request's file as an attachment, for those who may see the request (404 for anybody else)."""
    attachment = get_object_or_404(selectors.visible_attachments(request.user), pk=pk)
    return document_response(attachment.file, filename=attachment.name, content_type=attachment.content_type)  # type: ignore[return-value]


# --- The knowledge base ---------------------------------------------------------------------------


@channel_required
@require_GET
def solution_list(request: HttpRequest) -> HttpResponse:
    """Every solution (drafts too): searched (best match first) or the latest changed first.

    Queries: session, user, actor, one page of solutions: 4, whatever the number of rows."""
    form = SolutionFilterForm(request.GET)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    published = {"yes": True, "no": False}.get(values.get("published", ""))
    q = values.get("q", "")
    qs = selectors.solution_list(request.user, q=q, published=published)
    ranked_next = None
    page = None
    if q:
        try:
            result = rank_page(qs, after=request.GET.get("after") or None, size=SOLUTIONS_PER_PAGE)
        except InvalidCursor:
            messages.warning(request, "That page link is no longer valid, so here is the first page.")
            result = rank_page(qs, size=SOLUTIONS_PER_PAGE)
        solutions, ranked_next = result.items, result.next_cursor
    else:
        page = request_page(request, qs, order="-updated_at", size=SOLUTIONS_PER_PAGE)
        solutions = list(page.items)
    return render(
        request,
        "portals/channel/service/solutions.html",
        {
            "form": form,
            "q": q,
            "filtered": bool(values),
            "solutions": solutions,
            "page": page,
            "ranked_next": ranked_next,
            "querystring": urlencode(values),
            "can_write": rules.can_write_solutions(request.user),
            "breadcrumbs": _crumbs(("Knowledge base", None)),
        },
    )


def _solution_crumbs(*items: Crumb) -> list[Crumb]:
    return _crumbs(("Knowledge base", reverse("channel:solution_list")), *items)


@channel_required
@require_http_methods(["GET", "POST"])
def solution_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SolutionForm(request.POST)
        if form.is_valid():
            fields = {**form.text_fields(), "published": form.cleaned_data.get("published", False)}
            try:
                solution = services.solution_create(
                    actor=acting_user(request), fields=fields, products=form.cleaned_data["products"],
                    categories=form.cleaned_data["categories"],
                )  # fmt: skip
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                state = "published" if solution.published else "saved as a draft"
                messages.success(request, f"“{solution.title}” is {state}.")
                return redirect("channel:solution_detail", pk=solution.pk)
        messages.error(request, "The solution was not saved; see the errors below.")
    else:
        form = SolutionForm()
    return render(
        request,
        "portals/channel/service/solution_form.html",
        {"form": form, "solution": None, "breadcrumbs": _solution_crumbs(("New solution", None))},
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
@require_http_methods(["GET", "POST"])
def solution_edit(request: HttpRequest, pk: int) -> HttpResponse:
    solution = get_object_or_404(selectors.solution_detail(request.user), pk=pk)
    if request.method == "POST":
        form = SolutionForm(request.POST, with_publish=False)
        if form.is_valid():
            try:
                solution = services.solution_update(
                    solution=solution, actor=acting_user(request), fields=form.text_fields(),
                    products=form.cleaned_data["products"], categories=form.cleaned_data["categories"],
                )  # fmt: skip
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"“{solution.title}” is saved.")
                return redirect("channel:solution_detail", pk=solution.pk)
        messages.error(request, "The solution was not saved; see the errors below.")
    else:
        form = SolutionForm(
            with_publish=False,
            initial={
                "title": solution.title, "problem": solution.problem, "solution": solution.solution,
                "tags": solution.tags, "products": " ".join(p.sku for p in solution.products.all()),
                "categories": list(solution.categories.all()),
            },
        )  # fmt: skip
    return render(
        request,
        "portals/channel/service/solution_form.html",
        {
            "form": form,
            "solution": solution,
            "breadcrumbs": _solution_crumbs(
                (solution.title, reverse("channel:solution_detail", args=[solution.pk])), ("Change", None)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
@require_GET
def solution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: session, user, actor, the solution (author joined), its products, its categories: 6."""
    solution = get_object_or_404(selectors.solution_detail(request.user), pk=pk)
    return render(
        request,
        "portals/channel/service/solution_detail.html",
        {
            "solution": solution,
            "can_write": rules.can_write_solutions(request.user),
            "breadcrumbs": _solution_crumbs((solution.title, None)),
        },
    )


def _publish_view(published: bool) -> Callable[[HttpRequest, int], HttpResponse]:
    @channel_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        solution: Solution = get_object_or_404(selectors.visible_solutions(request.user), pk=pk)
        try:
            solution = services.solution_set_published(
                solution=solution, actor=acting_user(request), published=published
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        if published:
            messages.success(request, f"“{solution.title}” is published: partners find it now.")
        else:
            messages.success(request, f"“{solution.title}” is back to draft: partners no longer see it.")
        return redirect("channel:solution_detail", pk=solution.pk)

    return view


solution_publish = _publish_view(True)
solution_unpublish = _publish_view(False)


# --- Volumes --------------------------------------------------------------------------------------


def _cached_volumes(user: Any, days: int) -> dict[str, Any]:
    """The per-partner and per-product volumes of the last `days`, cached for a minute per person
    (a channel admin's cover the whole channel: a grouped scan too slow for every page view)."""
    actor = access.actor_of(user)
    key = f"channel:service-volumes:{'all' if actor.is_admin else actor.user_id}:{days}"
    data = cache.get(key)
    if data is None:
        since = timezone.now() - timedelta(days=days)
        data = {
            "partners": selectors.volumes_by_partner(user, since=since),
            "products": selectors.volumes_by_product(user, since=since),
            "totals": selectors.volume_totals(user, since=since),
            "counted_at": timezone.now(),
        }
        cache.set(key, data, VOLUMES_TTL)
    return data  # type: ignore[no-any-return]


@channel_required
@require_GET
def service_volumes(request: HttpRequest) -> HttpResponse:
    """Service requests per partner and per product in a period (table and chart), with how many are
    open, were escalated and resolved, and the average time to resolve.

    Queries: session, user, actor, and when not cached: per partner, per product, totals (and a
    channel manager's partners' ids): at most 7."""
    form = VolumeForm(request.GET)
    form.is_valid()
    days = form.valid_values().get("days") or DEFAULT_DAYS
    data = _cached_volumes(request.user, days)
    partners, products = data["partners"], data["products"]
    return render(
        request,
        "portals/channel/service/volumes.html",
        {
            "form": form,
            "days": days,
            "partners": partners,
            "products": products,
            "totals": data["totals"],
            "counted_at": data["counted_at"],
            "partner_chart": {
                "type": "bar", "label": "Service requests",
                "labels": [row.label for row in partners], "values": [row.total for row in partners],
            },
            "product_chart": {
                "type": "bar", "label": "Service requests",
                "labels": [row.label for row in products], "values": [row.total for row in products],
            },
            "breadcrumbs": _crumbs(("Volumes", None)),
        },
    )  # fmt: skip
