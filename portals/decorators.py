"""Portal gates: /channel/ for channel roles, /partner/ for partner roles. Anonymous users are sent
to the login page by LoginRequiredMiddleware; a logged-in user of the wrong role gets 403."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from core.models import User
from partners import access

View = Callable[..., HttpResponse]


def channel_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.actor_of(request.user).is_channel:
            raise PermissionDenied("The channel portal is for the brand owner's channel staff.")
        return view(request, *args, **kwargs)

    return wrapper


def partner_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.actor_of(request.user).is_partner:
            raise PermissionDenied("The partner portal is for partner companies' staff.")
        return view(request, *args, **kwargs)

    return wrapper


def acting_user(request: HttpRequest) -> User:
    """The logged-in user of a portal view (the gates and LoginRequiredMiddleware keep others out)."""
    return cast(User, request.user)
