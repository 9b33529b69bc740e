"""The stage computation and the policy checks, without a database."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from anzu.billing.dunning.engine import current_stage, stages_to_enter
from anzu.billing.dunning.policy import DEFAULT_STAGES, clean_stages, compile_policy
from anzu.common.errors import ValidationFailed

DUE = dt.date(2026, 3, 10)
POLICY = compile_policy(clean_stages(DEFAULT_STAGES), exempt_tags=["免催缴"], catch_up_days=60)
NO_FLAGS = {"allows_access_freeze": False}


def day(n: int) -> dt.date:
    return DUE + dt.timedelta(days=n)


def enter(today: dt.date, done: dict[str, dt.date] | None = None, **kw) -> list[str]:
    return [
        s.code
        for s in stages_to_enter(
            POLICY,
            due=DUE,
            today=today,
            done=done or {},
            amount=kw.get("amount", Decimal("3200.00")),
            tags=frozenset(kw.get("tags", ())),
            flags=kw.get("flags", NO_FLAGS),
        )
    ]


def walk(first: int, last: int, *, flags=NO_FLAGS, skip_days=()) -> dict[int, list[str]]:
    """Run the engine once a day like the daily run, remembering what was entered."""
    done: dict[str, dt.date] = {}
    fired: dict[int, list[str]] = {}
    for n in range(first, last + 1):
        if n in skip_days:
            continue
        codes = enter(day(n), done, flags=flags)
        for code in codes:
            done[code] = day(n)
        if codes:
            fired[n] = codes
    return fired


def test_daily_walk_follows_the_sop():
    assert walk(-10, 30) == {
        -7: ["T-7"],
        -3: ["T-3"],
        0: ["T-0"],
        1: ["D+1"],
        3: ["D+3"],
        7: ["D+7"],
        14: ["D+14"],
    }


def test_freeze_stage_only_where_the_lease_allows_it_and_together_with_the_letter():
    fired = walk(-10, 30, flags={"allows_access_freeze": True})
    assert fired[7] == ["D+7", "D+7F"]


def test_a_bill_created_late_skips_missed_reminders_but_not_the_latest():
    # First seen two days before due: T-7 is past and T-3 is the latest reached reminder.
    assert enter(day(-2)) == ["T-3"]


def test_a_required_step_is_never_skipped_and_later_steps_keep_their_spacing():
    # First evaluated 10 days late (e.g. after a pause): the formal notice comes first, alone.
    assert enter(day(10)) == ["D+3"]
    done = {"D+3": day(10)}
    # The letter keeps its 4 days after the notice: due + 7 + shift 7 = day 14.
    assert enter(day(11), done) == []
    assert enter(day(13), done) == []
    assert enter(day(14), done) == ["D+7"]
    done["D+7"] = day(14)
    # Settlement keeps its 7 days after the letter.
    assert enter(day(20), done) == []
    assert enter(day(21), done) == ["D+14"]


def test_nothing_enters_twice_and_nothing_before_its_day():
    done = {"T-7": day(-7)}
    assert enter(day(-7), done) == []
    assert enter(day(-8)) == []


def test_conditions_pass_a_stage_over_without_blocking_the_ladder():
    stages = copy.deepcopy(DEFAULT_STAGES)
    stages[4]["conditions"]["min_overdue"] = "5000.00"  # D+3 notice only above ¥5,000
    policy = compile_policy(clean_stages(stages), exempt_tags=[], catch_up_days=60)
    codes = [
        s.code
        for s in stages_to_enter(
            policy,
            due=DUE,
            today=day(7),
            done={"D+1": day(1)},
            amount=Decimal("3200.00"),
            tags=frozenset(),
            flags=NO_FLAGS,
        )
    ]
    assert codes == ["D+7"]


def test_tag_conditions():
    stages = copy.deepcopy(DEFAULT_STAGES)
    stages[3]["conditions"]["tags_exclude"] = ["VIP"]
    policy = compile_policy(clean_stages(stages), exempt_tags=[], catch_up_days=60)

    def at_d1(tags):
        return [
            s.code
            for s in stages_to_enter(
                policy, due=DUE, today=day(1), done={}, amount=Decimal(1), tags=frozenset(tags),
                flags=NO_FLAGS,
            )
        ]  # fmt: skip

    assert at_d1([]) == ["D+1"]
    assert at_d1(["VIP"]) == []


def test_current_stage_is_the_furthest_entered():
    stage = current_stage(POLICY, done={"T-7": day(-7), "D+3": day(3)})
    assert stage is not None
    assert stage.code == "D+3"
    assert current_stage(POLICY, done={}) is None


@pytest.mark.parametrize(
    ("mutate", "field", "code"),
    [
        (lambda s: s[2].update(offset_days=-10), "stages[2].offset_days", "contradictory_policy"),
        (lambda s: s[1].update(code="T-7"), "stages[1].code", "duplicate"),
        (lambda s: s[0].update(offset_days=-61), "stages[0].offset_days", "invalid_policy"),
        (lambda s: s[0].update(offset_days="3"), "stages[0].offset_days", "invalid_policy"),
        (lambda s: s[0].update(actions=[]), "stages[0].actions", "invalid_policy"),
        (
            lambda s: s[0]["actions"][0].update(channels=["fax"]),
            "stages[0].actions[0].channels",
            "invalid_policy",
        ),
        (
            lambda s: s[6]["conditions"].update(lease_flags=[]),
            "stages[6].actions[0].kind",
            "invalid_policy",
        ),
        (
            lambda s: s[3]["conditions"].update(tags_include=["A"], tags_exclude=["A"]),
            "stages[3].conditions.tags_exclude",
            "contradictory_policy",
        ),
        (
            lambda s: s[4]["actions"][0].update(document="eviction"),
            "stages[4].actions[0].document",
            "invalid_policy",
        ),
        (
            lambda s: s[4]["conditions"].update(min_overdue="-1"),
            "stages[4].conditions.min_overdue",
            None,
        ),
    ],
)
def test_bad_policies_name_the_field(mutate, field, code):
    stages = copy.deepcopy(DEFAULT_STAGES)
    mutate(stages)
    with pytest.raises(ValidationFailed) as caught:
        clean_stages(stages)
    assert caught.value.field == field
    if code:
        assert caught.value.code == code


def test_empty_policy_refused():
    with pytest.raises(ValidationFailed) as caught:
        clean_stages([])
    assert caught.value.field == "stages"
