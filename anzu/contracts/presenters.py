"""What a user may see of an archived contract (the API, the pages and the report use these).

- Summaries (``contract.view``): title, placement, status, parties, dates, risk level, findings.
- Amounts (rent, deposit, market rent, penalty) only with ``amounts.view``; else ``None``.
- Identity numbers only with ``pii.view``; else masked.
- Full text, evidence spans and the file only with ``contract.full``; summaries without it show
  the findings and fields without their evidence.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anzu.common.crypto import mask_id_number
from anzu.contracts.models import Contract, ContractField, ContractFinding
from anzu.core import access

AMOUNT_FIELDS = frozenset({"monthly_rent", "deposit", "penalty_amount"})
PII_FIELDS = frozenset({"lessor_id", "lessee_id"})

FIELD_LABELS: dict[str, Any] = {
    "lessor": gettext_lazy("Lessor"),
    "lessee": gettext_lazy("Lessee"),
    "lessor_id": gettext_lazy("Lessor ID number"),
    "lessee_id": gettext_lazy("Lessee ID number"),
    "address": gettext_lazy("Address"),
    "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End date"),
    "term_months": gettext_lazy("Term (months)"),
    "monthly_rent": gettext_lazy("Monthly rent"),
    "deposit": gettext_lazy("Deposit"),
    "deposit_months": gettext_lazy("Deposit (months of rent)"),
    "pay_months": gettext_lazy("Months paid at a time"),
    "rent_free_days": gettext_lazy("Rent-free days"),
    "due_day": gettext_lazy("Rent due day"),
    "late_fee_daily_rate": gettext_lazy("Daily late fee rate"),
    "penalty_amount": gettext_lazy("Penalty"),
    "property_fee_party": gettext_lazy("Property fee paid by"),
    "utilities_party": gettext_lazy("Utilities paid by"),
    "renewal_terms": gettext_lazy("Renewal terms"),
    "sublet_terms": gettext_lazy("Sublet terms"),
    "repair_responsibility": gettext_lazy("Repair responsibility"),
    "dispute_resolution": gettext_lazy("Dispute resolution"),
    "deposit_return_terms": gettext_lazy("Deposit return"),
    "deposit_deduction_terms": gettext_lazy("Deposit deductions"),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


class Viewer:
    """The field-visibility rights of one user, computed once per request."""

    def __init__(self, user: Any) -> None:
        self.amounts = access.sees_amounts(user)
        self.pii = access.sees_pii(user)
        self.full = access.can(user, "contract.full")
        self.write = access.can(user, "contract.write")


def _value(viewer: Viewer, name: str, value: Any) -> tuple[Any, bool]:
    """The value shown and whether it was hidden."""
    if value is None:
        return None, False
    if name in AMOUNT_FIELDS and not viewer.amounts:
        return None, True
    if name in PII_FIELDS and not viewer.pii:
        return mask_id_number(str(value)), True
    return value, False


def present_field(viewer: Viewer, f: ContractField) -> dict[str, Any]:
    value, hidden = _value(viewer, f.name, f.value)
    original, _hidden = _value(viewer, f.name, f.original_value)
    show_span = viewer.full and not hidden
    return {
        "id": f.pk,
        "contract_id": f.contract_id,
        "name": f.name,
        "label": field_label(f.name),
        "value": value,
        "hidden": hidden,
        "original_value": original,
        "evidence": f.evidence if show_span else "",
        "start": f.start if viewer.full else None,
        "end": f.end if viewer.full else None,
        "page": f.page,
        "box": f.box if viewer.full else None,
        "confidence": f.confidence,
        "status": f.status,
        "status_label": str(f.get_status_display()),
        "corrected_by": f.corrected_by.username if f.corrected_by_id else "",  # type: ignore[union-attr]
        "corrected_at": f.corrected_at,
    }


def present_finding(viewer: Viewer, f: ContractFinding) -> dict[str, Any]:
    return {
        "id": f.pk,
        "code": f.code,
        "severity": f.severity,
        "severity_label": str(f.get_severity_display()),
        "message": f.message,
        "basis": f.basis,
        "evidence": f.evidence if viewer.full else "",
        "start": f.start if viewer.full else None,
        "end": f.end if viewer.full else None,
        "page": f.page,
        "rule_set_version": f.rule_set_version,
    }


def present_contract(viewer: Viewer, c: Contract) -> dict[str, Any]:
    return {
        "id": c.pk,
        "title": c.title,
        "original_name": c.original_name,
        "status": c.status,
        "status_label": str(c.get_status_display()),
        "error": c.error,
        "source": c.source,
        "page_count": c.page_count,
        "ocr_confidence": c.ocr_confidence,
        "project_id": c.project_id,
        "project_name": c.project.name if c.project_id else "",  # type: ignore[union-attr]
        "building_id": c.building_id,
        "building_name": c.building.name if c.building_id else "",  # type: ignore[union-attr]
        "unit_id": c.unit_id,
        "unit_code": c.unit.code if c.unit_id else "",  # type: ignore[union-attr]
        "lease_id": c.lease_id,
        "lessor_name": c.lessor_name,
        "lessee_name": c.lessee_name,
        "address": c.address,
        "start_date": c.start_date,
        "end_date": c.end_date,
        "monthly_rent": c.monthly_rent if viewer.amounts else None,
        "deposit": c.deposit if viewer.amounts else None,
        "market_rent": c.market_rent if viewer.amounts else None,
        "amounts_hidden": not viewer.amounts,
        "risk_level": c.risk_level,
        "risk_label": str(c.get_risk_level_display()) if c.risk_level else "",
        "rule_set_version": c.rule_set_version,
        "sha256": c.sha256,
        "batch_id": c.batch_id,
        "created_at": c.created_at,
        "file_url": reverse("api-1:contract_file", args=[c.pk]) if viewer.full else "",
        "report_url": reverse("api-1:contract_report", args=[c.pk]) if viewer.full else "",
    }


def present_detail(viewer: Viewer, c: Contract) -> dict[str, Any]:
    fields = c.fields.select_related("corrected_by").order_by("id")  # type: ignore[attr-defined]
    findings = c.findings.order_by("id")  # type: ignore[attr-defined]
    return {
        **present_contract(viewer, c),
        "fields": [present_field(viewer, f) for f in fields],
        "findings": [present_finding(viewer, f) for f in findings],
    }


def highlight(text: str, spans: list[tuple[int, int, str]]) -> list[dict[str, Any]]:
    """``text`` cut into segments for the template: ``{"text", "mark", "anchor"}``.

    Overlapping spans are merged into the first; ``anchor`` is the span's id for links.
    """
    segments: list[dict[str, Any]] = []
    cursor = 0
    for start, end, anchor in sorted(spans):
        if start < cursor or end <= start or end > len(text):
            continue
        if start > cursor:
            segments.append({"text": text[cursor:start], "mark": False, "anchor": ""})
        segments.append({"text": text[start:end], "mark": True, "anchor": anchor})
        cursor = end
    if cursor < len(text):
        segments.append({"text": text[cursor:], "mark": False, "anchor": ""})
    return segments


def report_pdf(contract: Contract, user: Any) -> bytes:
    """The review report: metadata, risk level, findings with basis and evidence, fields."""
    from anzu.common import clock
    from anzu.documents.pdf import render_pdf

    viewer = Viewer(user)
    detail = present_detail(viewer, contract)
    return render_pdf(
        template_name="contracts/report_pdf.html",
        context={
            "title": _("Contract review report"),
            "c": detail,
            "generated_at": clock.now(),
            "generated_by": user.username,
        },
    )
