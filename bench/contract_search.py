"""Benchmark of contract search over N archived contracts on PostgreSQL.

Builds one organization with N contracts set-based: the minimal ``contracts_contract`` rows
(one shared ``documents_document``; synthetic but realistic Chinese lessors, lessees, addresses,
titles, about 430 characters of lease text each, ~8 % English company names) and their
``contract_search_searchentry`` rows with the gram arrays. ``--distinct`` of them (default
100,000) are generated in Python and written with ``COPY``; the rest are copies made in SQL
with other ids, end dates (± 180 days), rents, risk levels and status, their filter tokens
recomputed (on a shared two-core machine Python generation of 1,000,000 would take far longer
than the ~10 minutes aimed at). Foreign-key triggers are skipped during the load (the rows are
consistent by construction); the GIN indexes are dropped during the load and rebuilt afterwards
(``maintenance_work_mem`` 1 GB).
Then runs ~200 varied queries — CJK of 2–4 characters (names, roads, districts, companies,
clause words), Latin (company names, lease numbers, typos), with and without filters (project,
status, risk level, rent range, expiry window) — through ``engine.search`` plus the page's
presentation (``selectors.search_items``) as an org-wide legal user (key fields and full text),
and prints p50/p95/max in ms and per query kind.

Usage::

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/anzu_contract_search_bench \\
        .venv/bin/python bench/contract_search.py --contracts 1000000
    # again without rebuilding the data:
    DATABASE_URL=... .venv/bin/python bench/contract_search.py --reuse

The database named in DATABASE_URL is dropped and recreated unless ``--reuse`` (it must be a
scratch database). Prints one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BATCH = 20000
DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/anzu_contract_search_bench"

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红玲飞鹏辉建国志宇晨浩然子轩梓涵欣怡雨桐佳琪思远俊杰文博嘉怡一鸣"
CITIES = {
    "上海市": ["静安区", "徐汇区", "浦东新区", "长宁区", "黄浦区", "杨浦区", "闵行区"],
    "北京市": ["朝阳区", "海淀区", "东城区", "西城区", "丰台区"],
    "深圳市": ["南山区", "福田区", "罗湖区", "宝安区", "龙岗区"],
    "广州市": ["天河区", "越秀区", "海珠区", "番禺区"],
    "杭州市": ["西湖区", "上城区", "拱墅区", "滨江区"],
    "成都市": ["锦江区", "武侯区", "青羊区", "高新区"],
    "南京市": ["鼓楼区", "玄武区", "秦淮区", "建邺区"],
    "武汉市": ["江汉区", "武昌区", "洪山区"],
}
ROAD_STEMS = [
    "南京",
    "淮海",
    "延安",
    "中山",
    "人民",
    "解放",
    "建设",
    "和平",
    "长江",
    "黄河",
    "复兴",
    "世纪",
    "滨江",
    "湖滨",
    "科技",
    "创业",
    "文化",
    "花园",
    "锦绣",
    "东方",
    "新华",
    "光明",
    "幸福",
    "振兴",
    "胜利",
    "团结",
    "青年",
    "友谊",
    "学府",
    "金桥",
]
ROAD_SUFFIX = ["东路", "西路", "南路", "北路", "大道", "路", "街"]
ESTATES = [
    "阳光",
    "翠湖",
    "金色",
    "锦绣",
    "天悦",
    "华府",
    "御景",
    "绿洲",
    "名都",
    "星河",
    "海湾",
    "碧桂",
    "万科",
    "保利",
    "龙湖",
    "融创",
    "绿城",
    "中海",
    "华润",
    "招商",
]
ESTATE_SUFFIX = ["花园", "公寓", "小区", "家园", "苑", "府", "城"]
BRANDS = [
    "华信",
    "安居",
    "恒泰",
    "宏远",
    "鼎盛",
    "嘉禾",
    "瑞丰",
    "盛世",
    "天诚",
    "永安",
    "金地",
    "隆昌",
    "富力",
    "长城",
    "新世纪",
    "同创",
    "德润",
    "远景",
    "中联",
    "汇通",
]
INDUSTRY = ["置业", "房地产开发", "物业管理", "资产管理", "商业管理", "投资", "实业"]
EN_BRANDS = [
    "Huaxin",
    "Anju",
    "Hengtai",
    "Hongyuan",
    "Dingsheng",
    "Jiahe",
    "Ruifeng",
    "Shengshi",
    "Tiancheng",
    "Yongan",
    "Greenfield",
    "Riverside",
    "Lakeview",
    "Harbour",
    "Pacific",
    "Orient",
    "Summit",
    "Crescent",
    "Meridian",
    "Horizon",
]
EN_KIND = ["Property Management", "Real Estate", "Asset Management", "Holdings", "Investment"]
EN_CITY = ["Shanghai", "Beijing", "Shenzhen", "Guangzhou", "Hangzhou"]
CLAUSES = [
    "第一条 甲方将上述房屋出租给乙方作居住使用，乙方不得擅自改变房屋用途。",
    "第二条 乙方应按时足额支付租金，逾期支付的，每逾期一日按应付租金的万分之五支付违约金。",
    "第三条 押金用于担保乙方履行本合同，租赁期满乙方结清各项费用后甲方无息退还。",
    "第四条 租赁期间物业管理费由甲方承担，水费、电费、燃气费由乙方承担。",
    "第五条 房屋及附属设施的自然损耗由甲方负责维修，因乙方使用不当造成的损坏由乙方负责赔偿。",
    "第六条 未经甲方书面同意，乙方不得将房屋转租、分租或与他人合租。",
    "第七条 租赁期满乙方需续租的，应提前三十日书面通知甲方，同等条件下乙方享有优先承租权。",
    "第八条 本合同履行中发生争议，双方协商解决；协商不成的，向房屋所在地人民法院起诉。",
    "第九条 任何一方提前解除合同的，应提前一个月通知对方并支付一个月租金作为违约金。",
    "第十条 乙方应遵守物业管理规定，安全用电用气，不得存放易燃易爆物品。",
    "第十一条 甲方保证对出租房屋享有合法的出租权，房屋不存在权属纠纷。",
    "第十二条 本合同自双方签字盖章之日起生效，一式两份，双方各执一份，具有同等法律效力。",
]
NUMERALS = "零壹贰叁肆伍陆柒捌玖"


def _recreate_postgres(url: str) -> None:
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "template0", "template1"}:
        raise SystemExit(f"refusing to recreate database {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup(reuse: bool) -> None:
    url = os.environ.get("DATABASE_URL") or DEFAULT_URL
    if not url.startswith("postgres"):
        raise SystemExit("this benchmark needs PostgreSQL (DATABASE_URL=postgresql://…)")
    os.environ["DATABASE_URL"] = url
    if not reuse:
        _recreate_postgres(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anzu.settings")
    import django

    django.setup()
    if not reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 1, 2))))


def _company(rng: random.Random) -> str:
    city = rng.choice(list(CITIES))[:-1]
    return f"{city}{rng.choice(BRANDS)}{rng.choice(INDUSTRY)}有限公司"


def _en_company(rng: random.Random) -> str:
    return f"{rng.choice(EN_CITY)} {rng.choice(EN_BRANDS)} {rng.choice(EN_KIND)} Co., Ltd."


def _amount_upper(value: int) -> str:
    digits = str(value)
    units = ["", "拾", "佰", "仟", "万"]
    out = ""
    for i, d in enumerate(digits):
        pos = len(digits) - i - 1
        if d != "0":
            out += NUMERALS[int(d)] + units[pos]
    return out + "元整"


def _varied(column: str, ident: str, k: int, off: int) -> str:
    """SQL for one column of a replicated row (copy ``k`` of the row whose id is ``ident``)."""
    shift = f"((({ident} * 7 + {k} * 131) %% 360 - 180)::int)"
    statuses = (
        "ARRAY['ready','ready','ready','ready','ready','ready','ready','ready','ready','pending']"
    )
    risks = "ARRAY['low','low','low','low','low','medium','medium','medium','high','']"
    new = {
        "id": f"{ident} + {off}",
        "contract_id": f"{ident} + {off}",
        "sha256": f"md5(({ident} + {off})::text) || md5({ident}::text)",
        "start_date": f"start_date + {shift}",
        "end_date": f"end_date + {shift}",
        "monthly_rent": f"monthly_rent + {k * 100}",
        "status": f"({statuses})[1 + (({ident} * 31 + {k} * 17) %% 10)]",
        "risk_level": f"({risks})[1 + (({ident} * 13 + {k} * 7) %% 10)]",
        "terminated_on": (
            f"CASE WHEN ({ident} + {k} * 7) %% 20 = 0 THEN end_date + {shift} - 30 ELSE NULL END"
        ),
    }
    if column in ("key_grams", "grams"):
        old = _tokens_sql("project_id", "risk_level", "monthly_rent", "end_date", "terminated_on")
        fresh = _tokens_sql(
            "project_id",
            new["risk_level"],
            new["monthly_rent"],
            new["end_date"],
            new["terminated_on"],
        )
        return f"ARRAY(SELECT unnest({column}) EXCEPT SELECT unnest({old})) || {fresh}"
    return new.get(column, column)


def _tokens_sql(project: str, risk: str, rent: str, end: str, terminated: str) -> str:
    """indexing.filter_tokens in SQL (same integer codes)."""
    return (
        "array_remove(ARRAY["
        f"CASE WHEN {project} IS NULL THEN NULL ELSE 2000000000 + {project} %% 100000000 END, "
        f"CASE {risk} WHEN 'low' THEN -2000000001 WHEN 'medium' THEN -2000000002 "
        "WHEN 'high' THEN -2000000003 ELSE NULL END, "
        f"CASE WHEN ({end}) IS NOT NULL AND ({terminated}) IS NULL THEN -2100000000 "
        f"+ extract(year FROM {end})::int * 12 + extract(month FROM {end})::int END, "
        f"CASE WHEN ({rent}) IS NOT NULL THEN -2050000000 "
        f"+ LEAST(floor(({rent}) / 1000)::int, 100) END"
        "]::int4[], NULL)"
    )


def replicate(
    *, organization_id: int, first_id: int, distinct: int, n: int, columns: list[str]
) -> None:
    """Fill up to ``n`` contracts with copies of the ``distinct`` generated ones, server-side:
    same parties, addresses and text; other id, end date (± 180 days), rent, status, risk."""
    from django.db import connection, transaction

    from anzu.contracts.search.indexing import ENTRY_COLUMNS

    entry_columns = [*ENTRY_COLUMNS, "key_grams", "grams"]
    copies = -(-n // distinct)
    for k in range(1, copies):
        off = k * distinct
        last = first_id + n - 1 - off
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute(
                f"INSERT INTO contracts_contract ({', '.join(columns)}) "
                f"SELECT {', '.join(_varied(c, 'id', k, off) for c in columns)} "
                f"FROM contracts_contract WHERE organization_id = %s AND id BETWEEN %s AND %s",
                [organization_id, first_id, min(first_id + distinct - 1, last)],
            )
            cursor.execute(
                f"INSERT INTO contract_search_searchentry ({', '.join(entry_columns)}) "
                f"SELECT {', '.join(_varied(c, 'contract_id', k, off) for c in entry_columns)} "
                f"FROM contract_search_searchentry "
                f"WHERE organization_id = %s AND contract_id BETWEEN %s AND %s",
                [organization_id, first_id, min(first_id + distinct - 1, last)],
            )
        print(f"  copy {k}: {min(n, off + distinct)} rows", file=sys.stderr)


def build(n: int, seed: int, distinct: int) -> dict[str, Any]:
    from django.db import connection, transaction

    from anzu.common.db import insert_rows
    from anzu.contracts.models import Contract
    from anzu.contracts.search.indexing import ENTRY_COLUMNS, filter_tokens, key_fields
    from anzu.contracts.search.text import document_grams, gram_key, normalize
    from anzu.core.choices import Role, UserKind
    from anzu.core.models import Organization, RoleGrant, User
    from anzu.documents.models import Document
    from anzu.portfolio.models import Building, Project

    rng = random.Random(seed)
    started = time.perf_counter()
    org = Organization.objects.create(name="合同搜索压测", slug="contract-search-bench")
    user = User.objects.create_user(
        username="bench-legal", organization=org, kind=UserKind.STAFF, scope_all=True
    )
    RoleGrant.objects.create(user=user, role=Role.LEGAL)
    projects = Project.objects.bulk_create(
        [
            Project(
                organization=org,
                code=f"CP{p:03d}",
                name=f"{rng.choice(ESTATES)}{rng.choice(ESTATE_SUFFIX)}{p}期",
            )
            for p in range(60)
        ]
    )
    buildings = Building.objects.bulk_create(
        [
            Building(
                organization=org,
                project=projects[b // 10],
                code=f"CB{b:04d}",
                name=f"{b % 10 + 1}号楼",
            )
            for b in range(600)
        ]
    )
    document = Document.objects.create(
        organization=org, kind="contract", title="bench", sha256="0" * 64, size=1
    )
    today = dt.date(2026, 12, 4)
    now = dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC)
    own_columns = {
        "organization_id",
        "project_id",
        "building_id",
        "unit_id",
        "lease_id",
        "document_id",
        "sha256",
        "title",
        "original_name",
        "source",
        "status",
        "error",
        "page_count",
        "text",
        "ocr_confidence",
        "lessor_name",
        "lessee_name",
        "address",
        "start_date",
        "end_date",
        "monthly_rent",
        "deposit",
        "risk_level",
        "terminated_on",
        "created_by_id",
        "created_at",
        "updated_at",
    }
    extra_fields = [
        f
        for f in Contract._meta.concrete_fields
        if f.column not in own_columns and f.column != "id"
    ]
    extra_defaults = []
    for f in extra_fields:
        default = f.get_default()
        if default is None and not f.null:
            raise SystemExit(
                f"contracts_contract.{f.column} needs a value: extend bench/contract_search.py"
            )
        extra_defaults.append(default)
    contract_columns = [*sorted(own_columns), *(f.column for f in extra_fields)]
    clause_grams: dict[str, set[str]] = {}
    hashed: dict[str, str] = {}

    def array(grams: set[str], tokens: set[int]) -> str:
        out = [str(t) for t in tokens]
        for g in grams:
            h = hashed.get(g)
            if h is None:
                h = hashed[g] = str(gram_key(g))
            out.append(h)
        return "{" + ",".join(out) + "}"

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS contract_search_key_grams")
        cursor.execute("DROP INDEX IF EXISTS contract_search_grams")
        cursor.execute("DROP INDEX IF EXISTS contract_search_keys_trgm")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM contracts_contract")
        next_id = cursor.fetchone()[0] + 1
    statuses = ["ready"] * 90 + ["pending"] * 4 + ["failed"] * 2 + ["processing"] * 4
    risks = ["low"] * 50 + ["medium"] * 30 + ["high"] * 12 + [""] * 8
    generated = 0
    generate_seconds = 0.0
    distinct = min(n, distinct)
    for start in range(0, distinct, BATCH):
        size = min(BATCH, distinct - start)
        batch_started = time.perf_counter()
        contracts: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        for i in range(size):
            cid = next_id + start + i
            b_index = rng.randrange(600)
            building = buildings[b_index]
            project = projects[b_index // 10]
            city = rng.choice(list(CITIES))
            district = rng.choice(CITIES[city])
            road = rng.choice(ROAD_STEMS) + rng.choice(ROAD_SUFFIX)
            estate = project.name
            room = f"{rng.randint(1, 33)}{rng.randint(1, 8):02d}"
            address = (
                f"{city}{district}{road}{rng.randint(1, 2000)}号{estate}{building.name}{room}室"
            )
            english = rng.random() < 0.08
            lessor = _en_company(rng) if english else _company(rng)
            lessee = _person(rng) if rng.random() < 0.8 else _company(rng)
            start_date = today - dt.timedelta(days=rng.randint(0, 1500))
            years = rng.choice((1, 1, 1, 2, 3))
            end_date = (
                start_date.replace(year=start_date.year + years) - dt.timedelta(days=1)
                if not (start_date.month == 2 and start_date.day == 29)
                else start_date + dt.timedelta(days=365 * years)
            )
            rent = rng.randrange(1500, 30000, 100)
            terminated = (
                today - dt.timedelta(days=rng.randint(1, 300)) if rng.random() < 0.05 else None
            )
            code = f"L{start_date.year}{cid:07d}"
            title = f"{estate}{building.name}{room}房屋租赁合同"
            head = (
                f"房屋租赁合同 合同编号：{code}。出租方（甲方）：{lessor}。承租方（乙方）：{lessee}。"
                f"房屋坐落：{address}。租赁期限自{start_date.year}年{start_date.month}月{start_date.day}日起"
                f"至{end_date.year}年{end_date.month}月{end_date.day}日止。"
                f"月租金人民币{rent}元（大写：{_amount_upper(rent)}），押一付三。"
            )
            clauses = rng.sample(CLAUSES, 7)
            text = head + "\n" + "\n".join(clauses)
            status = rng.choice(statuses)
            risk = rng.choice(risks)
            values = {
                "organization_id": org.pk,
                "project_id": project.pk,
                "building_id": building.pk,
                "unit_id": None,
                "lease_id": None,
                "document_id": document.pk,
                "sha256": hashlib.sha256(str(cid).encode()).hexdigest(),
                "title": title,
                "original_name": f"{code}.pdf",
                "source": "pdf_text",
                "status": status,
                "error": "",
                "page_count": 1,
                "text": text,
                "ocr_confidence": None,
                "lessor_name": lessor,
                "lessee_name": lessee,
                "address": address,
                "start_date": start_date,
                "end_date": end_date,
                "monthly_rent": Decimal(rent),
                "deposit": Decimal(rent * 2),
                "risk_level": risk,
                "terminated_on": terminated,
                "created_by_id": None,
                "created_at": now,
                "updated_at": now,
            }
            contracts.append((cid, *(values[c] for c in sorted(own_columns)), *extra_defaults))
            keys = key_fields(
                title=title,
                lessor=lessor,
                lessee=lessee,
                address=address,
                lease_code=code,
                unit=f"{building.name} {room}",
            )
            body_head = normalize(head)
            grams = document_grams(body_head)
            for clause in clauses:
                if clause not in clause_grams:
                    clause_grams[clause] = document_grams(normalize(clause))
                grams = grams | clause_grams[clause]
            key_grams = document_grams(keys, single_cjk=True)
            grams |= {g for g in key_grams if len(g) > 1}
            body = normalize(text)
            row = (
                cid,
                org.pk,
                project.pk,
                building.pk,
                None,
                status,
                risk,
                Decimal(rent),
                end_date,
                terminated,
                keys,
                body,
                now,
                now,
            )
            tokens = filter_tokens(row)
            entries.append((*row, array(key_grams, tokens), array(grams, tokens)))
        generate_seconds += time.perf_counter() - batch_started
        with transaction.atomic(), connection.cursor() as cursor:
            # The rows are generated consistent; skip the per-row foreign-key triggers.
            cursor.execute("SET LOCAL session_replication_role = replica")
            insert_rows("contracts_contract", ["id", *contract_columns], contracts)
            insert_rows(
                "contract_search_searchentry", [*ENTRY_COLUMNS, "key_grams", "grams"], entries
            )
        generated += size
        if generated % 100000 == 0 or generated == distinct:
            print(
                f"  {generated} rows, {time.perf_counter() - started:.0f} s "
                f"({generate_seconds:.0f} s generating)",
                file=sys.stderr,
            )
    replicate(
        organization_id=org.pk,
        first_id=next_id,
        distinct=distinct,
        n=n,
        columns=["id", *contract_columns],
    )
    loaded = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('contracts_contract', 'id'), %s)", [next_id + n]
        )
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for sql in (
            "CREATE INDEX contract_search_key_grams ON contract_search_searchentry USING gin (key_grams) WITH (fastupdate = off)",
            "CREATE INDEX contract_search_grams ON contract_search_searchentry USING gin (grams) WITH (fastupdate = off)",
            "CREATE INDEX contract_search_keys_trgm ON contract_search_searchentry USING gin (keys gin_trgm_ops)",
        ):
            cursor.execute(sql)
        cursor.execute("ANALYZE contracts_contract")
        cursor.execute("ANALYZE contract_search_searchentry")
        cursor.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('contract_search_searchentry'))"
        )
        size = cursor.fetchone()[0]
    done = time.perf_counter()
    return {
        "contracts": n,
        "distinct_generated": distinct,
        "load_seconds": round(loaded - started, 1),
        "generate_seconds": round(generate_seconds, 1),
        "index_seconds": round(done - loaded, 1),
        "search_table_size": size,
    }


def queries(rng: random.Random, projects: list[int]) -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, query, filters) — about 200, varied."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for _ in range(40):
        out.append(("cjk2", rng.choice(SURNAMES) + rng.choice(GIVEN), {}))
    for _ in range(15):
        out.append(("cjk2", rng.choice(ROAD_STEMS), {}))
    for _ in range(20):
        out.append(("cjk3-4", rng.choice(ROAD_STEMS) + rng.choice(ROAD_SUFFIX[:5]), {}))
    for _ in range(15):
        out.append(("cjk3-4", rng.choice(BRANDS) + rng.choice(INDUSTRY)[:2], {}))
    for _ in range(10):
        city = rng.choice(list(CITIES))
        out.append(("cjk3-4", rng.choice(CITIES[city]), {}))
    for word in ("违约金", "押金", "转租", "优先承租权", "物业管理费", "续租"):
        out.append(("fulltext", word, {}))
    for _ in range(15):
        out.append(("latin", rng.choice(EN_BRANDS).lower(), {}))
    for _ in range(10):
        out.append(("latin", f"L{rng.randint(2022, 2026)}{rng.randint(1, 999999):07d}", {}))
    for _ in range(10):
        word = rng.choice(EN_BRANDS).lower()
        pos = rng.randrange(1, len(word) - 1)
        out.append(("latin-typo", word[:pos] + word[pos + 1 :], {}))
    filters = [
        lambda: {"project_id": rng.choice(projects)},
        lambda: {"risk_level": "high"},
        lambda: {"status": "ready", "expiring_within_days": 90},
        lambda: {"rent_min": Decimal(8000), "rent_max": Decimal(15000)},
        lambda: {"expiring_within_days": 30},
    ]
    for _ in range(45):
        kind = rng.random()
        if kind < 0.5:
            q = rng.choice(SURNAMES) + rng.choice(GIVEN)
        elif kind < 0.75:
            q = rng.choice(ROAD_STEMS) + rng.choice(ROAD_SUFFIX[:5])
        elif kind < 0.9:
            q = rng.choice(EN_BRANDS).lower()
        else:
            q = rng.choice(("违约金", "押金", "转租"))
        out.append(("filtered", q, rng.choice(filters)()))
    return out


def run(seed: int) -> dict[str, Any]:
    from anzu.common import clock
    from anzu.contracts.search import engine, selectors
    from anzu.core.models import User
    from anzu.portfolio.models import Project

    user = User.objects.get(username="bench-legal")
    projects = list(
        Project.objects.filter(organization_id=user.organization_id).values_list("pk", flat=True)
    )
    rng = random.Random(seed)
    plan = queries(rng, projects)
    today = clock.today()
    # Warm-up (connection, caches), not measured.
    for _kind, q, f in plan[:10]:
        selectors.search_items(
            user, engine.search(user, query=q, filters=engine.Filters(**f)), today=today
        )
    timings: dict[str, list[float]] = {}
    everything: list[float] = []
    totals: list[int] = []
    for kind, q, f in plan:
        started = time.perf_counter()
        result = engine.search(user, query=q, filters=engine.Filters(**f))
        selectors.search_items(user, result, today=today)
        ms = (time.perf_counter() - started) * 1000
        timings.setdefault(kind, []).append(ms)
        everything.append(ms)
        totals.append(result.total)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))], 1)

    return {
        "queries": len(everything),
        "p50_ms": pct(everything, 0.5),
        "p95_ms": pct(everything, 0.95),
        "max_ms": round(max(everything), 1),
        "median_hits": statistics.median(totals),
        "by_kind": {
            k: {"n": len(v), "p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95)}
            for k, v in timings.items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument(
        "--distinct",
        type=int,
        default=100_000,
        help="contracts generated in Python; the rest are varied copies made in SQL",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the data of an earlier run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    _setup(args.reuse)
    figures: dict[str, Any] = {}
    if not args.reuse:
        figures["build"] = build(args.contracts, args.seed, args.distinct)
    figures["search"] = run(args.seed + 1)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
