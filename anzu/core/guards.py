"""Database-level append-only guards for the audit table.

Installed by migration. Tests that must wipe the database (transactional tests) lift them with
:func:`lifted` around the flush; application code never does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

TABLE = "core_auditevent"

PG_INSTALL = [
    """
    CREATE OR REPLACE FUNCTION anzu_refuse_audit_change() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit log is append-only: % refused on %', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql;
    """,
    f"""
    CREATE TRIGGER anzu_audit_no_update_delete BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION anzu_refuse_audit_change();
    """,
    f"""
    CREATE TRIGGER anzu_audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION anzu_refuse_audit_change();
    """,
]
PG_REMOVE = [
    f"DROP TRIGGER IF EXISTS anzu_audit_no_update_delete ON {TABLE};",
    f"DROP TRIGGER IF EXISTS anzu_audit_no_truncate ON {TABLE};",
    "DROP FUNCTION IF EXISTS anzu_refuse_audit_change();",
]
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER IF NOT EXISTS anzu_audit_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END;
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS anzu_audit_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END;
    """,
]
SQLITE_REMOVE = [
    "DROP TRIGGER IF EXISTS anzu_audit_no_update;",
    "DROP TRIGGER IF EXISTS anzu_audit_no_delete;",
]


@contextmanager
def lifted() -> Iterator[None]:
    """Temporarily remove the guards (test database teardown only)."""
    if connection.vendor == "postgresql":
        remove, install = PG_REMOVE, PG_INSTALL
    else:
        remove, install = SQLITE_REMOVE, SQLITE_INSTALL
    with connection.cursor() as cur:
        for sql in remove:
            cur.execute(sql)
    try:
        yield
    finally:
        with connection.cursor() as cur:
            for sql in install:
                cur.execute(sql)
