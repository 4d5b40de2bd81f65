"""Every read of the catalogue, scoped by the access policy: channel staff see every product,
partner users the active ones, anybody else none. Categories are the channel's, readable by all roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, FilteredRelation, Q, QuerySet
from django.db.models.functions import Coalesce

from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from partners import access
from partners.models import Partner


def visible_products(user: Any) -> QuerySet[Product]:
    """Products this user may see, ready for lists (category joined)."""
    actor = access.actor_of(user)
    qs = Product.objects.select_related("category")
    if actor.is_channel:
        return qs
    if actor.is_partner:
        return qs.filter(active=True)
    return qs.none()


@dataclass(frozen=True)
class CategoryNode:
    """A category in the tree: its depth (0 for a root) and the path of names down to it."""

    id: int
    name: str
    slug: str
    parent_id: int | None
    depth: int
    path: str


def category_tree() -> list[CategoryNode]:
    """Every category in tree order (each parent followed by its sub-categories, by name), one query."""
    rows = list(Category.objects.order_by("name", "id").values_list("id", "name", "slug", "parent_id"))
    ids = {row[0] for row in rows}
    children: dict[int | None, list[tuple[int, str, str, int | None]]] = {}
    for row in rows:
        parent = row[3] if row[3] in ids else None
        children.setdefault(parent, []).append(row)
    nodes: list[CategoryNode] = []
    seen: set[int] = set()

    def walk(parent: int | None, depth: int, prefix: str) -> None:
        for pk, name, slug, parent_id in children.get(parent, []):
            if pk in seen:  # a cycle written past the services: show each category once
                continue
            seen.add(pk)
            path = f"{prefix} › {name}" if prefix else name
            nodes.append(CategoryNode(pk, name, slug, parent_id, depth, path))
            walk(pk, depth + 1, path)

    walk(None, 0, "")
    return nodes


def subtree_ids(tree: list[CategoryNode], category_id: int) -> list[int]:
    """The category and all its sub-categories, from a category_tree() (no query)."""
    children: dict[int | None, list[int]] = {}
    for node in tree:
        children.setdefault(node.parent_id, []).append(node.id)
    found, level = [category_id], [category_id]
    while level:
        level = [child for pk in level for child in children.get(pk, []) if child not in found]
        found.extend(level)
    return found


def product_list(
    user: Any,
    *,
    category: int | None = None,
    q: str = "",
    active: bool | None = None,
    tree: list[CategoryNode] | None = None,
) -> QuerySet[Product]:
    """The visible products filtered: `category` with its sub-categories, `q` in SKU or name (any
    case; trigram-indexed on PostgreSQL), `active` yes or no. Filters never widen the scope. Pass the
    category_tree() the page already loaded to save its query."""
    qs = visible_products(user)
    if category is not None:
        qs = qs.filter(category_id__in=subtree_ids(tree if tree is not None else category_tree(), category))
    if q.strip():
        qs = qs.filter(search_text__contains=q.strip().upper())
    if active is not None:
        qs = qs.filter(active=active)
    return qs


def category_product_counts() -> dict[int, int]:
    """Products per category (its own, not its sub-categories'), one grouped query."""
    return dict(
        Product.objects.order_by()
        .values_list("category_id")
        .annotate(n=Count("id"))
        .values_list("category_id", "n")
    )


# --- Partner assortments ---------------------------------------------------------------------------


def assortment_partner(user: Any, partner_id: int) -> Partner | None:
    """The partner whose assortment this user may read (scope_partners: its own people, its parent's
    managers, its channel managers, admins), or None (answer 404)."""
    return access.scope_partners(user).filter(pk=partner_id).first()


def chosen_category_ids(partner_id: int) -> list[int]:
    """The categories the partner chose as a whole (not their sub-categories), one query."""
    return list(
        PartnerCategory.objects.filter(partner_id=partner_id)
        .order_by("category_id")
        .values_list("category_id", flat=True)
    )


def assortment(
    partner_id: int, *, tree: list[CategoryNode] | None = None, chosen: list[int] | None = None
) -> QuerySet[Product]:
    """The partner's effective assortment: the active products of its chosen categories (with their
    sub-categories) and its chosen products, each once, annotated with `partner_price` (its own or
    None), `effective_price` (its own, else the list price), `stock`, `lead_time_days` and
    `setting_id` (its PartnerProduct row, None for a product it sells only through a category).

    One query for the rows (category joined), fit for keyset pages by name and for streaming
    exports (`.values_list(...).iterator()`); the category tree and the chosen categories are read
    first unless given (two small queries). SQLite answers `effective_price` unscaled (45 for 45.00)."""
    tree = tree if tree is not None else category_tree()
    chosen = chosen if chosen is not None else chosen_category_ids(partner_id)
    category_ids = sorted({pk for root in chosen for pk in subtree_ids(tree, root)})
    return (
        Product.objects.filter(active=True)
        .annotate(
            own=FilteredRelation("partner_settings", condition=Q(partner_settings__partner_id=partner_id))
        )
        .filter(Q(category_id__in=category_ids) | Q(own__id__isnull=False))
        .annotate(
            setting_id=F("own__id"),
            partner_price=F("own__price"),
            effective_price=Coalesce(F("own__price"), F("list_price")),
            stock=F("own__stock"),
            lead_time_days=F("own__lead_time_days"),
        )
        .select_related("category")
    )


def assortment_list(
    partner_id: int, *, q: str = "", tree: list[CategoryNode] | None = None, chosen: list[int] | None = None
) -> QuerySet[Product]:
    """The effective assortment, searched by SKU or name (any case)."""
    qs = assortment(partner_id, tree=tree, chosen=chosen)
    if q.strip():
        qs = qs.filter(search_text__contains=q.strip().upper())
    return qs


def _ancestor_ids(parents: dict[int, int | None], category_id: int) -> list[int]:
    found, node = [category_id], parents.get(category_id)
    while node is not None and node not in found:
        found.append(node)
        node = parents.get(node)
    return found


def partners_selling(category_id: int) -> QuerySet[Partner, int]:
    """Ids of the partners that sell in this category: they chose it, an ancestor or a sub-category
    of it, or an active product in it or in one of its sub-categories. A queryset of ids, usable as a
    subquery (`partner_id__in=partners_selling(c)`); the category tree is read first (one small query)."""
    tree = category_tree()
    parents = {node.id: node.parent_id for node in tree}
    if category_id not in parents:
        return Partner.objects.none().values_list("id", flat=True)
    below = subtree_ids(tree, category_id)
    related = sorted(set(below) | set(_ancestor_ids(parents, category_id)))
    by_category = PartnerCategory.objects.filter(category_id__in=related).values("partner_id")
    by_product = PartnerProduct.objects.filter(product__category_id__in=below, product__active=True).values(
        "partner_id"
    )
    return Partner.objects.filter(Q(id__in=by_category) | Q(id__in=by_product)).values_list("id", flat=True)
