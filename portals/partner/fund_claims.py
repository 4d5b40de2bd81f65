"""Partner portal: claims on approved fund requests (issue 5), for partner managers: file a claim
with proof files, follow it to payment, answer the channel's questions about it, and download its
proof files through an access-checked view. See portals/partner/funds.py for the rest."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import NotAllowed
from core.uploads import document_response
from mdf import rules, selectors, services
from mdf.choices import ClaimStatus, CommentKind, RequestStatus
from mdf.models import ZERO, Claim
from portals.decorators import acting_user
from portals.forms import add_service_errors
from portals.partner.fund_forms import ClaimForm, CommentForm
from portals.partner.funds import (
    claim_window_open,
    comment_from_post,
    comment_thread,
    fund_manager_required,
    own_request,
    request_crumbs,
)


def _visible_claim(request: HttpRequest, pk: int) -> Claim:
    return get_object_or_404(selectors.claim_detail(request.user), pk=pk)


@fund_manager_required
@require_http_methods(["GET", "POST"])
def fund_claim_new(request: HttpRequest, pk: int) -> HttpResponse:
    """File a claim with proof files against an approved request.

    Queries (GET): session, user, actor, the request, what claims waiting for a decision hold."""
    fund_request = own_request(request, pk)
    if fund_request.status != RequestStatus.APPROVED:
        messages.error(request, "Claims are filed against approved requests only.")
        return redirect("partner:fund_request_detail", pk=fund_request.pk)
    pending = (
        selectors.visible_claims(request.user)
        .filter(request=fund_request, status=ClaimStatus.SUBMITTED)
        .aggregate(total=Sum("amount"))["total"]
        or ZERO
    )
    remaining = max(fund_request.reserved_now - pending, ZERO)
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES, currency=fund_request.program.currency)
        if form.is_valid():
            data = form.cleaned_data
            try:
                claim = services.claim_submit(
                    actor=acting_user(request),
                    request=fund_request,
                    amount=data["amount"],
                    description=data["description"],
                    files=data["files"],
                    actual_leads=data["actual_leads"],
                    actual_revenue=data["actual_revenue"],
                    results=data["results"],
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                count = len(data["files"])
                messages.success(
                    request,
                    f"Your claim {claim.reference} for {fund_request.program.currency} {claim.amount:,.2f} is "
                    f"filed with {count} proof file{'s' if count != 1 else ''}; your channel manager will decide.",
                )
                return redirect("partner:fund_claim_detail", pk=claim.pk)
        messages.error(request, "The claim was not filed and no file was kept; see the errors below.")
    else:
        form = ClaimForm(currency=fund_request.program.currency)
    return render(
        request,
        "portals/partner/funds/claim_form.html",
        {
            "form": form,
            "fund_request": fund_request,
            "currency": fund_request.program.currency,
            "remaining": remaining,
            "window_open": claim_window_open(fund_request),
            "breadcrumbs": request_crumbs(fund_request, ("File a claim", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def render_claim_detail(
    request: HttpRequest, claim: Claim, *, comment_form: CommentForm | None = None, status: int = 200
) -> HttpResponse:
    """The claim page. Queries: session, user, actor, the claim (programme, partner, request
    joined), its proof files, its comments (authors joined): 6."""
    user = request.user
    proof_files = list(selectors.visible_proof_files(user).filter(claim=claim).order_by("id"))
    comments = comment_thread(selectors.visible_comments(user).filter(claim=claim))
    question = None
    if claim.info_requested:
        question = next((c for c in reversed(comments) if c.kind == CommentKind.INFO_REQUEST), None)
    can_act = rules.can_edit_request(user, claim.request)
    context = {
        "claim": claim,
        "fund_request": claim.request,
        "currency": claim.program.currency,
        "proof_files": proof_files,
        "comments": comments,
        "question": question,
        "can_act": can_act,
        "comment_form": comment_form or CommentForm(answering=claim.info_requested),
        "comment_url": reverse("partner:fund_claim_comment", args=[claim.pk]),
        "breadcrumbs": request_crumbs(claim.request, (claim.reference, None)),
    }
    return render(request, "portals/partner/funds/claim_detail.html", context, status=status)


@fund_manager_required
@require_GET
def fund_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_claim_detail(request, _visible_claim(request, pk))


@fund_manager_required
@require_GET
def fund_proof_download(request: HttpRequest, pk: int) -> HttpResponse:
    """A proof file as an attachment, for those who may see its claim (404 for anybody else)."""
    proof = get_object_or_404(selectors.visible_proof_files(request.user), pk=pk)
    response = document_response(proof.file, filename=proof.name, content_type=proof.content_type)
    return response  # type: ignore[return-value]  # a FileResponse streams


@fund_manager_required
@require_POST
def fund_claim_comment(request: HttpRequest, pk: int) -> HttpResponse:
    """A comment on a claim, or the answer to the channel's question about it."""
    claim = _visible_claim(request, pk)
    if not rules.can_edit_request(request.user, claim.request):
        raise PermissionDenied("You may read this claim; its own partner's managers act on it.")
    form = comment_from_post(request, claim.request, claim)
    if form is not None:
        return render_claim_detail(request, claim, comment_form=form, status=400)
    return redirect(reverse("partner:fund_claim_detail", args=[claim.pk]) + "#comments")
