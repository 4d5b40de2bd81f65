"""/leads: capture, CSV import, list, detail, routing and dispatch, proposals, the partner's workflow."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from pydantic import field_validator

from core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    CleanStr,
    CountryCode,
    ErrorOut,
    Id,
    JobOut,
    PageIn,
    PageOut,
    current_user,
    job_out,
    keyset_page_or_422,
    page_out,
)
from core.errors import NotAllowed
from core.models import User
from leads import rules, selectors, services
from leads.api.common import (
    Body,
    Currency,
    Money,
    Slug,
    category_by_slug,
    fetch_visible,
    merge_errors,
    state_conflicts_as_409,
    strip_text,
)
from leads.choices import LeadSource, LeadStatus
from leads.imports import lead_import_start
from leads.models import Lead
from partners import access
from partners.models import Partner

router = Router(tags=["leads"])


class QualificationOut(Schema):
    budget: str
    authority: str
    need: str
    timeline: str
    notes: str


class LeadOut(Schema):
    """A lead as the API shows it."""

    id: int
    status: LeadStatus
    partner: int | None = Field(description="The id of the partner holding the lead, or null.")
    assigned_to: str | None = Field(description="E-mail of the partner's person working it, or null.")
    customer: int | None = Field(description="The id of the partner's customer it is linked to, or null.")
    company: str
    contact_name: str
    email: str
    phone: str
    country: str = Field(description="ISO 3166 alpha-2 country code.")
    region: str
    postal_code: str
    city: str
    latitude: float | None
    longitude: float | None
    category: str | None = Field(description="The product category's slug, or null.")
    products_of_interest: str
    estimated_value: Decimal
    currency: str
    source: LeadSource
    campaign_code: str
    external_id: str
    accept_by: datetime | None = Field(description="The partner must accept by then, or loses the lead.")
    dispatch_reason: str = Field(description="Why the lead went where it went, in one sentence.")
    qualification: QualificationOut
    won_value: Decimal | None
    lost_reason: str
    created_at: datetime
    updated_at: datetime
    dispatched_at: datetime | None
    accepted_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_partner(obj: Lead) -> int | None:
        return obj.partner_id

    @staticmethod
    def resolve_assigned_to(obj: Lead) -> str | None:
        return obj.assigned_to.email if obj.assigned_to_id and obj.assigned_to else None

    @staticmethod
    def resolve_customer(obj: Lead) -> int | None:
        return obj.customer_id

    @staticmethod
    def resolve_category(obj: Lead) -> str | None:
        return obj.category.slug if obj.category_id and obj.category else None

    @staticmethod
    def resolve_latitude(obj: Lead) -> float | None:
        return None if obj.latitude is None else float(obj.latitude)

    @staticmethod
    def resolve_longitude(obj: Lead) -> float | None:
        return None if obj.longitude is None else float(obj.longitude)

    @staticmethod
    def resolve_qualification(obj: Lead) -> dict[str, str]:
        return {
            "budget": obj.budget,
            "authority": obj.authority,
            "need": obj.need,
            "timeline": obj.timeline,
            "notes": obj.qualification_notes,
        }


class LeadPageOut(PageOut[LeadOut]):
    pass


class LeadFilters(PageIn):
    """Filters of GET /leads. All are optional and combine with AND; they never widen your scope."""

    status: LeadStatus | None = None
    partner: Id | None = Field(None, description="Only the leads of this partner id.")
    source: LeadSource | None = None
    q: CleanStr = Field("", max_length=200, description="Search in company, e-mail and contact name.")


class LeadCreateIn(Body):
    """A new lead. `company` and `country` are required; it is routed at once unless the channel's
    setting turns automatic routing off."""

    NULLABLE = frozenset({"latitude", "longitude", "category"})

    company: CleanStr = Field(max_length=200)
    country: CountryCode
    contact_name: CleanStr = Field("", max_length=150)
    email: CleanStr = Field("", max_length=254)
    phone: CleanStr = Field("", max_length=40)
    region: CleanStr = Field("", max_length=100)
    postal_code: CleanStr = Field("", max_length=20)
    city: CleanStr = Field("", max_length=100)
    latitude: Decimal | None = Field(None, ge=-90, le=90, description="Give both coordinates or neither.")
    longitude: Decimal | None = Field(None, ge=-180, le=180)
    category: Slug | None = Field(None, description="A product category's slug.")
    products_of_interest: CleanStr = Field("", max_length=4000)
    estimated_value: Money = Decimal("0")
    currency: Currency = "EUR"
    source: LeadSource = Field(LeadSource.API, description="Where the lead came from; default api.")
    campaign_code: CleanStr = Field("", max_length=60)
    external_id: CleanStr = Field(
        "", max_length=100, description="Your id for the lead; unique per source, so a retry is refused."
    )

    @field_validator("source")
    @classmethod
    def _not_from_registration(cls, value: LeadSource) -> LeadSource:
        if value == LeadSource.DEAL_REGISTRATION:
            raise ValueError("Leads from deal registrations are made by approving the registration.")
        return value


class DispatchIn(Body):
    """Without `partner`: route the lead by the dispatch rules. With it: give it to that partner by
    hand (also a lead already dispatched), with an optional reason."""

    NULLABLE = frozenset({"partner"})

    partner: Id | None = Field(None, description="The id of one of your partners.")
    reason: CleanStr = Field("", max_length=300, description="Why, when assigning by hand.")


class ReasonIn(Body):
    reason: CleanStr = Field(max_length=500)


class AssignIn(Body):
    NULLABLE = frozenset({"user"})

    user: CleanStr | None = Field(
        max_length=254, description="E-mail of an active member of the lead's partner; null unassigns."
    )


class QualifyIn(Body):
    """Budget, authority, need, timeline (at least one of them) and notes."""

    budget: CleanStr = Field("", max_length=200)
    authority: CleanStr = Field("", max_length=200)
    need: CleanStr = Field("", max_length=500)
    timeline: CleanStr = Field("", max_length=200)
    notes: CleanStr = Field("", max_length=4000)


class WonIn(Body):
    value: Money


class ProposalOut(Schema):
    partner: int
    name: str
    figure: float | None = Field(
        description="The deciding figure: recent leads per tier weight, load (share of capacity) or km."
    )


class ExcludedOut(Schema):
    partner: int
    name: str
    reason: str


class RuleTriedOut(Schema):
    rule: str
    outcome: str


class ProposalsOut(Schema):
    """What routing would do with the lead now (nothing is written)."""

    rule: str | None = Field(description="The rule that decides, or null.")
    strategy: str
    partner: int | None = Field(description="The partner routing would choose, or null.")
    reason: str
    candidates: list[ProposalOut] = Field(description="The eligible candidates, best first.")
    excluded: list[ExcludedOut] = Field(description="Candidates left out, and why.")
    considered: int = Field(description="How many partners the deciding rule considered.")
    left_out: dict[str, int] = Field(
        description="For a rule with many candidates (only its best are listed): how many of those not "
        'listed were left out, by reason (e.g. {"at capacity": 3}).'
    )
    rules_tried: list[RuleTriedOut] = Field(description="Rules tried before the deciding one.")


def _visible_lead(request: HttpRequest, id: int) -> Lead:
    lead: Lead = fetch_visible(selectors.visible_leads(current_user(request)), id)
    return lead


def _lead_out(lead: Lead) -> Lead:
    # Read back with its relations joined: what was saved, as the list shows it.
    return Lead.objects.select_related("assigned_to", "category").get(pk=lead.pk)


@router.get("", response={200: LeadPageOut, **READ_ERRORS}, summary="List leads")
def lead_list(request: HttpRequest, filters: Query[LeadFilters]) -> Any:
    """The leads you may see, newest first, one keyset page at a time. Channel admins: all; channel
    managers: their partners' and the channel's queue (leads no partner holds); partner managers: their
    partner's and its resellers'; partner employees: their partner's, assigned to them or unassigned."""
    qs = selectors.lead_list(
        current_user(request),
        q=filters.q,
        status=filters.status or "",
        partner=filters.partner,
        source=filters.source or "",
    )
    return page_out(keyset_page_or_422(qs, order="-created_at", paging=filters))


@router.post("", response={201: LeadOut, **WRITE_ERRORS}, summary="Create a lead")
def lead_create(request: HttpRequest, payload: LeadCreateIn) -> Any:
    """Channel staff capture a lead (partner users get 403). It is routed at once unless the channel's
    setting turns automatic routing off; the answer shows where it went and why."""
    user = current_user(request)
    if not access.actor_of(user).is_channel:
        raise NotAllowed("Only channel staff create leads; partners register deals instead.")
    fields = strip_text(payload.model_dump())
    errors: dict[str, list[str]] = {}
    fields["category"] = category_by_slug(fields.get("category"), errors)
    if (fields["latitude"] is None) != (fields["longitude"] is None):
        missing = "longitude" if fields["longitude"] is None else "latitude"
        errors[missing] = ["Give both latitude and longitude, or neither."]
    if errors:
        # Report the lead's own field errors too, all at once.
        try:
            services.lead_validate({k: v for k, v in fields.items() if k not in errors})
        except ValidationError as exc:
            merge_errors(errors, exc)
        raise ValidationError(errors)
    lead = services.lead_create(actor=user, fields=fields)
    return Status(201, _lead_out(lead))


@router.post("/import", response={202: JobOut, **WRITE_ERRORS}, summary="Import leads from a CSV file")
def lead_import(request: HttpRequest, file: File[UploadedFile]) -> Any:
    """Channel staff upload a CSV file of leads (multipart form, field `file`; partner users get 403).
    A file that is not UTF-8 CSV, is empty or too large, or has a wrong header is refused at once (422
    on `file`) and nothing is imported. Otherwise the answer is 202 with the job: its rows are validated
    and imported in the background; follow it at GET /jobs/{id}, whose error report lists the rows not
    taken with their line and reason."""
    job = lead_import_start(actor=current_user(request), uploaded_file=file)
    return Status(202, job_out(request, job))


@router.get("/{id}", response={200: LeadOut, **READ_ERRORS}, summary="One lead")
def lead_detail(request: HttpRequest, id: int) -> Any:
    """A lead you may see; any other id answers 404."""
    return _visible_lead(request, id)


@router.post("/{id}/dispatch", response={200: LeadOut, **WRITE_ERRORS}, summary="Route or dispatch a lead")
def lead_dispatch(request: HttpRequest, id: int, payload: DispatchIn | None = None) -> Any:
    """Without a body (or with `{}`): route a `new` or `unroutable` lead by the dispatch rules. With
    `{"partner": id}`: a channel manager gives the lead to one of their partners by hand, also a lead
    already dispatched. Channel admins, and channel managers for the channel's queue and their partners'
    leads; anyone else who can see the lead gets 403. A lead in another status: 409."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    if not rules.can_dispatch(user, lead):
        raise NotAllowed("Only channel staff dispatch leads, and only leads of their own partners.")
    data = payload or DispatchIn.model_validate({})
    if data.partner is None and data.reason.strip():
        raise ValidationError(
            {"reason": "A reason goes with a partner chosen by hand; routing explains itself."}
        )
    with state_conflicts_as_409():
        if data.partner is None:
            lead = services.lead_route(lead=lead, actor=user)
        else:
            partner = Partner.objects.filter(pk=data.partner).first()
            if partner is None:
                # The same answer as for a partner that exists outside your scope.
                raise ValidationError({"partner": "Choose one of your partners."})
            lead = services.lead_dispatch_to(
                lead=lead, actor=user, partner=partner, reason=data.reason.strip()
            )
    return _lead_out(lead)


@router.get(
    "/{id}/proposals",
    response={200: ProposalsOut, 403: ErrorOut, **READ_ERRORS},
    summary="Routing proposals for a lead",
)
def lead_proposals(request: HttpRequest, id: int) -> Any:
    """The candidates routing would consider for the lead now, best first, with the deciding figure,
    those left out and why, and the reason in one sentence. Channel staff only (partner users: 403); a
    channel manager sees the candidates among their own partners, those they can dispatch to."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    actor = access.actor_of(user)
    if not actor.is_channel:
        raise NotAllowed("Only channel staff see routing proposals.")
    decision = services.lead_proposals(lead=lead)
    ids = {c.partner_id for c in decision.candidates} | (
        {decision.partner_id} if decision.partner_id else set()
    )
    if actor.is_admin:
        mine = ids
    else:
        mine = set(access.scope_partners(user).filter(pk__in=ids).values_list("id", flat=True))
    chosen_is_mine = decision.partner_id is None or decision.partner_id in mine
    return {
        "rule": decision.rule.name if decision.rule else None,
        "strategy": decision.strategy,
        "partner": decision.partner_id if chosen_is_mine else None,
        "reason": decision.reason
        if chosen_is_mine
        else "Routing would give this lead to a partner that is not one of yours.",
        "candidates": [
            {
                "partner": c.partner_id,
                "name": c.name,
                "figure": None if c.figure is None else round(c.figure, 4),
            }
            for c in decision.ranked
            if c.partner_id in mine
        ],
        "excluded": [
            {"partner": c.partner_id, "name": c.name, "reason": c.excluded}
            for c in decision.candidates
            if c.excluded and c.partner_id in mine
        ],
        "considered": decision.considered,
        "left_out": decision.left_out,
        "rules_tried": decision.rules_tried,
    }


@router.post("/{id}/accept", response={200: LeadOut, **WRITE_ERRORS}, summary="Accept a lead")
def lead_accept(request: HttpRequest, id: int) -> Any:
    """The partner holding a dispatched lead takes it (an employee who accepts an unassigned lead
    gets it); it is linked to the partner's customer, matched or created."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    with state_conflicts_as_409():
        lead = services.lead_accept(lead=lead, actor=user)
    return _lead_out(lead)


@router.post("/{id}/decline", response={204: None, **WRITE_ERRORS}, summary="Decline a lead")
def lead_decline(request: HttpRequest, id: int, payload: ReasonIn) -> Any:
    """The partner holding a dispatched lead declines it, with a reason. The lead leaves the partner at
    once and is routed again without them; the answer is empty (204)."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    with state_conflicts_as_409():
        services.lead_decline(lead=lead, actor=user, reason=payload.reason)
    return Status(204, None)


@router.post("/{id}/assign", response={200: LeadOut, **WRITE_ERRORS}, summary="Assign a lead to a person")
def lead_assign(request: HttpRequest, id: int, payload: AssignIn) -> Any:
    """The partner's manager gives the lead to one of the partner's people (`{"user": email}`), or
    takes it back (`{"user": null}`)."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    if not rules.can_assign(user, lead):
        raise NotAllowed("Only the partner's manager assigns its leads.")
    assignee: User | None = None
    if payload.user is not None:
        email = payload.user.strip()
        assignee = User.objects.filter(email__iexact=email, is_active=True).first()
        if assignee is None:
            raise ValidationError({"user": f"{email} is not an active member of this partner."})
    with state_conflicts_as_409():
        lead = services.lead_assign_user(lead=lead, actor=user, user=assignee)
    return _lead_out(lead)


@router.post("/{id}/qualify", response={200: LeadOut, **WRITE_ERRORS}, summary="Qualify a lead")
def lead_qualify(request: HttpRequest, id: int, payload: QualifyIn) -> Any:
    """Record budget, authority, need and timeline (at least one) and notes on an accepted lead."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    with state_conflicts_as_409():
        lead = services.lead_qualify(lead=lead, actor=user, **payload.model_dump())
    return _lead_out(lead)


@router.post("/{id}/won", response={200: LeadOut, **WRITE_ERRORS}, summary="Mark a lead won")
def lead_won(request: HttpRequest, id: int, payload: WonIn) -> Any:
    """The partner holding an accepted or qualified lead closes it as won, with the value."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    with state_conflicts_as_409():
        lead = services.lead_mark_won(lead=lead, actor=user, value=payload.value)
    return _lead_out(lead)


@router.post("/{id}/lost", response={200: LeadOut, **WRITE_ERRORS}, summary="Mark a lead lost")
def lead_lost(request: HttpRequest, id: int, payload: ReasonIn) -> Any:
    """The partner holding the lead, or channel staff who may dispatch it, close it as lost, with a
    reason."""
    user = current_user(request)
    lead = _visible_lead(request, id)
    with state_conflicts_as_409():
        lead = services.lead_mark_lost(lead=lead, actor=user, reason=payload.reason)
    return _lead_out(lead)
