"""Every state change of the knowledge base and of service requests, as plain functions (see
STYLE.md): keyword-only, one transaction each, the actor recorded in the request's timeline, e-mails
queued on commit (core.services.email_send).

Who may do what is service.rules, checked again here on the server: the partner's side works a
request; once escalated, the brand owner's service team may hand it back or resolve it; channel
staff write the knowledge base. A refused action raises NotAllowed (403), a move the workflow does
not allow InvalidTransition (409), bad input ValidationError naming the field (nothing changed)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from catalog.models import Category, Product
from core.changes import data_changed
from core.errors import InvalidTransition, NotAllowed
from core.models import User
from core.services import email_send
from customers.models import Contact, Customer
from customers.services import customer_match_or_create
from partners import access
from partners.choices import Role
from partners.models import Membership, Partner
from service import rules
from service.choices import ServiceEventKind, ServiceStatus, Severity
from service.models import (
    ServiceAttachment,
    ServiceComment,
    ServiceEvent,
    ServiceRequest,
    Solution,
    SolutionFeedback,
    request_number,
)

MAX_SUBJECT = 200
MAX_DESCRIPTION = 10_000
MAX_COMMENT = 4_000
MAX_REASON = 2_000
MAX_SOLUTION_TEXT = 20_000
MAX_TAGS = 500
MAX_ATTACHMENTS = 20  # per request
MAX_FILES_AT_ONCE = 10
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
AUTOCLOSE_AFTER_DAYS = 14
AUTOCLOSE_BATCH = 500


# --- The knowledge base ---------------------------------------------------------------------------


def clean_tags(value: str) -> str:
    """Comma-separated keywords, trimmed, each once (in any case), in the order given."""
    seen: list[str] = []
    for tag in (value or "").replace(";", ",").split(","):
        text = " ".join(tag.split())
        if text and text.lower() not in {t.lower() for t in seen}:
            seen.append(text)
    return ", ".join(seen)


def solution_values(fields: dict[str, Any]) -> dict[str, Any]:
    """The text fields of a solution, checked; raises ValidationError naming each bad field."""
    values = {
        "title": " ".join(str(fields.get("title") or "").split()),
        "problem": str(fields.get("problem") or "").strip(),
        "solution": str(fields.get("solution") or "").strip(),
        "tags": clean_tags(str(fields.get("tags") or "")),
    }
    errors: dict[str, str] = {}
    if not values["title"]:
        errors["title"] = "Give the solution a title."
    elif len(values["title"]) > 200:
        errors["title"] = "Keep the title under 200 characters."
    if not values["problem"]:
        errors["problem"] = "Describe the problem as a customer would."
    if not values["solution"]:
        errors["solution"] = "Describe what solves it."
    for name in ("problem", "solution"):
        if len(values[name]) > MAX_SOLUTION_TEXT:
            errors[name] = f"Keep it under {MAX_SOLUTION_TEXT:,} characters."
    if len(values["tags"]) > MAX_TAGS:
        errors["tags"] = f"Keep the tags under {MAX_TAGS} characters."
    if errors:
        raise ValidationError(errors)
    return values


def _require_writer(actor: User) -> None:
    if not rules.can_write_solutions(actor):
        raise NotAllowed("Only the brand owner's channel staff write the knowledge base.")


def _set_relations(
    solution: Solution, products: Iterable[Product] | None, categories: Iterable[Category] | None
) -> None:
    if products is not None:
        solution.products.set(list(products))
    if categories is not None:
        solution.categories.set(list(categories))


@transaction.atomic
def solution_create(
    *,
    actor: User,
    fields: dict[str, Any],
    products: Iterable[Product] | None = None,
    categories: Iterable[Category] | None = None,
) -> Solution:
    """A new knowledge-base solution (title, problem, solution, tags; `published` in `fields`
    publishes it at once), for the given products and categories."""
    _require_writer(actor)
    values = solution_values(fields)
    published = bool(fields.get("published"))
    solution = Solution.objects.create(
        **values, published=published, published_at=timezone.now() if published else None, author=actor
    )
    _set_relations(solution, products, categories)
    return solution


@transaction.atomic
def solution_update(
    *,
    solution: Solution,
    actor: User,
    fields: dict[str, Any],
    products: Iterable[Product] | None = None,
    categories: Iterable[Category] | None = None,
) -> Solution:
    """Change a solution's text, tags, products and categories (what is not given stays)."""
    _require_writer(actor)
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    merged = {
        name: fields.get(name, getattr(solution, name)) for name in ("title", "problem", "solution", "tags")
    }
    for name, value in solution_values(merged).items():
        setattr(solution, name, value)
    solution.save(update_fields=["title", "problem", "solution", "tags", "updated_at"])
    _set_relations(solution, products, categories)
    return solution


@transaction.atomic
def solution_set_published(*, solution: Solution, actor: User, published: bool) -> Solution:
    """Publish a solution (partners see it from now on) or take it back (they no longer do)."""
    _require_writer(actor)
    solution = Solution.objects.select_for_update().get(pk=solution.pk)
    if solution.published != published:
        solution.published = published
        solution.published_at = timezone.now() if published else solution.published_at
        solution.save(update_fields=["published", "published_at", "updated_at"])
    return solution


def solution_feedback(
    *, solution: Solution, actor: User, service_request: ServiceRequest | None = None
) -> bool:
    """Count "this solved it" for a solution: once per service request, or once per person when
    given without one. Answers whether it counted (False: counted before, nothing changed)."""
    if not rules.can_give_feedback(actor):
        raise NotAllowed("Partner users say whether a solution solved their customer's problem.")
    if not solution.published and service_request is None:
        raise ValidationError({"solution": "This solution is not published."})
    try:
        # Its own savepoint: a duplicate (two taps, two workers) leaves the caller's transaction usable.
        with transaction.atomic():
            SolutionFeedback.objects.create(solution=solution, user=actor, service_request=service_request)
            Solution.objects.filter(pk=solution.pk).update(solved_count=F("solved_count") + 1)
    except IntegrityError:
        return False
    solution.refresh_from_db(fields=["solved_count"])
    return True


def feedback_given(*, solution: Solution, actor: User) -> bool:
    """Whether this person said "this solved it" for the solution (outside a request)."""
    return SolutionFeedback.objects.filter(
        solution=solution, user=actor, service_request__isnull=True
    ).exists()


# --- Service requests: registering ----------------------------------------------------------------


def _event(
    request: ServiceRequest, *, actor: User | None, kind: str, before: str, message: str = ""
) -> ServiceEvent:
    """The request's timeline row of a change; every change of a request writes one, so it is also
    where the analytics hear of it (once per transaction, after the commit)."""
    data_changed("service")
    return ServiceEvent.objects.create(
        request=request, actor=actor, kind=kind, from_status=before, to_status=request.status,
        message=message[:500],
    )  # fmt: skip


def _text(value: Any, *, field: str, limit: int, required: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise ValidationError({field: required})
    if len(text) > limit:
        raise ValidationError({field: f"Keep it under {limit:,} characters."})
    return text


def _partner_of(actor: User, partner: Partner | None) -> Partner:
    """The partner a request is registered for: the actor's own (partner users only)."""
    if not rules.can_register(actor):
        raise NotAllowed("Service requests are registered by the partner's people.")
    own_id = access.actor_of(actor).partner_id
    if partner is not None and partner.pk != own_id:
        raise NotAllowed("You register service requests for your own partner only.")
    return partner or Partner.objects.get(pk=own_id or 0)


def _customer_and_contact(
    partner: Partner, customer: Customer | None, data: dict[str, Any] | None
) -> tuple[Customer, Contact | None]:
    """The request's customer: the one given (it must be the partner's), or one matched or created
    from company, contact, e-mail and phone (customers.services.customer_match_or_create), and the
    contact named there."""
    if customer is not None:
        if customer.partner_id != partner.pk:
            raise ValidationError({"customer": "Choose one of your own customers."})
        return customer, None
    data = {k: str(v or "").strip() for k, v in (data or {}).items()}
    company = data.get("company", "")
    if not company:
        raise ValidationError({"customer": "Choose the customer, or enter the customer's company."})
    if len(company) > 200:
        raise ValidationError({"company": "Keep the company name under 200 characters."})
    email, contact_name, phone = data.get("email", ""), data.get("contact", ""), data.get("phone", "")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationError({"email": "Enter a valid e-mail address."})
    if len(contact_name) > 150 or len(phone) > 40:
        raise ValidationError(
            {"contact": "Keep the contact's name under 150 and the phone under 40 characters."}
        )
    matched = customer_match_or_create(
        partner_id=partner.pk, company=company, email=email, contact_name=contact_name, phone=phone
    )
    contact = None
    if email:
        contact = matched.contacts.filter(email__iexact=email).order_by("id").first()
    elif contact_name:
        contact = matched.contacts.filter(name__iexact=contact_name).order_by("id").first()
    return matched, contact


def _active_member(partner_id: int, user: User) -> bool:
    return Membership.objects.filter(partner_id=partner_id, user=user, user__is_active=True).exists()


def _usable_solution(actor: User, solution: Solution) -> Solution:
    """A solution the actor may link: published, or any for the brand owner's staff."""
    if not solution.published and not access.actor_of(actor).is_channel:
        raise ValidationError({"solution": "Choose a published solution."})
    return solution


@transaction.atomic
def request_create(
    *,
    actor: User,
    subject: str,
    description: str,
    severity: str = Severity.MEDIUM,
    customer: Customer | None = None,
    customer_data: dict[str, Any] | None = None,
    product: Product | None = None,
    serial_number: str = "",
    partner: Partner | None = None,
    assigned_to: User | None = None,
    solution: Solution | None = None,
    resolve: bool = False,
) -> ServiceRequest:
    """A partner user registers a customer's problem for their own partner. The customer is chosen
    (`customer`) or matched or created from `customer_data` (company, contact, email, phone). An
    employee works it themselves; a manager may assign it (`assigned_to`) or leave it to the team.
    A knowledge-base `solution` is linked; with `resolve` the request is resolved by it at once."""
    partner = _partner_of(actor, partner)
    subject = " ".join(
        _text(subject, field="subject", limit=MAX_SUBJECT, required="Say what the problem is.").split()
    )
    description = _text(
        description, field="description", limit=MAX_DESCRIPTION, required="Describe the problem."
    )
    if severity not in Severity.values:
        raise ValidationError({"severity": "Choose low, medium, high or critical."})
    serial_number = str(serial_number or "").strip()
    if len(serial_number) > 100:
        raise ValidationError({"serial_number": "Keep the serial number under 100 characters."})
    if product is not None and not product.active:
        raise ValidationError({"product": "This product is no longer in the catalogue."})
    role = access.actor_of(actor).role
    if role == Role.PARTNER_EMPLOYEE:
        if assigned_to is not None and assigned_to.pk != actor.pk:
            raise NotAllowed("Your partner's managers assign requests to other people.")
        assigned_to = actor
    elif assigned_to is not None and not _active_member(partner.pk, assigned_to):
        raise ValidationError(
            {"assigned_to": f"{assigned_to.email} is not an active member of your partner."}
        )
    if resolve and solution is None:
        raise ValidationError({"solution": "Choose the solution that resolved the problem."})
    if solution is not None:
        _usable_solution(actor, solution)
    chosen, contact = _customer_and_contact(partner, customer, customer_data)
    request = ServiceRequest.objects.create(
        partner=partner, customer=chosen, contact=contact, product=product, serial_number=serial_number,
        severity=severity, subject=subject, description=description, assigned_to=assigned_to,
        solution=solution, created_by=actor,
    )  # fmt: skip
    request.number = request_number(request.pk)
    request.save(update_fields=["number"])
    _event(request, actor=actor, kind=ServiceEventKind.CREATED, before="", message=f"Registered: {subject}")
    if solution is not None and not resolve:
        _event(request, actor=actor, kind=ServiceEventKind.SOLUTION_LINKED, before=request.status,
               message=f"Solution linked: {solution.title}")  # fmt: skip
    if assigned_to is not None and assigned_to.pk != actor.pk:
        _notify_assignee(request, assigned_to, actor)
    if resolve:
        request = request_resolve(request=request, actor=actor, solution=solution)
    return request


# --- Service requests: working --------------------------------------------------------------------


def _locked(request: ServiceRequest) -> ServiceRequest:
    """The request's row, locked for this transaction, with its partner (the rules read it)."""
    return ServiceRequest.objects.select_related("partner").select_for_update(of=("self",)).get(pk=request.pk)


def _require_partner_side(actor: User, request: ServiceRequest, what: str) -> None:
    if not rules.works_request(actor, request):
        raise NotAllowed(f"Only the people of {request.partner.name} working this request {what}.")


@transaction.atomic
def request_assign(*, request: ServiceRequest, actor: User, assignee: User | None) -> ServiceRequest:
    """A partner manager gives the request to a person of the partner (or to nobody: None)."""
    request = _locked(request)
    if not rules.can_assign(actor, request):
        raise NotAllowed("Only the partner's managers assign its service requests.")
    if assignee is not None and not _active_member(request.partner_id, assignee):
        raise ValidationError({"assigned_to": f"{assignee.email} is not an active member of this partner."})
    if request.status == ServiceStatus.CLOSED:
        raise ValidationError({"status": "A closed request is not assigned any more."})
    request.assigned_to = assignee
    request.save(update_fields=["assigned_to", "updated_at"])
    _event(request, actor=actor, kind=ServiceEventKind.ASSIGNED, before=request.status,
           message=f"Assigned to {assignee.display_name}" if assignee else "Unassigned")  # fmt: skip
    if assignee is not None and assignee.pk != actor.pk:
        _notify_assignee(request, assignee, actor)
    return request


def _move(request: ServiceRequest, actor: User | None, target: str, kind: str, message: str = "") -> str:
    """Move to `target` (InvalidTransition when the table does not allow it) and record the event;
    answers the status before. The caller saves the fields it changed."""
    before = request.status
    request.set_status(target)
    _event(request, actor=actor, kind=kind, before=before, message=message)
    return before


def _take_if_unassigned(request: ServiceRequest, actor: User) -> list[str]:
    if request.assigned_to_id is None and access.actor_of(actor).is_partner:
        request.assigned_to = actor
        return ["assigned_to"]
    return []


@transaction.atomic
def request_start(*, request: ServiceRequest, actor: User) -> ServiceRequest:
    """The partner starts working the request (new or waiting for the customer → in progress); an
    unassigned request becomes the starter's."""
    request = _locked(request)
    _require_partner_side(actor, request, "start it")
    if request.status not in (ServiceStatus.NEW, ServiceStatus.WAITING_FOR_CUSTOMER):
        raise InvalidTransition(
            request.get_status_display(), ServiceStatus.IN_PROGRESS.label, "service request"
        )
    taken = _take_if_unassigned(request, actor)
    _move(request, actor, ServiceStatus.IN_PROGRESS, ServiceEventKind.STARTED)
    request.save(update_fields=["status", "updated_at", *taken])
    return request


@transaction.atomic
def request_wait(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """The partner waits for the customer (information, access to the machine, a part)."""
    request = _locked(request)
    _require_partner_side(actor, request, "set it to wait for the customer")
    note = str(note or "").strip()[:MAX_REASON]
    taken = _take_if_unassigned(request, actor)
    _move(request, actor, ServiceStatus.WAITING_FOR_CUSTOMER, ServiceEventKind.WAITING, note)
    request.save(update_fields=["status", "updated_at", *taken])
    return request


@transaction.atomic
def request_escalate(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    """The partner hands the request to the brand owner's service team, saying why; the reason is
    also a comment they read, and the partner's channel managers are e-mailed."""
    request = _locked(request)
    _require_partner_side(actor, request, "escalate it")
    reason = _text(
        reason, field="reason", limit=MAX_REASON, required="Say what you tried and why you escalate."
    )
    taken = _take_if_unassigned(request, actor)
    _move(request, actor, ServiceStatus.ESCALATED, ServiceEventKind.ESCALATED, reason)
    request.escalated_at = timezone.now()
    request.save(update_fields=["status", "escalated_at", "updated_at", *taken])
    ServiceComment.objects.create(
        request=request,
        partner_id=request.partner_id,
        author=actor,
        internal=False,
        body=f"Escalated: {reason}",
    )
    _notify_channel(
        request, f"Service request escalated: {request.reference} {request.subject}",
        f"{request.partner.name} escalated {request.reference} ({request.get_severity_display()}).\n\n{reason}\n",
    )  # fmt: skip
    return request


@transaction.atomic
def request_take_back(*, request: ServiceRequest, actor: User, note: str = "") -> ServiceRequest:
    """The escalation ends and the partner works the request again (in progress): handed back by the
    brand owner's service team, or taken back by the partner."""
    request = _locked(request)
    channel_side = rules.handles_escalation(actor, request)
    if not (channel_side or rules.works_request(actor, request)):
        raise NotAllowed("Only the partner working the request or the brand owner's service team do this.")
    if request.status != ServiceStatus.ESCALATED:
        raise InvalidTransition(
            request.get_status_display(), ServiceStatus.IN_PROGRESS.label, "service request"
        )
    note = str(note or "").strip()[:MAX_REASON]
    _move(request, actor, ServiceStatus.IN_PROGRESS, ServiceEventKind.HANDED_BACK, note)
    request.save(update_fields=["status", "updated_at"])
    if channel_side:
        _notify_partner(request, f"Service request handed back: {request.reference} {request.subject}", note)
    return request


@transaction.atomic
def request_link_solution(*, request: ServiceRequest, actor: User, solution: Solution) -> ServiceRequest:
    """Link a knowledge-base solution to an open request (it is offered when the request is resolved)."""
    request = _locked(request)
    if not (rules.works_request(actor, request) or rules.handles_escalation(actor, request)):
        raise NotAllowed("Only the people working this request link a solution to it.")
    if not request.is_open:
        raise ValidationError({"status": "Link solutions to open requests."})
    request.solution = _usable_solution(actor, solution)
    request.save(update_fields=["solution", "updated_at"])
    _event(request, actor=actor, kind=ServiceEventKind.SOLUTION_LINKED, before=request.status,
           message=f"Solution linked: {solution.title}")  # fmt: skip
    return request


@transaction.atomic
def request_resolve(
    *,
    request: ServiceRequest,
    actor: User,
    solution: Solution | None = None,
    note: str = "",
    unlink: bool = False,
) -> ServiceRequest:
    """Resolve the request: by the partner (from any open status), or by the brand owner's service
    team (an escalated one). `solution` is the knowledge-base solution that did it (else the one
    linked stays, unless `unlink`); it counts "this solved it" once for this request. The time to
    resolve is measured from registration."""
    request = _locked(request)
    channel_side = rules.handles_escalation(actor, request)
    if not (channel_side or rules.works_request(actor, request)):
        raise NotAllowed(
            "Only the partner working the request or, once escalated, the brand owner's service team resolve it."
        )
    if solution is not None:
        request.solution = _usable_solution(actor, solution)
    elif unlink:
        request.solution = None
    note = str(note or "").strip()[:MAX_REASON]
    message = note or (f"Solved by: {request.solution.title}" if request.solution else "")
    now = timezone.now()
    _move(request, actor, ServiceStatus.RESOLVED, ServiceEventKind.RESOLVED, message)
    request.resolved_at = now
    request.resolve_seconds = max(0, int((now - request.created_at).total_seconds()))
    request.save(update_fields=["status", "solution", "resolved_at", "resolve_seconds", "updated_at"])
    if request.solution is not None:
        _count_solved(request.solution, request, actor)
    if channel_side:
        _notify_partner(request, f"Service request resolved: {request.reference} {request.subject}", message)
    return request


def _count_solved(solution: Solution, request: ServiceRequest, actor: User) -> None:
    """The solution solved this request: counted once per request (whoever resolved it, however often
    it was reopened and resolved again)."""
    if SolutionFeedback.objects.filter(solution=solution, service_request=request).exists():
        return
    try:
        with transaction.atomic():  # its own savepoint: a racing duplicate leaves the resolution intact
            SolutionFeedback.objects.create(solution=solution, user=actor, service_request=request)
    except IntegrityError:
        return
    Solution.objects.filter(pk=solution.pk).update(solved_count=F("solved_count") + 1)


@transaction.atomic
def request_reopen(*, request: ServiceRequest, actor: User, reason: str) -> ServiceRequest:
    """The fix did not hold: a resolved request is in progress again (the partner's side)."""
    request = _locked(request)
    _require_partner_side(actor, request, "reopen it")
    reason = _text(reason, field="reason", limit=MAX_REASON, required="Say why the request is reopened.")
    _move(request, actor, ServiceStatus.IN_PROGRESS, ServiceEventKind.REOPENED, reason)
    request.save(update_fields=["status", "updated_at"])
    return request


@transaction.atomic
def request_close(*, request: ServiceRequest, actor: User | None, note: str = "") -> ServiceRequest:
    """Close the request: a resolved one once the customer confirmed (or after AUTOCLOSE_AFTER_DAYS,
    by the system: `actor` None), or a new one registered by mistake. Nothing changes after."""
    request = _locked(request)
    if actor is not None:
        _require_partner_side(actor, request, "close it")
    note = str(note or "").strip()[:MAX_REASON]
    _move(request, actor, ServiceStatus.CLOSED, ServiceEventKind.CLOSED, note)
    request.closed_at = timezone.now()
    request.save(update_fields=["status", "closed_at", "updated_at"])
    return request


def requests_autoclose(*, now: datetime | None = None, days: int = AUTOCLOSE_AFTER_DAYS) -> int:
    """Close the requests resolved more than `days` ago (the customer did not come back); each in its
    own transaction, skipping rows another worker holds. Idempotent. Answers how many it closed."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    closed = 0
    ids = list(
        ServiceRequest.objects.filter(status=ServiceStatus.RESOLVED, resolved_at__lt=cutoff)
        .order_by("resolved_at", "id")
        .values_list("pk", flat=True)[:AUTOCLOSE_BATCH]
    )
    for pk in ids:
        with transaction.atomic():
            row = (
                ServiceRequest.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, status=ServiceStatus.RESOLVED, resolved_at__lt=cutoff)
                .first()
            )
            if row is None:
                continue
            request_close(request=row, actor=None, note=f"Closed automatically {days} days after resolution.")
            closed += 1
    return closed


# --- Comments and attachments ---------------------------------------------------------------------


@transaction.atomic
def comment_add(*, request: ServiceRequest, actor: User, body: str, internal: bool = False) -> ServiceComment:
    """A comment from the partner's side (internal ones stay with the partner) or from the brand
    owner's service team (never internal). The other side is e-mailed about what it may read."""
    request = ServiceRequest.objects.select_related("partner").get(pk=request.pk)
    partner_side = rules.works_request(actor, request)
    if not (partner_side or rules.serves_escalations(actor, request)):
        raise NotAllowed(
            "Only the people working this request and the brand owner's service team comment here."
        )
    if internal and not partner_side:
        raise ValidationError(
            {
                "internal": "Internal comments are the partner's; the brand owner's comments are read by both sides."
            }
        )
    if request.status == ServiceStatus.CLOSED:
        raise ValidationError({"status": "The request is closed; comments are no longer added."})
    text = _text(body, field="body", limit=MAX_COMMENT, required="Write the comment first.")
    comment = ServiceComment.objects.create(
        request=request, partner_id=request.partner_id, author=actor, internal=bool(internal), body=text
    )
    subject = f"New comment on {request.reference}: {request.subject}"
    if not partner_side:
        _notify_partner(request, subject, text)
    elif not internal and request.status == ServiceStatus.ESCALATED:
        _notify_channel(request, subject, text)
    return comment


def check_attachments(files: Sequence[Any], *, already: int = 0) -> list[tuple[Any, str]]:
    """Each file is a PDF, PNG or JPEG by its content (core.uploads.sniff_document), not empty, at most
    10 MB; at most MAX_FILES_AT_ONCE at once and MAX_ATTACHMENTS on a request. Raises
    ValidationError on `files` naming each refused file; answers (file, content type)."""
    from core.uploads import check_documents

    if not files:
        raise ValidationError({"files": "Choose at least one PDF, PNG or JPEG file."})
    if len(files) > MAX_FILES_AT_ONCE:
        raise ValidationError(
            {"files": f"Attach at most {MAX_FILES_AT_ONCE} files at once; you chose {len(files)}."}
        )
    if already + len(files) > MAX_ATTACHMENTS:
        raise ValidationError(
            {"files": f"A request holds at most {MAX_ATTACHMENTS} files; this one has {already} already."}
        )
    return check_documents(files, max_bytes=MAX_ATTACHMENT_BYTES)


@transaction.atomic
def attachment_add(*, request: ServiceRequest, actor: User, files: Sequence[Any]) -> list[ServiceAttachment]:
    """Attach files (photos of the fault, a log, a delivery note) to an open or resolved request: the
    partner working it or the brand owner's service team. All or nothing: one refused file keeps
    every file out."""
    request = _locked(request)
    if not (rules.works_request(actor, request) or rules.serves_escalations(actor, request)):
        raise NotAllowed(
            "Only the people working this request and the brand owner's service team attach files."
        )
    if request.status == ServiceStatus.CLOSED:
        raise ValidationError({"status": "The request is closed; files are no longer added."})
    checked = check_attachments(files, already=request.attachments.count())
    saved = []
    for upload, content_type in checked:
        attachment = ServiceAttachment(
            request=request, partner_id=request.partner_id, name=(getattr(upload, "name", "") or "file")[-200:],
            content_type=content_type, size=upload.size, uploaded_by=actor,
        )  # fmt: skip
        attachment.file.save(getattr(upload, "name", "file") or "file", upload, save=False)
        attachment.save()
        saved.append(attachment)
    return saved


# --- Notifications --------------------------------------------------------------------------------


def _notify_assignee(request: ServiceRequest, assignee: User, actor: User) -> None:
    email_send(
        to=[assignee.email],
        subject=f"Service request assigned to you: {request.reference} {request.subject}",
        body=f"{actor.display_name} assigned you {request.reference} ({request.get_severity_display()}).\n",
    )


def _notify_partner(request: ServiceRequest, subject: str, body: str = "") -> None:
    """The person working the request, else the partner's managers."""
    if request.assigned_to_id:
        to = list(
            User.objects.filter(pk=request.assigned_to_id, is_active=True).values_list("email", flat=True)
        )
    else:
        to = list(
            Membership.objects.filter(
                partner_id=request.partner_id, user__is_active=True, user__groups__name=Role.PARTNER_MANAGER
            )
            .values_list("user__email", flat=True)
            .distinct()
        )
    if to:
        email_send(to=to, subject=subject, body=f"{request.reference} {request.subject}\n\n{body}")


def _notify_channel(request: ServiceRequest, subject: str, body: str = "") -> None:
    """The partner's channel managers (of its parent for a sub-partner), else the channel admins."""
    owners = [request.partner_id] + ([request.partner.parent_id] if request.partner.parent_id else [])
    to = list(
        Partner.managers.through.objects.filter(partner_id__in=owners)
        .values_list("user__email", flat=True)
        .distinct()
    )
    if not to:
        to = list(
            User.objects.filter(Q(is_superuser=True) | Q(groups__name=Role.CHANNEL_ADMIN), is_active=True)
            .values_list("email", flat=True)
            .distinct()
        )
    if to:
        email_send(to=to, subject=subject, body=body)
