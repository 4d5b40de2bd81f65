"""Partner portal: the partner's assortment (what it sells). Partner managers choose whole categories
(with their sub-categories), add single products from the catalogue, set their price, stock and lead
time, remove them, and upload those settings as CSV; employees read. One page, keyset paged by name,
searchable; each change is a POST that redirects back with a message."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from catalog import assortment as services
from catalog import selectors
from catalog.models import MAX_LEAD_TIME_DAYS, Product
from core.errors import NotAllowed
from partners.models import Partner
from portals.crumbs import partner_crumbs
from portals.decorators import acting_user, partner_required
from portals.forms import error_text
from portals.paging import request_page
from portals.partner.home import own_partner

FIND_RESULTS = 10


class SearchForm(forms.Form):
    q = forms.CharField(label="Search the assortment", max_length=100, required=False)
    find = forms.CharField(label="Find a product in the catalogue", max_length=100, required=False)


class SettingsForm(forms.Form):
    price = forms.DecimalField(
        label="Price", required=False, min_value=Decimal("0"), max_digits=14, decimal_places=2
    )
    stock = forms.IntegerField(label="Stock", required=False, min_value=0, max_value=services.MAX_STOCK)
    lead_time_days = forms.IntegerField(
        label="Lead time (days)", required=False, min_value=0, max_value=MAX_LEAD_TIME_DAYS
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8, comma-separated, header sku,price,stock,lead_time_days; at most "
        f"{services.MAX_UPLOAD_ROWS:,} rows.",
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".csv,text/csv"}),
    )


def _editable(request: HttpRequest) -> Partner:
    partner = own_partner(request)
    if not services.can_change_assortment(request.user, partner):
        raise PermissionDenied("Only partner managers change the assortment.")
    return partner


def _back(request: HttpRequest) -> HttpResponse:
    query = {k: request.POST[k] for k in ("q", "after") if request.POST.get(k)}
    url = "partner:assortment"
    response = redirect(url)
    if query:
        response["Location"] += "?" + urlencode(query)
    return response


@partner_required
@require_GET
def assortment(request: HttpRequest) -> HttpResponse:
    """The assortment, by name, a keyset page at a time; the category tree with the chosen ones ticked.

    Queries: session, user, actor, partner, category tree, chosen categories, page rows (category and
    the partner's settings joined): 7, whatever the number of products; + 1 when finding products."""
    partner = own_partner(request)
    can_change = services.can_change_assortment(request.user, partner)
    search = SearchForm(request.GET)
    q = search.cleaned_data.get("q", "") if search.is_valid() else ""
    find = search.cleaned_data.get("find", "") if search.is_valid() else ""
    tree = selectors.category_tree()
    chosen = selectors.chosen_category_ids(partner.pk)
    products = selectors.assortment_list(partner.pk, q=q, tree=tree, chosen=chosen).defer(
        "long_description", "attributes"
    )
    page = request_page(request, products, order="name", size=settings.PAGE_SIZE)
    found: list[Product] = []
    if can_change and find.strip():
        found = list(
            selectors.product_list(request.user, q=find, active=True).order_by("name", "id")[:FIND_RESULTS]
        )
    chosen_set = set(chosen)
    context: dict[str, Any] = {
        "partner": partner,
        "page": page,
        "q": q,
        "find": find,
        "found": found,
        "querystring": urlencode({"q": q}) if q else "",
        "tree": [{"node": node, "checked": node.id in chosen_set} for node in tree],
        "chosen_count": len(chosen),
        "can_change": can_change,
        "upload_form": UploadForm() if can_change else None,
        "example_csv": services.EXAMPLE_CSV,
        "max_lead_time": MAX_LEAD_TIME_DAYS,
        "breadcrumbs": partner_crumbs(("Assortment", None)),
    }
    return render(request, "portals/partner/assortment/list.html", context)


@partner_required
@require_POST
def assortment_categories(request: HttpRequest) -> HttpResponse:
    partner = _editable(request)
    try:
        ids = sorted({int(v) for v in request.POST.getlist("categories")})
    except ValueError:
        messages.error(request, "The categories were not understood; tick them again.")
        return _back(request)
    try:
        chosen = services.assortment_set_categories(
            actor=acting_user(request), partner=partner, category_ids=ids
        )
    except (NotAllowed, ValidationError) as exc:
        messages.error(request, str(exc) if isinstance(exc, NotAllowed) else error_text(exc))
    else:
        messages.success(
            request, f"Categories saved: you sell {len(chosen)} categories with their sub-categories."
        )
    return _back(request)


def _product_id(request: HttpRequest) -> int | None:
    try:
        value = int(request.POST.get("product", ""))
    except ValueError:
        return None
    return value if 1 <= value <= 2**63 - 1 else None


@partner_required
@require_POST
def assortment_add(request: HttpRequest) -> HttpResponse:
    partner = _editable(request)
    product_id = _product_id(request)
    product = get_object_or_404(selectors.visible_products(request.user), pk=product_id or 0)
    try:
        added = services.assortment_add_products(
            actor=acting_user(request), partner=partner, product_ids=[product.pk]
        )
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if added:
            messages.success(request, f"{product.sku} added to your assortment.")
        else:
            messages.info(request, f"{product.sku} was in your assortment already.")
    return _back(request)


@partner_required
@require_POST
def assortment_product(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the price, stock and lead time of one product (empty fields clear them)."""
    partner = _editable(request)
    product = get_object_or_404(selectors.visible_products(request.user), pk=pk)
    form = SettingsForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[f].label}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items()
        )
        messages.error(request, f"{product.sku} was not saved. {problems}")
        return _back(request)
    try:
        services.assortment_product_update(
            actor=acting_user(request), partner=partner, product=product, settings=form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, f"{product.sku} was not saved. {error_text(exc)}")
    else:
        messages.success(request, f"{product.sku} saved.")
    return _back(request)


@partner_required
@require_POST
def assortment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    partner = _editable(request)
    product = get_object_or_404(selectors.visible_products(request.user), pk=pk)
    removed = services.assortment_remove_products(
        actor=acting_user(request), partner=partner, product_ids=[pk]
    )
    if removed:
        messages.success(
            request,
            f"{product.sku} removed with its settings. If its category is ticked, it stays at the list price.",
        )
    else:
        messages.info(
            request, f"{product.sku} was not chosen on its own; untick its category to stop selling it."
        )
    return _back(request)


@partner_required
@require_POST
def assortment_upload(request: HttpRequest) -> HttpResponse:
    partner = _editable(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a CSV file to upload.")
        return _back(request)
    try:
        result = services.assortment_upload(
            actor=acting_user(request), partner=partner, uploaded_file=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        messages.error(request, f"The file was not taken: {error_text(exc)}")
        return _back(request)
    messages.success(request, f"Upload done: {result.summary}.")
    for line, reason in result.errors[:20]:
        messages.warning(request, f"Line {line}: {reason}")
    if len(result.errors) > 20:
        messages.warning(request, f"… and {len(result.errors) - 20} more rows refused.")
    return _back(request)
