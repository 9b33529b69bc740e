"""The dunning API: shapes, masking, errors ``{"code", "message", "field"}``, access."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from anzu.billing.dunning.choices import (
    ActionKind,
    ActionStatus,
    CallStatus,
    FreezeStatus,
    PolicyStatus,
)
from anzu.billing.dunning.executor import action_execute
from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningPause,
    FreezeRequest,
    PaymentPromise,
    PolicyVersion,
)
from anzu.billing.dunning.policies import policy_published
from anzu.billing.dunning.tests.conftest import client_for
from anzu.common.testing import OrganizationFactory, make_user
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def post(client, url, body=None):
    return client.post(
        url, json.dumps(body) if body is not None else "", content_type="application/json"
    )


def put(client, url, body):
    return client.put(url, json.dumps(body), content_type="application/json")


def assert_error(res, status, code, field=None):
    assert res.status_code == status, res.content
    body = res.json()
    assert (body["code"], body["field"]) == (code, field)
    assert isinstance(body["message"], str) and body["message"]


# Cases and actions -------------------------------------------------------------------------------


def test_cases_shape_and_counts(scenario, manager):
    res = client_for(manager).get("/api/v1/dunning/cases")
    assert res.status_code == 200
    body = res.json()
    assert (body["total"], body["page"], body["page_size"]) == (3, 1, 50)
    counts = {c["code"]: c["count"] for c in body["counts"]}
    assert counts == {
        "T-7": 0,
        "T-3": 0,
        "T-0": 0,
        "D+1": 2,
        "D+3": 1,
        "D+7": 0,
        "D+7F": 0,
        "D+14": 0,
    }
    first = body["items"][0]
    assert (first["lease_id"], first["due_date"], first["stage"], first["amount"]) == (
        scenario["b"].pk, "2026-02-01", "D+3", "6400.00"
    )  # fmt: skip
    assert (first["next_stage"], first["next_date"], first["pending_actions"]) == (
        "D+7", "2026-03-06", 2
    )  # fmt: skip
    assert first["customer"]["masked"] is True
    assert "*" in first["customer"]["phone"]


def test_cases_stage_filter(scenario, cs):
    body = client_for(cs).get("/api/v1/dunning/cases", {"stage": "D+1"}).json()
    assert [i["lease_id"] for i in body["items"]] == [scenario["a"].pk, scenario["b"].pk]
    assert body["items"][0]["customer"]["masked"] is False


def test_cases_refused_for_frontline(scenario, org):
    assert_error(
        client_for(make_user(org, "frontline")).get("/api/v1/dunning/cases"), 403, "forbidden"
    )


def test_actions_list_filter(scenario, finance):
    body = client_for(finance).get("/api/v1/dunning/actions", {"status": "pending"}).json()
    assert body["total"] == 6
    assert {i["kind"] for i in body["items"]} == {"call_task", "notify", "document"}
    assert (
        client_for(finance).get("/api/v1/dunning/actions", {"status": "done"}).json()["total"] == 0
    )


def test_action_retry(scenario, manager):
    action = DunningAction.objects.filter(kind=ActionKind.CALL_TASK).first()
    client = client_for(manager)
    assert_error(
        post(client, f"/api/v1/dunning/actions/{action.pk}/retry"), 409, "not_failed", "status"
    )
    DunningAction.objects.filter(pk=action.pk).update(status=ActionStatus.FAILED)
    res = post(client, f"/api/v1/dunning/actions/{action.pk}/retry")
    assert res.status_code == 200
    assert res.json()["status"] == "done"


def test_action_retry_other_org_is_404_and_cs_is_403(scenario, cs):
    action = DunningAction.objects.first()
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    assert_error(
        post(client_for(outsider), f"/api/v1/dunning/actions/{action.pk}/retry"), 404, "not_found"
    )
    assert_error(
        post(client_for(cs), f"/api/v1/dunning/actions/{action.pk}/retry"), 403, "forbidden"
    )


def test_run_dry_and_real(scenario, manager):
    client = client_for(manager)
    res = post(client, "/api/v1/dunning/run", {"date": "2026-03-02", "dry_run": True})
    assert res.status_code == 200
    assert res.json() == {
        "date": "2026-03-02", "dry_run": True, "evaluated_bills": 5, "evaluated_leases": 2,
        "actions_created": 0, "by_stage": {},
    }  # fmt: skip
    res = post(client, "/api/v1/dunning/run", {"date": "2026-03-04"})
    assert res.json()["by_stage"] == {"D+3": 3}
    assert_error(post(client, "/api/v1/dunning/run", {"date": "tomorrow"}), 422, "invalid", "date")
    assert_error(post(client, "/api/v1/dunning/run", {"when": "x"}), 422, "unknown_field", "when")


# Policies ----------------------------------------------------------------------------------------


def test_policies_list_create_update_publish(scenario, manager):
    client = client_for(manager)
    body = client.get("/api/v1/dunning/policies").json()
    assert [(v["number"], v["status"]) for v in body["items"]] == [(1, "published")]
    res = post(client, "/api/v1/dunning/policies")
    assert res.status_code == 201
    draft = res.json()
    assert (draft["number"], draft["status"], len(draft["stages"])) == (2, "draft", 8)
    stages = [s for s in draft["stages"] if s["code"] != "T-7"]
    res = put(
        client, f"/api/v1/dunning/policies/{draft['id']}", {"name": "精简版", "stages": stages}
    )
    assert res.status_code == 200
    assert (res.json()["name"], len(res.json()["stages"])) == ("精简版", 7)
    res = post(client, f"/api/v1/dunning/policies/{draft['id']}/publish")
    assert (res.status_code, res.json()["status"], res.json()["published_by"]) == (
        200,
        "published",
        "manager",
    )
    assert_error(
        put(client, f"/api/v1/dunning/policies/{draft['id']}", {"stages": stages}),
        409,
        "not_draft",
        "status",
    )
    assert PolicyVersion.objects.get(number=1).status == PolicyStatus.RETIRED


def test_policy_update_names_the_stage_field_and_writes_nothing(scenario, manager):
    client = client_for(manager)
    draft = post(client, "/api/v1/dunning/policies").json()
    stages = draft["stages"]
    stages[4]["offset_days"] = 0
    res = put(client, f"/api/v1/dunning/policies/{draft['id']}", {"stages": stages})
    assert_error(res, 422, "contradictory_policy", "stages[4].offset_days")
    assert PolicyVersion.objects.get(pk=draft["id"]).stages[4]["offset_days"] == 3


def test_policy_create_with_body_and_refusals(scenario, manager, cs):
    client = client_for(manager)
    res = post(client, "/api/v1/dunning/policies", {"name": "x", "stages": []})
    assert_error(res, 422, "invalid_policy", "stages")
    assert PolicyVersion.objects.count() == 1
    assert_error(post(client_for(cs), "/api/v1/dunning/policies"), 403, "forbidden")
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    version = policy_published(scenario["a"].organization_id)
    assert_error(
        client_for(outsider).get(f"/api/v1/dunning/policies/{version.pk}"), 404, "not_found"
    )


def test_backtest(scenario, manager, march2):
    version = policy_published(scenario["a"].organization_id)
    march2.move_to(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC))
    client = client_for(manager)
    res = post(
        client,
        f"/api/v1/dunning/policies/{version.pk}/backtest",
        {"from": "2026-03-03", "to": "2026-03-10"},
    )
    assert res.status_code == 200, res.content
    body = res.json()
    assert (body["from"], body["to"], body["days"]) == ("2026-03-03", "2026-03-10", 8)
    assert body["by_stage"] == {"D+3": 3, "D+7": 5, "D+7F": 2}
    assert body["by_day"][1] == {"date": "2026-03-04", "by_stage": {"D+3": 3}}
    assert {"date", "lease_id", "lease_code", "stage", "amount"} <= set(body["sample"][0])
    res = post(
        client,
        f"/api/v1/dunning/policies/{version.pk}/backtest",
        {"from": "2025-10-01", "to": "2026-03-01"},
    )
    assert_error(res, 422, "too_long", "to")


# Calls -------------------------------------------------------------------------------------------


@pytest.fixture
def calls(scenario):
    for action in DunningAction.objects.filter(kind=ActionKind.CALL_TASK).order_by("id"):
        action_execute(action_id=action.pk)
    return list(CallTask.objects.order_by("id"))


def test_calls_list_and_outcome(calls, cs):
    client = client_for(cs)
    body = client.get("/api/v1/dunning/calls").json()
    assert body["total"] == 2
    assert body["items"][0]["customer"]["masked"] is False
    res = post(
        client, f"/api/v1/dunning/calls/{calls[0].pk}/outcome",
        {"outcome": "forgot", "note": "马上转账", "promise_amount": "100", "promised_date": "2026-03-05"},
    )  # fmt: skip
    assert res.status_code == 200
    assert (res.json()["status"], res.json()["outcome"]) == ("done", "forgot")
    calls[0].customer.refresh_from_db()
    assert "催缴:忘记缴费" in calls[0].customer.tags
    assert PaymentPromise.objects.get().call_task_id == calls[0].pk
    assert_error(
        post(client, f"/api/v1/dunning/calls/{calls[0].pk}/outcome", {"outcome": "forgot"}),
        409, "not_open", "status",
    )  # fmt: skip


def test_call_outcome_errors(calls, cs, finance):
    client = client_for(cs)
    url = f"/api/v1/dunning/calls/{calls[1].pk}/outcome"
    assert_error(post(client, url, {"outcome": "angry"}), 422, "invalid_choice", "outcome")
    res = post(
        client, url, {"outcome": "other", "promise_amount": "-5", "promised_date": "2026-03-05"}
    )
    assert_error(res, 422, "negative", "promise_amount")
    res = post(client, url, {"outcome": "other", "promise_amount": "10"})
    assert_error(res, 422, "required", "promised_date")
    calls[1].refresh_from_db()
    assert calls[1].status == CallStatus.OPEN
    assert_error(post(client_for(finance), url, {"outcome": "other"}), 403, "forbidden")


def test_calls_mine_filter(calls, cs):
    client = client_for(cs)
    assert client.get("/api/v1/dunning/calls", {"show": "mine"}).json()["total"] == 0
    CallTask.objects.filter(pk=calls[0].pk).update(assigned_to=cs)
    body = client.get("/api/v1/dunning/calls", {"show": "mine"}).json()
    assert [i["id"] for i in body["items"]] == [calls[0].pk]
    assert client.get("/api/v1/dunning/calls", {"show": "unassigned"}).json()["total"] == 1


# Promises, pauses, exemption ---------------------------------------------------------------------


def test_promise_create_and_errors(scenario, cs, finance):
    a = scenario["a"]
    client = client_for(cs)
    url = f"/api/v1/dunning/leases/{a.pk}/promises"
    res = post(client, url, {"amount": "6400.00", "promised_date": "2026-03-15"})
    assert res.status_code == 201
    assert (res.json()["state"], res.json()["amount"]) == ("open", "6400.00")
    assert_error(
        post(client, url, {"amount": "10", "promised_date": "2026-06-15"}),
        422,
        "too_far",
        "promised_date",
    )
    assert_error(
        post(client_for(finance), url, {"amount": "10", "promised_date": "2026-03-15"}),
        403,
        "forbidden",
    )
    assert PaymentPromise.objects.count() == 1


def test_pause_create_cancel(scenario, manager, cs):
    b = scenario["b"]
    client = client_for(manager)
    url = f"/api/v1/dunning/leases/{b.pk}/pauses"
    assert_error(
        post(client, url, {"start": "2026-03-10", "end": "2026-03-01", "reason": "争议"}),
        422,
        "invalid",
        "end",
    )
    assert not DunningPause.objects.exists()
    assert_error(
        post(client_for(cs), url, {"start": "2026-03-02", "end": "2026-03-10", "reason": "争议"}),
        403,
        "forbidden",
    )
    res = post(client, url, {"start": "2026-03-02", "end": "2026-03-10", "reason": "账单争议"})
    assert res.status_code == 201
    pause_id = res.json()["id"]
    res = post(client, f"/api/v1/dunning/pauses/{pause_id}/cancel")
    assert res.status_code == 200 and res.json()["cancelled_at"]
    assert_error(post(client, f"/api/v1/dunning/pauses/{pause_id}/cancel"), 409, "cancelled")


def test_exemption(scenario, manager):
    customer = scenario["a"].customer
    client = client_for(manager)
    url = f"/api/v1/dunning/customers/{customer.pk}/exemption"
    assert_error(post(client, url, {"exempt": True}), 422, "required", "reason")
    res = post(client, url, {"exempt": True, "reason": "政府保障房租户"})
    assert res.json() == {"customer_id": customer.pk, "exempt": True, "tags": ["免催缴"]}
    res = post(client, url, {"exempt": False})
    assert res.json()["exempt"] is False
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    assert_error(post(client_for(outsider), url, {"exempt": False}), 404, "not_found")


# Freezes -----------------------------------------------------------------------------------------


@pytest.fixture
def freeze(scenario, org):
    a = scenario["a"]
    return FreezeRequest.objects.create(
        organization=org, lease=a, customer=a.customer, kind="parking", amount="6400.00",
        created_at=a.created_at,
    )  # fmt: skip


def test_freezes_list_and_approve(freeze, manager):
    client = client_for(manager)
    body = client.get("/api/v1/dunning/freezes").json()
    assert [(i["id"], i["status"]) for i in body["items"]] == [(freeze.pk, "requested")]
    res = post(client, f"/api/v1/dunning/freezes/{freeze.pk}/approve")
    # Approving a freeze is guarded: a second person confirms it.
    assert (res.status_code, res.json()["action"]) == (202, "dunning.freeze")
    assert client.get("/api/v1/dunning/freezes").json()["items"][0]["status"] == "requested"
    approve_as(ApprovalRequest.objects.get(pk=res.json()["id"]))
    res = client.get("/api/v1/dunning/freezes")
    item = res.json()["items"][0]
    assert (item["status"], item["decided_by"]) == ("approved", "manager")
    assert_error(
        post(client, f"/api/v1/dunning/freezes/{freeze.pk}/reject", {"reason": "x"}),
        409,
        "already_decided",
        "status",
    )


def test_freeze_reject_requires_reason(freeze, manager):
    client = client_for(manager)
    assert_error(
        post(client, f"/api/v1/dunning/freezes/{freeze.pk}/reject", {}), 422, "required", "reason"
    )
    freeze.refresh_from_db()
    assert freeze.status == FreezeStatus.REQUESTED
    res = post(client, f"/api/v1/dunning/freezes/{freeze.pk}/reject", {"reason": "已承诺还款"})
    assert (res.json()["status"], res.json()["reason"]) == ("rejected", "已承诺还款")


def test_freeze_access(freeze, cs, org, portfolio):
    assert_error(
        post(client_for(cs), f"/api/v1/dunning/freezes/{freeze.pk}/approve"), 403, "forbidden"
    )
    scoped = make_user(org, "management", projects=[portfolio["p2"]])
    assert_error(
        post(client_for(scoped), f"/api/v1/dunning/freezes/{freeze.pk}/approve"), 404, "not_found"
    )
    assert client_for(scoped).get("/api/v1/dunning/freezes").json()["total"] == 0
