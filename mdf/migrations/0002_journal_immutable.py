"""Journal lines are immutable once posted: the database refuses to change them (and, on
PostgreSQL, to delete them; TRUNCATE, used by test teardown and never by the application, is not a
row operation). SQLite only refuses updates, because Django's flush deletes rows there."""

from django.db import migrations

PG_UP = ["""
CREATE OR REPLACE FUNCTION mdf_journal_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Journal entries are immutable once posted; post a correcting entry instead.';
END;
$$ LANGUAGE plpgsql
""", """
CREATE TRIGGER mdf_journal_no_update BEFORE UPDATE OR DELETE ON mdf_journalentry
    FOR EACH ROW EXECUTE FUNCTION mdf_journal_immutable()
"""]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS mdf_journal_no_update ON mdf_journalentry",
    "DROP FUNCTION IF EXISTS mdf_journal_immutable()",
]
SQLITE_UP = """
CREATE TRIGGER mdf_journal_no_update BEFORE UPDATE ON mdf_journalentry
BEGIN
    SELECT RAISE(ABORT, 'Journal entries are immutable once posted; post a correcting entry instead.');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS mdf_journal_no_update;"


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_UP:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for statement in PG_DOWN:
            schema_editor.execute(statement)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


class Migration(migrations.Migration):
    dependencies = [("mdf", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
