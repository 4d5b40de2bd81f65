"""Channel portal: partners' deal registrations, with the conflicts the partner is not shown, and
the approve / reject decisions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import NotAllowed
from leads import rules, selectors, services
from leads.choices import RegistrationStatus
from leads.models import DealRegistration
from portals.channel.lead_forms import (
    REGISTRATION_TABS,
    RegistrationApproveForm,
    RegistrationFilterForm,
    RegistrationRejectForm,
)
from portals.channel.partners import channel_crumbs as _crumbs
from portals.channel.partners import request_page
from portals.decorators import acting_user, channel_required


@channel_required
def registration_list(request: HttpRequest) -> HttpResponse:
    """The registrations of the user's partners, one tab per status (pending first), newest first.

    Queries: session, user, actor, counts per status, page rows (partner, category, lead joined): 5."""
    form = RegistrationFilterForm(request.GET)
    if not form.is_valid():
        messages.warning(request, "Unknown tab; showing the pending registrations.")
    status = (form.cleaned_data.get("status") if form.is_valid() else "") or RegistrationStatus.PENDING.value
    counts = selectors.registration_status_counts(request.user)
    tabs = [
        {
            "key": key,
            "label": label,
            "count": sum(counts.values()) if key == "all" else counts.get(key, 0),
            "url": f"?status={key}",
            "current": key == status,
        }
        for key, label in REGISTRATION_TABS
    ]
    registrations = selectors.visible_registrations(request.user)
    if status != "all":
        registrations = registrations.filter(status=status)
    page = request_page(request, registrations, order="-created_at", size=settings.PAGE_SIZE)
    return render(
        request,
        "portals/channel/registrations/list.html",
        {
            "page": page,
            "tabs": tabs,
            "status": status,
            "status_label": dict(REGISTRATION_TABS)[status],
            "querystring": f"status={status}",
            "breadcrumbs": _crumbs(("Deal registrations", None)),
        },
    )


def _visible_registration(request: HttpRequest, pk: int) -> DealRegistration:
    """The registration if it belongs to one of the user's partners, else 404."""
    try:
        return selectors.registration_detail(request.user, pk)
    except DealRegistration.DoesNotExist:
        raise Http404("No such deal registration.")


def _conflict_rows(user: Any, registration: DealRegistration) -> list[dict[str, Any]]:
    """The recorded conflicts, each with a link when this user may open the other record (two
    queries at most, whatever the number of conflicts)."""
    conflicts = [c for c in registration.conflicts or [] if isinstance(c, dict)]
    lead_ids = [c["id"] for c in conflicts if c.get("kind") == "lead" and isinstance(c.get("id"), int)]
    reg_ids = [c["id"] for c in conflicts if c.get("kind") == "registration" and isinstance(c.get("id"), int)]
    visible_leads = (
        set(selectors.visible_leads(user).filter(pk__in=lead_ids).values_list("pk", flat=True))
        if lead_ids
        else set()
    )
    visible_regs = (
        set(selectors.visible_registrations(user).filter(pk__in=reg_ids).values_list("pk", flat=True))
        if reg_ids
        else set()
    )
    rows = []
    for c in conflicts:
        url = None
        if c.get("kind") == "lead" and c.get("id") in visible_leads:
            url = reverse("channel:lead_detail", args=[c["id"]])
        elif c.get("kind") == "registration" and c.get("id") in visible_regs:
            url = reverse("channel:registration_detail", args=[c["id"]])
        rows.append(
            {
                "kind": "Lead" if c.get("kind") == "lead" else "Deal registration",
                "company": c.get("company") or "—",
                "partner": c.get("partner") or "No partner yet (channel queue)",
                "status": str(c.get("status") or "—").replace("_", " "),
                "url": url,
            }
        )
    return rows


def _render_detail(
    request: HttpRequest,
    registration: DealRegistration,
    *,
    approve_form: RegistrationApproveForm | None = None,
    reject_form: RegistrationRejectForm | None = None,
    http_status: int = 200,
) -> HttpResponse:
    """Queries: session, user, actor, registration (partner, category, lead, registering and deciding
    users joined), the visible conflicting leads and registrations (0-2); for a channel manager, whether
    they manage the partner (1-2)."""
    pending = registration.status == RegistrationStatus.PENDING
    may_decide = pending and rules.can_decide_registration(request.user, registration)
    if may_decide:
        approve_form = approve_form or RegistrationApproveForm()
        reject_form = reject_form or RegistrationRejectForm()
    return render(
        request,
        "portals/channel/registrations/detail.html",
        {
            "registration": registration,
            "pending": pending,
            "may_decide": may_decide,
            "conflicts": _conflict_rows(request.user, registration),
            "approve_form": approve_form,
            "reject_form": reject_form,
            "breadcrumbs": _crumbs(
                ("Deal registrations", reverse("channel:registration_list")),
                (registration.customer_company, None),
            ),
        },
        status=http_status,
    )


@channel_required
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_registration(request, pk))


def _service_errors(request: HttpRequest, form: Form, exc: ValidationError) -> None:
    """Field errors go on the form; the rest (already decided) become a message."""
    for field, errors in exc.message_dict.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
            else:
                messages.error(request, error)


@require_POST
@channel_required
def registration_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve: the registration becomes an accepted lead of that partner, protected for a while."""
    registration = _visible_registration(request, pk)
    form = RegistrationApproveForm(request.POST)
    if form.is_valid():
        try:
            registration = services.registration_approve(
                registration=registration,
                actor=acting_user(request),
                protect_days=form.cleaned_data["protect_days"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            _service_errors(request, form, exc)
            if not form.errors:
                return redirect("channel:registration_detail", pk=registration.pk)
        else:
            messages.success(
                request,
                f"Registration of {registration.customer_company} approved: it is now a lead of "
                f"{registration.partner.name}, protected until {registration.protected_until:%d %b %Y}.",
            )
            return redirect("channel:registration_detail", pk=registration.pk)
    return _render_detail(request, registration, approve_form=form, http_status=400)


@require_POST
@channel_required
def registration_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject with a reason, which the partner reads."""
    registration = _visible_registration(request, pk)
    form = RegistrationRejectForm(request.POST)
    if form.is_valid():
        try:
            registration = services.registration_reject(
                registration=registration, actor=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            _service_errors(request, form, exc)
            if not form.errors:
                return redirect("channel:registration_detail", pk=registration.pk)
        else:
            messages.success(request, f"Registration of {registration.customer_company} rejected.")
            return redirect("channel:registration_detail", pk=registration.pk)
    return _render_detail(request, registration, reject_form=form, http_status=400)
