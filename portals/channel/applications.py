"""Channel portal: the queue of partner applications, and the approve / reject decisions."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.errors import NotAllowed
from partners import selectors, services
from partners.choices import ApplicationStatus
from partners.models import PartnerApplication
from portals.channel.forms import (
    APPLICATION_TABS,
    ApplicationApproveForm,
    ApplicationFilterForm,
    ApplicationRejectForm,
)
from portals.channel.partners import channel_crumbs as _crumbs
from portals.channel.partners import request_page
from portals.decorators import acting_user, channel_required


@channel_required
def application_list(request: HttpRequest) -> HttpResponse:
    """The applications queue, one tab per status (pending first), newest first.

    Queries: session, user, actor, counts per status, page rows (partner and decider joined): 5."""
    form = ApplicationFilterForm(request.GET)
    if not form.is_valid():
        messages.warning(request, "Unknown tab; showing the pending applications.")
    status = form.cleaned_data.get("status") if form.is_valid() else ""
    status = status or ApplicationStatus.PENDING.value
    counts = selectors.application_status_counts(request.user)
    tabs = [
        {
            "key": key,
            "label": label,
            "count": sum(counts.values()) if key == "all" else counts.get(key, 0),
            "url": f"?status={key}",
            "current": key == status,
        }
        for key, label in APPLICATION_TABS
    ]
    queue = selectors.application_queue(request.user, "" if status == "all" else status)
    page = request_page(request, queue, order="-created_at", size=settings.PAGE_SIZE)
    return render(
        request,
        "portals/channel/applications/list.html",
        {
            "page": page,
            "tabs": tabs,
            "status": status,
            "status_label": dict(APPLICATION_TABS)[status],
            "querystring": f"status={status}",
            "breadcrumbs": _crumbs(("Applications", None)),
        },
    )


def _render_detail(
    request: HttpRequest,
    application: PartnerApplication,
    *,
    approve_form: ApplicationApproveForm | None = None,
    reject_form: ApplicationRejectForm | None = None,
    http_status: int = 200,
) -> HttpResponse:
    pending = application.status == ApplicationStatus.PENDING
    if pending:
        approve_form = approve_form or ApplicationApproveForm(
            distributors=selectors.distributor_candidates(request.user),
            initial={"tier": selectors.tiers().values_list("id", flat=True).first()},
        )
        reject_form = reject_form or ApplicationRejectForm()
    return render(
        request,
        "portals/channel/applications/detail.html",
        {
            "application": application,
            "pending": pending,
            "approve_form": approve_form,
            "reject_form": reject_form,
            "breadcrumbs": _crumbs(
                ("Applications", reverse("channel:application_list")), (application.company, None)
            ),
        },
        status=http_status,
    )


def _visible_application(request: HttpRequest, pk: int) -> PartnerApplication:
    return get_object_or_404(selectors.visible_applications(request.user), pk=pk)


@channel_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_application(request, pk))


def _service_errors(request: HttpRequest, form: Form, exc: ValidationError) -> None:
    """Field errors go on the form; the rest (already decided, contact has an account) become a
    message, since the decision forms are gone once an application is decided."""
    for field, errors in exc.message_dict.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
            else:
                messages.error(request, error)


@require_POST
@channel_required
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve: the partner is created in onboarding and the contact invited as its partner manager."""
    application = _visible_application(request, pk)
    form = ApplicationApproveForm(request.POST, distributors=selectors.distributor_candidates(request.user))
    if form.is_valid():
        try:
            partner = services.application_approve(
                application=application,
                actor=acting_user(request),
                tier=form.cleaned_data["tier"],
                partner_type=form.cleaned_data["partner_type"],
                parent=form.cleaned_data["parent"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            _service_errors(request, form, exc)
            application.refresh_from_db()
        else:
            messages.success(
                request,
                f"{partner.name} approved and now onboarding; {application.contact_email} is invited as "
                "partner manager.",
            )
            return redirect("channel:partner_detail", pk=partner.pk)
    return _render_detail(request, application, approve_form=form, http_status=400)


@require_POST
@channel_required
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    """Reject with a reason, which the applicant receives by e-mail."""
    application = _visible_application(request, pk)
    form = ApplicationRejectForm(request.POST)
    if form.is_valid():
        try:
            services.application_reject(
                application=application,
                actor=acting_user(request),
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            _service_errors(request, form, exc)
            application.refresh_from_db()
        else:
            messages.success(
                request, f"Application of {application.company} rejected; the applicant is told why."
            )
            return redirect("channel:application_list")
    return _render_detail(request, application, reject_form=form, http_status=400)
