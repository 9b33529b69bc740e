"""REST endpoints for customers, leases and lease actions (``/api/v1``).

Handlers are thin: objects come from the access helpers, writes go through
:mod:`anzu.leasing.services`, and every customer or lease in a response is built by
:mod:`anzu.leasing.presenters` so masking is identical to the web UI.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.http import HttpRequest
from ninja import Query, Router, Status

from anzu.common.api import ERRORS, PageOut, PageParams, caller, page_of, page_of_ids
from anzu.common.crypto import blind_index
from anzu.common.db import is_postgres
from anzu.common.errors import ValidationFailed
from anzu.core.models import User
from anzu.leasing import access as leasing_access
from anzu.leasing import services
from anzu.leasing.models import Lease
from anzu.leasing.presenters import present_customer, present_lease
from anzu.leasing.schemas import (
    CustomerFilters,
    CustomerIn,
    CustomerOut,
    CustomerPatch,
    LeaseFilters,
    LeaseIn,
    LeaseOut,
    LeasePatch,
    TerminateIn,
    VersionIn,
    VoidIn,
)
from anzu.risk.approvals.schemas import ACCEPTED
from anzu.risk.approvals.web import accepted, is_request

router = Router(tags=["leasing"])

# A lease list loads the lease row plus the unit code and customer name, nothing else: fewer
# columns to build, and the customer's encrypted columns are never decrypted.
_LEASE_LIST_COLUMNS = (
    *(field.name for field in Lease._meta.concrete_fields),
    "unit__code",
    "customer__name",
)


# Customers --------------------------------------------------------------------------------


@router.get("/customers", response={200: PageOut[CustomerOut], **ERRORS})
def customer_list(
    request: HttpRequest, filters: Query[CustomerFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = leasing_access.customers_for_user(user)
    if filters.q:
        qs = qs.filter(name__icontains=filters.q)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.id_number:
        qs = qs.filter(id_number_index=blind_index(filters.id_number, purpose="id_number"))
    if filters.tag:
        if is_postgres():
            qs = qs.filter(tags__contains=[filters.tag])
        else:
            # SQLite has no JSON containment lookup; ask json_each for an exact element.
            qs = qs.annotate(
                has_tag=RawSQL(
                    'EXISTS (SELECT 1 FROM json_each("leasing_customer"."tags") WHERE value = %s)',
                    (filters.tag,),
                    output_field=BooleanField(),
                )
            ).filter(has_tag=True)
    return page_of(
        qs.order_by("name", "id"), params=paging, present=lambda c: present_customer(user, c)
    )


@router.post("/customers", response={201: CustomerOut, **ERRORS})
def customer_create(request: HttpRequest, payload: CustomerIn) -> Any:
    user = caller(request)
    customer = services.customer_create(by=user, data=payload.model_dump())
    return Status(201, present_customer(user, customer))


@router.get("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def customer_detail(request: HttpRequest, customer_id: int) -> Any:
    user = caller(request)
    return present_customer(user, leasing_access.customer_for_user(user, customer_id))


@router.patch("/customers/{int:customer_id}", response={200: CustomerOut, **ERRORS})
def customer_update(request: HttpRequest, customer_id: int, payload: CustomerPatch) -> Any:
    user = caller(request)
    customer = leasing_access.customer_for_user(user, customer_id)
    customer = services.customer_update(
        customer=customer, by=user, data=payload.model_dump(exclude_unset=True)
    )
    return present_customer(user, customer)


# Leases -----------------------------------------------------------------------------------

_LEASE_EQUALS = ("status", "project_id", "building_id", "unit_id", "customer_id")
_LEASE_RANGES = {
    "start_from": "start_date__gte",
    "start_to": "start_date__lte",
    "end_from": "end_date__gte",
    "end_to": "end_date__lte",
}


@router.get("/leases", response={200: PageOut[LeaseOut], **ERRORS})
def lease_list(
    request: HttpRequest, filters: Query[LeaseFilters], paging: Query[PageParams]
) -> Any:
    """Leases, newest start first; ``q`` finds lease numbers containing it."""
    user = caller(request)
    lookups: dict[str, Any] = {}
    for name in _LEASE_EQUALS:
        if getattr(filters, name) is not None:
            lookups[name] = getattr(filters, name)
    for name, lookup in _LEASE_RANGES.items():
        if getattr(filters, name) is not None:
            lookups[lookup] = getattr(filters, name)
    qs = leasing_access.leases_for_user(user).filter(**lookups)
    if filters.q:
        qs = qs.filter(code__icontains=filters.q.strip())
    return page_of_ids(
        qs.order_by("-start_date", "-id"),
        params=paging,
        load=lambda page_ids: list(
            Lease.objects.filter(pk__in=page_ids)
            .select_related("unit", "customer")
            .only(*_LEASE_LIST_COLUMNS)
            .order_by("-start_date", "-id")
        ),
        present=lambda lease: present_lease(user, lease),
    )


def _present_fresh(user: User, lease: Lease) -> dict[str, Any]:
    """Present the lease as stored after a write, through the same access helper as reads."""
    return present_lease(user, leasing_access.lease_for_user(user, lease.pk))


@router.post("/leases", response={201: LeaseOut, **ACCEPTED, **ERRORS})
def lease_create(request: HttpRequest, payload: LeaseIn) -> Any:
    """Guarded: answers 202 with the approval request unless the rule does not apply."""
    user = caller(request)
    lease = services.lease_create(by=user, data=payload.model_dump())
    if is_request(lease):
        return accepted(user, lease)  # type: ignore[arg-type]
    return Status(201, _present_fresh(user, lease))  # type: ignore[arg-type]


@router.get("/leases/{int:lease_id}", response={200: LeaseOut, **ERRORS})
def lease_detail(request: HttpRequest, lease_id: int) -> Any:
    user = caller(request)
    return present_lease(user, leasing_access.lease_for_user(user, lease_id))


@router.patch("/leases/{int:lease_id}", response={200: LeaseOut, **ACCEPTED, **ERRORS})
def lease_update(request: HttpRequest, lease_id: int, payload: LeasePatch) -> Any:
    user = caller(request)
    lease = leasing_access.lease_for_user(user, lease_id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version", None)
    result = services.lease_update(lease=lease, by=user, data=data, expected_version=version)
    if is_request(result):  # a rent change of an active lease waits for approval
        return accepted(user, result)  # type: ignore[arg-type]
    return _present_fresh(user, result)  # type: ignore[arg-type]


# Lease actions ----------------------------------------------------------------------------

# The services name the stored fields; the action bodies call them ``on`` and ``reason``.
_ACTION_FIELDS = {"terminated_on": "on", "termination_reason": "reason"}


def _act(request: HttpRequest, lease_id: int, action: Callable[[User, Lease], Any]) -> Any:
    user = caller(request)
    lease = leasing_access.lease_for_user(user, lease_id)
    try:
        result = action(user, lease)
    except ValidationFailed as exc:
        exc.field = _ACTION_FIELDS.get(exc.field or "", exc.field)
        raise
    if is_request(result):  # a guarded action (activation) waits for approval
        return accepted(user, result)
    return _present_fresh(user, result)


def _version(payload: VersionIn | None) -> int | None:
    return payload.version if payload is not None else None


@router.post("/leases/{int:lease_id}/submit", response={200: LeaseOut, **ERRORS})
def lease_submit(request: HttpRequest, lease_id: int, payload: VersionIn | None = None) -> Any:
    return _act(
        request,
        lease_id,
        lambda user, lease: services.lease_submit(
            lease=lease, by=user, expected_version=_version(payload)
        ),
    )


@router.post("/leases/{int:lease_id}/activate", response={200: LeaseOut, **ACCEPTED, **ERRORS})
def lease_activate(request: HttpRequest, lease_id: int, payload: VersionIn | None = None) -> Any:
    return _act(
        request,
        lease_id,
        lambda user, lease: services.lease_activate(
            lease=lease, by=user, expected_version=_version(payload)
        ),
    )


@router.post("/leases/{int:lease_id}/return-to-draft", response={200: LeaseOut, **ERRORS})
def lease_return_to_draft(
    request: HttpRequest, lease_id: int, payload: VersionIn | None = None
) -> Any:
    return _act(
        request,
        lease_id,
        lambda user, lease: services.lease_return_to_draft(
            lease=lease, by=user, expected_version=_version(payload)
        ),
    )


@router.post("/leases/{int:lease_id}/terminate", response={200: LeaseOut, **ERRORS})
def lease_terminate(request: HttpRequest, lease_id: int, payload: TerminateIn) -> Any:
    return _act(
        request,
        lease_id,
        lambda user, lease: services.lease_terminate(
            lease=lease,
            by=user,
            on=payload.on,
            reason=payload.reason,
            expected_version=payload.version,
        ),
    )


@router.post("/leases/{int:lease_id}/void", response={200: LeaseOut, **ERRORS})
def lease_void(request: HttpRequest, lease_id: int, payload: VoidIn) -> Any:
    return _act(
        request,
        lease_id,
        lambda user, lease: services.lease_void(
            lease=lease, by=user, reason=payload.reason, expected_version=payload.version
        ),
    )
