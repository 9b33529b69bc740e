"""What a user may see of a contract on the board, in search results and in renewal records.

Amounts are ``None`` without ``amounts.view``; full-text snippets appear only for callers with
``contract.full``. The pages and the API render the same dictionaries.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from anzu.contracts.models import Contract
from anzu.contracts.search import access as search_access
from anzu.contracts.search.lifecycle import bucket_of
from anzu.contracts.search.models import ContractRenewal
from anzu.contracts.search.services import renewal_lease_id
from anzu.contracts.search.text import highlight
from anzu.core import access


def present_renewal(renewal: ContractRenewal | None, contract: Contract) -> dict[str, Any] | None:
    if renewal is None:
        return None
    return {
        "state": renewal.state,
        "state_label": str(renewal.get_state_display()),
        "note": renewal.note,
        "renewal_lease_id": renewal_lease_id(renewal, contract),
        "renewal_approval_id": renewal.renewal_approval_id,
        "version": renewal.version,
        "updated_by": str(renewal.updated_by) if renewal.updated_by_id else "",
        "updated_at": renewal.updated_at,
    }


def present_contract(
    user: Any,
    contract: Contract,
    *,
    today: dt.date,
    renewal: ContractRenewal | None = None,
) -> dict[str, Any]:
    amounts = access.sees_amounts(user)
    bucket = bucket_of(contract.end_date, contract.terminated_on, today)
    unit = contract.unit.code if contract.unit is not None else ""
    return {
        "id": contract.pk,
        "title": contract.title,
        "status": contract.status,
        "project_id": contract.project_id,
        "project_name": contract.project.name if contract.project is not None else "",
        "unit_id": contract.unit_id,
        "unit_code": unit,
        "lease_id": contract.lease_id,
        "lease_code": contract.lease.code if contract.lease is not None else "",
        "lessor_name": contract.lessor_name,
        "lessee_name": contract.lessee_name,
        "address": contract.address,
        "start_date": contract.start_date,
        "end_date": contract.end_date,
        "terminated_on": contract.terminated_on,
        "days_left": (contract.end_date - today).days if contract.end_date else None,
        "bucket": bucket,
        "monthly_rent": contract.monthly_rent if amounts else None,
        "risk_level": contract.risk_level,
        "risk_level_label": str(contract.get_risk_level_display()) if contract.risk_level else "",
        "renewal": present_renewal(renewal, contract),
    }


def present_hit(
    user: Any,
    contract: Contract,
    *,
    today: dt.date,
    tier: str,
    matched_field: str,
    terms: list[str],
    keys: str,
    body: str,
) -> dict[str, Any]:
    data = present_contract(user, contract, today=today)
    data.pop("renewal")
    snippet: list[dict[str, Any]] = []
    if tier == "text" and search_access.sees_full_text(user):
        snippet = [{"text": f.text, "hit": f.hit} for f in highlight(body, terms)]
    elif tier in ("keys", "text"):
        lines = [line for line in keys.split("\n") if any(t in line for t in terms)]
        if lines:
            snippet = [{"text": f.text, "hit": f.hit} for f in highlight(lines[0], terms)]
    data.update({"match": tier, "matched_field": matched_field, "snippet": snippet})
    return data
