"""Reads of showrooms: the public ones (no login) and the one of a partner."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery

from catalog import selectors as catalog_selectors
from catalog.models import Category, PartnerCategory, PartnerProduct, Product
from catalog.selectors import CategoryNode
from partners.choices import PartnerStatus
from partners.models import Partner
from showroom.models import Showroom

PUBLIC_ORDER = "title"  # keyset paging by (title, id)


def public_showrooms(*, country: str = "", q: str = "", category_id: int | None = None) -> QuerySet[Showroom]:
    """Published showrooms of active partners, for the public partner locator; `country` is the
    partner's country code, `q` free text matched against title, partner name and city, `category_id`
    keeps the partners that sell in that category (catalog.selectors.partners_selling)."""
    showrooms = Showroom.objects.filter(published=True, partner__status=PartnerStatus.ACTIVE).select_related(
        "partner"
    )
    if country:
        showrooms = showrooms.filter(partner__country=country.upper())
    if category_id is not None:
        showrooms = showrooms.filter(partner_id__in=catalog_selectors.partners_selling(category_id))
    q = q.strip()
    if q:
        showrooms = showrooms.filter(
            Q(title__icontains=q) | Q(partner__name__icontains=q) | Q(partner__city__icontains=q)
        )
    return showrooms


def public_showroom_countries() -> list[str]:
    """Country codes that have at least one public showroom (the locator's country filter), sorted."""
    codes = (
        public_showrooms().order_by("partner__country").values_list("partner__country", flat=True).distinct()
    )
    return list(codes)


def public_showroom(slug: str) -> Showroom | None:
    """The public showroom at /showroom/<slug>/, or None when unknown or not published."""
    return public_showrooms().filter(slug=slug).first()


def showroom_of(partner: Partner) -> Showroom | None:
    """The partner's showroom, published or not (None before the partner set one up). The caller has
    fetched `partner` through the access policy."""
    return Showroom.objects.filter(partner_id=partner.pk).first()


# --- The public catalogue of a showroom --------------------------------------------------------------


@dataclass(frozen=True)
class ShowroomCatalogue:
    """What a showroom's catalogue pages share: the category tree, the categories the partner chose as a
    whole, and the categories shown in its navigation (those holding part of its assortment, with their
    ancestors), in tree order."""

    partner_id: int
    tree: list[CategoryNode]
    chosen: list[int]
    shown: list[CategoryNode]

    def category(self, slug: str) -> CategoryNode | None:
        """A category of the navigation by its slug (None: not in this partner's assortment)."""
        return next((node for node in self.shown if node.slug == slug), None)

    def ancestors(self, node: CategoryNode) -> list[CategoryNode]:
        """The categories above `node`, root first (breadcrumbs); no query."""
        by_id = {item.id: item for item in self.tree}
        chain: list[CategoryNode] = []
        parent = by_id.get(node.parent_id) if node.parent_id is not None else None
        while parent is not None and parent not in chain:
            chain.insert(0, parent)
            parent = by_id.get(parent.parent_id) if parent.parent_id is not None else None
        return chain

    def children(self, node: CategoryNode | None) -> list[CategoryNode]:
        """The shown categories right below `node` (the roots for None)."""
        parent_id = node.id if node is not None else None
        return [item for item in self.shown if item.parent_id == parent_id]

    def products(self, *, category: CategoryNode | None = None, q: str = "") -> QuerySet[Product]:
        """The partner's effective assortment (see catalog.selectors.assortment), in `category` and its
        sub-categories, matching `q` in SKU or name; one query when evaluated."""
        qs = catalog_selectors.assortment_list(self.partner_id, q=q, tree=self.tree, chosen=self.chosen)
        if category is not None:
            qs = qs.filter(category_id__in=catalog_selectors.subtree_ids(self.tree, category.id))
        return qs


def showroom_catalogue(partner_id: int) -> ShowroomCatalogue:
    """The partner's catalogue navigation. Queries: the category tree, the chosen categories, the
    categories of its single products outside those (at most three, whatever the size of the catalogue)."""
    tree = catalog_selectors.category_tree()
    chosen = catalog_selectors.chosen_category_ids(partner_id)
    selling = {pk for root in chosen for pk in catalog_selectors.subtree_ids(tree, root)}
    # Categories outside the chosen ones that hold one of its single products: one EXISTS per such
    # category (stops at the first product), not a scan of all its products (56 ms for 10,000 products).
    rest = [node.id for node in tree if node.id not in selling]
    if rest:
        single = PartnerProduct.objects.filter(
            partner_id=partner_id, product__active=True, product__category_id=OuterRef("pk")
        )
        selling.update(
            Category.objects.filter(id__in=rest).filter(Exists(single)).values_list("id", flat=True)
        )
    parents = {node.id: node.parent_id for node in tree}
    shown_ids: set[int] = set()
    for pk in selling:
        node: int | None = pk
        while node is not None and node not in shown_ids:
            shown_ids.add(node)
            node = parents.get(node)
    shown = [node for node in tree if node.id in shown_ids]
    return ShowroomCatalogue(partner_id=partner_id, tree=tree, chosen=chosen, shown=shown)


MAX_OTHER_SHOWROOMS = 10


def other_showrooms_selling(
    *, product: Product, exclude_partner_id: int, country: str, tree: list[CategoryNode]
) -> list[Showroom]:
    """Up to MAX_OTHER_SHOWROOMS other published showrooms in `country` whose partner sells `product`
    (it chose the product, or its category or one above), each annotated with `lead_time_days` and
    `partner_price` (None when the partner did not say), quickest first. One query."""
    parents = {node.id: node.parent_id for node in tree}
    above: list[int] = []
    node: int | None = product.category_id
    while node is not None and node not in above:
        above.append(node)
        node = parents.get(node)
    by_category = PartnerCategory.objects.filter(category_id__in=above).values("partner_id")
    by_product = PartnerProduct.objects.filter(product_id=product.pk).values("partner_id")
    own = PartnerProduct.objects.filter(partner_id=OuterRef("partner_id"), product_id=product.pk)
    showrooms = (
        public_showrooms(country=country)
        .exclude(partner_id=exclude_partner_id)
        .filter(Q(partner_id__in=by_category) | Q(partner_id__in=by_product))
        .annotate(
            lead_time_days=Subquery(own.values("lead_time_days")[:1]),
            partner_price=Subquery(own.values("price")[:1]),
        )
        .order_by(F("lead_time_days").asc(nulls_last=True), "title", "id")
    )
    return list(showrooms[:MAX_OTHER_SHOWROOMS]) if product.active else []
