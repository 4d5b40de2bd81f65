"""A GIN index on Solution.search_vector, so that the knowledge-base search (`@@` a tsquery) reads the
matching solutions from the index on PostgreSQL instead of scanning them all. SQLite has no such
index (its search is a LIKE scan; the column is NULL there)."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS solution_search ON service_solution USING gin (search_vector)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS solution_search")


class Migration(migrations.Migration):
    dependencies = [("service", "0001_initial")]
    operations = [migrations.RunPython(create_index, drop_index)]
