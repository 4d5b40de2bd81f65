"""OCI punch-out pages (/oci/<slug>/): a partner's shop opens the partner's catalogue with the OCI 4.0 call
parameters, the shop's user browses and fills a basket, and "Transfer to shop" posts the basket back to the
shop's HOOK_URL (showroom.oci; the fields in ../shared/specs/oci.md).

Public (no login): the shop proves itself with the showroom's OCI credentials, when the partner set them, and
baskets go back only to the partner's allowed shop addresses. Every page may be framed by the shop (the
project otherwise denies framing) and is never cached. The checked call (HOOK_URL, target) stays in the
session under "oci-call:<slug>"; the basket is showroom.basket.Basket under "oci:<slug>"."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Product
from core.paging import InvalidCursor, keyset_page
from core.ratelimit import client_ip, limit_exceeded
from showroom import oci, selectors
from showroom.basket import Basket, BasketError
from showroom.models import Showroom

PAGE_SIZE = 24
MAX_QUERY = 100
SEARCH_LIMIT = 50  # items answered to FUNCTION=BACKGROUND_SEARCH / SOURCING
# Wrong credentials per client address and showroom: beyond LOGIN_FAILURES in LOGIN_PERIOD_SECONDS, the
# address is refused (429) for LOGIN_PERIOD_SECONDS. Right ones are not counted (a shop's server may call
# VALIDATE often).
LOGIN_FAILURES = 10
LOGIN_PERIOD_SECONDS = 600
LOGIN_BLOCK_PREFIX = "oci-login-blocked:"
CALL_SESSION_PREFIX = "oci-call:"
CENT = Decimal("0.01")

SESSION_MISSING = (
    "This page belongs to a punch-out from your shop, and that punch-out has ended or was never started "
    "in this browser. Open the catalogue again from your shop."
)


def _public_showroom_or_404(slug: str) -> Showroom:
    showroom = selectors.public_showroom(slug)
    if showroom is None:
        raise Http404("No such showroom.")
    return showroom


def _error(
    request: HttpRequest, showroom: Showroom | None, message: str, *, status: int, title: str
) -> HttpResponse:
    """A plain page that says what is wrong, for the shop's user (shown inside the shop)."""
    context = {"showroom": showroom, "title": title, "message": message}
    return render(request, "showroom/oci/error.html", context, status=status)


def oci_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A punch-out page: public, framable by the shop (also when it answers 404, so the shop's user reads
    why), never cached."""

    @functools.wraps(view)
    def page(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Http404 as error:
            return _error(request, None, str(error) or "Not found.", status=404, title="Not found")

    return login_not_required(xframe_options_exempt(never_cache(page)))


def _call_params(request: HttpRequest) -> dict[str, str]:
    """The call's parameters: the query string, and a POSTed form on top of it."""
    params = request.GET.dict()
    if request.method == "POST":
        params.update(request.POST.dict())
    return params


def _remember_call(request: HttpRequest, showroom: Showroom, call: oci.OciCall) -> None:
    request.session[CALL_SESSION_PREFIX + showroom.slug] = {
        "hook_url": call.hook_url,
        "target": call.target,
        "ok_code": call.ok_code,
        "caller": call.caller,
        "oci_version": call.oci_version,
    }


def _session_call(request: HttpRequest, showroom: Showroom) -> oci.OciCall | None:
    """The call this browser opened the showroom's punch-out with, or None."""
    stored = request.session.get(CALL_SESSION_PREFIX + showroom.slug)
    if not isinstance(stored, dict):
        return None
    values = [stored.get(name) for name in ("hook_url", "target", "ok_code", "caller", "oci_version")]
    hook_url, target, ok_code, caller, oci_version = (
        value if isinstance(value, str) else "" for value in values
    )
    if not hook_url or not target:
        return None
    return oci.OciCall(
        hook_url=hook_url, target=target, ok_code=ok_code or "ADDI", caller=caller, oci_version=oci_version
    )


def _no_session(request: HttpRequest, showroom: Showroom) -> HttpResponse:
    return _error(request, showroom, SESSION_MISSING, status=400, title="Punch-out session ended")


def _assortment_product(showroom: Showroom, sku: str) -> Product | None:
    """The active product with this SKU in the partner's effective assortment (three queries)."""
    return catalog_selectors.assortment(showroom.partner_id).filter(sku=sku).first()


def _unknown_sku(request: HttpRequest, showroom: Showroom, sku: str) -> HttpResponse:
    message = f"There is no product with the SKU “{sku}” in {showroom.partner.name}'s catalogue."
    return _error(request, showroom, message, status=404, title="Unknown product")


def _oci_line(
    product: Product, *, quantity: Decimal, price: Decimal, lead_time_days: int | None
) -> oci.OciLine:
    """The OCI line of a product: its short description (the name when empty), order unit, the partner's
    price per price unit, lead time, SKU (also as EXT_PRODUCT_ID, which a shop sends back as PRODUCTID),
    manufacturer part number, material group and long description."""
    return oci.OciLine(
        description=product.short_description or product.name,
        quantity=quantity,
        unit=product.order_unit,
        price=price,
        price_unit=Decimal(product.price_unit),
        currency=product.currency,
        lead_time_days=lead_time_days,
        vendor_mat=product.sku,
        manufact_mat=product.manufacturer_part_number,
        mat_group=product.material_group,
        ext_product_id=product.sku,
        long_text=product.long_description,
    )


def _assortment_line(product: Product, quantity: Decimal) -> oci.OciLine:
    """The OCI line of a product read through catalog.selectors.assortment (annotated with the partner's
    effective price and lead time)."""
    annotated: Any = product
    return _oci_line(
        product,
        quantity=quantity,
        price=Decimal(annotated.effective_price).quantize(CENT),
        lead_time_days=annotated.lead_time_days,
    )


def _return_or_error(
    request: HttpRequest, showroom: Showroom, call: oci.OciCall, lines: Sequence[oci.OciLine]
) -> tuple[HttpResponse, bool]:
    """(the return form, True) or (an error page naming what cannot go to the shop, False)."""
    try:
        form = oci.return_form(call=call, lines=lines, allowed_prefixes=showroom.oci_allowed_urls)
    except oci.OciError as error:
        return _error(request, showroom, str(error), status=400, title="Cannot transfer to your shop"), False
    return render(request, "showroom/oci_return.html", {"oci": form}), True


# --- the entry: the shop's call ------------------------------------------------------------------------


@oci_page
@csrf_exempt  # the shop's own form posts the call; it cannot carry our token
@require_http_methods(["GET", "POST"])
def oci_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """The shop opens the catalogue: check the call (credentials, HOOK_URL), then browse (no FUNCTION),
    open a product (DETAIL), or answer at once with the return form (VALIDATE, BACKGROUND_SEARCH,
    SOURCING)."""
    showroom = _public_showroom_or_404(slug)
    try:
        call = oci.parse_call(_call_params(request))
    except oci.OciError as error:
        return _error(request, showroom, str(error), status=400, title="The shop's call cannot be read")

    if showroom.oci_requires_credentials:
        key = f"{showroom.pk}:{client_ip(request)}"
        if cache.get(LOGIN_BLOCK_PREFIX + key):
            response = _error(
                request,
                showroom,
                "Too many wrong OCI user names or passwords came from this address. Please wait ten minutes.",
                status=429,
                title="Too many attempts",
            )
            response["Retry-After"] = str(LOGIN_PERIOD_SECONDS)
            return response
        if not showroom.check_oci_credentials(call.username, call.password):
            if limit_exceeded("oci-login", key, limit=LOGIN_FAILURES, period_seconds=LOGIN_PERIOD_SECONDS):
                cache.set(LOGIN_BLOCK_PREFIX + key, True, timeout=LOGIN_PERIOD_SECONDS)
            message = (
                "The shop sent no OCI user name and password, but this catalogue needs them."
                if not (call.username or call.password)
                else "The OCI user name or password the shop sent is wrong."
            )
            return _error(
                request,
                showroom,
                f"{message} Ask {showroom.partner.name} for the catalogue's OCI credentials and enter them "
                "in your shop's catalogue settings (USERNAME and PASSWORD).",
                status=403,
                title="Access denied",
            )

    try:
        oci.check_hook_url(call.hook_url, showroom.oci_allowed_urls)
    except oci.OciError as error:
        return _error(request, showroom, str(error), status=400, title="The shop's return address is refused")

    if call.function == "VALIDATE":
        product = _assortment_product(showroom, call.product_id)
        if product is None:
            return _unknown_sku(request, showroom, call.product_id)
        return _return_or_error(request, showroom, call, [_assortment_line(product, call.quantity)])[0]

    if call.function in ("BACKGROUND_SEARCH", "SOURCING"):
        found = list(
            catalog_selectors.assortment_list(showroom.partner_id, q=call.search_string[:MAX_QUERY]).order_by(
                "name", "pk"
            )[:SEARCH_LIMIT]
        )
        if not found:
            message = f"No product in {showroom.partner.name}'s catalogue matches “{call.search_string}”."
            return _error(request, showroom, message, status=404, title="Nothing found")
        lines = [_assortment_line(product, Decimal(1)) for product in found]
        return _return_or_error(request, showroom, call, lines)[0]

    if call.function == "DOWNLOADJSON":
        return _error(
            request,
            showroom,
            "FUNCTION=DOWNLOADJSON (OCI 5.0) is not offered by this catalogue; use the catalogue exports.",
            status=400,
            title="Function not offered",
        )

    if showroom.oci_requires_credentials:
        request.session.cycle_key()  # a new session id once the shop has proved itself
    _remember_call(request, showroom, call)

    if call.function == "DETAIL":
        product = _assortment_product(showroom, call.product_id)
        if product is None:
            return _unknown_sku(request, showroom, call.product_id)
        return redirect("oci:product", slug=showroom.slug, pk=product.pk)
    return redirect("oci:products", slug=showroom.slug)


# --- browsing within the punch-out -----------------------------------------------------------------------


def _page_context(request: HttpRequest, showroom: Showroom, basket: Basket, **extra: Any) -> dict[str, Any]:
    return {"showroom": showroom, "basket_count": len(basket), **extra}


@oci_page
@require_GET
def oci_products(request: HttpRequest, slug: str) -> HttpResponse:
    """The partner's assortment, searched by SKU or name, a keyset page at a time by name."""
    # Queries: the showroom (partner joined), the session, the category tree, the partner's chosen
    # categories, one page of products (category joined).
    showroom = _public_showroom_or_404(slug)
    if _session_call(request, showroom) is None:
        return _no_session(request, showroom)
    basket = Basket.for_oci(request.session, showroom.slug)
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    products = catalog_selectors.assortment_list(showroom.partner_id, q=q)
    notice = ""
    try:
        page = keyset_page(
            products,
            order="name",
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
            size=PAGE_SIZE,
        )
    except (InvalidCursor, ValueError, TypeError):
        notice = "That page link is no longer valid, so here is the first page."
        page = keyset_page(products, order="name", size=PAGE_SIZE)
    context = _page_context(
        request, showroom, basket, page=page, q=q, notice=notice, querystring=urlencode({"q": q}) if q else ""
    )
    return render(request, "showroom/oci/products.html", context)


def _product_or_404(showroom: Showroom, pk: int) -> Product:
    product = catalog_selectors.assortment(showroom.partner_id).filter(pk=pk).first()
    if product is None:
        raise Http404("This partner does not sell that product.")
    return product


@oci_page
@require_GET
def oci_product(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """One product of the assortment with the partner's price, stock and lead time, and "Add to basket"."""
    # Queries: the showroom, the session, the category tree, the chosen categories, the product.
    showroom = _public_showroom_or_404(slug)
    if _session_call(request, showroom) is None:
        return _no_session(request, showroom)
    basket = Basket.for_oci(request.session, showroom.slug)
    product = _product_or_404(showroom, pk)
    context = _page_context(request, showroom, basket, product=product, in_basket=basket.quantity(product.pk))
    return render(request, "showroom/oci/product.html", context)


@oci_page
@require_POST
def oci_basket_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a product of the assortment to the punch-out basket."""
    showroom = _public_showroom_or_404(slug)
    if _session_call(request, showroom) is None:
        return _no_session(request, showroom)
    basket = Basket.for_oci(request.session, showroom.slug)
    try:
        product_id = int(request.POST.get("product", ""))
    except ValueError:
        raise Http404("No such product.")
    product = _product_or_404(showroom, product_id)
    try:
        basket.add(product.pk, request.POST.get("quantity", "1"))  # type: ignore[arg-type]  # parsed there
    except BasketError as error:
        context = _page_context(
            request,
            showroom,
            basket,
            product=product,
            in_basket=basket.quantity(product.pk),
            error=str(error),
        )
        return render(request, "showroom/oci/product.html", context, status=400)
    messages.success(request, f"{product.name} is in your basket.")
    return redirect("oci:basket", slug=showroom.slug)


@oci_page
@require_http_methods(["GET", "POST"])
def oci_basket(request: HttpRequest, slug: str) -> HttpResponse:
    """The punch-out basket with today's figures; POST changes a line's quantity (0 removes it)."""
    # Queries: the showroom, the session, the category tree, the chosen categories, the basket's products.
    showroom = _public_showroom_or_404(slug)
    if _session_call(request, showroom) is None:
        return _no_session(request, showroom)
    basket = Basket.for_oci(request.session, showroom.slug)
    error = ""
    if request.method == "POST":
        try:
            product_id = int(request.POST.get("product", ""))
            basket.set(product_id, request.POST.get("quantity", ""))  # type: ignore[arg-type]
        except ValueError as problem:  # BasketError is a ValueError
            error = str(problem) if isinstance(problem, BasketError) else "That basket line does not exist."
        else:
            return redirect("oci:basket", slug=showroom.slug)
    contents = basket.lines(showroom.partner_id)
    if contents.dropped:
        basket.forget(contents.dropped)
        messages.warning(
            request,
            f"{len(contents.dropped)} product(s) left your basket: {showroom.partner.name} no longer sells them.",
        )
    context = _page_context(request, showroom, basket, contents=contents, error=error)
    return render(request, "showroom/oci/basket.html", context, status=400 if error else 200)


@oci_page
@require_POST
def oci_transfer(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Transfer to shop": the basket as OCI 4.0 fields in a form that posts itself to the HOOK_URL; the
    basket is then empty."""
    showroom = _public_showroom_or_404(slug)
    call = _session_call(request, showroom)
    if call is None:
        return _no_session(request, showroom)
    basket = Basket.for_oci(request.session, showroom.slug)
    contents = basket.lines(showroom.partner_id)
    if contents.dropped:
        basket.forget(contents.dropped)
        messages.warning(
            request,
            f"{len(contents.dropped)} product(s) left your basket because {showroom.partner.name} no longer "
            "sells them. Check the basket and transfer it again.",
        )
        return redirect("oci:basket", slug=showroom.slug)
    lines = [
        _oci_line(
            line.product,
            quantity=Decimal(line.quantity),
            price=line.price,
            lead_time_days=line.lead_time_days,
        )
        for line in contents.lines
    ]
    response, built = _return_or_error(request, showroom, call, lines)
    if built:
        basket.clear()
    return response
