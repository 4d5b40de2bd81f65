"""Catalogue exports: BMEcat 2005 (`T_NEW_CATALOG`), CSV and JSON, each written as a stream of UTF-8 chunks.

The writers take plain values (`CatalogHeader`, `ExportCategory`, `ExportItem`), not models: an export job
reads rows with a cursor and hands them over one at a time, so memory stays flat however large the
catalogue is. Each writer checks its arguments and pulls the first item when it is called, so a bad header
or an empty catalogue raises before a byte is written; it then answers an iterator of `bytes`, one chunk per
`chunk_size` products.

BMEcat output is valid against `showroom/specs/bmecat_2005.xsd` (see its README):
- texts longer than their element allows are shortened at a word boundary and end in "…"
  (`catalog.text.short_text`);
- identifiers that do not fit (a SKU over 32 characters, a material group over 10, ...), codes the schema
  does not know (language, currency, order unit) and money that is not a finite, non-negative `Decimal`
  raise `ExportError`, which names the product; an identifier is never cut, a shop would match it wrongly;
- characters that XML 1.0 cannot carry (control characters other than tab and line breaks, U+FFFE, U+FFFF,
  lone surrogates) are left out.

Mapping (BMEcat 2005 element ← `ExportItem` field): SUPPLIER_PID ← sku; DESCRIPTION_SHORT ← name;
DESCRIPTION_LONG ← short_description and long_description; MANUFACTURER_PID ← manufacturer_part_number;
MANUFACTURER_NAME ← manufacturer_name; ERP_GROUP_SUPPLIER ← material_group; DELIVERY_TIME ← lead_time_days;
ORDER_UNIT ← order_unit; PRICE_QUANTITY ← price_unit; PRODUCT_PRICE (`price_type` from the header) ←
price, currency; MIME_INFO ← image_url; PRODUCT_TO_CATALOGGROUP_MAP ← category_id. BMEcat 2005 has no
element for a stock level (and this schema closes USER_DEFINED_EXTENSIONS), so `stock` goes to the CSV and
JSON exports only.
"""

from __future__ import annotations

import csv
import io
import json
import re
import tempfile
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from itertools import chain
from pathlib import Path
from typing import Any, NamedTuple

from catalog.text import collapse_whitespace, short_text

__all__ = [
    "BMECAT_NAMESPACE",
    "CSV_COLUMNS",
    "DEFAULT_CHUNK_SIZE",
    "ROOT_GROUP_ID",
    "SCHEMA_PATH",
    "CatalogHeader",
    "EmptyCatalogueError",
    "ExportCategory",
    "ExportError",
    "ExportItem",
    "bmecat_currencies",
    "bmecat_languages",
    "bmecat_order_units",
    "write_bmecat",
    "write_csv",
    "write_json",
]

BMECAT_NAMESPACE = "http://www.bmecat.org/bmecat/2005"
SCHEMA_PATH = Path(__file__).resolve().parent / "specs" / "bmecat_2005.xsd"
DEFAULT_CHUNK_SIZE = 500
# The catalogue group system has one root; the exported categories hang below it. PARENT_ID "0" for the
# root is the usual BMEcat convention ("no parent").
ROOT_GROUP_ID = "root"
ROOT_PARENT_ID = "0"

ProgressCallback = Callable[[int], object]

# Maximum lengths from the schema (xsd:maxLength counts characters, as Python's len() does).
_SUPPLIER_PID_MAX = 32  # typeSUPPLIER_PID
_DESCRIPTION_SHORT_MAX = 150
_DESCRIPTION_LONG_MAX = 64000
_MANUFACTURER_PID_MAX = 50
_MANUFACTURER_NAME_MAX = 50
_ERP_GROUP_SUPPLIER_MAX = 10
_MIME_SOURCE_MAX = 255
_CATALOG_ID_MAX = 20
_CATALOG_NAME_MAX = 100
_PARTY_NAME_MAX = 50  # SUPPLIER_NAME, BUYER_NAME
_PARTY_ID_MAX = 250
_GENERATOR_INFO_MAX = 250
_GROUP_ID_MAX = 50
_GROUP_NAME_MAX = 50
_GROUP_DESCRIPTION_MAX = 250
_GROUP_SYSTEM_NAME_MAX = 50
_CATALOG_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}")
_PRICE_TYPES = frozenset({"gros_list", "net_customer", "net_customer_exp", "net_list", "nrp", "on_request"})
# MIME_TYPE's pattern admits only these slash types (and bare words); other images go without a type.
_MIME_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif"}

# Everything up to and including the space: stripped from texts before they are checked for emptiness, so
# that a text made only of control characters counts as empty rather than becoming an empty element.
_BLANK = "".join(chr(code) for code in range(33))
# C0 control characters that XML 1.0 forbids (all but tab, line feed, carriage return), removed from the
# encoded chunk in one pass.
_XML_FORBIDDEN_BYTES = bytes(code for code in range(32) if code not in (9, 10, 13))
_XML_FORBIDDEN_SINGLE_BYTES = tuple(bytes((code,)) for code in _XML_FORBIDDEN_BYTES)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV text columns are defused).
_FORMULA_PREFIXES = "=+-@\t\r"


class ExportError(ValueError):
    """A catalogue cannot be exported as asked; the message says what to fix."""


class EmptyCatalogueError(ExportError):
    """The assortment holds no product: an empty catalogue is refused (the schema would accept it)."""

    def __init__(self) -> None:
        super().__init__("The catalogue is empty: add products to the assortment before exporting it.")


@dataclass(frozen=True, slots=True)
class CatalogHeader:
    """Who publishes which catalogue: the BMEcat HEADER (CSV and JSON exports do not use it)."""

    catalog_id: str  # CATALOG_ID, at most 20 characters
    supplier_name: str  # SUPPLIER_NAME, shortened to 50 characters
    catalog_version: str = "1.0"  # CATALOG_VERSION, "major.minor" with up to 3 digits each
    catalog_name: str = ""  # CATALOG_NAME, shortened to 100 characters
    language: str = "eng"  # ISO 639-2, three letters ("eng", "deu"/"ger", "fra"/"fre")
    currency: str = "EUR"  # the catalogue's default currency (ISO 4217, as the schema lists them)
    supplier_id: str = ""  # SUPPLIER_ID, optional
    buyer_name: str = ""  # BUYER_NAME, optional
    generation_date: datetime | date | None = None  # None: now (UTC)
    price_type: str = "net_list"  # PRODUCT_PRICE/@price_type for every product
    generator_info: str = "OpenPCM"


@dataclass(frozen=True, slots=True)
class ExportCategory:
    """A category of the exported tree: a BMEcat CATALOG_STRUCTURE (a `leaf` when nothing hangs below it)."""

    id: str | int  # GROUP_ID, at most 50 characters; products refer to it by `ExportItem.category_id`
    name: str  # GROUP_NAME, shortened to 50 characters
    parent_id: str | int | None = None  # None (or "") for a top-level category
    description: str = ""  # GROUP_DESCRIPTION, shortened to 250 characters


class ExportItem(NamedTuple):
    """One product of a partner's assortment as exported: the partner's price, stock and lead time.

    Immutable like a frozen dataclass, but a NamedTuple because an export builds a million of them:
    `ExportItem._make(row)` from a `values_list(...)` row in this field order costs about 0.6 µs, a frozen
    dataclass about 4 µs (measured), which alone would be a fifth of the time per product."""

    sku: str
    name: str
    price: Decimal  # per `price_unit` order units
    currency: str
    order_unit: str = "C62"  # UN/ECE Recommendation 20 code (C62: one, piece)
    price_unit: Decimal = Decimal(1)
    short_description: str = ""
    long_description: str = ""
    manufacturer_part_number: str = ""
    manufacturer_name: str = ""
    material_group: str = ""  # e.g. an UNSPSC code
    category_id: str | int | None = None  # an ExportCategory's id (a database id as int is fine)
    category_name: str = ""
    stock: int | None = None
    lead_time_days: int | None = None
    image_url: str = ""  # absolute URL (a shop resolves nothing against our host), at most 255 characters


# -- the schema's code lists ------------------------------------------------------------------------------


@cache
def _schema_enumeration(type_name: str) -> frozenset[str]:
    """The enumerated values of one named simple type of the bundled schema (read once per process)."""
    xsd = "{http://www.w3.org/2001/XMLSchema}"
    # Our own bundled file, not untrusted input.
    root = ElementTree.parse(SCHEMA_PATH).getroot()  # noqa: S314
    for simple_type in root.iter(f"{xsd}simpleType"):
        if simple_type.get("name") == type_name:
            return frozenset(e.attrib["value"] for e in simple_type.iter(f"{xsd}enumeration"))
    raise LookupError(f"{type_name} is not a simple type of {SCHEMA_PATH.name}")


def bmecat_languages() -> frozenset[str]:
    """ISO 639-2 codes that BMEcat 2005 accepts in LANGUAGE (`dtLANG`)."""
    return _schema_enumeration("dtLANG")


def bmecat_currencies() -> frozenset[str]:
    """ISO 4217 codes that BMEcat 2005 accepts (`dtCURRENCIES`, the 2005 list: e.g. no PLN or CZK)."""
    return _schema_enumeration("dtCURRENCIES")


def bmecat_order_units() -> frozenset[str]:
    """UN/ECE Recommendation 20 unit codes that BMEcat 2005 accepts in ORDER_UNIT (`dtPUNIT`)."""
    return _schema_enumeration("dtPUNIT")


# -- small formatting helpers ---------------------------------------------------------------------------


def _xml(text: str) -> str:
    """Text escaped for element content (the `in` tests skip the common case of nothing to escape)."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _fit(text: str, limit: int) -> str:
    """`text` as it is when it fits, else shortened at a word boundary with "…"."""
    return text if len(text) <= limit else short_text(text, limit)


def _to_xml_bytes(text: str) -> bytes:
    """UTF-8 for an XML document: lone surrogates become "?", forbidden control characters go."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate; the error handler costs time, so only when needed
        data = text.encode("utf-8", "replace")
    # Twenty-nine memchr scans are about twice as fast as one translate pass, and almost no chunk needs one.
    for byte in _XML_FORBIDDEN_SINGLE_BYTES:
        if byte in data:
            data = data.translate(None, _XML_FORBIDDEN_BYTES)
            break
    # U+FFFE and U+FFFF are not XML characters either; a str test is instant when the text has no
    # character beyond U+00FF, so the common chunk costs nothing here.
    if "\ufffe" in text or "\uffff" in text:
        data = data.replace("\ufffe".encode(), b"").replace("\uffff".encode(), b"")
    return data


def _number(value: object, *, what: str, sku: str, positive: bool = False) -> str:
    """A Decimal (or int) as a plain decimal with a point: no exponent, no thousands separator."""
    if type(value) is Decimal:
        text = str(value)
        # The common case ("12.50") is done here; a sign, NaN, Infinity or an exponent takes the long way.
        if text[0] not in "-NIs" and "E" not in text and not (positive and not value):
            return text
    elif isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    else:
        raise ExportError(f"Product {sku!r}: {what} must be a Decimal, not {type(value).__name__}.")
    assert isinstance(value, Decimal)
    if not value.is_finite() or value < 0 or (positive and value == 0):
        kind = "a positive" if positive else "a non-negative"
        raise ExportError(f"Product {sku!r}: {what} must be {kind} number, not {value}.")
    return format(value, "f")


def _whole_days(value: object, *, sku: str) -> str:
    if type(value) is not int or value < 0:
        raise ExportError(f"Product {sku!r}: the lead time must be a whole number of days (0 or more).")
    return str(value)


def _date_time(value: datetime | date) -> str:
    """GENERATION_DATE (`dtDATETIME`): an aware datetime in UTC with "Z", a naive one as it is."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.isoformat()


def _first_and_rest(items: Iterable[ExportItem]) -> Iterator[ExportItem]:
    """The items again, with the first one already pulled: an empty catalogue raises here, at the call."""
    iterator = iter(items)
    for first in iterator:
        return chain((first,), iterator)
    raise EmptyCatalogueError()


# -- BMEcat ---------------------------------------------------------------------------------------------


def _header_xml(header: CatalogHeader) -> str:
    catalog_id = header.catalog_id.strip(_BLANK)
    if not catalog_id or len(catalog_id) > _CATALOG_ID_MAX:
        raise ExportError(
            f"The catalogue id must have 1 to {_CATALOG_ID_MAX} characters, not {catalog_id!r}."
        )
    version = header.catalog_version.strip()
    if not _CATALOG_VERSION.fullmatch(version):
        raise ExportError(f"The catalogue version must look like 1.0 (up to 3 digits each), not {version!r}.")
    if header.language not in bmecat_languages():
        raise ExportError(
            f"The language must be an ISO 639-2 code of three letters such as 'eng' or 'deu', "
            f"not {header.language!r}."
        )
    if header.currency not in bmecat_currencies():
        raise ExportError(f"BMEcat 2005 does not know the currency {header.currency!r}.")
    if header.price_type not in _PRICE_TYPES:
        raise ExportError(f"The price type must be one of {', '.join(sorted(_PRICE_TYPES))}.")
    supplier_name = collapse_whitespace(header.supplier_name).strip(_BLANK)
    if not supplier_name:
        raise ExportError("The supplier name is missing.")
    supplier_id = header.supplier_id.strip(_BLANK)
    if len(supplier_id) > _PARTY_ID_MAX:
        raise ExportError(f"The supplier id is longer than {_PARTY_ID_MAX} characters.")
    generated = header.generation_date or datetime.now(UTC)
    catalog_name = collapse_whitespace(header.catalog_name).strip(_BLANK)
    buyer_name = collapse_whitespace(header.buyer_name).strip(_BLANK)
    generator = collapse_whitespace(header.generator_info).strip(_BLANK)

    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<BMECAT version="2005" xmlns="{BMECAT_NAMESPACE}">',
        "<HEADER>",
    ]
    if generator:
        lines.append(f"<GENERATOR_INFO>{_xml(_fit(generator, _GENERATOR_INFO_MAX))}</GENERATOR_INFO>")
    lines += [
        "<CATALOG>",
        f"<LANGUAGE>{header.language}</LANGUAGE>",
        f"<CATALOG_ID>{_xml(catalog_id)}</CATALOG_ID>",
        f"<CATALOG_VERSION>{version}</CATALOG_VERSION>",
    ]
    if catalog_name:
        lines.append(f"<CATALOG_NAME>{_xml(_fit(catalog_name, _CATALOG_NAME_MAX))}</CATALOG_NAME>")
    lines += [
        f"<GENERATION_DATE>{_date_time(generated)}</GENERATION_DATE>",
        f"<CURRENCY>{header.currency}</CURRENCY>",
        "</CATALOG>",
    ]
    if buyer_name:
        lines.append(f"<BUYER><BUYER_NAME>{_xml(_fit(buyer_name, _PARTY_NAME_MAX))}</BUYER_NAME></BUYER>")
    supplier_id_xml = f"<SUPPLIER_ID>{_xml(supplier_id)}</SUPPLIER_ID>" if supplier_id else ""
    lines += [
        f"<SUPPLIER>{supplier_id_xml}<SUPPLIER_NAME>{_xml(_fit(supplier_name, _PARTY_NAME_MAX))}"
        "</SUPPLIER_NAME></SUPPLIER>",
        "</HEADER>",
        "<T_NEW_CATALOG>",
    ]
    return "\n".join(lines) + "\n"


def _group_system_xml(header: CatalogHeader, categories: Sequence[ExportCategory]) -> str:
    """CATALOG_GROUP_SYSTEM: a root, then the categories parents first, in the order given among siblings."""
    by_id: dict[str, ExportCategory] = {}
    children: dict[str, list[tuple[str, ExportCategory]]] = {ROOT_GROUP_ID: []}
    for category in categories:
        group_id = str(category.id)
        if not group_id or len(group_id) > _GROUP_ID_MAX:
            raise ExportError(f"Category ids must have 1 to {_GROUP_ID_MAX} characters, not {group_id!r}.")
        if group_id in (ROOT_GROUP_ID, ROOT_PARENT_ID):
            raise ExportError(f"The category id {group_id!r} is reserved for the catalogue's root group.")
        if group_id in by_id:
            raise ExportError(f"The category id {group_id!r} appears twice.")
        by_id[group_id] = category
        children[group_id] = []
    for group_id, category in by_id.items():
        parent = ROOT_GROUP_ID if category.parent_id in (None, "") else str(category.parent_id)
        if parent not in children:
            raise ExportError(
                f"Category {group_id!r}: its parent {parent!r} is not among the exported categories."
            )
        children[parent].append((group_id, category))

    catalog_id = header.catalog_id.strip(_BLANK)
    name = collapse_whitespace(header.catalog_name).strip(_BLANK) or catalog_id
    lines = [
        "<CATALOG_GROUP_SYSTEM>",
        f"<GROUP_SYSTEM_ID>{_xml(catalog_id)}</GROUP_SYSTEM_ID>",
        f"<GROUP_SYSTEM_NAME>{_xml(_fit(name, _GROUP_SYSTEM_NAME_MAX))}</GROUP_SYSTEM_NAME>",
        f'<CATALOG_STRUCTURE type="root"><GROUP_ID>{ROOT_GROUP_ID}</GROUP_ID>'
        f"<GROUP_NAME>{_xml(_fit(name, _GROUP_NAME_MAX))}</GROUP_NAME>"
        f"<PARENT_ID>{ROOT_PARENT_ID}</PARENT_ID></CATALOG_STRUCTURE>",
    ]
    written = 0
    queue = [ROOT_GROUP_ID]
    while queue:
        parent_id = queue.pop(0)
        for order, (group_id, category) in enumerate(children[parent_id], start=1):
            kind = "node" if children[group_id] else "leaf"
            group_name = collapse_whitespace(category.name).strip(_BLANK) or group_id
            description = collapse_whitespace(category.description).strip(_BLANK)
            description_xml = (
                f"<GROUP_DESCRIPTION>{_xml(_fit(description, _GROUP_DESCRIPTION_MAX))}</GROUP_DESCRIPTION>"
                if description
                else ""
            )
            lines.append(
                f'<CATALOG_STRUCTURE type="{kind}"><GROUP_ID>{_xml(group_id)}</GROUP_ID>'
                f"<GROUP_NAME>{_xml(_fit(group_name, _GROUP_NAME_MAX))}</GROUP_NAME>{description_xml}"
                f"<PARENT_ID>{_xml(parent_id)}</PARENT_ID><GROUP_ORDER>{order}</GROUP_ORDER></CATALOG_STRUCTURE>"
            )
            written += 1
            queue.append(group_id)
    if written != len(by_id):
        raise ExportError(
            "The categories' parents form a loop: each category must lead up to a top-level one."
        )
    lines.append("</CATALOG_GROUP_SYSTEM>")
    return "\n".join(lines) + "\n"


def _product_xml(
    item: ExportItem,
    price_type: str,
    currencies: frozenset[str],
    order_units: frozenset[str],
    *,
    blank: str = _BLANK,
    xml: Callable[[str], str] = _xml,
) -> str:
    """One PRODUCT element; raises ExportError for what the schema would refuse and cannot be shortened.

    Written for speed (it runs a million times per large export): plain string building, no element tree."""
    sku = item.sku
    if len(sku) > _SUPPLIER_PID_MAX or not sku.strip(blank):
        raise ExportError(
            f"Product {sku!r}: a SKU must have 1 to {_SUPPLIER_PID_MAX} characters for BMEcat (SUPPLIER_PID)."
        )
    name = " ".join(item.name.split())
    if not name.strip(blank):
        raise ExportError(f"Product {sku!r} has no name.")
    if len(name) > _DESCRIPTION_SHORT_MAX:
        name = short_text(name, _DESCRIPTION_SHORT_MAX)
    unit = item.order_unit
    if unit not in order_units:
        raise ExportError(
            f"Product {sku!r}: the order unit {unit!r} is not a UN/ECE code that BMEcat 2005 knows "
            f"(C62 for pieces, e.g.)."
        )
    currency = item.currency
    if currency not in currencies:
        raise ExportError(f"Product {sku!r}: BMEcat 2005 does not know the currency {currency!r}.")
    amount = _number(item.price, what="the price", sku=sku)
    price_quantity = _number(item.price_unit, what="the price unit", sku=sku, positive=True)

    # DESCRIPTION_LONG: the short description, then the long one unless it already begins with it.
    short = (item.short_description or "").strip(blank)
    long = (item.long_description or "").strip(blank)
    if short and long and not long.startswith(short):
        long = f"{short}\n\n{long}"
    elif not long:
        long = short
    details = ""
    if long:
        if len(long) > _DESCRIPTION_LONG_MAX:
            long = short_text(long, _DESCRIPTION_LONG_MAX)
        details = f"<DESCRIPTION_LONG>{xml(long)}</DESCRIPTION_LONG>"
    value = (item.manufacturer_part_number or "").strip(blank)
    if value:
        if len(value) > _MANUFACTURER_PID_MAX:
            raise ExportError(
                f"Product {sku!r}: the manufacturer part number is longer than {_MANUFACTURER_PID_MAX} characters."
            )
        details += f"<MANUFACTURER_PID>{xml(value)}</MANUFACTURER_PID>"
    value = (item.manufacturer_name or "").strip(blank)
    if value:
        if len(value) > _MANUFACTURER_NAME_MAX:
            value = short_text(value, _MANUFACTURER_NAME_MAX)
        details += f"<MANUFACTURER_NAME>{xml(value)}</MANUFACTURER_NAME>"
    value = (item.material_group or "").strip(blank)
    if value:
        if len(value) > _ERP_GROUP_SUPPLIER_MAX:
            raise ExportError(
                f"Product {sku!r}: the material group is longer than {_ERP_GROUP_SUPPLIER_MAX} characters."
            )
        details += f"<ERP_GROUP_SUPPLIER>{xml(value)}</ERP_GROUP_SUPPLIER>"
    if item.lead_time_days is not None:
        details += f"<DELIVERY_TIME>{_whole_days(item.lead_time_days, sku=sku)}</DELIVERY_TIME>"

    mime = ""
    value = (item.image_url or "").strip(blank)
    if value:
        if len(value) > _MIME_SOURCE_MAX:
            raise ExportError(
                f"Product {sku!r}: the image address is longer than {_MIME_SOURCE_MAX} characters."
            )
        dot = value.rfind(".")
        mime_type = _MIME_TYPES.get(value[dot:].lower()) if dot > 0 else None
        mime = (
            f"<MIME_INFO><MIME>{f'<MIME_TYPE>{mime_type}</MIME_TYPE>' if mime_type else ''}"
            f"<MIME_SOURCE>{xml(value)}</MIME_SOURCE><MIME_PURPOSE>normal</MIME_PURPOSE></MIME></MIME_INFO>"
        )

    return (
        f'<PRODUCT mode="new"><SUPPLIER_PID>{xml(sku)}</SUPPLIER_PID>'
        f"<PRODUCT_DETAILS><DESCRIPTION_SHORT>{xml(name)}</DESCRIPTION_SHORT>{details}</PRODUCT_DETAILS>"
        f"<PRODUCT_ORDER_DETAILS><ORDER_UNIT>{unit}</ORDER_UNIT>"
        f"<PRICE_QUANTITY>{price_quantity}</PRICE_QUANTITY></PRODUCT_ORDER_DETAILS>"
        f'<PRODUCT_PRICE_DETAILS><PRODUCT_PRICE price_type="{price_type}"><PRICE_AMOUNT>{amount}</PRICE_AMOUNT>'
        f"<PRICE_CURRENCY>{currency}</PRICE_CURRENCY></PRODUCT_PRICE></PRODUCT_PRICE_DETAILS>{mime}</PRODUCT>\n"
    )


def write_bmecat(
    header: CatalogHeader,
    items: Iterable[ExportItem],
    *,
    categories: Sequence[ExportCategory] = (),
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressCallback | None = None,
) -> Iterator[bytes]:
    """A BMEcat 2005 `T_NEW_CATALOG` document as UTF-8 chunks (`chunk_size` products each).

    With `categories`, the document carries them as its CATALOG_GROUP_SYSTEM (below one root group) and maps
    each product to its `category_id`, which must be one of them. BMEcat puts those mappings after all
    products; they are kept in a temporary file meanwhile (about 120 bytes a product, in memory up to 1 MB),
    so memory stays flat. SKUs must be unique (the schema does not check it; `Product.sku` is unique).
    Raises ExportError for a bad header or categories and EmptyCatalogueError for no items at once; a bad
    product raises ExportError when the stream reaches it. `on_progress(n)` is called after each chunk with
    the number of products written so far."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    head = _header_xml(header)
    if categories:
        head += _group_system_xml(header, categories)
    category_ids = frozenset(str(category.id) for category in categories)
    rest = _first_and_rest(items)
    return _bmecat_chunks(head, rest, header.price_type, category_ids, chunk_size, on_progress)


def _bmecat_chunks(
    head: str,
    items: Iterator[ExportItem],
    price_type: str,
    category_ids: frozenset[str],
    chunk_size: int,
    on_progress: ProgressCallback | None,
) -> Iterator[bytes]:
    currencies = bmecat_currencies()
    order_units = bmecat_order_units()
    product_xml = _product_xml
    with tempfile.SpooledTemporaryFile(max_size=1 << 20) as mappings:
        yield _to_xml_bytes(head)
        done = 0
        parts: list[str] = []
        maps: list[str] = []
        for item in items:
            parts.append(product_xml(item, price_type, currencies, order_units))
            group_id = item.category_id
            if category_ids and group_id is not None and group_id != "":
                group_id = str(group_id)
                if group_id not in category_ids:
                    raise ExportError(
                        f"Product {item.sku!r}: its category {group_id!r} is not among the exported categories."
                    )
                maps.append(
                    f"<PRODUCT_TO_CATALOGGROUP_MAP><PROD_ID>{_xml(item.sku)}</PROD_ID>"
                    f"<CATALOG_GROUP_ID>{_xml(group_id)}</CATALOG_GROUP_ID></PRODUCT_TO_CATALOGGROUP_MAP>\n"
                )
            if len(parts) >= chunk_size:
                done += len(parts)
                yield _to_xml_bytes("".join(parts))
                parts.clear()
                if maps:
                    mappings.write(_to_xml_bytes("".join(maps)))
                    maps.clear()
                if on_progress is not None:
                    on_progress(done)
        if parts:
            done += len(parts)
            yield _to_xml_bytes("".join(parts))
            if on_progress is not None:
                on_progress(done)
        if maps:
            mappings.write(_to_xml_bytes("".join(maps)))
        mappings.seek(0)
        while block := mappings.read(1 << 18):
            yield block
    yield b"</T_NEW_CATALOG>\n</BMECAT>\n"


# -- CSV and JSON ---------------------------------------------------------------------------------------

CSV_COLUMNS: tuple[str, ...] = (
    "sku",
    "name",
    "short_description",
    "long_description",
    "price",
    "currency",
    "price_unit",
    "order_unit",
    "manufacturer_part_number",
    "manufacturer_name",
    "material_group",
    "category_id",
    "category_name",
    "stock",
    "lead_time_days",
    "image_url",
)


def _row(item: ExportItem) -> tuple[Any, ...]:
    """The item's values in CSV_COLUMNS order: money as plain decimal strings, missing numbers as None."""
    sku = item.sku
    if not sku.strip(_BLANK):
        raise ExportError("A product has no SKU.")
    stock = item.stock
    if stock is not None and type(stock) is not int:
        raise ExportError(f"Product {sku!r}: the stock must be a whole number.")
    lead_time = item.lead_time_days
    if lead_time is not None:
        _whole_days(lead_time, sku=sku)
    return (
        sku,
        item.name,
        item.short_description,
        item.long_description,
        _number(item.price, what="the price", sku=sku),
        item.currency,
        _number(item.price_unit, what="the price unit", sku=sku, positive=True),
        item.order_unit,
        item.manufacturer_part_number,
        item.manufacturer_name,
        item.material_group,
        None if item.category_id is None or item.category_id == "" else str(item.category_id),
        item.category_name,
        stock,
        lead_time,
        item.image_url,
    )


# The free-text columns (by index in CSV_COLUMNS) that write_csv defuses; identifiers (SKU, part number,
# material group, category id, image address) stay exact, as a shop matches them.
_TEXT_COLUMNS = tuple(
    CSV_COLUMNS.index(column)
    for column in ("name", "short_description", "long_description", "manufacturer_name", "category_name")
)


def _defused(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """The row with a leading apostrophe on each text cell that a spreadsheet would run as a formula."""
    cells: list[Any] | None = None
    for index in _TEXT_COLUMNS:
        text = row[index]
        if text and text[0] in _FORMULA_PREFIXES:
            if cells is None:
                cells = list(row)
            cells[index] = "'" + text
    return row if cells is None else tuple(cells)


def write_csv(
    items: Iterable[ExportItem],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressCallback | None = None,
    defuse_formulas: bool = True,
) -> Iterator[bytes]:
    """The items as CSV (UTF-8, comma, CRLF, a header row of CSV_COLUMNS), in chunks of `chunk_size` rows.

    A free-text cell (name, descriptions, manufacturer and category names) that a spreadsheet would run as a
    formula (it starts with = + - @) gets a leading apostrophe unless `defuse_formulas` is off; identifiers
    and numbers are written exactly. Raises EmptyCatalogueError at once for no items."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    rest = _first_and_rest(items)
    return _csv_chunks(rest, chunk_size, on_progress, defuse_formulas)


def _csv_chunks(
    items: Iterator[ExportItem], chunk_size: int, on_progress: ProgressCallback | None, defuse: bool
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    rows: list[tuple[Any, ...]] = []
    done = 0

    def flush() -> bytes:
        writer.writerows(rows)
        data = buffer.getvalue().encode("utf-8", "replace")
        buffer.seek(0)
        buffer.truncate()
        rows.clear()
        return data

    for item in items:
        rows.append(_defused(_row(item)) if defuse else _row(item))
        if len(rows) >= chunk_size:
            done += len(rows)
            yield flush()
            if on_progress is not None:
                on_progress(done)
    if rows:
        done += len(rows)
        yield flush()
        if on_progress is not None:
            on_progress(done)


def write_json(
    items: Iterable[ExportItem],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    on_progress: ProgressCallback | None = None,
) -> Iterator[bytes]:
    """The items as one JSON array of objects keyed by CSV_COLUMNS, in chunks of `chunk_size` objects.

    Money (`price`, `price_unit`) is a decimal string ("12.50"), so no reader turns it into a float; `stock`
    and `lead_time_days` are integers or null. Raises EmptyCatalogueError at once for no items."""
    if chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    rest = _first_and_rest(items)
    return _json_chunks(rest, chunk_size, on_progress)


def _json_chunks(
    items: Iterator[ExportItem], chunk_size: int, on_progress: ProgressCallback | None
) -> Iterator[bytes]:
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    objects: list[str] = []
    done = 0
    opening = "[\n"
    for item in items:
        objects.append(encode(dict(zip(CSV_COLUMNS, _row(item), strict=True))))
        if len(objects) >= chunk_size:
            yield (opening + ",\n".join(objects)).encode("utf-8", "replace")
            opening = ",\n"
            done += len(objects)
            objects.clear()
            if on_progress is not None:
                on_progress(done)
    if objects:
        yield (opening + ",\n".join(objects)).encode("utf-8", "replace")
        done += len(objects)
        if on_progress is not None:
            on_progress(done)
    yield b"\n]\n"
