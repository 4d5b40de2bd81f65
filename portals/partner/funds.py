"""Partner portal: marketing development funds (issue 5), for partner managers.

The overview shows each allocation's money (allocated, reserved, claimed, paid, available), what
expires soon, and the requests and claims with their status; a manager plans activities as fund
requests (new, from a template, drafts changed and submitted, cancelled, closed), files claims with
proof files against approved ones, and answers the channel's questions. A distributor's managers read
their resellers' funds too, but act only on their own partner's (mdf.rules). Partner employees get
403: funds are the managers' business. Every read goes through mdf.selectors (out of scope is 404);
every change is a POST that calls mdf.services, then redirects with a message. Claims and their
proof files: portals/partner/fund_claims.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import InvalidTransition, NotAllowed
from mdf import rules, selectors, services
from mdf.choices import ClaimStatus, CommentKind, ProgramStatus, RequestStatus
from mdf.models import HALF_CENT, ZERO, Claim, FundAllocation, FundComment, FundRequest
from partners import access
from portals.crumbs import Crumb, partner_crumbs
from portals.decorators import View, acting_user, partner_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page
from portals.partner.fund_forms import CommentForm, RequestForm

ORDER = "-created_at"  # requests and claims, newest first (their partner indexes)
LIST_SIZE = 10  # rows per list on the overview
ALLOCATIONS_SHOWN = 50  # per allocation table: one row per programme (and reseller)
EXPIRING_WITHIN_DAYS = 30
CLAIMS_SHOWN = 50  # claims listed on a request page (each consumes approved money: few)
COMMENTS_SHOWN = 100  # the newest of a thread
NOTHING_CHANGED = "Nothing was changed."


def fund_manager_required(view: View) -> View:
    """The partner portal's gate, then: funds are for partner managers (employees get 403)."""

    @partner_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not rules.sees_funds(request.user):
            raise PermissionDenied("Marketing funds are managed by your partner's managers.")
        return view(request, *args, **kwargs)

    return wrapper


def _funds_crumbs(*items: Crumb) -> list[Crumb]:
    return partner_crumbs(("Funds", reverse("partner:funds")), *items)


def request_crumbs(fund_request: FundRequest, *items: Crumb) -> list[Crumb]:
    if not items:
        return _funds_crumbs((fund_request.title, None))
    url = reverse("partner:fund_request_detail", args=[fund_request.pk])
    return _funds_crumbs((fund_request.title, url), *items)


def _int(value: str | None) -> int | None:
    """A positive id from a query parameter, or None (a bad one is ignored, never an error)."""
    text = (value or "").strip()
    return int(text) if text.isdigit() and 0 < len(text) < 19 else None


# --- Overview -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One part of an allocation's bar: a figure, and its share of the allocated amount (a CSS
    percentage, with a dot whatever the locale)."""

    key: str
    label: str
    amount: Decimal
    percent: str
    css: str


@dataclass(frozen=True)
class AllocationRow:
    allocation: FundAllocation
    segments: list[Segment]
    can_request: bool


def allocation_segments(allocation: FundAllocation) -> list[Segment]:
    """Reserved, claimed, paid and available: the parts of what is allocated (they add up to it)."""
    parts = [
        ("reserved", "Reserved", allocation.reserved, "bg-warning"),
        ("claimed", "Claimed", allocation.claimed, "bg-info"),
        ("paid", "Paid", allocation.paid, "bg-success"),
        ("available", "Available", allocation.available, "bg-primary"),
    ]
    total = allocation.amount
    return [
        Segment(key, label, amount, f"{amount * 100 / total:.2f}" if total > 0 else "0", css)
        for key, label, amount, css in parts
    ]


def _rows(user: Any, allocations: list[FundAllocation]) -> list[AllocationRow]:
    return [
        AllocationRow(
            allocation=a,
            segments=allocation_segments(a),
            can_request=a.program.status == ProgramStatus.OPEN and rules.can_request_funds(user, a),
        )
        for a in allocations
    ]


@fund_manager_required
@require_GET
def funds_overview(request: HttpRequest) -> HttpResponse:
    """Allocations (own, then the resellers'), what expires soon, a page of requests with their
    return, a page of claims.

    Queries: session, user, actor, own allocations, resellers' allocations, allocations expiring
    soon, a page of requests, their return (leads by campaign code, paid claims), a page of claims:
    10, whatever the number of rows."""
    user = request.user
    own_id = access.actor_of(user).partner_id or 0
    allocations = selectors.visible_allocations(user)
    own = list(
        allocations.filter(partner_id=own_id).order_by("-program__starts_on", "-program_id")[
            :ALLOCATIONS_SHOWN
        ]
    )
    resellers = list(
        allocations.exclude(partner_id=own_id).order_by(
            "-program__starts_on", "-program_id", "partner__name", "pk"
        )[:ALLOCATIONS_SHOWN]
    )
    today = timezone.localdate()
    expiring = list(
        allocations.filter(
            program__status=ProgramStatus.OPEN,
            program__claim_deadline__gte=today,
            program__claim_deadline__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
            # available + reserved = amount - claimed - paid: money that lapses unless claimed
            amount__gt=F("claimed") + F("paid") + HALF_CENT,  # see mdf.models.HALF_CENT
        ).order_by("program__claim_deadline", "partner__name", "pk")[:ALLOCATIONS_SHOWN]
    )
    requests = request_page(request, selectors.visible_requests(user), order=ORDER, size=LIST_SIZE)
    rois = selectors.request_rois(list(requests.items))
    claims = request_page(
        request,
        selectors.visible_claims(user),
        order=ORDER,
        size=LIST_SIZE,
        after="claims_after",
        before="claims_before",
    )
    own_rows = _rows(user, own)
    context = {
        "own_rows": own_rows,
        "reseller_rows": _rows(user, resellers),
        "expiring": [
            (a, a.available + a.reserved, (a.program.claim_deadline - today).days) for a in expiring
        ],
        "can_request": any(row.can_request for row in own_rows),
        "requests": requests,
        "request_rows": [(r, rois[r.pk]) for r in requests.items],
        "claims": claims,
        "own_partner_id": own_id,
        "breadcrumbs": partner_crumbs(("Funds", None)),
    }
    return render(request, "portals/partner/funds/overview.html", context)


# --- Requests -------------------------------------------------------------------------------------


def _visible_request(request: HttpRequest, pk: int) -> FundRequest:
    # The allocation too: a draft's page says what the allocation has available.
    return get_object_or_404(selectors.request_detail(request.user), pk=pk)


def own_request(request: HttpRequest, pk: int) -> FundRequest:
    """A request the user may act on: 404 outside their scope, 403 for a reseller's (read only)."""
    fund_request = _visible_request(request, pk)
    if not rules.can_edit_request(request.user, fund_request):
        raise PermissionDenied("You may read this request; its own partner's managers act on it.")
    return fund_request


def is_editable(fund_request: FundRequest) -> bool:
    """A draft, or a submitted request the channel asked about (before any approval): as
    services.request_update allows."""
    return fund_request.first_approved_by_id is None and (
        fund_request.status == RequestStatus.DRAFT
        or (fund_request.status == RequestStatus.SUBMITTED and fund_request.info_requested)
    )


def _requestable_allocations(user: Any) -> QuerySet[FundAllocation]:
    """The user's own partner's allocations in open programmes (never a reseller's)."""
    return (
        selectors.visible_allocations(user)
        .filter(partner_id=access.actor_of(user).partner_id or 0, program__status=ProgramStatus.OPEN)
        .order_by("-program__starts_on", "-program_id")
    )


def comment_thread(comments: QuerySet[FundComment]) -> list[FundComment]:
    """The newest COMMENTS_SHOWN comments, oldest first."""
    return list(comments.order_by("-created_at", "-id")[:COMMENTS_SHOWN])[::-1]


def _pending_total(claims: list[Claim]) -> Decimal:
    return sum((c.amount for c in claims if c.status == ClaimStatus.SUBMITTED), ZERO)


def claim_window_open(fund_request: FundRequest) -> bool:
    program = fund_request.program
    return program.status == ProgramStatus.OPEN and timezone.localdate() <= program.claim_deadline


def render_request_detail(
    request: HttpRequest,
    fund_request: FundRequest,
    *,
    comment_form: CommentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The request page. `comment_form` is the one just sent back with its errors.

    Queries: session, user, actor, the request (programme, partner, allocation joined), its claims,
    its comments (authors joined), its return (leads by campaign code, paid claims): 8."""
    user = request.user
    claims = list(
        selectors.visible_claims(user).filter(request=fund_request).order_by(ORDER, "-id")[:CLAIMS_SHOWN]
    )
    comments = comment_thread(selectors.visible_comments(user).filter(request=fund_request))
    roi = selectors.request_rois([fund_request])[fund_request.pk]
    can_act = rules.can_edit_request(user, fund_request)
    status_now = fund_request.status
    pending = _pending_total(claims)
    remaining = fund_request.reserved_now - pending
    question = None
    if fund_request.info_requested:
        question = next(
            (c for c in reversed(comments) if c.kind == CommentKind.INFO_REQUEST and c.claim_id is None), None
        )
    context = {
        "fund_request": fund_request,
        "currency": fund_request.program.currency,
        "claims": claims,
        "comments": comments,
        "question": question,
        "roi": roi,
        "remaining": remaining,
        "can_act": can_act,
        "can_edit": can_act and is_editable(fund_request),
        "can_submit": can_act and status_now == RequestStatus.DRAFT,
        # An approved request with claims waiting for a decision cannot end (request_cancel/close).
        "claims_waiting": status_now == RequestStatus.APPROVED and pending > 0,
        "claims_asked": [c for c in claims if c.info_requested],
        "can_cancel": can_act
        and (
            status_now in (RequestStatus.DRAFT, RequestStatus.SUBMITTED)
            or status_now == RequestStatus.APPROVED
            and pending == 0
        ),
        "can_close": can_act and status_now == RequestStatus.APPROVED and pending == 0,
        "can_claim": can_act
        and status_now == RequestStatus.APPROVED
        and remaining > 0
        and claim_window_open(fund_request),
        "comment_form": comment_form or CommentForm(answering=fund_request.info_requested),
        "comment_url": reverse("partner:fund_comment", args=[fund_request.pk]),
        "breadcrumbs": request_crumbs(fund_request),
    }
    return render(request, "portals/partner/funds/request_detail.html", context, status=status)


@fund_manager_required
@require_GET
def fund_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_request_detail(request, _visible_request(request, pk))


def _template_initial(template: FundRequest, allocation_ids: set[int]) -> dict[str, Any]:
    """What a previous request gives a new one: the plan, not its dates or campaign code."""
    return {
        "allocation": template.allocation_id if template.allocation_id in allocation_ids else None,
        "title": template.title,
        "activity_type": template.activity_type,
        "description": template.description,
        "amount": template.amount,
        "expected_leads": template.expected_leads,
        "expected_revenue": template.expected_revenue,
        "copied_from": template.pk,
    }


@fund_manager_required
@require_http_methods(["GET", "POST"])
def fund_request_new(request: HttpRequest) -> HttpResponse:
    """A new request, saved as a draft or submitted. `?copy=<id>` fills the form from one of the
    partner's previous requests; `?allocation=<id>` chooses the programme."""
    user = acting_user(request)
    allocations = _requestable_allocations(user)
    own_requests = selectors.visible_requests(user).filter(partner_id=access.actor_of(user).partner_id or 0)
    template = None
    has_allocations = True  # a form sent back shows its errors, whatever it offered
    if request.method == "POST":
        form = RequestForm(request.POST, allocations=allocations)
        if form.is_valid():
            copy_id = form.cleaned_data.get("copied_from")
            template = own_requests.filter(pk=copy_id).first() if copy_id else None
            submit = request.POST.get("action") != "draft"
            try:
                fund_request = services.request_create(
                    actor=user,
                    allocation=form.cleaned_data["allocation"],
                    campaign_code=form.cleaned_data["campaign_code"],
                    submit=submit,
                    copied_from=template,
                    **form.service_values(),
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if submit:
                    messages.success(
                        request,
                        f"Your request “{fund_request.title}” is submitted; your channel manager will decide.",
                    )
                else:
                    messages.success(request, f"Your request “{fund_request.title}” is saved as a draft.")
                return redirect("partner:fund_request_detail", pk=fund_request.pk)
        messages.error(request, "The request was not saved; see the errors below.")
    else:
        allocation_ids = set(allocations.values_list("pk", flat=True))
        has_allocations = bool(allocation_ids)
        initial: dict[str, Any] = {}
        copy_id = _int(request.GET.get("copy"))
        if request.GET.get("copy") is not None:
            template = get_object_or_404(own_requests, pk=copy_id or 0)
            initial = _template_initial(template, allocation_ids)
        chosen = _int(request.GET.get("allocation"))
        if chosen in allocation_ids:
            initial["allocation"] = chosen
        elif len(allocation_ids) == 1 and not initial.get("allocation"):
            initial["allocation"] = next(iter(allocation_ids))
        form = RequestForm(initial=initial, allocations=allocations)
    return render(
        request,
        "portals/partner/funds/request_form.html",
        {
            "form": form,
            "template": template,
            "has_allocations": has_allocations,
            "is_draft": True,
            "breadcrumbs": _funds_crumbs(("New fund request", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@fund_manager_required
@require_http_methods(["GET", "POST"])
def fund_request_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a draft (and, if asked, submit it), or a submitted request the channel asked about."""
    fund_request = own_request(request, pk)
    if not is_editable(fund_request):
        messages.error(
            request,
            "Only drafts, or requests your channel manager asked about, can be changed. " + NOTHING_CHANGED,
        )
        return redirect("partner:fund_request_detail", pk=fund_request.pk)
    is_draft = fund_request.status == RequestStatus.DRAFT
    if request.method == "POST":
        form = RequestForm(request.POST, allocations=None)
        if form.is_valid():
            submit = is_draft and request.POST.get("action") == "submit"
            user = acting_user(request)
            try:
                # Changed and submitted together, or neither: a refused submission keeps the old draft.
                with transaction.atomic():
                    fund_request = services.request_update(
                        request=fund_request, actor=user, **form.service_values()
                    )
                    if submit:
                        fund_request = services.request_submit(request=fund_request, actor=user)
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except InvalidTransition as exc:
                messages.error(request, f"{exc} {NOTHING_CHANGED}")
                return redirect("partner:fund_request_detail", pk=fund_request.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                done = "changed and submitted" if submit else "saved"
                messages.success(request, f"Your request “{fund_request.title}” is {done}.")
                return redirect("partner:fund_request_detail", pk=fund_request.pk)
        messages.error(request, "The request was not changed; see the errors below.")
    else:
        fields = ("title", "activity_type", "description", "starts_on", "ends_on", "amount")
        initial = {name: getattr(fund_request, name) for name in fields}
        initial |= {
            "expected_leads": fund_request.expected_leads,
            "expected_revenue": fund_request.expected_revenue,
        }
        form = RequestForm(initial=initial, allocations=None)
    return render(
        request,
        "portals/partner/funds/request_form.html",
        {
            "form": form,
            "fund_request": fund_request,
            "is_draft": is_draft,
            "has_allocations": True,
            "breadcrumbs": request_crumbs(fund_request, ("Change", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _request_action(*, target: str, service: Callable[..., FundRequest], done: str) -> View:
    """The view of a one-click change of a request (submit, cancel, close): 404 out of scope, 403 on
    a reseller's, a refusal is a message and changes nothing; `done` is the message on success (with
    the request's `{title}`)."""

    @fund_manager_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        fund_request = own_request(request, pk)
        back = redirect("partner:fund_request_detail", pk=fund_request.pk)
        if fund_request.status == target:  # a second tap on a slow phone
            messages.info(
                request,
                f"The request “{fund_request.title}” is already {fund_request.get_status_display().lower()}.",
            )
            return back
        try:
            fund_request = service(request=fund_request, actor=acting_user(request))
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except InvalidTransition as exc:
            messages.error(request, f"{exc} {NOTHING_CHANGED}")
        except ValidationError as exc:
            messages.error(request, f"{error_text(exc)} {NOTHING_CHANGED}")
        else:
            messages.success(request, done.format(title=fund_request.title))
        return back

    return view


fund_request_submit = _request_action(
    target=RequestStatus.SUBMITTED,
    service=services.request_submit,
    done="Your request “{title}” is submitted; your channel manager will decide.",
)
fund_request_cancel = _request_action(
    target=RequestStatus.CANCELLED,
    service=services.request_cancel,
    done="Your request “{title}” is cancelled; what it held reserved is available again.",
)
fund_request_close = _request_action(
    target=RequestStatus.CLOSED,
    service=services.request_close,
    done="Your request “{title}” is closed; what it did not use is available again.",
)


# --- Comments -------------------------------------------------------------------------------------


def comment_from_post(
    request: HttpRequest, fund_request: FundRequest, claim: Claim | None
) -> CommentForm | None:
    """Add the posted comment (the answer, when the channel asked); the form with errors if refused."""
    target: FundRequest | Claim = claim or fund_request
    form = CommentForm(request.POST, answering=target.info_requested)
    if form.is_valid():
        try:
            comment = services.comment_add(
                request=fund_request, actor=acting_user(request), body=form.cleaned_data["body"], claim=claim
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if comment.kind == CommentKind.ANSWER:
                messages.success(request, "Your answer is sent; your channel manager can decide now.")
            else:
                messages.success(request, "Your comment is added.")
            return None
    messages.error(request, "The comment was not added; see the errors below.")
    return form


@fund_manager_required
@require_POST
def fund_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment on a request, or the answer to the channel's question about it."""
    fund_request = own_request(request, pk)
    form = comment_from_post(request, fund_request, None)
    if form is not None:
        return render_request_detail(request, fund_request, comment_form=form, status=400)
    return redirect(reverse("partner:fund_request_detail", args=[fund_request.pk]) + "#comments")
