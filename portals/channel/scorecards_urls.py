"""Scorecard and tier-rule URLs of the channel portal (namespace "channel"); included by
portals/channel/urls.py."""

from django.urls import path

from portals.channel import scorecards

urlpatterns = [
    path("analytics/scorecards/", scorecards.scorecard_list, name="scorecards"),
    path("analytics/tiers/", scorecards.tier_requirements, name="tier_requirements"),
    path(
        "analytics/tiers/<int:pk>/delete/",
        scorecards.tier_requirement_delete,
        name="tier_requirement_delete",
    ),
    path("partners/<int:pk>/scorecard/", scorecards.partner_scorecard, name="partner_scorecard"),
]
