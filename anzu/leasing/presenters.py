"""What a user may see of customers and leases: the one place where fields are masked.

The API schemas and the web pages both render these dictionaries, so masking cannot differ
between them. Hidden amounts are ``None``; personal data is masked unless the role may see it.
A tenant sees their own data in full.
"""

from __future__ import annotations

from typing import Any

from anzu.common.crypto import mask_id_number, mask_phone
from anzu.core import access
from anzu.leasing.models import Customer, Lease

AMOUNT_FIELDS = ("monthly_rent", "deposit", "escalation_pct", "late_fee_daily_rate")


def _sees_amounts(user: Any) -> bool:
    return access.sees_amounts(user) or access.is_tenant_user(user)


def _sees_pii(user: Any) -> bool:
    return access.sees_pii(user) or access.is_tenant_user(user)


def present_customer(user: Any, customer: Customer) -> dict[str, Any]:
    pii = _sees_pii(user)
    return {
        "id": customer.pk,
        "kind": customer.kind,
        "name": customer.name,
        "id_type": customer.id_type,
        "id_number": customer.id_number if pii else mask_id_number(customer.id_number),
        "phone": (customer.phone if pii else mask_phone(customer.phone)) if customer.phone else "",
        "email": customer.email if pii else "",
        "wechat_openid": customer.wechat_openid if pii else "",
        "tags": list(customer.tags),
        "project_id": customer.project_id,
        "notes": customer.notes if pii else "",
        "masked": not pii,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def present_lease(user: Any, lease: Lease) -> dict[str, Any]:
    amounts = _sees_amounts(user)
    data: dict[str, Any] = {
        "id": lease.pk,
        "code": lease.code,
        "status": lease.status,
        "project_id": lease.project_id,
        "building_id": lease.building_id,
        "unit_id": lease.unit_id,
        "unit_code": lease.unit.code,
        "customer_id": lease.customer_id,
        "customer_name": lease.customer.name,
        "start_date": lease.start_date,
        "end_date": lease.end_date,
        "occupied_until": lease.occupied_until,
        "payment_cycle": lease.payment_cycle_label,
        "deposit_months": lease.deposit_months,
        "pay_months": lease.pay_months,
        "due_day_rule": lease.due_day_rule,
        "due_day_value": lease.due_day_value,
        "rent_free_periods": lease.rent_free_periods,
        "escalation_every_months": lease.escalation_every_months,
        "late_fee_grace_days": lease.late_fee_grace_days,
        "allows_access_freeze": lease.allows_access_freeze,
        "terminated_on": lease.terminated_on,
        "termination_reason": lease.termination_reason,
        "version": lease.version,
        "activated_at": lease.activated_at,
        "activated_by_id": lease.activated_by_id,
        "amounts_hidden": not amounts,
        "created_at": lease.created_at,
        "updated_at": lease.updated_at,
    }
    for name in AMOUNT_FIELDS:
        data[name] = getattr(lease, name) if amounts else None
    data["notes"] = lease.notes if amounts else ""
    return data
