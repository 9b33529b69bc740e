"""Set-based writes of the generation run, below the ORM for speed.

The run produces millions of rows; building a model instance per row costs more than the
database does. These helpers take plain tuples and write them in a few statements per chunk:

* PostgreSQL: ``COPY`` straight into the table when no key of the chunk is stored yet (the
  usual case), else into a session-local staging table followed by one
  ``INSERT … SELECT … ON CONFLICT DO NOTHING`` (or ``UPDATE … FROM``) that reports what it did;
* SQLite: ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING`` / ``UPDATE`` (each chunk holds
  SQLite's write lock, so nothing changes underneath it).

On PostgreSQL the bulk of the run does not pass through Python at all:
:func:`generate_rent_chunk` computes the deposits and the regular rent periods of a range of
leases in one ``INSERT … SELECT`` (the rules of :mod:`anzu.billing.schedule` for whole lease
months at a constant rent), and :func:`accrue_late_fees` computes late fees in SQL.

Only unique-key conflicts are skipped; a row breaking a check constraint still fails loudly.

Callers run them inside ``transaction.atomic()``.
"""

from __future__ import annotations

import datetime as dt
import json
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


def refresh_statistics(*, inserted: int) -> None:
    """(PostgreSQL) ANALYZE the bill and cursor tables after a run inserted many rows.

    The later steps of the run read bills by status, kind and lease; with statistics from before
    a first run (an empty table) the planner scanned every open bill for each of them. Runs when
    ``inserted`` exceeds a tenth of the table, as autovacuum would, only sooner.
    """
    if connection.vendor != "postgresql" or inserted < 10_000:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'billing_bill'::regclass")
        (estimate,) = cursor.fetchone()
        if inserted > max(estimate, 0) / 10:
            cursor.execute("ANALYZE billing_bill")
            cursor.execute("ANALYZE billing_billingcursor")


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


# --- PostgreSQL: the regular rent periods and the late fees computed in the database -------------
#
# Most leases pay whole lease months at a constant rent: no rent-free days, no escalation step
# reached yet, and no period cut short by the lease's last day. For those the schedule rules of
# anzu.billing.schedule reduce to
#
#   period k starts on  start + k·M months        (PostgreSQL clamps to the month's end like
#   and ends the day before  start + (k+1)·M months    schedule.add_months: no drift)
#   amount = round(monthly rent × M, 2), due date by schedule.due_date,
#
# which one INSERT … SELECT evaluates for a whole chunk of leases. Any lease with a period that
# is not of that form in this run ("irregular": rent-free days, an escalated month, a partial
# last period) is returned to the caller and computed in Python by RentSchedule, exactly as
# before; the test suite compares the two paths on the same terms.

_CHUNK_LEASES = """
    SELECT l.id, l.organization_id, l.project_id, l.building_id, l.unit_id, l.customer_id,
           l.start_date, l.occupied_until, l.monthly_rent, l.pay_months, l.due_day_rule,
           l.due_day_value, l.rent_free_periods, l.escalation_pct, l.escalation_every_months,
           c.lease_id AS cursor_lease_id, c.next_rent_index, l.deposit,
           COALESCE(c.next_rent_index, 0) AS first_index,
           GREATEST(l.pay_months, 1) AS m,
           LEAST(%(through)s::date, l.occupied_until) AS lim,
           (COALESCE(l.escalation_pct, 0) <> 0 AND COALESCE(l.escalation_every_months, 0) > 0)
               AS escalates
    FROM leasing_lease l
    LEFT JOIN billing_billingcursor c
        ON c.lease_id = l.id AND c.lease_id > %(lo)s AND c.lease_id <= %(hi)s
    WHERE l.id > %(lo)s AND l.id <= %(hi)s AND l.status = ANY(%(statuses)s)
      AND (c.lease_id IS NULL OR c.next_rent_start <= %(through)s)
"""

# Each lease with the periods of this run (one row with k NULL when there is none): k from the
# cursor while the period starts on or before min(through, last day). The series' upper bound is
# the number of whole calendar months from the start to that limit divided by M (a later k
# starts in a later month); the WHERE decides. A period is irregular when the lease has rent-free
# days, the period reaches an escalated month, or it ends after the lease's last day.
_CHUNK_PERIODS = """
    SELECT ls.*, k.k, k.ps, k.next_ps,
           (ls.rent_free_periods IS DISTINCT FROM '[]'::jsonb
            OR k.next_ps - 1 > ls.occupied_until
            OR (ls.escalates AND (k.k + 1) * ls.m > ls.escalation_every_months)) AS irregular
    FROM ls LEFT JOIN LATERAL (
        SELECT k.k,
               (ls.start_date + make_interval(months => k.k * ls.m))::date AS ps,
               (ls.start_date + make_interval(months => (k.k + 1) * ls.m))::date AS next_ps
        FROM generate_series(
            ls.first_index,
            ((EXTRACT(YEAR FROM ls.lim)::int - EXTRACT(YEAR FROM ls.start_date)::int) * 12
             + EXTRACT(MONTH FROM ls.lim)::int - EXTRACT(MONTH FROM ls.start_date)::int) / ls.m
        ) AS k(k)
        WHERE (ls.start_date + make_interval(months => k.k * ls.m))::date <= ls.lim
    ) k ON true
"""

# schedule.due_date in SQL.
_DUE = """
    CASE WHEN p.due_day_rule = 'day_of_month' THEN
        CASE WHEN p.due_day_value BETWEEN 1 AND 28
             THEN LEAST((date_trunc('month', p.ps)::date + (p.due_day_value - 1)), p.ps)
             ELSE p.ps END
    ELSE p.ps - GREATEST(0, p.due_day_value) END
"""

# Window functions rather than joins between the steps: the planner's row estimates for these
# CTEs are guesses, and a guessed nested loop between two of them was quadratic.
_CHUNK_SQL = f"""
    WITH ls AS MATERIALIZED ({_CHUNK_LEASES}),
    p AS MATERIALIZED (
        SELECT p.*, COALESCE(bool_or(p.irregular) OVER w, false) AS odd,
               count(p.k) OVER w AS periods, row_number() OVER w AS nth
        FROM ({_CHUNK_PERIODS}) p
        WINDOW w AS (PARTITION BY p.id)
    ),
    cur AS (
        INSERT INTO billing_billingcursor (lease_id, next_rent_index, next_rent_start)
        SELECT p.id, p.first_index + p.periods::int,
               CASE WHEN nx.start <= p.occupied_until THEN nx.start END
        FROM p CROSS JOIN LATERAL (SELECT (p.start_date + make_interval(
            months => (p.first_index + p.periods::int) * p.m))::date AS start) nx
        WHERE p.nth = 1 AND NOT p.odd
        ON CONFLICT (lease_id) DO UPDATE SET next_rent_index = EXCLUDED.next_rent_index,
            next_rent_start = EXCLUDED.next_rent_start
    ),
    ins AS (
        INSERT INTO billing_bill ({_COLS})
        SELECT organization_id, lease_id, project_id, building_id, unit_id, customer_id, kind,
               ps, pe, due, amount, 0, CASE WHEN amount = 0 THEN 'paid' ELSE 'open' END, '',
               NULL, %(now)s, %(now)s
        FROM (
            SELECT p.organization_id, p.id AS lease_id, p.project_id, p.building_id,
                   p.unit_id, p.customer_id, 'deposit' AS kind, p.start_date AS ps,
                   p.start_date AS pe, p.start_date AS due, p.deposit AS amount
            FROM p WHERE p.nth = 1 AND p.cursor_lease_id IS NULL AND p.deposit > 0
            UNION ALL
            SELECT p.organization_id, p.id, p.project_id, p.building_id, p.unit_id,
                   p.customer_id, 'rent', p.ps, p.next_ps - 1, {_DUE},
                   round(p.monthly_rent * p.m, 2)
            FROM p WHERE p.k IS NOT NULL AND NOT p.odd
        ) r
        ORDER BY lease_id, kind, ps
        {{conflict}}
        RETURNING organization_id, kind
    )
    SELECT organization_id, kind, count(*) FROM ins GROUP BY 1, 2
    UNION ALL
    SELECT -1, NULL, p.id FROM p WHERE p.nth = 1 AND p.odd
    UNION ALL
    SELECT -2, NULL, count(*) FROM p WHERE p.nth = 1
"""

# The lease rows of the irregular leases, in the column order generation._LEASE_FIELDS reads.
_IRREGULAR_ROWS = f"""
    SELECT id, organization_id, project_id, building_id, unit_id, customer_id, start_date,
           occupied_until, monthly_rent, pay_months, due_day_rule, due_day_value,
           rent_free_periods, escalation_pct, escalation_every_months, cursor_lease_id,
           next_rent_index
    FROM ({_CHUNK_LEASES}) ls WHERE ls.id = ANY(%(ids)s) ORDER BY ls.id
"""


def _tune_transaction(raw: Any) -> None:
    """Settings for the rest of this transaction of the run.

    No JIT compilation: the planner cannot know that generate_series yields one to a few periods
    per lease (it assumes 1,000), so the chunk statement looks expensive enough to compile;
    compiling took seconds, running takes well under one. More memory for sorts, so that a
    chunk's periods are sorted in memory rather than on disk.
    """
    raw.execute("SET LOCAL jit = off")
    raw.execute("SET LOCAL work_mem = '64MB'")


def generate_rent_chunk(
    *, lo: int, hi: int, through: dt.date, statuses: tuple[str, ...], now: dt.datetime
) -> tuple[int, Counter[tuple[int, str]], list[tuple[Any, ...]]]:
    """(PostgreSQL) Bill the leases with ids in ``(lo, hi]`` that have work through ``through``.

    Writes the deposit bill of every such lease not billed before (no cursor), the rent periods
    and the cursor of every regular lease, in one statement. Returns the number of leases read,
    the bills inserted per ``(organization_id, kind)`` and the rows of the irregular leases
    (their cursors untouched), which the caller computes with RentSchedule in the same
    transaction.
    """
    params = {"lo": lo, "hi": hi, "through": through, "statuses": list(statuses), "now": now}
    inserted: Counter[tuple[int, str]] = Counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        _tune_transaction(raw)
        # Usually no key is stored yet: a plain INSERT. If one is (a lost cursor, a concurrent
        # run), the savepoint rolls back and the statement runs again skipping stored keys.
        try:
            with transaction.atomic():
                raw.execute(_CHUNK_SQL.format(conflict=""), params)
                result = raw.fetchall()
        except UniqueViolation:
            raw.execute(_CHUNK_SQL.format(conflict="ON CONFLICT DO NOTHING"), params)
            result = raw.fetchall()
        odd: list[int] = []
        read = 0
        for org_id, kind, count in result:
            if org_id == -1:
                odd.append(count)
            elif org_id == -2:
                read = count
            else:
                inserted[(org_id, kind)] += count
        rows: list[tuple[Any, ...]] = []
        if odd:
            raw.execute(_IRREGULAR_ROWS, {**params, "ids": odd})
            for row in raw.fetchall():
                # Django reads jsonb as text (JSONField decodes it); so does this row.
                free = json.loads(row[12]) if isinstance(row[12], str) else row[12]
                rows.append((*row[:12], free, *row[13:]))
    return read, inserted, rows


# The late fee of each overdue bill of the leases in an id range, as of a date:
# generation.late_fee_amount in SQL (numeric arithmetic is exact; round() rounds halves away from
# zero, i.e. ROUND_HALF_UP for these positive amounts). Bills whose fee is already accrued through
# the date are skipped. The statement starts from the leases that charge late fees and reaches
# their bills through bill_lease_due, so its plan does not depend on fresh statistics of the
# bills just written.
_FEE_STAGE = """
    INSERT INTO billing_fee_stage (source_id, fee, first_day)
    SELECT id, fee, first_day FROM (
        SELECT b.id, b.due_date + l.late_fee_grace_days + 1 AS first_day,
               round((b.amount - b.paid_amount) * l.late_fee_daily_rate
                     * (%(as_of)s::date - (b.due_date + l.late_fee_grace_days + 1) + 1), 2) AS fee
        FROM leasing_lease l CROSS JOIN LATERAL (
            SELECT b.id, b.due_date, b.amount, b.paid_amount FROM billing_bill b
            WHERE b.lease_id = l.id AND b.due_date < %(as_of)s - l.late_fee_grace_days
              AND b.status = 'open' AND b.kind = ANY(%(kinds)s) AND b.amount > b.paid_amount
              AND NOT EXISTS (
                  SELECT 1 FROM billing_bill f
                  WHERE f.source_bill_id = b.id AND f.period_end >= %(as_of)s
              )
        ) b
        WHERE l.id > %(lo)s AND l.id <= %(hi)s AND l.late_fee_daily_rate > 0
    ) s
    WHERE fee > 0
"""


def accrue_late_fees(
    *, lo: int, hi: int, as_of: dt.date, kinds: tuple[str, ...], now: dt.datetime
) -> tuple[Counter[int], Counter[int]]:
    """(PostgreSQL) Create or raise the late fees of the overdue bills of leases ``(lo, hi]``.

    A bill without a late-fee bill gets one (first day … ``as_of``, due ``as_of``); an existing
    one is raised, under row locks taken in id order, when the recomputed fee is higher.
    Returns ``(created, raised)`` per organization.
    """
    created: Counter[int] = Counter()
    raised: Counter[int] = Counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        _tune_transaction(raw)
        raw.execute(
            "CREATE TEMP TABLE IF NOT EXISTS billing_fee_stage "
            "(source_id bigint PRIMARY KEY, fee numeric(12,2), first_day date) "
            "ON COMMIT DELETE ROWS"
        )
        raw.execute(_FEE_STAGE, {"lo": lo, "hi": hi, "as_of": as_of, "kinds": list(kinds)})
        if not raw.rowcount:
            return created, raised
        raw.execute("ANALYZE billing_fee_stage")
        raw.execute(
            f"WITH ins AS (INSERT INTO billing_bill ({_COLS}) "
            "SELECT b.organization_id, b.lease_id, b.project_id, b.building_id, b.unit_id, "
            "b.customer_id, 'late_fee', s.first_day, %(as_of)s, %(as_of)s, s.fee, 0, 'open', "
            "'', s.source_id, %(now)s, %(now)s "
            "FROM billing_fee_stage s JOIN billing_bill b ON b.id = s.source_id "
            "WHERE NOT EXISTS (SELECT 1 FROM billing_bill f WHERE f.source_bill_id = s.source_id) "
            "ORDER BY s.source_id ON CONFLICT DO NOTHING RETURNING organization_id) "
            "SELECT organization_id, count(*) FROM ins GROUP BY 1",
            {"as_of": as_of, "now": now},
        )
        for org_id, count in raw.fetchall():
            created[org_id] += count
        # Lock in id order first, as payments do, so the two never deadlock.
        raw.execute(
            "SELECT f.id FROM billing_bill f JOIN billing_fee_stage s "
            "ON f.source_bill_id = s.source_id WHERE s.fee > f.amount ORDER BY f.id FOR UPDATE OF f"
        )
        if raw.rowcount:
            raw.execute(
                "WITH upd AS (UPDATE billing_bill f SET amount = s.fee, "
                "period_end = GREATEST(f.period_end, %(as_of)s), status = 'open', "
                "updated_at = %(now)s FROM billing_fee_stage s "
                "WHERE f.source_bill_id = s.source_id AND s.fee > f.amount "
                "RETURNING f.organization_id) "
                "SELECT organization_id, count(*) FROM upd GROUP BY 1",
                {"as_of": as_of, "now": now},
            )
            for org_id, count in raw.fetchall():
                raised[org_id] += count
        raw.execute("TRUNCATE billing_fee_stage")
    return created, raised
