"""Scorecard URL of the partner portal (/partner/analytics/scorecard/, namespace "partner"); included
by portals/partner/urls.py."""

from django.urls import path

from portals.partner import scorecard

urlpatterns = [
    path("analytics/scorecard/", scorecard.scorecard, name="scorecard"),
]
