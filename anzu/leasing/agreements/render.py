"""Laying out a lease contract: the placeholder values of a lease, the HTML, the PDF.

Signing and archiving are the services' business (:mod:`anzu.leasing.agreements.services`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.safestring import mark_safe

from anzu.common.money import fmt
from anzu.core.models import Organization
from anzu.documents.notice_text import amount_in_words, chinese_date
from anzu.documents.pdf import render_pdf
from anzu.leasing.agreements.choices import DisputeResolution, Party
from anzu.leasing.agreements.placeholders import fill

CONTRACT_TEMPLATE = "agreements/contract.html"
BLANK = "＿＿＿＿＿＿"
PARTY_TEXT = {Party.LESSOR: "甲方", Party.LESSEE: "乙方"}


def months_between(start: dt.date, end: dt.date) -> tuple[int, int]:
    """Whole months and remaining days from ``start`` through ``end`` (inclusive)."""
    after = end + dt.timedelta(days=1)
    months = (after.year - start.year) * 12 + after.month - start.month
    if after.day < start.day:
        months -= 1
    anchor_month = start.month - 1 + months
    year, month = start.year + anchor_month // 12, anchor_month % 12 + 1
    try:
        anchor = dt.date(year, month, start.day)
    except ValueError:  # e.g. the 31st in a shorter month
        anchor = dt.date(year, month + 1, 1) if month < 12 else dt.date(year + 1, 1, 1)
    return months, max(0, (after - anchor).days)


def term_text(start: dt.date, end: dt.date) -> str:
    months, days = months_between(start, end)
    if months and days:
        return f"{months}个月{days}日"
    if months:
        return f"{months}个月"
    return f"{days}日"


def due_day_text(lease: Any) -> str:
    if lease.due_day_rule == "day_of_month":
        return f"每期租金应于该期首月{lease.due_day_value}日前支付"
    if lease.due_day_value:
        return f"每期租金应于该期开始前{lease.due_day_value}日支付"
    return "每期租金应于该期开始当日支付"


def rent_free_text(periods: list[dict[str, str]]) -> str:
    if not periods:
        return "无"
    parts = []
    for period in periods:
        start = dt.date.fromisoformat(period["start"])
        end = dt.date.fromisoformat(period["end"])
        parts.append(f"{chinese_date(start)}至{chinese_date(end)}")
    return "、".join(parts) + "，免租期内免收租金，其他费用照常承担"


def escalation_text(lease: Any) -> str:
    if lease.escalation_pct is None or not lease.escalation_every_months:
        return "租赁期内租金不作调整"
    return (
        f"每满{lease.escalation_every_months}个月，月租金在上一期基础上递增{lease.escalation_pct}%"
    )


def late_fee_text(lease: Any) -> str:
    rate = Decimal(lease.late_fee_daily_rate or 0)
    if rate <= 0:
        return "应于甲方催告后七日内付清，逾期未付的甲方有权依照第九条解除合同"
    percent = (rate * 100).normalize()
    grace = f"（宽限期{lease.late_fee_grace_days}日）" if lease.late_fee_grace_days else ""
    return f"每逾期一日，按应付未付租金的{percent:f}%向甲方支付滞纳金{grace}"


def dispute_text(template: Any) -> str:
    if template.dispute_resolution == DisputeResolution.ARBITRATION:
        return f"提交{template.arbitration_body}仲裁"
    return "依法向房屋所在地人民法院提起诉讼"


def premises_address(lease: Any) -> str:
    address = (lease.building.address or "").strip()
    if address:
        return address
    project = lease.project
    return f"{project.city or ''}{project.district or ''}{project.name}".strip() or BLANK


def contract_values(
    *,
    organization: Organization,
    lease: Any,
    template: Any,
    number: str,
    on: dt.date,
) -> dict[str, str]:
    """Every placeholder's text for ``lease`` under ``template`` (blank lines for what is
    missing, as on a paper contract)."""
    customer = lease.customer
    unit = lease.unit
    with translation.override("zh-hans"):
        id_type = str(customer.get_id_type_display())
    return {
        "agreement_number": number,
        "lease_code": lease.code,
        "sign_date": chinese_date(on),
        "lessor_name": organization.name,
        "lessor_credit_code": template.lessor_credit_code or BLANK,
        "lessor_address": template.lessor_address or BLANK,
        "lessee_name": customer.name,
        "lessee_id_type": id_type,
        "lessee_id_number": customer.id_number or BLANK,
        "lessee_phone": customer.phone or BLANK,
        "premises_address": premises_address(lease),
        "project_name": lease.project.name,
        "building_name": lease.building.name,
        "unit_code": unit.code,
        "unit_area": f"{unit.area_m2:.2f}",
        "unit_layout": unit.layout or BLANK,
        "use": "居住",
        "start_date": chinese_date(lease.start_date),
        "end_date": chinese_date(lease.end_date),
        "term_text": term_text(lease.start_date, lease.end_date),
        "monthly_rent": fmt(lease.monthly_rent),
        "monthly_rent_upper": amount_in_words(lease.monthly_rent),
        "payment_cycle": f"押{lease.deposit_months}付{lease.pay_months}",
        "deposit_months": str(lease.deposit_months),
        "pay_months": str(lease.pay_months),
        "due_day_text": due_day_text(lease),
        "rent_free_text": rent_free_text(lease.rent_free_periods or []),
        "escalation_text": escalation_text(lease),
        "deposit": fmt(lease.deposit),
        "deposit_upper": amount_in_words(lease.deposit),
        "deposit_return_days": str(template.deposit_return_days),
        "property_fee_payer": PARTY_TEXT[Party(template.property_fee_payer)],
        "utilities_payer": PARTY_TEXT[Party(template.utilities_payer)],
        "repair_response_hours": str(template.repair_response_hours),
        "late_fee_text": late_fee_text(lease),
        "dispute_text": dispute_text(template),
    }


def contract_pdf(*, title: str, body: str, values: dict[str, str], sample: bool = False) -> bytes:
    """The contract as a PDF (A4, CJK font): the filled body and the signatures block."""
    html = fill(body, values)
    return render_pdf(
        template_name=CONTRACT_TEMPLATE,
        context={
            "title": title,
            "body": mark_safe(html),
            "values": values,
            "sample": sample,
        },
    )
