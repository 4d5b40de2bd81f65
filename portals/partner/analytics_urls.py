"""Analytics URLs of the partner portal (/partner/analytics/, namespace "partner"); included by
portals/partner/urls.py."""

from django.urls import path, re_path

from portals.partner import analytics

urlpatterns = [
    path("analytics/", analytics.analytics_dashboard, name="analytics"),
    re_path(
        r"^analytics/export/(?P<key>[A-Za-z0-9_.-]+)\.(?P<fmt>csv|xlsx)$",
        analytics.analytics_export,
        name="analytics_export",
    ),
]
