"""Set-based inserts for large generated data sets.

``insert_rows`` writes prepared tuples in one statement per batch: ``executemany`` on SQLite,
``COPY … FROM STDIN`` on PostgreSQL. Values are plain Python values (``int``, ``str``,
``Decimal``, ``date``, aware ``datetime``, ``bool``, ``None``; JSON columns as JSON text); each
vendor's conversion is done once per column, not through the ORM per field and row. Model
``save()`` is not called: callers fill every column themselves (including ``auto_now`` ones).

``allocate_ids`` reserves primary keys so rows that reference each other can be written without
reading ids back.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models

from anzu.common import crypto

BATCH_SIZE = 20_000


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``. Call inside the seeding transaction."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cur.fetchall()]
        # SQLite: the transaction holds the database write lock, so max(id) is stable.
        cur.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        start = int(cur.fetchone()[0]) + 1
    return list(range(start, start + count))


def _sqlite_converter(field: models.Field[Any, Any]) -> Callable[[Any], Any] | None:
    """Datetimes are stored the way Django stores them (naive UTC text); memoized, as generated
    data repeats few distinct timestamps. Dates and decimals need nothing: Django's SQLite
    backend registers adapters for them."""
    if not isinstance(field, models.DateTimeField):
        return None
    adapt: Callable[[Any], Any] = connection.ops.adapt_datetimefield_value
    cache: dict[Any, Any] = {None: None}

    def convert(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            cache[value] = converted = adapt(value)
            return converted

    return convert


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, attnames) into ``model``'s table."""
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    db_columns = [str(f.column) for f in fields]  # type: ignore[union-attr]
    quote = connection.ops.quote_name
    table = quote(str(meta.db_table))
    column_sql = ", ".join(quote(c) for c in db_columns)
    count = 0
    if connection.vendor == "postgresql":
        with connection.cursor() as wrapper:
            raw = wrapper.cursor
            with raw.copy(f"COPY {table} ({column_sql}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
        return count
    converters = [_sqlite_converter(f) for f in fields]  # type: ignore[arg-type]
    indexed = [(i, c) for i, c in enumerate(converters) if c is not None]
    sql = f"INSERT INTO {table} ({column_sql}) VALUES ({', '.join(['%s'] * len(columns))})"
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cur:
        for row in rows:
            if indexed:
                values = list(row)
                for i, convert in indexed:
                    values[i] = convert(values[i])
                batch.append(values)
            else:
                batch.append(row)
            if len(batch) >= BATCH_SIZE:
                cur.executemany(sql, batch)
                count += len(batch)
                batch = []
        if batch:
            cur.executemany(sql, batch)
            count += len(batch)
    return count


def encryptor() -> Callable[[str], str]:
    """``anzu.common.crypto.encrypt`` for many values: the key is looked up once, and all
    tokens carry the same timestamp."""
    fernet = crypto._fernet(crypto._master())
    now = int(time.time())

    def encrypt(value: str) -> str:
        return fernet.encrypt_at_time(value.encode("utf-8"), now).decode("ascii")

    return encrypt


def blind_indexer(purpose: str) -> Callable[[str], str]:
    """``anzu.common.crypto.blind_index(value, purpose=purpose)`` with the key derived once.

    The demo tests check that both give the same digest."""
    key = hashlib.sha256(
        b"anzu-blind-index\x00" + purpose.encode() + b"\x00" + crypto._master()
    ).digest()

    def index(value: str) -> str:
        normalized = "".join(value.split()).upper()
        return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()

    return index
