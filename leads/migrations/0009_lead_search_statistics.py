"""Finer planner statistics on Lead.search_text, so that PostgreSQL picks the right plan for a lead
search (`search_text LIKE '%…%'`, newest first, one page).

Two plans compete: walk `lead_recent` from the newest lead and filter until a page is full (cheap when
the text is common: "nordlicht solar", 0.37% of the leads, 9 ms at 10M leads), or read every match
through the trigram index `lead_search_trgm` and sort (cheap when the text is rare; 0.5-1 s at 10M
leads for "nordlicht solar"'s 37,037 matches). PostgreSQL estimates how common the text is from the
column's histogram, which by default has 100 entries: a text in under 1% of the rows is often in none
of them ("nordlicht solar" was in none after 7 of 12 ANALYZE runs at 1M leads), is then estimated at the
0.01% floor and gets the trigram plan (20-42 ms at 1M leads instead of 6 ms; 0.5-1 s at 10M). With
1,000 entries it is estimated at 0.3% (30,030 of 10M) and walks.

Costs: ANALYZE of the lead table samples 300,000 rows instead of 30,000 (5.8 s at 10M leads), and
planning a search compares the pattern with 1,000 entries instead of 100 (about 0.3 ms).

PostgreSQL only; ANALYZEs the column once so that the finer histogram applies at once rather than at
autovacuum's next analyze of a large table."""

from django.db import migrations

TARGET = 1000


def set_statistics(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"ALTER TABLE leads_lead ALTER COLUMN search_text SET STATISTICS {TARGET}")
    schema_editor.execute("ANALYZE leads_lead (search_text)")


def reset_statistics(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE leads_lead ALTER COLUMN search_text SET STATISTICS -1")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0008_lead_partner_inbox_indexes")]
    operations = [migrations.RunPython(set_statistics, reset_statistics)]
