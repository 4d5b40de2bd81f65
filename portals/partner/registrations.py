"""Deal registrations: a partner registers an opportunity it found and follows the channel manager's
decision. A conflict with another partner is reported only as "already registered": who holds the
customer is the brand owner's to know."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import NotAllowed
from leads import selectors, services
from leads.choices import RegistrationStatus
from portals.crumbs import Crumb, partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import add_service_errors
from portals.paging import request_page
from portals.partner.home import own_partner
from portals.partner.lead_forms import RegistrationForm

REGISTRATION_ORDER = "-created_at"
CONFLICT_MESSAGE = "This customer is already registered; your channel manager will decide."


def _registration_crumbs(page: str) -> list[Crumb]:
    return partner_crumbs(("Deal registrations", reverse("partner:registration_list")), (page, None))


@partner_required
@require_GET
def registration_list(request: HttpRequest) -> HttpResponse:
    """Queries: session, user, actor, one page of registrations (partner, category, lead joined): 4,
    whatever the page size."""
    page = request_page(request, selectors.own_registrations(request.user), order=REGISTRATION_ORDER)
    return render(
        request,
        "portals/partner/registrations/list.html",
        {
            "page": page,
            "querystring": "",
            "breadcrumbs": partner_crumbs(("Deal registrations", None)),
        },
    )


@partner_required
@require_http_methods(["GET", "POST"])
def registration_create(request: HttpRequest) -> HttpResponse:
    """Partner managers and employees register deals for their own partner."""
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                registration = services.registration_submit(
                    actor=acting_user(request),
                    partner=own_partner(request),
                    customer_company=data["customer_company"],
                    customer_domain=data["customer_domain"],
                    country=data["country"],
                    category=data["category"],
                    value=data["value"],
                    currency=data["currency"],
                    expected_close=data["expected_close"],
                    notes=data["notes"],
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if registration.conflicts:
                    messages.warning(request, CONFLICT_MESSAGE)
                else:
                    messages.success(
                        request,
                        f"Your deal registration for {registration.customer_company} is sent; "
                        "your channel manager will decide.",
                    )
                return redirect("partner:registration_detail", pk=registration.pk)
        messages.error(request, "The registration was not sent; see the errors below.")
    return render(
        request,
        "portals/partner/registrations/form.html",
        {"form": form, "breadcrumbs": _registration_crumbs("Register a deal")},
        status=400 if form.is_bound and form.errors else 200,
    )


@partner_required
@require_GET
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: session, user, actor, the registration (partner, category, lead joined); once
    approved, whether the user may open its lead."""
    registration = get_object_or_404(selectors.own_registrations(request.user), pk=pk)
    lead_visible = (
        registration.lead_id is not None
        and selectors.visible_leads(request.user).filter(pk=registration.lead_id).exists()
    )
    return render(
        request,
        "portals/partner/registrations/detail.html",
        {
            "registration": registration,
            # Only that a conflict exists: the other partner and its records stay with the brand owner.
            "conflict_message": CONFLICT_MESSAGE
            if registration.conflicts and registration.status == RegistrationStatus.PENDING
            else "",
            "lead_visible": lead_visible,
            "breadcrumbs": _registration_crumbs(registration.customer_company),
        },
    )
