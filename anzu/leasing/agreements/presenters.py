"""What a user may see of agreements and templates (the API and the pages both use these).

The contract PDFs hold the tenant's ID number: their links are given only to ``contract.full``
(and to the tenant, for their own contract). The signing URL is the tenant's; staff who may send
agreements see it too.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from anzu.core import access
from anzu.leasing.agreements.choices import TRANSITIONS, AgreementStatus
from anzu.leasing.agreements.models import AgreementTemplate, LeaseAgreement
from anzu.leasing.agreements.placeholders import PLACEHOLDERS

WHICH = ("draft", "org_signed", "signed")


def document_of(agreement: LeaseAgreement, which: str) -> Any:
    return {
        "draft": agreement.draft_document,
        "org_signed": agreement.document,
        "signed": agreement.signed_document,
    }.get(which)


def sees_documents(user: Any, agreement: LeaseAgreement) -> bool:
    if access.is_tenant_user(user):
        return agreement.lease.customer_id == user.customer_id
    return access.can(user, "contract.full")


def present_agreement(user: Any, agreement: LeaseAgreement) -> dict[str, Any]:
    documents = sees_documents(user, agreement)
    can_write = access.can(user, "lease.write")
    allowed = TRANSITIONS.get(agreement.status, frozenset())
    files = {}
    for which in WHICH:
        doc = document_of(agreement, which)
        files[which] = (
            {
                "document_id": doc.pk,
                "sha256": doc.sha256,
                "url": reverse("agreements:pdf", args=[agreement.pk, which]) if documents else "",
            }
            if doc is not None
            else None
        )
    return {
        "id": agreement.pk,
        "number": agreement.number,
        "status": agreement.status,
        "status_label": str(agreement.get_status_display()),
        "lease_id": agreement.lease_id,
        "lease_code": agreement.lease.code,
        "customer_name": agreement.lease.customer.name,
        "customer_kind": agreement.lease.customer.kind,
        "template_id": agreement.template_id,
        "template_version": agreement.template.version,
        "provider": agreement.provider,
        "flow_id": agreement.flow_id,
        "signing_url": agreement.signing_url
        if (can_write or access.is_tenant_user(user))
        and agreement.status == AgreementStatus.SENT_FOR_SIGNATURE
        else "",
        "files": files,
        "events": list(agreement.events),
        "cancel_reason": agreement.cancel_reason,
        "created_by": agreement.created_by.username if agreement.created_by else "",
        "created_at": agreement.created_at,
        "org_signed_at": agreement.org_signed_at,
        "sent_at": agreement.sent_at,
        "signed_at": agreement.signed_at,
        "closed_at": agreement.closed_at,
        "actions": {
            "sign_org": AgreementStatus.ORG_SIGNED in allowed
            and access.can(user, "lease.activate"),
            "send": AgreementStatus.SENT_FOR_SIGNATURE in allowed and can_write,
            "cancel": AgreementStatus.CANCELLED in allowed and can_write,
            "refresh": agreement.status == AgreementStatus.SENT_FOR_SIGNATURE and can_write,
            "fetch_signed": agreement.status == AgreementStatus.SIGNED
            and agreement.signed_document_id is None
            and can_write,
        },
    }


def present_template(template: AgreementTemplate) -> dict[str, Any]:
    return {
        "id": template.pk,
        "version": template.version,
        "status": template.status,
        "status_label": str(template.get_status_display()),
        "title": template.title,
        "body": template.body,
        "lessor_credit_code": template.lessor_credit_code,
        "lessor_address": template.lessor_address,
        "property_fee_payer": template.property_fee_payer,
        "utilities_payer": template.utilities_payer,
        "deposit_return_days": template.deposit_return_days,
        "repair_response_hours": template.repair_response_hours,
        "dispute_resolution": template.dispute_resolution,
        "arbitration_body": template.arbitration_body,
        "created_at": template.created_at,
        "published_at": template.published_at,
    }


def placeholder_catalog() -> list[dict[str, str]]:
    return [{"name": name, "label": str(label)} for name, label in PLACEHOLDERS.items()]
