"""Channel portal: the partner list, the partner page and every change channel staff make to a
partner (profile, status, tier, channel managers, team invitations)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.countries import COUNTRIES
from core.errors import InvalidTransition, NotAllowed
from partners import access, selectors, services
from partners.choices import Role
from partners.models import Membership, Partner
from portals.channel.forms import (
    DEFAULT_SORT,
    SORT_LABELS,
    PartnerFilterForm,
    PartnerForm,
    PartnerManagersForm,
    PartnerStatusForm,
    PartnerTierForm,
)
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import InviteForm, add_service_errors
from portals.paging import request_page

# request_page and channel_crumbs live in portals.paging and portals.crumbs; the other channel modules
# still import them from here (until they import them from there).

DETAIL_CHILDREN = 20
DETAIL_TEAM = 10
TEAM_PAGE_SIZE = 50

# Column headers of the partner list that sort (label, ascending key of PARTNER_ORDERINGS).
SORTABLE_COLUMNS = (
    ("Name", "name"),
    ("Tier", "tier"),
    ("Status", "status"),
    ("Country", "country"),
    ("Added", "created"),
)


def _partner_crumbs(partner: Partner, *items: Crumb) -> list[Crumb]:
    return channel_crumbs(
        ("Partners", reverse("channel:partner_list")),
        (partner.name, reverse("channel:partner_detail", args=[partner.pk]) if items else None),
        *items,
    )


def _visible_partner(request: HttpRequest, pk: int) -> Partner:
    """The partner if this user may see it, else 404 (its existence does not leak)."""
    return get_object_or_404(selectors.visible_partners(request.user), pk=pk)


# --- List -----------------------------------------------------------------------------------------


@channel_required
def partner_list(request: HttpRequest) -> HttpResponse:
    """Search, filter, sort and page the partners this user may see.

    Queries: session, user, actor, tier choices, manager choices, count, page rows (tier and parent
    joined): 7, whatever the page size."""
    form = PartnerFilterForm(
        request.GET,
        tier_choices=selectors.tiers().values_list("id", "name"),
        manager_choices=selectors.channel_staff().values_list("id", "email"),
    )
    if not form.is_valid():
        labels = ", ".join(str(form.fields[name].label or name) for name in form.errors)
        messages.warning(request, f"Some filters were not understood and are ignored: {labels}.")
    values = form.valid_values()
    sort = values.get("sort", DEFAULT_SORT)
    partners = selectors.partner_list(
        request.user,
        q=values.get("q", ""),
        tier=values.get("tier"),
        status=values.get("status", ""),
        type=values.get("type", ""),
        country=values.get("country", ""),
        manager=int(values["manager"]) if "manager" in values else None,
        parent=values.get("parent"),
    )
    total = partners.count()
    page = request_page(request, partners, order=selectors.PARTNER_ORDERINGS[sort], size=settings.PAGE_SIZE)
    for partner in page.items:
        # A dict lookup; get_country_display() walks all ~250 choices for every row.
        partner.country_name = COUNTRIES.get(partner.country, partner.country)  # type: ignore[attr-defined]

    filters = {k: v for k, v in values.items() if k in PartnerFilterForm.FILTERS}
    columns = []
    for label, key in SORTABLE_COLUMNS:
        current = "ascending" if sort == key else "descending" if sort == f"-{key}" else None
        next_key = f"-{key}" if sort == key else key
        columns.append(
            {"label": label, "url": "?" + urlencode({**filters, "sort": next_key}), "current": current}
        )
    return render(
        request,
        "portals/channel/partners/list.html",
        {
            "form": form,
            "page": page,
            "total": total,
            "filtered": bool(filters),
            # Rows come with their parent joined, so the name costs no query.
            "parent": page.items[0].parent if "parent" in values and page.items else None,
            "columns": columns,
            "sort_label": SORT_LABELS.get(sort, sort),
            "querystring": urlencode({**filters, "sort": sort}),
            "can_create": access.can_create_partner(request.user),
            "breadcrumbs": channel_crumbs(("Partners", None)),
        },
    )


# --- Create and edit ------------------------------------------------------------------------------


@channel_required
def partner_create(request: HttpRequest) -> HttpResponse:
    """The page for creating channel partners."""
    if not access.can_create_partner(request.user):
        raise PermissionDenied
    parents = selectors.parent_candidates(request.user)
    form = PartnerForm(request.POST if request.method == "POST" else None, parents=parents)
    if request.method == "POST" and form.is_valid():
        try:
            partner = services.partner_create(actor=acting_user(request), fields=form.cleaned_data)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Partner {partner.name} created, in {partner.get_status_display().lower()}."
            )
            return redirect("channel:partner_detail", pk=partner.pk)
    return render(
        request,
        "portals/channel/partners/form.html",
        {
            "form": form,
            "title": "New partner",
            "submit_label": "Create partner",
            "cancel_url": reverse("channel:partner_list"),
            "breadcrumbs": channel_crumbs(
                ("Partners", reverse("channel:partner_list")), ("New partner", None)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def partner_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the profile fields channel staff own (PARTNER_EDITABLE_BY_CHANNEL)."""
    partner = _visible_partner(request, pk)
    if not access.can_edit_partner(request.user, partner):
        raise PermissionDenied("You may see this partner but not edit it.")
    parents = selectors.parent_candidates(request.user, keep=partner.parent_id).exclude(pk=partner.pk)
    form = PartnerForm.for_partner(
        partner, parents=parents, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in services.PARTNER_EDITABLE_BY_CHANNEL}
        try:
            partner = services.partner_update(partner=partner, actor=acting_user(request), changes=changes)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{partner.name} saved.")
            return redirect("channel:partner_detail", pk=partner.pk)
    return render(
        request,
        "portals/channel/partners/form.html",
        {
            "form": form,
            "partner": partner,
            "title": f"Edit {partner.name}",
            "submit_label": "Save changes",
            "cancel_url": reverse("channel:partner_detail", args=[partner.pk]),
            "breadcrumbs": _partner_crumbs(partner, ("Edit", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Detail ---------------------------------------------------------------------------------------


def _member_rows(memberships: list[Membership]) -> list[dict[str, Any]]:
    """Each member with role and state, from prefetched groups (no query per row)."""
    rows = []
    for membership in memberships:
        role = selectors.role_of_member(membership)
        user = membership.user
        if not user.is_active:
            state = "deactivated"
        elif not user.has_usable_password():
            state = "invited"
        else:
            state = "active"
        rows.append(
            {
                "membership": membership,
                "user": user,
                "role": role.label if role else "No role",
                "state": state,
            }
        )
    return rows


def _render_detail(
    request: HttpRequest,
    pk: int,
    *,
    status_form: PartnerStatusForm | None = None,
    tier_form: PartnerTierForm | None = None,
    http_status: int = 200,
) -> HttpResponse:
    """The partner page.

    Queries: session, user, actor, partner (tier, parent, sub-partner count), managers, certifications,
    sub-partners, team, team members' groups, activity (with actors), tier choices; plus, for a channel
    manager, the ownership checks of can_edit_partner and can_change_tier_or_status. None grows with
    the number of rows: each list is bounded."""
    try:
        partner = selectors.partner_detail(request.user, pk)
    except Partner.DoesNotExist:
        raise Http404("No such partner.")
    user = request.user
    can_edit = access.can_edit_partner(user, partner)
    can_change = access.can_change_tier_or_status(user, partner)
    children = list(selectors.partner_children(user, partner)[: DETAIL_CHILDREN + 1])
    team = list(selectors.team_of(user, partner)[: DETAIL_TEAM + 1])
    if can_change:
        status_form = status_form or PartnerStatusForm(partner=partner)
        tier_form = tier_form or PartnerTierForm(initial={"tier": partner.tier_id})
    return render(
        request,
        "portals/channel/partners/detail.html",
        {
            "partner": partner,
            "managers": list(partner.managers.all()),
            "certifications": list(partner.certifications.all()),
            "children": children[:DETAIL_CHILDREN],
            "more_children": len(children) > DETAIL_CHILDREN,
            "team": _member_rows(team[:DETAIL_TEAM]),
            "more_team": len(team) > DETAIL_TEAM,
            "activity": selectors.partner_activity(user, partner),
            "can_edit": can_edit,
            "can_change": can_change,
            "can_assign_managers": access.can_assign_managers(user, partner),
            "status_form": status_form,
            "tier_form": tier_form,
            "breadcrumbs": _partner_crumbs(partner),
        },
        status=http_status,
    )


@channel_required
def partner_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, pk)


@require_POST
@channel_required
def partner_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the partner to another status (the workflow table decides which)."""
    partner = _visible_partner(request, pk)
    if not access.can_change_tier_or_status(request.user, partner):
        raise PermissionDenied("Only the partner's channel manager or a channel admin changes its status.")
    form = PartnerStatusForm(request.POST, partner=partner)
    if form.is_valid():
        try:
            partner = services.partner_change_status(
                partner=partner,
                actor=acting_user(request),
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except InvalidTransition as exc:
            form.add_error("status", str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{partner.name} is now {partner.get_status_display().lower()}.")
            return redirect("channel:partner_detail", pk=partner.pk)
    return _render_detail(request, pk, status_form=form, http_status=400)


@require_POST
@channel_required
def partner_tier(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the partner in another tier; the move is recorded in the activity trail."""
    partner = _visible_partner(request, pk)
    if not access.can_change_tier_or_status(request.user, partner):
        raise PermissionDenied("Only the partner's channel manager or a channel admin changes its tier.")
    form = PartnerTierForm(request.POST)
    if form.is_valid():
        tier = form.cleaned_data["tier"]
        before = partner.tier
        try:
            partner = services.partner_change_tier(
                partner=partner,
                actor=acting_user(request),
                tier=tier,
                reason=form.cleaned_data["reason"],
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if before.pk == tier.pk:
                messages.info(request, f"{partner.name} is already in tier {tier}.")
            else:
                messages.success(request, f"{partner.name} moved from tier {before} to {tier}.")
            return redirect("channel:partner_detail", pk=partner.pk)
    return _render_detail(request, pk, tier_form=form, http_status=400)


# --- Managers and team ----------------------------------------------------------------------------


@channel_required
def partner_managers(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the channel managers who own the partner (channel admins only)."""
    partner = _visible_partner(request, pk)
    if not access.can_assign_managers(request.user, partner):
        raise PermissionDenied("Only channel admins assign channel managers.")
    form = PartnerManagersForm(
        request.POST if request.method == "POST" else None,
        staff=selectors.channel_staff(),
        initial={"managers": list(partner.managers.all())},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.partner_set_managers(
                partner=partner,
                actor=acting_user(request),
                managers=list(form.cleaned_data["managers"]),
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Channel managers of {partner.name} saved.")
            return redirect("channel:partner_detail", pk=partner.pk)
    return render(
        request,
        "portals/channel/partners/managers.html",
        {
            "partner": partner,
            "form": form,
            "breadcrumbs": _partner_crumbs(partner, ("Channel managers", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def partner_team(request: HttpRequest, pk: int) -> HttpResponse:
    """A partner's team (paged by e-mail) and, for whoever manages the partner, an invitation form:
    channel staff may invite a partner's first people."""
    partner = _visible_partner(request, pk)
    can_invite = access.can_manage_team(request.user, partner)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not can_invite:
            raise PermissionDenied("You may not invite people to this partner.")
        if form.is_valid():
            try:
                membership = services.member_invite(
                    partner=partner,
                    actor=acting_user(request),
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    role=form.cleaned_data["role"],
                )
            except NotAllowed as exc:
                raise PermissionDenied(str(exc))
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                role = Role(form.cleaned_data["role"]).label.lower()
                messages.success(
                    request,
                    f"{membership.user.email} is invited as {role}; the set-password link is on its way.",
                )
                return redirect("channel:partner_team", pk=partner.pk)
    page = request_page(
        request, selectors.team_of(request.user, partner), order="user__email", size=TEAM_PAGE_SIZE
    )
    return render(
        request,
        "portals/channel/partners/team.html",
        {
            "partner": partner,
            "form": form,
            "can_invite": can_invite,
            "page": page,
            "members": _member_rows(list(page.items)),
            "querystring": "",
            "breadcrumbs": _partner_crumbs(partner, ("Team", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
