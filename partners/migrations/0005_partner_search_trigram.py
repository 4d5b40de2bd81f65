"""A pg_trgm GIN index on Partner.search_text, so that the partner search (`LIKE '%…%'`) uses an
index on PostgreSQL instead of scanning every partner. SQLite (the embedded default) has no such
index type and keeps the plain scan, which is fine at its sizes."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS partner_search_trgm ON partners_partner "
        "USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS partner_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("partners", "0004_partner_search_text")]
    operations = [migrations.RunPython(create_index, drop_index)]
