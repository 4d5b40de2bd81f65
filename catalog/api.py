"""The catalogue API: /products (list, detail, image) and /categories, read only. Any channel or
partner user reads the active products; channel staff also the inactive ones (`active=false`). Reads
go through catalog.selectors; a product outside the caller's view is 404."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from catalog import selectors
from catalog.models import Category, Product
from core.api import (
    MAX_ID,
    READ_ERRORS,
    CleanStr,
    PageIn,
    PageOut,
    current_user,
    keyset_page_or_422,
    page_out,
)
from core.uploads import image_response
from partners import access

router = Router(tags=["catalogue"])
categories_router = Router(tags=["catalogue"])


class CategoryRefOut(Schema):
    id: int
    slug: str
    name: str


class CategoryOut(CategoryRefOut):
    parent: int | None = Field(description="The id of the parent category; null for a top-level one.")

    @staticmethod
    def resolve_parent(obj: Category) -> int | None:
        return obj.parent_id


class ProductOut(Schema):
    """A product of the brand owner's catalogue."""

    id: int
    sku: str = Field(description="The brand owner's article number (OCI VENDORMAT).")
    name: str
    short_description: str = Field(description="At most 40 characters, as OCI's NEW_ITEM-DESCRIPTION.")
    short_description_shortened: bool = Field(
        description="True when the short description was derived from the name and leaves part of it out."
    )
    long_description: str
    list_price: Decimal = Field(description="Price per `price_unit` order units, as a decimal string.")
    currency: str = Field(description="ISO 4217 code.")
    order_unit: str = Field(description="UN/ECE Recommendation 20 unit code, e.g. C62.")
    price_unit: int
    manufacturer_part_number: str
    material_group: str = Field(description="E.g. the UNSPSC class.")
    category: CategoryRefOut
    attributes: dict[str, Any]
    image_url: str | None = Field(
        description="Where to fetch the product's image (with your token); null without one."
    )
    active: bool
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_image_url(obj: Product, context: dict[str, Any]) -> str | None:
        if not obj.image:
            return None
        request = context["request"]
        return request.build_absolute_uri(reverse("api:product_image", kwargs={"id": obj.pk}))  # type: ignore[no-any-return]


class ProductPageOut(PageOut[ProductOut]):
    pass


class CategoryPageOut(PageOut[CategoryOut]):
    pass


class ProductFilters(PageIn):
    """Filters of GET /products. All are optional and combine with AND; they never widen your view."""

    category: CleanStr | None = Field(
        None, max_length=80, description="A category's slug: its products and those of its sub-categories."
    )
    q: CleanStr = Field("", max_length=200, description="Search in SKU and name (any case).")
    active: bool = Field(
        True, description="false: the deactivated products instead (channel staff; partners see none)."
    )


def _category_id(slug: str, tree: list[selectors.CategoryNode]) -> int:
    found = next((node.id for node in tree if node.slug == slug.strip().lower()), None)
    if found is None:
        raise ValidationError(
            {"category": [f"No category “{slug}”; give a category slug (GET /categories)."]}
        )
    return found


@router.get("", response={200: ProductPageOut, **READ_ERRORS}, summary="List products")
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> Any:
    """The catalogue by name, one keyset page at a time. Partner users see active products only."""
    user = current_user(request)
    tree = selectors.category_tree() if filters.category else None
    category = _category_id(filters.category, tree) if filters.category and tree is not None else None
    qs = selectors.product_list(user, category=category, q=filters.q, active=filters.active, tree=tree)
    return page_out(keyset_page_or_422(qs, order="name", paging=filters))


def _fetch(request: HttpRequest, id: int) -> Product:
    if not 1 <= id <= MAX_ID:
        raise Http404
    product = selectors.visible_products(current_user(request)).filter(pk=id).first()
    if product is None:
        raise Http404
    return product


@router.get("/{id}", response={200: ProductOut, **READ_ERRORS}, summary="One product")
def product_detail(request: HttpRequest, id: int) -> Any:
    """A product you may see (partners: an active one); any other id answers 404."""
    return _fetch(request, id)


@router.get(
    "/{id}/image",
    response={200: None, **READ_ERRORS},
    summary="A product's image",
    url_name="product_image",
    openapi_extra={
        "responses": {
            200: {
                "description": "PNG, JPEG or WebP",
                "content": {"image/png": {}, "image/jpeg": {}, "image/webp": {}},
            }
        }
    },
)
def product_image(request: HttpRequest, id: int) -> HttpResponse:
    """The product's image file; 404 when the product has none."""
    product = _fetch(request, id)
    if not product.image:
        raise Http404
    return image_response(product.image)  # type: ignore[return-value]


@categories_router.get("", response={200: CategoryPageOut, **READ_ERRORS}, summary="List categories")
def category_list(request: HttpRequest, paging: Query[PageIn]) -> Any:
    """The catalogue's categories by name (each with its parent's id), for any channel or partner user."""
    if not (actor := access.actor_of(current_user(request))).is_channel and not actor.is_partner:
        return {"items": [], "next_cursor": None}
    return page_out(keyset_page_or_422(Category.objects.all(), order="name", paging=paging))
