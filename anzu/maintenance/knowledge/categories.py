"""Fault category codes as the public reporting page and the editor offer them.

The tree is the work orders' default one (``anzu.maintenance.categories.DEFAULT_CATEGORIES``).
Labels are English msgids translated to the tree's Chinese names in this app's catalogue, so the
page follows the visitor's language; an unknown code falls back to its Chinese name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from anzu.maintenance.categories import DEFAULT_CATEGORIES

LABELS: dict[str, Promise] = {
    "water_electric": _("Plumbing & electrical"),
    "water_electric.toilet_blocked": _("Blocked toilet"),
    "water_electric.leak": _("Water leak"),
    "water_electric.no_hot_water": _("No hot water"),
    "water_electric.breaker_tripped": _("Breaker tripped / power out"),
    "water_electric.lighting": _("Lights & sockets"),
    "structure": _("Structure"),
    "structure.wall": _("Walls & ceiling"),
    "structure.door_window": _("Doors & windows"),
    "appliance": _("Appliances"),
    "appliance.ac_not_cooling": _("Air conditioner not cooling"),
    "appliance.washer": _("Washing machine"),
    "appliance.fridge": _("Fridge"),
    "appliance.water_heater": _("Water heater"),
    "lock": _("Locks"),
    "lock.smart_lock": _("Smart lock"),
    "lock.access_card": _("Access card & keys"),
    "network": _("Network"),
    "network.wifi": _("Wi-Fi down"),
    "other": _("Other"),
}


def _tree() -> list[tuple[str, str, str | None, str]]:
    return DEFAULT_CATEGORIES


@dataclass(frozen=True)
class CategoryGroup:
    code: str
    label: str
    children: list[tuple[str, str]]


def label(code: str) -> str:
    """The category's name in the active language (its code when unknown)."""
    found = LABELS.get(code)
    if found is not None:
        return str(found)
    for row_code, name_zh, _parent, _skill in _tree():
        if row_code == code:
            return name_zh
    return code


def codes() -> frozenset[str]:
    return frozenset(row[0] for row in _tree())


def is_known(code: str) -> bool:
    return code in codes()


def groups() -> list[CategoryGroup]:
    """Top-level categories with their children, in the contract's order.

    A top-level category without children (``other``) is offered as its own single choice.
    """
    tree = _tree()
    result: list[CategoryGroup] = []
    for code, _name, parent, _skill in tree:
        if parent is not None:
            continue
        children = [(c, label(c)) for c, _n, p, _s in tree if p == code]
        result.append(CategoryGroup(code, label(code), children or [(code, label(code))]))
    return result


def choices() -> list[tuple[str, str]]:
    """Every code as a form choice, children indented under their parent's name."""
    return [
        (code, label(code) if parent is None else f"{label(parent)} · {label(code)}")
        for code, _name, parent, _skill in _tree()
    ]
