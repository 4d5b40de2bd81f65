"""Partner portal: the analytics dashboard (issue 7, /partner/analytics/) and its downloads.

The same figures as the channel's, for the partner's own data (a distributor's managers also see
their resellers'), filtered and sectioned the same way; each table downloads as CSV or XLSX with the
filters. For partner managers: employees get 403, because a partner's totals (revenue, funds, every
colleague's leads) are the managers' business and an employee's scope (their own and unassigned
records) would make totals that mean nothing. Every number comes from analytics.selectors, scoped by
the access policy; this module only presents them (portals/analytics_export.py)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from partners import access
from partners.choices import Role
from portals.analytics_export import dashboard_context, export_figure
from portals.crumbs import partner_crumbs
from portals.decorators import View, partner_required

PORTAL = "partner"


def sees_analytics(user: Any) -> bool:
    """Partner analytics are for the partner's managers."""
    return access.actor_of(user).role == Role.PARTNER_MANAGER


def analytics_manager_required(view: View) -> View:
    """The partner portal's gate, then: analytics are for partner managers (employees get 403)."""

    @partner_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not sees_analytics(request.user):
            raise PermissionDenied("Your partner's analytics are for its managers.")
        return view(request, *args, **kwargs)

    return wrapper


@require_safe
@analytics_manager_required
def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard. Queries: session, user, actor, then the filter options and the figures of
    analytics.selectors (a fixed number per figure, never per row)."""
    context = dashboard_context(request, portal=PORTAL)
    context["breadcrumbs"] = partner_crumbs(("Analytics", None))
    return render(request, "portals/partner/analytics/dashboard.html", context)


@require_safe
@analytics_manager_required
def analytics_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One figure's table as CSV or XLSX, with the filters of the page's query string."""
    return export_figure(request, portal=PORTAL, key=key, fmt=fmt)
