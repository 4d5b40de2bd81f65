"""Channel portal: the brand owner's catalogue. Channel admins manage products and categories and
import products from CSV; channel managers read. Pages: the product list (search, category with its
sub-categories, status; keyset pages by name), a product's page and image, the product form, the
category tree and its form, the CSV import (a background job; its page shows the progress)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from catalog import imports, selectors, services
from catalog.codes import COMMON_ORDER_UNITS, DEFAULT_CURRENCY, DEFAULT_ORDER_UNIT
from catalog.models import MAX_PRICE_UNIT, Category, Product
from catalog.selectors import CategoryNode
from core.errors import NotAllowed
from core.jobs import visible_jobs
from core.uploads import MAX_IMAGE_BYTES, image_response
from partners import access
from portals.channel.forms import FastSelect
from portals.channel.lead_forms import MAX_ID, FilterForm
from portals.crumbs import Crumb, channel_crumbs
from portals.decorators import acting_user, channel_required
from portals.forms import add_service_errors
from portals.paging import request_page

RECENT_IMPORTS = 5
ACCEPT_IMAGES = "image/png,image/jpeg,image/webp"


def _require_admin(request: HttpRequest, what: str) -> None:
    if not access.actor_of(request.user).is_admin:
        raise PermissionDenied(f"Only channel admins {what}; channel managers read the catalogue.")


def _crumbs(*items: Crumb) -> list[Crumb]:
    return channel_crumbs(("Catalogue", reverse("channel:product_list")), *items)


def _category_choices(tree: list[CategoryNode], *, exclude: set[int] | None = None) -> list[tuple[str, str]]:
    """Categories as select options in tree order, sub-categories indented."""
    return [
        (str(node.id), "\u2003" * node.depth + node.name)
        for node in tree
        if not exclude or node.id not in exclude
    ]


def _control(attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"class": "form-control", **(attrs or {})}


# --- Forms ---------------------------------------------------------------------------------------


STATUS_CHOICES = [("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")]


class ProductFilterForm(FilterForm):
    FILTERS = ("q", "category", "status")

    q = forms.CharField(
        label="Search",
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs=_control({"type": "search", "placeholder": "SKU or name"})),
    )
    category = forms.IntegerField(
        label="Category",
        required=False,
        min_value=1,
        max_value=MAX_ID,
        widget=FastSelect(attrs={"class": "form-select"}),
    )
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=STATUS_CHOICES,
        widget=FastSelect(attrs={"class": "form-select"}),
    )

    def __init__(self, *args: Any, tree: list[CategoryNode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].widget.choices = [("", "All categories"), *_category_choices(tree)]  # type: ignore[attr-defined]

    def clean_category(self) -> int | None:
        value = self.cleaned_data.get("category")
        known = {int(key) for key, _ in self.fields["category"].widget.choices if key}  # type: ignore[attr-defined]
        if value is not None and value not in known:
            raise ValidationError("No such category.")
        return value


class ProductForm(forms.Form):
    """A product's fields; catalog.services validates them against the model."""

    sku = forms.CharField(
        label="SKU", max_length=40, help_text="Letters, digits and . _ / - (OCI vendor material number).",
        widget=forms.TextInput(attrs=_control({"autocomplete": "off", "spellcheck": "false"})),
    )  # fmt: skip
    name = forms.CharField(label="Name", max_length=200, widget=forms.TextInput(attrs=_control()))
    category = forms.TypedChoiceField(
        label="Category", coerce=int, widget=FastSelect(attrs={"class": "form-select"})
    )
    short_description = forms.CharField(
        label="Short description",
        required=False,
        max_length=400,  # the service refuses more than 40 with a suggestion; a browser limit would cut silently
        widget=forms.TextInput(attrs=_control()),
    )
    long_description = forms.CharField(
        label="Long description", required=False, max_length=20_000,
        widget=forms.Textarea(attrs=_control({"rows": 5})),
    )  # fmt: skip
    list_price = forms.DecimalField(
        label="List price", min_value=Decimal("0"), max_digits=14, decimal_places=2,
        widget=forms.NumberInput(attrs=_control({"step": "0.01", "inputmode": "decimal"})),
    )  # fmt: skip
    currency = forms.CharField(
        label="Currency", max_length=3, initial=DEFAULT_CURRENCY, help_text="ISO 4217 code, e.g. EUR.",
        widget=forms.TextInput(attrs=_control({"autocomplete": "off", "style": "text-transform: uppercase"})),
    )  # fmt: skip
    price_unit = forms.IntegerField(
        label="Price unit", min_value=1, max_value=MAX_PRICE_UNIT, initial=1,
        help_text="The list price is for this many order units.",
        widget=forms.NumberInput(attrs=_control({"inputmode": "numeric"})),
    )  # fmt: skip
    order_unit = forms.CharField(
        label="Order unit", max_length=3, initial=DEFAULT_ORDER_UNIT,
        help_text="UN/ECE code: " + ", ".join(f"{code} ({label})" for code, label in COMMON_ORDER_UNITS[:4]) + ".",
        widget=forms.TextInput(attrs=_control({"list": "order-units", "autocomplete": "off"})),
    )  # fmt: skip
    manufacturer_part_number = forms.CharField(
        label="Manufacturer part number",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs=_control()),
    )
    material_group = forms.CharField(
        label="Material group", required=False, max_length=10, help_text="E.g. the UNSPSC class (at most 10 characters).",
        widget=forms.TextInput(attrs=_control({"inputmode": "numeric"})),
    )  # fmt: skip
    attributes = forms.CharField(
        label="Attributes", required=False, max_length=20_000,
        help_text="One per line, “Name: value”, e.g. “Sensing range: 4 mm”.",
        widget=forms.Textarea(attrs=_control({"rows": 4})),
    )  # fmt: skip
    image = forms.FileField(
        label="Image", required=False,
        help_text=f"PNG, JPEG or WebP, at most {MAX_IMAGE_BYTES // 2**20} MB.",
        widget=forms.ClearableFileInput(attrs=_control({"accept": ACCEPT_IMAGES})),
    )  # fmt: skip
    remove_image = forms.BooleanField(
        label="Remove the current image",
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
    active = forms.BooleanField(
        label="Active (partners see it)", required=False, initial=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )  # fmt: skip

    def __init__(
        self, *args: Any, tree: list[CategoryNode], product: Product | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        category = self.fields["category"]
        category.choices = [("", "Choose a category…"), *_category_choices(tree)]  # type: ignore[attr-defined]
        category.widget.choices = category.choices  # type: ignore[attr-defined]
        if product is None or not product.image:
            del self.fields["remove_image"]
        derived = f"“{product.short_description}”" if product and product.short_description_auto else None
        self.fields["short_description"].help_text = (
            f"At most 40 characters, as OCI shows it. Leave empty to derive it from the name"
            f"{f' (now {derived})' if derived else ''}: it is cut at a word boundary and marked with “…”."
        )

    def clean_currency(self) -> str:
        return self.cleaned_data["currency"].strip().upper()

    def clean_order_unit(self) -> str:
        return self.cleaned_data["order_unit"].strip().upper()

    def clean_attributes(self) -> dict[str, Any]:
        try:
            return services.parse_attributes(self.cleaned_data["attributes"])
        except ValidationError as exc:
            raise ValidationError(exc.messages)

    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        names = services.PRODUCT_FIELDS - {"category"}
        fields = {name: data[name] for name in names if name in data}
        fields["category"] = Category.objects.filter(pk=data["category"]).first()
        return fields


def _product_initial(product: Product) -> dict[str, Any]:
    return {
        "sku": product.sku,
        "name": product.name,
        "category": product.category_id,
        "short_description": "" if product.short_description_auto else product.short_description,
        "long_description": product.long_description,
        "list_price": product.list_price,
        "currency": product.currency,
        "price_unit": product.price_unit,
        "order_unit": product.order_unit,
        "manufacturer_part_number": product.manufacturer_part_number,
        "material_group": product.material_group,
        "attributes": services.format_attributes(product.attributes),
        "active": product.active,
    }


class CategoryForm(forms.Form):
    name = forms.CharField(label="Name", max_length=120, widget=forms.TextInput(attrs=_control()))
    slug = forms.SlugField(
        label="Slug", max_length=80, required=False,
        help_text="Used in CSV imports and URLs; lower-case letters, digits and hyphens. Made from the name when empty.",
        widget=forms.TextInput(attrs=_control({"autocomplete": "off"})),
    )  # fmt: skip
    parent = forms.TypedChoiceField(
        label="Parent category", required=False, coerce=int, empty_value=None,
        widget=FastSelect(attrs={"class": "form-select"}),
    )  # fmt: skip

    def __init__(
        self, *args: Any, tree: list[CategoryNode], category: Category | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # A category cannot move under itself or its sub-categories (the service refuses it too).
        exclude = set(selectors.subtree_ids(tree, category.pk)) if category is not None else None
        parent = self.fields["parent"]
        parent.choices = [("", "None (a top-level category)"), *_category_choices(tree, exclude=exclude)]  # type: ignore[attr-defined]
        parent.widget.choices = parent.choices  # type: ignore[attr-defined]

    def fields_for_service(self) -> dict[str, Any]:
        data = self.cleaned_data
        parent = Category.objects.filter(pk=data["parent"]).first() if data.get("parent") else None
        return {"name": data["name"], "slug": data["slug"], "parent": parent}


class ProductImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="UTF-8, comma-separated, with a header row (see “The file”).",
        widget=forms.ClearableFileInput(attrs=_control({"accept": ".csv,text/csv"})),
    )


# --- Products ------------------------------------------------------------------------------------


@channel_required
def product_list(request: HttpRequest) -> HttpResponse:
    """Search and filter the catalogue, by name, in keyset pages.

    Queries: session, user, actor, category tree, page rows (category joined): 5, whatever the
    number of products or the filters."""
    user = request.user
    tree = selectors.category_tree()
    form = ProductFilterForm(request.GET, tree=tree)
    if not form.is_valid():
        messages.warning(request, f"Some filters were not understood and are ignored: {form.error_labels()}.")
    values = form.valid_values()
    status = values.get("status", "")
    products = selectors.product_list(
        user,
        category=values.get("category"),
        q=values.get("q", ""),
        active={"active": True, "inactive": False}.get(status),
        tree=tree,
    )
    page = request_page(request, products, order="name", size=settings.PAGE_SIZE)
    filters = {k: v for k, v in values.items() if k in ProductFilterForm.FILTERS}
    return render(
        request,
        "portals/channel/catalog/list.html",
        {
            "form": form,
            "page": page,
            "filtered": bool(filters),
            "querystring": urlencode(filters),
            "has_categories": bool(tree),
            "can_edit": access.actor_of(user).is_admin,
            "breadcrumbs": channel_crumbs(("Catalogue", None)),
        },
    )


def _visible_product(request: HttpRequest, pk: int) -> Product:
    return get_object_or_404(selectors.visible_products(request.user), pk=pk)


@channel_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Queries: session, user, actor, product (category joined), category tree (for its path): 5."""
    product = _visible_product(request, pk)
    paths = {node.id: node.path for node in selectors.category_tree()}
    return render(
        request,
        "portals/channel/catalog/detail.html",
        {
            "product": product,
            "category_path": paths.get(product.category_id, product.category.name),
            "can_edit": access.actor_of(request.user).is_admin,
            "breadcrumbs": _crumbs((product.sku, None)),
        },
    )


@channel_required
def product_image(request: HttpRequest, pk: int) -> HttpResponse:
    """The product's image, served with its checked type (never as a page)."""
    product = _visible_product(request, pk)
    if not product.image:
        raise Http404
    return image_response(product.image)  # type: ignore[return-value]  # a FileResponse streams


def _product_form_page(request: HttpRequest, form: ProductForm, product: Product | None) -> HttpResponse:
    title = f"Edit {product.sku}" if product else "New product"
    items: list[Crumb] = [(title, None)]
    if product:
        items.insert(0, (product.sku, reverse("channel:product_detail", args=[product.pk])))
    return render(
        request,
        "portals/channel/catalog/form.html",
        {
            "form": form,
            "product": product,
            "title": title,
            "order_units": COMMON_ORDER_UNITS,
            "breadcrumbs": _crumbs(*items),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _shortened_note(product: Product) -> str:
    if product.short_description_shortened:
        return (
            f" The name is longer than 40 characters, so the short description OCI shows was shortened to "
            f"“{product.short_description}”."
        )
    return ""


@channel_required
def product_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request, "add products")
    tree = selectors.category_tree()
    posted = request.method == "POST"
    form = ProductForm(request.POST if posted else None, request.FILES if posted else None, tree=tree)
    if posted and form.is_valid():
        try:
            product = services.product_create(
                actor=acting_user(request),
                fields=form.fields_for_service(),
                image=form.cleaned_data.get("image"),
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product {product.sku} created.{_shortened_note(product)}")
            return redirect("channel:product_detail", pk=product.pk)
    if not tree:
        messages.info(request, "Create a category first: every product belongs to one.")
    return _product_form_page(request, form, None)


@channel_required
def product_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request, "change products")
    product = _visible_product(request, pk)
    tree = selectors.category_tree()
    posted = request.method == "POST"
    form = ProductForm(
        request.POST if posted else None,
        request.FILES if posted else None,
        tree=tree,
        product=product,
        initial=_product_initial(product),
    )
    if posted and form.is_valid():
        try:
            product = services.product_update(
                actor=acting_user(request),
                product=product,
                fields=form.fields_for_service(),
                image=form.cleaned_data.get("image"),
                remove_image=bool(form.cleaned_data.get("remove_image")),
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Product {product.sku} saved.{_shortened_note(product)}")
            return redirect("channel:product_detail", pk=product.pk)
    return _product_form_page(request, form, product)


@require_POST
@channel_required
def product_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request, "deactivate products")
    product = _visible_product(request, pk)
    try:
        services.product_deactivate(actor=acting_user(request), product=product)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    messages.success(request, f"Product {product.sku} deactivated: partners no longer see it.")
    return redirect("channel:product_detail", pk=product.pk)


@require_POST
@channel_required
def product_activate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request, "activate products")
    product = _visible_product(request, pk)
    try:
        services.product_activate(actor=acting_user(request), product=product)
    except NotAllowed as exc:
        raise PermissionDenied(str(exc))
    messages.success(request, f"Product {product.sku} activated: partners see it again.")
    return redirect("channel:product_detail", pk=product.pk)


# --- Import --------------------------------------------------------------------------------------


@channel_required
def product_import(request: HttpRequest) -> HttpResponse:
    """Upload a CSV of products; a background job validates and imports it row by row, matching rows
    to products by SKU. A wrong header or a file that is no CSV is refused here, before anything is
    imported."""
    _require_admin(request, "import products")
    user = acting_user(request)
    posted = request.method == "POST"
    form = ProductImportForm(request.POST if posted else None, request.FILES if posted else None)
    if posted and form.is_valid():
        try:
            job = imports.product_import_start(actor=user, uploaded_file=form.cleaned_data["file"])
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Import started; this page shows its progress.")
            return redirect("job_detail", pk=job.pk)
    recent = list(visible_jobs(user, sees_all=True).filter(kind=imports.JOB_KIND)[:RECENT_IMPORTS])
    return render(
        request,
        "portals/channel/catalog/import.html",
        {
            "form": form,
            "columns": imports.IMPORT_COLUMNS,
            "header": ",".join(imports.IMPORT_COLUMNS),
            "example": imports.EXAMPLE_CSV,
            "new_product_values": imports.NEW_PRODUCT_VALUES,
            "max_mb": imports.MAX_FILE_BYTES // 2**20,
            "recent": recent,
            "breadcrumbs": _crumbs(("Import CSV", None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


# --- Categories ----------------------------------------------------------------------------------


@channel_required
def category_list(request: HttpRequest) -> HttpResponse:
    """The category tree with the number of products in each.

    Queries: session, user, actor, category tree, product counts: 5."""
    tree = selectors.category_tree()
    counts = selectors.category_product_counts()
    return render(
        request,
        "portals/channel/catalog/categories.html",
        {
            "rows": [(node, counts.get(node.id, 0)) for node in tree],
            "can_edit": access.actor_of(request.user).is_admin,
            "breadcrumbs": _crumbs(("Categories", None)),
        },
    )


def _category_form_page(request: HttpRequest, form: CategoryForm, category: Category | None) -> HttpResponse:
    title = f"Edit {category.name}" if category else "New category"
    return render(
        request,
        "portals/channel/catalog/category_form.html",
        {
            "form": form,
            "category": category,
            "title": title,
            "breadcrumbs": _crumbs(("Categories", reverse("channel:category_list")), (title, None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@channel_required
def category_create(request: HttpRequest) -> HttpResponse:
    _require_admin(request, "add categories")
    tree = selectors.category_tree()
    form = CategoryForm(request.POST if request.method == "POST" else None, tree=tree)
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_create(actor=acting_user(request), fields=form.fields_for_service())
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Category {category.name} created (slug “{category.slug}”).")
            return redirect("channel:category_list")
    return _category_form_page(request, form, None)


@channel_required
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require_admin(request, "change categories")
    category = get_object_or_404(Category.objects.all(), pk=pk)
    tree = selectors.category_tree()
    initial = {"name": category.name, "slug": category.slug, "parent": category.parent_id}
    form = CategoryForm(
        request.POST if request.method == "POST" else None, tree=tree, category=category, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            category = services.category_update(
                actor=acting_user(request), category=category, fields=form.fields_for_service()
            )
        except NotAllowed as exc:
            raise PermissionDenied(str(exc))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Category {category.name} saved.")
            return redirect("channel:category_list")
    return _category_form_page(request, form, category)
