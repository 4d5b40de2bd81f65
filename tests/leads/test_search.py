"""The lead search: company, contact or e-mail contains the text, in any case; on PostgreSQL a
trigram index serves it."""

import pytest
from django.db import connection

from leads.selectors import lead_list
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def found(world, q):
    return set(lead_list(world.admin, q=q).values_list("company", flat=True))


def test_search_company_contact_and_email(world):
    LeadFactory(company="Bergblick Hotel GmbH", contact_name="Hanna Berg", email="hanna@bergblick.example")
    LeadFactory(company="Talstation AG", contact_name="Tom Tal", email="tom@tal.example")
    assert found(world, "bergblick") == {"Bergblick Hotel GmbH"}
    assert found(world, "TOM TAL") == {"Talstation AG"}
    assert found(world, "@tal.example") == {"Talstation AG"}
    assert found(world, "nothing-like-it") == set()


def test_postgresql_serves_the_lead_search_from_the_trigram_index(world, on_postgres):
    if not on_postgres:
        pytest.skip("the trigram index exists on PostgreSQL only (SQLite scans, at embedded sizes)")
    sql, params = lead_list(world.admin, q="berg").order_by().values("id").query.sql_with_params()
    with connection.cursor() as cursor:
        for setting in ("enable_seqscan", "enable_indexscan", "enable_indexonlyscan"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "lead_search_trgm" in plan, plan


def test_postgresql_keeps_a_fine_histogram_of_the_search_text(world, on_postgres):
    """With the default 100-entry histogram a text in under 1% of the leads is often estimated at the
    0.01% floor, and PostgreSQL reads all its matches through the trigram index instead of walking the
    newest leads (leads migration 0009)."""
    if not on_postgres:
        pytest.skip("planner statistics are PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attstattarget FROM pg_attribute "
            "WHERE attrelid = 'leads_lead'::regclass AND attname = 'search_text'"
        )
        assert cursor.fetchone()[0] >= 1000
