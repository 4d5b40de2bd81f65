"""A pg_trgm GIN index on Product.search_text, so that the product search (`LIKE '%…%'` on SKU and
name) uses an index on PostgreSQL instead of filtering every product. SQLite keeps the plain scan."""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS product_search_trgm ON catalog_product USING gin (search_text gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS product_search_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_product")]
    operations = [migrations.RunPython(create_index, drop_index)]
