"""The stage computation: which stages a bill enters on a date. Pure functions, no database.

For one open bill with due date ``due`` the engine walks the policy's stages in offset order,
grouped by offset. A group is *reached* on ``due + offset + shift`` where ``shift`` is how
late the last required stage actually happened (a required stage delayed by a pause or a
promise delays every later stage by as much, so the tenant keeps the time the ladder gives
between steps). On date ``today``:

* a stage already entered (a stored :class:`~anzu.billing.dunning.models.DunningStep`) is
  done;
* a reached stage whose conditions do not hold for the case (minimum overdue amount, tags,
  lease flags) does not apply and is passed over;
* a reached **required** stage is entered, and nothing after its offset is entered the same
  day: a required step is never skipped, and what follows waits its turn;
* a reached optional stage is entered only when no later offset is reached yet — an optional
  reminder that was missed (a bill created late, a pause) is not sent late alongside the stage
  that replaced it.

Stages with the same offset are entered together. The caller decides whether the lease is
paused, promised or exempt on ``today`` (then nothing is entered).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal

from anzu.billing.dunning.policy import Policy, Stage


def stages_to_enter(
    policy: Policy,
    *,
    due: dt.date,
    today: dt.date,
    done: Mapping[str, dt.date],
    amount: Decimal,
    tags: frozenset[str],
    flags: dict[str, bool],
) -> list[Stage]:
    """The stages the bill enters on ``today`` (see the module docstring)."""
    return _walk(
        policy,
        due=due,
        today=today,
        done=done,
        applies=lambda stage: stage.applies(amount=amount, tags=tags, flags=flags),
    )


def next_wake(
    policy: Policy,
    *,
    due: dt.date,
    after: dt.date,
    done: Mapping[str, dt.date],
    flags: dict[str, bool],
    last_day: dt.date,
) -> dt.date | None:
    """The first day after ``after`` on which the bill may enter a stage, or None.

    "May": whatever the bill's amount and the customer's tags become (both are taken as
    meeting every stage's conditions), with the lease flags as given and no stage entered in
    between. A run need not look at the bill before that day (nor after ``last_day``, when it
    leaves the run's window). The walk's answer only changes on the days a group is reached —
    ``due + offset + shift`` with ``shift`` 0 or the delay of a required stage already done —
    so those days (and ``after + 1``) are the only ones to try.
    """

    def applies(stage: Stage) -> bool:
        return all(flags.get(flag, False) for flag in stage.lease_flags)

    deltas = {0}
    for code, when in done.items():
        stage = policy.by_code.get(code)
        if stage is not None and stage.required:
            deltas.add((when - (due + dt.timedelta(days=stage.offset))).days)
    first = after + dt.timedelta(days=1)
    days = sorted(
        {
            max(first, due + dt.timedelta(days=offset + delta))
            for offset, _stages in policy.groups
            for delta in deltas
        }
    )
    for day in days:
        if day > last_day:
            break
        if _walk(policy, due=due, today=day, done=done, applies=applies):
            return day
    return None


def _walk(
    policy: Policy,
    *,
    due: dt.date,
    today: dt.date,
    done: Mapping[str, dt.date],
    applies: Callable[[Stage], bool],
) -> list[Stage]:
    entered: list[Stage] = []
    shift = 0
    groups = policy.groups
    for g, (offset, stages) in enumerate(groups):
        reached_on = due + dt.timedelta(days=offset + shift)
        for stage in stages:
            when = done.get(stage.code)
            if when is not None and stage.required:
                shift = max(shift, (when - (due + dt.timedelta(days=stage.offset))).days)
        if reached_on > today:
            break
        later_reached = g + 1 < len(groups) and (
            due + dt.timedelta(days=groups[g + 1][0] + shift) <= today
        )
        entered_required = False
        for stage in stages:
            if stage.code in done:
                continue
            if not applies(stage):
                continue
            if stage.required:
                entered.append(stage)
                entered_required = True
            elif not later_reached:
                entered.append(stage)
        if entered_required:
            break
    return entered


def current_stage(policy: Policy, *, done: Mapping[str, dt.date]) -> Stage | None:
    """The furthest stage a bill has entered (for boards and KPIs)."""
    best: Stage | None = None
    for stage in policy.stages:
        if stage.code in done:
            best = stage
    return best
