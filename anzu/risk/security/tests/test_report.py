"""The shadow-lease report: each rule, the filters, bad input named by field, the CSV export,
the API shape and who may see it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine

from anzu.common.errors import PermissionDenied, ValidationFailed
from anzu.common.testing import CustomerFactory, UnitFactory, make_tenant, make_user
from anzu.leasing.models import Lease
from anzu.risk.identity.choices import Source
from anzu.risk.identity.services import account_freeze
from anzu.risk.security import selectors
from anzu.risk.signin.models import LoginAttempt

from .conftest import approved_lease, client_for, direct_lease, english, local

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 10:00 in Shanghai: inside working hours.
TUESDAY = local(2026, 12, 1, 10, 0)
PERIOD = {"since": dt.date(2026, 11, 1), "until": dt.date(2026, 12, 31)}


def report(user, **kwargs):
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        return selectors.shadow_leases(user, **{**PERIOD, **kwargs})


def reasons_of(rows, lease):
    return next(r.reason_codes for r in rows if r.lease_id == lease.pk)


def test_an_approved_lease_in_working_hours_is_not_listed(portfolio, maker, checker, auditor):
    approved_lease(portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY)
    assert Lease.objects.count() == 1
    assert report(auditor) == []


def test_a_lease_without_an_executed_approval_is_listed(portfolio, maker, auditor):
    lease = direct_lease(portfolio["u1"], portfolio["customer"], by=maker, at=TUESDAY, code="X1")
    rows = report(auditor)
    assert [r.lease_id for r in rows] == [lease.pk]
    assert rows[0].reasons == [{"code": "no_approval", "detail": {"steps": ["create"]}}]
    assert (rows[0].code, rows[0].created_by, rows[0].unit) == ("X1", "wang", str(lease.unit))


def test_an_activation_without_approval_is_listed(portfolio, maker, checker, auditor):
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    Lease.objects.filter(pk=lease.pk).update(status="active", activated_at=TUESDAY)
    rows = report(auditor)
    assert rows[0].reasons == [{"code": "no_approval", "detail": {"steps": ["activate"]}}]


def test_an_activation_through_its_approval_is_not_listed(portfolio, maker, checker, auditor):
    from anzu.leasing import services as leasing
    from anzu.risk.approvals.testing import approve_as

    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    with time_machine.travel(TUESDAY + dt.timedelta(hours=1), tick=False):
        leasing.lease_submit(lease=lease, by=maker)
        activated = approve_as(leasing.lease_activate(lease=lease, by=maker), checker)
    assert activated.status == "active" and activated.activated_at is not None
    assert report(auditor) == []


@pytest.mark.parametrize(
    ("moment", "listed"),
    [
        (local(2026, 12, 1, 7, 59), True),  # before 08:00
        (local(2026, 12, 1, 8, 0), False),  # 08:00 is inside
        (local(2026, 12, 1, 19, 59), False),
        (local(2026, 12, 1, 20, 0), True),  # 20:00 is outside
        (local(2026, 12, 2, 2, 0), True),  # 2 a.m.
        (local(2026, 12, 5, 10, 0), False),  # Saturday is a working day
        (local(2026, 12, 6, 10, 0), True),  # Sunday is not
    ],
)
def test_working_hours_in_the_organization_time_zone(
    portfolio, maker, checker, auditor, moment, listed
):
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=moment
    )
    rows = report(auditor)
    if not listed:
        assert rows == []
        return
    assert reasons_of(rows, lease) == ["off_hours"]
    detail = rows[0].reasons[0]["detail"]
    assert detail == {"times": [{"step": "create", "at": moment.isoformat()}]}


def test_working_hours_are_configurable(portfolio, maker, checker, auditor):
    approved_lease(
        portfolio["u1"],
        portfolio["customer"],
        by=maker,
        checker=checker,
        at=local(2026, 12, 6, 21, 0),  # Sunday 21:00
    )
    assert len(report(auditor)) == 1
    hours = selectors.WorkingHours(start=7, end=22, days=frozenset(range(1, 8)))
    assert report(auditor, hours=hours) == []


def test_a_creator_frozen_later_is_listed(portfolio, maker, checker, auditor, admin_user):
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    with time_machine.travel(local(2026, 12, 10, 18, 0), tick=False):
        account_freeze(user=maker, reason="离职", source=Source.HR_WEBHOOK, by=None)
    rows = report(auditor)
    assert reasons_of(rows, lease) == ["frozen_account"]
    (account,) = rows[0].reasons[0]["detail"]["accounts"]
    assert (account["step"], account["username"]) == ("create", "wang")
    assert account["while_frozen"] is False and account["source"] == "hr_webhook"
    assert account["frozen_at"] == local(2026, 12, 10, 18, 0).isoformat()


def test_a_lease_created_while_the_account_was_frozen(portfolio, maker, auditor):
    with time_machine.travel(local(2026, 12, 1, 9, 0), tick=False):
        account_freeze(user=maker, reason="离职", source=Source.SCIM, by=None)
    lease = direct_lease(portfolio["u1"], portfolio["customer"], by=maker, at=TUESDAY, code="X2")
    rows = report(auditor)
    assert reasons_of(rows, lease) == ["no_approval", "frozen_account"]
    (account,) = rows[0].reasons[1]["detail"]["accounts"]
    assert account["step"] == "create" and account["while_frozen"] is True


def _risky(user, at, decision="step_up"):
    return LoginAttempt.objects.create(
        organization=user.organization,
        user=user,
        username=user.username,
        kind="login",
        decision=decision,
        outcome="step_up_passed" if decision == "step_up" else "denied",
        score=75,
        signals=[{"name": "new_device", "weight": 30, "detail": {}}],
        ip="203.0.113.9",
        at=at,
    )


def test_a_lease_soon_after_a_risky_login(portfolio, maker, checker, auditor):
    _risky(maker, TUESDAY - dt.timedelta(hours=3))
    _risky(maker, TUESDAY + dt.timedelta(minutes=5), "deny")  # after the lease: not counted
    lease = approved_lease(
        portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY
    )
    rows = report(auditor)
    assert reasons_of(rows, lease) == ["risky_login"]
    (decision,) = rows[0].reasons[0]["detail"]["decisions"]
    assert decision["decision"] == "step_up" and decision["score"] == 75
    assert decision["at"] == (TUESDAY - dt.timedelta(hours=3)).isoformat()


def test_the_risky_login_window_is_configurable(portfolio, maker, checker, auditor, org):
    other = make_user(org, "management", username="li")
    _risky(maker, TUESDAY - dt.timedelta(hours=30))
    _risky(other, TUESDAY - dt.timedelta(hours=1))  # someone else's risky login
    approved_lease(portfolio["u1"], portfolio["customer"], by=maker, checker=checker, at=TUESDAY)
    assert report(auditor) == []
    assert [r.reason_codes for r in report(auditor, risk_hours=48)] == [["risky_login"]]


def test_filters_by_reason_and_period(portfolio, maker, checker, auditor):
    night = approved_lease(
        portfolio["u1"],
        portfolio["customer"],
        by=maker,
        checker=checker,
        at=local(2026, 12, 2, 2, 0),
    )
    bypass = direct_lease(portfolio["u2"], portfolio["customer"], by=maker, at=TUESDAY, code="X3")
    rows = report(auditor)
    assert [r.lease_id for r in rows] == [night.pk, bypass.pk]  # newest first
    assert [r.lease_id for r in report(auditor, reason="off_hours")] == [night.pk]
    assert [r.lease_id for r in report(auditor, reason="no_approval")] == [bypass.pk]
    assert report(auditor, reason="frozen_account") == []
    assert [r.lease_id for r in report(auditor, since=dt.date(2026, 12, 2))] == [night.pk]
    assert report(auditor, until=dt.date(2026, 11, 30)) == []


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reason": "weekend"}, "reason"),
        ({"since": dt.date(2026, 12, 2), "until": dt.date(2026, 12, 1)}, "since"),
        ({"since": dt.date(2025, 1, 1), "until": dt.date(2026, 12, 1)}, "since"),
        ({"risk_hours": 0}, "risk_hours"),
    ],
)
def test_bad_filters_are_named(auditor, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        report(auditor, **kwargs)
    assert exc.value.field == field


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("since=2026-13-01", "since"),
        ("until=yesterday", "until"),
        ("reason=weekend", "reason"),
        ("work_start=25", "work_start"),
        ("work_start=abc", "work_start"),
        ("work_start=20&work_end=8", "work_end"),
        ("work_days=08", "work_days"),
        ("risk_hours=0", "risk_hours"),
        ("risk_hours=721", "risk_hours"),
    ],
)
def test_api_names_the_bad_field(auditor, query, field):
    response = client_for(auditor).get(f"/api/v1/security/shadow-leases?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == field and set(body) >= {"code", "message", "field"}


def test_api_shape_and_paging(portfolio, maker, auditor):
    for i, unit in enumerate((portfolio["u1"], portfolio["u2"], portfolio["u3"])):
        direct_lease(
            unit,
            portfolio["customer"],
            by=maker,
            at=TUESDAY + dt.timedelta(minutes=i),
            code=f"X{i}",
        )
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        client = client_for(auditor)
        response = client.get("/api/v1/security/shadow-leases?page_size=2&since=2026-11-01")
        second = client.get("/api/v1/security/shadow-leases?page_size=2&page=2&since=2026-11-01")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "page", "page_size", "total"}
    assert (body["page"], body["page_size"], body["total"]) == (1, 2, 3)
    item = body["items"][0]
    assert set(item) == {
        "lease_id",
        "code",
        "unit",
        "status",
        "created_at",
        "created_by",
        "activated_at",
        "activated_by",
        "reasons",
    }
    assert item["code"] == "X2" and item["created_by"] == "wang"
    assert item["reasons"][0]["code"] == "no_approval"
    assert set(item["reasons"][0]) == {"code", "label", "text", "detail"}
    assert [i["code"] for i in second.json()["items"]] == ["X0"]


def test_csv_export_page_and_api(portfolio, maker, auditor):
    direct_lease(
        portfolio["u1"], portfolio["customer"], by=maker, at=local(2026, 12, 2, 2, 0), code="X9"
    )
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        client = client_for(auditor)
        page = client.get(
            "/risk/security/shadow-leases/export.csv?since=2026-11-01",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )
        api = client.get("/api/v1/security/shadow-leases.csv?since=2026-11-01&reason=off_hours")
        bad = client.get("/risk/security/shadow-leases/export.csv?reason=nope")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(page.content.decode("utf-8-sig"))))
    assert rows[0][0] == "合同编号"
    assert rows[0][6] == "生效人" and rows[1][6] == ""
    assert rows[1][0] == "X9" and rows[1][7] == "no_approval off_hours"
    assert "02:00" in rows[1][8]
    api_rows = list(csv.reader(io.StringIO(api.content.decode("utf-8-sig"))))
    assert [r[0] for r in api_rows[1:]] == ["X9"]
    assert bad.status_code == 400 and b"reason" in bad.content


def test_page_in_chinese_and_english(portfolio, maker, auditor):
    direct_lease(
        portfolio["u1"], portfolio["customer"], by=maker, at=local(2026, 12, 2, 2, 0), code="X7"
    )
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        client = client_for(auditor)
        zh = client.get(
            "/risk/security/shadow-leases/?since=2026-11-01", HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        en = english(client).get("/risk/security/shadow-leases/?since=2026-11-01")
        bad = english(client).get("/risk/security/shadow-leases/?work_days=9")
    html = zh.content.decode()
    assert zh.status_code == 200 and "影子租约" in html and "审批之外" in html and "X7" in html
    assert "Shadow-lease report" in en.content.decode()
    assert "Outside working hours" in en.content.decode()
    assert bad.status_code == 200 and 'data-field="work_days"' in bad.content.decode()


def test_other_organizations_and_out_of_scope_leases_are_never_listed(
    portfolio, maker, org, other_org
):
    stranger = make_user(other_org, "management", username="stranger")
    unit = UnitFactory(building__project__organization=other_org, building__organization=other_org)
    direct_lease(
        unit, CustomerFactory(organization=other_org), by=stranger, at=TUESDAY, code="OTHER"
    )
    mine = direct_lease(portfolio["u1"], portfolio["customer"], by=maker, at=TUESDAY, code="X1")
    direct_lease(portfolio["u3"], portfolio["customer"], by=maker, at=TUESDAY, code="X3")
    scoped = make_user(org, "management", username="scoped", projects=[portfolio["p1"]])
    assert [r.code for r in report(stranger)] == ["OTHER"]
    assert [r.lease_id for r in report(scoped)] == [mine.pk]


def test_access_needs_audit_view(org, portfolio):
    finance = make_user(org, "finance", username="cashier")
    tenant = make_tenant(portfolio["customer"], username="tenant1")
    with pytest.raises(PermissionDenied):
        selectors.shadow_leases(finance)
    assert client_for(finance).get("/risk/security/shadow-leases/").status_code == 403
    assert client_for(finance).get("/api/v1/security/shadow-leases").status_code == 403
    assert client_for(tenant).get("/risk/security/shadow-leases/").status_code == 403
    assert client_for(tenant).get("/api/v1/security/shadow-leases.csv").status_code == 403
    from django.test import Client

    anonymous = Client()
    assert anonymous.get("/risk/security/shadow-leases/").status_code == 302
    assert anonymous.get("/api/v1/security/shadow-leases").status_code == 401


def test_csv_cells_never_run_as_formulas(portfolio, maker, auditor):
    direct_lease(
        portfolio["u1"], portfolio["customer"], by=maker, at=TUESDAY, code='=HYPERLINK("x")'
    )
    with time_machine.travel(local(2026, 12, 20, 12, 0), tick=False):
        response = client_for(auditor).get("/risk/security/shadow-leases/export.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][0] == '\'=HYPERLINK("x")'
    assert rows[1][3] == TUESDAY.isoformat()  # times in the organization's time zone
