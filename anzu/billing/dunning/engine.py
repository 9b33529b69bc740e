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
from collections.abc import Mapping
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
            if not stage.applies(amount=amount, tags=tags, flags=flags):
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
