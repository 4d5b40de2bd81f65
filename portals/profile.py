"""The person's own profile: API tokens (list, create, revoke)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def profile(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def token_create(request: HttpRequest) -> HttpResponse:
    raise NotImplementedError


def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    raise NotImplementedError
