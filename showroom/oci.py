"""OCI punch-out (SAP Open Catalog Interface 4.0): reading the shop's call, checking its HOOK_URL, and the
fields of the basket that goes back (see ../shared/specs/oci.md).

Pure functions on plain values; the views look up the showroom and its products and render
`showroom/oci_return.html` with `return_form(...)`. Errors are `OciError` (a ValueError) whose message can be
shown to the shop's user as it is (the views answer 400 with it)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from urllib.parse import SplitResult, unquote, urlsplit

from catalog.text import short_text

__all__ = [
    "DEFAULT_TARGET",
    "FUNCTIONS",
    "OciCall",
    "OciError",
    "OciLine",
    "OciReturnForm",
    "basket_fields",
    "check_hook_url",
    "format_quantity",
    "parse_call",
    "return_form",
]

DEFAULT_TARGET = "_top"
# FUNCTION values of OCI 4.0 and 5.0 ("" is a plain call: browse the catalogue).
FUNCTIONS = frozenset({"DETAIL", "VALIDATE", "SOURCING", "BACKGROUND_SEARCH", "DOWNLOADJSON"})

# Field lengths of the basket return (oci.md).
DESCRIPTION_MAX = 40
UNIT_MAX = 3
PRICE_MAX = 15
PRICE_UNIT_MAX = 5
CURRENCY_MAX = 5
LEADTIME_MAX = 5
VENDORMAT_MAX = 40
MANUFACTMAT_MAX = 40
MATGROUP_MAX = 10
EXT_PRODUCT_ID_MAX = 40
QUANTITY_INTEGER_DIGITS = 11
QUANTITY_DECIMALS = 3

_THOUSANDTH = Decimal("0.001")
_CENT = Decimal("0.01")
# A frame name for the form's target: a browsing-context keyword or a plain name.
_TARGET_NAME = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
# Characters that a browser drops or reads differently from Python's URL parser: whitespace, control
# characters and the backslash, which browsers take for "/" ("https://evil.example\@shop.example/").
_URL_UNSAFE = re.compile(r"[\x00-\x20\x7f\\]")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class OciError(ValueError):
    """The OCI call or basket cannot be served; the message says why, for the shop's user."""


# -- the call from the shop -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OciCall:
    """The parameters with which a shop opened the catalogue (OCI 4.0 call)."""

    hook_url: str = ""  # where the basket goes back; check it with check_hook_url()
    ok_code: str = "ADDI"  # ~OkCode
    target: str = DEFAULT_TARGET  # ~TARGET (or returntarget): the return form's target frame
    caller: str = ""  # ~CALLER, "CTLG"
    username: str = ""
    password: str = field(default="", repr=False)
    function: str = ""  # "" or one of FUNCTIONS, upper case
    product_id: str = ""  # PRODUCTID (our SKU) for DETAIL and VALIDATE
    quantity: Decimal = Decimal(1)  # QUANTITY for VALIDATE
    search_string: str = ""  # SEARCHSTRING for SOURCING and BACKGROUND_SEARCH
    oci_version: str = ""


def _param(params: Mapping[str, str], name: str) -> str:
    """A call parameter by its OCI name; a shop that changed the case of the name is still understood."""
    value = params.get(name)
    if value is None:
        folded = name.casefold()
        for key in params:
            if key.casefold() == folded:
                value = params[key]
                break
    return (value or "").strip()


def parse_call(params: Mapping[str, str]) -> OciCall:
    """The OCI call in `params` (a request's GET or POST QueryDict, or any str mapping).

    Raises OciError for an unknown FUNCTION, a FUNCTION without what it needs (PRODUCTID, SEARCHSTRING), a
    QUANTITY that is not a positive number within OCI's 11.3 digits, or a target that is not a frame name.
    HOOK_URL is read, not judged: check it with check_hook_url() against the showroom's shop addresses."""
    hook_url = _param(params, "HOOK_URL")
    # Some shops encode HOOK_URL twice; after the request's own decoding it still reads "http%3A%2F%2F...".
    if hook_url[:8].lower() in ("http%3a%", "https%3a"):
        hook_url = unquote(hook_url)

    target = _param(params, "~TARGET") or _param(params, "returntarget") or DEFAULT_TARGET
    if not _TARGET_NAME.fullmatch(target):
        raise OciError("~TARGET must be a frame name such as _top or _blank.")

    function = _param(params, "FUNCTION").upper()
    if function and function not in FUNCTIONS:
        raise OciError(f"FUNCTION must be one of {', '.join(sorted(FUNCTIONS))}.")
    product_id = _param(params, "PRODUCTID")
    if function in ("DETAIL", "VALIDATE") and not product_id:
        raise OciError(f"FUNCTION={function} needs a PRODUCTID.")
    search_string = _param(params, "SEARCHSTRING")
    if function in ("SOURCING", "BACKGROUND_SEARCH") and not search_string:
        raise OciError(f"FUNCTION={function} needs a SEARCHSTRING.")

    quantity = Decimal(1)
    raw_quantity = _param(params, "QUANTITY")
    if raw_quantity:
        try:
            quantity = Decimal(raw_quantity)
        except InvalidOperation:
            raise OciError("QUANTITY must be a number with a decimal point, such as 2 or 1.5.")
        if not quantity.is_finite() or quantity <= 0:
            raise OciError("QUANTITY must be a number greater than zero.")
        format_quantity(quantity)  # raises when OCI cannot carry it

    return OciCall(
        hook_url=hook_url,
        ok_code=_param(params, "~OkCode") or "ADDI",
        target=target,
        caller=_param(params, "~CALLER"),
        username=_param(params, "USERNAME"),
        password=_param(params, "PASSWORD"),
        function=function,
        product_id=product_id,
        quantity=quantity,
        search_string=search_string,
        oci_version=_param(params, "OCI_VERSION"),
    )


def _origin(parts: SplitResult) -> tuple[str, str, int]:
    """(scheme, host, port) with the scheme's default port filled in; ValueError for a bad port."""
    scheme = parts.scheme.lower()
    port = parts.port  # raises ValueError for a port that is not a number in range
    return scheme, (parts.hostname or "").lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def _path_is_under(path: str, prefix: str) -> bool:
    """True when `path` is `prefix` or lies below it, by whole segments ("/oci" covers "/oci/x", not "/ocix")."""
    prefix = prefix.rstrip("/")
    return not prefix or path == prefix or path.startswith(prefix + "/")


def check_hook_url(hook_url: str, allowed_prefixes: Iterable[str]) -> str:
    """`hook_url` when it is an http(s) address under one of `allowed_prefixes`, else OciError.

    A prefix allows its exact scheme, host and port (a default port counts as given) and every path at or
    below its own path, by whole segments: "https://shop.example/oci" allows
    "https://shop.example:443/oci/return?sid=1" but not "https://shop.example.evil.com/oci",
    "https://shop.example@evil.com/oci", "http://shop.example/oci" or "https://shop.example/ocifake"."""
    hook_url = hook_url.strip()
    if not hook_url:
        raise OciError("HOOK_URL is missing: the shop must say where the basket goes back to.")
    if _URL_UNSAFE.search(hook_url):
        raise OciError("HOOK_URL must not contain spaces, control characters or backslashes.")
    try:
        parts = urlsplit(hook_url)
        scheme_known = parts.scheme.lower() in _DEFAULT_PORTS
        origin = _origin(parts) if scheme_known else None
    except ValueError:
        raise OciError("HOOK_URL is not a valid address.")
    if origin is None:
        raise OciError("HOOK_URL must be an http or https address.")
    if not parts.hostname:
        raise OciError("HOOK_URL has no host name.")
    if parts.username is not None or parts.password is not None:
        raise OciError("HOOK_URL must not contain a user name or password.")
    # "." and ".." segments would be resolved by the browser and could climb out of the allowed path.
    segments = parts.path.split("/")
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in segments):
        raise OciError("HOOK_URL must not contain . or .. path segments.")

    allowed = [prefix.strip() for prefix in allowed_prefixes if prefix and prefix.strip()]
    if not allowed:
        raise OciError(
            "This showroom accepts no shop yet: the partner has to add its shop's address to the allowed OCI "
            "shop URLs in the showroom settings."
        )
    for prefix in allowed:
        try:
            prefix_parts = urlsplit(prefix)
            if prefix_parts.scheme.lower() not in _DEFAULT_PORTS or not prefix_parts.hostname:
                continue
            prefix_origin = _origin(prefix_parts)
        except ValueError:
            continue  # a malformed setting allows nothing
        if prefix_origin == origin and _path_is_under(parts.path, prefix_parts.path):
            return hook_url
    scheme, host, port = origin
    raise OciError(
        f"HOOK_URL {scheme}://{host}:{port}{parts.path} is not among the shop addresses allowed for this "
        "showroom."
    )


# -- the basket back to the shop --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OciLine:
    """One basket line as the shop receives it (values are checked and formatted by basket_fields)."""

    description: str  # shortened to 40 characters at a word boundary
    quantity: Decimal
    unit: str  # UN/ECE or ISO unit code, at most 3 characters (C62, PCE, EA)
    price: Decimal  # per price_unit
    currency: str  # ISO 4217
    vendor_mat: str  # our SKU, at most 40 characters
    price_unit: Decimal = Decimal(1)
    lead_time_days: int | None = None
    manufact_mat: str = ""  # manufacturer part number, at most 40
    mat_group: str = ""  # material group (UNSPSC, ...), at most 10
    ext_product_id: str = ""  # at most 40
    long_text: str = ""  # unlimited


def format_quantity(quantity: Decimal) -> str:
    """A quantity as OCI carries it: at most 11 digits before the point and 3 after ("2", "1.5")."""
    if type(quantity) is not Decimal:
        if isinstance(quantity, int) and not isinstance(quantity, bool):
            quantity = Decimal(quantity)
        else:
            raise OciError(f"The quantity must be a Decimal, not {type(quantity).__name__}.")
    if not quantity.is_finite() or quantity <= 0:
        raise OciError(f"The quantity must be greater than zero, not {quantity}.")
    if quantity.adjusted() >= QUANTITY_INTEGER_DIGITS:
        raise OciError(
            f"The quantity {quantity} is too large for OCI (at most {QUANTITY_INTEGER_DIGITS} digits before the point)."
        )
    exact = quantity.quantize(_THOUSANDTH)
    if exact != quantity:
        raise OciError(
            f"The quantity {quantity} has more than {QUANTITY_DECIMALS} decimals, which OCI cannot carry."
        )
    text = format(exact, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_decimal(value: object, *, what: str, sku: str) -> Decimal:
    if type(value) is Decimal:
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    else:
        raise OciError(f"Product {sku}: the {what} must be a Decimal, not {type(value).__name__}.")
    if not number.is_finite() or number < 0:
        raise OciError(f"Product {sku}: the {what} must be zero or more, not {number}.")
    return number


def _format_price(value: Decimal, *, sku: str) -> str:
    """A price with a decimal point: whole cents as "12.50", finer prices as given ("0.125")."""
    price = _as_decimal(value, what="price", sku=sku)
    if price.adjusted() >= PRICE_MAX:  # more digits than the field holds (and than quantize could take)
        raise OciError(
            f"Product {sku}: the price {price} is longer than the {PRICE_MAX} characters OCI allows."
        )
    cents = price.quantize(_CENT)
    text = format(cents if cents == price else price.normalize(), "f")
    if len(text) > PRICE_MAX:
        raise OciError(
            f"Product {sku}: the price {text} is longer than the {PRICE_MAX} characters OCI allows."
        )
    return text


def _format_price_unit(value: Decimal, *, sku: str) -> str:
    """The quantity the price is for, without needless zeros ("1", "100", "2.5")."""
    price_unit = _as_decimal(value, what="price unit", sku=sku)
    if not price_unit:
        raise OciError(f"Product {sku}: the price unit must be greater than zero.")
    text = format(price_unit.normalize(), "f")
    if len(text) > PRICE_UNIT_MAX:
        raise OciError(
            f"Product {sku}: the price unit {text} is longer than the {PRICE_UNIT_MAX} characters OCI allows."
        )
    return text


def _code(value: str, *, what: str, limit: int, sku: str, required: bool = False) -> str:
    """An identifier or code: never cut (the shop would match it wrongly), refused when too long."""
    value = value.strip()
    if required and not value:
        raise OciError(f"Product {sku}: the {what} is missing.")
    if len(value) > limit:
        raise OciError(
            f"Product {sku}: the {what} {value!r} is longer than the {limit} characters OCI allows."
        )
    return value


def basket_fields(lines: Iterable[OciLine]) -> list[tuple[str, str]]:
    """The OCI 4.0 fields of the basket, in order, lines numbered from 1:
    NEW_ITEM-DESCRIPTION[n], -QUANTITY[n], -UNIT[n], -PRICE[n], -PRICEUNIT[n], -CURRENCY[n], -LEADTIME[n],
    -VENDORMAT[n], -MANUFACTMAT[n], -MATGROUP[n], -EXT_PRODUCT_ID[n] and, when there is one, the long text
    as NEW_ITEM-LONGTEXT_n:132[].

    Every value fits its OCI length: the description is shortened at a word boundary with "…"; a value that
    cannot be shortened (an identifier, a number) and does not fit raises OciError, as does an empty
    basket."""
    fields: list[tuple[str, str]] = []
    n = 0
    for n, line in enumerate(lines, start=1):
        sku = line.vendor_mat.strip() or f"#{n}"
        description = short_text(line.description, DESCRIPTION_MAX)
        if not description:
            raise OciError(f"Product {sku}: the description is missing.")
        lead_time = ""
        if line.lead_time_days is not None:
            if type(line.lead_time_days) is not int or line.lead_time_days < 0:
                raise OciError(f"Product {sku}: the lead time must be a whole number of days.")
            lead_time = str(line.lead_time_days)
            if len(lead_time) > LEADTIME_MAX:
                raise OciError(f"Product {sku}: the lead time of {lead_time} days is too long for OCI.")
        try:
            quantity = format_quantity(line.quantity)
        except OciError as error:
            message = str(error)
            raise OciError(f"Product {sku}: {message[:1].lower()}{message[1:]}")
        fields += [
            (f"NEW_ITEM-DESCRIPTION[{n}]", description),
            (f"NEW_ITEM-QUANTITY[{n}]", quantity),
            (f"NEW_ITEM-UNIT[{n}]", _code(line.unit, what="unit", limit=UNIT_MAX, sku=sku, required=True)),
            (f"NEW_ITEM-PRICE[{n}]", _format_price(line.price, sku=sku)),
            (f"NEW_ITEM-PRICEUNIT[{n}]", _format_price_unit(line.price_unit, sku=sku)),
            (
                f"NEW_ITEM-CURRENCY[{n}]",
                _code(line.currency, what="currency", limit=CURRENCY_MAX, sku=sku, required=True),
            ),
            (f"NEW_ITEM-LEADTIME[{n}]", lead_time),
            (
                f"NEW_ITEM-VENDORMAT[{n}]",
                _code(line.vendor_mat, what="SKU", limit=VENDORMAT_MAX, sku=sku, required=True),
            ),
            (
                f"NEW_ITEM-MANUFACTMAT[{n}]",
                _code(line.manufact_mat, what="manufacturer part number", limit=MANUFACTMAT_MAX, sku=sku),
            ),
            (
                f"NEW_ITEM-MATGROUP[{n}]",
                _code(line.mat_group, what="material group", limit=MATGROUP_MAX, sku=sku),
            ),
            (
                f"NEW_ITEM-EXT_PRODUCT_ID[{n}]",
                _code(line.ext_product_id, what="external product id", limit=EXT_PRODUCT_ID_MAX, sku=sku),
            ),
        ]
        long_text = line.long_text.strip()
        if long_text:
            fields.append((f"NEW_ITEM-LONGTEXT_{n}:132[]", long_text))
    if not n:
        raise OciError("The basket is empty: add at least one product before transferring it to the shop.")
    return fields


@dataclass(frozen=True, slots=True)
class OciReturnForm:
    """What `showroom/oci_return.html` renders (as `oci`): a self-submitting form back to the shop."""

    hook_url: str
    target: str
    fields: list[tuple[str, str]]
    line_count: int


def return_form(*, call: OciCall, lines: Iterable[OciLine], allowed_prefixes: Iterable[str]) -> OciReturnForm:
    """The return form for `lines`, to the call's HOOK_URL (checked against `allowed_prefixes` once more,
    so that no form is ever built for an address the showroom does not allow)."""
    hook_url = check_hook_url(call.hook_url, allowed_prefixes)
    line_list = list(lines)
    fields = basket_fields(line_list)
    return OciReturnForm(hook_url=hook_url, target=call.target, fields=fields, line_count=len(line_list))
