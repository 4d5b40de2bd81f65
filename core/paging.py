"""Keyset (cursor) paging: constant cost at any depth, unlike OFFSET (DESIGN.md, measured facts).

A page is ordered by one field plus the primary key as tie-breaker. The cursor is an opaque,
URL-safe token holding the (value, id) of the row the next page starts after."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models import Q, QuerySet

T = TypeVar("T", bound=models.Model)


class InvalidCursor(ValueError):
    """The cursor was not made by this module (tampered, truncated, or for another ordering)."""


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"dec": str(value)}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "dt" in value:
            return dt.datetime.fromisoformat(value["dt"])
        if "d" in value:
            return dt.date.fromisoformat(value["d"])
        if "dec" in value:
            return Decimal(value["dec"])
        raise InvalidCursor("unknown value type")
    return value


def encode_cursor(order: str, value: Any, pk: int) -> str:
    raw = json.dumps([order, _encode_value(value), pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, order: str) -> tuple[Any, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        cursor_order, value, pk = data
        if cursor_order != order or not isinstance(pk, int):
            raise InvalidCursor("cursor is for another ordering")
        return _decode_value(value), pk
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        if isinstance(exc, InvalidCursor):
            raise
        raise InvalidCursor("malformed cursor") from exc


@dataclass
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None
    prev_cursor: str | None
    has_next: bool
    has_prev: bool


MAX_ID = 2**63 - 1


def _model_field(model: type[models.Model], path: str) -> Any:
    """The model field an ordering path ends on: "tier__rank" on Partner is Tier.rank."""
    parts = path.split("__")
    for part in parts[:-1]:
        model = model._meta.get_field(part).related_model  # type: ignore[assignment]
    return model._meta.get_field(parts[-1])


def check_cursor_fits(model: type[models.Model], field_path: str, value: Any, pk: int) -> None:
    """Refuse a cursor whose values do not fit the ordering's column, so that a crafted cursor is
    an InvalidCursor (a message to the user) rather than an error from the database."""
    if not 1 <= pk <= MAX_ID:
        raise InvalidCursor("cursor row id out of range")
    field = _model_field(model, field_path)
    if value is None:
        if not field.null:
            raise InvalidCursor("cursor value missing")
        return
    if isinstance(field, models.DateTimeField):
        if not isinstance(value, dt.datetime):
            raise InvalidCursor("cursor value is not a date and time")
    elif isinstance(field, models.DateField):
        if not isinstance(value, dt.date):
            raise InvalidCursor("cursor value is not a date")
    elif isinstance(field, models.DecimalField):
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidCursor("cursor value is not a number")
    elif isinstance(field, models.IntegerField):
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_ID:
            raise InvalidCursor("cursor value is not an integer")
    elif isinstance(field, (models.CharField, models.TextField)) and (
        not isinstance(value, str) or "\x00" in value
    ):
        raise InvalidCursor("cursor value is not text")


def _field_value(obj: Any, field: str) -> Any:
    for part in field.split("__"):
        obj = getattr(obj, part)
    return obj


def keyset_page(
    queryset: QuerySet[T],
    *,
    order: str,
    after: str | None = None,
    before: str | None = None,
    size: int = 25,
) -> Page[T]:
    """One page of `queryset` ordered by `order` ("name", "-created_at", "tier__rank"), then id.

    `after` continues forwards from a cursor, `before` goes back one page. Raises InvalidCursor."""
    descending = order.startswith("-")
    field = order.lstrip("-")
    forward = before is None
    cursor = after if forward else before
    # Going backwards walks the reverse order, then flips the rows.
    walk_desc = descending if forward else not descending
    ordering = [f"-{field}", "-pk"] if walk_desc else [field, "pk"]
    qs = queryset.order_by(*ordering)
    if cursor:
        value, pk = decode_cursor(cursor, order)
        check_cursor_fits(queryset.model, field, value, pk)
        if walk_desc:
            qs = qs.filter(Q(**{f"{field}__lt": value}) | Q(**{field: value, "pk__lt": pk}))
        else:
            qs = qs.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk}))
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not forward:
        rows.reverse()
    has_next = more if forward else bool(cursor)
    has_prev = bool(cursor) if forward else more
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    return Page(
        items=rows,
        next_cursor=encode_cursor(order, _field_value(last, field), last.pk) if last and has_next else None,
        prev_cursor=encode_cursor(order, _field_value(first, field), first.pk)
        if first and has_prev
        else None,
        has_next=has_next,
        has_prev=has_prev,
    )
