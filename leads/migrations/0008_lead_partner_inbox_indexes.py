"""Two partial indexes for the partner inbox (`portals.partner.leads.lead_inbox`), whose two lists are
a partner's leads awaiting acceptance (`leads.selectors.AWAITING_ACCEPTANCE`), soonest deadline first,
and the rest, newest first. The inbox reads each list branch by branch (partners.access.BranchedPages),
and a branch `partner_id = 7 … ORDER BY … LIMIT 26` walks one of these from the top.

- `lead_partner_awaiting (partner_id, accept_by, id) WHERE awaiting`: without it PostgreSQL combined
  `lead_dispatched_deadline` (every waiting lead of the channel) with `lead_partner_recent` in a bitmap
  and sorted: 16-22 ms at 1M leads. Now an index-only scan of 26 entries. Small: the waiting leads only
  (15 MB at 10M leads in the benchmark data set, where 4% of the leads wait).
- `lead_partner_not_waiting (partner_id, created_at DESC, id DESC) WHERE NOT awaiting`: the rest list
  walked `lead_partner_recent` and fetched, then skipped, every one of the partner's waiting leads
  first (8,189 heap fetches, 9-14 ms for the benchmark's distributor at 10M leads; its search 17 ms).
  Now an index-only scan of 26 entries (0.1 ms; the search 0.8 ms). 371 MB at 10M leads.

PostgreSQL only (SQLite, the embedded default, scans at embedded sizes). Built CONCURRENTLY so that a
large lead table is not locked against writes while they are built (so this migration is not atomic);
an invalid index left by an interrupted build is dropped and built again. The predicates are written
as PostgreSQL normalises the selector's `NOT (accept_by IS NOT NULL AND status = 'dispatched')`."""

from django.db import migrations

AWAITING = "status = 'dispatched' AND accept_by IS NOT NULL"
INDEXES = {
    "lead_partner_awaiting": f"ON leads_lead (partner_id, accept_by, id) WHERE {AWAITING}",
    "lead_partner_not_waiting": (
        "ON leads_lead (partner_id, created_at DESC, id DESC) "
        "WHERE accept_by IS NULL OR status <> 'dispatched'"
    ),
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, definition in INDEXES.items():
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "WHERE c.relname = %s",
                [name],
            )
            row = cursor.fetchone()
        if row and row[0]:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("leads", "0007_decision_summary_digest")]
    operations = [migrations.RunPython(create_indexes, drop_indexes)]
