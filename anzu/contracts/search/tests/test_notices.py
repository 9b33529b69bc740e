from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from anzu.common.testing import make_user
from anzu.contracts.search import services
from anzu.contracts.search.tests.conftest import TODAY, ends_in, make_contract
from anzu.notify.models import OutboxMessage


@pytest.mark.parametrize(
    ("days", "threshold"),
    [
        (91, None),
        (90, 90),
        (61, 90),
        (60, 60),
        (31, 60),
        (30, 30),
        (8, 30),
        (7, 7),
        (0, 7),
        (-1, None),
    ],
)
def test_threshold_for(days: int, threshold: int | None) -> None:
    assert services.threshold_for(days) == threshold


def test_notices_go_to_responsible_users_once(org: Any, other_org: Any, portfolio: Any) -> None:
    manager = make_user(org, "management")
    p1_manager = make_user(org, "management", projects=[portfolio["p1"]])
    p2_manager = make_user(org, "management", projects=[portfolio["p2"]])
    make_user(org, "frontline")  # not responsible
    make_user(other_org, "admin")
    c30 = make_contract(org, unit=portfolio["u1"], end_date=ends_in(30), title="三十天合同")
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(300))
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(10), terminated_on=TODAY)
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(-1))
    first = services.expiry_notify_run()
    assert first == {"contracts": 1, "sent": 2, "already_sent": 0}
    messages = OutboxMessage.objects.order_by("user_id")
    assert [m.user_id for m in messages] == [manager.pk, p1_manager.pk]
    assert p2_manager.pk not in [m.user_id for m in messages]
    assert messages[0].idempotency_key == f"contract-expiry:{c30.pk}:{c30.end_date}:30:{manager.pk}"
    assert "三十天合同" in messages[0].subject
    assert messages[0].channel == "in_app"
    again = services.expiry_notify_run()
    assert again == {"contracts": 1, "sent": 0, "already_sent": 2}
    assert OutboxMessage.objects.count() == 2
    # A week later the 30-day notice is not repeated; at 7 days the next one goes out.
    services.expiry_notify_run(today=TODAY + dt.timedelta(days=7))
    assert OutboxMessage.objects.count() == 2
    services.expiry_notify_run(today=TODAY + dt.timedelta(days=23))
    assert OutboxMessage.objects.count() == 4
    assert OutboxMessage.objects.filter(idempotency_key__contains=":7:").count() == 2


def test_changed_end_date_notifies_afresh(org: Any, portfolio: Any) -> None:
    make_user(org, "admin")
    contract = make_contract(org, unit=portfolio["u1"], end_date=ends_in(60))
    services.expiry_notify_run()
    contract.end_date = ends_in(59)
    contract.save()
    services.expiry_notify_run()
    assert OutboxMessage.objects.count() == 2


def test_task_and_command(org: Any, portfolio: Any) -> None:
    from django.core.management import call_command

    from anzu.contracts.search.tasks import expiry_notices

    make_user(org, "admin")
    make_contract(org, unit=portfolio["u1"], end_date=ends_in(7))
    expiry_notices.call_local()
    assert OutboxMessage.objects.count() == 1
    call_command("contract_expiry_notify")
    assert OutboxMessage.objects.count() == 1
