"""What the leads API routers share: input types, the request-body base, fetching through a scope,
and the translation of a wrong-state refusal to 409."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, ClassVar, get_origin

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404
from ninja import Field, Schema
from ninja.errors import HttpError
from pydantic import AfterValidator, ConfigDict, StrictInt, field_validator

from catalog.models import Category
from core.api import MAX_ID, CleanStr

Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=14, decimal_places=2, description="A decimal amount, e.g. 12500.00."),
]
Slug = Annotated[CleanStr, Field(max_length=80)]
# List items are strict: JSON true would otherwise pass as the id 1.
ListId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def _currency(value: str) -> str:
    text = value.strip().upper()
    if not (len(text) == 3 and text.isascii() and text.isalpha()):
        raise ValueError("Use a three-letter currency code such as EUR.")
    return text


Currency = Annotated[
    str,
    AfterValidator(_currency),
    Field(json_schema_extra={"pattern": "^[A-Za-z]{3}$"}, description="ISO 4217 code, e.g. EUR."),
]


class Body(Schema):
    """A request body: unknown fields are refused; null only where a field says so; true/false only
    for yes/no fields (JSON true would otherwise pass as the number 1)."""

    model_config = ConfigDict(extra="forbid")

    NULLABLE: ClassVar[frozenset[str]] = frozenset()
    BOOLEANS: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _no_null_nor_bool(cls, value: Any, info: Any) -> Any:
        name = info.field_name
        if value is None and name not in cls.NULLABLE:
            field = cls.model_fields[name]
            is_list = any(
                get_origin(arg) is list
                for arg in (field.annotation, *getattr(field.annotation, "__args__", ()))
            )
            raise ValueError(
                "May not be null; send [] for none."
                if is_list
                else 'May not be null; send "" to clear a text field.'
            )
        if isinstance(value, bool) and name not in cls.BOOLEANS:
            raise ValueError("Expected a number or text, not true or false.")
        return value


def strip_text(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}


def fetch_visible(queryset: QuerySet[Any], id: int) -> Any:
    """One row through the caller's scope; anything else (or an impossible id) is 404."""
    if not 1 <= id <= MAX_ID:
        raise Http404
    row = queryset.filter(pk=id).first()
    if row is None:
        raise Http404
    return row


def raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def merge_errors(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for field, messages in exc.message_dict.items():
        errors.setdefault(field, []).extend(messages)


def category_by_slug(
    slug: str | None, errors: dict[str, list[str]], field: str = "category"
) -> Category | None:
    if not slug:
        return None
    category = Category.objects.filter(slug=slug.strip()).first()
    if category is None:
        errors.setdefault(field, []).append(f"No category “{slug}”; give a category slug.")
    return category


@contextmanager
def state_conflicts_as_409() -> Iterator[None]:
    """The services refuse an action on a record in the wrong state (routing a lead that is already
    dispatched, approving a decided registration) with a ValidationError on `status`. No request body
    of this API has a `status` field, so such an error is about the record, not the input: it answers
    409, like a move the transition table refuses (InvalidTransition)."""
    try:
        yield
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and set(exc.error_dict) == {"status"}:
            raise HttpError(409, " ".join(exc.message_dict["status"])) from exc
        raise
