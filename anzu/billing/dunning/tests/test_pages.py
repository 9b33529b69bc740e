"""The dunning pages: who may open them, the board's counts, editor errors, call outcomes,
freeze decisions."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from anzu.billing import services as billing_services
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
from anzu.core.models import AuditEvent
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db
D = dt.date


def _text(res) -> str:
    return res.content.decode()


def _stat(html: str, code: str) -> int:
    match = re.search(rf'id="stage-{re.escape(code)}"[^>]*><span class="stat-value">(\d+)<', html)
    assert match, code
    return int(match.group(1))


# Who may open what -------------------------------------------------------------------------------

PAGES = [
    ("/billing/dunning/", "dunning.view"),
    ("/billing/dunning/actions/", "dunning.view"),
    ("/billing/dunning/policies/", "dunning.view"),
    ("/billing/dunning/freezes/", "dunning.view"),
    ("/billing/dunning/calls/", "calls.work"),
]


@pytest.mark.parametrize(("url", "capability"), PAGES)
def test_pages_open_for_allowed_roles_and_refuse_others(scenario, org, url, capability):
    from anzu.core.access import CAPABILITIES

    for role in ("admin", "management", "finance", "legal", "customer_service", "frontline"):
        user = make_user(org, role)
        res = client_for(user).get(url)
        expected = 200 if role in CAPABILITIES[capability] else 403
        assert res.status_code == expected, (url, role)


def test_lease_page_and_policy_page_of_other_org_are_404(scenario):
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    client = client_for(outsider)
    assert client.get(f"/billing/dunning/leases/{scenario['a'].pk}/").status_code == 404
    version = policy_published(scenario["a"].organization_id)
    assert client.get(f"/billing/dunning/policies/{version.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(scenario, client):
    res = client.get("/billing/dunning/")
    assert res.status_code == 302
    assert "/accounts/login/" in res["Location"]


# Board -------------------------------------------------------------------------------------------


def test_board_counts_cases_by_furthest_stage(scenario, manager):
    assert scenario["summary"]["by_stage"] == {"D+1": 3, "D+3": 2}
    html = _text(client_for(manager).get("/billing/dunning/"))
    counts = {
        code: _stat(html, code) for code in ("T-7", "T-3", "T-0", "D+1", "D+3", "D+7", "D+14")
    }
    assert counts == {"T-7": 0, "T-3": 0, "T-0": 0, "D+1": 2, "D+3": 1, "D+7": 0, "D+14": 0}
    assert html.count('href="/billing/dunning/leases/') == 3


def test_board_filter_by_stage_shows_amounts_and_next_stage(scenario, manager):
    res = client_for(manager).get("/billing/dunning/", {"stage": "D+1"})
    rows = re.findall(r"<tr>\s*<td><a href=\"/billing/dunning/leases/(\d+)/\">", _text(res))
    assert [int(r) for r in rows] == [scenario["a"].pk, scenario["b"].pk]
    html = _text(res)
    assert "¥6,400.00" in html and "¥3,200.00" in html
    assert "D+3 · 2026-03-04" in html


def test_board_drops_a_case_once_paid(scenario, manager, finance):
    billing_services.payment_record(
        by=finance, lease_id=scenario["b"].pk, channel="cash", amount="6400.00"
    )
    html = _text(client_for(manager).get("/billing/dunning/"))
    assert (_stat(html, "D+1"), _stat(html, "D+3")) == (2, 0)


def test_board_project_filter(scenario, manager, portfolio):
    html = _text(client_for(manager).get("/billing/dunning/", {"project_id": portfolio["p1"].pk}))
    assert (_stat(html, "D+1"), _stat(html, "D+3")) == (1, 0)


def test_board_masks_phones_without_pii_view(scenario, manager, cs):
    phone = scenario["a"].customer.phone
    masked = _text(client_for(manager).get("/billing/dunning/"))
    assert phone not in masked and f"{phone[:3]}****{phone[-4:]}" in masked
    assert phone in _text(client_for(cs).get("/billing/dunning/"))


def test_board_has_no_run_buttons_without_manage(scenario, org):
    html = _text(client_for(make_user(org, "legal")).get("/billing/dunning/"))
    assert "/billing/dunning/run/" not in html


def test_presenter_hides_amounts_without_amounts_view(scenario, org, manager):
    from anzu.billing.dunning import selectors
    from anzu.billing.dunning.presenters import present_case

    policy = selectors.policy_of(selectors.board_version(org.pk))
    items = list(selectors.cases(manager, policy))
    rows = selectors.case_rows(policy, items)
    frontline = make_user(org, "frontline")
    data = present_case(frontline, rows[0])
    assert (data["amount"], data["amounts_hidden"]) == (None, True)
    assert present_case(manager, rows[0])["amount"] is not None


def test_dry_run_shows_summary_and_writes_nothing(scenario, manager):
    before = DunningAction.objects.count()
    res = client_for(manager).post("/billing/dunning/run/dry-run/")
    assert res.status_code == 200
    summary = re.search(r'<pre id="run-summary"><code>(.*?)</code>', _text(res), re.S).group(1)
    data = json.loads(summary.replace("&quot;", '"'))
    assert (data["dry_run"], data["actions_created"], data["date"]) == (True, 0, "2026-03-02")
    assert DunningAction.objects.count() == before


def test_run_today_needs_manage(scenario, cs):
    assert client_for(cs).post("/billing/dunning/run/run/").status_code == 403


def test_run_today_is_idempotent(scenario, manager):
    before = DunningAction.objects.count()
    res = client_for(manager).post("/billing/dunning/run/run/")
    assert res.status_code == 302
    assert DunningAction.objects.count() == before


# Actions -----------------------------------------------------------------------------------------


def test_action_log_filters_and_retry(scenario, manager):
    action = DunningAction.objects.filter(kind=ActionKind.CALL_TASK).first()
    DunningAction.objects.filter(pk=action.pk).update(status=ActionStatus.FAILED, error="boom")
    client = client_for(manager)
    html = _text(client.get("/billing/dunning/actions/", {"status": "failed"}))
    assert html.count('<tr id="action-') == 1 and "boom" in html
    res = client.post(f"/billing/dunning/actions/{action.pk}/retry/")
    assert res.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE
    assert CallTask.objects.filter(action=action).count() == 1


def test_retry_refused_for_cs(scenario, cs):
    action = DunningAction.objects.first()
    assert client_for(cs).post(f"/billing/dunning/actions/{action.pk}/retry/").status_code == 403


# Lease timeline ----------------------------------------------------------------------------------


def test_lease_page_lists_steps_and_adds_a_promise(scenario, cs):
    a = scenario["a"]
    client = client_for(cs)
    res = client.get(f"/billing/dunning/leases/{a.pk}/")
    assert res.status_code == 200
    assert _text(res).count("D+1") >= 2
    res = client.post(
        f"/billing/dunning/leases/{a.pk}/promise/",
        {"amount": "6400", "promised_date": "2026-03-12", "note": "月中发工资"},
    )
    assert res.status_code == 302
    promise = PaymentPromise.objects.get(lease=a)
    assert (str(promise.amount), promise.promised_date) == ("6400.00", D(2026, 3, 12))


def test_promise_in_the_past_is_refused_on_the_field(scenario, cs):
    a = scenario["a"]
    res = client_for(cs).post(
        f"/billing/dunning/leases/{a.pk}/promise/", {"amount": "100", "promised_date": "2026-03-01"}
    )
    assert res.status_code == 422
    assert re.search(r'id="field-promised_date".*?field-error', _text(res), re.S)
    assert not PaymentPromise.objects.exists()


def test_pause_and_exemption_need_manage(scenario, cs, manager):
    a = scenario["a"]
    data = {"start": "2026-03-02", "end": "2026-03-20", "reason": "账单争议"}
    assert client_for(cs).post(f"/billing/dunning/leases/{a.pk}/pause/", data).status_code == 403
    assert not DunningPause.objects.exists()
    client = client_for(manager)
    assert client.post(f"/billing/dunning/leases/{a.pk}/pause/", data).status_code == 302
    pause = DunningPause.objects.get()
    assert (
        client.post(f"/billing/dunning/leases/{a.pk}/pause-cancel/{pause.pk}/").status_code == 302
    )
    pause.refresh_from_db()
    assert pause.cancelled_at is not None
    res = client.post(f"/billing/dunning/leases/{a.pk}/exemption/", {"exempt": "1", "reason": ""})
    assert res.status_code == 422
    a.customer.refresh_from_db()
    assert "免催缴" not in a.customer.tags
    res = client.post(
        f"/billing/dunning/leases/{a.pk}/exemption/", {"exempt": "1", "reason": "重点客户"}
    )
    assert res.status_code == 302
    a.customer.refresh_from_db()
    assert "免催缴" in a.customer.tags


# Policies ----------------------------------------------------------------------------------------


def _draft(manager) -> PolicyVersion:
    res = client_for(manager).post("/billing/dunning/policies/new/")
    assert res.status_code == 302
    return PolicyVersion.objects.get(status=PolicyStatus.DRAFT)


def test_editor_shows_contradictory_offset_on_the_field_and_saves_nothing(scenario, manager):
    draft = _draft(manager)
    stages = list(draft.stages)
    stages[3] = {**stages[3], "offset_days": -10}
    res = client_for(manager).post(
        f"/billing/dunning/policies/{draft.pk}/",
        {
            "name": "改版",
            "exempt_tags": "免催缴",
            "catch_up_days": "60",
            "stages_json": json.dumps(stages, ensure_ascii=False),
        },
    )
    assert res.status_code == 422
    html = _text(res)
    field = re.search(r'id="field-stages_json".*?</div>', html, re.S).group(0)
    assert "stages[3].offset_days" in field and "field-error" in field
    draft.refresh_from_db()
    assert draft.name != "改版"
    assert draft.stages[3]["offset_days"] == 1


def test_editor_refuses_broken_json(scenario, manager):
    draft = _draft(manager)
    res = client_for(manager).post(
        f"/billing/dunning/policies/{draft.pk}/",
        {"name": "x", "catch_up_days": "60", "stages_json": "[{"},
    )
    assert res.status_code == 422
    assert re.search(r'id="field-stages_json".*?field-error', _text(res), re.S)


def test_edit_and_publish_flow(scenario, manager):
    published = policy_published(scenario["a"].organization_id)
    draft = _draft(manager)
    client = client_for(manager)
    stages = [s for s in draft.stages if s["code"] != "T-7"]
    res = client.post(
        f"/billing/dunning/policies/{draft.pk}/",
        {"name": "无T-7", "exempt_tags": "免催缴, VIP", "catch_up_days": "30",
         "stages_json": json.dumps(stages, ensure_ascii=False)},
    )  # fmt: skip
    assert res.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.exempt_tags, draft.catch_up_days) == ("无T-7", ["免催缴", "VIP"], 30)
    assert client.post(f"/billing/dunning/policies/{draft.pk}/publish/").status_code == 302
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == (PolicyStatus.PUBLISHED, PolicyStatus.RETIRED)
    assert draft.published_by == manager
    html = _text(client.get("/billing/dunning/policies/"))
    assert "无T-7" in html
    # A published version is not editable: the page has no editor.
    assert 'id="policy-form"' not in _text(client.get(f"/billing/dunning/policies/{draft.pk}/"))


def test_policy_edit_refused_for_legal(scenario, org, manager):
    draft = _draft(manager)
    res = client_for(make_user(org, "legal")).post(
        f"/billing/dunning/policies/{draft.pk}/", {"name": "x"}
    )
    assert res.status_code == 403


def test_backtest_on_the_policy_page(scenario, manager, march2):
    version = policy_published(scenario["a"].organization_id)
    march2.move_to(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC))
    res = client_for(manager).get(
        f"/billing/dunning/policies/{version.pk}/", {"start": "2026-03-03", "end": "2026-03-10"}
    )
    assert res.status_code == 200
    html = _text(res)
    assert 'id="backtest-summary"' in html
    totals = re.search(r'<tr id="backtest-totals">(.*?)</tr>', html, re.S).group(1)
    # 03-01 bills (3): D+3 on 03-04, D+7 on 03-08 (lease a allows a freeze: D+7F for its 2).
    # 02-01 bills (2): D+3 was on 03-02, 26 days late, so D+7 comes on 03-06.
    cells = re.findall(r'<th class="num">(\d+)</th>', totals)
    assert cells == ["0", "0", "0", "0", "3", "5", "2", "0"]


def test_backtest_longer_than_92_days_is_refused(scenario, manager):
    version = policy_published(scenario["a"].organization_id)
    res = client_for(manager).get(
        f"/billing/dunning/policies/{version.pk}/", {"start": "2025-10-01", "end": "2026-03-01"}
    )
    assert re.search(r'id="field-end".*?field-error', _text(res), re.S)


# Calls -------------------------------------------------------------------------------------------


def _calls(scenario) -> list[CallTask]:
    for action in DunningAction.objects.filter(kind=ActionKind.CALL_TASK).order_by("id"):
        assert action_execute(action_id=action.pk) == ActionStatus.DONE
    return list(CallTask.objects.order_by("id"))


def test_call_queue_and_script(scenario, cs):
    calls = _calls(scenario)
    assert len(calls) == 2
    client = client_for(cs)
    html = _text(client.get("/billing/dunning/calls/"))
    assert html.count('<tr id="call-') == 2
    res = client.get(f"/billing/dunning/calls/{calls[0].pk}/")
    html = _text(res)
    assert "您好，请问是" in html
    assert f'href="/billing/leases/{calls[0].lease_id}/"' in html
    # Customer service sees the full phone (pii.view).
    assert calls[0].customer.phone in html


def test_call_assign_to_me_and_mine_filter(scenario, cs):
    calls = _calls(scenario)
    client = client_for(cs)
    assert client.post(f"/billing/dunning/calls/{calls[1].pk}/assign/").status_code == 302
    calls[1].refresh_from_db()
    assert calls[1].assigned_to == cs
    html = _text(client.get("/billing/dunning/calls/", {"show": "mine"}))
    assert re.findall(r'<tr id="call-(\d+)"', html) == [str(calls[1].pk)]


def test_call_outcome_adds_tag_and_promise(scenario, cs):
    call = _calls(scenario)[0]
    res = client_for(cs).post(
        f"/billing/dunning/calls/{call.pk}/",
        {"outcome": "cash_flow", "note": "下周发工资", "promise_amount": "6400",
         "promised_date": "2026-03-09"},
    )  # fmt: skip
    assert res.status_code == 302
    call.refresh_from_db()
    call.customer.refresh_from_db()
    assert (call.status, call.outcome, call.completed_by) == (CallStatus.DONE, "cash_flow", cs)
    assert "催缴:资金困难" in call.customer.tags
    promise = PaymentPromise.objects.get()
    assert (promise.call_task, promise.promised_date, str(promise.amount)) == (
        call,
        D(2026, 3, 9),
        "6400.00",
    )


def test_call_outcome_with_amount_but_no_date_writes_nothing(scenario, cs):
    call = _calls(scenario)[0]
    res = client_for(cs).post(
        f"/billing/dunning/calls/{call.pk}/", {"outcome": "forgot", "promise_amount": "100"}
    )
    assert res.status_code == 422
    assert re.search(r'id="field-promised_date".*?field-error', _text(res), re.S)
    call.refresh_from_db()
    call.customer.refresh_from_db()
    assert call.status == CallStatus.OPEN
    assert not any(t.startswith("催缴:") for t in call.customer.tags)
    assert not PaymentPromise.objects.exists()


def test_call_pages_refused_for_finance(scenario, finance):
    call = _calls(scenario)[0]
    assert client_for(finance).get(f"/billing/dunning/calls/{call.pk}/").status_code == 403


# Freezes -----------------------------------------------------------------------------------------


@pytest.fixture
def freeze(scenario, org):
    a = scenario["a"]
    return FreezeRequest.objects.create(
        organization=org, lease=a, customer=a.customer, kind="door_access", amount="6400.00",
        created_at=a.created_at,
    )  # fmt: skip


def test_freeze_approve_shows_the_approver(freeze, manager):
    manager.display_name = "王经理"
    manager.save()
    client = client_for(manager)
    asked = client.post(f"/billing/dunning/freezes/{freeze.pk}/approve/")
    request = ApprovalRequest.objects.get(action="dunning.freeze")
    assert asked["Location"] == f"/approvals/{request.pk}/"
    freeze.refresh_from_db()
    assert freeze.status == FreezeStatus.REQUESTED
    approve_as(request)
    freeze.refresh_from_db()
    assert (freeze.status, freeze.decided_by) == (FreezeStatus.APPROVED, manager)
    html = _text(client.get("/billing/dunning/freezes/"))
    row = re.search(rf'<tr id="freeze-{freeze.pk}">.*?</tr>', html, re.S).group(0)
    assert "王经理" in row
    assert AuditEvent.objects.filter(action="dunning.freeze_approve").count() == 1


def test_freeze_reject_needs_a_reason(freeze, manager):
    client = client_for(manager)
    res = client.post(f"/billing/dunning/freezes/{freeze.pk}/reject/", {"reason": ""})
    assert res.status_code == 422
    assert 'role="alert"' in _text(res)
    freeze.refresh_from_db()
    assert (freeze.status, freeze.decided_by) == (FreezeStatus.REQUESTED, None)
    res = client.post(f"/billing/dunning/freezes/{freeze.pk}/reject/", {"reason": "已协商"})
    assert res.status_code == 302
    freeze.refresh_from_db()
    assert (freeze.status, freeze.reason) == (FreezeStatus.REJECTED, "已协商")


def test_freeze_lift(freeze, manager):
    client = client_for(manager)
    client.post(f"/billing/dunning/freezes/{freeze.pk}/approve/")
    approve_as(ApprovalRequest.objects.get(action="dunning.freeze"))
    assert (
        client.post(f"/billing/dunning/freezes/{freeze.pk}/lift/", {"reason": "已缴清"}).status_code
        == 302
    )
    freeze.refresh_from_db()
    assert freeze.status == FreezeStatus.LIFTED


def test_freeze_decisions_refused_for_finance_and_other_org(freeze, finance):
    assert (
        client_for(finance).post(f"/billing/dunning/freezes/{freeze.pk}/approve/").status_code
        == 403
    )
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    assert (
        client_for(outsider).post(f"/billing/dunning/freezes/{freeze.pk}/approve/").status_code
        == 404
    )
    freeze.refresh_from_db()
    assert freeze.status == FreezeStatus.REQUESTED


def test_pages_are_chinese_by_default_with_english_available(scenario, manager):
    client = client_for(manager)
    html = _text(client.get("/billing/dunning/"))
    assert "<h1>催缴看板</h1>" in html and "今日试运行" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "<h1>Dunning board</h1>" in _text(client.get("/billing/dunning/"))


def test_policy_error_is_translated(scenario, manager):
    draft = _draft(manager)
    stages = list(draft.stages)
    stages[3] = {**stages[3], "offset_days": -10}
    res = client_for(manager).post(
        f"/billing/dunning/policies/{draft.pk}/",
        {"name": "x", "catch_up_days": "60", "stages_json": json.dumps(stages)},
    )
    assert "stages[3].offset_days: 此偏移天数早于上一阶段" in _text(res)
