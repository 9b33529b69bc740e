"""Every guarded action, attempted by the most privileged account through the API and through
the page, changes nothing until a second person approves; then it happens.

The list of cases is checked against the registry (:data:`anzu.risk.approvals.registry.ACTIONS`):
a guarded action added without its case here fails :func:`test_every_guarded_action_has_a_case`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from anzu.billing import services as billing_services
from anzu.billing.dunning.models import FreezeRequest
from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill, Refund
from anzu.common import clock
from anzu.common.testing import CustomerFactory, lease_data, make_user
from anzu.core.models import AuditEvent, User
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.risk.approvals import registry
from anzu.risk.approvals.choices import RequestStatus
from anzu.risk.approvals.guard import rule_for
from anzu.risk.approvals.models import ApprovalRequest, ApprovalRule
from anzu.risk.approvals.tests.conftest import client_for

pytestmark = pytest.mark.django_db
JSON = "application/json"


@dataclass
class Case:
    setup: Callable[[dict[str, Any]], dict[str, Any]]
    api: Callable[[Client, dict[str, Any]], Any]
    ui: Callable[[Client, dict[str, Any]], Any]
    happened: Callable[[dict[str, Any]], bool]


# lease.create -------------------------------------------------------------------------------


def _create_setup(w: dict[str, Any]) -> dict[str, Any]:
    return {"unit": w["portfolio"]["u2"]}


def _create_api(c: Client, s: dict[str, Any]) -> Any:
    data = lease_data(s["unit"], s["portfolio"]["customer"])
    return c.post("/api/v1/leases", data=data, content_type=JSON)


def _create_ui(c: Client, s: dict[str, Any]) -> Any:
    p = s["portfolio"]
    form = {
        "building": p["b1"].pk,
        "unit_code": "102",
        "customer_id": p["customer"].pk,
        "code": "",
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "monthly_rent": "3200.00",
        "deposit_months": "1",
        "pay_months": "1",
        "deposit": "",
        "due_day_rule": "days_before_period",
        "due_day_value": "0",
        "rent_free_periods": "",
        "escalation_pct": "",
        "escalation_every_months": "",
        "late_fee_daily_rate": "",
        "late_fee_grace_days": "0",
        "notes": "",
    }
    return c.post(reverse("leasing:lease_create"), form)


def _create_happened(s: dict[str, Any]) -> bool:
    return Lease.objects.filter(unit=s["unit"]).exists()


# lease.activate -----------------------------------------------------------------------------


def _activate_setup(w: dict[str, Any]) -> dict[str, Any]:
    from anzu.risk.approvals.testing import approve_as

    data = lease_data(w["portfolio"]["u3"], w["portfolio"]["customer"])
    lease = approve_as(leasing_services.lease_create(by=w["clerk"], data=data))
    lease = leasing_services.lease_submit(lease=lease, by=w["clerk"])
    return {"lease": lease}


def _activate_api(c: Client, s: dict[str, Any]) -> Any:
    return c.post(f"/api/v1/leases/{s['lease'].pk}/activate", data={}, content_type=JSON)


def _activate_ui(c: Client, s: dict[str, Any]) -> Any:
    lease = s["lease"]
    return c.post(
        reverse("leasing:lease_action", args=[lease.pk, "activate"]), {"version": lease.version}
    )


def _activate_happened(s: dict[str, Any]) -> bool:
    return Lease.objects.get(pk=s["lease"].pk).status == "active"


# lease.rent_change --------------------------------------------------------------------------


def _rent_setup(w: dict[str, Any]) -> dict[str, Any]:
    return {"lease": w["active_lease"]("u1")}


def _rent_api(c: Client, s: dict[str, Any]) -> Any:
    return c.patch(
        f"/api/v1/leases/{s['lease'].pk}", data={"monthly_rent": "3500.00"}, content_type=JSON
    )


def _rent_ui(c: Client, s: dict[str, Any]) -> Any:
    lease = s["lease"]
    form = {
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "monthly_rent": "3500.00",
        "deposit_months": "1",
        "pay_months": "1",
        "deposit": "3200.00",
        "due_day_rule": "days_before_period",
        "due_day_value": "0",
        "rent_free_periods": "",
        "escalation_pct": "",
        "escalation_every_months": "",
        "late_fee_daily_rate": "",
        "late_fee_grace_days": "0",
        "notes": "",
        "version": lease.version,
    }
    return c.post(reverse("leasing:lease_edit", args=[lease.pk]), form)


def _rent_happened(s: dict[str, Any]) -> bool:
    return Lease.objects.get(pk=s["lease"].pk).monthly_rent == Decimal("3500.00")


# billing.deposit_refund ---------------------------------------------------------------------


def _deposit_setup(w: dict[str, Any]) -> dict[str, Any]:
    lease = w["active_lease"]("u1")
    bills_generate(through=dt.date(2026, 3, 31))
    billing_services.payment_record(
        by=w["clerk"], lease_id=lease.pk, channel="cash", amount="6400.00"
    )
    leasing_services.lease_terminate(lease=lease, by=w["clerk"], on="2026-03-31", reason="退租")
    assert billing_services.deposit_balance(lease.pk) == Decimal("3200.00")
    return {"lease": Lease.objects.get(pk=lease.pk)}


def _deposit_api(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        f"/api/v1/leases/{s['lease'].pk}/deposit-refund",
        data={"channel": "bank_transfer"},
        content_type=JSON,
    )


def _deposit_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        reverse("billing:ledger_action", args=[s["lease"].pk, "deposit-refund"]),
        {"channel": "bank_transfer", "amount": "", "reference": "", "reason": ""},
    )


def _deposit_happened(s: dict[str, Any]) -> bool:
    return Refund.objects.filter(lease=s["lease"], kind="deposit").exists()


# billing.credit_refund ----------------------------------------------------------------------


def _credit_setup(w: dict[str, Any]) -> dict[str, Any]:
    lease = w["active_lease"]("u1")
    loner = CustomerFactory(organization=w["org"], name="韩梅梅")
    payment = billing_services.payment_record(
        by=w["clerk"], customer_id=loner.pk, channel="cash", amount="500.00"
    )
    assert payment.unallocated == Decimal("500.00")
    return {"lease": lease, "payment": payment}


def _credit_api(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        f"/api/v1/payments/{s['payment'].pk}/refund",
        data={"amount": "200.00", "channel": "cash", "reason": "多付"},
        content_type=JSON,
    )


def _credit_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        reverse("billing:ledger_action", args=[s["lease"].pk, "credit-refund"]),
        {
            "payment_id": s["payment"].pk,
            "amount": "200.00",
            "channel": "cash",
            "reference": "",
            "reason": "多付",
        },
    )


def _credit_happened(s: dict[str, Any]) -> bool:
    return Refund.objects.filter(payment=s["payment"], kind="credit").exists()


# billing.write_off --------------------------------------------------------------------------


def _write_off_setup(w: dict[str, Any]) -> dict[str, Any]:
    lease = w["active_lease"]("u1")
    bills_generate(through=dt.date(2026, 3, 31))
    bill = Bill.objects.filter(lease=lease, kind="rent", status="open").order_by("due_date").first()
    assert bill is not None
    return {"lease": lease, "bill": bill}


def _write_off_api(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        f"/api/v1/bills/{s['bill'].pk}/write-off", data={"reason": "困难减免"}, content_type=JSON
    )


def _write_off_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        reverse("billing:ledger_action", args=[s["lease"].pk, "write-off"]),
        {"bill_id": s["bill"].pk, "reason": "困难减免"},
    )


def _write_off_happened(s: dict[str, Any]) -> bool:
    return Bill.objects.get(pk=s["bill"].pk).status != "open"


# dunning.freeze -----------------------------------------------------------------------------


def _freeze_setup(w: dict[str, Any]) -> dict[str, Any]:
    lease = w["active_lease"]("u1", allows_access_freeze=True)
    freeze = FreezeRequest.objects.create(
        organization=w["org"],
        lease=lease,
        customer=lease.customer,
        kind="access",
        amount=Decimal("3200.00"),
        created_at=clock.now(),
    )
    return {"freeze": freeze}


def _freeze_api(c: Client, s: dict[str, Any]) -> Any:
    return c.post(f"/api/v1/dunning/freezes/{s['freeze'].pk}/approve", data={}, content_type=JSON)


def _freeze_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(reverse("dunning:freeze_decide", args=[s["freeze"].pk, "approve"]), {})


def _freeze_happened(s: dict[str, Any]) -> bool:
    return FreezeRequest.objects.get(pk=s["freeze"].pk).status == "approved"


# settlement.credit_report -------------------------------------------------------------------


def _report_setup(w: dict[str, Any]) -> dict[str, Any]:
    return {}


def _report_api(c: Client, s: dict[str, Any]) -> Any:
    return c.get("/api/v1/settlements/credit-report.csv")


def _report_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(reverse("settlement:credit_export"), {})


def _report_happened(s: dict[str, Any]) -> bool:
    return AuditEvent.objects.filter(action="settlement.credit_export").exists()


# core.role_grant ----------------------------------------------------------------------------


def _roles_setup(w: dict[str, Any]) -> dict[str, Any]:
    return {"target": make_user(w["org"], "frontline", username="newbie")}


def _roles_api(c: Client, s: dict[str, Any]) -> Any:
    return c.put(
        f"/api/v1/users/{s['target'].pk}/roles", data={"roles": ["admin"]}, content_type=JSON
    )


def _roles_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        reverse("user_detail", args=[s["target"].pk]), {"form": "roles", "roles-roles": ["admin"]}
    )


def _roles_happened(s: dict[str, Any]) -> bool:
    return "admin" in User.objects.get(pk=s["target"].pk).role_set


# approvals.rule_change ----------------------------------------------------------------------


def _rule_setup(w: dict[str, Any]) -> dict[str, Any]:
    return {"rule": rule_for(w["org"].pk, "lease.create")}


def _rule_api(c: Client, s: dict[str, Any]) -> Any:
    return c.patch(
        f"/api/v1/approval-rules/{s['rule'].pk}",
        data={"checkers_required": 2},
        content_type=JSON,
    )


def _rule_ui(c: Client, s: dict[str, Any]) -> Any:
    return c.post(
        reverse("approvals:rule_edit", args=[s["rule"].pk]),
        {
            "conditions": '{"always": true}',
            "checkers_required": "2",
            "checker_capability": "lease.activate",
            "active": "on",
        },
    )


def _rule_happened(s: dict[str, Any]) -> bool:
    return ApprovalRule.objects.get(pk=s["rule"].pk).checkers_required == 2


# onboarding.import ---------------------------------------------------------------------------


def _import_setup(w: dict[str, Any]) -> dict[str, Any]:
    from anzu.onboarding.tests.helpers import customer_row, lease_row, unit_row, workbook

    place = {"project_code": "IMP", "building_code": "IB"}
    data = workbook(
        units=[unit_row("701", project_name="导入公寓", **place)],
        customers=[customer_row(71, project_code="IMP")],
        leases=[lease_row("701", 71, lease_code="HT-IMPORT-701", **place)],
    )
    return {"data": data}


def _import_api(c: Client, s: dict[str, Any]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return c.post("/api/v1/imports", {"file": SimpleUploadedFile("leases.xlsx", s["data"])})


def _import_ui(c: Client, s: dict[str, Any]) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return c.post(
        reverse("onboarding:import"),
        {"file": SimpleUploadedFile("leases.xlsx", s["data"]), "kind": "auto"},
    )


def _import_happened(s: dict[str, Any]) -> bool:
    return Lease.objects.filter(code="HT-IMPORT-701", status="active").exists()


CASES: dict[str, Case] = {
    "lease.create": Case(_create_setup, _create_api, _create_ui, _create_happened),
    "lease.activate": Case(_activate_setup, _activate_api, _activate_ui, _activate_happened),
    "lease.rent_change": Case(_rent_setup, _rent_api, _rent_ui, _rent_happened),
    "billing.deposit_refund": Case(_deposit_setup, _deposit_api, _deposit_ui, _deposit_happened),
    "billing.credit_refund": Case(_credit_setup, _credit_api, _credit_ui, _credit_happened),
    "billing.write_off": Case(_write_off_setup, _write_off_api, _write_off_ui, _write_off_happened),
    "dunning.freeze": Case(_freeze_setup, _freeze_api, _freeze_ui, _freeze_happened),
    "settlement.credit_report": Case(_report_setup, _report_api, _report_ui, _report_happened),
    "core.role_grant": Case(_roles_setup, _roles_api, _roles_ui, _roles_happened),
    "approvals.rule_change": Case(_rule_setup, _rule_api, _rule_ui, _rule_happened),
    "onboarding.import": Case(_import_setup, _import_api, _import_ui, _import_happened),
}


def test_every_guarded_action_has_a_case():
    assert set(CASES) == set(registry.ACTIONS)


@pytest.fixture
def world(org, portfolio, clerk, boss, second, active_lease, frozen) -> dict[str, Any]:
    return {
        "org": org,
        "portfolio": portfolio,
        "clerk": clerk,
        "boss": boss,
        "second": second,
        "active_lease": active_lease,
    }


@pytest.mark.parametrize("channel", ["api", "ui"])
@pytest.mark.parametrize("code", sorted(registry.ACTIONS))
def test_no_guarded_action_happens_without_a_second_person(world, code, channel):
    case = CASES[code]
    state = {"portfolio": world["portfolio"], **case.setup(world)}
    before = set(ApprovalRequest.objects.values_list("pk", flat=True))
    boss = client_for(world["boss"])

    response = (case.api if channel == "api" else case.ui)(boss, state)

    assert not case.happened(state), f"{code} happened without approval via {channel}"
    new = ApprovalRequest.objects.exclude(pk__in=before).get()
    assert (new.action, new.status, new.maker) == (code, RequestStatus.PENDING, world["boss"])
    if channel == "api":
        assert response.status_code == 202, response.content
        assert response.json()["id"] == new.pk
        assert response.json()["status"] == "pending"
    else:
        assert response.status_code == 302, response.content
        assert response["Location"] == reverse("approvals:detail", args=[new.pk])

    # The maker, superuser and administrator as they are, cannot approve it themselves.
    own = boss.post(f"/api/v1/approvals/{new.pk}/approve", data={}, content_type=JSON)
    assert own.status_code == 403
    assert not case.happened(state)
    assert AuditEvent.objects.filter(action="approval.request", object_id=str(new.pk)).exists()

    done = client_for(world["second"]).post(
        f"/api/v1/approvals/{new.pk}/approve", data={}, content_type=JSON
    )
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "executed"
    assert case.happened(state), f"{code} did not happen after approval"
    assert AuditEvent.objects.filter(action="approval.execute", object_id=str(new.pk)).exists()
