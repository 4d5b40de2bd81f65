"""My team: the partner's people. Partner managers invite, change roles, deactivate and reactivate;
employees see the team read-only."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from core.errors import NotAllowed
from core.paging import InvalidCursor, Page, keyset_page
from partners import access, selectors, services
from partners.choices import Role
from partners.models import Membership, Partner
from portals.crumbs import partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import InviteForm, add_service_errors, error_text
from portals.partner.forms import RoleForm
from portals.partner.home import own_partner

TEAM_ORDER = "user__email"


def member_state(membership: Membership) -> str:
    """`deactivated`, `invited` (no password chosen yet) or `active`; no query."""
    if not membership.user.is_active:
        return "deactivated"
    if not membership.user.has_usable_password():
        return "invited"
    return "active"


def team_page(request: HttpRequest, partner: Partner) -> Page[Membership]:
    team = selectors.team_of(request.user, partner)
    try:
        return keyset_page(
            team,
            order=TEAM_ORDER,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=settings.PAGE_SIZE,
        )
    except InvalidCursor:
        messages.info(request, "That page link is out of date; here is the first page.")
        return keyset_page(team, order=TEAM_ORDER, size=settings.PAGE_SIZE)


def render_team(
    request: HttpRequest, partner: Partner, *, invite_form: InviteForm | None = None
) -> HttpResponse:
    # Queries: session, user, actor, partner, one page of members, their groups (prefetched).
    can_manage = access.can_manage_team(request.user, partner)
    page = team_page(request, partner)
    rows = []
    for membership in page.items:
        role = selectors.role_of_member(membership)
        rows.append(
            {
                "membership": membership,
                "role": role,
                "role_label": Role(role).label if role else "No role",
                "state": member_state(membership),
                "is_self": membership.user_id == request.user.pk,
                "role_form": RoleForm(initial={"role": role}, auto_id=f"id_member{membership.pk}_%s")
                if can_manage
                else None,
            }
        )
    context = {
        "partner": partner,
        "page": page,
        "rows": rows,
        "querystring": "",
        "can_manage": can_manage,
        "invite_form": (invite_form or InviteForm()) if can_manage else None,
        "breadcrumbs": partner_crumbs(("My team", None)),
    }
    return render(request, "portals/partner/team/list.html", context)


@partner_required
@require_GET
def team(request: HttpRequest) -> HttpResponse:
    return render_team(request, own_partner(request))


def _require_team_manager(request: HttpRequest, partner: Partner) -> None:
    if not access.can_manage_team(request.user, partner):
        raise PermissionDenied("Only partner managers manage the team.")


@partner_required
@require_POST
def team_invite(request: HttpRequest) -> HttpResponse:
    partner = own_partner(request)
    _require_team_manager(request, partner)
    form = InviteForm(request.POST)
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
            messages.success(request, f"Invitation sent to {membership.user.email}.")
            return redirect("partner:team")
    messages.error(request, "The invitation was not sent; see the errors below.")
    return render_team(request, partner, invite_form=form)


MemberAction = Callable[[HttpRequest, Partner, Membership], HttpResponse]


def member_action(action: MemberAction) -> Callable[..., HttpResponse]:
    """A POST on one member of the user's own team: 404 outside it, 403 unless a partner manager;
    service errors become an error message and change nothing."""

    @partner_required
    @require_POST
    @wraps(action)
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        partner = own_partner(request)
        membership = get_object_or_404(
            selectors.team_of(request.user, partner).select_related("partner"), pk=pk
        )
        _require_team_manager(request, partner)
        try:
            return action(request, partner, membership)
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            messages.error(request, error_text(exc))
            return redirect("partner:team")

    return view


@member_action
def member_role(request: HttpRequest, partner: Partner, membership: Membership) -> HttpResponse:
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose partner manager or partner employee.")
        return redirect("partner:team")
    role = Role(form.cleaned_data["role"])
    services.member_change_role(membership=membership, actor=acting_user(request), role=role)
    messages.success(request, f"{membership.user.display_name} is now {role.label.lower()}.")
    return redirect("partner:team")


@member_action
def member_deactivate(request: HttpRequest, partner: Partner, membership: Membership) -> HttpResponse:
    services.member_set_active(membership=membership, actor=acting_user(request), active=False)
    messages.success(
        request, f"{membership.user.display_name} is deactivated and can no longer log in or use the API."
    )
    return redirect("partner:team")


@member_action
def member_reactivate(request: HttpRequest, partner: Partner, membership: Membership) -> HttpResponse:
    services.member_set_active(membership=membership, actor=acting_user(request), active=True)
    messages.success(request, f"{membership.user.display_name} is active again.")
    return redirect("partner:team")


@member_action
def member_resend(request: HttpRequest, partner: Partner, membership: Membership) -> HttpResponse:
    services.member_resend_invitation(membership=membership, actor=acting_user(request))
    messages.success(request, f"Invitation sent again to {membership.user.email}.")
    return redirect("partner:team")
