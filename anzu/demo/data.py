"""Static reference data for the demo portfolio: one operator in Shanghai.

Project sites, roads, equipment fleets, names and region codes. Everything here is fictitious
but shaped like the real thing (district names, WGS-84 coordinates inside Shanghai, valid
region codes for resident ID numbers).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CITY = "上海"
ORG_NAME = "安租示范运营"
DEFAULT_SLUG = "demo"
DEMO_PASSWORD = "anzu-demo-2026"


@dataclass(frozen=True)
class Site:
    code: str
    name: str
    kind: str  # 长租公寓 / 保障性住房 / 城中村改造
    district: str
    road: str
    latitude: float
    longitude: float
    rent_per_m2: int  # CNY per m² per month, before noise
    weight: int  # share of the portfolio's units
    floors: tuple[int, int]  # min, max floors per building
    per_floor: tuple[int, int]  # min, max units per floor
    layouts: tuple[tuple[str, int], ...]  # (layout, weight)


SITES: tuple[Site, ...] = (
    Site(
        "ZJ", "安租·张江人才公寓", "长租公寓", "浦东新区", "碧波路",
        31.2036, 121.5907, 118, 22, (12, 24), (12, 20),
        (("开间", 45), ("一室一厅", 40), ("两室一厅", 15)),
    ),
    Site(
        "CHJ", "安租·漕河泾青年社区", "长租公寓", "徐汇区", "桂平路",
        31.1716, 121.3976, 126, 14, (10, 18), (10, 16),
        (("开间", 55), ("一室一厅", 35), ("两室一厅", 10)),
    ),
    Site(
        "WJC", "安租·五角场悦居", "长租公寓", "杨浦区", "国权北路",
        31.3032, 121.5127, 104, 12, (8, 16), (10, 16),
        (("开间", 40), ("一室一厅", 40), ("两室一厅", 20)),
    ),
    Site(
        "DC", "大场保障性租赁住房", "保障性住房", "宝山区", "场联路",
        31.2958, 121.4236, 52, 20, (14, 28), (14, 24),
        (("一室一厅", 50), ("两室一厅", 40), ("开间", 10)),
    ),
    Site(
        "JT", "九亭人才安居房", "保障性住房", "松江区", "沪亭北路",
        31.1342, 121.3218, 44, 14, (11, 18), (12, 20),
        (("一室一厅", 45), ("两室一厅", 45), ("开间", 10)),
    ),
    Site(
        "QB", "七宝村城中村改造租赁社区", "城中村改造", "闵行区", "新镇路",
        31.1561, 121.3505, 72, 10, (5, 8), (8, 14),
        (("开间", 70), ("一室一厅", 25), ("两室一厅", 5)),
    ),
    Site(
        "JQ", "江桥城中村改造租赁社区", "城中村改造", "嘉定区", "金沙江西路",
        31.2449, 121.3287, 62, 8, (5, 7), (8, 12),
        (("开间", 65), ("一室一厅", 30), ("两室一厅", 5)),
    ),
)  # fmt: skip

AREA_BY_LAYOUT: dict[str, tuple[int, int]] = {
    "开间": (18, 35),
    "一室一厅": (35, 55),
    "两室一厅": (55, 90),
}

# (type, brand, model) fleets; one batch per project and install wave.
UNIT_EQUIPMENT: dict[str, tuple[tuple[str, str], ...]] = {
    "air_conditioner": (("格力", "KFR-35GW/NhGc1B"), ("美的", "KFR-26GW/N8XHC1"), ("海尔", "KFR-35GW/05EDS81")),
    "water_heater": (("A.O.史密斯", "E60VN3"), ("海尔", "EC6001-MC3"), ("美的", "F6021-JE3")),
    "door_lock": (("小米", "XMZNMS08LM"), ("德施曼", "Q5M"), ("凯迪仕", "K20")),
    "router": (("华为", "AX3 Pro"), ("TP-LINK", "TL-XDR3010"), ("小米", "AX3000")),
    "washing_machine": (("海尔", "EG100MATE2S"), ("小天鹅", "TG100V88WMUIADY5")),
    "refrigerator": (("美的", "BCD-216WTM"), ("海尔", "BCD-218STPS")),
}  # fmt: skip
BUILDING_EQUIPMENT: dict[str, tuple[tuple[str, str], ...]] = {
    "elevator": (("三菱电机", "LEHY-III"), ("奥的斯", "GeN2-MR"), ("日立", "MCA")),
    "water_pump": (("格兰富", "CMBE 5-62"), ("威乐", "MHIL 405")),
}  # fmt: skip

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
)
GIVEN_MALE = "伟强磊军勇杰涛明超亮斌浩鹏宇博俊帆凯峰晨阳辉鑫宁健昊然轩睿哲翔志华文龙飞毅诚"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞婷雪琳颖倩洁欣怡萱佳雯晶妍璐瑶琪慧蕾菲悦彤梦婧薇岚月"

# Region codes (first six digits of a resident ID): tenants come from all over the country.
REGION_CODES = (
    "310104", "310105", "310106", "310107", "310109", "310110", "310112", "310113", "310115",
    "320102", "320106", "320583", "330106", "330203", "330602", "340104", "341202", "360102",
    "370102", "370203", "410105", "411102", "420106", "421003", "430104", "431103", "440106",
    "440304", "450103", "500103", "510107", "511302", "520102", "530102", "610113", "620102",
    "130102", "140105", "210102", "220102", "230103", "350102", "350203", "110105", "120101",
)  # fmt: skip

MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "178", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "198", "199",
)  # fmt: skip

COMPANY_WORDS = (
    "华信", "启明", "远景", "嘉禾", "宏达", "新锐", "恒通", "瑞丰", "博远", "云帆", "中和", "致远",
    "星海", "同创", "鼎盛", "安泰", "汇智", "景程", "天择", "联科",
)  # fmt: skip
COMPANY_TRADES = (
    "科技",
    "信息技术",
    "供应链管理",
    "餐饮管理",
    "文化传媒",
    "物流",
    "咨询",
    "电子商务",
)

# Payment cycles (押N付M) with weights; companies prefer longer cycles.
PAYMENT_CYCLES: tuple[tuple[int, int, int], ...] = (
    (1, 1, 38),
    (1, 3, 34),
    (2, 3, 12),
    (1, 6, 6),
    (2, 1, 6),
    (2, 12, 4),
)
TERM_MONTHS: tuple[tuple[int, int], ...] = ((12, 60), (6, 10), (24, 22), (36, 8))

TERMINATION_REASONS = (
    "工作调动，提前退租",
    "购房搬离",
    "与室友合租，转租他处",
    "家庭原因提前解约",
    "对维修响应不满意，协商解约",
    "租金逾期，协商解除",
)

# (role, display name, scope) for the staff logins; the tenant login is added separately.
STAFF_ROLES: tuple[tuple[str, str], ...] = (
    ("admin", "示范系统管理员"),
    ("management", "示范管理层"),
    ("finance", "示范财务"),
    ("legal", "示范法务"),
    ("customer_service", "示范客服"),
    ("frontline", "示范管家"),
    ("engineer", "示范维修工程师"),
)

LATE_FEE_DAILY_RATE = Decimal("0.00050")
