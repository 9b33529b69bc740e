from django.db import migrations

from anzu.common.db import RunSQLFor


class Migration(migrations.Migration):
    """The database itself refuses two non-void leases of one unit with overlapping days."""

    dependencies = [("leasing", "0001_initial")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                "CREATE EXTENSION IF NOT EXISTS btree_gist;",
                """
                ALTER TABLE leasing_lease ADD CONSTRAINT lease_no_overlap
                EXCLUDE USING gist (
                    unit_id WITH =,
                    daterange(start_date, occupied_until, '[]') WITH &&
                ) WHERE (status <> 'void');
                """,
            ],
            ["ALTER TABLE leasing_lease DROP CONSTRAINT IF EXISTS lease_no_overlap;"],
        ),
    ]
