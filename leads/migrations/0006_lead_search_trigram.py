"""A pg_trgm GIN index on Lead.search_text, so that the lead search (`LIKE '%…%'`) uses an index on
PostgreSQL instead of filtering the leads it walks. SQLite keeps the plain scan."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS lead_search_trgm ON leads_lead USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS lead_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("leads", "0005_lead_search_text")]
    operations = [migrations.RunPython(create_index, drop_index)]
