"""The default fault-category tree (故障类别), created per organization.

Top-level codes double as engineer skills: an engineer with skill ``appliance`` handles every
``appliance.*`` category.
"""

from __future__ import annotations

from django.db import transaction

from anzu.core import audit
from anzu.core.models import Organization
from anzu.maintenance.models import Category

# (code, Chinese name, parent code, skill)
DEFAULT_CATEGORIES: list[tuple[str, str, str | None, str]] = [
    ("water_electric", "水电", None, "water_electric"),
    ("water_electric.toilet_blocked", "马桶堵塞", "water_electric", "water_electric"),
    ("water_electric.leak", "漏水", "water_electric", "water_electric"),
    ("water_electric.no_hot_water", "无热水", "water_electric", "water_electric"),
    ("water_electric.breaker_tripped", "跳闸断电", "water_electric", "water_electric"),
    ("water_electric.lighting", "灯具插座", "water_electric", "water_electric"),
    ("structure", "结构", None, "structure"),
    ("structure.wall", "墙面天花", "structure", "structure"),
    ("structure.door_window", "门窗", "structure", "structure"),
    ("appliance", "家电", None, "appliance"),
    ("appliance.ac_not_cooling", "空调不制冷", "appliance", "appliance"),
    ("appliance.washer", "洗衣机", "appliance", "appliance"),
    ("appliance.fridge", "冰箱", "appliance", "appliance"),
    ("appliance.water_heater", "热水器", "appliance", "appliance"),
    ("lock", "门锁", None, "lock"),
    ("lock.smart_lock", "智能门锁", "lock", "lock"),
    ("lock.access_card", "门禁卡钥匙", "lock", "lock"),
    ("network", "网络", None, "network"),
    ("network.wifi", "Wi-Fi断网", "network", "network"),
    ("other", "其他", None, "other"),
]

SKILL_NAMES: dict[str, str] = {
    code: name for code, name, parent, _s in DEFAULT_CATEGORIES if not parent
}


def categories_ensure(organization_id: int) -> dict[str, Category]:
    """Create the missing default categories of an organization; returns all of them by code."""
    existing = {c.code: c for c in Category.objects.filter(organization_id=organization_id)}
    missing = [row for row in DEFAULT_CATEGORIES if row[0] not in existing]
    if not missing:
        return existing
    with transaction.atomic():
        # Serialize the first use per organization so concurrent intakes create one set.
        Organization.objects.select_for_update(no_key=True).filter(pk=organization_id).first()
        existing = {c.code: c for c in Category.objects.filter(organization_id=organization_id)}
        missing = [row for row in DEFAULT_CATEGORIES if row[0] not in existing]
        if not missing:
            return existing
        for code, name, parent_code, skill in missing:
            if code in existing:
                continue
            parent = existing.get(parent_code) if parent_code else None
            category, _created = Category.objects.get_or_create(
                organization_id=organization_id,
                code=code,
                defaults={"name": name, "parent": parent, "skill": skill},
            )
            existing[code] = category
        audit.record(
            action="workorder_category.ensure",
            obj=existing[missing[0][0]],
            organization=organization_id,
            actor=None,
            changes={"created": [row[0] for row in missing]},
        )
    return existing
