"""Reads of the contract archive: filtered lists, the project → building → unit tree, the
review queue, rule set and batch summaries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.contracts.access import contract_fields_for_user, contracts_for_user
from anzu.contracts.choices import ContractStatus, FieldStatus, RiskLevel
from anzu.contracts.models import Contract, ContractBatch, ContractField, ReviewRuleSet


def contract_search(
    user: Any,
    *,
    project_id: Any = None,
    building_id: Any = None,
    unit_id: Any = None,
    status: str = "",
    risk_level: str = "",
) -> QuerySet[Contract]:
    qs = contracts_for_user(user).select_related("project", "building", "unit")
    for column, value in (
        ("project_id", project_id),
        ("building_id", building_id),
        ("unit_id", unit_id),
    ):
        if value not in (None, ""):
            try:
                qs = qs.filter(**{column: int(value)})
            except (TypeError, ValueError):
                return qs.none()
    if status in ContractStatus.values:
        qs = qs.filter(status=status)
    if risk_level in RiskLevel.values:
        qs = qs.filter(risk_level=risk_level)
    return qs.order_by("project__name", "building__name", "unit__code", "-created_at", "-id")


def archive_tree(contracts: list[Contract]) -> list[dict[str, Any]]:
    """Contracts grouped project → building → unit (in the order given)."""
    projects: dict[Any, dict[str, Any]] = {}
    for c in contracts:
        project = projects.setdefault(
            c.project_id,
            {"name": c.project.name if c.project_id else "", "buildings": {}},  # type: ignore[union-attr]
        )
        building = project["buildings"].setdefault(
            c.building_id,
            {"name": c.building.name if c.building_id else "", "units": {}},  # type: ignore[union-attr]
        )
        unit = building["units"].setdefault(
            c.unit_id,
            {"code": c.unit.code if c.unit_id else "", "contracts": []},  # type: ignore[union-attr]
        )
        unit["contracts"].append(c)
    return [
        {
            "name": p["name"],
            "buildings": [
                {"name": b["name"], "units": list(b["units"].values())}
                for b in p["buildings"].values()
            ],
        }
        for p in projects.values()
    ]


def review_queue(user: Any) -> QuerySet[ContractField]:
    """Fields waiting for a reviewer, oldest contract first, lowest confidence first."""
    return (
        contract_fields_for_user(user)
        .filter(status=FieldStatus.NEEDS_REVIEW, contract__status=ContractStatus.READY)
        .select_related("contract", "contract__unit", "corrected_by")
        .order_by("contract__created_at", "contract_id", "confidence", "id")
    )


def rule_set_summary(r: ReviewRuleSet) -> dict[str, Any]:
    return {
        "id": r.pk,
        "version": r.version,
        "status": r.status,
        "thresholds": r.thresholds,
        "enabled_codes": r.enabled_codes,
        "note": r.note,
        "created_by": r.created_by.username if r.created_by_id else "",  # type: ignore[union-attr]
        "created_at": r.created_at,
        "published_at": r.published_at,
    }


def batch_summary(b: ContractBatch) -> dict[str, Any]:
    processed = b.done + b.failed
    return {
        "id": b.pk,
        "status": b.status,
        "total": b.total,
        "done": b.done,
        "failed": b.failed,
        "progress": round(100 * processed / b.total) if b.total else 100,
        "errors": b.errors,
        "created_at": b.created_at,
        "finished_at": b.finished_at,
    }
