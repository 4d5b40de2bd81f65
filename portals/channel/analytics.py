"""Channel portal: the analytics dashboard (issue 7, /channel/analytics/) and its downloads.

Figures for the partners the person manages (channel admins: every partner), chosen by the filter
bar (period, country, region, tier, partner type, partner, product category) and grouped in sections
(Sales, Service, Marketing, Orders; `?section=`). Each figure is a chart and, one click away, its table,
which downloads as CSV or XLSX with the same filters. Every number comes from analytics.selectors,
scoped by the access policy; this module only presents them (portals/analytics_export.py)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from portals.analytics_export import dashboard_context, export_figure
from portals.crumbs import channel_crumbs
from portals.decorators import channel_required

PORTAL = "channel"


@require_safe
@channel_required
def analytics_dashboard(request: HttpRequest) -> HttpResponse:
    """The dashboard. Queries: session, user, actor, then the filter options and the figures of
    analytics.selectors (a fixed number per figure, never per row)."""
    context = dashboard_context(request, portal=PORTAL)
    context["breadcrumbs"] = channel_crumbs(("Analytics", None))
    return render(request, "portals/channel/analytics/dashboard.html", context)


@require_safe
@channel_required
def analytics_export(request: HttpRequest, key: str, fmt: str) -> HttpResponse:
    """One figure's table as CSV or XLSX, with the filters of the page's query string."""
    return export_figure(request, portal=PORTAL, key=key, fmt=fmt)
