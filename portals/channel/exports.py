"""Channel portal: a partner's catalogue exports. Channel admins and the partner's channel managers start
an export of the partner's assortment (CSV, JSON or BMEcat 2005) and download the recent ones; the daily
schedules and their feed addresses are the partner's own (partner portal). A partner out of scope is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import NotAllowed
from partners import selectors as partner_selectors
from partners.models import Partner
from portals.crumbs import channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import error_text, form_error_text
from portals.partner.exports import ExportForm
from showroom import exports as services


def _partner(request: HttpRequest, pk: int) -> Partner:
    return get_object_or_404(partner_selectors.visible_partners(request.user), pk=pk)


@channel_required
@require_GET
def partner_exports(request: HttpRequest, pk: int) -> HttpResponse:
    """The partner's recent exports and, for those who may, the form to start one.

    Queries: session, user, actor, the partner (scoped), exports (job joined): constant."""
    partner = _partner(request, pk)
    context = {
        "partner": partner,
        "can_export": services.can_export(request.user, partner),
        "exports": services.recent_exports(partner),
        "form": ExportForm(),
        "start_url": reverse("channel:partner_export_start", args=[partner.pk]),
        "breadcrumbs": channel_crumbs(
            ("Partners", reverse("channel:partner_list")),
            (partner.name, reverse("channel:partner_detail", args=[partner.pk])),
            ("Catalogue exports", None),
        ),
    }
    return render(request, "portals/channel/exports.html", context)


@channel_required
@require_POST
def partner_export_start(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _partner(request, pk)
    if not services.can_export(request.user, partner):
        raise PermissionDenied("Only channel admins and the partner's channel managers export its catalogue.")
    back = reverse("channel:partner_exports", args=[partner.pk])
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect(back)
    try:
        export = services.export_start(
            actor=acting_user(request),
            partner=partner,
            format=form.cleaned_data["format"],
            language=form.cleaned_data["language"],
        )
    except (ValidationError, NotAllowed) as exc:
        messages.error(request, error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect(back)
    messages.success(
        request, f"The {export.get_format_display()} export has started; it appears below when it is ready."
    )
    return redirect(back)
