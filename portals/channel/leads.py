"""Channel portal: the lead list, capturing a lead (form or CSV), the lead page with "Why this
partner?", routing, proposals, dispatching by hand, closing a lead, and the channel's lead settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.countries import COUNTRIES
from core.errors import InvalidTransition, NotAllowed
from leads import imports, rules, selectors, services
from leads.choices import LeadSource, LeadStatus, Strategy
from leads.models import DispatchDecision, Lead, LeadSettings
from partners import access
from partners import selectors as partner_selectors
from partners.choices import PartnerStatus
from portals.channel.lead_forms import (
    LeadDispatchForm,
    LeadFilterForm,
    LeadForm,
    LeadImportForm,
    LeadLostForm,
    LeadSettingsForm,
)
from portals.channel.partners import channel_crumbs as _crumbs
from portals.channel.partners import request_page
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors

# Pickers list this many partners at most (by name): a select of 10,000 options helps nobody.
PARTNER_PICK_LIMIT = 500
# The status chart counts the whole scope; it is cached this long instead of counted per view.
STATUS_COUNTS_TTL = 60
TIMELINE_LIMIT = 200

ROUTABLE = (LeadStatus.NEW, LeadStatus.UNROUTABLE)
DISPATCHABLE = (LeadStatus.NEW, LeadStatus.UNROUTABLE, LeadStatus.DISPATCHED)
STRATEGY_LABELS = {
    **dict(Strategy.choices),
    "by_hand": "Assigned by hand",
    "deal_registration": "Protected by an approved deal registration",
}


def _lead_crumbs(lead: Lead, *items: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return _crumbs(
        ("Leads", reverse("channel:lead_list")),
        (lead.company, reverse("channel:lead_detail", args=[lead.pk]) if items else None),
        *items,
    )


def visible_partner_choices(user: Any, *, active_only: bool = False) -> tuple[list[tuple[int, str]], bool]:
    """(id, name) of the partners this user may see, by name, at most PARTNER_PICK_LIMIT; and
    whether there were more. One query."""
    limit = PARTNER_PICK_LIMIT
    qs = partner_selectors.visible_partners(user)
    if active_only:
        qs = qs.filter(status=PartnerStatus.ACTIVE)
    rows = list(qs.order_by("name", "id").values_list("id", "name")[: limit + 1])
    return rows[:limit], len(rows) > limit


def partner_name_for_filter(user: Any, choices: list[tuple[int, str]], partner_id: int) -> str | None:
    """The name of a visible partner chosen as a filter (from the picker's rows when it is there,
    else one query); None when the user may not see it."""
    for pk, name in choices:
        if pk == partner_id:
            return name
    return (
        partner_selectors.visible_partners(user).filter(pk=partner_id).values_list("name", flat=True).first()
    )


def _outcome_message(lead: Lead) -> str:
    """What routing did with a lead, in one sentence for a flash message."""
    if lead.status == LeadStatus.DISPATCHED and lead.partner is not None:
        return f"Dispatched to {lead.partner.name}. {lead.dispatch_reason}"
    if lead.status == LeadStatus.UNROUTABLE:
        return f"Unroutable: {lead.dispatch_reason}"
    return "Automatic routing is off: the lead waits in the channel's queue until it is routed."


def _go_to_lead(request: HttpRequest, lead: Lead) -> HttpResponse:
    """The lead's page, or the list when routing gave the lead to a partner this user does not
    manage (its page would answer 404)."""
    if selectors.visible_leads(request.user).filter(pk=lead.pk).exists():
        return redirect("channel:lead_detail", pk=lead.pk)
    messages.info(request, f"{lead.company} went to a partner you do not manage, so it leaves your list.")
    return redirect("channel:lead_list")


# --- List -----------------------------------------------------------------------------------------


def status_counts(user: Any) -> dict[str, int]:
    """Visible leads per status, cached for a minute: counting the scope is a scan of millions of
    rows for an admin, too slow to repeat on every page view."""
    actor = access.actor_of(user)
    key = f"channel:lead-status-counts:{'all' if actor.is_admin else actor.user_id}"
    counts = cache.get(key)
    if counts is None:
        counts = selectors.lead_status_counts(user)
        cache.set(key, counts, STATUS_COUNTS_TTL)
    return counts  # type: ignore[no-any-return]


@channel_required
def lead_list(request: HttpRequest) -> HttpResponse:
    """Search and filter the visible leads, newest first, by keyset pages; no count of the whole
    set (millions of rows), only of one partner's leads when that filter is on.

    Queries: session, user, actor, partner picker, status counts (cached for a minute), page rows
    (partner, assignee and category joined): 6; with a partner filter, its count: 7; with a partner
    outside the picker, its name: 8."""
    user = request.user
    choices, _ = visible_partner_choices(user)
    form = LeadFilterForm(request.GET, partner_choices=choices)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    partner_name = None
    if "partner" in values:
        partner_name = partner_name_for_filter(user, choices, values["partner"])
        if partner_name is None:
            messages.warning(request, "That partner is not one of yours; the filter is ignored.")
            del values["partner"]
        elif all(pk != values["partner"] for pk, _ in choices):
            set_choices = [*choices, (values["partner"], partner_name)]
            form = LeadFilterForm(request.GET, partner_choices=set_choices)
            form.is_valid()
    leads = selectors.lead_list(
        user,
        q=values.get("q", ""),
        status=values.get("status", ""),
        partner=values.get("partner"),
        source=values.get("source", ""),
    )
    partner_total = leads.count() if "partner" in values else None
    page = request_page(request, leads, order="-created_at", size=settings.PAGE_SIZE)
    now = timezone.now()
    for lead in page.items:
        lead.country_name = COUNTRIES.get(lead.country, lead.country)  # type: ignore[attr-defined]
        lead.overdue = bool(  # type: ignore[attr-defined]
            lead.status == LeadStatus.DISPATCHED and lead.accept_by and lead.accept_by < now
        )
    counts = status_counts(user)
    by_status = [
        {"value": s.value, "label": s.label, "count": counts.get(s.value, 0), "url": f"?status={s.value}"}
        for s in LeadStatus
    ]
    filters = {k: v for k, v in values.items() if k in LeadFilterForm.FILTERS}
    return render(
        request,
        "portals/channel/leads/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "partner_name": partner_name if "partner" in values else None,
            "partner_total": partner_total,
            "by_status": by_status,
            "status_total": sum(counts.values()),
            "status_chart": {
                "type": "bar",
                "label": "Leads",
                "labels": [row["label"] for row in by_status],
                "values": [row["count"] for row in by_status],
            },
            "querystring": urlencode(filters),
            "is_admin": access.actor_of(user).is_admin,
            "breadcrumbs": _crumbs(("Leads", None)),
        },
    )


# --- Capture --------------------------------------------------------------------------------------


@channel_required
def lead_create(request: HttpRequest) -> HttpResponse:
    """Capture a lead; it is routed at once unless automatic routing is off."""
    form = LeadForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_create(
                actor=acting_user(request), fields={**form.cleaned_data, "source": LeadSource.CHANNEL}
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Lead {lead.company} created. {_outcome_message(lead)}")
            return _go_to_lead(request, lead)
    return render(
        request,
        "portals/channel/leads/form.html",
        {
            "form": form,
            "auto_route": LeadSettings.current().auto_route,
            "breadcrumbs": _crumbs(("Leads", reverse("channel:lead_list")), ("New lead", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def lead_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of leads; a background job validates and imports it row by row. A wrong header
    or a file that is no CSV is refused here, before anything is imported."""
    posted = request.method == "POST"
    form = LeadImportForm(request.POST if posted else None, request.FILES if posted else None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.lead_import_start(
                actor=acting_user(request), uploaded_file=form.cleaned_data["file"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, "Import started; this page shows its progress.")
            return redirect("job_detail", pk=job.pk)
    return render(
        request,
        "portals/channel/leads/import.html",
        {
            "form": form,
            "columns": imports.IMPORT_COLUMNS,
            "required": imports.REQUIRED_COLUMNS,
            "header": ",".join(imports.IMPORT_COLUMNS),
            "example": imports.EXAMPLE_CSV,
            "max_mb": imports.MAX_FILE_BYTES // 2**20,
            "breadcrumbs": _crumbs(("Leads", reverse("channel:lead_list")), ("Import CSV", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Detail ---------------------------------------------------------------------------------------


def figure_text(strategy: str, figure: float | None) -> str:
    """A candidate's deciding figure in words (weight, load or distance)."""
    if figure is None:
        return "—"
    if strategy == Strategy.NEAREST:
        return f"{figure:,.0f} km away"
    if strategy == Strategy.LEAST_LOADED:
        return f"{100 * figure:.0f}% of capacity in use"
    if strategy == Strategy.WEIGHTED:
        return f"{figure:.2f} recent leads per tier weight"
    return f"{figure:g}"


OTHER_PARTNER = "A partner you do not manage"


def partners_in_scope(user: Any, ids: set[int]) -> set[int]:
    """Which of these partners the user may see: no query for a channel admin (all), one otherwise."""
    if not ids:
        return set()
    if access.actor_of(user).is_admin:
        return set(ids)
    return set(partner_selectors.visible_partners(user).filter(pk__in=ids).values_list("id", flat=True))


@dataclass
class Proposal:
    partner_id: int
    name: str
    figure: str
    current: bool


def _decision_view(decision: DispatchDecision | None, mine: set[int]) -> dict[str, Any] | None:
    """The stored decision for the "Why this partner?" table. Partners outside the user's scope
    keep their figure or reason for being left out, but not their name."""
    if decision is None:
        return None
    candidates = [
        {
            "name": c.get("name", "") if c.get("partner_id") in mine else OTHER_PARTNER,
            "figure": figure_text(decision.strategy, c.get("figure")),
            "excluded": c.get("excluded", ""),
            "chosen": bool(c.get("chosen")),
        }
        for c in decision.candidates or []
        if isinstance(c, dict)
    ]
    return {
        "decision": decision,
        "strategy_label": STRATEGY_LABELS.get(decision.strategy, decision.strategy or "—"),
        "candidates": candidates,
        "considered": decision.considered,
        "unlisted": max(0, decision.considered - len(candidates)),
        "left_out": sorted((decision.left_out or {}).items()),
        "rules_tried": decision.rules_tried or [],
    }


def _render_detail(
    request: HttpRequest,
    lead: Lead,
    *,
    dispatch_form: LeadDispatchForm | None = None,
    lost_form: LeadLostForm | None = None,
    http_status: int = 200,
) -> HttpResponse:
    """Queries: session, user, actor, lead (partner, assignee, category, customer, creator joined),
    timeline (actors joined), latest decision and the person who decided it; for a channel manager,
    whether they manage the lead's partner (1-2) and which of the candidates are theirs (1); when
    the lead can be dispatched: the routing context (rules, their partners and categories,
    certifications, partners, open and recent counts, declines, protection: 9) and the partner
    picker. None grows with rows: 7 for an admin on a closed lead, 19 for a manager on an open one."""
    user = request.user
    may_dispatch = rules.can_dispatch(user, lead)
    dispatchable = may_dispatch and lead.status in DISPATCHABLE
    stored = selectors.latest_decision(lead)
    proposed = services.lead_proposals(lead=lead) if dispatchable else None
    ids = {c["partner_id"] for c in (stored.candidates if stored else []) if isinstance(c, dict)}
    ids |= {c.partner_id for c in proposed.candidates} if proposed else set()
    mine = partners_in_scope(user, {i for i in ids if isinstance(i, int)})
    proposals: list[Proposal] = []
    proposal_reason = ""
    hidden_proposals = 0
    pick_truncated = False
    if proposed is not None:
        ranked = proposed.ranked
        proposals = [
            Proposal(
                partner_id=c.partner_id,
                name=c.name,
                figure=figure_text(proposed.strategy, c.figure),
                current=c.partner_id == lead.partner_id,
            )
            for c in ranked
            if c.partner_id in mine
        ]
        hidden_proposals = len(ranked) - len(proposals)
        chosen_is_mine = proposed.partner_id is None or proposed.partner_id in mine
        proposal_reason = (
            proposed.reason
            if chosen_is_mine
            else "Routing would give this lead to a partner that is not one of yours."
        )
        choices, pick_truncated = visible_partner_choices(user, active_only=True)
        dispatch_form = dispatch_form or LeadDispatchForm()
        dispatch_form.set_partner_choices(choices)
    may_close = may_dispatch and lead.can_move_to(LeadStatus.LOST)
    if may_close:
        lost_form = lost_form or LeadLostForm()
    now = timezone.now()
    return render(
        request,
        "portals/channel/leads/detail.html",
        {
            "lead": lead,
            "country_name": COUNTRIES.get(lead.country, lead.country),
            "overdue": bool(lead.status == LeadStatus.DISPATCHED and lead.accept_by and lead.accept_by < now),
            "timeline": list(selectors.lead_timeline(lead)[:TIMELINE_LIMIT]),
            "why": _decision_view(stored, mine),
            "may_dispatch": dispatchable,
            "may_route": may_dispatch and lead.status in ROUTABLE,
            "proposals": proposals,
            "proposal_reason": proposal_reason,
            "hidden_proposals": hidden_proposals,
            "dispatch_form": dispatch_form,
            "pick_truncated": pick_truncated,
            "pick_limit": PARTNER_PICK_LIMIT,
            "may_close": may_close,
            "lost_form": lost_form,
            "breadcrumbs": _lead_crumbs(lead),
        },
        status=http_status,
    )


def _visible_lead(request: HttpRequest, pk: int) -> Lead:
    """The lead if this user may see it, else 404 (its existence does not leak)."""
    try:
        return selectors.lead_detail(request.user, pk)
    except Lead.DoesNotExist:
        raise Http404("No such lead.")


@channel_required
def lead_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _visible_lead(request, pk))


def _errors_to(request: HttpRequest, form: Form, exc: ValidationError) -> bool:
    """Field errors go on the form; the rest (e.g. the lead's status moved on) become a message.
    True when the form got an error."""
    on_form = False
    for field, errors in exc.message_dict.items():
        for error in errors:
            if field in form.fields:
                form.add_error(field, error)
                on_form = True
            else:
                messages.error(request, error)
    return on_form


@require_POST
@channel_required
def lead_route(request: HttpRequest, pk: int) -> HttpResponse:
    """Route a new or unroutable lead by the dispatch rules."""
    lead = _visible_lead(request, pk)
    if not rules.can_dispatch(request.user, lead):
        raise PermissionDenied("Only the partner's channel manager or a channel admin routes this lead.")
    try:
        lead = services.lead_route(lead=lead, actor=acting_user(request))
    except (ValidationError, InvalidTransition) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        return redirect("channel:lead_detail", pk=lead.pk)
    if lead.status == LeadStatus.DISPATCHED:
        messages.success(request, _outcome_message(lead))
    else:
        messages.warning(request, _outcome_message(lead))
    return _go_to_lead(request, lead)


@require_POST
@channel_required
def lead_dispatch(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the lead to a partner by hand: a proposal's button, or any visible partner."""
    lead = _visible_lead(request, pk)
    if not rules.can_dispatch(request.user, lead):
        raise PermissionDenied("Only the partner's channel manager or a channel admin dispatches this lead.")
    form = LeadDispatchForm(request.POST)
    if form.is_valid():
        partner = (
            partner_selectors.visible_partners(request.user).filter(pk=form.cleaned_data["partner"]).first()
        )
        if partner is None:
            form.add_error("partner", "Choose one of your partners.")
        else:
            try:
                lead = services.lead_dispatch_to(
                    lead=lead, actor=acting_user(request), partner=partner, reason=form.cleaned_data["reason"]
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except InvalidTransition as exc:
                messages.error(request, str(exc))
                return redirect("channel:lead_detail", pk=lead.pk)
            except ValidationError as exc:
                if not _errors_to(request, form, exc):
                    return redirect("channel:lead_detail", pk=lead.pk)
            else:
                accept_by = timezone.localtime(lead.accept_by) if lead.accept_by else None
                messages.success(
                    request,
                    f"Dispatched to {partner.name} by hand"
                    + (f"; they have until {accept_by:%d %b %Y, %H:%M} to accept." if accept_by else "."),
                )
                return _go_to_lead(request, lead)
    return _render_detail(request, lead, dispatch_form=form, http_status=400)


@require_POST
@channel_required
def lead_lost(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the lead as lost, with the reason."""
    lead = _visible_lead(request, pk)
    if not rules.can_dispatch(request.user, lead):
        raise PermissionDenied("Only the partner's channel manager or a channel admin closes this lead.")
    form = LeadLostForm(request.POST)
    if form.is_valid():
        try:
            lead = services.lead_mark_lost(
                lead=lead, actor=acting_user(request), reason=form.cleaned_data["reason"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except InvalidTransition as exc:
            messages.error(request, str(exc))
            return redirect("channel:lead_detail", pk=lead.pk)
        except ValidationError as exc:
            if not _errors_to(request, form, exc):
                return redirect("channel:lead_detail", pk=lead.pk)
        else:
            messages.success(request, f"{lead.company} marked lost.")
            return redirect("channel:lead_detail", pk=lead.pk)
    return _render_detail(request, lead, lost_form=form, http_status=400)


# --- Settings -------------------------------------------------------------------------------------


@channel_required
def lead_settings(request: HttpRequest) -> HttpResponse:
    """Channel-wide lead settings (channel admins)."""
    if not access.actor_of(request.user).is_admin:
        raise PermissionDenied("Only channel admins change the lead settings.")
    current = LeadSettings.current()
    form = LeadSettingsForm(
        request.POST if request.method == "POST" else None, initial={"auto_route": current.auto_route}
    )
    if request.method == "POST" and form.is_valid():
        try:
            current = services.lead_settings_update(
                actor=acting_user(request), auto_route=form.cleaned_data["auto_route"]
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        messages.success(
            request,
            "New leads are now routed automatically."
            if current.auto_route
            else "Automatic routing is off: new leads wait in the channel's queue.",
        )
        return redirect("channel:lead_settings")
    return render(
        request,
        "portals/channel/leads/settings.html",
        {
            "form": form,
            "breadcrumbs": _crumbs(("Leads", reverse("channel:lead_list")), ("Lead settings", None)),
        },
    )
