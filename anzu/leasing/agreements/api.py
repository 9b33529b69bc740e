"""REST endpoints of lease agreements (mounted at /api/v1 by anzu/api.py).

``/esign/callback/{provider}`` receives the e-signature platform's notifications: no
authentication and no CSRF token — the platform's signature is the authentication; a bad one is
a 401 and a flow no agreement has is a 404, with nothing written either way.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from anzu.common.api import ERRORS, ErrorOut, PageOut, PageParams, caller, page_of
from anzu.common.errors import NotFound, PermissionDenied
from anzu.core import access
from anzu.leasing.agreements import services
from anzu.leasing.agreements.access import (
    agreement_for_user,
    agreements_for_user,
    template_for_user,
    templates_for_user,
)
from anzu.leasing.agreements.presenters import (
    WHICH,
    document_of,
    placeholder_catalog,
    present_agreement,
    present_template,
    sees_documents,
)
from anzu.leasing.agreements.schemas import (
    AgreementCancelIn,
    AgreementFilters,
    AgreementIn,
    AgreementOut,
    AgreementSendIn,
    CallbackAck,
    PlaceholderOut,
    TemplateIn,
    TemplateOut,
)

router = Router(tags=["Lease agreements"])
ERRORS_502 = {**ERRORS, 502: ErrorOut}


def _agreement(user: Any, pk: int) -> Any:
    return agreement_for_user(user, pk)


def _out(user: Any, pk: int) -> dict[str, Any]:
    return present_agreement(user, agreement_for_user(user, pk))


@router.get("/agreements", response={200: PageOut[AgreementOut], **ERRORS})
def agreement_list(
    request: HttpRequest, filters: Query[AgreementFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = agreements_for_user(user).select_related("lease__customer", "template", "created_by")
    if filters.lease_id is not None:
        qs = qs.filter(lease_id=filters.lease_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    return page_of(
        qs.order_by("-created_at", "-id"),
        params=paging,
        present=lambda a: present_agreement(user, a),
    )


@router.post("/agreements", response={201: AgreementOut, **ERRORS})
def agreement_generate(request: HttpRequest, payload: AgreementIn) -> Any:
    """Generate the contract PDF of a lease from the published template (``lease.write``)."""
    from anzu.leasing.access import lease_for_user

    user = caller(request)
    access.require(user, "lease.write")
    try:
        lease = lease_for_user(user, payload.lease_id)
    except NotFound:
        raise NotFound("lease", field="lease_id") from None
    agreement = services.agreement_generate(lease=lease, by=user)
    return Status(201, _out(user, agreement.pk))


@router.get("/agreements/{int:agreement_id}", response={200: AgreementOut, **ERRORS})
def agreement_detail(request: HttpRequest, agreement_id: int) -> Any:
    user = caller(request)
    return _out(user, agreement_id)


@router.post("/agreements/{int:agreement_id}/sign-org", response={200: AgreementOut, **ERRORS})
def agreement_sign_org(request: HttpRequest, agreement_id: int) -> Any:
    user = caller(request)
    services.agreement_sign_org(agreement=_agreement(user, agreement_id), by=user)
    return _out(user, agreement_id)


@router.post("/agreements/{int:agreement_id}/send", response={200: AgreementOut, **ERRORS_502})
def agreement_send(
    request: HttpRequest, agreement_id: int, payload: AgreementSendIn | None = None
) -> Any:
    user = caller(request)
    services.agreement_send(
        agreement=_agreement(user, agreement_id),
        by=user,
        transactor_name=payload.transactor_name if payload else "",
        transactor_phone=payload.transactor_phone if payload else "",
    )
    return _out(user, agreement_id)


@router.post("/agreements/{int:agreement_id}/refresh", response={200: AgreementOut, **ERRORS_502})
def agreement_refresh(request: HttpRequest, agreement_id: int) -> Any:
    user = caller(request)
    services.agreement_refresh(agreement=_agreement(user, agreement_id), by=user)
    return _out(user, agreement_id)


@router.post(
    "/agreements/{int:agreement_id}/fetch-signed", response={200: AgreementOut, **ERRORS_502}
)
def agreement_fetch_signed(request: HttpRequest, agreement_id: int) -> Any:
    user = caller(request)
    services.agreement_fetch_signed(agreement=_agreement(user, agreement_id), by=user)
    return _out(user, agreement_id)


@router.post("/agreements/{int:agreement_id}/cancel", response={200: AgreementOut, **ERRORS_502})
def agreement_cancel(request: HttpRequest, agreement_id: int, payload: AgreementCancelIn) -> Any:
    user = caller(request)
    services.agreement_cancel(
        agreement=_agreement(user, agreement_id), reason=payload.reason, by=user
    )
    return _out(user, agreement_id)


def pdf_response(agreement: Any, which: str, *, user: Any, inline: bool) -> HttpResponse:
    """One of the agreement's PDFs; refused without the right to the full text; audited."""
    from anzu.documents.services import document_content

    if which not in WHICH:
        raise NotFound("document", field="which")
    if not sees_documents(user, agreement):
        raise PermissionDenied()
    doc = document_of(agreement, which)
    if doc is None:
        raise NotFound("document", field="which")
    services.agreement_record_download(agreement=agreement, which=which, by=user)
    response = HttpResponse(document_content(doc), content_type="application/pdf")
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{agreement.number}-{which}.pdf"'
    return response


@router.get("/agreements/{int:agreement_id}/pdf/{which}", response={**ERRORS})
def agreement_pdf(request: HttpRequest, agreement_id: int, which: str) -> Any:
    user = caller(request)
    return pdf_response(_agreement(user, agreement_id), which, user=user, inline=False)


class SignatureOut(Schema):
    field: str
    signer: str
    intact: bool
    valid: bool
    trusted: bool


@router.get(
    "/agreements/{int:agreement_id}/signatures/{which}",
    response={200: list[SignatureOut], **ERRORS},
)
def agreement_signatures(request: HttpRequest, agreement_id: int, which: str) -> Any:
    """Every signature of one of the agreement's PDFs: intact, and trusted against the
    organization's root (the tenant's is trusted by the platform's CA, not ours)."""
    user = caller(request)
    agreement = _agreement(user, agreement_id)
    if which not in WHICH:
        raise NotFound("document", field="which")
    doc = document_of(agreement, which)
    if doc is None:
        raise NotFound("document", field="which")
    return services.agreement_signatures(agreement=agreement, document=doc)


# Templates ------------------------------------------------------------------------------------


@router.get("/agreement-templates", response={200: PageOut[TemplateOut], **ERRORS})
def template_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "lease.view")
    services.agreement_templates_ensure_default(organization_id=access.org_id(user))
    return page_of(
        templates_for_user(user).order_by("-version", "id"), params=paging, present=present_template
    )


@router.get("/agreement-templates/placeholders", response={200: list[PlaceholderOut], **ERRORS})
def template_placeholders(request: HttpRequest) -> Any:
    access.require(caller(request), "lease.view")
    return placeholder_catalog()


@router.get("/agreement-templates/{int:template_id}", response={200: TemplateOut, **ERRORS})
def template_detail(request: HttpRequest, template_id: int) -> Any:
    return present_template(template_for_user(caller(request), template_id))


@router.post("/agreement-templates", response={201: TemplateOut, **ERRORS})
def template_save(request: HttpRequest, payload: TemplateIn) -> Any:
    """Save the draft version (``contract.full``); unknown placeholders are refused by field."""
    template = services.agreement_template_save(data=payload.model_dump(), by=caller(request))
    return Status(201, present_template(template))


@router.post(
    "/agreement-templates/{int:template_id}/publish", response={200: TemplateOut, **ERRORS}
)
def template_publish(request: HttpRequest, template_id: int) -> Any:
    user = caller(request)
    access.require(user, "contract.full")
    template = template_for_user(user, template_id)
    return present_template(services.agreement_template_publish(template=template, by=user))


# Platform notifications -----------------------------------------------------------------------


@router.post(
    "/esign/callback/{provider}",
    auth=None,
    response={200: CallbackAck, **ERRORS},
    tags=["E-signature"],
)
def esign_callback(request: HttpRequest, provider: str) -> Any:
    services.agreement_callback(
        provider_name=provider, headers=dict(request.headers), body=request.body
    )
    return {"code": "0", "message": "success"}
