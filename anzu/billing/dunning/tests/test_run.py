"""The daily run, dry run, CLI, execution with guards, payments, promises, pauses, exemptions."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.management import call_command

from anzu.billing import services as billing
from anzu.billing.dunning import executor, services
from anzu.billing.dunning.backtest import policy_backtest
from anzu.billing.dunning.choices import ActionStatus, CallStatus
from anzu.billing.dunning.models import (
    CallTask,
    DunningAction,
    DunningRun,
    DunningStep,
    PolicyVersion,
)
from anzu.billing.dunning.run import dunning_run
from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill
from anzu.common.errors import ValidationFailed
from anzu.common.testing import lease_data, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services as leasing_services
from anzu.leasing.models import Lease
from anzu.notify.models import MessageTemplate, OutboxMessage
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db(transaction=False)
D = dt.date
FEB = D(2026, 2, 1)


@pytest.fixture
def travel() -> Iterator[Callable[[dt.date], None]]:
    """Move the business date: travel(date) puts the clock at 10:00 Shanghai that day."""
    traveller = time_machine.travel(dt.datetime(2026, 1, 1, 2, 0, tzinfo=dt.UTC), tick=False)
    t = traveller.start()

    def go(day: dt.date) -> None:
        t.move_to(dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC))

    yield go
    traveller.stop()


@pytest.fixture
def cs(org: Any) -> Any:
    return make_user(org, "customer_service", username="cs-run")


@pytest.fixture
def billed_lease(portfolio: dict[str, Any], manager: Any, travel: Any) -> Callable[..., Lease]:
    """An active monthly lease from 2026-01-01, billed through March; rent due on the 1st."""

    def make(unit: str = "u1", **terms: Any) -> Lease:
        travel(dt.date(2026, 1, 1))
        data = lease_data(portfolio[unit], portfolio["customer"], **terms)
        lease = approve_as(leasing_services.lease_create(by=manager, data=data))
        lease = leasing_services.lease_submit(lease=lease, by=manager)
        lease = approve_as(leasing_services.lease_activate(lease=lease, by=manager))
        bills_generate(through=dt.date(2026, 3, 31), today=dt.date(2026, 1, 1))
        return lease

    return make


@pytest.fixture
def finance(org):
    return make_user(org, "finance", username="fin-run")


@pytest.fixture
def lease(billed_lease, finance):
    lease = billed_lease()
    # Deposit and January rent paid on signing: February's rent is the one to chase.
    billing.payment_record(by=finance, channel="cash", amount="6400.00", lease_id=lease.pk)
    return lease


def feb_bill(lease):
    return Bill.objects.get(lease=lease, kind="rent", due_date=FEB)


@pytest.fixture
def run(travel, django_capture_on_commit_callbacks):
    """Run the day like the scheduler: the run, then its on-commit work (action execution)."""

    def go(day, **kw):
        travel(day)
        with django_capture_on_commit_callbacks(execute=True):
            return dunning_run(on=day, **kw)

    return go


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def steps(lease):
    return sorted((s.stage_code, s.on_date) for s in DunningStep.objects.filter(lease=lease))


def test_daily_runs_walk_the_ladder_once(lease, run):
    for n in range(-9, 16):
        run(FEB + dt.timedelta(days=n))
    assert steps(lease) == [
        ("D+1", D(2026, 2, 2)),
        ("D+14", D(2026, 2, 15)),
        ("D+3", D(2026, 2, 4)),
        ("D+7", D(2026, 2, 8)),
        ("T-0", D(2026, 2, 1)),
        ("T-3", D(2026, 1, 29)),
        ("T-7", D(2026, 1, 25)),
    ]
    # March's bill (due 03-01) has reached T-7 only on 02-22, outside this walk.
    assert {s.bill_id for s in DunningStep.objects.all()} == {feb_bill(lease).pk}


def test_run_summary_second_run_creates_nothing_and_dry_run_writes_nothing(lease, travel):
    day = D(2026, 1, 25)
    travel(day)
    counts = (
        DunningStep.objects.count(),
        DunningAction.objects.count(),
        DunningRun.objects.count(),
    )
    dry = dunning_run(on=day, dry_run=True)
    assert (
        DunningStep.objects.count(),
        DunningAction.objects.count(),
        DunningRun.objects.count(),
        PolicyVersion.objects.count(),
    ) == (*counts, 0)
    first = dunning_run(on=day)
    assert first == {**dry, "dry_run": False}
    assert first["evaluated_bills"] == 1
    assert first["evaluated_leases"] == 1
    assert first["actions_created"] == 1
    assert first["by_stage"] == {"T-7": 1}
    second = dunning_run(on=day)
    assert second["actions_created"] == 0
    assert second["by_stage"] == {}
    assert DunningAction.objects.count() == 1
    assert DunningStep.objects.count() == 1


def test_cli_prints_one_json_object(lease, travel):
    travel(D(2026, 2, 2))
    out = io.StringIO()
    call_command("dunning", "run", "--date", "2026-02-02", "--dry-run", stdout=out)
    data = json.loads(out.getvalue())
    assert set(data) == {
        "date",
        "evaluated_bills",
        "evaluated_leases",
        "actions_created",
        "by_stage",
    }
    assert data["date"] == "2026-02-02"
    assert data["by_stage"] == {"D+1": 1}
    assert data["actions_created"] == 2  # call task + in-app message
    assert DunningStep.objects.count() == 0
    out = io.StringIO()
    call_command("dunning", "run", "--date", "2026-02-02", stdout=out)
    assert json.loads(out.getvalue())["actions_created"] == 2
    assert DunningStep.objects.count() == 1


def test_reminder_action_writes_outbox_rows_once(lease, run):
    run(D(2026, 1, 25))  # T-7
    action = DunningAction.objects.get()
    assert action.status == ActionStatus.DONE  # executed on commit (Huey runs inline in tests)
    messages = OutboxMessage.objects.filter(idempotency_key__startswith="dunning:")
    assert sorted(messages.values_list("channel", flat=True)) == ["in_app", "sms"]
    sms = messages.get(channel="sms")
    assert "3200.00" in sms.body and "2026-02-01" in sms.body
    assert action.result["messages"]["wechat_template"].startswith("skipped")
    # Executing again changes nothing.
    assert executor.action_execute(action_id=action.pk) == ActionStatus.DONE
    assert messages.count() == 2


def test_call_task_outcome_becomes_a_tag_and_a_promise_pauses_the_ladder(lease, run, cs, committed):
    run(D(2026, 2, 2))
    call = CallTask.objects.get()
    assert (call.status, call.amount, call.due_date) == (CallStatus.OPEN, Decimal("3200.00"), FEB)
    with committed():
        services.call_complete(
            call=call, by=cs, outcome="cash_flow", note="下周发工资", promise_amount="3200",
            promised_date="2026-02-06",
        )  # fmt: skip
    lease.customer.refresh_from_db()
    assert "催缴:资金困难" in lease.customer.tags
    # The promise holds the ladder through 02-06; the notice (D+3, 02-04) waits.
    for n in (3, 4, 5, 6):
        run(D(2026, 2, n))
    assert [c for c, _ in steps(lease)] == ["D+1"]
    # Broken promise: the ladder resumes with the required notice first.
    run(D(2026, 2, 7))
    assert ("D+3", D(2026, 2, 7)) in steps(lease)


def test_a_payment_stops_the_ladder_and_skips_queued_actions(
    lease, travel, run, finance, committed
):
    travel(D(2026, 2, 2))
    # Keep the action queued: the worker has not run yet.
    from anzu.billing.dunning import run as run_module

    _evaluation, created = run_module.run_organization(
        lease.organization_id, today=D(2026, 2, 2), dry_run=False
    )
    assert created == 2
    DunningAction.objects.update(status=ActionStatus.PENDING)
    CallTask.objects.all().delete()
    with committed():
        billing.payment_record(by=finance, channel="cash", amount="3200.00", lease_id=lease.pk)
    assert set(DunningAction.objects.values_list("status", flat=True)) == {ActionStatus.SKIPPED}
    assert [a.result for a in DunningAction.objects.all()] == [{"skipped": "paid"}] * 2
    summary = run(D(2026, 2, 4))
    assert summary["by_stage"] == {}


def test_guard_rechecked_right_before_execution(lease, travel, run, committed):
    run(D(2026, 1, 24))
    from anzu.billing.dunning import run as run_module

    run_module.run_organization(lease.organization_id, today=D(2026, 1, 25), dry_run=False)
    action = DunningAction.objects.get(status=ActionStatus.PENDING)
    admin = make_user(lease.organization, "admin")
    with committed():
        services.exemption_set(customer=lease.customer, by=admin, exempt=True, reason="政府补贴")
    action.refresh_from_db()
    assert action.status == ActionStatus.SKIPPED
    assert action.result == {"skipped": "exempt"}
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="dunning:").exists()


def test_pause_holds_and_resumes(lease, travel, run, manager):
    travel(D(2026, 2, 1))
    services.pause_create(lease=lease, by=manager, start="2026-02-01", end="2026-02-10",
                          reason="租客投诉处理中")  # fmt: skip
    for n in range(1, 12):
        run(D(2026, 2, n))
    # T-0 and D+1 (optional) were missed during the pause; the required notice comes first.
    assert [c for c, _ in steps(lease)] == ["D+3"]


def test_failed_action_is_kept_retried_with_backoff(lease, travel, run):
    travel(D(2026, 1, 25))
    from anzu.billing.dunning.policies import policy_ensure_default

    policy_ensure_default(lease.organization_id)
    MessageTemplate.objects.filter(code="dunning_reminder", channel="sms").delete()
    run(D(2026, 1, 25))
    action = DunningAction.objects.get()
    assert action.status == ActionStatus.FAILED
    assert "dunning_reminder" in action.error
    assert action.attempts == 1
    assert not OutboxMessage.objects.filter(idempotency_key__startswith="dunning:").exists()
    from anzu.billing.dunning.policies import message_templates_ensure

    message_templates_ensure(lease.organization_id)
    # Not yet: the backoff has not passed.
    assert executor.execute_pending() == {}
    travel(D(2026, 1, 26))
    assert executor.execute_pending() == {ActionStatus.DONE: 1}
    assert OutboxMessage.objects.filter(idempotency_key__startswith="dunning:").count() == 2


def test_run_is_audited(lease, run):
    run(D(2026, 1, 25))
    event = AuditEvent.objects.filter(action="dunning.run").get()
    assert event.changes["by_stage"] == {"T-7": 1}


def test_backtest_of_the_published_policy_reproduces_the_runs(lease, travel, run):
    for n in range(-9, 16):
        run(FEB + dt.timedelta(days=n))
    version = PolicyVersion.objects.get(status="published")
    travel(D(2026, 3, 1))
    result = policy_backtest(version=version, start=D(2026, 1, 23), end=D(2026, 2, 16))
    actual: dict[str, int] = {}
    for step in DunningStep.objects.all():
        actual[step.stage_code] = actual.get(step.stage_code, 0) + 1
    assert result["by_stage"] == actual
    by_day = {row["date"]: row["by_stage"] for row in result["by_day"] if row["by_stage"]}
    assert by_day["2026-02-04"] == {"D+3": 1}
    with pytest.raises(ValidationFailed) as caught:
        policy_backtest(version=version, start=D(2026, 2, 1), end=D(2026, 1, 1))
    assert caught.value.field == "to"


def test_draft_backtest_shows_the_difference(lease, travel, run, manager):
    run(D(2026, 1, 20))
    draft = services_draft(manager)
    travel(D(2026, 3, 1))
    result = policy_backtest(version=draft, start=D(2026, 1, 20), end=D(2026, 2, 10))
    assert "T-7" not in result["by_stage"]
    assert result["by_stage"]["T-3"] == 1


def services_draft(manager):
    from anzu.billing.dunning.policies import policy_draft_create
    from anzu.billing.dunning.policy import DEFAULT_STAGES

    return policy_draft_create(by=manager, data={"name": "无T-7", "stages": DEFAULT_STAGES[1:]})


def test_formal_notice_letter_and_settlement_are_produced_by_the_ladder(lease, run):
    from anzu.billing.settlement.models import SettlementCase
    from anzu.documents.models import Document
    from anzu.documents.pdf import verify_pdf
    from anzu.documents.services import document_content

    for n in range(-9, 16):
        run(FEB + dt.timedelta(days=n))
    docs = Document.objects.filter(related_type="leasing.lease", related_id=str(lease.pk))
    assert sorted(docs.values_list("kind", flat=True)) == ["formal_notice", "lawyer_letter"]
    notice = docs.get(kind="formal_notice")
    check = verify_pdf(document_content(notice), organization=lease.organization)
    assert (check.intact, check.trusted, check.bottom_line) == (True, True, True)
    case = SettlementCase.objects.get(lease=lease)
    assert case.source == "dunning"
    kinds = DunningAction.objects.filter(lease=lease).values_list("kind", "status")
    assert {s for _k, s in kinds} == {ActionStatus.DONE}


def test_freeze_requested_only_where_the_lease_allows_it(billed_lease, finance, run, manager):
    from anzu.billing.dunning.models import FreezeRequest

    allowed = billed_lease(unit="u1", allows_access_freeze=True)
    refused = billed_lease(unit="u2")
    for lease in (allowed, refused):
        billing.payment_record(by=finance, channel="cash", amount="6400.00", lease_id=lease.pk)
    for n in range(-1, 9):
        run(FEB + dt.timedelta(days=n))
    assert sorted(FreezeRequest.objects.values_list("lease_id", "kind", "status")) == [
        (allowed.pk, "door_access", "requested"),
        (allowed.pk, "parking", "requested"),
    ]
    assert not DunningStep.objects.filter(lease=refused, stage_code="D+7F").exists()
    freeze = FreezeRequest.objects.filter(kind="parking").get()
    approved = approve_as(services.freeze_decide(freeze=freeze, by=manager, approve=True))
    assert (approved.status, approved.decided_by) == ("approved", manager)
    with pytest.raises(Exception) as caught:
        services.freeze_decide(freeze=freeze, by=manager, approve=True)
    assert getattr(caught.value, "code", "") == "already_decided"


def test_wechat_reminder_goes_to_the_customers_openid(lease, run):
    customer = lease.customer
    customer.wechat_openid = "oAnzuTenant0001"
    customer.save(update_fields=["wechat_openid"])
    run(D(2026, 1, 25))
    wechat = OutboxMessage.objects.get(
        idempotency_key__startswith="dunning:", channel="wechat_template"
    )
    assert wechat.address == "oAnzuTenant0001"
    assert wechat.provider_template_id == "ANZU_DUNNING_REMINDER"
    assert dict(wechat.provider_params)["amount"] == "3200.00"
