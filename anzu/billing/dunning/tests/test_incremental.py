"""The incremental read gives the same transitions as reading the whole window.

After a first run, a run reads only the bills due to wake, the bills that entered the window or
changed since the last run and the bills of leases that changed. These tests replay seven weeks
of a portfolio — payments in full and in part, late charges, promises, pauses and their
cancellation, exemptions set and lifted, lease flags switched — and check every day that the
run's transitions are exactly those of a full read of the same state, and that a second run of
the day creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from anzu.billing import services as billing
from anzu.billing.dunning import run as run_module
from anzu.billing.dunning import services
from anzu.billing.dunning.models import BillWake, DunningRun
from anzu.billing.generation import bills_generate
from anzu.billing.models import Bill
from anzu.common import clock
from anzu.common.testing import CustomerFactory, UnitFactory, make_user
from anzu.leasing.models import Lease

pytestmark = pytest.mark.django_db


def full_read(organization_id: int, day: dt.date) -> set[tuple[int, str]]:
    """The transitions a run of ``day`` would make reading the whole window (writes nothing)."""
    original = run_module.previous_run
    run_module.previous_run = lambda *a, **k: None  # type: ignore[assignment]
    try:
        evaluation, _ = run_module.run_organization(organization_id, today=day, dry_run=True)
    finally:
        run_module.previous_run = original  # type: ignore[assignment]
    assert evaluation.full
    return {(c.bill_id, stage.code) for c, stage in evaluation.steps}


def incremental(organization_id: int, day: dt.date) -> tuple[set[tuple[int, str]], Any]:
    evaluation, _created = run_module.run_organization(organization_id, today=day, dry_run=False)
    return {(c.bill_id, stage.code) for c, stage in evaluation.steps}, evaluation


@pytest.fixture
def portfolio_of_leases(org: Any, portfolio: dict[str, Any], make_lease: Any, travel: Any) -> Any:
    travel(dt.date(2026, 1, 1))
    leases = []
    for i in range(14):
        unit = UnitFactory(building=portfolio["b1" if i % 2 else "b2"], code=f"9{i:02d}")
        customer = CustomerFactory(organization=org, name=f"租客{i}", project=portfolio["p1"])
        portfolio[f"x{i}"] = unit
        leases.append(
            make_lease(
                unit=f"x{i}",
                customer=customer,
                start_date=(dt.date(2026, 1, 1) + dt.timedelta(days=3 * i)).isoformat(),
                allows_access_freeze=i % 3 == 0,
            )
        )
    bills_generate(through=dt.date(2026, 4, 30), today=dt.date(2026, 1, 1))
    return leases


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_runs_match_full_reads_day_after_day(
    org: Any, manager: Any, portfolio_of_leases: list[Lease], travel: Any, seed: int
) -> None:
    rng = random.Random(seed)
    finance = make_user(org, "finance", username=f"fin{seed}")
    leases = portfolio_of_leases
    start = dt.date(2026, 1, 20)
    reads = []
    for n in range(50):
        day = start + dt.timedelta(days=n)
        travel(day)
        _events(rng, org, manager, finance, leases, day)
        expected = full_read(org.pk, day)
        got, evaluation = incremental(org.pk, day)
        assert got == expected, day
        reads.append("full" if evaluation.full else "changed")
        again, second = incremental(org.pk, day)
        assert again == set(), day
        assert not second.full
    # The first run read everything; every later one only what changed or woke.
    assert reads[0] == "full" and set(reads[1:]) == {"changed"}
    assert DunningRun.objects.filter(organization_id=org.pk).count() == 100


def _events(
    rng: random.Random, org: Any, manager: Any, finance: Any, leases: list[Lease], day: dt.date
) -> None:
    """A day's worth of random changes to the ledger, the blocks and the leases."""
    lease = rng.choice(leases)
    roll = rng.random()
    open_bills = list(
        Bill.objects.filter(lease=lease, status="open", due_date__lte=day).order_by("due_date")
    )
    if roll < 0.25 and open_bills:
        bill = open_bills[0]
        owed = bill.amount - bill.paid_amount
        amount = owed if rng.random() < 0.5 else (owed / 3).quantize(Decimal("0.01"))
        billing.payment_record(
            by=finance,
            channel="bank_transfer",
            amount=str(amount),
            lease_id=lease.pk,
            reference=f"ref-{day}-{lease.pk}-{rng.random()}",
        )
    elif roll < 0.35:
        # A charge created today but already due (a late utilities bill).
        billing.charge_create(
            by=finance,
            lease_id=lease.pk,
            kind="utility",
            amount="120.00",
            due_date=(day - dt.timedelta(days=rng.randint(0, 9))).isoformat(),
        )
    elif roll < 0.45:
        services.promise_create(
            lease=lease,
            by=manager,
            amount="100.00",
            promised_date=(day + dt.timedelta(days=rng.randint(0, 5))).isoformat(),
        )
    elif roll < 0.55:
        services.pause_create(
            lease=lease,
            by=manager,
            start=day.isoformat(),
            end=(day + dt.timedelta(days=rng.randint(0, 6))).isoformat(),
            reason="tenant in hospital",
        )
    elif roll < 0.65:
        from anzu.billing.dunning.models import DunningPause, PaymentPromise

        for model, cancel, kw in (
            (DunningPause, services.pause_cancel, "pause"),
            (PaymentPromise, services.promise_cancel, "promise"),
        ):
            live = model.objects.filter(organization_id=org.pk, cancelled_at__isnull=True).first()
            if live is not None:
                cancel(**{kw: live, "by": manager})
    elif roll < 0.75:
        services.exemption_set(
            customer=lease.customer, by=manager, exempt=rng.random() < 0.5, reason="hardship"
        )
    elif roll < 0.85:
        # A lease's terms change (here its freeze flag); any change stamps updated_at.
        Lease.objects.filter(pk=lease.pk).update(
            allows_access_freeze=not Lease.objects.get(pk=lease.pk).allows_access_freeze,
            updated_at=clock.now(),
        )
    elif roll < 0.9:
        # A lease leaves the chased statuses (voided by mistake) or comes back; its bills are
        # read again, and while it is void its bills' wake rows must not be trusted.
        status = Lease.objects.get(pk=lease.pk).status
        Lease.objects.filter(pk=lease.pk).update(
            status="void" if status != "void" else "active", updated_at=clock.now()
        )


def test_wake_rows_follow_the_ladder_and_leave_with_the_bill(
    org: Any, manager: Any, portfolio_of_leases: list[Lease], travel: Any
) -> None:
    finance = make_user(org, "finance", username="fin")
    day = dt.date(2026, 2, 10)
    travel(day)
    run_module.run_organization(org.pk, today=day, dry_run=False)
    wakes = dict(BillWake.objects.filter(organization_id=org.pk).values_list("bill_id", "wake_on"))
    assert wakes and all(w > day for w in wakes.values())
    # Every open, unpaid bill in the window either wakes later or can never move again.
    lo, hi = run_module.window(run_module.compiled(run_module.policy_published(org.pk)), day)
    in_window = Bill.objects.filter(
        organization_id=org.pk, status="open", due_date__gte=lo, due_date__lte=hi
    )
    assert set(wakes) <= set(in_window.values_list("id", flat=True))
    # A bill paid in full leaves the wake table at the next run.
    bill = Bill.objects.get(pk=min(wakes))
    billing.payment_record(
        by=finance,
        channel="cash",
        amount=str(bill.amount - bill.paid_amount),
        lease_id=bill.lease_id,
    )
    bill.refresh_from_db()
    if bill.status == "paid":
        next_day = wakes[bill.pk]
        travel(next_day)
        run_module.run_organization(org.pk, today=next_day, dry_run=False)
        assert not BillWake.objects.filter(bill_id=bill.pk).exists()


def test_a_new_policy_version_reads_the_whole_window_again(
    org: Any, manager: Any, portfolio_of_leases: list[Lease], travel: Any
) -> None:
    from anzu.billing.dunning.policies import policy_draft_create, policy_publish

    day = dt.date(2026, 2, 10)
    travel(day)
    first, _ = run_module.run_organization(org.pk, today=day, dry_run=False)
    assert first.full
    second, _ = run_module.run_organization(org.pk, today=day + dt.timedelta(days=1), dry_run=False)
    assert not second.full
    policy_publish(version=policy_draft_create(by=manager), by=manager)
    third, _ = run_module.run_organization(org.pk, today=day + dt.timedelta(days=2), dry_run=False)
    assert third.full
    # A run for an earlier date than the last one reads everything too.
    earlier, _ = run_module.run_organization(org.pk, today=day, dry_run=False)
    assert earlier.full


def test_wake_rows_of_an_older_format_are_not_trusted(
    org: Any, manager: Any, portfolio_of_leases: list[Lease], travel: Any
) -> None:
    day = dt.date(2026, 2, 10)
    travel(day)
    run_module.run_organization(org.pk, today=day, dry_run=False)
    assert BillWake.objects.filter(organization_id=org.pk).exclude(done="{}").exists()
    last = DunningRun.objects.filter(organization_id=org.pk).latest("id")
    assert last.summary["wakes"] == run_module.WAKE_FORMAT
    # The same last run, as a version that kept no lease flag or stages in its wake rows.
    summary = {k: v for k, v in last.summary.items() if k != "wakes"}
    DunningRun.objects.filter(pk=last.pk).update(summary=summary)
    BillWake.objects.filter(organization_id=org.pk).update(done="{}", allows_freeze=False)
    next_day = day + dt.timedelta(days=1)
    expected = full_read(org.pk, next_day)
    got, evaluation = incremental(org.pk, next_day)
    assert evaluation.full and got == expected
