"""Database-level append-only guards for the audit tables.

Installed by migrations (core: the audit events; risk: the Merkle log and its checkpoints).
Tests that must wipe the database (transactional tests) lift them with :func:`lifted` around the
flush; application code never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TABLE = "core_auditevent"
GUARDED_TABLES = ("core_auditevent", "risk_logentry", "risk_signedcheckpoint")

PG_FUNCTION = """
    CREATE OR REPLACE FUNCTION anzu_refuse_audit_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
"""


def pg_install(table: str) -> list[str]:
    return [
        PG_FUNCTION,
        f"""
        CREATE TRIGGER anzu_audit_no_update_delete BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION anzu_refuse_audit_change();
        """,
        f"""
        CREATE TRIGGER anzu_audit_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION anzu_refuse_audit_change();
        """,
    ]


def pg_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS anzu_audit_no_update_delete ON {table};",
        f"DROP TRIGGER IF EXISTS anzu_audit_no_truncate ON {table};",
    ]


def sqlite_install(table: str) -> list[str]:
    return [
        f"""
        CREATE TRIGGER IF NOT EXISTS anzu_{table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END;
        """,
        f"""
        CREATE TRIGGER IF NOT EXISTS anzu_{table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END;
        """,
    ]


def sqlite_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS anzu_{table}_no_update;",
        f"DROP TRIGGER IF EXISTS anzu_{table}_no_delete;",
    ]


# Used by core's migration 0003 (the audit events table).
PG_INSTALL = pg_install(TABLE)
PG_REMOVE = [*pg_remove(TABLE), "DROP FUNCTION IF EXISTS anzu_refuse_audit_change();"]
SQLITE_INSTALL = sqlite_install(TABLE)
SQLITE_REMOVE = sqlite_remove(TABLE)


def _existing(tables: tuple[str, ...]) -> list[str]:
    present = set(connection.introspection.table_names())
    return [t for t in tables if t in present]


@contextmanager
def lifted(tables: tuple[str, ...] = GUARDED_TABLES) -> Iterator[None]:
    """Temporarily remove the guards (test database teardown and tamper tests only)."""
    postgres = connection.vendor == "postgresql"
    targets = _existing(tables)
    with connection.cursor() as cur:
        for table in targets:
            for sql in pg_remove(table) if postgres else sqlite_remove(table):
                cur.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for table in targets:
                for sql in pg_install(table) if postgres else sqlite_install(table):
                    cur.execute(sql)
