"""Partner portal: service (issue 6). The knowledge base (search, a solution's page, "this solved
it"), "My requests" and the partner's requests (managers), a new service request with solutions
suggested while the problem is typed (htmx), and a request's page: timeline, comments (internal or
read by the brand owner), files, and the actions its status allows (start, wait for the customer,
escalate, take back, resolve with a solution, reopen, close, assign).

Every read goes through service.selectors (out of scope is 404), every change is a POST that calls
service.services, then redirects with a message; a refused move (InvalidTransition) is a message and
changes nothing; NotAllowed is 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from core.errors import InvalidTransition, NotAllowed
from core.paging import InvalidCursor
from core.uploads import document_response
from customers import selectors as customer_selectors
from partners import access
from partners.choices import Role
from partners.models import Membership
from portals.crumbs import Crumb, partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page
from portals.partner.service_forms import (
    AssignForm,
    AttachmentForm,
    CloseForm,
    CommentForm,
    EscalateForm,
    ReopenForm,
    RequestFilterForm,
    RequestForm,
    ResolveForm,
    SolutionSearchForm,
    WaitForm,
)
from service import rules, selectors, services
from service.choices import ServiceStatus
from service.models import ServiceRequest, Solution
from service.search import rank_page

ORDER = "-created_at"
CUSTOMERS_OFFERED = 500  # the customer picker; more customers are matched by the company typed
SKUS_OFFERED = 200  # the product field's suggestions
MEMBERS_SHOWN = 500
TIMELINE_SHOWN = 200
COMMENTS_SHOWN = 200
SOLUTIONS_PER_PAGE = 20
NOTHING_CHANGED = "Nothing was changed."


def _crumbs(*items: Crumb) -> list[Crumb]:
    return partner_crumbs(("Service", reverse("partner:service_requests")), *items)


def _is_manager(request: HttpRequest) -> bool:
    return access.actor_of(request.user).role == Role.PARTNER_MANAGER


def _own_partner_id(request: HttpRequest) -> int:
    return access.actor_of(request.user).partner_id or 0


# --- Lists ----------------------------------------------------------------------------------------


def _list(request: HttpRequest, *, show: str, heading: str, crumbs: list[Crumb]) -> HttpResponse:
    """A keyset page of requests with the filters of RequestFilterForm. `show`: "mine", "unassigned"
    (of the user's own partner) or "all" (every request the user sees).

    Queries: session, user, actor, one page of requests (partner, customer, assignee joined): 4,
    whatever the number of rows."""
    form = RequestFilterForm(request.GET)
    if not form.is_valid():
        labels = ", ".join(str(form.fields[name].label or name) for name in form.errors)
        messages.warning(request, f"Some filters were not understood and are ignored: {labels}.")
    filters = form.valid_values()
    assigned = {"mine": "me", "unassigned": "unassigned"}.get(show, "")
    qs = selectors.request_list(
        request.user,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        severity=filters.get("severity", ""),
        assigned=assigned,
    )
    if show == "unassigned":
        qs = qs.filter(partner_id=_own_partner_id(request))
    page = request_page(request, qs, order=ORDER)
    query = dict(filters)
    if show == "unassigned":
        query["show"] = "unassigned"
    return render(
        request,
        "portals/partner/service/requests.html",
        {
            "form": form,
            "filtered": bool(filters),
            "page": page,
            "show": show,
            "heading": heading,
            "is_manager": _is_manager(request),
            "own_partner_id": _own_partner_id(request),
            "querystring": urlencode(query),
            "breadcrumbs": crumbs,
        },
    )


@partner_required
@require_GET
def service_requests(request: HttpRequest) -> HttpResponse:
    """My requests (assigned to me), or with ?show=unassigned those nobody works yet."""
    show = "unassigned" if request.GET.get("show") == "unassigned" else "mine"
    heading = "Unassigned requests" if show == "unassigned" else "My requests"
    return _list(request, show=show, heading=heading, crumbs=partner_crumbs(("Service", None)))


@partner_required
@require_GET
def service_partner_requests(request: HttpRequest) -> HttpResponse:
    """The partner's requests (and its resellers', read-only): for partner managers."""
    if not _is_manager(request):
        raise PermissionDenied("The partner's requests are for its managers; see My requests.")
    return _list(request, show="all", heading="Our requests", crumbs=_crumbs(("Our requests", None)))


# --- New request, with suggestions ----------------------------------------------------------------


def _suggestion_text(data: Any) -> str:
    return f"{data.get('subject', '')} {data.get('description', '')}"[:2000]


def _chosen_solution(request: HttpRequest) -> int | None:
    text = (request.POST.get("solution") or request.GET.get("solution") or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 19 else None


@partner_required
@require_GET
def service_suggest(request: HttpRequest) -> HttpResponse:
    """The suggestions partial (htmx, while the subject and description are typed): the five
    published solutions that match best, each to pick for the request.

    Queries: session, user, actor, the search: 4."""
    text = _suggestion_text(request.GET)
    suggestions = selectors.solution_suggestions(request.user, text) if text.strip() else []
    return render(
        request,
        "portals/partner/service/_suggestions.html",
        {"suggestions": suggestions, "chosen": _chosen_solution(request), "typed": bool(text.strip())},
    )


def _customer_choices(request: HttpRequest) -> list[tuple[int, str]]:
    qs = customer_selectors.visible_customers(request.user).filter(partner_id=_own_partner_id(request))
    return list(qs.order_by("company", "id").values_list("id", "company")[:CUSTOMERS_OFFERED])


def _suggest_while_typing(form: RequestForm) -> None:
    """The subject and description ask for suggestions (htmx) 300 ms after the typing stops; the
    solution picked so far goes along, so that it stays picked."""
    attrs = {
        "hx-get": reverse("partner:service_suggest"),
        # `input`, not `change`: leaving the field after a solution was picked must not reload the
        # suggestions (which would un-pick it).
        "hx-trigger": "input changed delay:300ms",
        "hx-target": "#suggestions",
        "hx-include": "#id_subject, #id_description, [name='solution']:checked",
        "hx-sync": "closest form:replace",
        "aria-controls": "suggestions",
    }
    for name in ("subject", "description"):
        form.fields[name].widget.attrs.update(attrs)


@partner_required
@require_http_methods(["GET", "POST"])
def service_request_new(request: HttpRequest) -> HttpResponse:
    """Register a customer's problem. Solutions that match the subject and description are shown as
    they are typed; picking one links it, and "Register and resolve" resolves the request with it
    at once."""
    user = acting_user(request)
    customers = _customer_choices(request)
    chosen = _chosen_solution(request)
    suggestions: list[Solution] = []
    if request.method == "POST":
        form = RequestForm(request.POST, customers=customers)
        resolve = request.POST.get("action") == "resolve"
        solution = None
        if chosen is not None:
            solution = selectors.visible_solutions(user).filter(pk=chosen, published=True).first()
        if form.is_valid():
            if chosen is not None and solution is None:
                form.add_error(None, "The solution you picked is no longer published; pick another.")
            elif resolve and solution is None:
                form.add_error(
                    None, "Pick the solution that resolved the problem, or register the request only."
                )
            else:
                data = form.cleaned_data
                customer = None
                if data.get("customer") is not None:
                    customer = (
                        customer_selectors.visible_customers(user)
                        .filter(pk=data["customer"], partner_id=_own_partner_id(request))
                        .first()
                    )
                try:
                    created = services.request_create(
                        actor=user, subject=data["subject"], description=data["description"],
                        severity=data["severity"], customer=customer,
                        customer_data=None if customer else form.customer_data(), product=data.get("product"),
                        serial_number=data.get("serial_number", ""), solution=solution, resolve=resolve,
                    )  # fmt: skip
                except NotAllowed as exc:
                    raise PermissionDenied(str(exc))
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    if created.status == ServiceStatus.RESOLVED:
                        messages.success(
                            request,
                            f"{created.reference} is registered and resolved with “{solution}”. Thank you!",
                        )
                    else:
                        messages.success(request, f"{created.reference} is registered.")
                    return redirect("partner:service_request_detail", pk=created.pk)
        messages.error(request, "The request was not registered; see the errors below.")
        text = _suggestion_text(request.POST)
        suggestions = selectors.solution_suggestions(user, text) if text.strip() else []
    else:
        form = RequestForm(customers=customers, initial={"customer": request.GET.get("customer") or None})
    _suggest_while_typing(form)
    return render(
        request,
        "portals/partner/service/request_form.html",
        {
            "form": form,
            "suggestions": suggestions,
            "chosen": chosen,
            "typed": bool(suggestions),
            "skus": list(
                catalog_selectors.visible_products(request.user)
                .order_by("sku")
                .values_list("sku", "name")[:SKUS_OFFERED]
            ),
            "breadcrumbs": _crumbs(("New service request", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- A request's page -----------------------------------------------------------------------------


def _visible_request(request: HttpRequest, pk: int) -> ServiceRequest:
    return get_object_or_404(selectors.request_detail(request.user), pk=pk)


def _members(request: HttpRequest, service_request: ServiceRequest) -> list[tuple[int, str]]:
    rows = (
        access.scope_memberships(
            request.user, Membership.objects.filter(partner_id=service_request.partner_id)
        )
        .filter(user__is_active=True)
        .select_related("user")
        .order_by("user__email")[:MEMBERS_SHOWN]
    )
    return [(m.user_id, f"{m.user.display_name} <{m.user.email}>") for m in rows]


def _resolve_choices(request: HttpRequest, service_request: ServiceRequest) -> list[tuple[int, str]]:
    """The linked solution first, then the best published matches of the request's text."""
    choices: list[tuple[int, str]] = []
    if service_request.solution is not None:
        choices.append((service_request.solution.pk, f"{service_request.solution.title} (linked)"))
    for solution in selectors.solution_suggestions(
        request.user, f"{service_request.subject} {service_request.description}"
    ):
        if solution.pk != service_request.solution_id:
            choices.append((solution.pk, solution.title))
    return choices


def render_request_detail(
    request: HttpRequest, service_request: ServiceRequest, *, sent: Form | None = None, status: int = 200
) -> HttpResponse:
    """The request page. `sent` is a form just posted back with its errors, shown in its place.

    Queries: session, user, actor, the request (partner, customer, contact, product, solution, people
    joined), its timeline, its comments, its files: 7; to those working an open request, the
    matching solutions for the resolve form: 8; to a manager of its partner, its people: 9."""
    user = request.user
    works = rules.works_request(user, service_request)
    status_now = service_request.status
    is_open = service_request.is_open

    def form(cls: type[Form], offered: bool, **kwargs: Any) -> Form | None:
        if isinstance(sent, cls):
            return sent
        return cls(**kwargs) if offered else None

    can_resolve = works and is_open
    resolve_form = None
    if isinstance(sent, ResolveForm):
        resolve_form = sent
    elif can_resolve:
        resolve_form = ResolveForm(
            solutions=_resolve_choices(request, service_request),
            initial={"solution": service_request.solution_id},
        )
    assign_form = None
    if isinstance(sent, AssignForm):
        assign_form = sent
    elif rules.can_assign(user, service_request) and status_now != ServiceStatus.CLOSED:
        assign_form = AssignForm(
            members=_members(request, service_request), initial={"user": service_request.assigned_to_id}
        )
    context = {
        "r": service_request,
        "works": works,
        "read_only": not works,
        "events": list(selectors.request_timeline(service_request)[:TIMELINE_SHOWN]),
        "comments": list(selectors.request_comments(user, service_request)[:COMMENTS_SHOWN]),
        "attachments": list(selectors.request_attachments(service_request)),
        "can_start": works and status_now in (ServiceStatus.NEW, ServiceStatus.WAITING_FOR_CUSTOMER),
        "can_take_back": works and status_now == ServiceStatus.ESCALATED,
        "can_close": works and status_now in (ServiceStatus.NEW, ServiceStatus.RESOLVED),
        "wait_form": form(WaitForm, works and status_now in (ServiceStatus.NEW, ServiceStatus.IN_PROGRESS)),
        "escalate_form": form(EscalateForm, works and service_request.can_move_to(ServiceStatus.ESCALATED)),
        "resolve_form": resolve_form,
        "reopen_form": form(ReopenForm, works and status_now == ServiceStatus.RESOLVED),
        "close_form": form(CloseForm, works and status_now in (ServiceStatus.NEW, ServiceStatus.RESOLVED)),
        "comment_form": form(CommentForm, works and status_now != ServiceStatus.CLOSED),
        "attachment_form": form(AttachmentForm, works and status_now != ServiceStatus.CLOSED),
        "assign_form": assign_form,
        "other_partner": service_request.partner
        if service_request.partner_id != _own_partner_id(request)
        else None,
        "breadcrumbs": _crumbs((service_request.reference, None)),
    }
    return render(request, "portals/partner/service/request_detail.html", context, status=status)


@partner_required
@require_GET
def service_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_request_detail(request, _visible_request(request, pk))


def _detail_url(service_request: ServiceRequest, anchor: str = "") -> str:
    return reverse("partner:service_request_detail", args=[service_request.pk]) + anchor


def _act(
    request: HttpRequest,
    service_request: ServiceRequest,
    form: Form | None,
    act: Callable[[dict[str, Any]], Any],
    done: str,
    anchor: str = "",
) -> HttpResponse:
    """Run one action posted from the request's page: the form's cleaned data to `act` (the service
    call), then back to the page with `done` as the message. A refusal (NotAllowed) is 403; a move
    the workflow does not allow is a message and changes nothing; the service's field errors go on
    the form, shown on the page with 400."""
    if form is not None and not form.is_valid():
        messages.error(request, "That did not work; see the errors below.")
        return render_request_detail(request, service_request, sent=form, status=400)
    try:
        act(form.cleaned_data if form is not None else {})
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except InvalidTransition as exc:
        messages.error(request, f"{exc} {NOTHING_CHANGED}")
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict") and set(exc.error_dict) & set(form.fields):
            add_service_errors(form, exc)
            messages.error(request, "That did not work; see the errors below.")
            return render_request_detail(request, service_request, sent=form, status=400)
        messages.error(request, f"{error_text(exc)} {NOTHING_CHANGED}")
    else:
        messages.success(request, done)
    return redirect(_detail_url(service_request, anchor))


def _action_view(name: str) -> Callable[[HttpRequest, int], HttpResponse]:
    """The POST view of one action (see ACTIONS)."""

    @partner_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        service_request = _visible_request(request, pk)
        user = acting_user(request)
        ref = service_request.reference
        if name == "start":
            return _act(request, service_request, None,
                        lambda d: services.request_start(request=service_request, actor=user),
                        f"{ref} is in progress.")  # fmt: skip
        if name == "take_back":
            return _act(request, service_request, None,
                        lambda d: services.request_take_back(request=service_request, actor=user),
                        f"{ref} is back with you, in progress; the brand owner's service team no longer works it.")  # fmt: skip
        if name == "wait":
            return _act(request, service_request, WaitForm(request.POST),
                        lambda d: services.request_wait(request=service_request, actor=user, note=d["note"]),
                        f"{ref} is waiting for the customer.")  # fmt: skip
        if name == "escalate":
            return _act(request, service_request, EscalateForm(request.POST),
                        lambda d: services.request_escalate(request=service_request, actor=user, reason=d["reason"]),
                        f"{ref} is escalated; the brand owner's service team takes it from here.")  # fmt: skip
        if name == "reopen":
            return _act(request, service_request, ReopenForm(request.POST),
                        lambda d: services.request_reopen(request=service_request, actor=user, reason=d["reason"]),
                        f"{ref} is reopened and in progress.")  # fmt: skip
        if name == "close":
            return _act(request, service_request, CloseForm(request.POST),
                        lambda d: services.request_close(request=service_request, actor=user, note=d["note"]),
                        f"{ref} is closed.")  # fmt: skip
        if name == "resolve":
            return _resolve(request, service_request)
        if name == "assign":
            return _assign(request, service_request)
        raise AssertionError(name)

    return view


def _resolve(request: HttpRequest, service_request: ServiceRequest) -> HttpResponse:
    user = acting_user(request)
    choices = _resolve_choices(request, service_request) if rules.works_request(user, service_request) else []
    form = ResolveForm(request.POST, solutions=choices)

    def act(data: dict[str, Any]) -> None:
        solution = None
        if data.get("solution") is not None:
            solution = selectors.visible_solutions(user).filter(pk=data["solution"]).first()
        services.request_resolve(
            request=service_request, actor=user, solution=solution, note=data["note"],
            unlink=data.get("solution") is None,
        )  # fmt: skip

    return _act(request, service_request, form, act, f"{service_request.reference} is resolved.")


def _assign(request: HttpRequest, service_request: ServiceRequest) -> HttpResponse:
    user = acting_user(request)
    if not rules.can_assign(user, service_request):
        raise PermissionDenied("Only the partner's managers assign its service requests.")
    members = _members(request, service_request)
    form = AssignForm(request.POST, members=members)

    def act(data: dict[str, Any]) -> None:
        assignee = None
        if data.get("user") is not None:
            assignee = (
                Membership.objects.select_related("user")
                .get(partner_id=service_request.partner_id, user_id=data["user"])
                .user
            )
        services.request_assign(request=service_request, actor=user, assignee=assignee)

    return _act(request, service_request, form, act, f"{service_request.reference} is assigned.")


service_request_start = _action_view("start")
service_request_take_back = _action_view("take_back")
service_request_wait = _action_view("wait")
service_request_escalate = _action_view("escalate")
service_request_resolve = _action_view("resolve")
service_request_reopen = _action_view("reopen")
service_request_close = _action_view("close")
service_request_assign = _action_view("assign")


@partner_required
@require_POST
def service_request_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment on the request; internal ones stay with the partner."""
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    form = CommentForm(request.POST)
    return _act(
        request, service_request, form,
        lambda d: services.comment_add(request=service_request, actor=user, body=d["body"], internal=d["internal"]),
        "Your comment is added.", "#comments",
    )  # fmt: skip


@partner_required
@require_POST
def service_request_attach(request: HttpRequest, pk: int) -> HttpResponse:
    """Files on the request (all or none: one refused file keeps every file out)."""
    service_request = _visible_request(request, pk)
    user = acting_user(request)
    form = AttachmentForm(request.POST, request.FILES)

    def act(data: dict[str, Any]) -> None:
        saved = services.attachment_add(request=service_request, actor=user, files=data["files"])
        count = len(saved)
        messages.success(request, f"{count} file{'s' if count != 1 else ''} attached.")

    if form.is_valid():
        try:
            act(form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect(_detail_url(service_request, "#files"))
    messages.error(request, "No file was attached; see the errors below.")
    return render_request_detail(request, service_request, sent=form, status=400)


@partner_required
@require_GET
def service_attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A request's file as an attachment, for those who may see the request (404 for anybody else)."""
    attachment = get_object_or_404(selectors.visible_attachments(request.user), pk=pk)
    return document_response(attachment.file, filename=attachment.name, content_type=attachment.content_type)  # type: ignore[return-value]


# --- The knowledge base ---------------------------------------------------------------------------


@partner_required
@require_GET
def solution_search(request: HttpRequest) -> HttpResponse:
    """Search the published solutions (best match first), or browse the latest ones.

    Queries: session, user, actor, one page of solutions: 4, whatever the number of rows."""
    form = SolutionSearchForm(request.GET)
    if not form.is_valid():
        messages.warning(request, "The search was not understood and is ignored.")
    q = form.valid_values().get("q", "")
    ranked_next = None
    if q:
        ranked = selectors.solution_list(request.user, q=q)
        try:
            result = rank_page(ranked, after=request.GET.get("after") or None, size=SOLUTIONS_PER_PAGE)
        except InvalidCursor:
            messages.warning(request, "That page link is no longer valid, so here is the first page.")
            result = rank_page(ranked, size=SOLUTIONS_PER_PAGE)
        solutions, ranked_next, page = result.items, result.next_cursor, None
    else:
        page = request_page(
            request, selectors.solution_list(request.user), order="-updated_at", size=SOLUTIONS_PER_PAGE
        )
        solutions = list(page.items)
    return render(
        request,
        "portals/partner/service/solutions.html",
        {
            "form": form,
            "q": q,
            "solutions": solutions,
            "page": page,
            "ranked_next": ranked_next,
            "querystring": urlencode({"q": q}) if q else "",
            "breadcrumbs": _crumbs(("Knowledge base", None)),
        },
    )


@partner_required
@require_GET
def solution_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A published solution, with "This solved it".

    Queries: session, user, actor, the solution (author joined), its products, its categories,
    whether the user said it solved their problem: 7."""
    solution = get_object_or_404(selectors.solution_detail(request.user), pk=pk)
    return render(
        request,
        "portals/partner/service/solution_detail.html",
        {
            "solution": solution,
            "given": services.feedback_given(solution=solution, actor=acting_user(request)),
            "breadcrumbs": _crumbs(
                ("Knowledge base", reverse("partner:solution_search")), (solution.title, None)
            ),
        },
    )


@partner_required
@require_POST
def solution_solved(request: HttpRequest, pk: int) -> HttpResponse:
    """ "This solved it": counted once per person."""
    solution = get_object_or_404(selectors.visible_solutions(request.user), pk=pk)
    try:
        counted = services.solution_feedback(solution=solution, actor=acting_user(request))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if counted:
            messages.success(request, "Thank you: your feedback helps the next person find this solution.")
        else:
            messages.info(request, "You said so already; it counts once.")
    return redirect("partner:solution_detail", pk=solution.pk)
