"""REST endpoints of the contract archive (``/api/v1/contracts``).

``POST /contracts`` uploads one file (multipart ``file``) and answers 202 with the pending
contract; ``GET /contracts/{id}`` shows it once read. The same file twice is a 409
``already_archived`` naming the existing contract (``contract_id``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status, UploadedFile

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import ValidationFailed
from anzu.contracts import selectors, services
from anzu.contracts.access import (
    batch_for_user,
    batches_for_user,
    contract_field_for_user,
    contract_for_user,
    rule_set_for_user,
    rule_sets_for_user,
)
from anzu.contracts.choices import FieldStatus
from anzu.contracts.models import ContractPage
from anzu.contracts.presenters import (
    Viewer,
    present_contract,
    present_detail,
    present_field,
    present_finding,
)
from anzu.contracts.schemas import (
    BatchOut,
    ContractDetailOut,
    ContractFilters,
    ContractOut,
    ContractTextOut,
    FieldFilters,
    FieldOut,
    FieldReviewIn,
    FindingOut,
    RuleSetIn,
    RuleSetOut,
)
from anzu.core import access

router = Router(tags=["contracts"])


def _read_upload(upload: UploadedFile, field: str = "file") -> bytes:
    from anzu.contracts.reading import max_bytes

    if (upload.size or 0) > max_bytes():
        raise ValidationFailed("too_large", "The file is too large.", field=field)
    return bytes(upload.read())


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    safe = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


@router.get("/contracts", response={200: PageOut[ContractOut], **ERRORS})
def contract_list(
    request: HttpRequest, filters: Query[ContractFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "contract.view")
    viewer = Viewer(user)
    qs = selectors.contract_search(
        user,
        project_id=filters.project_id,
        building_id=filters.building_id,
        unit_id=filters.unit_id,
        status=filters.status or "",
        risk_level=filters.risk_level or "",
    )
    return page_of(qs, params=paging, present=lambda c: present_contract(viewer, c))


@router.post("/contracts", response={202: ContractOut, **ERRORS})
def contract_upload(
    request: HttpRequest,
    file: File[UploadedFile],
    title: Form[str] = "",
    project_id: Form[int | None] = None,
    building_id: Form[int | None] = None,
    unit_id: Form[int | None] = None,
    lease_id: Form[int | None] = None,
) -> Any:
    """Upload a PDF, JPEG, PNG or TIFF (or UTF-8 .txt); it is read in the background."""
    user = caller(request)
    contract = services.contract_upload(
        by=user,
        file_bytes=_read_upload(file),
        filename=file.name or "",
        title=title,
        project_id=project_id,
        building_id=building_id,
        unit_id=unit_id,
        lease_id=lease_id,
    )
    return Status(202, present_contract(Viewer(user), contract_for_user(user, contract.pk)))


@router.get("/contracts/fields", response={200: PageOut[FieldOut], **ERRORS})
def field_list(
    request: HttpRequest, filters: Query[FieldFilters], paging: Query[PageParams]
) -> Any:
    """Extracted fields; ``status=needs_review`` is the review queue."""
    user = caller(request)
    access.require(user, "contract.view")
    viewer = Viewer(user)
    if filters.status == FieldStatus.NEEDS_REVIEW:
        qs = selectors.review_queue(user)
    else:
        from anzu.contracts.access import contract_fields_for_user

        qs = (
            contract_fields_for_user(user)
            .select_related("corrected_by")
            .order_by("contract_id", "id")
        )
        if filters.status in FieldStatus.values:
            qs = qs.filter(status=filters.status)
    if filters.contract_id is not None:
        qs = qs.filter(contract_id=filters.contract_id)
    return page_of(qs, params=paging, present=lambda f: present_field(viewer, f))


@router.post("/contracts/fields/{int:field_id}", response={200: FieldOut, **ERRORS})
def field_review(request: HttpRequest, field_id: int, payload: FieldReviewIn) -> Any:
    """Correct a field (``{"value": …}``) or confirm it (``{"confirm": true}``)."""
    user = caller(request)
    field = contract_field_for_user(user, field_id)
    updated = services.contract_field_review(
        field=field, by=user, value=payload.value, confirm=payload.confirm
    )
    return present_field(Viewer(user), contract_field_for_user(user, updated.pk))


@router.get("/contracts/rule-sets", response={200: PageOut[RuleSetOut], **ERRORS})
def rule_set_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "contract.view")
    qs = rule_sets_for_user(user).select_related("created_by").order_by("-version")
    return page_of(qs, params=paging, present=selectors.rule_set_summary)


@router.post("/contracts/rule-sets", response={201: RuleSetOut, **ERRORS})
def rule_set_save(request: HttpRequest, payload: RuleSetIn) -> Any:
    """Save the draft version (created when there is none)."""
    draft = services.rule_set_save(by=caller(request), **payload.model_dump())
    return Status(201, selectors.rule_set_summary(draft))


@router.post("/contracts/rule-sets/{int:rule_set_id}/publish", response={200: RuleSetOut, **ERRORS})
def rule_set_publish(request: HttpRequest, rule_set_id: int) -> Any:
    user = caller(request)
    rule_set = rule_set_for_user(user, rule_set_id)
    return selectors.rule_set_summary(services.rule_set_publish(rule_set=rule_set, by=user))


@router.get("/contracts/batches", response={200: PageOut[BatchOut], **ERRORS})
def batch_list(request: HttpRequest, paging: Query[PageParams]) -> Any:
    user = caller(request)
    access.require(user, "contract.write")
    return page_of(batches_for_user(user), params=paging, present=selectors.batch_summary)


@router.post("/contracts/batches", response={202: BatchOut, **ERRORS})
def batch_create(
    request: HttpRequest,
    files: File[list[UploadedFile]],
    project_id: Form[int | None] = None,
    building_id: Form[int | None] = None,
) -> Any:
    """Upload several files or zip archives; poll ``GET /contracts/batches/{id}``."""
    user = caller(request)
    batch = services.contract_batch_create(
        by=user,
        files=[(f.name or "", _read_upload(f, "files")) for f in files],
        project_id=project_id,
        building_id=building_id,
    )
    return Status(202, selectors.batch_summary(batch_for_user(user, batch.pk)))


@router.get("/contracts/batches/{int:batch_id}", response={200: BatchOut, **ERRORS})
def batch_detail(request: HttpRequest, batch_id: int) -> Any:
    return selectors.batch_summary(batch_for_user(caller(request), batch_id))


@router.get("/contracts/{int:contract_id}", response={200: ContractDetailOut, **ERRORS})
def contract_detail(request: HttpRequest, contract_id: int) -> Any:
    user = caller(request)
    return present_detail(Viewer(user), contract_for_user(user, contract_id))


@router.get("/contracts/{int:contract_id}/fields", response={200: list[FieldOut], **ERRORS})
def contract_fields(request: HttpRequest, contract_id: int) -> Any:
    user = caller(request)
    contract = contract_for_user(user, contract_id)
    viewer = Viewer(user)
    return [present_field(viewer, f) for f in contract.fields.select_related("corrected_by")]  # type: ignore[attr-defined]


@router.get("/contracts/{int:contract_id}/findings", response={200: list[FindingOut], **ERRORS})
def contract_findings(request: HttpRequest, contract_id: int) -> Any:
    user = caller(request)
    contract = contract_for_user(user, contract_id)
    viewer = Viewer(user)
    return [present_finding(viewer, f) for f in contract.findings.all()]  # type: ignore[attr-defined]


@router.get("/contracts/{int:contract_id}/text", response={200: ContractTextOut, **ERRORS})
def contract_text(request: HttpRequest, contract_id: int) -> Any:
    """The full text and pages (``contract.full``); every call is an audit event."""
    user = caller(request)
    contract = contract_for_user(user, contract_id)
    text = services.contract_view_full(contract=contract, by=user)
    pages = [
        {"number": p.number, "offset": p.offset, "source": p.source, "lines": p.lines}
        for p in ContractPage.objects.filter(contract=contract)
    ]
    return {"id": contract.pk, "text": text, "pages": pages}


@router.get("/contracts/{int:contract_id}/file", response={**ERRORS}, url_name="contract_file")
def contract_file(request: HttpRequest, contract_id: int) -> Any:
    user = caller(request)
    contract = contract_for_user(user, contract_id)
    return _download(*services.contract_download(contract=contract, by=user, what="file"))


@router.get("/contracts/{int:contract_id}/report", response={**ERRORS}, url_name="contract_report")
def contract_report(request: HttpRequest, contract_id: int) -> Any:
    """The review report as a PDF (``contract.full``); audited."""
    user = caller(request)
    contract = contract_for_user(user, contract_id)
    return _download(*services.contract_download(contract=contract, by=user, what="report"))


@router.post("/contracts/{int:contract_id}/retry", response={200: ContractOut, **ERRORS})
def contract_retry(request: HttpRequest, contract_id: int) -> Any:
    user = caller(request)
    contract = services.contract_retry(contract=contract_for_user(user, contract_id), by=user)
    return present_contract(Viewer(user), contract_for_user(user, contract.pk))
