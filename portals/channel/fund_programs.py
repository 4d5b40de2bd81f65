"""Channel portal: MDF programmes, allocations and ROI (/channel/funds/programs/...); the URLs of
the journal and its ERP export (portals.channel.fund_journal) are here as well.

Every channel user reads programmes, their allocations (those of the partners they may see) and the
ROI; channel admins set programmes up, allocate, open and close them (mdf.rules.can_manage_programs)
and alone see the journal (mdf.rules.can_see_journal); others get 403 on those pages and actions."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from core.errors import InvalidTransition, NotAllowed
from mdf import rules, selectors, services
from mdf.choices import ProgramStatus, RequestStatus
from mdf.models import ZERO, FundAllocation, FundProgram, FundRequest
from partners import access
from partners import selectors as partner_selectors
from partners.choices import PartnerStatus
from partners.models import Partner
from portals.channel import fund_journal
from portals.channel.fund_program_forms import AllocationForm, ProgramFilterForm, ProgramForm
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors, error_text, form_error_text
from portals.paging import request_page

PROGRAM_PAGE_SIZE = 25
ALLOCATION_PAGE_SIZE = 50
ROI_REQUEST_PAGE_SIZE = 25
# The ROI page names the partners that earned most; the rest are counted.
ROI_PARTNERS_SHOWN = 50
CHART_PARTNERS = 20
# The tier-share preview lists this many partners (by name) and sums up all of them.
PREVIEW_ROWS = 200
SKIPPED_NAMED = 10

STATUS_BADGES: dict[str, str] = {
    ProgramStatus.DRAFT: "text-bg-secondary",
    ProgramStatus.OPEN: "text-bg-success",
    ProgramStatus.CLOSED: "text-bg-dark",
}


def _crumbs(*items: Crumb) -> list[Crumb]:
    return channel_crumbs(("Fund programmes", reverse("channel:fund_program_list")), *items)


def _program_crumbs(program: FundProgram, *items: Crumb) -> list[Crumb]:
    if not items:
        return _crumbs((program.name, None))
    return _crumbs((program.name, reverse("channel:fund_program_detail", args=[program.pk])), *items)


def _require_manage(request: HttpRequest) -> None:
    if not rules.can_manage_programs(request.user):
        raise PermissionDenied("Only channel admins set up, allocate, open and close fund programmes.")


def _program(request: HttpRequest, pk: int) -> FundProgram:
    return get_object_or_404(selectors.visible_programs(request.user), pk=pk)


def _fmt(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def _detail(program: FundProgram) -> HttpResponse:
    return redirect("channel:fund_program_detail", program.pk)


# --- Figures --------------------------------------------------------------------------------------


@dataclass
class Segment:
    """One part of a money bar: what it is, how much, and its width (a CSS percentage)."""

    key: str
    label: str
    amount: Decimal
    width: str


@dataclass
class Figures:
    """Money of a programme or an allocation, in its currency: allocated and how it is used. With a
    budget (a programme), what is not allocated yet is part of the bar as well."""

    currency: str
    allocated: Decimal
    reserved: Decimal
    claimed: Decimal
    paid: Decimal
    expired: Decimal = ZERO
    budget: Decimal | None = None

    @property
    def available(self) -> Decimal:
        return self.allocated - self.reserved - self.claimed - self.paid

    @property
    def unallocated(self) -> Decimal:
        """Budget neither allocated nor expired (programmes only)."""
        return max(ZERO, (self.budget or ZERO) - self.allocated - self.expired)

    @property
    def committed(self) -> Decimal:
        return self.reserved + self.claimed + self.paid

    def segments(self) -> list[Segment]:
        """The bar's parts, widths as a share of the budget (or of what was allocated and expired)."""
        parts = [
            ("paid", "Paid", self.paid),
            ("claimed", "Claimed", self.claimed),
            ("reserved", "Reserved", self.reserved),
            ("available", "Available", self.available),
            ("expired", "Expired", self.expired),
        ]
        if self.budget is not None:
            parts.append(("unallocated", "Not allocated", self.unallocated))
        whole = sum((amount for _, _, amount in parts), ZERO)
        return [
            Segment(key, label, amount, f"{amount * 100 / whole:.2f}" if whole > 0 else "0")
            for key, label, amount in parts
        ]


def _sums(queryset: QuerySet[FundAllocation]) -> dict[str, Any]:
    """One query: the allocations' money and how many there are."""
    return queryset.aggregate(
        allocated=Sum("amount"),
        reserved=Sum("reserved"),
        claimed=Sum("claimed"),
        paid=Sum("paid"),
        expired=Sum("expired"),
        count=Count("id"),
    )


def _figures(sums: dict[str, Any], currency: str, budget: Decimal | None = None) -> Figures:
    return Figures(
        currency=currency,
        allocated=sums.get("allocated") or ZERO,
        reserved=sums.get("reserved") or ZERO,
        claimed=sums.get("claimed") or ZERO,
        paid=sums.get("paid") or ZERO,
        expired=sums.get("expired") or ZERO,
        budget=budget,
    )


def _allocation_figures(allocation: FundAllocation) -> Figures:
    return Figures(
        currency=allocation.program.currency,
        allocated=allocation.amount,
        reserved=allocation.reserved,
        claimed=allocation.claimed,
        paid=allocation.paid,
        expired=allocation.expired,
    )


def _grouped_chart(
    labels: list[str], series: Iterable[tuple[str, list[Decimal]]], currency: str
) -> dict[str, Any]:
    """The JSON that static/js/fund-charts.js draws as grouped bars (amounts as numbers)."""
    return {
        "labels": labels,
        "currency": currency,
        "datasets": [{"label": label, "values": [float(v) for v in values]} for label, values in series],
    }


# --- Programme list and form ----------------------------------------------------------------------


@channel_required
def fund_program_list(request: HttpRequest) -> HttpResponse:
    """The programmes, newest period first, with their money in a bar.

    Queries: session, user, actor, the page of programmes with their allocations' sums (one
    grouped query): 4."""
    form = ProgramFilterForm(request.GET)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    programs = selectors.visible_programs(request.user)
    if values.get("status"):
        programs = programs.filter(status=values["status"])
    programs = programs.annotate(
        reserved_sum=Sum("allocations__reserved"),
        claimed_sum=Sum("allocations__claimed"),
        paid_sum=Sum("allocations__paid"),
        expired_sum=Sum("allocations__expired"),
    )
    page = request_page(request, programs, order="-starts_on", size=PROGRAM_PAGE_SIZE)
    rows = [
        {
            "program": program,
            "badge": STATUS_BADGES.get(program.status, "text-bg-secondary"),
            "figures": Figures(
                currency=program.currency,
                allocated=program.allocated_total,
                reserved=program.reserved_sum or ZERO,
                claimed=program.claimed_sum or ZERO,
                paid=program.paid_sum or ZERO,
                expired=program.expired_sum or ZERO,
                budget=program.budget,
            ),
        }
        for program in page.items
    ]
    filters = {k: v for k, v in values.items() if k in ProgramFilterForm.FILTERS}
    return render(
        request,
        "portals/channel/funds/program_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": bool(filters),
            "querystring": urlencode(filters),
            "can_manage": rules.can_manage_programs(request.user),
            "can_see_journal": rules.can_see_journal(request.user),
            "breadcrumbs": channel_crumbs(("Fund programmes", None)),
        },
    )


def _program_form(request: HttpRequest, program: FundProgram | None) -> HttpResponse:
    """The create and edit form: validate, save through program_create/program_update, errors on the
    form (and nothing saved)."""
    form = ProgramForm(request.POST if request.method == "POST" else None, program=program)
    if request.method == "POST":
        if form.is_valid():
            try:
                if program is None:
                    saved = services.program_create(
                        actor=acting_user(request), **form.service_fields(with_currency=True)
                    )
                else:
                    saved = services.program_update(
                        program=program,
                        actor=acting_user(request),
                        **form.service_fields(with_currency=False),
                    )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if program is None:
                    messages.success(
                        request,
                        f"Programme “{saved.name}” set up as a draft. Allocate its budget, then open it.",
                    )
                else:
                    messages.success(request, f"Programme “{saved.name}” saved.")
                return _detail(saved)
        messages.error(request, "The programme was not saved; correct the fields marked below.")
    title = f"Edit “{program.name}”" if program is not None else "New fund programme"
    return render(
        request,
        "portals/channel/funds/program_form.html",
        {
            "form": form,
            "program": program,
            "title": title,
            "submit_label": "Save programme" if program is not None else "Set up programme",
            "breadcrumbs": _program_crumbs(program, ("Edit", None)) if program else _crumbs(("New", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def fund_program_create(request: HttpRequest) -> HttpResponse:
    _require_manage(request)
    return _program_form(request, None)


@channel_required
def fund_program_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_manage(request)
    program = _program(request, pk)
    if program.status == ProgramStatus.CLOSED:
        messages.warning(request, f"“{program.name}” is closed; it can no longer be changed.")
        return _detail(program)
    return _program_form(request, program)


@require_POST
@channel_required
def fund_program_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open a draft programme: its partners may request funds from their allocations."""
    _require_manage(request)
    program = _program(request, pk)
    try:
        services.program_open(program=program, actor=acting_user(request))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except InvalidTransition:
        messages.error(
            request, f"“{program.name}” is {program.get_status_display().lower()}; only a draft opens."
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, f"“{program.name}” is open: its partners may now request funds.")
    return _detail(program)


@require_safe
@channel_required
def fund_program_close_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """What closing does, in figures, and the button that does it.

    Queries: session, user, actor, programme, allocation sums, open requests: 6."""
    _require_manage(request)
    program = _program(request, pk)
    if program.status == ProgramStatus.CLOSED:
        messages.info(request, f"“{program.name}” is closed already.")
        return _detail(program)
    figures = _figures(
        _sums(FundAllocation.objects.filter(program=program)), program.currency, program.budget
    )
    open_requests = FundRequest.objects.filter(
        program=program, status__in=[RequestStatus.DRAFT, RequestStatus.SUBMITTED]
    ).count()
    return render(
        request,
        "portals/channel/funds/program_close.html",
        {
            "program": program,
            "figures": figures,
            "open_requests": open_requests,
            "before_deadline": program.claim_deadline >= timezone.localdate(),
            "breadcrumbs": _program_crumbs(program, ("Close", None)),
        },
    )


@require_POST
@channel_required
def fund_program_close(request: HttpRequest, pk: int) -> HttpResponse:
    """Close a programme: open requests end, unused reservations are released and unused money
    expires (services.program_close). Claims already filed can still be decided and paid."""
    _require_manage(request)
    program = _program(request, pk)
    if program.status == ProgramStatus.CLOSED:
        messages.info(request, f"“{program.name}” is closed already.")
        return _detail(program)
    try:
        services.program_close(program=program, actor=acting_user(request))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    expired = FundAllocation.objects.filter(program=program).aggregate(total=Sum("expired"))["total"] or ZERO
    messages.success(
        request,
        f"“{program.name}” is closed; {_fmt(expired, program.currency)} unused money has expired. "
        "Claims already filed can still be decided and paid.",
    )
    return _detail(program)


# --- Programme detail and allocations -------------------------------------------------------------


def _partner_choices(request: HttpRequest) -> list[tuple[int, str]]:
    """Partners an allocation may be set for: those the user sees, but not terminated ones."""
    rows = (
        partner_selectors.visible_partners(request.user)
        .exclude(status=PartnerStatus.TERMINATED)
        .order_by("name", "id")
        .values_list("id", "name", "status")
    )
    return [
        (pk, name if status == PartnerStatus.ACTIVE else f"{name} ({status})") for pk, name, status in rows
    ]


@channel_required
def fund_program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A programme's figures and its allocations (partners the user may see), keyset pages by partner
    name; channel admins allocate here.

    Queries: session, user, actor, programme, its allocation sums, the page of allocations (partner
    joined): 6; a channel admin's partner choices for the adjust form: 7; a channel manager's sums
    over their own partners: 7."""
    user = request.user
    program = _program(request, pk)
    can_manage = rules.can_manage_programs(user)
    totals = _sums(FundAllocation.objects.filter(program=program))
    figures = _figures(totals, program.currency, program.budget)
    visible = selectors.visible_allocations(user).filter(program=program)
    page = request_page(request, visible, order="partner__name", size=ALLOCATION_PAGE_SIZE)
    rows = [{"allocation": a, "figures": _allocation_figures(a)} for a in page.items]
    if can_manage:  # a channel admin sees every allocation: the programme's sums are theirs
        visible_totals, visible_count = figures, totals["count"]
    else:
        sums = _sums(visible)
        visible_totals, visible_count = _figures(sums, program.currency), sums["count"]
    adjust_form = None
    if can_manage and program.status != ProgramStatus.CLOSED:
        initial: dict[str, Any] = {}
        chosen = request.GET.get("adjust", "")
        if chosen.isdigit() and len(chosen) < 19:
            current = FundAllocation.objects.filter(program=program, partner_id=int(chosen)).first()
            initial = {"partner": int(chosen), "amount": current.amount if current else None}
        adjust_form = AllocationForm(partner_choices=_partner_choices(request), initial=initial)
        adjust_form.fields["amount"].label = f"Allocated amount ({program.currency})"
    chart_rows = rows[:CHART_PARTNERS]
    return render(
        request,
        "portals/channel/funds/program_detail.html",
        {
            "program": program,
            "badge": STATUS_BADGES.get(program.status, "text-bg-secondary"),
            "figures": figures,
            "allocation_count": totals["count"],
            "page": page,
            "rows": rows,
            "querystring": "",
            "visible_totals": visible_totals,
            "visible_count": visible_count,
            "sees_everything": can_manage,
            "can_manage": can_manage,
            "can_see_journal": rules.can_see_journal(user),
            "adjust_form": adjust_form,
            "chart": _grouped_chart(
                [r["allocation"].partner.name for r in chart_rows],
                [
                    ("Allocated", [r["figures"].allocated for r in chart_rows]),
                    ("Paid", [r["figures"].paid for r in chart_rows]),
                ],
                program.currency,
            )
            if chart_rows
            else None,
            "breadcrumbs": _program_crumbs(program),
        },
    )


@require_safe
@channel_required
def fund_allocation_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """What `allocate by tier share` would give each partner, before it is done.

    Queries: session, user, actor, programme, the shares (services.tier_share_amounts), the current
    allocations, the first PREVIEW_ROWS partners by name (tier joined): 7."""
    _require_manage(request)
    program = _program(request, pk)
    if program.status == ProgramStatus.CLOSED:
        messages.warning(request, f"“{program.name}” is closed; its allocations are final.")
        return _detail(program)
    amounts = services.tier_share_amounts(program)
    current = _current_allocations(program)
    partners = (
        Partner.objects.filter(pk__in=list(amounts))
        .select_related("tier")
        .order_by("name", "pk")[:PREVIEW_ROWS]
        if amounts
        else []
    )
    rows = []
    for partner in partners:
        now, committed = current.get(partner.pk, (ZERO, ZERO))
        new = amounts[partner.pk]
        rows.append(
            {
                "partner": partner,
                "current": now,
                "new": new,
                "difference": new - now,
                "blocked": new < committed,
                "committed": committed,
            }
        )
    changing = sum(1 for pk, new in amounts.items() if current.get(pk, (ZERO, ZERO))[0] != new)
    blocked = sum(1 for pk, new in amounts.items() if new < current.get(pk, (ZERO, ZERO))[1])
    kept = sum(1 for pk in current if pk not in amounts)
    total = sum(amounts.values(), ZERO)
    return render(
        request,
        "portals/channel/funds/allocation_preview.html",
        {
            "program": program,
            "rows": rows,
            "partner_count": len(amounts),
            "more": max(0, len(amounts) - len(rows)),
            "changing": changing,
            "blocked": blocked,
            "kept": kept,
            "total": total,
            "breadcrumbs": _program_crumbs(program, ("Allocate by tier share", None)),
        },
    )


def _current_allocations(program: FundProgram) -> dict[int, tuple[Decimal, Decimal]]:
    """Each allocated partner's amount and what it has committed (reserved, claimed, paid)."""
    return {
        partner_id: (amount, reserved + claimed + paid)
        for partner_id, amount, reserved, claimed, paid in FundAllocation.objects.filter(
            program=program
        ).values_list("partner_id", "amount", "reserved", "claimed", "paid")
    }


@require_POST
@channel_required
def fund_allocation_tier_share(request: HttpRequest, pk: int) -> HttpResponse:
    """Allocate the budget by tier MDF share in one click; report what was set, unchanged, skipped."""
    _require_manage(request)
    program = _program(request, pk)
    if program.status == ProgramStatus.CLOSED:
        messages.error(request, f"“{program.name}” is closed; its allocations are final.")
        return _detail(program)
    try:
        run = services.allocations_by_tier_share(program=program, actor=acting_user(request))
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    if not (run.set or run.unchanged or run.skipped):
        messages.warning(
            request, "No active partner has a tier with an MDF share, so nothing was allocated. "
            "Give the tiers their shares first, or allocate by hand."
        )  # fmt: skip
        return _detail(program)
    messages.success(
        request,
        f"Allocated by tier share: {run.set} partner{'s' if run.set != 1 else ''} set, "
        f"{run.unchanged} unchanged.",
    )
    if run.skipped:
        named = "; ".join(run.skipped[:SKIPPED_NAMED])
        more = len(run.skipped) - SKIPPED_NAMED
        messages.warning(
            request,
            f"{len(run.skipped)} partner{'s' if len(run.skipped) != 1 else ''} kept their allocation: "
            f"{named}{f'; and {more} more' if more > 0 else ''}.",
        )
    return _detail(program)


@require_POST
@channel_required
def fund_allocation_set(request: HttpRequest, pk: int) -> HttpResponse:
    """Set one partner's allocation. More than the budget has left, or less than the partner has
    committed, is refused with a message and changes nothing."""
    _require_manage(request)
    program = _program(request, pk)
    form = AllocationForm(request.POST, partner_choices=_partner_choices(request))
    if not form.is_valid():
        messages.error(request, f"The allocation was not changed: {form_error_text(form)}")
        return _detail(program)
    partner = get_object_or_404(
        partner_selectors.visible_partners(request.user), pk=form.cleaned_data["partner"]
    )
    try:
        allocation = services.allocation_set(
            program=program, partner=partner, amount=form.cleaned_data["amount"], actor=acting_user(request)
        )
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    except services.Overspend as exc:
        messages.error(request, f"The allocation was not changed: {exc}")
    except ValidationError as exc:
        messages.error(request, f"The allocation was not changed: {error_text(exc)}")
    else:
        messages.success(
            request, f"{partner.name}'s allocation is now {_fmt(allocation.amount, program.currency)}."
        )
    return _detail(program)


# --- ROI ------------------------------------------------------------------------------------------


def _ratio(won: Decimal, paid: Decimal) -> Decimal | None:
    return (won / paid).quantize(Decimal("0.01")) if paid else None


@channel_required
def fund_program_roi(request: HttpRequest, pk: int) -> HttpResponse:
    """What a programme's money earned: leads and won revenue carrying the requests' campaign codes
    against the amount paid, for the programme, per partner and per request (those the user sees).

    Queries: session, user, actor, programme, totals (leads, money: 2), per partner (paid, leads,
    campaign codes, names: 4), the page of requests (partner joined), their return (leads, paid: 2): 13."""
    user = request.user
    program = _program(request, pk)
    requests = selectors.visible_requests(user).filter(program=program)
    totals = selectors.roi_totals(requests)
    partners = selectors.roi_by_partner(program, user)
    for row in partners:
        row["ratio"] = _ratio(row["won_revenue"], row["paid"])
    shown = partners[:ROI_PARTNERS_SHOWN]
    decided = requests.exclude(approved_amount__isnull=True)
    page = request_page(request, decided, order="-created_at", size=ROI_REQUEST_PAGE_SIZE)
    rois = selectors.request_rois(list(page.items))
    request_rows = [{"request": r, "roi": rois[r.pk]} for r in page.items]
    chart_rows = partners[:CHART_PARTNERS]
    return render(
        request,
        "portals/channel/funds/roi.html",
        {
            "program": program,
            "totals": totals,
            "partners": shown,
            "partner_count": len(partners),
            "sees_everything": access.actor_of(user).is_admin,
            "more_partners": max(0, len(partners) - len(shown)),
            "page": page,
            "request_rows": request_rows,
            "querystring": "",
            "chart": _grouped_chart(
                [r["partner"] for r in chart_rows],
                [
                    ("Paid", [r["paid"] for r in chart_rows]),
                    ("Won revenue", [r["won_revenue"] for r in chart_rows]),
                ],
                program.currency,
            )
            if chart_rows
            else None,
            "breadcrumbs": _program_crumbs(program, ("Return on investment", None)),
        },
    )


urlpatterns = [
    path("funds/programs/", fund_program_list, name="fund_program_list"),
    path("funds/programs/new/", fund_program_create, name="fund_program_create"),
    path("funds/programs/<int:pk>/", fund_program_detail, name="fund_program_detail"),
    path("funds/programs/<int:pk>/edit/", fund_program_edit, name="fund_program_edit"),
    path("funds/programs/<int:pk>/open/", fund_program_open, name="fund_program_open"),
    path("funds/programs/<int:pk>/close/", fund_program_close_confirm, name="fund_program_close_confirm"),
    path("funds/programs/<int:pk>/close/confirm/", fund_program_close, name="fund_program_close"),
    path("funds/programs/<int:pk>/allocate/", fund_allocation_preview, name="fund_allocation_preview"),
    path(
        "funds/programs/<int:pk>/allocate/tier-share/",
        fund_allocation_tier_share,
        name="fund_allocation_tier_share",
    ),
    path("funds/programs/<int:pk>/allocations/", fund_allocation_set, name="fund_allocation_set"),
    path("funds/programs/<int:pk>/roi/", fund_program_roi, name="fund_program_roi"),
    path("funds/journal/", fund_journal.fund_journal, name="fund_journal"),
    path("funds/journal/export.csv", fund_journal.fund_journal_export, name="fund_journal_export"),
]
