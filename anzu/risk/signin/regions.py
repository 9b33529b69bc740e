"""Coordinates of the capitals of China's provincial-level divisions, keyed by region name.

Used for the impossible-travel signal when the IP database gives a region but no coordinates
(ip2region gives names only). Names are matched without their administrative suffix
(省, 市, 自治区 …), in Chinese or English.
"""

from __future__ import annotations

_CAPITALS: dict[str, tuple[str, float, float]] = {
    # name: (English name, latitude, longitude of the capital)
    "北京": ("Beijing", 39.904, 116.407),
    "天津": ("Tianjin", 39.125, 117.190),
    "上海": ("Shanghai", 31.230, 121.474),
    "重庆": ("Chongqing", 29.563, 106.551),
    "河北": ("Hebei", 38.042, 114.515),
    "山西": ("Shanxi", 37.870, 112.549),
    "内蒙古": ("Inner Mongolia", 40.842, 111.749),
    "辽宁": ("Liaoning", 41.806, 123.432),
    "吉林": ("Jilin", 43.817, 125.324),
    "黑龙江": ("Heilongjiang", 45.803, 126.535),
    "江苏": ("Jiangsu", 32.060, 118.797),
    "浙江": ("Zhejiang", 30.274, 120.155),
    "安徽": ("Anhui", 31.821, 117.227),
    "福建": ("Fujian", 26.074, 119.296),
    "江西": ("Jiangxi", 28.682, 115.858),
    "山东": ("Shandong", 36.651, 117.120),
    "河南": ("Henan", 34.747, 113.625),
    "湖北": ("Hubei", 30.593, 114.305),
    "湖南": ("Hunan", 28.228, 112.939),
    "广东": ("Guangdong", 23.129, 113.264),
    "广西": ("Guangxi", 22.817, 108.366),
    "海南": ("Hainan", 20.044, 110.199),
    "四川": ("Sichuan", 30.573, 104.066),
    "贵州": ("Guizhou", 26.647, 106.630),
    "云南": ("Yunnan", 25.038, 102.718),
    "西藏": ("Tibet", 29.650, 91.172),
    "陕西": ("Shaanxi", 34.342, 108.940),
    "甘肃": ("Gansu", 36.061, 103.834),
    "青海": ("Qinghai", 36.617, 101.778),
    "宁夏": ("Ningxia", 38.487, 106.231),
    "新疆": ("Xinjiang", 43.825, 87.617),
    "香港": ("Hong Kong", 22.320, 114.169),
    "澳门": ("Macau", 22.199, 113.544),
    "台湾": ("Taiwan", 25.033, 121.565),
}

_SUFFIXES = (
    "特别行政区",
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "省",
    "市",
)

_BY_NAME: dict[str, tuple[float, float]] = {}
for _zh, (_en, _lat, _lon) in _CAPITALS.items():
    _BY_NAME[_zh] = (_lat, _lon)
    _BY_NAME[_en.lower()] = (_lat, _lon)


def normalize(name: str) -> str:
    name = name.strip()
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def coordinates(name: str) -> tuple[float, float] | None:
    """The capital's (latitude, longitude) of a province-level region name, if known."""
    if not name:
        return None
    key = normalize(name)
    return _BY_NAME.get(key) or _BY_NAME.get(key.lower())
