from django.db import migrations

from anzu.common.db import RunSQLFor


class Migration(migrations.Migration):
    """Vendor-specific search structures next to the portable SearchEntry table.

    PostgreSQL: arrays of gram hashes with GIN indexes (CJK bigrams work whatever the database locale;
    pg_trgm would need three characters and a locale that classifies CJK as letters) and a
    pg_trgm index on the key fields for typo-tolerant Latin matches.
    SQLite: an FTS5 table with the trigram tokenizer, keyed by contract id.
    """

    dependencies = [("contract_search", "0001_initial")]

    operations = [
        RunSQLFor(
            "postgresql",
            [
                "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
                "ALTER TABLE contract_search_searchentry "
                "ADD COLUMN key_grams int4[] NOT NULL DEFAULT '{}', "
                "ADD COLUMN grams int4[] NOT NULL DEFAULT '{}';",
                "CREATE INDEX contract_search_key_grams ON contract_search_searchentry "
                "USING gin (key_grams) WITH (fastupdate = off);",
                "CREATE INDEX contract_search_grams ON contract_search_searchentry "
                "USING gin (grams) WITH (fastupdate = off);",
                "CREATE INDEX contract_search_keys_trgm ON contract_search_searchentry "
                "USING gin (keys gin_trgm_ops);",
            ],
            [
                "DROP INDEX IF EXISTS contract_search_keys_trgm;",
                "DROP INDEX IF EXISTS contract_search_grams;",
                "DROP INDEX IF EXISTS contract_search_key_grams;",
                "ALTER TABLE contract_search_searchentry DROP COLUMN IF EXISTS key_grams, "
                "DROP COLUMN IF EXISTS grams;",
            ],
        ),
        RunSQLFor(
            "sqlite",
            [
                "CREATE VIRTUAL TABLE contract_search_fts USING fts5("
                "keys, body, tokenize = 'trigram');",
            ],
            ["DROP TABLE IF EXISTS contract_search_fts;"],
        ),
    ]
