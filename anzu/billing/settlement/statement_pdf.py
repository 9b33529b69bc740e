"""The signed PDF of a final statement (结算单): rendered in Chinese, signed, then archived."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from anzu.billing.choices import BillKind
from anzu.billing.settlement.choices import ItemCondition
from anzu.billing.settlement.models import SettlementCase
from anzu.common.money import fmt
from anzu.core.models import Organization
from anzu.documents.pdf import render_pdf, sign_pdf

TEMPLATE = "settlement/statement_pdf.html"
# The PDF is Chinese whatever the reader's language.
KIND_ZH = {
    BillKind.RENT.value: "租金",
    BillKind.DEPOSIT.value: "押金",
    BillKind.PROPERTY_FEE.value: "物业费",
    BillKind.UTILITY.value: "水电燃气",
    BillKind.LATE_FEE.value: "滞纳金",
    BillKind.OTHER.value: "其他费用",
}
CONDITION_ZH = {
    ItemCondition.OK.value: "完好",
    ItemCondition.DAMAGED.value: "损坏",
    ItemCondition.MISSING.value: "缺失",
}


def _yuan(value: str) -> str:
    return fmt(Decimal(value))


def statement_context(case: SettlementCase, statement: dict[str, Any]) -> dict[str, Any]:
    totals = {k: _yuan(v) for k, v in statement["totals"].items()}
    return {
        "title": "退租结算单",
        "case_id": case.pk,
        "statement": statement,
        "totals": totals,
        "lines": [
            {
                **line,
                "kind_zh": KIND_ZH.get(line["kind"], line["kind"]),
                "yuan": _yuan(line["outstanding"]),
            }
            for line in statement["lines"]
        ],
        "damages": [
            {
                **d,
                "condition_zh": CONDITION_ZH.get(d["condition"], d["condition"]),
                "yuan": _yuan(d["amount"]),
            }
            for d in statement["damages"]
        ],
        "owes": Decimal(statement["totals"]["still_owed"]) > 0,
        "refunds": Decimal(statement["totals"]["refund_to_tenant"]) > 0,
    }


def statement_pdf(
    case: SettlementCase, statement: dict[str, Any], organization: Organization
) -> bytes:
    """Render and sign the statement PDF with the organization's key."""
    context = statement_context(case, statement)
    context["org"] = organization.name
    pdf = render_pdf(template_name=TEMPLATE, context=context)
    return sign_pdf(pdf, organization=organization, reason=f"退租结算单 #{case.pk}")
