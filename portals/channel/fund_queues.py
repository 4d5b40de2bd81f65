"""Channel portal: MDF approval queues, the decision pages of fund requests and claims (approve in
full or in part, reject with a reason, ask for information, comment, second approval above the
programme's threshold), proof downloads, and settlement (/channel/funds/).

Every read goes through mdf.selectors (out of scope is 404), every change through mdf.services:
their ValidationError lands on the form (or in a message), Overspend and InvalidTransition become a
message (nothing changed), NotAllowed answers 403."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from core.errors import InvalidTransition, NotAllowed
from core.uploads import document_response
from mdf import rules, selectors, services
from mdf.choices import ClaimStatus, RequestStatus
from mdf.models import Claim, FundComment, FundProgram, FundRequest
from mdf.services import Overspend
from partners import access
from portals.channel.fund_forms import (
    ApproveForm,
    BulkPayForm,
    CommentForm,
    InfoRequestForm,
    PayForm,
    RejectForm,
)
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import form_error_text
from portals.paging import request_page

# Queue headings count the waiting items up to this many ("1,000+"): an exact count of a scope
# with millions of rows would cost more than the page itself.
COUNT_CAP = 1000
# A decision page shows the partner's latest requests and claims in the programme, this many each.
HISTORY_LIMIT = 10
# ... and the latest comments of the thread, this many.
COMMENT_LIMIT = 100
# A claim holds at most 10 proof files (mdf.services.MAX_PROOF_FILES); read a few more, never all.
PROOF_LIMIT = 20

F = TypeVar("F", bound=Form)
T = TypeVar("T")


def capped_count(queryset: QuerySet[Any], cap: int = COUNT_CAP) -> dict[str, Any]:
    """How many rows, counted up to `cap` (one `COUNT(*)` over a `LIMIT cap + 1` subquery)."""
    counted = queryset.order_by()[: cap + 1].count()
    return {"count": min(counted, cap), "more": counted > cap}


def _crumbs(*items: Crumb) -> list[Crumb]:
    return channel_crumbs(("Funds", reverse("channel:fund_queue")), *items)


def _errors_to(request: HttpRequest, form: Form, exc: ValidationError) -> bool:
    """A service's field errors go on the form; the rest (e.g. already decided) become a message.
    True when the form got an error (the page is shown again with it)."""
    on_form = False
    for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]:
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                on_form = True
            else:
                messages.error(request, error)
    return on_form


def _money(amount: Decimal | None, currency: str) -> str:
    return f"{currency} {amount or Decimal('0'):,.2f}"


def _latest_comments(comments: QuerySet[FundComment]) -> list[FundComment]:
    """The thread's latest COMMENT_LIMIT comments, oldest first."""
    latest = list(comments.order_by("-created_at", "-id")[:COMMENT_LIMIT])
    latest.reverse()
    return latest


# --- Queues ---------------------------------------------------------------------------------------

# Rows per queue on the combined page (two queues on one page; each pages on by keyset). Rendering is
# most of a queue page's time: at 1M claims 25 + 25 rows took a channel manager's page to ~80 ms p95.
QUEUE_SIZE = 10
# The columns a row shows (and keyset paging needs): a partner row alone has about 40 columns, and
# building and compiling them for every row was most of a queue page's Python time at 1M claims.
_ROW_JOINS = ("partner", "partner__name", "program", "program__name", "program__currency")
REQUEST_ROW = (
    "id", "title", "activity_type", "amount", "status", "info_requested", "first_approved_by",
    "submitted_at", "created_at", *_ROW_JOINS,
)  # fmt: skip
CLAIM_ROW = (
    "id", "amount", "status", "info_requested", "first_approved_by", "created_at", "request",
    "request__title", *_ROW_JOINS,
)  # fmt: skip
SETTLEMENT_ROW = ("id", "approved_amount", "status", "decided_at", "request", "request__title", *_ROW_JOINS)


@channel_required
def fund_queue(request: HttpRequest) -> HttpResponse:
    """The approval queues: submitted requests and submitted claims of the user's partners (a channel
    admin: all), oldest first, by keyset pages; counted up to COUNT_CAP. A channel admin may show
    only the items waiting for their second approval.

    Queries: session, user, actor, requests waiting (capped count), page of requests (programme and
    partner joined), claims waiting (capped count), page of claims (programme, partner, request
    joined): 7, whatever the number of rows."""
    user = request.user
    is_admin = access.actor_of(user).is_admin
    second_only = is_admin and request.GET.get("show") == "second"
    requests = selectors.request_queue(user).only(*REQUEST_ROW)
    claims = selectors.claim_queue(user).only(*CLAIM_ROW)
    if second_only:
        requests = requests.filter(first_approved_by__isnull=False)
        claims = claims.filter(first_approved_by__isnull=False)
    request_total = capped_count(requests)
    request_rows = request_page(
        request,
        requests,
        order="submitted_at",
        size=QUEUE_SIZE,
        after="requests_after",
        before="requests_before",
    )
    claim_total = capped_count(claims)
    claim_rows = request_page(
        request, claims, order="created_at", size=QUEUE_SIZE, after="claims_after", before="claims_before"
    )
    return render(
        request,
        "portals/channel/funds/queue.html",
        {
            "requests": request_rows,
            "claims": claim_rows,
            "request_total": request_total,
            "claim_total": claim_total,
            "is_admin": is_admin,
            "second_only": second_only,
            "querystring": urlencode({"show": "second"}) if second_only else "",
            "breadcrumbs": channel_crumbs(("Funds", None)),
        },
    )


# --- Decisions (requests and claims alike) -------------------------------------------------------


def _form(sent: Form | None, cls: type[F], offered: bool, **kwargs: Any) -> F | None:
    """The page's form of this kind: the one just posted back with its errors, else a fresh one
    where the user may use it (None where not)."""
    if isinstance(sent, cls):
        return sent
    return cls(**kwargs) if offered else None


def _decision_context(
    request: HttpRequest, item: FundRequest | Claim, *, submitted: bool, sent: Form | None
) -> dict[str, Any]:
    """What the decision pages of a request and of a claim share: who may decide and approve, the
    amount in full, the second approval, and the decision forms (`sent`: the one just posted back
    with its errors, shown in its place). Its queries are counted in _render_request's and
    _render_claim's docstrings."""
    user = request.user
    program = item.program
    currency = program.currency
    is_admin = access.actor_of(user).is_admin
    may_decide = rules.can_decide(user, item.partner)
    awaiting_second = item.awaiting_second_approval
    may_approve = may_decide and submitted and (is_admin or not awaiting_second)
    full = item.first_approved_amount or item.amount
    return {
        "program": program,
        "currency": currency,
        "is_admin": is_admin,
        "may_decide": may_decide,
        "submitted": submitted,
        "awaiting_second": awaiting_second,
        "may_approve": may_approve,
        "full_amount": full,
        "needs_second": submitted and services.needs_second_approval(program, full),
        "threshold": program.approval_threshold,
        "approve_form": _form(sent, ApproveForm, may_approve, currency=currency, full=full),
        "reject_form": _form(sent, RejectForm, may_decide and submitted),
        "info_form": _form(sent, InfoRequestForm, may_decide and submitted),
        "comment_form": _form(sent, CommentForm, may_decide),
    }


def _decide(
    request: HttpRequest,
    item: FundRequest | Claim,
    form: Form,
    *,
    act: Callable[[dict[str, Any]], T],
    done: Callable[[T], object],
) -> HttpResponse:
    """One decision posted from a request's or a claim's page: `act` calls the service with the
    valid form's data, `done` says what happened (a message); then back to the page. A refusal
    (NotAllowed) is 403; Overspend and InvalidTransition are a message and change nothing; the
    service's ValidationError goes on the form (or, when it is about no field, in a message); a form
    with errors is shown again on the page, with 400."""
    detail = "channel:fund_claim_detail" if isinstance(item, Claim) else "channel:fund_request_detail"
    back = reverse(detail, args=[item.pk])
    if form.is_valid():
        try:
            result = act(form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except (Overspend, InvalidTransition) as exc:
            messages.error(request, str(exc))
            return redirect(back)
        except ValidationError as exc:
            if not _errors_to(request, form, exc):
                return redirect(back)
        else:
            done(result)
            return redirect(back)
    if isinstance(item, Claim):
        return _render_claim(request, item, sent=form, http_status=400)
    return _render_request(request, item, sent=form, http_status=400)


def _approved(request: HttpRequest, decided: FundRequest | Claim, program: FundProgram, final: str) -> None:
    """The message after an approval: `final` when it is complete, else that it waits for the
    second approval. `program`: the decided item's, as the page fetched it."""
    if decided.status == (ClaimStatus.APPROVED if isinstance(decided, Claim) else RequestStatus.APPROVED):
        messages.success(request, final)
    else:
        messages.info(
            request,
            f"First approval recorded for {_money(decided.first_approved_amount, program.currency)}. "
            f"It is above the threshold of {_money(program.approval_threshold, program.currency)}, "
            "so it now waits for a channel admin's approval.",
        )


# --- Fund requests --------------------------------------------------------------------------------


def _visible_request(request: HttpRequest, pk: int) -> FundRequest:
    """The fund request if it belongs to one of the user's partners, else 404."""
    return get_object_or_404(selectors.request_detail(request.user), pk=pk)


def _render_request(
    request: HttpRequest, fund_request: FundRequest, *, sent: Form | None = None, http_status: int = 200
) -> HttpResponse:
    """Everything needed to decide on one page.

    Queries: session, user, actor, the request (programme, partner, allocation, creator, first and
    final deciders joined); for a channel manager, whether they manage the partner (1-2); the
    partner's latest requests in this programme, its latest claims in it, the comments (authors
    joined): 7 for an admin, 8-9 for a manager, whatever the history's length."""
    user = request.user
    allocation = fund_request.allocation
    submitted = fund_request.status == RequestStatus.SUBMITTED
    context = _decision_context(request, fund_request, submitted=submitted, sent=sent)
    history_requests = list(
        selectors.visible_requests(user)
        .filter(allocation_id=fund_request.allocation_id)
        .exclude(pk=fund_request.pk)
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    history_claims = list(
        selectors.visible_claims(user)
        .filter(partner_id=fund_request.partner_id, program_id=fund_request.program_id)
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    context |= {
        "fund_request": fund_request,
        "allocation": allocation,
        "overspends": submitted and context["full_amount"] > allocation.available,
        "history_requests": history_requests,
        "history_claims": history_claims,
        "history_limit": HISTORY_LIMIT,
        "comments": _latest_comments(selectors.visible_comments(user).filter(request=fund_request)),
        "comment_limit": COMMENT_LIMIT,
        "breadcrumbs": _crumbs((f"{fund_request.reference} {fund_request.title}", None)),
    }
    return render(request, "portals/channel/funds/request_detail.html", context, status=http_status)


@channel_required
def fund_request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_request(request, _visible_request(request, pk))


@require_POST
@channel_required
def fund_request_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve in full or in part; above the threshold a channel manager's approval is the first of
    two and the request waits for a channel admin."""
    fund_request = _visible_request(request, pk)
    program = fund_request.program
    currency = program.currency
    full = fund_request.first_approved_amount or fund_request.amount
    return _decide(
        request,
        fund_request,
        ApproveForm(request.POST, currency=currency, full=full),
        act=lambda data: services.request_approve(
            request=fund_request, actor=acting_user(request), amount=data["amount"]
        ),
        done=lambda decided: _approved(
            request,
            decided,
            program,
            f"{decided.reference} approved: {_money(decided.approved_amount, currency)} reserved "
            f"for {fund_request.partner.name}.",
        ),
    )


@require_POST
@channel_required
def fund_request_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject with a reason, which the partner reads."""
    fund_request = _visible_request(request, pk)
    return _decide(
        request,
        fund_request,
        RejectForm(request.POST),
        act=lambda data: services.request_reject(
            request=fund_request, actor=acting_user(request), reason=data["reason"]
        ),
        done=lambda _: messages.success(
            request, f"{fund_request.reference} rejected; the partner is told why."
        ),
    )


@require_POST
@channel_required
def fund_request_info(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the partner for more information; the request stays in the queue, marked."""
    fund_request = _visible_request(request, pk)
    return _decide(
        request,
        fund_request,
        InfoRequestForm(request.POST),
        act=lambda data: services.info_request(
            request=fund_request, actor=acting_user(request), question=data["question"]
        ),
        done=lambda _: messages.success(request, f"Question sent to {fund_request.partner.name}."),
    )


@require_POST
@channel_required
def fund_request_comment(request: HttpRequest, pk: int) -> HttpResponse:
    fund_request = _visible_request(request, pk)
    return _decide(
        request,
        fund_request,
        CommentForm(request.POST),
        act=lambda data: services.comment_add(
            request=fund_request, actor=acting_user(request), body=data["body"]
        ),
        done=lambda _: messages.success(request, "Comment added."),
    )


# --- Claims ---------------------------------------------------------------------------------------


def _visible_claim(request: HttpRequest, pk: int) -> Claim:
    """The claim if it belongs to one of the user's partners, else 404."""
    return get_object_or_404(
        selectors.claim_detail(request.user).select_related("allocation"),
        pk=pk,
    )


def _render_claim(
    request: HttpRequest, claim: Claim, *, sent: Form | None = None, http_status: int = 200
) -> HttpResponse:
    """Queries: session, user, actor, the claim (programme, partner, request, allocation, submitter,
    deciders, payer joined); for a channel manager, whether they manage the partner (1-2, and again
    for settling: 1-2); the request's other claims, the proof files, the comments (authors joined):
    7 for an admin."""
    user = request.user
    submitted = claim.status == ClaimStatus.SUBMITTED
    context = _decision_context(request, claim, submitted=submitted, sent=sent)
    may_pay = claim.status == ClaimStatus.APPROVED and rules.can_pay(user, claim.partner)
    fund_request = claim.request
    other_claims = list(
        selectors.visible_claims(user)
        .filter(request_id=claim.request_id)
        .exclude(pk=claim.pk)
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    proofs = list(selectors.visible_proof_files(user).filter(claim=claim).order_by("id")[:PROOF_LIMIT])
    context |= {
        "claim": claim,
        "fund_request": fund_request,
        "allocation": claim.allocation,
        "may_pay": may_pay,
        "overspends": submitted and context["full_amount"] > fund_request.reserved_now,
        "other_claims": other_claims,
        "history_limit": HISTORY_LIMIT,
        "proofs": proofs,
        "comments": _latest_comments(selectors.visible_comments(user).filter(claim=claim)),
        "comment_limit": COMMENT_LIMIT,
        "pay_form": _form(sent, PayForm, may_pay),
        "breadcrumbs": _crumbs(
            (fund_request.reference, reverse("channel:fund_request_detail", args=[fund_request.pk])),
            (claim.reference, None),
        ),
    }
    return render(request, "portals/channel/funds/claim_detail.html", context, status=http_status)


@channel_required
def fund_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_claim(request, _visible_claim(request, pk))


@require_POST
@channel_required
def fund_claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve in full or in part: the amount moves from reserved to claims payable."""
    claim = _visible_claim(request, pk)
    program = claim.program
    currency = program.currency
    return _decide(
        request,
        claim,
        ApproveForm(request.POST, currency=currency, full=claim.first_approved_amount or claim.amount),
        act=lambda data: services.claim_approve(
            claim=claim, actor=acting_user(request), amount=data["amount"]
        ),
        done=lambda decided: _approved(
            request,
            decided,
            program,
            f"{decided.reference} approved for {_money(decided.approved_amount, currency)}; "
            "it now waits for payment (Settlement).",
        ),
    )


@require_POST
@channel_required
def fund_claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject with a reason; the request keeps its reservation for another claim."""
    claim = _visible_claim(request, pk)
    return _decide(
        request,
        claim,
        RejectForm(request.POST),
        act=lambda data: services.claim_reject(
            claim=claim, actor=acting_user(request), reason=data["reason"]
        ),
        done=lambda _: messages.success(request, f"{claim.reference} rejected; the partner is told why."),
    )


@require_POST
@channel_required
def fund_claim_info(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _visible_claim(request, pk)
    return _decide(
        request,
        claim,
        InfoRequestForm(request.POST),
        act=lambda data: services.info_request(
            request=claim.request, actor=acting_user(request), question=data["question"], claim=claim
        ),
        done=lambda _: messages.success(request, f"Question sent to {claim.partner.name}."),
    )


@require_POST
@channel_required
def fund_claim_comment(request: HttpRequest, pk: int) -> HttpResponse:
    claim = _visible_claim(request, pk)
    return _decide(
        request,
        claim,
        CommentForm(request.POST),
        act=lambda data: services.comment_add(
            request=claim.request, actor=acting_user(request), body=data["body"], claim=claim
        ),
        done=lambda _: messages.success(request, "Comment added."),
    )


def _paid_message(request: HttpRequest, paid: Claim, currency: str) -> None:
    how = (
        f"payment {paid.payment_reference}"
        if paid.payment_reference
        else f"credit note {paid.credit_note_number}"
    )
    messages.success(
        request,
        f"{paid.reference} marked paid: {_money(paid.approved_amount, currency)} "
        f"({how}, {paid.paid_on:%d %b %Y}).",
    )


@require_POST
@channel_required
def fund_claim_pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark an approved claim paid, with the payment reference or the credit note number."""
    claim = _visible_claim(request, pk)
    return _decide(
        request,
        claim,
        PayForm(request.POST),
        act=lambda data: services.claim_pay(
            claim=claim,
            actor=acting_user(request),
            payment_reference=data["payment_reference"],
            credit_note_number=data["credit_note_number"],
            paid_on=data["paid_on"],
        ),
        done=lambda paid: _paid_message(request, paid, claim.program.currency),
    )


@channel_required
def fund_proof_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A proof-of-performance file, as an attachment, for those who may see its claim (else 404)."""
    proof = get_object_or_404(selectors.visible_proof_files(request.user), pk=pk)
    response = document_response(proof.file, filename=proof.name, content_type=proof.content_type)
    return response  # type: ignore[return-value]  # a FileResponse streams


# --- Settlement -----------------------------------------------------------------------------------


@channel_required
def fund_settlement(request: HttpRequest) -> HttpResponse:
    """Approved claims waiting for payment, oldest decision first, by keyset pages, with boxes to
    tick for a bulk payment.

    Queries: session, user, actor, claims waiting (capped count), page of claims (programme,
    partner, request joined): 5, whatever the number of rows."""
    claims = selectors.claims_to_pay(request.user).only(*SETTLEMENT_ROW)
    total = capped_count(claims)
    page = request_page(request, claims, order="decided_at", size=settings.PAGE_SIZE)
    return render(
        request,
        "portals/channel/funds/settlement.html",
        {
            "page": page,
            "total": total,
            "form": BulkPayForm(),
            "querystring": "",
            "breadcrumbs": _crumbs(("Settlement", None)),
        },
    )


@require_POST
@channel_required
def fund_settlement_pay(request: HttpRequest) -> HttpResponse:
    """Mark the ticked claims paid with one payment reference and date; each claim is paid in its own
    transaction, so one that cannot be paid is reported and the others are paid."""
    form = BulkPayForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("channel:fund_settlement")
    claims = list(
        selectors.claims_to_pay(request.user).filter(pk__in=form.claim_ids).order_by("decided_at", "id")
    )
    result = services.claims_pay_bulk(
        claims=claims,
        actor=acting_user(request),
        payment_reference=form.cleaned_data["payment_reference"],
        paid_on=form.cleaned_data["paid_on"],
    )
    reference = form.cleaned_data["payment_reference"].strip()
    if result.done:
        messages.success(
            request,
            f"{result.done} claim{'s' if result.done != 1 else ''} marked paid with reference {reference}.",
        )
    for failure in result.failed:
        messages.error(request, f"Not paid: {failure}")
    left_out = len(form.claim_ids) - len(claims)
    if left_out:
        messages.warning(
            request,
            f"{left_out} ticked claim{'s' if left_out != 1 else ''} no longer wait{'s' if left_out == 1 else ''} "
            "for payment (paid or changed meanwhile); left out.",
        )
    return redirect("channel:fund_settlement")


urlpatterns = [
    path("funds/", fund_queue, name="fund_queue"),
    path("funds/requests/<int:pk>/", fund_request_detail, name="fund_request_detail"),
    path("funds/requests/<int:pk>/approve/", fund_request_approve, name="fund_request_approve"),
    path("funds/requests/<int:pk>/reject/", fund_request_reject, name="fund_request_reject"),
    path("funds/requests/<int:pk>/info/", fund_request_info, name="fund_request_info"),
    path("funds/requests/<int:pk>/comment/", fund_request_comment, name="fund_request_comment"),
    path("funds/claims/<int:pk>/", fund_claim_detail, name="fund_claim_detail"),
    path("funds/claims/<int:pk>/approve/", fund_claim_approve, name="fund_claim_approve"),
    path("funds/claims/<int:pk>/reject/", fund_claim_reject, name="fund_claim_reject"),
    path("funds/claims/<int:pk>/info/", fund_claim_info, name="fund_claim_info"),
    path("funds/claims/<int:pk>/comment/", fund_claim_comment, name="fund_claim_comment"),
    path("funds/claims/<int:pk>/pay/", fund_claim_pay, name="fund_claim_pay"),
    path("funds/proof/<int:pk>/", fund_proof_download, name="fund_proof_download"),
    path("funds/settlement/", fund_settlement, name="fund_settlement"),
    path("funds/settlement/pay/", fund_settlement_pay, name="fund_settlement_pay"),
]
