"""A customer's basket, kept in the session: product id → quantity, one basket per showroom and purpose
(key "showroom:<slug>" for the public showroom, "oci:<slug>" for an OCI punch-out), so that two
showrooms, or a showroom and a punch-out, never mix their baskets.

The session holds only ids and quantities; prices, stock and lead times are read from the partner's
effective assortment whenever the lines are shown, so the basket always shows today's figures and
drops products the partner no longer sells."""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from catalog import selectors as catalog_selectors
from catalog.models import Product

MAX_QUANTITY = 9999  # per line
MAX_LINES = 100
CENT = Decimal("0.01")


class BasketError(ValueError):
    """A change the basket refuses (a quantity out of range, too many lines); the message is for the
    customer."""


def parse_quantity(value: Any) -> int:
    """A quantity typed by a customer as a whole number from 1 to MAX_QUANTITY, or BasketError."""
    text = str(value if value is not None else "").strip()
    if not text.isdigit() or len(text) > 6:
        raise BasketError(f"Enter the quantity as a whole number from 1 to {MAX_QUANTITY}.")
    quantity = int(text)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise BasketError(f"Enter the quantity as a whole number from 1 to {MAX_QUANTITY}.")
    return quantity


@dataclass(frozen=True)
class BasketLine:
    """A product in the basket with the partner's figures: price per `product.price_unit` order units
    (the partner's own or the list price), stock and lead time in days (None when not told), and the
    line total (quantity × price ÷ price unit, to the cent)."""

    product: Product
    quantity: int
    price: Decimal
    stock: int | None
    lead_time_days: int | None

    @property
    def currency(self) -> str:
        return self.product.currency

    @property
    def line_total(self) -> Decimal:
        return (self.price * self.quantity / self.product.price_unit).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class BasketContents:
    """The basket's lines in the order the products were added, and the ids of products dropped because
    the partner no longer sells them (or they were deactivated)."""

    lines: list[BasketLine]
    dropped: list[int] = field(default_factory=list)

    @property
    def totals(self) -> list[tuple[str, Decimal]]:
        """The total per currency (one entry in the usual single-currency catalogue), currency order."""
        sums: dict[str, Decimal] = {}
        for line in self.lines:
            sums[line.currency] = sums.get(line.currency, Decimal("0")) + line.line_total
        return sorted(sums.items())

    @property
    def total(self) -> Decimal:
        """The sum of the line totals (currencies are not converted; see `totals`)."""
        return sum((line.line_total for line in self.lines), Decimal("0.00")).quantize(CENT)

    @property
    def currency(self) -> str:
        """The basket's currency, or "" when empty or mixed."""
        currencies = {line.currency for line in self.lines}
        return currencies.pop() if len(currencies) == 1 else ""

    def __len__(self) -> int:
        return len(self.lines)

    def __bool__(self) -> bool:
        return bool(self.lines)


class Basket:
    """product id → quantity in `session[key]`. Every change marks the session modified."""

    def __init__(self, session: MutableMapping[str, Any], *, key: str) -> None:
        self.session = session
        self.key = key

    @classmethod
    def for_showroom(cls, session: MutableMapping[str, Any], slug: str) -> Basket:
        return cls(session, key=f"showroom:{slug}")

    @classmethod
    def for_oci(cls, session: MutableMapping[str, Any], slug: str) -> Basket:
        return cls(session, key=f"oci:{slug}")

    # --- reading --------------------------------------------------------------------------------------

    def quantities(self) -> dict[int, int]:
        """product id → quantity, in the order added; anything malformed in the session is left out."""
        stored = self.session.get(self.key)
        if not isinstance(stored, dict):
            return {}
        result: dict[int, int] = {}
        for raw_id, raw_quantity in stored.items():
            try:
                product_id, quantity = int(raw_id), int(raw_quantity)
            except (TypeError, ValueError):
                continue
            if product_id > 0 and 1 <= quantity <= MAX_QUANTITY and len(result) < MAX_LINES:
                result[product_id] = quantity
        return result

    def quantity(self, product_id: int) -> int:
        return self.quantities().get(product_id, 0)

    def __len__(self) -> int:
        return len(self.quantities())

    def __bool__(self) -> bool:
        return bool(self.quantities())

    def lines(self, partner_id: int) -> BasketContents:
        """The basket's products in the partner's effective assortment, with its price, stock and lead
        time. Queries: the category tree, the partner's chosen categories, the products (one each,
        however many lines)."""
        quantities = self.quantities()
        if not quantities:
            return BasketContents(lines=[])
        products = {
            product.pk: product
            for product in catalog_selectors.assortment(partner_id).filter(pk__in=list(quantities))
        }
        lines = []
        for product_id, quantity in quantities.items():
            product = products.get(product_id)
            if product is None:
                continue
            price = Decimal(product.effective_price).quantize(CENT)  # type: ignore[attr-defined]
            lines.append(
                BasketLine(
                    product=product,
                    quantity=quantity,
                    price=price,
                    stock=product.stock,  # type: ignore[attr-defined]
                    lead_time_days=product.lead_time_days,  # type: ignore[attr-defined]
                )
            )
        dropped = [product_id for product_id in quantities if product_id not in products]
        return BasketContents(lines=lines, dropped=dropped)

    # --- changing -------------------------------------------------------------------------------------

    def _store(self, quantities: dict[int, int]) -> None:
        if quantities:
            self.session[self.key] = {str(pk): quantity for pk, quantity in quantities.items()}
        else:
            self.session.pop(self.key, None)
        modified = getattr(self.session, "modified", None)
        if modified is not None:
            self.session.modified = True  # type: ignore[attr-defined]

    def add(self, product_id: int, quantity: int = 1) -> int:
        """Add `quantity` of the product (to what is there already); returns the line's new quantity.
        BasketError when the quantity is out of range, the line would pass MAX_QUANTITY, or the basket
        has MAX_LINES other products already."""
        quantity = parse_quantity(quantity)
        quantities = self.quantities()
        new = quantities.get(product_id, 0) + quantity
        if new > MAX_QUANTITY:
            raise BasketError(f"A line can hold at most {MAX_QUANTITY}; the basket has {new - quantity}.")
        if product_id not in quantities and len(quantities) >= MAX_LINES:
            raise BasketError(f"A basket holds at most {MAX_LINES} products; send this quote request first.")
        quantities[product_id] = new
        self._store(quantities)
        return new

    def set(self, product_id: int, quantity: int) -> None:
        """Set the line's quantity (0 removes it). BasketError when out of range or the basket is full."""
        if str(quantity).strip() == "0":
            self.remove(product_id)
            return
        quantity = parse_quantity(quantity)
        quantities = self.quantities()
        if product_id not in quantities and len(quantities) >= MAX_LINES:
            raise BasketError(f"A basket holds at most {MAX_LINES} products; send this quote request first.")
        quantities[product_id] = quantity
        self._store(quantities)

    def remove(self, product_id: int) -> None:
        quantities = self.quantities()
        if quantities.pop(product_id, None) is not None:
            self._store(quantities)

    def forget(self, product_ids: list[int]) -> None:
        """Drop these products (e.g. BasketContents.dropped: no longer sold by the partner)."""
        quantities = self.quantities()
        if any(pk in quantities for pk in product_ids):
            self._store({pk: q for pk, q in quantities.items() if pk not in product_ids})

    def clear(self) -> None:
        if self.key in self.session:
            self._store({})
