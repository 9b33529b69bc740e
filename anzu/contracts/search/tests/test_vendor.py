"""The vendor-specific index structures: gram arrays + GIN on PostgreSQL, FTS5 on SQLite."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from anzu.common.testing import make_user
from anzu.contracts.search import engine, indexing
from anzu.contracts.search.tests.conftest import make_contract
from anzu.contracts.search.text import gram_key

PG = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
SQLITE = pytest.mark.skipif(connection.vendor != "sqlite", reason="needs SQLite")


@pytest.mark.postgres
@PG
def test_pg_trgm_and_cjk_in_this_locale(db: Any) -> None:
    """pg_trgm indexes CJK here (the database is C.UTF-8), but a two-character query yields no
    trigram pg_trgm can look up, which is why the gram arrays hold bigrams."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT show_trgm('南京西路'), show_trgm('张伟')")
        four, two = cursor.fetchone()
    assert len(four) >= 3  # CJK characters are word characters in this locale
    # Padded trigrams of a two-character word never occur inside a longer word.
    cursor_sql = "SELECT similarity('上海市静安区张伟路', '张伟')"
    with connection.cursor() as cursor:
        cursor.execute(cursor_sql)
        (similarity,) = cursor.fetchone()
    assert similarity < 0.3
    assert len(two) >= 1


@pytest.mark.postgres
@PG
def test_pg_rows_carry_grams_and_queries_use_the_gin_index(org: Any) -> None:
    import datetime as dt

    from anzu.portfolio.models import Project

    project = Project.objects.create(organization=org, code="PX", name="静安")
    contract = make_contract(
        org,
        project=project,
        title="静安公寓",
        lessee_name="张伟",
        text="押金两个月。",
        end_date=dt.date(2026, 7, 15),
    )
    indexing.index_contract(contract.pk)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT key_grams, grams FROM contract_search_searchentry WHERE contract_id = %s",
            [contract.pk],
        )
        key_grams, grams = cursor.fetchone()
        assert {gram_key(g) for g in ("张", "伟", "张伟", "静安")} <= set(key_grams)
        assert {gram_key("押金"), gram_key("张伟")} <= set(grams)
        assert gram_key("张") not in grams
        # Filter tokens ride along: the project and the month the contract ends in.
        assert indexing.project_token(contract.project_id) in key_grams
        assert indexing.month_token(2026, 7) in grams
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            "EXPLAIN SELECT contract_id FROM contract_search_searchentry WHERE grams @> %s::int4[]",
            [[gram_key("押金")]],
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "contract_search_grams" in plan
    legal = make_user(org, "legal")
    assert [h.contract_id for h in engine.search(legal, query="押金").hits] == [contract.pk]


@SQLITE
def test_sqlite_fts_mirror(org: Any) -> None:
    contract = make_contract(org, title="静安公寓", lessee_name="张伟", text="押金两个月。")
    indexing.index_contract(contract.pk)
    indexing.index_contract(contract.pk)  # rewriting keeps one FTS row
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM contract_search_fts WHERE contract_search_fts MATCH %s",
            ['"押金两"'],
        )
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT count(*) FROM contract_search_fts WHERE rowid = %s", [contract.pk])
        assert cursor.fetchone()[0] == 1
    pk = contract.pk
    indexing._delete([pk])
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM contract_search_fts WHERE rowid = %s", [pk])
        assert cursor.fetchone()[0] == 0
