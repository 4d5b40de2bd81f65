"""What every page's header needs: the person's role and which portal they belong to."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from partners import access


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"actor": access.NOBODY}
    return {"actor": access.actor_of(user)}
