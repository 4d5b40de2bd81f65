"""The catalogue: a category tree. Products and partner assortments arrive with the showroom issue."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.db.models import F, Q


class Category(models.Model):
    """A product category; leads and dispatch rules refer to it. A tree through `parent`."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name
