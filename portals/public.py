"""Public pages: the landing redirect, the partner application form, invitation acceptance."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from portals.adapters import portal_url_for


@login_not_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands on its portal; anonymous visitors on the login page."""
    if not request.user.is_authenticated:
        return redirect("account_login")
    return redirect(portal_url_for(request.user))


@login_not_required
def apply(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError  # written by the public-pages helper


@login_not_required
def apply_thanks(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


@login_not_required
def invitation_accept(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    raise NotImplementedError
