"""django-allauth adapter: no self sign-up (people join by application or invitation), and each
role lands on its own portal after login."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest
from django.urls import reverse

from partners import access


def portal_url_for(user: Any) -> str:
    actor = access.actor_of(user)
    if actor.is_channel:
        return reverse("channel:dashboard")
    if actor.is_partner:
        return reverse("partner:home")
    return reverse("profile")


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return portal_url_for(request.user)
