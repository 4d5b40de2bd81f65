"""The public showroom pages (end customers, no login): the partner locator, a partner's showroom with its
catalogue (categories, search, product pages with the partner's price, stock and lead time), the basket
kept in the session, and "Request a quote", which turns the basket into a lead of that partner, or
"Place order", which turns it into an order of that partner (orders.services.order_from_showroom).

Unpublished or unknown showrooms, and products outside the partner's effective assortment, answer 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog import selectors as catalog_selectors
from catalog.models import Product
from core.countries import COUNTRIES
from core.paging import InvalidCursor, Page, keyset_page
from core.ratelimit import client_ip, limit_exceeded
from core.uploads import image_response
from orders import services as order_services
from orders.models import Order
from showroom import selectors, services
from showroom.basket import MAX_QUANTITY, Basket, BasketError, parse_quantity
from showroom.models import Showroom

PAGE_SIZE = 24
MAX_QUERY = 100
HONEYPOT_FIELD = "fax_number"
PRODUCT_ORDER = "name"  # keyset paging of products by (name, id)


def quote_rate_limit() -> int:
    """Quote requests one client address may send per hour (settings.SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR)."""
    return int(getattr(settings, "SHOWROOM_QUOTE_RATE_LIMIT_PER_HOUR", 5))


@login_not_required
@require_GET
def showroom_list(request: HttpRequest) -> HttpResponse:
    """The partner locator: published showrooms, by country and free text, a keyset page at a time."""
    # Queries: the category tree, the countries that have showrooms, one page of showrooms (partner
    # joined; with a category, the partners selling it as a subquery after one read of the tree).
    country = request.GET.get("country", "").strip().upper()
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    notice = ""
    if country and country not in COUNTRIES:
        notice = "That country is unknown, so showrooms of every country are shown."
        country = ""
    tree = catalog_selectors.category_tree()
    category = next((node for node in tree if node.slug == request.GET.get("category", "")), None)
    if request.GET.get("category") and category is None:
        notice = "That product category is unknown, so showrooms of every category are shown."
    showrooms = selectors.public_showrooms(
        country=country, q=q, category_id=category.id if category else None
    )
    try:
        page = keyset_page(
            showrooms,
            order=selectors.PUBLIC_ORDER,
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
            size=PAGE_SIZE,
        )
    except (InvalidCursor, ValueError, TypeError):
        notice = "That page link is no longer valid, so here is the first page."
        page = keyset_page(showrooms, order=selectors.PUBLIC_ORDER, size=PAGE_SIZE)
    countries = [(code, COUNTRIES.get(code, code)) for code in selectors.public_showroom_countries()]
    countries.sort(key=lambda item: item[1])
    context = {
        "page": page,
        "countries": countries,
        "country": country,
        "country_name": COUNTRIES.get(country, ""),
        "q": q,
        "categories": tree,
        "category": category,
        "filtered": bool(country or q or category),
        "notice": notice,
    }
    return render(request, "showroom/list.html", context)


# --- Helpers of a showroom's pages -----------------------------------------------------------------------


def _public_showroom_or_404(slug: str) -> Showroom:
    showroom = selectors.public_showroom(slug)
    if showroom is None:
        raise Http404("No such showroom.")
    return showroom


def _campaign_key(slug: str) -> str:
    return f"showroom-campaign:{slug}"


def _remember_campaign(request: HttpRequest, slug: str) -> None:
    """A customer who arrives with ?campaign= or ?utm_campaign= keeps that code for the quote request."""
    code = services.clean_campaign_code(request.GET.get("campaign") or request.GET.get("utm_campaign") or "")
    if code and request.session.get(_campaign_key(slug)) != code:
        request.session[_campaign_key(slug)] = code


def _shop_context(request: HttpRequest, showroom: Showroom, **extra: Any) -> dict[str, Any]:
    """What every page of a showroom shows: the showroom, the basket's size, the search box."""
    basket = Basket.for_showroom(request.session, showroom.slug)
    return {"showroom": showroom, "basket_count": len(basket), "max_quantity": MAX_QUANTITY, **extra}


def _product_page(request: HttpRequest, products: Any) -> tuple[Page[Product], str]:
    """One keyset page of products by name, and a notice when the page link was not valid."""
    try:
        page = keyset_page(
            products,
            order=PRODUCT_ORDER,
            after=request.GET.get("after") or None,
            before=request.GET.get("before") or None,
            size=PAGE_SIZE,
        )
        return page, ""
    except (InvalidCursor, ValueError, TypeError):
        page = keyset_page(products, order=PRODUCT_ORDER, size=PAGE_SIZE)
        return page, "That page link is no longer valid, so here is the first page."


def _safe_next(request: HttpRequest, showroom: Showroom, fallback: str) -> str:
    """Where to go back after a basket change: a path inside this showroom, else `fallback`."""
    target = request.POST.get("next", "")
    prefix = reverse("showroom:detail", args=[showroom.slug])
    if (
        target.startswith(prefix)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
        and "\\" not in target
    ):
        return target
    return fallback


# --- The showroom and its catalogue ----------------------------------------------------------------------


@login_not_required
@require_GET
def showroom_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A partner's showroom: its branding, introduction, contact details, the categories it sells and
    the product search. Unpublished: 404."""
    # Queries: the showroom (partner joined), the category tree, the partner's chosen categories, the
    # categories of its single products.
    showroom = _public_showroom_or_404(slug)
    _remember_campaign(request, slug)
    catalogue = selectors.showroom_catalogue(showroom.partner_id)
    context = _shop_context(
        request,
        showroom,
        country_name=COUNTRIES.get(showroom.partner.country, ""),
        categories=catalogue.shown,
    )
    return render(request, "showroom/detail.html", context)


@login_not_required
@require_GET
def showroom_category(request: HttpRequest, slug: str, category: str) -> HttpResponse:
    """The products of one category (with its sub-categories) of the partner's assortment, by name, a
    keyset page at a time. A category the partner does not sell: 404."""
    # Queries: the showroom, the category tree, the chosen categories, the categories of single
    # products, one page of products (category joined, the partner's figures annotated).
    showroom = _public_showroom_or_404(slug)
    _remember_campaign(request, slug)
    catalogue = selectors.showroom_catalogue(showroom.partner_id)
    node = catalogue.category(category)
    if node is None:
        raise Http404("This showroom does not sell that category.")
    page, notice = _product_page(request, catalogue.products(category=node))
    context = _shop_context(
        request,
        showroom,
        category=node,
        ancestors=catalogue.ancestors(node),
        subcategories=catalogue.children(node),
        page=page,
        notice=notice,
    )
    return render(request, "showroom/category.html", context)


@login_not_required
@require_GET
def showroom_search(request: HttpRequest, slug: str) -> HttpResponse:
    """Products of the partner's assortment whose SKU or name contains `q` (any case); every product
    when `q` is empty. By name, a keyset page at a time."""
    # Queries: the showroom, the category tree, the chosen categories, the categories of single
    # products, one page of products.
    showroom = _public_showroom_or_404(slug)
    _remember_campaign(request, slug)
    q = request.GET.get("q", "").strip()[:MAX_QUERY]
    catalogue = selectors.showroom_catalogue(showroom.partner_id)
    page, notice = _product_page(request, catalogue.products(q=q))
    query_prefix = urlencode({"q": q}) + "&" if q else ""
    context = _shop_context(request, showroom, q=q, page=page, notice=notice, query_prefix=query_prefix)
    return render(request, "showroom/search.html", context)


@login_not_required
@require_GET
def showroom_product(request: HttpRequest, slug: str, sku: str) -> HttpResponse:
    """A product of the partner's assortment with the partner's price, stock and lead time, an
    add-to-basket form, and the other published showrooms in the customer's country (?country=, else
    the partner's) that carry it. Not in the assortment: 404."""
    # Queries: the showroom, the category tree, the chosen categories, the product (its category
    # joined, the partner's figures annotated), the other showrooms selling it.
    showroom = _public_showroom_or_404(slug)
    _remember_campaign(request, slug)
    tree = catalog_selectors.category_tree()
    chosen = catalog_selectors.chosen_category_ids(showroom.partner_id)
    product = (
        catalog_selectors.assortment(showroom.partner_id, tree=tree, chosen=chosen).filter(sku=sku).first()
    )
    if product is None:
        raise Http404("This showroom does not sell that product.")
    asked = request.GET.get("country", "").strip().upper()
    country = asked if asked in COUNTRIES else showroom.partner.country
    others = selectors.other_showrooms_selling(
        product=product, exclude_partner_id=showroom.partner_id, country=country, tree=tree
    )
    by_id = {node.id: node for node in tree}
    node = by_id.get(product.category_id)
    ancestors: list[Any] = []
    if node is not None:
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        while parent is not None and parent not in ancestors:
            ancestors.insert(0, parent)
            parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
    basket = Basket.for_showroom(request.session, showroom.slug)
    context = _shop_context(
        request,
        showroom,
        product=product,
        category=node,
        ancestors=ancestors,
        others=others,
        other_country=country,
        other_country_name=COUNTRIES.get(country, country),
        in_basket=basket.quantity(product.pk),
        countries=sorted(COUNTRIES.items(), key=lambda item: item[1]),
    )
    return render(request, "showroom/product.html", context)


@login_not_required
@require_GET
def showroom_logo(request: HttpRequest, slug: str) -> HttpResponse:
    """A published showroom's logo, served with its checked image type (never as a page)."""
    showroom = _public_showroom_or_404(slug)
    if not showroom.logo:
        raise Http404("No logo.")
    response = image_response(showroom.logo)
    response["Cache-Control"] = "public, max-age=3600"
    return response  # type: ignore[return-value]  # a FileResponse streams


# --- The basket ------------------------------------------------------------------------------------------


def _product_id(value: str) -> int:
    """A product id from a form, or 404 for anything that is not one."""
    text = (value or "").strip()
    if not text.isdigit() or len(text) > 18:
        raise Http404("No such product.")
    return int(text)


@login_not_required
@require_POST
def basket_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a quantity of a product of the partner's assortment to the basket (404 for any other)."""
    showroom = _public_showroom_or_404(slug)
    product = (
        catalog_selectors.assortment(showroom.partner_id)
        .filter(pk=_product_id(request.POST.get("product", "")))
        .first()
    )
    if product is None:
        raise Http404("This showroom does not sell that product.")
    fallback = reverse("showroom:product", args=[slug, product.sku])
    basket = Basket.for_showroom(request.session, slug)
    try:
        quantity = basket.add(product.pk, parse_quantity(request.POST.get("quantity", "1")))
    except BasketError as exc:
        messages.error(request, str(exc))
        return redirect(_safe_next(request, showroom, fallback))
    messages.success(request, f"{product.name}: {quantity} in your basket.")
    return redirect(_safe_next(request, showroom, fallback))


@login_not_required
@require_http_methods(["GET", "POST"])
def basket_view(request: HttpRequest, slug: str) -> HttpResponse:
    """The basket with the partner's current prices, stock and lead times. POST changes the quantities
    (all or nothing) or removes one line (the button "remove" carries its product id)."""
    # Queries (GET): the showroom, the category tree, the chosen categories, the basket's products.
    showroom = _public_showroom_or_404(slug)
    basket = Basket.for_showroom(request.session, slug)
    if request.method == "POST":
        return _basket_change(request, showroom, basket)
    _remember_campaign(request, slug)
    contents = basket.lines(showroom.partner_id)
    if contents.dropped:
        basket.forget(contents.dropped)
        messages.warning(
            request, "Some products are no longer sold in this showroom and were taken out of your basket."
        )
    context = _shop_context(request, showroom, contents=contents)
    return render(request, "showroom/basket.html", context)


def _basket_change(request: HttpRequest, showroom: Showroom, basket: Basket) -> HttpResponse:
    target = redirect("showroom:basket", showroom.slug)
    remove = request.POST.get("remove")
    if remove is not None:
        basket.remove(_product_id(remove))
        messages.success(request, "The product was taken out of your basket.")
        return target
    changes: dict[int, int] = {}
    for product_id in basket.quantities():
        raw = request.POST.get(f"quantity-{product_id}")
        if raw is None:
            continue
        if raw.strip() == "0":
            changes[product_id] = 0
            continue
        try:
            changes[product_id] = parse_quantity(raw)
        except BasketError as exc:
            messages.error(request, f"Nothing was changed. {exc}")
            return target
    for product_id, quantity in changes.items():
        basket.set(product_id, quantity)
    messages.success(request, "Your basket is updated.")
    return target


# --- Request a quote -------------------------------------------------------------------------------------


class QuoteForm(forms.Form):
    """The customer's contact details for a quote request (field names are quote_request's)."""

    company = forms.CharField(
        label="Company",
        max_length=200,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "organization"}),
    )
    contact_name = forms.CharField(
        label="Your name",
        max_length=150,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "name"}),
    )
    email = forms.EmailField(
        label="E-mail",
        max_length=254,
        help_text="We send a confirmation here; the partner answers with its quote.",
        widget=forms.EmailInput(attrs={"class": "form-control", "autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone",
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "tel", "type": "tel"}),
    )
    country = forms.ChoiceField(
        label="Country",
        widget=forms.Select(attrs={"class": "form-select", "autocomplete": "country"}),
    )
    city = forms.CharField(
        label="City",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control", "autocomplete": "address-level2"}),
    )
    message = forms.CharField(
        label="Message",
        max_length=2000,
        required=False,
        help_text="Anything the partner should know: delivery address, dates, questions.",
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = sorted(COUNTRIES.items(), key=lambda item: item[1])
        self.fields["country"].choices = [("", "Choose a country")] + choices  # type: ignore[attr-defined]


def _quote_rate_limited(request: HttpRequest) -> bool:
    """Count one quote request from this client address; True when over the hourly limit."""
    return limit_exceeded(
        scope="showroom-quote", key=client_ip(request), limit=quote_rate_limit(), period_seconds=3600
    )


def _rate_limited_page(request: HttpRequest, showroom: Showroom) -> HttpResponse:
    response = render(
        request,
        "showroom/quote_rate_limited.html",
        _shop_context(request, showroom, limit=quote_rate_limit()),
        status=429,
    )
    response["Retry-After"] = "3600"
    return response


def _placed_key(slug: str) -> str:
    return f"showroom:{slug}:placed_order"


@login_not_required
@require_http_methods(["GET", "POST"])
def quote_request(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Request a quote": the basket and the customer's contact details become a lead of the showroom's
    partner; "Place order" (the form's second button, action=order) makes them an order of the partner
    instead. Submissions (valid ones, and bots caught by the honeypot) count against one per-address
    hourly limit; invalid input gets its messages back and stores nothing."""
    showroom = _public_showroom_or_404(slug)
    _remember_campaign(request, slug)
    basket = Basket.for_showroom(request.session, slug)
    contents = basket.lines(showroom.partner_id)
    initial = {"country": showroom.partner.country}
    if request.method != "POST":
        form = QuoteForm(initial=initial)
        return _quote_page(request, showroom, form, contents)
    form = QuoteForm(request.POST, initial=initial)
    if request.POST.get(HONEYPOT_FIELD, "").strip():
        # A bot: answer exactly as for a real request, store and send nothing.
        if _quote_rate_limited(request):
            return _rate_limited_page(request, showroom)
        return redirect("showroom:quote_sent", slug)
    placing_order = request.POST.get("action") == "order"
    if not contents:
        form.add_error(None, "Your basket is empty; add the products you want a quote for first.")
    elif form.is_valid() and placing_order:
        if _quote_rate_limited(request):
            return _rate_limited_page(request, showroom)
        try:
            order = order_services.order_from_showroom(
                showroom=showroom, contents=contents, customer_data=form.cleaned_data
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            basket.clear()
            request.session.pop(_campaign_key(slug), None)
            request.session[_placed_key(slug)] = order.pk
            return redirect("showroom:order_placed", slug)
    elif form.is_valid():
        if _quote_rate_limited(request):
            return _rate_limited_page(request, showroom)
        campaign = request.session.get(_campaign_key(slug), "")
        try:
            services.quote_request(
                showroom=showroom,
                contents=contents,
                fields=form.cleaned_data,
                campaign_code=campaign if isinstance(campaign, str) else "",
            )
        except ValidationError as exc:
            _form_errors(form, exc)
        else:
            basket.clear()
            request.session.pop(_campaign_key(slug), None)
            return redirect("showroom:quote_sent", slug)
    return _quote_page(request, showroom, form, contents)


def _form_errors(form: QuoteForm, exc: ValidationError) -> None:
    """A service's refusal on the form: per field where the field is on it, else for the whole form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _quote_page(request: HttpRequest, showroom: Showroom, form: QuoteForm, contents: Any) -> HttpResponse:
    context = _shop_context(request, showroom, form=form, contents=contents, honeypot=HONEYPOT_FIELD)
    return render(request, "showroom/quote.html", context)


@login_not_required
@require_GET
def quote_sent(request: HttpRequest, slug: str) -> HttpResponse:
    """The thank-you page after a quote request."""
    showroom = _public_showroom_or_404(slug)
    return render(request, "showroom/quote_sent.html", _shop_context(request, showroom))


@login_not_required
@require_GET
def order_placed(request: HttpRequest, slug: str) -> HttpResponse:
    """The thank-you page after "Place order": the order's number and its status link. Only the order
    this browser placed in this showroom (kept in the session); without one, back to the showroom."""
    showroom = _public_showroom_or_404(slug)
    order_id = request.session.get(_placed_key(slug))
    order = (
        Order.objects.filter(pk=order_id, partner_id=showroom.partner_id).first()
        if isinstance(order_id, int)
        else None
    )
    if order is None:
        return redirect("showroom:detail", slug)
    status_link = request.build_absolute_uri(order.status_url)
    context = _shop_context(request, showroom, order=order, status_link=status_link)
    return render(request, "showroom/order_placed.html", context)
