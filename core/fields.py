"""Model fields that several apps declare the same way."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models


def latitude_field() -> models.DecimalField:
    """Decimal degrees, −90 to 90, optional (routing by distance uses it)."""
    return models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-90")), MaxValueValidator(Decimal("90"))],
    )


def longitude_field() -> models.DecimalField:
    """Decimal degrees, −180 to 180, optional."""
    return models.DecimalField(
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("-180")), MaxValueValidator(Decimal("180"))],
    )
