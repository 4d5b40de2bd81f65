"""My company: the partner's profile, and the fields a partner manager may edit."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import NotAllowed
from partners import access, services
from portals.crumbs import partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import add_service_errors
from portals.partner.forms import CompanyForm
from portals.partner.home import own_partner


@partner_required
@require_GET
def company(request: HttpRequest) -> HttpResponse:
    # Queries: session, user, actor, partner (tier, parent joined; + managers, certifications).
    partner = own_partner(request, detail=True)
    context = {
        "partner": partner,
        "can_edit": access.can_edit_own_company(request.user, partner),
        "breadcrumbs": partner_crumbs(("My company", None)),
    }
    return render(request, "portals/partner/company/detail.html", context)


@partner_required
@require_http_methods(["GET", "POST"])
def company_edit(request: HttpRequest) -> HttpResponse:
    partner = own_partner(request)
    if not access.can_edit_own_company(request.user, partner):
        raise PermissionDenied("Only partner managers edit the company profile.")
    form = CompanyForm.for_partner(partner, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if not changes:
            messages.info(request, "Nothing changed.")
            return redirect("partner:company")
        try:
            services.partner_update(partner=partner, actor=acting_user(request), changes=changes)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Company profile saved.")
            return redirect("partner:company")
    context = {
        "partner": partner,
        "form": form,
        "breadcrumbs": partner_crumbs(("My company", reverse("partner:company")), ("Edit", None)),
    }
    return render(request, "portals/partner/company/edit.html", context)
