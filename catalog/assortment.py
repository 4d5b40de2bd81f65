"""Every change to a partner's assortment: the categories it sells as a whole, the single products it
sells, and its own price, stock and lead time per product; also the CSV upload of those settings.

Who may change: the partner's own managers, and whoever manages the partner on the channel side
(channel admins, its channel managers); everybody else gets NotAllowed (403) — the callers fetch the
partner through the access policy first, so a partner out of scope is already 404.

A product of a chosen category gets a PartnerProduct row when the partner sets its price, stock or
lead time; from then on it is in the assortment on its own (it stays when the category is dropped).

CSV upload (`assortment_upload`): columns sku (required), price, stock, lead_time_days. A row adds the
product to the assortment and sets the columns the file has; an empty cell clears that setting (the
list price, no stock or lead time told); a column left out of the file leaves it as it is. Rows are
checked one by one: a bad row is reported with its line and left out, the others are saved, so running
the same file twice changes the assortment once. Files up to MAX_UPLOAD_ROWS rows are processed in the
request (about 0.1 s per 1,000 rows, two queries per 1,000); a larger file is refused with a message
asking to split it."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from catalog.models import MAX_LEAD_TIME_DAYS, Category, PartnerCategory, PartnerProduct, Product
from core.errors import NotAllowed
from core.models import User
from core.services import activity_record
from core.uploads import check_csv_upload, csv_text_stream
from partners import access
from partners.models import Partner

UPLOAD_COLUMNS: list[str] = ["sku", "price", "stock", "lead_time_days"]
UPLOAD_REQUIRED: list[str] = ["sku"]
MAX_UPLOAD_ROWS = 5_000
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_PRICE = Decimal("999999999999.99")
MAX_STOCK = 2_147_483_647
EXAMPLE_CSV = "sku,price,stock,lead_time_days\nKA-IS12-04FPN,45.50,120,2\nKA-PT-0-10B,,0,14\n"
SETTINGS = ("price", "stock", "lead_time_days")


def can_change_assortment(user: Any, partner: Partner) -> bool:
    """The partner's own manager, or a channel admin or channel manager who manages the partner."""
    return access.can_edit_own_company(user, partner) or access.manages_partner(user, partner)


def _require(actor: User, partner: Partner) -> None:
    if not can_change_assortment(actor, partner):
        raise NotAllowed(
            "Only the partner's managers and its channel managers change the assortment; you may read it."
        )


# --- Values ----------------------------------------------------------------------------------------


def parse_price(value: Any) -> Decimal | None:
    """A price as given (text, number or None): None for empty; at most two decimals, not negative.
    Raises ValidationError saying what to write."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, float):
        value = str(value)
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(f"“{str(value)[:30]}” is not a price; write e.g. 12.50 (a decimal point).")
    if not price.is_finite() or price < 0 or price > MAX_PRICE:
        raise ValidationError("A price is a number of at least 0, e.g. 12.50.")
    if price != price.quantize(Decimal("0.01")):
        raise ValidationError("A price has at most two decimals, e.g. 12.50.")
    return price.quantize(Decimal("0.01"))


def _parse_count(value: Any, *, what: str, maximum: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValidationError(f"The {what} is a whole number, e.g. 12.")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(f"“{str(value)[:30]}” is not a whole number; the {what} is e.g. 12.")
    if number < 0 or number > maximum:
        raise ValidationError(f"The {what} is a whole number from 0 to {maximum}.")
    return number


def parse_stock(value: Any) -> int | None:
    return _parse_count(value, what="stock", maximum=MAX_STOCK)


def parse_lead_time(value: Any) -> int | None:
    return _parse_count(value, what="lead time in days", maximum=MAX_LEAD_TIME_DAYS)


def clean_settings(values: dict[str, Any]) -> dict[str, Any]:
    """The settings given (any of price, stock, lead_time_days), parsed; raises ValidationError per field."""
    parsers = {"price": parse_price, "stock": parse_stock, "lead_time_days": parse_lead_time}
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, value in values.items():
        if name not in parsers:
            errors[name] = ["Unknown setting; give price, stock or lead_time_days."]
            continue
        try:
            cleaned[name] = parsers[name](value)
        except ValidationError as exc:
            errors[name] = exc.messages
    if errors:
        raise ValidationError(errors)
    return cleaned


def _active_products(ids: Iterable[int]) -> dict[int, Product]:
    return {p.pk: p for p in Product.objects.filter(pk__in=list(ids), active=True).only("id", "sku", "name")}


# --- Categories ------------------------------------------------------------------------------------


@transaction.atomic
def assortment_set_categories(*, actor: User, partner: Partner, category_ids: Iterable[int]) -> list[int]:
    """Make the partner's chosen categories exactly these (each with its sub-categories). Unknown ids
    raise ValidationError on `categories`. Answers the chosen ids."""
    _require(actor, partner)
    wanted = set(category_ids)
    known = set(Category.objects.filter(pk__in=wanted).values_list("id", flat=True))
    if unknown := sorted(wanted - known):
        raise ValidationError(
            {
                "categories": [
                    f"No category with the id {', '.join(map(str, unknown[:10]))}; choose from the list."
                ]
            }
        )
    current = set(PartnerCategory.objects.filter(partner=partner).values_list("category_id", flat=True))
    added, removed = wanted - current, current - wanted
    if removed:
        PartnerCategory.objects.filter(partner=partner, category_id__in=removed).delete()
    if added:
        PartnerCategory.objects.bulk_create(
            [PartnerCategory(partner=partner, category_id=pk) for pk in sorted(added)], ignore_conflicts=True
        )
    if added or removed:
        activity_record(actor=actor, verb="catalog.assortment_categories", target=partner, partner_id=partner.pk,
                        message=f"Assortment categories of {partner.name}: {len(added)} added, {len(removed)} removed",
                        data={"added": sorted(added), "removed": sorted(removed)})  # fmt: skip
    return sorted(wanted)


# --- Products --------------------------------------------------------------------------------------


@transaction.atomic
def assortment_add_products(*, actor: User, partner: Partner, product_ids: Iterable[int]) -> int:
    """Add single active products to the assortment (those already in it keep their settings).
    Answers how many were added; an unknown or inactive product raises ValidationError."""
    _require(actor, partner)
    wanted = set(product_ids)
    products = _active_products(wanted)
    if missing := sorted(wanted - set(products)):
        raise ValidationError(
            {"products": [f"No active product with the id {', '.join(map(str, missing[:10]))}."]}
        )
    present = set(
        PartnerProduct.objects.filter(partner=partner, product_id__in=wanted).values_list(
            "product_id", flat=True
        )
    )
    new = sorted(wanted - present)
    PartnerProduct.objects.bulk_create(
        [PartnerProduct(partner=partner, product_id=pk) for pk in new], ignore_conflicts=True
    )
    if new:
        activity_record(actor=actor, verb="catalog.assortment_products_added", target=partner,
                        partner_id=partner.pk, message=f"{len(new)} products added to the assortment of {partner.name}",
                        data={"products": new[:100]})  # fmt: skip
    return len(new)


@transaction.atomic
def assortment_remove_products(*, actor: User, partner: Partner, product_ids: Iterable[int]) -> int:
    """Take single products (and their settings) out of the assortment; a product of a chosen
    category stays in it at the list price. Answers how many rows were removed."""
    _require(actor, partner)
    ids = sorted(set(product_ids))
    removed, _ = PartnerProduct.objects.filter(partner=partner, product_id__in=ids).delete()
    if removed:
        activity_record(actor=actor, verb="catalog.assortment_products_removed", target=partner,
                        partner_id=partner.pk, message=f"{removed} products removed from the assortment of {partner.name}",
                        data={"products": ids[:100]})  # fmt: skip
    return removed


@transaction.atomic
def assortment_product_update(
    *, actor: User, partner: Partner, product: Product, settings: dict[str, Any]
) -> PartnerProduct:
    """Set the partner's price, stock and lead time of one active product (the keys given; None
    clears). Adds the product to the assortment when it is not in it yet."""
    _require(actor, partner)
    if not product.active:
        raise ValidationError("This product is inactive; the brand owner no longer offers it.")
    cleaned = clean_settings(settings)
    row, _ = PartnerProduct.objects.select_for_update().get_or_create(partner=partner, product=product)
    changed = [name for name, value in cleaned.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, cleaned[name])
    if changed:
        row.save(update_fields=[*changed, "updated_at"])
        activity_record(actor=actor, verb="catalog.assortment_product_updated", target=partner,
                        partner_id=partner.pk, message=f"{product.sku} in the assortment of {partner.name} changed",
                        data={"product": product.pk, "changed": changed})  # fmt: skip
    return row


# --- The whole selection at once (API PUT) ---------------------------------------------------------


@transaction.atomic
def assortment_replace(
    *, actor: User, partner: Partner, category_ids: list[int], products: list[dict[str, Any]]
) -> None:
    """Replace the partner's selection: exactly these categories and these products, each product
    with its price, stock and lead time (None for none). Everything is checked before anything is
    saved; errors name the list position, e.g. `products[2].price`."""
    _require(actor, partner)
    errors: dict[str, list[str]] = {}
    rows: dict[int, dict[str, Any]] = {}
    seen: set[int] = set()
    for index, item in enumerate(products):
        product_id = int(item.get("product") or 0)
        if product_id in seen:
            errors[f"products[{index}].product"] = ["This product is listed twice."]
            continue
        seen.add(product_id)
        try:
            rows[product_id] = clean_settings({k: item.get(k) for k in SETTINGS})
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                errors[f"products[{index}].{name}"] = messages
            continue
    known = _active_products(seen)
    for index, item in enumerate(products):
        if int(item.get("product") or 0) not in known and f"products[{index}].product" not in errors:
            errors.setdefault(f"products[{index}].product", []).append(
                f"No active product with the id {item.get('product')}."
            )
    wanted_categories = set(category_ids)
    found = set(Category.objects.filter(pk__in=wanted_categories).values_list("id", flat=True))
    if unknown := sorted(wanted_categories - found):
        errors["categories"] = [f"No category with the id {', '.join(map(str, unknown[:10]))}."]
    if errors:
        raise ValidationError(errors)
    assortment_set_categories(actor=actor, partner=partner, category_ids=wanted_categories)
    existing = {row.product_id: row for row in PartnerProduct.objects.filter(partner=partner)}
    stale = set(existing) - set(rows)
    if stale:
        PartnerProduct.objects.filter(partner=partner, product_id__in=stale).delete()
    to_create: list[PartnerProduct] = []
    to_update: list[PartnerProduct] = []
    now = timezone.now()
    for product_id, values in rows.items():
        row = existing.get(product_id)
        if row is None:
            to_create.append(PartnerProduct(partner=partner, product_id=product_id, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            to_update.append(row)
    PartnerProduct.objects.bulk_create(to_create, batch_size=1000)
    PartnerProduct.objects.bulk_update(to_update, [*SETTINGS, "updated_at"], batch_size=1000)
    activity_record(actor=actor, verb="catalog.assortment_replaced", target=partner, partner_id=partner.pk,
                    message=f"Assortment of {partner.name} replaced: {len(wanted_categories)} categories, "
                    f"{len(rows)} products",
                    data={"created": len(to_create), "updated": len(to_update), "removed": len(stale)})  # fmt: skip


# --- CSV upload ------------------------------------------------------------------------------------


@dataclass
class UploadResult:
    """What an upload did: products added, changed, left as they were, and the rows refused."""

    added: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def summary(self) -> str:
        text = f"{self.added} added, {self.changed} changed, {self.unchanged} unchanged"
        if self.errors:
            text += f", {len(self.errors)} rows refused"
        return text


@transaction.atomic
def assortment_upload(*, actor: User, partner: Partner, uploaded_file: Any) -> UploadResult:
    """Apply a CSV of the partner's product settings (see the module's docstring). The file as a whole
    is refused (ValidationError, nothing saved) when it is not UTF-8 CSV, has a wrong header, no rows,
    or more than MAX_UPLOAD_ROWS rows; a bad row is reported and left out."""
    _require(actor, partner)
    header, count = check_csv_upload(
        uploaded_file, columns=UPLOAD_COLUMNS, required=UPLOAD_REQUIRED, max_bytes=MAX_UPLOAD_BYTES
    )
    if count > MAX_UPLOAD_ROWS:
        raise ValidationError(
            f"The file has {count} rows; upload at most {MAX_UPLOAD_ROWS:,} at a time (split the file)."
        )
    text = csv_text_stream(uploaded_file)
    try:
        reader = csv.reader(text)
        next(reader)
        parsed: list[tuple[int, str, dict[str, Any]]] = []
        result = UploadResult()
        seen: set[str] = set()
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            line = reader.line_num
            cells = dict(zip(header, record, strict=False))
            sku = (cells.get("sku") or "").strip()
            if not sku:
                result.errors.append((line, "The SKU is empty."))
                continue
            if sku in seen:
                result.errors.append(
                    (line, f"The SKU {sku} is given twice in the file; only its first row counts.")
                )
                continue
            seen.add(sku)
            try:
                values = clean_settings({name: cells.get(name, "") for name in SETTINGS if name in header})
            except ValidationError as exc:
                reasons = "; ".join(f"{name}: {' '.join(m)}" for name, m in exc.message_dict.items())
                result.errors.append((line, reasons))
                continue
            parsed.append((line, sku, values))
    finally:
        text.detach()
    products = {
        p.sku: p
        for p in Product.objects.filter(sku__in=[sku for _, sku, _ in parsed]).only("id", "sku", "active")
    }
    existing = {
        row.product_id: row
        for row in PartnerProduct.objects.filter(
            partner=partner, product_id__in=[p.pk for p in products.values()]
        )
    }
    to_create: list[PartnerProduct] = []
    to_update: list[PartnerProduct] = []
    now = timezone.now()
    for line, sku, values in parsed:
        product = products.get(sku)
        if product is None:
            result.errors.append((line, f"No product with the SKU {sku} in the catalogue."))
            continue
        if not product.active:
            result.errors.append(
                (line, f"The product {sku} is inactive; the brand owner no longer offers it.")
            )
            continue
        row = existing.get(product.pk)
        if row is None:
            to_create.append(PartnerProduct(partner=partner, product=product, **values))
            result.added += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = now
            to_update.append(row)
            result.changed += 1
        else:
            result.unchanged += 1
    PartnerProduct.objects.bulk_create(to_create, batch_size=1000)
    PartnerProduct.objects.bulk_update(to_update, [*SETTINGS, "updated_at"], batch_size=1000)
    result.errors.sort()
    if to_create or to_update:
        activity_record(actor=actor, verb="catalog.assortment_uploaded", target=partner, partner_id=partner.pk,
                        message=f"Assortment of {partner.name} uploaded: {result.summary}",
                        data={"added": result.added, "changed": result.changed})  # fmt: skip
    return result
