"""Every change to the catalogue: products (create, update, deactivate, activate) and categories
(create, update, with the tree kept free of cycles). Channel admins only; each change in one
transaction, recorded in the activity trail.

Validation errors name the field and say what to fix; nothing is saved when one is raised."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.text import slugify

from catalog.models import (
    MAX_ATTRIBUTE_NAME,
    OCI_DESCRIPTION_LENGTH,
    Category,
    Product,
)
from catalog.text import collapse_whitespace, short_text
from core.errors import NotAllowed
from core.models import User
from core.services import activity_record
from core.uploads import check_image_upload
from partners import access

# The fields product_create/product_update take (the image goes separately).
PRODUCT_FIELDS = frozenset(
    {
        "sku", "name", "short_description", "long_description", "list_price", "currency", "order_unit",
        "price_unit", "manufacturer_part_number", "material_group", "category", "attributes", "active",
    }
)  # fmt: skip
CATEGORY_FIELDS = frozenset({"name", "slug", "parent"})
# A category tree deeper than this is a mistake (and the showroom's breadcrumbs would not fit).
MAX_CATEGORY_DEPTH = 8


def _require_admin(actor: User, what: str) -> None:
    if not access.actor_of(actor).is_admin:
        raise NotAllowed(f"Only channel admins {what}.")


# --- Attributes as text (forms, CSV) ---------------------------------------------------------------


def parse_attributes(text: str) -> dict[str, str]:
    """Attributes written as text: a JSON object, or `Name: value` pairs separated by new lines or
    semicolons. Raises ValidationError saying which part it could not read."""
    text = (text or "").strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"The attributes are not a valid JSON object ({exc.msg}, at {exc.pos}).")
        if not isinstance(data, dict):
            raise ValidationError("The attributes must be a JSON object of names and values.")
        return {str(k).strip(): v for k, v in data.items()}
    result: dict[str, str] = {}
    for part in text.replace(";", "\n").splitlines():
        part = part.strip()
        if not part:
            continue
        name, colon, value = part.partition(":")
        name = collapse_whitespace(name)
        if not colon or not name:
            raise ValidationError(
                f"“{part[:60]}” is not “Name: value”. Write one attribute per line (or separated by ;), "
                "e.g. “Sensing range: 4 mm”."
            )
        if len(name) > MAX_ATTRIBUTE_NAME:
            raise ValidationError(
                f"The attribute name “{name[:30]}…” is longer than {MAX_ATTRIBUTE_NAME} characters."
            )
        if name in result:
            raise ValidationError(f"The attribute “{name}” is given twice.")
        result[name] = value.strip()
    return result


def format_attributes(attributes: dict[str, Any]) -> str:
    """The attributes as `Name: value` lines (what parse_attributes reads back)."""
    return "\n".join(f"{name}: {value}" for name, value in (attributes or {}).items())


# --- Products ------------------------------------------------------------------------------------


def derive_short_description(product: Product, given: str | None) -> None:
    """Set the short description: the one given (≤ 40 characters, refused when longer), or derived
    from the name at a word boundary when none is given."""
    text = collapse_whitespace(given or "")
    if text:
        if len(text) > OCI_DESCRIPTION_LENGTH:
            raise ValidationError(
                {
                    "short_description": (
                        f"At most {OCI_DESCRIPTION_LENGTH} characters (this has {len(text)}); shorten it, e.g. "
                        f"“{short_text(text, OCI_DESCRIPTION_LENGTH)}”, or leave it empty to derive it from "
                        "the name."
                    )
                }
            )
        product.short_description = text
        product.short_description_auto = False
    else:
        product.short_description = short_text(product.name, OCI_DESCRIPTION_LENGTH)
        product.short_description_auto = True


def _apply(product: Product, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - PRODUCT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set on a product."))
    for name, value in fields.items():
        if name == "short_description":
            continue
        if isinstance(value, str) and name != "long_description":
            value = value.strip()
        if name in ("currency", "order_unit") and isinstance(value, str):
            value = value.upper()
        if name == "name" and isinstance(value, str):
            value = collapse_whitespace(value)
        setattr(product, name, value)
    if "short_description" in fields:
        derive_short_description(product, fields["short_description"])
    elif product.short_description_auto or not product.short_description:
        derive_short_description(product, None)


def _attach_image(product: Product, image: UploadedFile | None) -> FieldFile | None:
    """Check a new image and put it on the product under a random name; answers the file it replaces."""
    if image is None:
        return None
    try:
        info = check_image_upload(image)
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages})
    old = product.image if product.image else None
    image.name = f"image.{info.kind.extension}"  # RandomUploadName keeps only this extension
    product.image = image  # type: ignore[assignment]
    return old


def _clean(product: Product) -> None:
    try:
        product.full_clean(exclude=["image"])
    except ValidationError as exc:
        raise ValidationError(_friendly(exc))


def _friendly(exc: ValidationError) -> dict[str, list[str]]:
    errors = {field: list(messages) for field, messages in exc.message_dict.items()}
    if "category" in errors and any("does not exist" in m or "null" in m.lower() for m in errors["category"]):
        errors["category"] = ["Choose a category (the product must be in one)."]
    return errors


def _delete_later(file: FieldFile | None) -> None:
    """Remove a replaced image from storage once the new state is committed."""
    if file and file.name:
        storage, name = file.storage, file.name
        transaction.on_commit(lambda: storage.delete(name), robust=True)


@transaction.atomic
def product_create(*, actor: User, fields: dict[str, Any], image: UploadedFile | None = None) -> Product:
    """A new product; its short description is derived from the name unless given. Channel admins."""
    _require_admin(actor, "add products")
    product = Product()
    _apply(product, fields)
    _attach_image(product, image)
    _clean(product)
    product.save()
    activity_record(actor=actor, verb="catalog.product_created", target=product,
                    message=f"Product {product.sku} created")  # fmt: skip
    return product


@transaction.atomic
def product_update(
    *,
    actor: User,
    product: Product,
    fields: dict[str, Any],
    image: UploadedFile | None = None,
    remove_image: bool = False,
) -> Product:
    """Change a product. Only the given fields change; a derived short description follows a new name;
    a new image replaces the old one (removed from storage after the commit). Channel admins."""
    _require_admin(actor, "change products")
    product = Product.objects.select_for_update().get(pk=product.pk)
    _apply(product, fields)
    replaced = _attach_image(product, image)
    if remove_image and image is None and product.image:
        replaced, product.image = product.image, None  # type: ignore[assignment]
    _clean(product)
    product.save()
    _delete_later(replaced)
    activity_record(actor=actor, verb="catalog.product_updated", target=product,
                    message=f"Product {product.sku} changed")  # fmt: skip
    return product


@transaction.atomic
def product_deactivate(*, actor: User, product: Product) -> Product:
    """Hide a product from partners (showrooms, OCI, exports); it stays for the records that refer
    to it. Deactivating twice changes nothing. Channel admins."""
    _require_admin(actor, "deactivate products")
    return _set_active(actor, product, False)


@transaction.atomic
def product_activate(*, actor: User, product: Product) -> Product:
    """Show a deactivated product to partners again. Channel admins."""
    _require_admin(actor, "activate products")
    return _set_active(actor, product, True)


def _set_active(actor: User, product: Product, active: bool) -> Product:
    product = Product.objects.select_for_update().get(pk=product.pk)
    if product.active != active:
        product.active = active
        product.save(update_fields=["active", "updated_at"])
        verb = "activated" if active else "deactivated"
        activity_record(actor=actor, verb=f"catalog.product_{verb}", target=product,
                        message=f"Product {product.sku} {verb}")  # fmt: skip
    return product


# --- Categories ----------------------------------------------------------------------------------


def category_parents() -> dict[int, int | None]:
    """Every category's parent id, by id (one query; the tree is small)."""
    return dict(Category.objects.order_by().values_list("id", "parent_id"))


def category_check_parent(*, category: Category, parent: Category | None) -> None:
    """Refuse a parent that would make the tree a cycle (the category itself or one of its
    sub-categories) or too deep; raises ValidationError on `parent`."""
    if parent is None:
        return
    if category.pk is not None and parent.pk == category.pk:
        raise ValidationError({"parent": "A category cannot be its own parent; choose another or none."})
    parents = category_parents()
    depth = 1
    node_id: int | None = parent.pk
    while node_id is not None:
        if category.pk is not None and node_id == category.pk:
            raise ValidationError(
                {
                    "parent": f"“{parent.name}” is a sub-category of “{category.name}”; a category cannot move "
                    "under its own sub-category. Choose another parent or none."
                }
            )
        depth += 1
        if depth > MAX_CATEGORY_DEPTH + 1:
            break
        node_id = parents.get(node_id)
    if depth + _subtree_height(category, parents) > MAX_CATEGORY_DEPTH:
        raise ValidationError(
            {
                "parent": f"The category tree may be at most {MAX_CATEGORY_DEPTH} levels deep; choose a higher parent."
            }
        )


def _subtree_height(category: Category, parents: dict[int, int | None]) -> int:
    if category.pk is None:
        return 0
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in parents.items():
        children.setdefault(parent_id, []).append(pk)
    height, level = 0, [category.pk]
    while True:
        level = [child for pk in level for child in children.get(pk, [])]
        if not level or height > MAX_CATEGORY_DEPTH:
            return height
        height += 1


def _apply_category(category: Category, fields: dict[str, Any]) -> None:
    unknown = sorted(set(fields) - CATEGORY_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(unknown, "This field cannot be set on a category."))
    if "name" in fields:
        category.name = collapse_whitespace(fields["name"] or "")
    if "slug" in fields:
        category.slug = (fields["slug"] or "").strip().lower()
    if not category.slug and category.name:
        category.slug = slugify(category.name)[:80]
    if "parent" in fields:
        category_check_parent(category=category, parent=fields["parent"])
        category.parent = fields["parent"]
    try:
        category.full_clean()
    except ValidationError as exc:
        errors = {field: list(messages) for field, messages in exc.message_dict.items()}
        if "slug" in errors and Category.objects.filter(slug=category.slug).exclude(pk=category.pk).exists():
            errors["slug"] = [f"The slug “{category.slug}” is taken by another category; choose another."]
        raise ValidationError(errors)


@transaction.atomic
def category_create(*, actor: User, fields: dict[str, Any]) -> Category:
    """A new category (the slug is made from the name unless given). Channel admins."""
    _require_admin(actor, "add categories")
    category = Category()
    _apply_category(category, fields)
    category.save()
    activity_record(actor=actor, verb="catalog.category_created", target=category,
                    message=f"Category {category.name} created")  # fmt: skip
    return category


@transaction.atomic
def category_update(*, actor: User, category: Category, fields: dict[str, Any]) -> Category:
    """Rename a category or move it in the tree (never under itself). Channel admins."""
    _require_admin(actor, "change categories")
    category = Category.objects.select_for_update().get(pk=category.pk)
    _apply_category(category, fields)
    category.save()
    activity_record(actor=actor, verb="catalog.category_updated", target=category,
                    message=f"Category {category.name} changed")  # fmt: skip
    return category
