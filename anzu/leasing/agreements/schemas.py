"""Request and response schemas of the agreement endpoints (built from the presenters)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema

from anzu.common.api import InputSchema


class AgreementFileOut(Schema):
    document_id: int
    sha256: str
    url: str


class AgreementFilesOut(Schema):
    draft: AgreementFileOut | None
    org_signed: AgreementFileOut | None
    signed: AgreementFileOut | None


class AgreementActionsOut(Schema):
    sign_org: bool
    send: bool
    cancel: bool
    refresh: bool
    fetch_signed: bool


class AgreementOut(Schema):
    id: int
    number: str
    status: str
    status_label: str
    lease_id: int
    lease_code: str
    customer_name: str
    customer_kind: str
    template_id: int
    template_version: int
    provider: str
    flow_id: str
    signing_url: str
    files: AgreementFilesOut
    events: list[dict[str, Any]]
    cancel_reason: str
    created_by: str
    created_at: dt.datetime
    org_signed_at: dt.datetime | None
    sent_at: dt.datetime | None
    signed_at: dt.datetime | None
    closed_at: dt.datetime | None
    actions: AgreementActionsOut


class AgreementFilters(Schema):
    lease_id: int | None = None
    status: str | None = None


class AgreementIn(InputSchema):
    lease_id: int


class AgreementCancelIn(InputSchema):
    reason: str


class AgreementSendIn(InputSchema):
    """A company tenant signs through a transactor (经办人); unused for a person."""

    transactor_name: str = ""
    transactor_phone: str = ""


class TemplateOut(Schema):
    id: int
    version: int
    status: str
    status_label: str
    title: str
    body: str
    lessor_credit_code: str
    lessor_address: str
    property_fee_payer: str
    utilities_payer: str
    deposit_return_days: int
    repair_response_hours: int
    dispute_resolution: str
    arbitration_body: str
    created_at: dt.datetime
    published_at: dt.datetime | None


class TemplateIn(InputSchema):
    title: str
    body: str
    lessor_credit_code: str = ""
    lessor_address: str = ""
    property_fee_payer: str = "lessor"
    utilities_payer: str = "lessee"
    deposit_return_days: int = 30
    repair_response_hours: int = 24
    dispute_resolution: str = "court"
    arbitration_body: str = ""


class PlaceholderOut(Schema):
    name: str
    label: str


class CallbackAck(Schema):
    code: str
    message: str
