"""The assortment API: GET and PUT /partners/{id}/assortment. Anybody who may see the partner reads
its effective assortment (keyset pages by name) and its chosen categories; its managers and its
channel managers replace the selection (others 403); a partner out of view is 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema

from catalog import assortment as services
from catalog import selectors
from core.api import MAX_ID, READ_ERRORS, WRITE_ERRORS, Id, PageIn, current_user, keyset_page_or_422
from partners.models import Partner

router = Router(tags=["catalogue"])


class AssortmentItemOut(Schema):
    """A product the partner sells, with the partner's settings."""

    product: int = Field(description="The product's id (GET /products/{id}).")
    sku: str
    name: str
    category: int = Field(description="The product's category id.")
    currency: str = Field(description="ISO 4217 code, the product's.")
    list_price: Decimal
    price: Decimal | None = Field(description="The partner's own price; null for the list price.")
    effective_price: Decimal = Field(description="The partner's price, else the list price.")
    stock: int | None = Field(description="Units in stock at the partner; null when not told.")
    lead_time_days: int | None = Field(description="The partner's lead time in days; null when not told.")
    chosen: bool = Field(
        description="True when the product is chosen on its own (with its settings); false when it is "
        "sold only through a chosen category."
    )


class AssortmentPageOut(Schema):
    """One page of the effective assortment, by name, and the chosen categories."""

    categories: list[int] = Field(
        description="The categories chosen as a whole (their sub-categories are included without being listed)."
    )
    items: list[AssortmentItemOut]
    next_cursor: str | None


class AssortmentProductIn(Schema):
    product: Id
    price: Decimal | None = Field(
        None, description='The partner\'s price, e.g. "12.50"; null for the list price.'
    )
    stock: int | None = Field(None, description="Whole number ≥ 0; null when not told.")
    lead_time_days: int | None = Field(None, description="Whole number of days ≥ 0; null when not told.")


class AssortmentIn(Schema):
    """The whole selection: it replaces the partner's categories and products."""

    categories: list[Id] = Field(default_factory=list, max_length=10_000)
    products: list[AssortmentProductIn] = Field(default_factory=list, max_length=50_000)


def _partner(request: HttpRequest, id: int) -> Partner:
    if not 1 <= id <= MAX_ID:
        raise Http404
    partner = selectors.assortment_partner(current_user(request), id)
    if partner is None:
        raise Http404
    return partner


def _cents(value: Decimal) -> Decimal:
    # SQLite hands a computed decimal back unscaled (45 for 45.00).
    return Decimal(value).quantize(Decimal("0.01"))


def _item(product: Any) -> dict[str, Any]:
    return {
        "product": product.pk, "sku": product.sku, "name": product.name, "category": product.category_id,
        "currency": product.currency, "list_price": product.list_price, "price": product.partner_price,
        "effective_price": _cents(product.effective_price), "stock": product.stock,
        "lead_time_days": product.lead_time_days, "chosen": product.setting_id is not None,
    }  # fmt: skip


def _page(partner: Partner, paging: PageIn) -> dict[str, Any]:
    chosen = selectors.chosen_category_ids(partner.pk)
    qs = selectors.assortment(partner.pk, chosen=chosen).defer("long_description", "attributes")
    page = keyset_page_or_422(qs, order="name", paging=paging)
    return {"categories": chosen, "items": [_item(p) for p in page.items], "next_cursor": page.next_cursor}


@router.get(
    "/{id}/assortment", response={200: AssortmentPageOut, **READ_ERRORS}, summary="A partner's assortment"
)
def assortment_get(request: HttpRequest, id: int, paging: Query[PageIn]) -> Any:
    """What the partner sells: the active products of its chosen categories and its chosen products,
    by name, with its price (or the list price), stock and lead time; and the chosen category ids."""
    return _page(_partner(request, id), paging)


@router.put(
    "/{id}/assortment",
    response={200: AssortmentPageOut, **WRITE_ERRORS},
    summary="Replace a partner's assortment",
)
def assortment_put(request: HttpRequest, id: int, payload: AssortmentIn) -> Any:
    """Replace the selection: exactly these categories (with their sub-categories) and these products
    with their settings. Nothing is saved when anything is wrong (422, errors per field such as
    `products[2].price`). The partner's managers and its channel managers; others who may see the
    partner get 403. Answers the first page of the new assortment."""
    partner = _partner(request, id)
    services.assortment_replace(
        actor=current_user(request),
        partner=partner,
        category_ids=list(payload.categories),
        products=[item.dict() for item in payload.products],
    )
    return _page(partner, PageIn(limit=50, cursor=None))
