"""Keyset pages for the portals' lists, from the request's cursor parameters (core.paging does the
paging; this turns a bad cursor into a message)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from core.paging import InvalidCursor, Page, keyset_page


def request_page(
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    order: str,
    size: int | None = None,
    after: str = "after",
    before: str = "before",
) -> Page[Any]:
    """A keyset page of `size` rows (settings.PAGE_SIZE when not given) from the request's cursor
    parameters (`after`/`before`; a page with two lists names the second pair). A cursor this page did
    not make gives the first page and a message, never an error."""
    size = size or settings.PAGE_SIZE
    try:
        return keyset_page(
            queryset,
            order=order,
            after=request.GET.get(after) or None,
            before=request.GET.get(before) or None,
            size=size,
        )
    except (InvalidCursor, ValueError, TypeError, ValidationError):
        # A well-formed cursor can still carry a value the ordering field refuses ("abc" for a
        # rank); the ORM raises while building the filter, before any query runs.
        messages.warning(request, "That page link is no longer valid, so here is the first page.")
        return keyset_page(queryset, order=order, size=size)
