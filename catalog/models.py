"""The brand owner's catalogue: a category tree and the products in it, and each partner's assortment
(the categories and products it sells, with its own price, stock and lead time)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Concat, Upper

from catalog.codes import CURRENCIES, DEFAULT_CURRENCY, DEFAULT_ORDER_UNIT
from catalog.text import collapse_whitespace
from core.uploads import MAX_IMAGE_BYTES, ImageUploadValidator, RandomUploadName

# OCI 4.0 field lengths the product's values must fit (NEW_ITEM-DESCRIPTION, -VENDORMAT, -MANUFACTMAT,
# -MATGROUP, -PRICEUNIT): the showroom's punch-out hands them over without cutting.
OCI_DESCRIPTION_LENGTH = 40
SKU_LENGTH = 40
MPN_LENGTH = 40
MATERIAL_GROUP_LENGTH = 10
MAX_PRICE_UNIT = 99_999
MAX_ATTRIBUTES = 100
MAX_ATTRIBUTE_NAME = 100
MAX_ATTRIBUTE_VALUE = 500
# A partner's lead time beyond two years is a typing mistake.
MAX_LEAD_TIME_DAYS = 730


class Category(models.Model):
    """A product category; leads and dispatch rules refer to it. A tree through `parent`."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self) -> str:
        return self.name


sku_validator = RegexValidator(
    r"\A[A-Za-z0-9][A-Za-z0-9._/-]*\Z",
    "Use letters, digits and . _ / - only, starting with a letter or digit, no spaces (e.g. VX-IS12-04PN).",
    code="sku",
)
order_unit_validator = RegexValidator(
    r"\A[A-Z0-9]{1,3}\Z",
    "Give a UN/ECE unit code of 1 to 3 upper-case letters or digits, e.g. C62 (one), PK (pack) or MTR (metre).",
    code="order_unit",
)
material_group_validator = RegexValidator(
    r"\A[A-Za-z0-9._-]*\Z",
    "Use letters, digits and . _ - only, no spaces (e.g. the 8-digit UNSPSC class 41112400).",
    code="material_group",
)


def validate_currency(value: str) -> None:
    if value not in CURRENCIES:
        raise ValidationError(
            "“%(value)s” is not an ISO 4217 currency code; use three upper-case letters such as EUR or USD.",
            code="currency",
            params={"value": value},
        )


def validate_attributes(value: Any) -> None:
    """Attributes are a flat object of names to short values (text, number, yes/no)."""
    if not isinstance(value, dict):
        raise ValidationError("Attributes must be a list of names and values.", code="attributes")
    if len(value) > MAX_ATTRIBUTES:
        raise ValidationError(
            f"A product has at most {MAX_ATTRIBUTES} attributes (this has {len(value)}).", code="attributes"
        )
    for name, item in value.items():
        if not isinstance(name, str) or not name.strip():
            raise ValidationError("Every attribute needs a name.", code="attributes")
        if len(name) > MAX_ATTRIBUTE_NAME:
            raise ValidationError(
                f"The attribute name “{name[:30]}…” is longer than {MAX_ATTRIBUTE_NAME} characters.",
                code="attributes",
            )
        if isinstance(item, (dict, list)) or item is None:
            raise ValidationError(
                f"The attribute “{name}” must have a single value (text, a number or yes/no).",
                code="attributes",
            )
        if len(str(item)) > MAX_ATTRIBUTE_VALUE:
            raise ValidationError(
                f"The value of “{name}” is longer than {MAX_ATTRIBUTE_VALUE} characters.", code="attributes"
            )


class Product(models.Model):
    """A product of the brand owner's catalogue, as partners, showrooms, OCI punch-out and catalogue
    exports show it.

    `short_description` is what fits OCI's 40-character description. Left empty it is derived from the
    name (`short_description_auto`), cut at a word boundary with "…" (catalog.text.short_text), and
    `short_description_shortened` says so to the channel admin; a description given by hand longer than
    40 characters is refused, never cut. Prices are per `price_unit` units of `order_unit`."""

    sku = models.CharField(
        "SKU",
        max_length=SKU_LENGTH,
        unique=True,
        validators=[sku_validator],
        help_text="The brand owner's article number; OCI's vendor material number.",
        error_messages={"unique": "A product with this SKU exists already; edit that product instead."},
    )
    name = models.CharField(max_length=200)
    short_description = models.CharField(
        max_length=OCI_DESCRIPTION_LENGTH,
        blank=True,
        help_text="At most 40 characters (OCI). Leave empty to derive it from the name.",
    )
    short_description_auto = models.BooleanField(
        default=True, help_text="The short description is derived from the name (and follows it)."
    )
    long_description = models.TextField(blank=True)
    list_price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, validators=[validate_currency])
    order_unit = models.CharField(
        max_length=3,
        default=DEFAULT_ORDER_UNIT,
        validators=[order_unit_validator],
        help_text="UN/ECE Recommendation 20 code, e.g. C62 (one), PK (pack), MTR (metre).",
    )
    price_unit = models.PositiveIntegerField(
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_PRICE_UNIT)],
        help_text="The list price is for this many order units (e.g. 100 for a price per hundred).",
    )
    manufacturer_part_number = models.CharField(max_length=MPN_LENGTH, blank=True)
    material_group = models.CharField(
        max_length=MATERIAL_GROUP_LENGTH,
        blank=True,
        validators=[material_group_validator],
        help_text="E.g. the UNSPSC class; at most 10 characters (OCI).",
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    image = models.FileField(
        upload_to=RandomUploadName("catalog/products"),
        blank=True,
        max_length=200,
        validators=[ImageUploadValidator(MAX_IMAGE_BYTES)],
        help_text="PNG, JPEG or WebP, at most 5 MB.",
    )
    attributes = models.JSONField(default=dict, blank=True, validators=[validate_attributes])
    active = models.BooleanField(default=True, help_text="Inactive products are hidden from partners.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # What the product search looks in, upper-cased in one column; on PostgreSQL a pg_trgm GIN index
    # (migration 0003) serves `LIKE '%…%'` on it.
    search_text = models.GeneratedField(
        expression=Upper(Concat("sku", models.Value(" "), "name", output_field=models.TextField())),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["name", "id"]
        indexes: ClassVar[list[models.Index]] = [
            # Keyset pages by name: the whole catalogue, what partners see (active), one category.
            models.Index(fields=["name", "id"], name="product_name_id"),
            models.Index(fields=["name", "id"], condition=Q(active=True), name="product_active_name"),
            models.Index(fields=["category", "name", "id"], name="product_category_name"),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.CheckConstraint(condition=Q(list_price__gte=0), name="product_price_not_negative"),
            models.CheckConstraint(
                condition=Q(price_unit__gte=1) & Q(price_unit__lte=MAX_PRICE_UNIT),
                name="product_price_unit_range",
            ),
            models.CheckConstraint(condition=~Q(sku=""), name="product_sku_not_blank"),
            models.CheckConstraint(condition=~Q(name=""), name="product_name_not_blank"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def short_description_shortened(self) -> bool:
        """The derived short description leaves part of the name out (it ends in "…")."""
        return self.short_description_auto and self.short_description != collapse_whitespace(self.name)

    @property
    def attribute_items(self) -> list[tuple[str, Any]]:
        return list((self.attributes or {}).items())


class PartnerCategory(models.Model):
    """A whole category (with its sub-categories) in a partner's assortment: every active product in
    it is sold by the partner, at the list price unless a PartnerProduct row says otherwise."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="assortment_categories"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="partner_choices")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["partner", "category"], name="partner_category_unique"),
        ]
        indexes: ClassVar[list[models.Index]] = [
            # partners_selling(category): from the category to the partners.
            models.Index(fields=["category", "partner"], name="partner_category_by_category"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} sells {self.category_id}"


class PartnerProduct(models.Model):
    """A single product in a partner's assortment, with the partner's own settings: price (in the
    product's currency, per the product's price unit; empty for the list price), stock and lead time
    in days (empty when not told). A product of a chosen category gets a row when the partner sets
    one of these, and then stays in the assortment on its own."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="assortment_products"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="partner_settings")
    price = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(Decimal("0"))]
    )
    stock = models.PositiveIntegerField(null=True, blank=True)
    lead_time_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(MAX_LEAD_TIME_DAYS)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["partner", "product"], name="partner_product_unique"),
            models.CheckConstraint(condition=Q(price__gte=0), name="partner_product_price_not_negative"),
            models.CheckConstraint(condition=Q(stock__gte=0), name="partner_product_stock_not_negative"),
            models.CheckConstraint(
                condition=Q(lead_time_days__gte=0) & Q(lead_time_days__lte=MAX_LEAD_TIME_DAYS),
                name="partner_product_lead_time_range",
            ),
        ]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["product", "partner"], name="partner_product_by_product"),
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} sells {self.product_id}"
