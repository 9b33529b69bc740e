"""The columns of the import template: one sheet per kind, Chinese header with the English key.

A header cell may be the full template header (``项目编码 project_code``), the English key alone
or the Chinese label alone. Choice columns also accept the Chinese labels listed in ``aliases``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from anzu.onboarding.choices import ImportKind


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    type: str = "text"  # text | number | date | choice
    required: bool = False  # the column must be present in the header
    example: Any = None
    help: str = ""
    aliases: dict[str, str] = field(default_factory=dict)

    @property
    def header(self) -> str:
        return f"{self.label} {self.key}"


@dataclass(frozen=True)
class SheetSpec:
    kind: str
    label: str
    columns: tuple[Column, ...]

    @property
    def title(self) -> str:
        return f"{self.label} {self.kind}"

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


KIND_ALIASES = {"个人": "person", "自然人": "person", "企业": "company", "公司": "company"}
ID_TYPE_ALIASES = {
    "身份证": "resident_id",
    "居民身份证": "resident_id",
    "护照": "passport",
    "港澳通行证": "hk_macau_permit",
    "港澳居民来往内地通行证": "hk_macau_permit",
    "台胞证": "taiwan_permit",
    "台湾居民来往大陆通行证": "taiwan_permit",
    "永居证": "foreign_pr",
    "外国人永久居留身份证": "foreign_pr",
    "统一社会信用代码": "uscc",
    "营业执照": "uscc",
}
UNIT_STATUS_ALIASES = {"维修": "maintenance", "维修中": "maintenance", "下线": "offline"}
LEASE_STATUS_ALIASES = {"草稿": "draft", "生效": "active", "已生效": "active", "执行中": "active"}
DUE_DAY_RULE_ALIASES = {"期前N天": "days_before_period", "每月固定日": "day_of_month"}

UNITS = SheetSpec(
    ImportKind.UNITS,
    "房源",
    (
        Column("project_code", "项目编码", required=True, example="P001", help="项目的唯一编码"),
        Column("project_name", "项目名称", example="静安示例公寓", help="新项目必填"),
        Column("city", "城市", example="上海"),
        Column("building_code", "楼栋编码", required=True, example="B1"),
        Column("building_name", "楼栋名称", example="1号楼", help="新楼栋留空时用楼栋编码"),
        Column("address", "地址", example="上海市静安区示例路1号"),
        Column("latitude", "纬度", "number", example=31.2304, help="WGS-84，最多6位小数"),
        Column("longitude", "经度", "number", example=121.4737, help="WGS-84，最多6位小数"),
        Column("unit_code", "房间编码", required=True, example="101", help="楼栋内唯一"),
        Column("floor", "楼层", "number", required=True, example=1),
        Column(
            "area_m2", "面积", "number", required=True, example=35.5, help="平方米，最多2位小数"
        ),
        Column("layout", "户型", example="1室1厅"),
        Column("list_rent", "挂牌租金", "number", required=True, example=3200, help="元/月"),
        Column(
            "status",
            "房态",
            "choice",
            help="留空=按租约自动计算；maintenance(维修) 或 offline(下线)",
            aliases=UNIT_STATUS_ALIASES,
        ),
    ),
)

CUSTOMERS = SheetSpec(
    ImportKind.CUSTOMERS,
    "租客",
    (
        Column(
            "kind",
            "类型",
            "choice",
            required=True,
            example="person",
            help="person(个人) 或 company(企业)",
            aliases=KIND_ALIASES,
        ),
        Column("name", "姓名或名称", required=True, example="张三"),
        Column(
            "id_type",
            "证件类型",
            "choice",
            required=True,
            example="resident_id",
            help="resident_id(身份证)、passport(护照)、hk_macau_permit、taiwan_permit、"
            "foreign_pr、uscc(统一社会信用代码)",
            aliases=ID_TYPE_ALIASES,
        ),
        Column("id_number", "证件号码", required=True, example="11010519491231002X"),
        Column("phone", "手机号", example="13800138000"),
        Column("email", "邮箱", example=""),
        Column("project_code", "登记项目编码", example="P001", help="可留空"),
        Column("tags", "标签", example="", help="多个标签用逗号分隔"),
        Column("notes", "备注", example=""),
    ),
)

LEASES = SheetSpec(
    ImportKind.LEASES,
    "租约",
    (
        Column("lease_code", "合同编号", example="HT-2026-0001", help="组织内唯一；留空时自动编号"),
        Column("project_code", "项目编码", required=True, example="P001"),
        Column("building_code", "楼栋编码", required=True, example="B1"),
        Column("unit_code", "房间编码", required=True, example="101"),
        Column(
            "customer_id_type",
            "租客证件类型",
            "choice",
            required=True,
            example="resident_id",
            aliases=ID_TYPE_ALIASES,
        ),
        Column("customer_id_number", "租客证件号码", required=True, example="11010519491231002X"),
        Column(
            "status",
            "状态",
            "choice",
            example="active",
            help="draft(草稿，默认) 或 active(生效)",
            aliases=LEASE_STATUS_ALIASES,
        ),
        Column("start_date", "起租日", "date", required=True, example=dt.date(2026, 1, 1)),
        Column("end_date", "到期日", "date", required=True, example=dt.date(2026, 12, 31)),
        Column("monthly_rent", "月租金", "number", required=True, example=3200),
        Column("deposit_months", "押金月数", "number", example=1, help="押N：0–12"),
        Column("pay_months", "付款月数", "number", example=1, help="付M：1、3、6 或 12"),
        Column("deposit", "押金", "number", help="留空=月租金×押金月数"),
        Column(
            "due_day_rule",
            "收租日规则",
            "choice",
            help="days_before_period(期前N天，默认) 或 day_of_month(每月固定日)",
            aliases=DUE_DAY_RULE_ALIASES,
        ),
        Column("due_day_value", "收租日数值", "number"),
        Column("rent_free_periods", "免租期", help="2026-01-01~2026-01-15; 多段用分号分隔"),
        Column("escalation_pct", "递增比例", "number", help="百分比，如 5"),
        Column("escalation_every_months", "递增间隔月数", "number"),
        Column("late_fee_daily_rate", "滞纳金日费率", "number", help="如 0.0005"),
        Column("late_fee_grace_days", "滞纳金宽限天数", "number"),
        Column("allows_access_freeze", "允许冻结门禁", help="是/否"),
        Column("notes", "备注"),
    ),
)

SHEETS: dict[str, SheetSpec] = {s.kind: s for s in (UNITS, CUSTOMERS, LEASES)}


def sheet_kind_for_title(title: str) -> str | None:
    """The kind of a workbook sheet from its title: ``房源 units``, ``units`` or ``房源``."""
    lowered = title.strip().lower()
    for spec in SHEETS.values():
        if lowered in (spec.title.lower(), spec.kind) or lowered.split()[-1:] == [spec.kind]:
            return spec.kind
        if title.strip() == spec.label:
            return spec.kind
    return None


def match_header(spec: SheetSpec, header: str) -> Column | None:
    text = " ".join(header.split())
    if not text:
        return None
    last = text.split(" ")[-1].lower()
    for col in spec.columns:
        if text.lower() == col.header.lower() or last == col.key or text == col.label:
            return col
    return None


def detect_kind(headers: list[str]) -> str | None:
    """Which kind a CSV holds, from its headers (leases before customers: both name ID numbers)."""
    keys: dict[str, set[str]] = {}
    for kind, spec in SHEETS.items():
        keys[kind] = {col.key for h in headers if (col := match_header(spec, h)) is not None}
    if {"start_date", "customer_id_number"} <= keys[ImportKind.LEASES]:
        return ImportKind.LEASES
    if {"area_m2", "unit_code"} <= keys[ImportKind.UNITS]:
        return ImportKind.UNITS
    if {"name", "id_number"} <= keys[ImportKind.CUSTOMERS]:
        return ImportKind.CUSTOMERS
    return None


_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def normalize(col: Column, value: Any) -> Any:
    """Turn a cell value into what the validators expect (they are shared with the UI/API)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if col.type == "text":
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        if isinstance(value, dt.datetime | dt.date):
            return value.isoformat()
        return value
    if col.type == "date":
        if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
            return value.date()
        if isinstance(value, str) and (m := _DATE_RE.match(value)):
            try:
                return dt.date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return value
        return value
    if col.type == "choice":
        text = str(value).strip()
        return col.aliases.get(text, text.lower())
    if col.type == "number" and isinstance(value, str):
        return value.replace(",", "").replace("，", "").removeprefix("¥").strip()
    return value
