"""The Product model: what a product says about its short description, and the indexes the catalogue
lists rely on."""

from __future__ import annotations

import pytest
from django.db import connection

from catalog.selectors import category_tree, product_list, subtree_ids
from tests.catalog.conftest import make_category, make_product

pytestmark = pytest.mark.django_db


def test_shortened_only_when_derived_and_something_was_left_out():
    long = make_product(name="Temperature transmitter with HART communication protocol",
                        short_description="Temperature transmitter with HART…")  # fmt: skip
    fits = make_product(name="Float  switch", short_description="Float switch")
    given = make_product(name="A name", short_description="Hand…", short_description_auto=False)
    assert long.short_description_shortened
    assert not fits.short_description_shortened  # whitespace collapsed, nothing left out
    assert not given.short_description_shortened
    assert str(fits) == f"{fits.sku} Float  switch"


def test_category_tree_orders_parents_before_children_and_finds_subtrees():
    b = make_category("B root")
    a = make_category("A root")
    b2 = make_category("Z child", parent=b)
    b1 = make_category("Y child", parent=b)
    deep = make_category("Deep", parent=b1)
    tree = category_tree()
    assert [(n.name, n.depth) for n in tree] == [
        ("A root", 0), ("B root", 0), ("Y child", 1), ("Deep", 2), ("Z child", 1),
    ]  # fmt: skip
    assert tree[3].path == "B root › Y child › Deep"
    assert set(subtree_ids(tree, b.pk)) == {b.pk, b1.pk, b2.pk, deep.pk}
    assert subtree_ids(tree, a.pk) == [a.pk]


def test_search_text_follows_sku_and_name(world):
    product = make_product(sku="PT-10", name="Pressure transmitter")
    product.name = "Level probe"
    product.save()
    assert list(product_list(world.admin, q="level")) == [product]
    assert list(product_list(world.admin, q="pressure")) == []


def test_postgresql_serves_the_product_search_from_the_trigram_index(world, on_postgres):
    if not on_postgres:
        pytest.skip("the trigram index exists on PostgreSQL only (SQLite scans, at embedded sizes)")
    sql, params = product_list(world.admin, q="sensor").order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "product_search_trgm" in plan, plan


def test_postgresql_walks_a_page_by_name_on_an_index(world, on_postgres):
    if not on_postgres:
        pytest.skip("query plans are PostgreSQL's")
    category = make_category()
    for n in range(30):
        make_product(category, name=f"Product {n:02d}", active=n % 3 > 0)
    for user, index in ((world.admin, "product_name_id"), (world.pm_a, "product_active_name")):
        sql, params = product_list(user).order_by("name", "id")[:26].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan and "Sort" not in plan.split("->")[0], plan
