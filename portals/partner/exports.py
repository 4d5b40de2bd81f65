"""Partner portal: catalogue exports. Partner managers start an export of their assortment (CSV, JSON or
BMEcat 2005, in a chosen language) and set up daily exports whose newest file their shop fetches from a
feed address (its token is shown once, when made or replaced); everybody of the partner sees the recent
exports with their status and downloads the finished ones. Each change is a POST that redirects back with
a message."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from core.errors import NotAllowed
from partners.models import Partner
from portals.crumbs import partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import error_text, form_error_text
from portals.partner.home import own_partner
from showroom import exports as services
from showroom.models import DEFAULT_EXPORT_LANGUAGE, ExportFormat, ExportSchedule

# The feed token just made, kept in the session only until the next page shows it.
NEW_FEED_SESSION_KEY = "catalog_export_new_feed"
_SELECT = {"class": "form-select"}


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label="Format", choices=ExportFormat.choices, widget=forms.Select(attrs=_SELECT)
    )
    language = forms.CharField(
        label="Language",
        max_length=3,
        initial=DEFAULT_EXPORT_LANGUAGE,
        help_text="ISO 639-2 code of three letters, e.g. eng, deu, fra.",
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "off", "size": 4}),
    )

    def clean_language(self) -> str:
        return services.clean_language(self.cleaned_data["language"])


class ScheduleForm(ExportForm):
    enabled = forms.BooleanField(label="Run every day", required=False, initial=True)


def _editable(request: HttpRequest) -> Partner:
    partner = own_partner(request)
    if not services.can_export(request.user, partner):
        raise PermissionDenied("Only partner managers export the catalogue.")
    return partner


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("showroom_exports:feed", kwargs={"token": token}))


@partner_required
@require_GET
def exports(request: HttpRequest) -> HttpResponse:
    """Recent exports (newest first, at most RECENT_EXPORTS), the daily schedules, and the forms.

    Queries: session, user, actor, partner, exports (job joined), schedules (last export joined): 6,
    whatever the number of exports."""
    partner = own_partner(request)
    new_feed = request.session.pop(NEW_FEED_SESSION_KEY, None)
    context = {
        "partner": partner,
        "can_export": services.can_export(request.user, partner),
        "exports": services.recent_exports(partner),
        "schedules": services.partner_schedules(partner),
        "form": ExportForm(),
        "start_url": reverse("partner:export_start"),
        "schedule_form": ScheduleForm(),
        "new_feed": _feed_url(request, new_feed["token"]) if new_feed else None,
        "new_feed_schedule": new_feed["schedule"] if new_feed else None,
        "breadcrumbs": partner_crumbs(("Catalogue exports", None)),
    }
    return render(request, "portals/partner/exports/list.html", context)


@partner_required
@require_POST
def export_start(request: HttpRequest) -> HttpResponse:
    partner = _editable(request)
    form = ExportForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("partner:exports")
    try:
        export = services.export_start(
            actor=acting_user(request),
            partner=partner,
            format=form.cleaned_data["format"],
            language=form.cleaned_data["language"],
        )
    except (ValidationError, NotAllowed) as exc:
        messages.error(request, error_text(exc) if isinstance(exc, ValidationError) else str(exc))
        return redirect("partner:exports")
    messages.success(
        request, f"The {export.get_format_display()} export has started; it appears below when it is ready."
    )
    return redirect("partner:exports")


@partner_required
@require_POST
def schedule_save(request: HttpRequest) -> HttpResponse:
    partner = _editable(request)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("partner:exports")
    try:
        schedule, token = services.schedule_save(
            actor=acting_user(request),
            partner=partner,
            format=form.cleaned_data["format"],
            language=form.cleaned_data["language"],
            enabled=form.cleaned_data["enabled"],
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return redirect("partner:exports")
    if token:
        request.session[NEW_FEED_SESSION_KEY] = {"token": token, "schedule": schedule.pk}
        messages.success(
            request, "The daily export is set up. Copy its feed address now: it is shown only once."
        )
    else:
        state = "runs every day" if schedule.enabled else "is paused"
        messages.success(request, f"The daily {schedule.get_format_display()} export {state}.")
    return redirect("partner:exports")


@partner_required
@require_POST
def schedule_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _editable(request)
    schedule = get_object_or_404(ExportSchedule.objects.select_related("partner"), pk=pk, partner=partner)
    token = services.schedule_rotate_token(actor=acting_user(request), schedule=schedule)
    request.session[NEW_FEED_SESSION_KEY] = {"token": token, "schedule": schedule.pk}
    messages.success(request, "The feed has a new address; the old one no longer works. Copy it now.")
    return redirect("partner:exports")


@partner_required
@require_POST
def schedule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _editable(request)
    schedule = get_object_or_404(ExportSchedule.objects.select_related("partner"), pk=pk, partner=partner)
    services.schedule_delete(actor=acting_user(request), schedule=schedule)
    messages.success(request, "The daily export is removed; its feed address no longer works.")
    return redirect("partner:exports")
