from django.db import migrations

from anzu.common.db import RunSQLFor


class Migration(migrations.Migration):
    """Substring search (icontains) on lease numbers and customer names uses trigram indexes on
    PostgreSQL instead of scanning every row."""

    dependencies = [("leasing", "0002_lease_no_overlap")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
                "CREATE INDEX leasing_lease_code_trgm ON leasing_lease "
                "USING gin (upper(code) gin_trgm_ops);",
                "CREATE INDEX leasing_customer_name_trgm ON leasing_customer "
                "USING gin (upper(name) gin_trgm_ops);",
            ],
            [
                "DROP INDEX IF EXISTS leasing_lease_code_trgm;",
                "DROP INDEX IF EXISTS leasing_customer_name_trgm;",
            ],
        ),
    ]
