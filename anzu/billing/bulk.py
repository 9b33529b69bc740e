"""Set-based writes of the generation run, below the ORM for speed.

The run produces millions of rows; building a model instance per row costs more than the
database does. These helpers take plain tuples and write them in a few statements per chunk:

* PostgreSQL: ``COPY`` straight into the table when no key of the chunk is stored yet (the
  usual case), else into a session-local staging table followed by one
  ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (or ``UPDATE … FROM``) that reports what it did;
* SQLite: ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING`` / ``UPDATE`` (each chunk holds
  SQLite's write lock, so nothing changes underneath it).

Only unique-key conflicts are skipped; a row breaking a check constraint still fails loudly.

Callers run them inside ``transaction.atomic()``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from psycopg.errors import UniqueViolation

# Column order of the tuples given to insert_bills().
BILL_COLUMNS = (
    "organization_id",
    "lease_id",
    "project_id",
    "building_id",
    "unit_id",
    "customer_id",
    "kind",
    "period_start",
    "period_end",
    "due_date",
    "amount",
    "paid_amount",
    "status",
    "description",
    "source_bill_id",
    "created_at",
    "updated_at",
)
_BILL_STAGE_TYPES = (
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "bigint",
    "varchar(20)",
    "date",
    "date",
    "date",
    "numeric(12,2)",
    "numeric(12,2)",
    "varchar(10)",
    "varchar(200)",
    "bigint",
    "timestamptz",
    "timestamptz",
)
_COLS = ", ".join(BILL_COLUMNS)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _stage(raw: Any, name: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """(PostgreSQL) Fill a temporary staging table with rows by COPY."""
    raw.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({columns}) ON COMMIT DELETE ROWS")
    raw.execute(f"TRUNCATE {name}")
    column_names = ", ".join(part.split()[0] for part in columns.split(", "))
    with raw.copy(f"COPY {name} ({column_names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_bills(rows: list[tuple[Any, ...]]) -> Counter[tuple[int, str]]:
    """Insert bills, skipping rows whose unique key is already stored.

    Returns how many were inserted per ``(organization_id, kind)``.
    """
    inserted: Counter[tuple[int, str]] = Counter()
    if not rows:
        return inserted
    if connection.vendor == "postgresql":
        columns = ", ".join(
            f"{name} {kind}" for name, kind in zip(BILL_COLUMNS, _BILL_STAGE_TYPES, strict=True)
        )
        with connection.cursor() as cursor:
            raw = cursor.cursor
            # Usually no key is stored yet (a lease's bills and its cursor commit together):
            # COPY straight into the table. If any key exists, that savepoint rolls back and the
            # rows go through the staging table, skipping the stored keys.
            try:
                with (
                    transaction.atomic(),
                    raw.copy(f"COPY billing_bill ({_COLS}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            except UniqueViolation:
                pass
            else:
                for row in rows:
                    inserted[(row[0], row[6])] += 1
                return inserted
            _stage(raw, "billing_bill_stage", columns, rows)
            raw.execute(
                f"WITH ins AS (INSERT INTO billing_bill ({_COLS}) SELECT {_COLS} "
                "FROM billing_bill_stage ON CONFLICT DO NOTHING RETURNING organization_id, kind) "
                "SELECT organization_id, kind, count(*) FROM ins GROUP BY 1, 2"
            )
            for org_id, kind, count in raw.fetchall():
                inserted[(org_id, kind)] += count
            raw.execute("TRUNCATE billing_bill_stage")
        return inserted
    groups: dict[tuple[int, str], list[tuple[Any, ...]]] = {}
    stamps: dict[dt.datetime, str] = {}
    for row in rows:
        org, kind = row[0], row[6]
        (start, end, due, amount, paid, status, text, source, created, updated) = row[7:]
        if created not in stamps:
            stamps[created] = _sqlite_value(created)
        if updated not in stamps:
            stamps[updated] = _sqlite_value(updated)
        groups.setdefault((org, kind), []).append(
            (
                *row[:7],
                start.isoformat(),
                end.isoformat(),
                due.isoformat(),
                str(amount),
                str(paid),
                status,
                text,
                source,
                stamps[created],
                stamps[updated],
            )
        )
    sql = (
        f"INSERT INTO billing_bill ({_COLS}) "
        f"VALUES ({', '.join(['%s'] * len(BILL_COLUMNS))}) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        for key, group in groups.items():
            cursor.executemany(sql, group)
            inserted[key] += max(cursor.rowcount, 0)
    return inserted


def upsert_cursors(rows: list[tuple[int, int, dt.date | None]]) -> None:
    """Store ``(lease_id, next_rent_index, next_rent_start)`` for each lease."""
    if not rows:
        return
    update = (
        "ON CONFLICT (lease_id) DO UPDATE SET next_rent_index = EXCLUDED.next_rent_index, "
        "next_rent_start = EXCLUDED.next_rent_start"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            _stage(
                raw,
                "billing_cursor_stage",
                "lease_id bigint, next_rent_index integer, next_rent_start date",
                rows,
            )
            raw.execute(
                "INSERT INTO billing_billingcursor (lease_id, next_rent_index, next_rent_start) "
                f"SELECT lease_id, next_rent_index, next_rent_start FROM billing_cursor_stage {update}"
            )
            raw.execute("TRUNCATE billing_cursor_stage")
        return
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO billing_billingcursor (lease_id, next_rent_index, next_rent_start) "
            f"VALUES (%s, %s, %s) {update}",
            [(a, b, c.isoformat() if c else None) for a, b, c in rows],
        )


def raise_bill_amounts(
    rows: list[tuple[int, Decimal, dt.date]], *, now: dt.datetime
) -> Counter[int]:
    """Raise ``amount`` (and ``period_end``) of open bills ``(id, amount, period_end)``.

    Only rows whose stored amount is lower change; the bill is open afterwards. Returns the
    number changed per organization.
    """
    changed: Counter[int] = Counter()
    if not rows:
        return changed
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            _stage(
                raw,
                "billing_raise_stage",
                "id bigint, amount numeric(12,2), period_end date",
                rows,
            )
            # Lock in id order first, as payments do, so the two never deadlock.
            raw.execute(
                "SELECT b.id FROM billing_bill b JOIN billing_raise_stage s ON s.id = b.id "
                "ORDER BY b.id FOR UPDATE OF b"
            )
            raw.execute(
                "WITH upd AS (UPDATE billing_bill b SET amount = s.amount, "
                "period_end = GREATEST(b.period_end, s.period_end), status = 'open', "
                "updated_at = %s FROM billing_raise_stage s "
                "WHERE b.id = s.id AND s.amount > b.amount RETURNING b.organization_id) "
                "SELECT organization_id, count(*) FROM upd GROUP BY 1",
                (now,),
            )
            for org_id, count in raw.fetchall():
                changed[org_id] += count
            raw.execute("TRUNCATE billing_raise_stage")
        return changed
    stamp = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        for pk, amount, period_end in rows:
            cursor.execute(
                "UPDATE billing_bill SET amount = %s, period_end = MAX(period_end, %s), "
                "status = 'open', updated_at = %s WHERE id = %s",
                [str(amount), period_end.isoformat(), stamp, pk],
            )
        cursor.execute(
            f"SELECT organization_id, count(*) FROM billing_bill "
            f"WHERE id IN ({', '.join(['%s'] * len(rows))}) GROUP BY organization_id",
            [pk for pk, _a, _p in rows],
        )
        for org_id, count in cursor.fetchall():
            changed[org_id] += count
    return changed


def relax_commit() -> None:
    """(PostgreSQL) Let this transaction's COMMIT return before its WAL reaches the disk.

    Only for the generation run: it is idempotent and re-runnable, and each chunk's bills and
    cursors commit together, so a crash can at worst lose the last chunks of a run, which the
    next run writes again. Payments never use this.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


_DEPOSIT_SOURCE = (
    "FROM leasing_lease l LEFT JOIN billing_billingcursor c ON c.lease_id = l.id "
    "WHERE c.lease_id IS NULL AND l.deposit > 0 AND l.status IN (%s, %s, %s)"
)


def insert_deposit_bills(*, statuses: tuple[str, str, str], now: dt.datetime) -> Counter[int]:
    """One deposit bill (due on the start date) for each lease not billed before.

    A lease is "not billed before" when it has no generation cursor yet. One INSERT … SELECT;
    returns the number inserted per organization.
    """
    inserted: Counter[int] = Counter()
    select = (
        "SELECT l.organization_id, l.id, l.project_id, l.building_id, l.unit_id, "
        "l.customer_id, 'deposit', l.start_date, l.start_date, l.start_date, l.deposit, 0, "
        f"'open', '', NULL, %s, %s {_DEPOSIT_SOURCE}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH ins AS (INSERT INTO billing_bill ({_COLS}) {select} "
                "ON CONFLICT DO NOTHING RETURNING organization_id) "
                "SELECT organization_id, count(*) FROM ins GROUP BY 1",
                [now, now, *statuses],
            )
            for org_id, count in cursor.fetchall():
                inserted[org_id] += count
            return inserted
        stamp = connection.ops.adapt_datetimefield_value(now)
        cursor.execute(
            f"SELECT l.organization_id, count(*) {_DEPOSIT_SOURCE} AND NOT EXISTS ("
            "SELECT 1 FROM billing_bill b WHERE b.lease_id = l.id AND b.kind = 'deposit' "
            "AND b.period_start = l.start_date) GROUP BY l.organization_id",
            list(statuses),
        )
        for org_id, count in cursor.fetchall():
            inserted[org_id] += count
        cursor.execute(
            f"INSERT INTO billing_bill ({_COLS}) {select} ON CONFLICT DO NOTHING",
            [stamp, stamp, *statuses],
        )
    return inserted
