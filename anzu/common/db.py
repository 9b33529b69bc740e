"""Database helpers that differ per vendor."""

from __future__ import annotations

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
