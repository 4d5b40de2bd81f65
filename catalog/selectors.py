"""Every read of the catalogue, scoped by the access policy: channel staff see every product,
partner users the active ones, anybody else none. Categories are the channel's, readable by all roles."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from catalog.models import Category, Product
from partners import access


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
