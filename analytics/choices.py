"""Choices of the analytics app: the scorecard measures tier rules can set a minimum on."""

from __future__ import annotations

from django.db import models


class Measure(models.TextChoices):
    ACCEPTED_IN_WINDOW = "accepted_in_window", "Leads accepted within the window (%)"
    WIN_RATE = "win_rate", "Win rate (%)"
    WON_DEALS = "won_deals", "Won deals"
    WON_REVENUE = "won_revenue", "Won revenue"
    ORDER_REVENUE = "order_revenue", "Order revenue"
    RESOLUTION_HOURS = "resolution_hours", "Median service resolution time (hours)"
    MDF_USAGE = "mdf_usage", "MDF usage (% of allocation used)"
    MDF_ROI = "mdf_roi", "MDF ROI (won revenue per unit paid)"
    CERTIFICATIONS = "certifications", "Certifications"


# Measures where less is better (a requirement is a maximum for them).
LOWER_IS_BETTER = frozenset({Measure.RESOLUTION_HOURS})
