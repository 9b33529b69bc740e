from django.db import migrations

from anzu.common.db import RunSQLFor
from anzu.core.guards import pg_install, pg_remove, sqlite_install, sqlite_remove

TABLES = ("risk_logentry", "risk_signedcheckpoint")


class Migration(migrations.Migration):
    """Append-only guards on the log tables; on PostgreSQL every audit event records the id of
    the transaction that wrote it, which the sequencer uses to integrate only finished ones."""

    dependencies = [("risk", "0001_initial"), ("core", "0003_audit_append_only")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                "ALTER TABLE core_auditevent ADD COLUMN txid bigint "
                "NOT NULL DEFAULT (pg_current_xact_id()::text::bigint);",
                "CREATE INDEX core_auditevent_txid_id ON core_auditevent (txid, id);",
                *[sql for table in TABLES for sql in pg_install(table)],
            ],
            [
                *[sql for table in TABLES for sql in pg_remove(table)],
                "DROP INDEX IF EXISTS core_auditevent_txid_id;",
                "ALTER TABLE core_auditevent DROP COLUMN txid;",
            ],
        ),
        RunSQLFor(
            "sqlite",
            [sql for table in TABLES for sql in sqlite_install(table)],
            [sql for table in TABLES for sql in sqlite_remove(table)],
        ),
    ]
