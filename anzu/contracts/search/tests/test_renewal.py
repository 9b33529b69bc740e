from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import lease_data, make_user
from anzu.contracts.search import services
from anzu.contracts.search.models import ContractRenewal
from anzu.contracts.search.tests.conftest import TODAY, make_contract
from anzu.core.models import AuditEvent
from anzu.leasing.models import Lease
from anzu.leasing.services import lease_create


def created(result: Any) -> Lease:
    """The lease a lease_create call produced (approved by a second person if it must be)."""
    if isinstance(result, Lease):
        return result
    from anzu.risk.approvals.testing import approve_as

    lease = approve_as(result)
    assert isinstance(lease, Lease)
    return lease


def renewal_lease(renewal: ContractRenewal, contract: Any) -> Lease:
    if renewal.renewal_lease_id is None:
        from anzu.risk.approvals.models import ApprovalRequest
        from anzu.risk.approvals.testing import approve_as

        approve_as(ApprovalRequest.objects.get(pk=renewal.renewal_approval_id))
    lease_id = services.renewal_lease_id(renewal, contract)
    assert lease_id is not None
    return Lease.objects.get(pk=lease_id)


@pytest.fixture
def leased(org: Any, portfolio: Any, manager: Any) -> Any:
    lease = created(
        lease_create(
            by=manager,
            data=lease_data(
                portfolio["u1"],
                portfolio["customer"],
                start_date="2025-07-01",
                end_date="2026-06-30",
                monthly_rent="4200.00",
                deposit_months=2,
                pay_months=3,
            ),
        )
    )
    return make_contract(
        org, unit=portfolio["u1"], lease=lease, end_date=lease.end_date, lessee_name="李雷"
    )


def test_mark_is_audited_and_versioned(leased: Any, manager: Any) -> None:
    renewal = services.renewal_mark(
        contract=leased, state="to_contact", note="下周电话", by=manager
    )
    assert (renewal.state, renewal.version) == ("to_contact", 1)
    renewal = services.renewal_mark(
        contract=leased, state="negotiating", note="", by=manager, expected_version=1
    )
    assert renewal.version == 2
    events = AuditEvent.objects.filter(action="contract.renewal_mark").order_by("id")
    assert [e.changes["state"] for e in events] == [
        [None, "to_contact"],
        ["to_contact", "negotiating"],
    ]
    with pytest.raises(Conflict) as err:
        services.renewal_mark(contract=leased, state="renewing", by=manager, expected_version=1)
    assert err.value.field == "version"


def test_mark_refuses_bad_input_and_roles(leased: Any, org: Any, manager: Any) -> None:
    with pytest.raises(ValidationFailed) as err:
        services.renewal_mark(contract=leased, state="maybe", by=manager)
    assert err.value.field == "state"
    with pytest.raises(ValidationFailed) as err:
        services.renewal_mark(contract=leased, state="to_contact", note="x" * 2001, by=manager)
    assert err.value.field == "note"
    with pytest.raises(PermissionDenied):
        services.renewal_mark(contract=leased, state="to_contact", by=make_user(org, "legal"))
    assert not ContractRenewal.objects.exists()
    assert not AuditEvent.objects.filter(action="contract.renewal_mark").exists()


def test_draft_renewal_lease_prefills_next_term(leased: Any, manager: Any) -> None:
    renewal = services.renewal_draft_lease(contract=leased, by=manager)
    new = renewal_lease(renewal, leased)
    old = leased.lease
    assert new.status == "draft"
    assert (new.start_date, new.end_date) == (dt.date(2026, 7, 1), dt.date(2027, 6, 30))
    assert (new.unit_id, new.customer_id) == (old.unit_id, old.customer_id)
    assert (new.monthly_rent, new.deposit_months, new.pay_months) == (
        old.monthly_rent,
        2,
        3,
    )
    assert renewal.state == "renewing"
    event = AuditEvent.objects.get(action="contract.renewal_draft_lease")
    assert event.changes["state"] == [None, "renewing"]
    assert AuditEvent.objects.filter(action="lease.create", object_id=str(new.pk)).exists()
    with pytest.raises(Conflict) as err:
        services.renewal_draft_lease(contract=leased, by=manager)
    assert err.value.code == "already_drafted"
    assert Lease.objects.count() == 2


def test_draft_needs_a_lease_and_rolls_back_on_failure(
    org: Any, portfolio: Any, leased: Any, manager: Any
) -> None:
    bare = make_contract(org, unit=portfolio["u1"], end_date=TODAY)
    with pytest.raises(ValidationFailed) as err:
        services.renewal_draft_lease(contract=bare, by=manager)
    assert err.value.code == "no_lease"
    # lease_create refuses the terms: nothing of the renewal is written.
    with pytest.raises(ValidationFailed) as err:
        services.renewal_draft_lease(contract=leased, by=manager, overrides={"monthly_rent": "0"})
    assert err.value.field == "monthly_rent"
    assert not ContractRenewal.objects.exists()
    assert not AuditEvent.objects.filter(action="contract.renewal_draft_lease").exists()
    assert Lease.objects.count() == 1


def test_terminated_contract_refuses_renewal(org: Any, portfolio: Any, manager: Any) -> None:
    done = make_contract(org, unit=portfolio["u1"], end_date=TODAY, terminated_on=TODAY)
    with pytest.raises(Conflict):
        services.renewal_mark(contract=done, state="to_contact", by=manager)


def test_api_and_page_actions(leased: Any, org: Any, portfolio: Any, client: Any) -> None:
    manager = make_user(org, "management", username="m2")
    client.force_login(manager)
    url = f"/api/v1/contract-board/contracts/{leased.pk}/renewal"
    ok = client.put(
        url, {"state": "negotiating", "note": "报价中"}, content_type="application/json"
    )
    assert ok.status_code == 200
    assert ok.json()["state"] == "negotiating" and ok.json()["version"] == 1
    bad = client.put(url, {"state": "nope"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "state"
    row = client.get("/api/v1/contract-board/buckets/within_30").json()["items"][0]
    assert row["renewal"]["state"] == "negotiating"
    drafted = client.post(f"/api/v1/contract-board/contracts/{leased.pk}/renewal-lease")
    assert drafted.status_code == 201
    body = drafted.json()
    assert body["state"] == "renewing"
    assert (body["renewal_lease_id"] is None) != (body["renewal_approval_id"] is None)
    again = client.post(f"/api/v1/contract-board/contracts/{leased.pk}/renewal-lease")
    assert again.status_code == 409 and again.json()["code"] == "already_drafted"
    # Outside the scope: 404.
    scoped = make_user(org, "management", projects=[portfolio["p2"]])
    client.force_login(scoped)
    assert (
        client.put(url, {"state": "to_contact"}, content_type="application/json").status_code == 404
    )
    # Page form.
    client.force_login(manager)
    response = client.post(
        f"/contracts/board/contracts/{leased.pk}/renewal/",
        {"state": "not_renewing", "note": "租客搬走", "next": "/contracts/board/within_30/"},
    )
    assert response.status_code == 302 and response["Location"] == "/contracts/board/within_30/"
    assert ContractRenewal.objects.get().state == "not_renewing"
