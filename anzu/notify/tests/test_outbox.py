"""The outbox: enqueue in the caller's transaction, idempotency, claims, retries, recovery."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.db import transaction

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import CustomerFactory, make_tenant, make_user
from anzu.core.models import AuditEvent
from anzu.notify import delivery, services, tasks
from anzu.notify.config import NotifyConfig
from anzu.notify.models import (
    DeliveryAttempt,
    InboxMessage,
    MessageTemplate,
    OutboxMessage,
    SandboxMessage,
)
from anzu.notify.tests.helpers import configure, enqueue

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_enqueue_outside_a_transaction_is_refused():
    from anzu.common.testing import OrganizationFactory

    org = OrganizationFactory()
    with pytest.raises(services.NotInTransaction):
        services.outbox_enqueue(
            organization_id=org.pk, channel="sms", idempotency_key="k", address="1", body="x"
        )
    assert not OutboxMessage.objects.exists()


def test_enqueue_writes_a_pending_row_and_delivers_after_commit(
    org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = enqueue(org, idempotency_key="bill-1:t-7:sms")
    assert message.status == "pending"
    assert message.body == "您有一笔租金 3200.00 元将于 2026-12-05 到期。"
    assert message.provider_params == [["amount", "3200.00"], ["due_date", "2026-12-05"]]
    assert not SandboxMessage.objects.exists()  # nothing before the commit
    assert len(callbacks) == 1
    callbacks[0]()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider) == ("sent", 1, "sandbox")
    record = SandboxMessage.objects.get()
    assert record.address == "13800000001"
    assert record.body == message.body
    assert record.provider_key == message.provider_key
    assert message.provider_message_id == f"sandbox-{record.pk}"
    assert list(DeliveryAttempt.objects.values_list("outcome", flat=True)) == ["sent"]


def test_same_idempotency_key_twice_returns_the_row_and_creates_nothing(
    org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = enqueue(org, idempotency_key="bill-1:t-7:sms")
        second = enqueue(
            org, idempotency_key="bill-1:t-7:sms", payload={"amount": "1.00", "due_date": "x"}
        )
    assert second.pk == first.pk
    assert OutboxMessage.objects.count() == 1
    assert len(callbacks) == 1
    assert SandboxMessage.objects.count() == 1


def test_idempotency_key_is_per_organization(org, other_org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        a = enqueue(org, idempotency_key="same")
        b = enqueue(other_org, idempotency_key="same")
    assert a.pk != b.pk


def test_enqueue_validates_before_writing(org, other_org):
    other_customer = CustomerFactory(organization=other_org)
    cases = [
        ({"channel": "fax"}, "channel"),
        ({"idempotency_key": ""}, "idempotency_key"),
        ({"customer_id": other_customer.pk}, "customer_id"),
        ({"address": "", "channel": "wechat_template"}, "address"),
        ({"body": "{unknown}"}, "body"),
        ({"payload": {"amount": "1"}}, "payload"),
        ({"body": "", "template_code": "nope"}, "template_code"),
        ({"channel": "in_app", "address": ""}, "customer_id"),
    ]
    for overrides, field in cases:
        data = {"idempotency_key": "k", **overrides}
        with pytest.raises(ValidationFailed) as caught:
            enqueue(org, **data)
        assert caught.value.field == field, overrides
    assert not OutboxMessage.objects.exists()


def test_enqueue_from_template_and_customer_phone(org, django_capture_on_commit_callbacks):
    customer = CustomerFactory(organization=org, phone="13912345678")
    MessageTemplate.objects.create(
        organization=org,
        code="rent_due",
        channel="sms",
        language="zh-hans",
        body="{customer_name}您好，租金{amount}元请于{deadline}前支付至{account}。",
        provider_template_id="SMS_1",
        provider_params=[["name", "customer_name"], ["amount", "amount"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            org,
            idempotency_key="k1",
            address="",
            body="",
            template_code="rent_due",
            language="en",  # falls back to the Chinese template
            customer_id=customer.pk,
            payload={
                "customer_name": "王五",
                "amount": "3200.00",
                "deadline": "12月5日",
                "account": "招商银行 6225",
            },
        )
    message.refresh_from_db()
    assert message.address == "13912345678"
    assert message.body == "王五您好，租金3200.00元请于12月5日前支付至招商银行 6225。"
    assert message.provider_template_id == "SMS_1"
    assert message.provider_params == [["name", "王五"], ["amount", "3200.00"]]
    assert message.status == "sent"


def test_in_app_message_lands_in_the_tenant_inbox(org, django_capture_on_commit_callbacks):
    customer = CustomerFactory(organization=org)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            org,
            idempotency_key="inapp-1",
            channel="in_app",
            address="",
            customer_id=customer.pk,
            subject="租金提醒",
        )
    inbox = InboxMessage.objects.get()
    assert (inbox.customer_id, inbox.outbox_message_id, inbox.subject) == (
        customer.pk,
        message.pk,
        "租金提醒",
    )
    # Handing the same message over again does not duplicate it.
    from anzu.notify.providers.inapp import InAppProvider

    InAppProvider().send(message)
    assert InboxMessage.objects.count() == 1


def test_backoff_is_exponential_jittered_and_capped():
    cfg = NotifyConfig(backoff_base_seconds=30, backoff_max_seconds=600)
    rng = random.Random(7)
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (4, 240), (5, 480), (6, 600), (40, 600)]:
        for _ in range(20):
            delay = delivery.backoff_seconds(attempts, cfg, rng)
            assert ceiling / 2 <= delay <= ceiling


def _failing(monkeypatch, errors):
    """Make the sandbox raise the given errors in turn, then succeed; return the call log."""
    from anzu.notify.providers.sandbox import SandboxProvider

    calls: list[int] = []
    original = SandboxProvider.send

    def send(self, message):
        calls.append(message.pk)
        if errors:
            raise errors.pop(0)
        return original(self, message)

    monkeypatch.setattr(SandboxProvider, "send", send)
    return calls


def test_retryable_failures_back_off_then_deliver_once(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from anzu.integrations.base import RetryableError

    configure(settings, backoff_base_seconds=30, backoff_max_seconds=300)
    calls = _failing(monkeypatch, [RetryableError("busy"), RetryableError("busy")])
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue(org, idempotency_key="k")
        message.refresh_from_db()
        assert (message.status, message.attempts, message.last_error) == ("failed", 1, "busy")
        assert (
            START + dt.timedelta(seconds=15)
            <= message.next_attempt_at
            <= START + dt.timedelta(seconds=30)
        )
        assert tasks.sweep() == 0  # not due yet
        clock.shift(dt.timedelta(seconds=30))
        assert tasks.sweep() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("failed", 2)
        clock.shift(dt.timedelta(seconds=60))
        assert tasks.sweep() == 1
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 3)
        clock.shift(dt.timedelta(hours=1))
        assert tasks.sweep() == 0
    assert calls == [message.pk] * 3
    assert SandboxMessage.objects.get().handovers == 1
    assert list(DeliveryAttempt.objects.order_by("id").values_list("number", "outcome")) == [
        (1, "retryable"),
        (2, "retryable"),
        (3, "sent"),
    ]


def test_permanent_failure_is_dead_at_once(org, monkeypatch, django_capture_on_commit_callbacks):
    from anzu.integrations.base import PermanentError

    _failing(monkeypatch, [PermanentError("bad number", code="isv.MOBILE_NUMBER_ILLEGAL")])
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k")
    message.refresh_from_db()
    assert message.status == "dead"
    assert message.last_error == "isv.MOBILE_NUMBER_ILLEGAL: bad number"
    assert tasks.sweep() == 0


def test_attempts_are_limited_then_dead(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from anzu.integrations.base import RetryableError

    configure(settings, max_attempts=3, backoff_base_seconds=10, backoff_max_seconds=10)
    calls = _failing(monkeypatch, [RetryableError("down")] * 10)
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue(org, idempotency_key="k")
        for _ in range(5):
            clock.shift(dt.timedelta(seconds=11))
            tasks.sweep()
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("dead", 3)
    assert len(calls) == 3


def test_a_provider_crash_is_retried_not_lost(org, monkeypatch, django_capture_on_commit_callbacks):
    _failing(monkeypatch, [ZeroDivisionError("bug")])
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k")
    message.refresh_from_db()
    assert message.status == "failed"
    assert "ZeroDivisionError" in message.last_error


def test_a_claim_is_exclusive(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        message = enqueue(org, idempotency_key="k")
    token = delivery.outbox_claim(message_id=message.pk)
    assert token
    assert delivery.outbox_claim(message_id=message.pk) is None
    assert delivery.outbox_claim_due() == []
    assert delivery.deliver_claimed(message_id=message.pk, token="not-mine") == "skipped"
    assert delivery.deliver_claimed(message_id=message.pk, token=token) == "sent"
    assert delivery.deliver_claimed(message_id=message.pk, token=token) == "skipped"
    assert SandboxMessage.objects.get().handovers == 1


def test_killed_worker_loses_nothing_and_duplicates_nothing(
    org, settings, django_capture_on_commit_callbacks
):
    configure(settings, claim_seconds=120)
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=False):  # the on-commit hook never ran
            messages = [enqueue(org, idempotency_key=f"k{i}") for i in range(5)]
        claims = delivery.outbox_claim_due()
        assert sorted(pk for pk, _ in claims) == sorted(m.pk for m in messages)
        # The worker dies here, holding the claims.
        assert OutboxMessage.objects.filter(status="sending").count() == 5
        assert tasks.sweep() == 0
        assert not SandboxMessage.objects.exists()
        clock.shift(dt.timedelta(seconds=121))
        assert tasks.sweep() == 5
        # The dead worker wakes up with its stale claims: nothing is sent again.
        for pk, token in claims:
            assert delivery.deliver_claimed(message_id=pk, token=token) == "skipped"
        clock.shift(dt.timedelta(hours=2))
        assert tasks.sweep() == 0
    assert OutboxMessage.objects.filter(status="sent", attempts=2).count() == 5
    assert SandboxMessage.objects.count() == 5
    assert set(SandboxMessage.objects.values_list("handovers", flat=True)) == {1}


def test_abandoned_last_attempt_becomes_dead(org, settings, django_capture_on_commit_callbacks):
    configure(settings, max_attempts=1, claim_seconds=60)
    with time_machine.travel(START, tick=False) as clock:
        with django_capture_on_commit_callbacks(execute=False):
            message = enqueue(org, idempotency_key="k")
        assert delivery.outbox_claim_due()
        clock.shift(dt.timedelta(seconds=61))
        assert tasks.sweep() == 0
    message.refresh_from_db()
    assert message.status == "dead"
    assert "last allowed attempt" in message.last_error


def test_retry_a_dead_message_is_audited(
    org, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from anzu.integrations.base import PermanentError

    _failing(monkeypatch, [PermanentError("bad")])
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k")
    with django_capture_on_commit_callbacks(execute=True):
        message = services.outbox_retry(message=message, by=admin_user)
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    event = AuditEvent.objects.get(action="notify.outbox.retry")
    assert (event.object_id, event.actor_id) == (str(message.pk), admin_user.pk)
    with pytest.raises(Conflict):
        services.outbox_retry(message=message, by=admin_user)


def test_retry_needs_notify_manage(org, monkeypatch, django_capture_on_commit_callbacks):
    from anzu.integrations.base import PermanentError

    _failing(monkeypatch, [PermanentError("bad")])
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k")
    with pytest.raises(PermissionDenied):
        services.outbox_retry(message=message, by=make_user(org, "finance"))
    message.refresh_from_db()
    assert message.status == "dead"
    assert not AuditEvent.objects.filter(action="notify.outbox.retry").exists()


def test_inbox_mark_read_keeps_first_time(org):
    customer = CustomerFactory(organization=org)
    make_tenant(customer)
    inbox = InboxMessage.objects.create(
        organization=org, customer=customer, body="x", created_at=START
    )
    services.inbox_mark_read(message=inbox, at=START)
    services.inbox_mark_read(message=inbox, at=START + dt.timedelta(days=1))
    inbox.refresh_from_db()
    assert inbox.read_at == START


@pytest.mark.django_db(transaction=True)
def test_rollback_sends_nothing():
    from anzu.common.testing import OrganizationFactory

    org = OrganizationFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.outbox_enqueue(
            organization_id=org.pk,
            channel="sms",
            idempotency_key="k",
            address="13800000001",
            body="hi",
        )
        raise RuntimeError("the caller's write failed")
    assert not OutboxMessage.objects.exists()
    assert tasks.sweep() == 0
    assert not SandboxMessage.objects.exists()
    # The same enqueue committed is delivered by the on-commit hook (Huey runs inline in tests).
    with transaction.atomic():
        services.outbox_enqueue(
            organization_id=org.pk,
            channel="sms",
            idempotency_key="k",
            address="13800000001",
            body="hi",
        )
    assert OutboxMessage.objects.get().status == "sent"
    assert SandboxMessage.objects.count() == 1
