"""Request and response schemas of the contract archive API (built from the presenters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema

from anzu.common.api import InputSchema


class ContractOut(Schema):
    id: int
    title: str
    original_name: str
    status: str
    status_label: str
    error: str
    source: str
    page_count: int
    ocr_confidence: float | None
    project_id: int | None
    project_name: str
    building_id: int | None
    building_name: str
    unit_id: int | None
    unit_code: str
    lease_id: int | None
    lessor_name: str
    lessee_name: str
    address: str
    start_date: dt.date | None
    end_date: dt.date | None
    monthly_rent: Decimal | None
    deposit: Decimal | None
    market_rent: Decimal | None
    amounts_hidden: bool
    risk_level: str
    risk_label: str
    rule_set_version: int | None
    sha256: str
    batch_id: int | None
    created_at: dt.datetime
    file_url: str
    report_url: str


class FieldOut(Schema):
    id: int
    contract_id: int
    name: str
    label: str
    value: Any = None
    hidden: bool
    original_value: Any = None
    evidence: str
    start: int | None
    end: int | None
    page: int | None
    box: list[list[int]] | None
    confidence: float
    status: str
    status_label: str
    corrected_by: str
    corrected_at: dt.datetime | None


class FindingOut(Schema):
    id: int
    code: str
    severity: str
    severity_label: str
    message: str
    basis: str
    evidence: str
    start: int | None
    end: int | None
    page: int | None
    rule_set_version: int | None


class ContractDetailOut(ContractOut):
    fields: list[FieldOut]
    findings: list[FindingOut]


class ContractTextOut(Schema):
    id: int
    text: str
    pages: list[dict[str, Any]]


class ContractFilters(Schema):
    project_id: int | None = None
    building_id: int | None = None
    unit_id: int | None = None
    status: str | None = None
    risk_level: str | None = None


class FieldFilters(Schema):
    status: str | None = None
    contract_id: int | None = None


class FieldReviewIn(InputSchema):
    """``{"value": …}`` corrects the field; ``{"confirm": true}`` confirms it as read."""

    value: Any = None
    confirm: bool = False


class RuleSetOut(Schema):
    id: int
    version: int
    status: str
    thresholds: dict[str, Any]
    enabled_codes: list[str]
    note: str
    created_by: str
    created_at: dt.datetime
    published_at: dt.datetime | None


class RuleSetIn(InputSchema):
    thresholds: dict[str, Any]
    enabled_codes: list[str]
    note: str = ""


class BatchErrorOut(Schema):
    file: str
    code: str
    message: str


class BatchOut(Schema):
    id: int
    status: str
    total: int
    done: int
    failed: int
    progress: int
    errors: list[BatchErrorOut]
    created_at: dt.datetime
    finished_at: dt.datetime | None
