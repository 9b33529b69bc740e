"""REST endpoints of the audit trail and the verifiable log (for auditors' tools)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of
from anzu.common.errors import NotFound, ValidationFailed
from anzu.core import access
from anzu.risk import auditlog, keys, selectors
from anzu.risk.models import SignedCheckpoint

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    id: int
    created_at: dt.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    request_id: str
    ip: str | None
    user_agent: str


class AuditFilters(Schema):
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    actor: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


class ProofOut(Schema):
    index: int
    size: int
    leaf_hash: str
    proof: list[str]


@router.get("/audit/events", response={200: PageOut[AuditEventOut], **ERRORS})
def audit_events(
    request: HttpRequest, filters: Query[AuditFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    access.require(user, "audit.view")
    qs = selectors.audit_events_for_user(user, **filters.model_dump())
    return page_of(qs, params=paging)


def _text(body: str) -> HttpResponse:
    return HttpResponse(body, content_type="text/plain; charset=utf-8")


@router.get("/audit/checkpoint", response={**ERRORS})
def audit_checkpoint(request: HttpRequest) -> Any:
    access.require(caller(request), "audit.view")
    latest = SignedCheckpoint.objects.order_by("-id").first()
    if latest is None:
        raise NotFound("checkpoint")
    return _text(latest.note)


@router.get("/audit/vkey", response={**ERRORS})
def audit_vkey(request: HttpRequest) -> Any:
    access.require(caller(request), "audit.view")
    return _text(keys.vkey() + "\n")


@router.get("/audit/proof", response={200: ProofOut, **ERRORS})
def audit_proof(request: HttpRequest, index: int, size: int | None = None) -> Any:
    access.require(caller(request), "audit.view")
    try:
        return auditlog.prove(index=index, size=size)
    except auditlog.ProofError as exc:
        raise ValidationFailed("out_of_range", str(exc), field="index") from None


@router.get("/audit/consistency", response={200: dict[str, Any], **ERRORS})
def audit_consistency(request: HttpRequest, old_size: int, new_size: int) -> Any:
    access.require(caller(request), "audit.view")
    try:
        return auditlog.consistency(old_size=old_size, new_size=new_size)
    except auditlog.ProofError as exc:
        raise ValidationFailed("out_of_range", str(exc), field="old_size") from None
