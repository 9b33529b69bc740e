"""Database helpers that differ per vendor."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, migrations


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


class RunSQLFor(migrations.RunSQL):
    """A RunSQL that only runs on the given database vendor."""

    def __init__(self, vendor: str, sql: Any, reverse_sql: Any = "") -> None:
        self.vendor = vendor
        super().__init__(sql, reverse_sql or migrations.RunSQL.noop)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):  # type: ignore[no-untyped-def]
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)

    def deconstruct(self):  # type: ignore[no-untyped-def]
        name, args, kwargs = super().deconstruct()
        kwargs["vendor"] = self.vendor
        return name, args, kwargs


def _identity(value: Any) -> Any:
    return value


def _json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value


def _converter(sample: Any, *, sqlite: bool) -> Callable[[Any], Any]:
    """How one column's values are handed to the driver (chosen once per column)."""
    if isinstance(sample, (dict, list)):
        return _json
    if not sqlite:
        return _identity
    if isinstance(sample, dt.datetime):
        cache: dict[Any, Any] = {}

        def stamp(value: Any) -> Any:
            if value not in cache:
                cache[value] = connection.ops.adapt_datetimefield_value(value)
            return cache[value]

        return stamp
    if isinstance(sample, dt.date):
        days: dict[Any, Any] = {}

        def day(value: Any) -> Any:
            if value not in days:
                days[value] = value.isoformat() if value is not None else None
            return days[value]

        return day
    if isinstance(sample, Decimal):
        return lambda value: str(value) if value is not None else None
    return _identity


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert plain rows below the ORM, inside the caller's transaction; returns the count.

    PostgreSQL: one ``COPY … FROM STDIN``; SQLite: one ``executemany``. Dicts and lists go to
    JSON columns as JSON text. Each column holds one type (the first row's decides how its
    values are converted). Nothing is skipped: a unique or check violation fails the whole
    insert (and the caller's transaction).
    """
    rows = list(rows)
    if not rows:
        return 0
    sqlite = connection.vendor != "postgresql"
    converting = [
        (i, c)
        for i, v in enumerate(rows[0])
        if (c := _converter(v, sqlite=sqlite)) is not _identity
    ]
    prepared: list[Sequence[Any]] = rows
    if converting:
        prepared = []
        for row in rows:
            values = list(row)
            for i, convert in converting:
                values[i] = convert(values[i])
            prepared.append(values)
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if not sqlite:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
            return len(prepared)
        cursor.executemany(
            f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})",
            prepared,
        )
        return len(prepared)
