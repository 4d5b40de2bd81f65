"""/mdf: marketing development funds over the API (see docs/api.md, "MDF"): programmes and allocations
(read), fund requests and claims (file, decide, settle), proof-file downloads and the journal for the
ERP.

Reads go through mdf.selectors (scoped by the access policy: partner employees see no funds at all),
changes through mdf.services. A record in the path is fetched through the caller's scope first (outside
it: 404), then the service checks the action rule (a wrong role: 403) and the workflow (a move it does
not allow: 409). An id in the body (the allocation of a request, the request of a claim) that the caller
cannot see is a 422 on that field, like every other id given in a body (docs/api.md, "Errors"). An
approval that would overspend answers 409 and changes nothing; an invalid amount answers 422. Money
goes out as decimal strings with two places ("50000.00")."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import AfterValidator

from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    ErrorOut,
    Id,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
)
from core.errors import NotAllowed
from core.models import User
from core.uploads import document_response
from leads.api.common import Body, fetch_visible, state_conflicts_as_409, strip_text
from mdf import rules, selectors, services
from mdf.choices import Account, ActivityType, ClaimStatus, Movement, ProgramStatus, RequestStatus
from mdf.models import Claim, FundAllocation, FundProgram, FundRequest, JournalEntry, ProofFile
from partners import access

router = Router(tags=["mdf"])

MONEY_EXAMPLE = "50000.00"


# --- Amounts ---------------------------------------------------------------------------------------


def _amount_of(value: Decimal, *, allow_zero: bool) -> Decimal:
    # The services' own rules (mdf.services.money): at most two decimal places, never rounded; above
    # zero; below a trillion. Their message becomes the field's.
    try:
        return services.money(value, allow_zero=allow_zero)
    except ValidationError as exc:
        raise ValueError(" ".join(exc.messages)) from exc


def _positive_amount(value: Decimal) -> Decimal:
    return _amount_of(value, allow_zero=False)


def _amount_or_zero(value: Decimal) -> Decimal:
    return _amount_of(value, allow_zero=True)


_AMOUNT_DOC = (
    "A decimal amount with at most two decimal places, as a string (exact, recommended) or a number, "
    'e.g. "1250.00".'
)
# Parsed by pydantic as Decimal (a JSON number through its shortest text, so 10.001 stays 10.001 and
# is refused), then checked by the services' rules.
Amount = Annotated[Decimal, AfterValidator(_positive_amount), Field(description=f"Above zero. {_AMOUNT_DOC}")]
AmountOrZero = Annotated[
    Decimal, AfterValidator(_amount_or_zero), Field(description=f"Zero or more. {_AMOUNT_DOC}")
]
MoneyOut = Annotated[str, Field(description="A decimal string with two places.", examples=[MONEY_EXAMPLE])]


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


@contextmanager
def overspend_as_409() -> Iterator[None]:
    """An approval that would commit more money than there is: 409 with the services' message (the
    service changed nothing)."""
    try:
        yield
    except services.Overspend as exc:
        raise HttpError(409, str(exc)) from exc


# --- Programmes ------------------------------------------------------------------------------------


class ProgramOut(Schema):
    """A fund programme as partner managers see it."""

    id: int
    name: str
    description: str
    status: ProgramStatus
    currency: str
    starts_on: date
    ends_on: date
    claim_deadline: date = Field(description="Claims are filed until this day; then unused money expires.")


class ProgramChannelOut(ProgramOut):
    """A fund programme as channel staff see it: with its budget figures."""

    budget: MoneyOut
    allocated: MoneyOut = Field(description="Allocated to partners (less what expired).")
    unallocated: MoneyOut
    approval_threshold: MoneyOut | None = Field(
        description="Above this amount a channel admin approves as well; null: one approval is enough."
    )
    allocation_rule: str = Field(description="tier_share or manual.")


ProgramAnyOut = ProgramChannelOut | ProgramOut


class ProgramPageOut(PageOut[ProgramAnyOut]):  # type: ignore[valid-type]
    pass


class ProgramFilters(PageIn):
    status: ProgramStatus | None = None


def _program_out(program: FundProgram, *, channel: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": program.pk,
        "name": program.name,
        "description": program.description,
        "status": program.status,
        "currency": program.currency,
        "starts_on": program.starts_on,
        "ends_on": program.ends_on,
        "claim_deadline": program.claim_deadline,
    }
    if channel:
        out |= {
            "budget": _money(program.budget),
            "allocated": _money(program.allocated_total),
            "unallocated": _money(program.unallocated),
            "approval_threshold": _money(program.approval_threshold),
            "allocation_rule": program.allocation_rule,
        }
    return out


@router.get("/programs", response={200: ProgramPageOut, **READ_ERRORS}, summary="List fund programmes")
def program_list(request: HttpRequest, filters: Query[ProgramFilters]) -> Any:
    """Channel staff: every programme, with its budget figures. Partner managers: the open and closed
    programmes that allocated money to their partner (or its resellers). Partner employees: none. The
    latest start first."""
    user = current_user(request)
    qs = selectors.visible_programs(user)
    if filters.status:
        qs = qs.filter(status=filters.status)
    page = keyset_page_or_422(qs, order="-starts_on", paging=filters)
    channel = access.actor_of(user).is_channel
    return {"items": [_program_out(p, channel=channel) for p in page.items], "next_cursor": page.next_cursor}


@router.get("/programs/{id}", response={200: ProgramAnyOut, **READ_ERRORS}, summary="One fund programme")
def program_detail(request: HttpRequest, id: int) -> Any:
    """A programme you may see; any other id answers 404."""
    user = current_user(request)
    program = fetch_visible(selectors.visible_programs(user), id)
    return _program_out(program, channel=access.actor_of(user).is_channel)


# --- Allocations -----------------------------------------------------------------------------------


class AllocationOut(Schema):
    """A partner's share of a programme. `available` = `allocated` − `reserved` − `claimed` − `paid`."""

    id: int
    program: int
    program_name: str
    program_status: ProgramStatus
    claim_deadline: date
    partner: int
    partner_name: str
    currency: str
    allocated: MoneyOut
    reserved: MoneyOut = Field(description="Held by approved requests not yet consumed by approved claims.")
    claimed: MoneyOut = Field(description="Approved claims not yet paid.")
    paid: MoneyOut
    available: MoneyOut
    expired: MoneyOut = Field(description="Lapsed when the programme closed (no longer in `allocated`).")


class AllocationPageOut(PageOut[AllocationOut]):
    pass


class AllocationFilters(PageIn):
    program: Id | None = Field(None, description="Only this programme's allocations.")
    partner: Id | None = Field(None, description="Only this partner's allocations.")


def _allocation_out(allocation: FundAllocation) -> dict[str, Any]:
    program = allocation.program
    return {
        "id": allocation.pk,
        "program": allocation.program_id,
        "program_name": program.name,
        "program_status": program.status,
        "claim_deadline": program.claim_deadline,
        "partner": allocation.partner_id,
        "partner_name": allocation.partner.name,
        "currency": program.currency,
        "allocated": _money(allocation.amount),
        "reserved": _money(allocation.reserved),
        "claimed": _money(allocation.claimed),
        "paid": _money(allocation.paid),
        "available": _money(allocation.available),
        "expired": _money(allocation.expired),
    }


@router.get("/allocations", response={200: AllocationPageOut, **READ_ERRORS}, summary="List fund allocations")
def allocation_list(request: HttpRequest, filters: Query[AllocationFilters]) -> Any:
    """The allocations you may see, newest first: channel admins all, channel managers their
    partners', partner managers their partner's and its resellers' (of programmes that are open or
    closed). Partner employees: none."""
    qs = selectors.visible_allocations(current_user(request))
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    return {"items": [_allocation_out(a) for a in page.items], "next_cursor": page.next_cursor}


@router.get("/allocations/{id}", response={200: AllocationOut, **READ_ERRORS}, summary="One fund allocation")
def allocation_detail(request: HttpRequest, id: int) -> Any:
    """An allocation you may see; any other id answers 404."""
    return _allocation_out(fetch_visible(selectors.visible_allocations(current_user(request)), id))


# --- Fund requests ---------------------------------------------------------------------------------


class FundRequestOut(Schema):
    """A fund request (pre-approval of a marketing activity)."""

    id: int
    reference: str = Field(description="REQ-<id>, as in the journal's `document`.")
    allocation: int
    program: int
    program_name: str
    partner: int
    partner_name: str
    title: str
    activity_type: ActivityType
    description: str
    starts_on: date
    ends_on: date
    currency: str
    amount: MoneyOut = Field(description="The amount requested.")
    approved_amount: MoneyOut | None = Field(description="The amount approved (possibly less), or null.")
    consumed: MoneyOut = Field(description="Of the approved amount, taken by approved claims.")
    released: MoneyOut = Field(description="Of the approved amount, given back (cancelled, closed, expired).")
    reserved: MoneyOut = Field(description="Of the approved amount, still held for claims.")
    expected_leads: int | None
    expected_revenue: MoneyOut | None
    campaign_code: str = Field(description="Leads carrying this code count towards the request's return.")
    status: RequestStatus
    info_requested: bool = Field(description="The channel asked for more information.")
    awaiting_second_approval: bool = Field(
        description="A channel manager approved it above the threshold; a channel admin approves as well."
    )
    first_approved_amount: MoneyOut | None
    reject_reason: str
    created_by: str | None = Field(description="E-mail of who made it.")
    submitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime


class FundRequestPageOut(PageOut[FundRequestOut]):
    pass


class FundRequestFilters(PageIn):
    status: RequestStatus | None = None
    program: Id | None = Field(None, description="Only this programme's requests.")
    partner: Id | None = Field(None, description="Only this partner's requests.")
    allocation: Id | None = Field(None, description="Only the requests on this allocation.")


class FundRequestIn(Body):
    """A new fund request, submitted for approval at once."""

    NULLABLE = frozenset({"expected_leads", "expected_revenue"})

    allocation: Id = Field(description="The id of your partner's allocation to draw on.")
    title: CleanStr = Field(max_length=200)
    activity_type: ActivityType
    starts_on: date
    ends_on: date = Field(description="On or after `starts_on`, and by the programme's claim deadline.")
    amount: Amount
    campaign_code: CleanStr = Field(
        "",
        max_length=60,
        description="Unique; letters, digits, dashes, dots, underscores. Omit it to get one made up.",
    )
    description: CleanStr = Field("", max_length=4000)
    expected_leads: int | None = Field(None, ge=0, le=2_147_483_647)
    expected_revenue: AmountOrZero | None = None


class ApproveIn(Body):
    NULLABLE = frozenset({"amount"})

    amount: Amount | None = Field(
        None, description="Approve this much (at most what was asked); omit it to approve in full."
    )


class RejectIn(Body):
    reason: CleanStr = Field(max_length=2000, description="The partner reads it.")


def _visible_requests(user: User) -> QuerySet[FundRequest]:
    return selectors.visible_requests(user).select_related("created_by")


def _request_out(fund_request: FundRequest) -> dict[str, Any]:
    program = fund_request.program
    return {
        "id": fund_request.pk,
        "reference": fund_request.reference,
        "allocation": fund_request.allocation_id,
        "program": fund_request.program_id,
        "program_name": program.name,
        "partner": fund_request.partner_id,
        "partner_name": fund_request.partner.name,
        "title": fund_request.title,
        "activity_type": fund_request.activity_type,
        "description": fund_request.description,
        "starts_on": fund_request.starts_on,
        "ends_on": fund_request.ends_on,
        "currency": program.currency,
        "amount": _money(fund_request.amount),
        "approved_amount": _money(fund_request.approved_amount),
        "consumed": _money(fund_request.consumed),
        "released": _money(fund_request.released),
        "reserved": _money(fund_request.reserved_now),
        "expected_leads": fund_request.expected_leads,
        "expected_revenue": _money(fund_request.expected_revenue),
        "campaign_code": fund_request.campaign_code,
        "status": fund_request.status,
        "info_requested": fund_request.info_requested,
        "awaiting_second_approval": fund_request.awaiting_second_approval,
        "first_approved_amount": _money(fund_request.first_approved_amount),
        "reject_reason": fund_request.reject_reason,
        "created_by": fund_request.created_by.email if fund_request.created_by else None,
        "submitted_at": fund_request.submitted_at,
        "decided_at": fund_request.decided_at,
        "created_at": fund_request.created_at,
    }


def _request_answer(user: User, fund_request: FundRequest) -> dict[str, Any]:
    # Read back through the scope with its relations joined: what was saved, as the list shows it.
    return _request_out(_visible_requests(user).get(pk=fund_request.pk))


@router.get("/requests", response={200: FundRequestPageOut, **READ_ERRORS}, summary="List fund requests")
def request_list(request: HttpRequest, filters: Query[FundRequestFilters]) -> Any:
    """The fund requests you may see, newest first: channel admins all, channel managers their
    partners', partner managers their partner's and its resellers'. Partner employees: none."""
    qs = _visible_requests(current_user(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    if filters.allocation:
        qs = qs.filter(allocation_id=filters.allocation)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    return {"items": [_request_out(r) for r in page.items], "next_cursor": page.next_cursor}


@router.post("/requests", response={201: FundRequestOut, **WRITE_ERRORS}, summary="Request funds")
def request_create(request: HttpRequest, payload: FundRequestIn) -> Any:
    """A partner manager plans an activity against their own partner's allocation in an open
    programme; it is submitted for approval at once (`status` `submitted`). The amount may not exceed
    what the allocation has available (422 on `amount`). An allocation you cannot see is a 422 on
    `allocation`; one you see but may not draw on (a reseller's, or as channel staff) is 403."""
    user = current_user(request)
    data = strip_text(payload.model_dump())
    allocation = selectors.visible_allocations(user).filter(pk=data.pop("allocation")).first()
    if allocation is None:
        raise ValidationError(
            {"allocation": f"No fund allocation with id {payload.allocation} that you can see."}
        )
    fund_request = services.request_create(actor=user, allocation=allocation, submit=True, **data)
    return Status(201, _request_answer(user, fund_request))


@router.get("/requests/{id}", response={200: FundRequestOut, **READ_ERRORS}, summary="One fund request")
def request_detail(request: HttpRequest, id: int) -> Any:
    """A fund request you may see; any other id answers 404."""
    return _request_out(fetch_visible(_visible_requests(current_user(request)), id))


@router.post(
    "/requests/{id}/approve",
    response={200: FundRequestOut, **WRITE_ERRORS},
    summary="Approve a fund request",
)
def request_approve(request: HttpRequest, id: int, payload: ApproveIn | None = None) -> Any:
    """The partner's channel manager or a channel admin approves a submitted request, in full or for a
    smaller `amount`; this reserves the money. Above the programme's approval threshold a channel
    manager's approval is the first of two: the request stays `submitted` with
    `awaiting_second_approval` until a channel admin approves. More than the allocation has available
    answers 409 and changes nothing; more than was requested, or an invalid amount, 422."""
    user = current_user(request)
    fund_request = fetch_visible(_visible_requests(user), id)
    data = payload or ApproveIn.model_validate({})
    with state_conflicts_as_409(), overspend_as_409():
        fund_request = services.request_approve(request=fund_request, actor=user, amount=data.amount)
    return _request_answer(user, fund_request)


@router.post(
    "/requests/{id}/reject", response={200: FundRequestOut, **WRITE_ERRORS}, summary="Reject a fund request"
)
def request_reject(request: HttpRequest, id: int, payload: RejectIn) -> Any:
    """The partner's channel manager or a channel admin rejects a submitted request with a reason, which
    the partner reads. A request already decided answers 409."""
    user = current_user(request)
    fund_request = fetch_visible(_visible_requests(user), id)
    with state_conflicts_as_409():
        fund_request = services.request_reject(request=fund_request, actor=user, reason=payload.reason)
    return _request_answer(user, fund_request)


# --- Claims ----------------------------------------------------------------------------------------


class ProofFileOut(Schema):
    id: int
    name: str = Field(description="The uploaded file's name.")
    content_type: str = Field(description="application/pdf, image/png or image/jpeg (by content).")
    size: int = Field(description="Bytes.")
    uploaded_at: datetime
    download_url: str = Field(description="Download it with your token (an attachment).")


class ClaimOut(Schema):
    """A claim: proof that a funded activity happened, and the money asked for it."""

    id: int
    reference: str = Field(description="CLM-<id>, as in the journal's `document`.")
    request: int
    request_title: str
    allocation: int
    program: int
    partner: int
    partner_name: str
    currency: str
    amount: MoneyOut = Field(description="The amount claimed.")
    approved_amount: MoneyOut | None = Field(description="The amount approved (possibly less), or null.")
    description: str
    actual_leads: int | None
    actual_revenue: MoneyOut | None
    results: str
    status: ClaimStatus
    info_requested: bool
    awaiting_second_approval: bool
    reject_reason: str
    settlement_method: str = Field(description='payment or credit_note once paid, else "".')
    payment_reference: str
    credit_note_number: str
    paid_on: date | None
    submitted_by: str | None = Field(description="E-mail of who filed it.")
    decided_at: datetime | None
    created_at: datetime
    files: list[ProofFileOut]


class ClaimPageOut(PageOut[ClaimOut]):
    pass


class ClaimFilters(PageIn):
    status: ClaimStatus | None = None
    program: Id | None = Field(None, description="Only this programme's claims.")
    partner: Id | None = Field(None, description="Only this partner's claims.")
    fund_request: Id | None = Field(
        None, alias="request", description="Only the claims on this fund request."
    )


class ClaimIn(Body):
    """A claim, as multipart form fields (the files go in `files`)."""

    NULLABLE = frozenset({"actual_leads", "actual_revenue"})

    fund_request: Id = Field(alias="request", description="The id of your partner's approved fund request.")
    amount: Amount
    description: CleanStr = Field(max_length=4000, description="What was done.")
    actual_leads: int | None = Field(None, ge=0, le=2_147_483_647)
    actual_revenue: AmountOrZero | None = None
    results: CleanStr = Field("", max_length=4000, description="What the activity achieved.")


class PayIn(Body):
    """A payment reference, or a credit note number (at least one)."""

    NULLABLE = frozenset({"paid_on"})

    payment_reference: CleanStr = Field("", max_length=80)
    credit_note_number: CleanStr = Field("", max_length=80)
    paid_on: date | None = Field(None, description="Default today; not in the future.")


def _visible_claims(user: User) -> QuerySet[Claim]:
    return (
        selectors.visible_claims(user)
        .select_related("submitted_by")
        .prefetch_related(Prefetch("proof_files", queryset=ProofFile.objects.order_by("id")))
    )


def _file_out(request: HttpRequest, proof: ProofFile) -> dict[str, Any]:
    url = reverse("api:mdf_proof_file", kwargs={"id": proof.claim_id, "file_id": proof.pk})
    return {
        "id": proof.pk,
        "name": proof.name,
        "content_type": proof.content_type,
        "size": proof.size,
        "uploaded_at": proof.uploaded_at,
        "download_url": request.build_absolute_uri(url),
    }


def _claim_out(request: HttpRequest, claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "reference": claim.reference,
        "request": claim.request_id,
        "request_title": claim.request.title,
        "allocation": claim.allocation_id,
        "program": claim.program_id,
        "partner": claim.partner_id,
        "partner_name": claim.partner.name,
        "currency": claim.program.currency,
        "amount": _money(claim.amount),
        "approved_amount": _money(claim.approved_amount),
        "description": claim.description,
        "actual_leads": claim.actual_leads,
        "actual_revenue": _money(claim.actual_revenue),
        "results": claim.results,
        "status": claim.status,
        "info_requested": claim.info_requested,
        "awaiting_second_approval": claim.awaiting_second_approval,
        "reject_reason": claim.reject_reason,
        "settlement_method": claim.settlement_method,
        "payment_reference": claim.payment_reference,
        "credit_note_number": claim.credit_note_number,
        "paid_on": claim.paid_on,
        "submitted_by": claim.submitted_by.email if claim.submitted_by else None,
        "decided_at": claim.decided_at,
        "created_at": claim.created_at,
        "files": [_file_out(request, f) for f in claim.proof_files.all()],
    }


_CLAIM_FORM_FIELDS = frozenset((field.alias or name) for name, field in ClaimIn.model_fields.items())


def _refuse_unknown_form_fields(request: HttpRequest) -> None:
    """Unknown form fields are refused, as in JSON bodies (django-ninja reads only the fields it
    knows from a form); a file sent under another name would otherwise look like no file at all."""
    errors: dict[str, list[str]] = {}
    for name in request.POST:
        if name not in _CLAIM_FORM_FIELDS:
            errors[name] = ["Unknown field."]
    for name in request.FILES:
        if name != "files":
            errors[name] = ["Unknown field; send the proof files in `files`."]
    if errors:
        raise ValidationError(errors)


def _claim_answer(request: HttpRequest, user: User, claim: Claim) -> dict[str, Any]:
    return _claim_out(request, _visible_claims(user).get(pk=claim.pk))


@router.get("/claims", response={200: ClaimPageOut, **READ_ERRORS}, summary="List claims")
def claim_list(request: HttpRequest, filters: Query[ClaimFilters]) -> Any:
    """The claims you may see, newest first, each with its proof files: channel admins all, channel
    managers their partners', partner managers their partner's and its resellers'. Partner employees:
    none."""
    qs = _visible_claims(current_user(request))
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    if filters.fund_request:
        qs = qs.filter(request_id=filters.fund_request)
    page = keyset_page_or_422(qs, order="-created_at", paging=filters)
    return {"items": [_claim_out(request, c) for c in page.items], "next_cursor": page.next_cursor}


@router.post("/claims", response={201: ClaimOut, **WRITE_ERRORS}, summary="File a claim")
def claim_create(
    request: HttpRequest,
    payload: Form[ClaimIn],
    files: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Any:
    """A partner manager claims (part of) an approved request of their own partner, as a multipart
    form: `request`, `amount`, `description` (optional `actual_leads`, `actual_revenue`, `results`)
    and the proof of performance in `files` (one to ten PDF, PNG or JPEG files, checked by content,
    10 MB each). The amount may not exceed what remains of the request's approval (422 on `amount`);
    a file of another kind is refused (422 on `files`); nothing is saved then. A request you cannot
    see is a 422 on `request`; one you see but may not claim on (a reseller's, or as channel staff)
    is 403."""
    user = current_user(request)
    _refuse_unknown_form_fields(request)
    data = strip_text(payload.model_dump())
    request_id = data.pop("fund_request")
    fund_request = _visible_requests(user).filter(pk=request_id).first()
    if fund_request is None:
        raise ValidationError({"request": f"No fund request with id {request_id} that you can see."})
    claim = services.claim_submit(actor=user, request=fund_request, files=list(files or []), **data)
    return Status(201, _claim_answer(request, user, claim))


@router.get("/claims/{id}", response={200: ClaimOut, **READ_ERRORS}, summary="One claim")
def claim_detail(request: HttpRequest, id: int) -> Any:
    """A claim you may see, with its proof files; any other id answers 404."""
    return _claim_out(request, fetch_visible(_visible_claims(current_user(request)), id))


@router.get(
    "/claims/{id}/files/{file_id}",
    response={200: None, **READ_ERRORS},
    summary="Download a claim's proof file",
    url_name="mdf_proof_file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"application/pdf": {}, "image/png": {}, "image/jpeg": {}},
            }
        }
    },
)
def proof_file_download(request: HttpRequest, id: int, file_id: int) -> FileResponse:
    """A proof file of a claim you may see, as a download (`Content-Disposition: attachment`); any
    other claim or file answers 404."""
    claim = fetch_visible(selectors.visible_claims(current_user(request)), id)
    proof: ProofFile = fetch_visible(ProofFile.objects.filter(claim=claim), file_id)
    return document_response(proof.file, filename=proof.name, content_type=proof.content_type)


@router.post("/claims/{id}/approve", response={200: ClaimOut, **WRITE_ERRORS}, summary="Approve a claim")
def claim_approve(request: HttpRequest, id: int, payload: ApproveIn | None = None) -> Any:
    """The partner's channel manager or a channel admin approves a submitted claim, in full or in part
    (`amount`): the money moves from reserved to claims payable. Above the approval threshold a channel
    manager's approval is the first of two (the claim stays `submitted` with
    `awaiting_second_approval`). More than the request still holds answers 409 and changes nothing;
    more than was claimed, or an invalid amount, 422."""
    user = current_user(request)
    claim = fetch_visible(_visible_claims(user), id)
    data = payload or ApproveIn.model_validate({})
    with state_conflicts_as_409(), overspend_as_409():
        claim = services.claim_approve(claim=claim, actor=user, amount=data.amount)
    return _claim_answer(request, user, claim)


@router.post("/claims/{id}/reject", response={200: ClaimOut, **WRITE_ERRORS}, summary="Reject a claim")
def claim_reject(request: HttpRequest, id: int, payload: RejectIn) -> Any:
    """The partner's channel manager or a channel admin rejects a submitted claim with a reason; the
    request keeps its reservation for another claim."""
    user = current_user(request)
    claim = fetch_visible(_visible_claims(user), id)
    with state_conflicts_as_409():
        claim = services.claim_reject(claim=claim, actor=user, reason=payload.reason)
    return _claim_answer(request, user, claim)


@router.post("/claims/{id}/pay", response={200: ClaimOut, **WRITE_ERRORS}, summary="Mark a claim paid")
def claim_pay(request: HttpRequest, id: int, payload: PayIn) -> Any:
    """The partner's channel manager or a channel admin settles an approved claim: by payment
    (`payment_reference`) or credit note (`credit_note_number`), on `paid_on` (default today). The
    approved amount moves from claims payable to paid. A claim that is not approved answers 409."""
    user = current_user(request)
    claim = fetch_visible(_visible_claims(user), id)
    with state_conflicts_as_409():
        claim = services.claim_pay(
            claim=claim,
            actor=user,
            payment_reference=payload.payment_reference.strip(),
            credit_note_number=payload.credit_note_number.strip(),
            paid_on=payload.paid_on,
        )
    return _claim_answer(request, user, claim)


# --- The journal -----------------------------------------------------------------------------------


class JournalLineOut(Schema):
    """One line of a balanced double-entry posting. A debit is positive on the account, a credit
    negative; the lines of one `posting`, and all lines of a programme, sum to zero."""

    id: int
    posting: UUID = Field(description="The lines posted together share this id.")
    booked_on: date
    posted_at: datetime
    program: int
    partner: int | None
    partner_name: str | None
    allocation: int | None
    request: int | None
    claim: int | None
    movement: Movement
    account: Account
    debit: MoneyOut
    credit: MoneyOut
    currency: str
    document: str = Field(description="The document reference, e.g. REQ-12, CLM-40, ALLOC-3.")
    memo: str


class JournalPageOut(PageOut[JournalLineOut]):
    pass


class JournalFilters(PageIn):
    program: Id | None = Field(None, description="Only this programme's lines.")
    partner: Id | None = Field(None, description="Only this partner's lines.")


def _journal_line_out(line: JournalEntry) -> dict[str, Any]:
    return {
        "id": line.pk,
        "posting": line.posting,
        "booked_on": line.booked_on,
        "posted_at": line.posted_at,
        "program": line.program_id,
        "partner": line.partner_id,
        "partner_name": line.partner.name if line.partner else None,
        "allocation": line.allocation_id,
        "request": line.request_id,
        "claim": line.claim_id,
        "movement": line.movement,
        "account": line.account,
        "debit": _money(line.debit),
        "credit": _money(line.credit),
        "currency": line.currency,
        "document": line.document,
        "memo": line.memo,
    }


@router.get(
    "/journal",
    response={200: JournalPageOut, 403: ErrorOut, **READ_ERRORS},
    summary="The MDF journal",
)
def journal_list(request: HttpRequest, filters: Query[JournalFilters]) -> Any:
    """Every journal line in the order it was posted (oldest first, so that an ERP import can resume
    from its last cursor). Channel admins only; anyone else gets 403."""
    user = current_user(request)
    if not rules.can_see_journal(user):
        raise NotAllowed("Only channel admins read the MDF journal.")
    qs = selectors.visible_journal(user).select_related("partner")
    if filters.program:
        qs = qs.filter(program_id=filters.program)
    if filters.partner:
        qs = qs.filter(partner_id=filters.partner)
    page = keyset_page_or_422(qs, order="id", paging=filters)
    return {"items": [_journal_line_out(line) for line in page.items], "next_cursor": page.next_cursor}
