"""Breadcrumbs: a portal page's trail starts at its portal's home, then lists `items` as (label, url);
the last item, the page itself, has no url."""

from __future__ import annotations

from django.urls import reverse

Crumb = tuple[str, str | None]


def channel_crumbs(*items: Crumb) -> list[Crumb]:
    """Breadcrumbs of a channel-portal page: the portal first, then `items` as (label, url or None)."""
    return [("Channel", reverse("channel:dashboard")), *items]


def partner_crumbs(*items: Crumb) -> list[Crumb]:
    """Breadcrumbs of a partner-portal page: the portal first, then `items` as (label, url or None)."""
    return [("Partner portal", reverse("partner:home")), *items]
