"""The person's own profile: who they are, and their API tokens (list, create, revoke)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core.models import ApiToken
from core.paging import InvalidCursor, keyset_page
from core.services import api_token_create, api_token_revoke
from partners import access
from partners.choices import Role
from partners.models import Membership
from portals.adapters import portal_url_for
from portals.decorators import acting_user
from portals.forms import TokenCreateForm

# The raw token of a just-created API token waits here for exactly one page render.
NEW_TOKEN_SESSION_KEY = "profile_new_api_token"
TOKEN_ORDER = "-created_at"


def optional_url(name: str) -> str | None:
    """Links to allauth pages that exist only when their app is installed (e.g. MFA)."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def render_profile(request: HttpRequest, *, form: TokenCreateForm | None = None) -> HttpResponse:
    # Queries: session, user, actor, membership with partner, one page of tokens.
    user = acting_user(request)
    actor = access.actor_of(user)
    membership = (
        Membership.objects.select_related("partner").filter(user_id=user.pk).first()
        if actor.is_partner
        else None
    )
    tokens = ApiToken.objects.filter(user_id=user.pk)
    try:
        page = keyset_page(
            tokens,
            order=TOKEN_ORDER,
            after=request.GET.get("after"),
            before=request.GET.get("before"),
            size=settings.PAGE_SIZE,
        )
    except InvalidCursor:
        messages.info(request, "That page link is out of date; here is the first page.")
        page = keyset_page(tokens, order=TOKEN_ORDER, size=settings.PAGE_SIZE)
    new_token: dict[str, Any] | None = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    context = {
        "role_label": Role(actor.role).label if actor.role else "No role",
        "partner": membership.partner if membership else None,
        "portal_url": portal_url_for(user),
        "page": page,
        "querystring": "",
        "form": form or TokenCreateForm(),
        "new_token": new_token,
        "password_change_url": optional_url("account_change_password"),
        "email_url": optional_url("account_email"),
        "mfa_url": optional_url("mfa_index"),
        "breadcrumbs": [("Profile", None)],
    }
    return render(request, "profile/profile.html", context)


@never_cache
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render_profile(request)


@never_cache
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return render_profile(request, form=form)
    token, raw = api_token_create(user=acting_user(request), name=form.cleaned_data["name"])
    request.session[NEW_TOKEN_SESSION_KEY] = {"id": token.pk, "name": token.name, "raw": raw}
    messages.success(request, f"API token “{token.name}” created.")
    return redirect("profile")


@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user_id=request.user.pk)
    if token.revoked_at is not None:
        messages.info(request, f"API token “{token.name}” was already revoked.")
    else:
        api_token_revoke(token=token, actor=acting_user(request))
        messages.success(request, f"API token “{token.name}” revoked; it no longer works.")
    return redirect("profile")
