"""The partner's lead inbox and lead page: new leads first with their deadline, accept in one click
or decline with a reason, assign to a person, qualify, mark won or lost.

Leads are fetched through leads.selectors (out of scope is 404); the services check the action rule
again (NotAllowed is 403). A distributor's manager sees its resellers' leads read-only."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST

from core.errors import InvalidTransition, NotAllowed
from core.models import User
from core.paging import Page
from leads import rules, selectors, services
from leads.choices import LeadStatus
from leads.models import Lead
from partners import access
from partners.choices import Role
from portals.crumbs import partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import add_service_errors, error_text
from portals.paging import request_page
from portals.partner.lead_forms import (
    AssignForm,
    DeclineForm,
    LeadFilterForm,
    LostForm,
    QualifyForm,
    WonForm,
)
from portals.partner.orders import can_convert

WAITING_ORDER = "accept_by"  # soonest deadline first
REST_ORDER = "-created_at"
SOON_HOURS = 4  # a deadline this close is shown as urgent
TIMELINE_SHOWN = 200  # a lead's timeline is short; the cap keeps a pathological one bounded
MEMBERS_SHOWN = 500
OPEN = (LeadStatus.DISPATCHED, LeadStatus.ACCEPTED, LeadStatus.QUALIFIED)


# --- Helpers -----------------------------------------------------------------------------------------


def deadline(accept_by: datetime | None, now: datetime) -> dict[str, Any] | None:
    """The acceptance deadline as people read it: "accept within 5 h", "overdue by 2 h"."""
    if accept_by is None:
        return None
    seconds = (accept_by - now).total_seconds()
    overdue = seconds <= 0
    # Time left rounds up ("within 5 h" while 4 h 10 min remain); time overdue rounds down.
    rounding = math.floor if overdue else math.ceil
    minutes = max(1, rounding(abs(seconds) / 60))
    if minutes < 60:
        span = f"{minutes} min"
    elif minutes <= 72 * 60:
        span = f"{rounding(minutes / 60)} h"
    else:
        span = f"{rounding(minutes / (24 * 60))} days"
    return {
        "at": accept_by,
        "text": f"overdue by {span}" if overdue else f"accept within {span}",
        "overdue": overdue,
        "soon": not overdue and seconds <= SOON_HOURS * 3600,
    }


def _visible_lead(request: HttpRequest, pk: int) -> Lead:
    """The lead if this user may see it, else 404 (its existence does not leak)."""
    # The order it was converted into joined (Order.lead, related_name "order"): the page links it.
    return get_object_or_404(selectors.partner_lead_detail(request.user).select_related("order"), pk=pk)


def _is_manager(request: HttpRequest) -> bool:
    return access.actor_of(request.user).role == Role.PARTNER_MANAGER


# --- Inbox ----------------------------------------------------------------------------------------


def _row(request: HttpRequest, lead: Lead, now: datetime) -> dict[str, Any]:
    own_partner_id = access.actor_of(request.user).partner_id
    return {
        "lead": lead,
        "can_work": rules.can_work(request.user, lead),
        "other_partner": lead.partner if lead.partner_id != own_partner_id else None,
        "deadline": deadline(lead.accept_by, now) if lead.status == LeadStatus.DISPATCHED else None,
    }


@partner_required
@require_GET
def lead_inbox(request: HttpRequest) -> HttpResponse:
    """New leads first (waiting for acceptance, soonest deadline first), then the rest, newest first.

    Queries: session, user, actor, one page of waiting leads, one page of the rest (partner,
    assignee and category joined): 5, whatever the page size. Paging the rest leaves the waiting
    leads out (4). With ?panel=waiting it answers the home page's "New leads waiting" panel."""
    if request.GET.get("panel") == "waiting":
        return waiting_panel(request)
    is_manager = _is_manager(request)
    form = LeadFilterForm(request.GET, is_manager=is_manager)
    if not form.is_valid():
        labels = ", ".join(str(form.fields[name].label or name) for name in form.errors)
        messages.warning(request, f"Some filters were not understood and are ignored: {labels}.")
    filters = {k: v for k, v in form.valid_values().items() if k in ("q", "status", "assigned")}
    leads = selectors.partner_inbox(
        request.user,
        q=filters.get("q", ""),
        status=filters.get("status", ""),
        assigned=filters.get("assigned", ""),
    )
    now = timezone.now()
    paging_rest = bool(request.GET.get("after") or request.GET.get("before"))
    waiting: Page[Lead] | None = None
    if not paging_rest and filters.get("status", LeadStatus.DISPATCHED) == LeadStatus.DISPATCHED:
        waiting = request_page(
            request,
            leads.filter(selectors.AWAITING_ACCEPTANCE),
            order=WAITING_ORDER,
            after="waiting_after",
            before="waiting_before",
        )
    rest = request_page(request, leads.exclude(selectors.AWAITING_ACCEPTANCE), order=REST_ORDER)
    querystring = urlencode(filters)
    return render(
        request,
        "portals/partner/leads/inbox.html",
        {
            "form": form,
            "filtered": bool(filters),
            "is_manager": is_manager,
            "waiting": waiting,
            "waiting_rows": [_row(request, lead, now) for lead in waiting.items] if waiting else [],
            "page": rest,
            "rows": [_row(request, lead, now) for lead in rest.items],
            "paging_rest": paging_rest,
            "querystring": querystring,
            "here": request.get_full_path(),
            "breadcrumbs": partner_crumbs(("Leads", None)),
        },
    )


def waiting_panel(request: HttpRequest) -> HttpResponse:
    """The home page's "New leads waiting" panel body (loaded by htmx): how many of the partner's
    leads wait for acceptance and the soonest deadline. Queries: session, user, actor, one aggregate."""
    summary = selectors.waiting_summary(request.user)
    first = deadline(summary["first_deadline"], timezone.now())
    return render(
        request, "portals/partner/leads/_waiting_panel.html", {"count": summary["count"], "first": first}
    )


# --- Lead page ------------------------------------------------------------------------------------


def _members(request: HttpRequest, lead: Lead) -> dict[int, User]:
    """The partner's active people the lead may be assigned to, by user id (ordered by e-mail)."""
    members = selectors.assignable_members(request.user, lead)[:MEMBERS_SHOWN]
    return {m.user_id: m.user for m in members}


def _choices(members: dict[int, User]) -> list[tuple[int, str]]:
    return [(pk, f"{user.display_name} <{user.email}>") for pk, user in members.items()]


def _forms_for(request: HttpRequest, lead: Lead) -> dict[str, Any]:
    """The action forms this user may use on the lead in its current status (unbound)."""
    forms: dict[str, Any] = {}
    if rules.can_work(request.user, lead):
        if lead.status == LeadStatus.DISPATCHED:
            forms["accept"] = True
            forms["decline"] = DeclineForm(auto_id="id_decline_%s")
        if lead.status == LeadStatus.ACCEPTED:
            forms["qualify"] = QualifyForm(
                auto_id="id_qualify_%s",
                initial={
                    "budget": lead.budget,
                    "authority": lead.authority,
                    "need": lead.need,
                    "timeline": lead.timeline,
                    "notes": lead.qualification_notes,
                },
            )
        if lead.status in (LeadStatus.ACCEPTED, LeadStatus.QUALIFIED):
            forms["won"] = WonForm(auto_id="id_won_%s", initial={"value": lead.estimated_value})
            forms["lost"] = LostForm(auto_id="id_lost_%s")
    if rules.can_assign(request.user, lead) and lead.status in OPEN:
        forms["assign"] = AssignForm(
            auto_id="id_assign_%s",
            members=_choices(_members(request, lead)),
            initial={"user": lead.assigned_to_id or ""},
        )
    return forms


def render_detail(
    request: HttpRequest, lead: Lead, *, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """The lead page. `bound` replaces an action form by the one the user just sent (with errors).

    Queries: session, user, actor, the lead (partner, assignee, category, customer joined), the
    latest decision, the timeline (actors joined); managers: the partner's people."""
    decision = selectors.latest_decision(lead)
    if decision is not None and decision.partner_id == lead.partner_id:
        why = decision.reason
    else:
        why = lead.dispatch_reason
    forms = {**_forms_for(request, lead), **(bound or {})}
    actor = access.actor_of(request.user)
    context = {
        "lead": lead,
        "why": why,
        "timeline": list(selectors.partner_timeline(lead)[:TIMELINE_SHOWN]),
        "forms": forms,
        "can_work": rules.can_work(request.user, lead),
        "order": getattr(lead, "order", None),
        "can_convert": can_convert(request.user, lead),
        "is_open": lead.status in OPEN,
        "other_partner": lead.partner if lead.partner_id != actor.partner_id else None,
        "deadline": deadline(lead.accept_by, timezone.now())
        if lead.status == LeadStatus.DISPATCHED
        else None,
        "breadcrumbs": partner_crumbs(("Leads", reverse("partner:lead_inbox")), (lead.company, None)),
    }
    return render(request, "portals/partner/leads/detail.html", context, status=status)


@partner_required
@require_GET
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return render_detail(request, _visible_lead(request, pk))


# --- Actions --------------------------------------------------------------------------------------

LeadAction = Callable[[HttpRequest, Lead], HttpResponse]


def lead_action(rule: Callable[[Any, Lead], bool]) -> Callable[[LeadAction], Callable[..., HttpResponse]]:
    """A POST on one visible lead: 404 outside the user's scope, 403 unless `rule` allows it (the
    service checks again), a workflow refusal is a message and changes nothing."""

    def decorate(action: LeadAction) -> Callable[..., HttpResponse]:
        @partner_required
        @require_POST
        @wraps(action)
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            lead = _visible_lead(request, pk)
            if not rule(request.user, lead):
                raise PermissionDenied("You may read this lead but not act on it.")
            try:
                return action(request, lead)
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except InvalidTransition as exc:
                messages.error(request, f"{exc} Nothing was changed.")
                return redirect("partner:lead_detail", pk=lead.pk)

        return view

    return decorate


def _back(request: HttpRequest, lead: Lead) -> str:
    """Where a one-click action returns: the inbox page it came from (`next`), else the lead page."""
    target = request.POST.get("next", "")
    prefix = reverse("partner:lead_inbox")
    if (
        target.startswith(prefix)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and "\\" not in target
    ):
        return target
    return reverse("partner:lead_detail", args=[lead.pk])


def _refused(request: HttpRequest, lead: Lead, form_name: str, form: Any, message: str) -> HttpResponse:
    messages.error(request, message)
    return render_detail(request, lead, bound={form_name: form}, status=400)


@lead_action(rules.can_work)
def lead_accept(request: HttpRequest, lead: Lead) -> HttpResponse:
    back = _back(request, lead)
    if lead.status in (LeadStatus.ACCEPTED, LeadStatus.QUALIFIED):  # a second tap on a slow phone
        messages.info(request, f"The lead {lead.company} is already accepted.")
        return redirect(back)
    try:
        lead = services.lead_accept(lead=lead, actor=acting_user(request))
    except ValidationError as exc:
        messages.error(request, f"{error_text(exc)} Nothing was changed.")
        return redirect(back)
    except InvalidTransition as exc:
        messages.error(request, f"{exc} Nothing was changed.")
        return redirect(back)
    messages.success(request, f"You accepted the lead {lead.company}. Qualify it next.")
    return redirect(back)


@lead_action(rules.can_work)
def lead_decline(request: HttpRequest, lead: Lead) -> HttpResponse:
    form = DeclineForm(request.POST, auto_id="id_decline_%s")
    if not form.is_valid():
        return _refused(request, lead, "decline", form, "Say why you decline the lead.")
    try:
        services.lead_decline(lead=lead, actor=acting_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, lead, "decline", form, "The lead was not declined; see the errors below.")
    messages.success(request, f"You declined the lead {lead.company}; it goes to another partner.")
    return redirect("partner:lead_inbox")


@lead_action(rules.can_assign)
def lead_assign(request: HttpRequest, lead: Lead) -> HttpResponse:
    members = _members(request, lead)
    form = AssignForm(request.POST, auto_id="id_assign_%s", members=_choices(members))
    if not form.is_valid():
        return _refused(request, lead, "assign", form, "Choose one of your partner's active people.")
    person = members.get(form.cleaned_data["user"]) if form.cleaned_data["user"] is not None else None
    try:
        services.lead_assign_user(lead=lead, actor=acting_user(request), user=person)
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, lead, "assign", form, "The lead was not assigned; see the errors below.")
    if person is None:
        messages.success(request, f"The lead {lead.company} is now unassigned.")
    else:
        messages.success(request, f"The lead {lead.company} is assigned to {person.display_name}.")
    return redirect("partner:lead_detail", pk=lead.pk)


@lead_action(rules.can_work)
def lead_qualify(request: HttpRequest, lead: Lead) -> HttpResponse:
    form = QualifyForm(request.POST, auto_id="id_qualify_%s")
    if not form.is_valid():
        return _refused(request, lead, "qualify", form, "The lead was not qualified; see the errors below.")
    data = form.cleaned_data
    try:
        services.lead_qualify(
            lead=lead,
            actor=acting_user(request),
            budget=data["budget"],
            authority=data["authority"],
            need=data["need"],
            timeline=data["timeline"],
            notes=data["notes"],
        )
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, lead, "qualify", form, "The lead was not qualified; see the errors below.")
    messages.success(request, f"The lead {lead.company} is qualified.")
    return redirect("partner:lead_detail", pk=lead.pk)


@lead_action(rules.can_work)
def lead_won(request: HttpRequest, lead: Lead) -> HttpResponse:
    form = WonForm(request.POST, auto_id="id_won_%s")
    if not form.is_valid():
        return _refused(request, lead, "won", form, "Give the won value (zero or more).")
    try:
        lead = services.lead_mark_won(lead=lead, actor=acting_user(request), value=form.cleaned_data["value"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, lead, "won", form, "The lead was not marked won; see the errors below.")
    messages.success(request, f"Well done: {lead.company} is won ({lead.won_value} {lead.currency}).")
    return redirect("partner:lead_detail", pk=lead.pk)


@lead_action(rules.can_work)
def lead_lost(request: HttpRequest, lead: Lead) -> HttpResponse:
    form = LostForm(request.POST, auto_id="id_lost_%s")
    if not form.is_valid():
        return _refused(request, lead, "lost", form, "Say why the lead is lost.")
    try:
        services.lead_mark_lost(lead=lead, actor=acting_user(request), reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _refused(request, lead, "lost", form, "The lead was not marked lost; see the errors below.")
    messages.success(request, f"The lead {lead.company} is marked lost.")
    return redirect("partner:lead_detail", pk=lead.pk)
