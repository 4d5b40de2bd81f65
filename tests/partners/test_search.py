"""The partner search: name, legal name, city, VAT id (typed with spaces or dots) or slug contains the
text, in any case; on PostgreSQL a trigram index serves it."""

import pytest
from django.db import connection

from partners.selectors import partner_list


def found(world, q):
    return set(partner_list(world.admin, q=q).values_list("slug", flat=True))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("alpha", {"alpha"}),  # name, any case
        ("RESALE", {"beta"}),
        ("vienna", {"beta"}),  # city
        ("gamm", {"gamma"}),  # slug / name prefix
        ("  ", {"alpha", "beta", "gamma"}),  # blank is no filter
        ("zzz-nothing", set()),
    ],
)
def test_search_fields(world, q, expected):
    assert found(world, q) == expected


@pytest.mark.django_db
def test_vat_id_typed_with_spaces_and_dots_is_found(world):
    world.c.vat_id = "FR12345678901"
    world.c.save()
    assert found(world, "fr 123.456") == {"gamma"}


@pytest.mark.django_db
def test_search_follows_edits_of_the_searched_fields(world):
    world.b.legal_name = "Beta Holding Kommanditgesellschaft"
    world.b.save()
    assert found(world, "kommandit") == {"beta"}


@pytest.mark.django_db
def test_search_stays_inside_the_scope(world):
    assert set(partner_list(world.cm_c, q="a").values_list("slug", flat=True)) == {"gamma"}


@pytest.mark.django_db
def test_postgresql_serves_the_search_from_the_trigram_index(world, on_postgres):
    if not on_postgres:
        pytest.skip("the trigram index exists on PostgreSQL only (SQLite scans, at embedded sizes)")
    qs = partner_list(world.admin, q="alph").order_by().values("id")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        # A tiny test table would otherwise be scanned; with plain scans off, only an index that can
        # answer LIKE '%ALPH%' (the trigram index, by bitmap scan) serves the query.
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "partner_search_trgm" in plan, plan
