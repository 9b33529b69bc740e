"""Dispatch: hard filters, the score formula, ranking, and the optimality of the backlog."""

from __future__ import annotations

import itertools
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anzu.maintenance.engine.dispatch import (
    EARTH_RADIUS_KM,
    INELIGIBLE,
    URGENCY_BONUS,
    Candidate,
    EngineerInfo,
    TicketInfo,
    Weights,
    assign_backlog,
    distance_score,
    haversine_km,
    rank,
)

LAT, LNG = 31.2304, 121.4737
KM_PER_DEG_LAT = math.pi * EARTH_RADIUS_KM / 180


def north(km: float) -> float:
    """Latitude ``km`` north of LAT (along the meridian)."""
    return LAT + km / KM_PER_DEG_LAT


def eng(id: int = 1, **kw: object) -> EngineerInfo:
    data: dict[str, object] = {
        "id": id,
        "skills": frozenset({"appliance", "water_electric"}),
        "project_ids": frozenset(),
        "building_ids": frozenset(),
        "on_shift": True,
        "lat": LAT,
        "lng": LNG,
        "open_load": 0,
        "capacity": 5,
        "rating": 5.0,
        "history_on_unit": 0,
    }
    data.update(kw)
    return EngineerInfo(**data)  # type: ignore[arg-type]


def ticket(id: int = 1, **kw: object) -> TicketInfo:
    data: dict[str, object] = {
        "id": id,
        "skill": "appliance",
        "project_id": 10,
        "building_id": 100,
        "unit_id": 1000,
        "lat": LAT,
        "lng": LNG,
        "urgency": "normal",
    }
    data.update(kw)
    return TicketInfo(**data)  # type: ignore[arg-type]


def codes(c: Candidate) -> list[str]:
    return [r["code"] for r in c.reasons]


# --- distance -----------------------------------------------------------------------------


def test_haversine_one_degree_of_latitude_and_symmetry() -> None:
    assert haversine_km(0, 0, 1, 0) == pytest.approx(KM_PER_DEG_LAT, rel=1e-12)
    assert haversine_km(LAT, LNG, LAT, LNG) == 0.0
    d = haversine_km(31.2304, 121.4737, 39.9042, 116.4074)  # Shanghai → Beijing
    assert d == pytest.approx(1067.3, abs=0.5)
    assert haversine_km(39.9042, 116.4074, 31.2304, 121.4737) == pytest.approx(d, rel=1e-12)
    assert haversine_km(0, 0, 0, 180) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-12)


def test_distance_score_scale() -> None:
    assert distance_score(0) == 1.0
    assert distance_score(5) == 0.5
    assert distance_score(10) == pytest.approx(1 / 3)


# --- hard filters -------------------------------------------------------------------------


def test_no_skill_reason_names_the_skill_in_chinese() -> None:
    [c] = rank(ticket(skill="appliance.washer"), [eng(skills=frozenset({"lock"}))])
    assert c.eligible is False
    assert c.reasons == [{"code": "no_skill", "text": "缺少技能：家电"}]


def test_subcategory_code_uses_its_top_level_skill() -> None:
    [c] = rank(ticket(skill="water_electric.leak"), [eng(skills=frozenset({"water_electric"}))])
    assert c.eligible is True


def test_territory_by_project_or_building_or_whole_organization() -> None:
    t = ticket(project_id=10, building_id=100)
    by_project = eng(1, project_ids=frozenset({10}))
    by_building = eng(2, building_ids=frozenset({100}), project_ids=frozenset({99}))
    everywhere = eng(3)
    elsewhere = eng(4, project_ids=frozenset({11}), building_ids=frozenset({101}))
    result = {c.engineer_id: c for c in rank(t, [by_project, by_building, everywhere, elsewhere])}
    assert [result[i].eligible for i in (1, 2, 3, 4)] == [True, True, True, False]
    assert result[4].reasons == [{"code": "out_of_territory", "text": "不负责该项目或楼栋"}]


def test_off_shift_and_full_are_ineligible() -> None:
    off = eng(1, on_shift=False)
    full = eng(2, open_load=5, capacity=5)
    over = eng(3, open_load=6, capacity=5)
    by_id = {c.engineer_id: c for c in rank(ticket(), [off, full, over])}
    assert by_id[1].reasons == [{"code": "off_shift", "text": "不在班"}]
    assert by_id[2].reasons == [{"code": "no_capacity", "text": "在手工单已满（5/5）"}]
    assert by_id[3].reasons == [{"code": "no_capacity", "text": "在手工单已满（6/5）"}]
    assert not any(c.eligible for c in by_id.values())


def test_every_failed_filter_is_listed() -> None:
    bad = eng(
        skills=frozenset({"lock"}),
        project_ids=frozenset({11}),
        on_shift=False,
        open_load=3,
        capacity=3,
    )
    [c] = rank(ticket(), [bad])
    assert codes(c) == ["no_skill", "out_of_territory", "off_shift", "no_capacity"]


# --- score --------------------------------------------------------------------------------


def test_score_worked_example() -> None:
    # 0 km → 1; load 2/5 → 0.6; rating 4.6 → 0.9; history 1 → 1/3.
    e = eng(open_load=2, capacity=5, rating=4.6, history_on_unit=1)
    [c] = rank(ticket(), [e])
    assert c.components == pytest.approx(
        {"distance": 1.0, "load": 0.6, "rating": 0.9, "history": 1 / 3}, abs=1e-12
    )
    assert c.score == pytest.approx(0.4 * 1 + 0.3 * 0.6 + 0.2 * 0.9 + 0.1 / 3, abs=1e-12)
    assert c.distance_km == 0.0
    assert c.reasons == [
        {"code": "distance", "text": "距离约 0.0 公里"},
        {"code": "load", "text": "在手工单 2/5"},
        {"code": "rating", "text": "评分 4.6"},
        {"code": "history", "text": "曾处理该房间工单 1 次"},
    ]


def test_distance_component_at_five_km() -> None:
    [c] = rank(ticket(), [eng(lat=north(5.0))])
    assert c.distance_km == pytest.approx(5.0, abs=1e-9)
    assert c.components["distance"] == pytest.approx(0.5, abs=1e-9)
    assert c.reasons[0] == {"code": "distance", "text": "距离约 5.0 公里"}


@pytest.mark.parametrize(
    ("t_kw", "e_kw"),
    [({"lat": None, "lng": None}, {}), ({}, {"lat": None}), ({}, {"lng": None, "lat": None})],
)
def test_unknown_coordinates_are_neutral(t_kw: dict[str, object], e_kw: dict[str, object]) -> None:
    [c] = rank(ticket(**t_kw), [eng(**e_kw)])
    assert c.distance_km is None
    assert c.components["distance"] == 0.5
    assert c.reasons[0] == {"code": "no_location", "text": "位置未知，距离按中性分 0.5 计"}


def test_unknown_rating_is_neutral() -> None:
    [c] = rank(ticket(), [eng(rating=None)])
    assert c.components["rating"] == 0.5
    assert {"code": "no_rating", "text": "暂无评分，按中性分 0.5 计"} in c.reasons


def test_history_saturates_and_unit_history_overrides() -> None:
    cands = rank(
        ticket(unit_id=7),
        [
            eng(1, history_on_unit=5),
            eng(2, history_on_unit=0, unit_history={7: 2, 8: 9}),
            eng(3, history_on_unit=3, unit_history={8: 1}),
        ],
    )
    by_id = {c.engineer_id: c.components["history"] for c in cands}
    assert by_id == {1: 1.0, 2: pytest.approx(2 / 3), 3: 1.0}


def test_urgent_tickets_weigh_distance_more() -> None:
    near_busy = eng(1, open_load=4, capacity=5, rating=3.0)  # 0 km, load 0.2, rating 0.5
    far_idle = eng(2, lat=north(10.0), open_load=0, capacity=5, rating=5.0)  # 10 km → 1/3
    normal = rank(ticket(urgency="normal"), [near_busy, far_idle])
    assert [c.engineer_id for c in normal] == [2, 1]
    assert normal[0].score == pytest.approx(0.4 / 3 + 0.3 + 0.2, abs=1e-9)
    assert normal[1].score == pytest.approx(0.4 + 0.06 + 0.1, abs=1e-9)
    emergency = rank(ticket(urgency="emergency"), [near_busy, far_idle])
    assert [c.engineer_id for c in emergency] == [1, 2]
    assert emergency[0].score == pytest.approx((0.8 + 0.06 + 0.1) / 1.4, abs=1e-9)
    assert emergency[1].score == pytest.approx((0.8 / 3 + 0.3 + 0.2) / 1.4, abs=1e-9)
    assert Weights().for_urgency("urgent") == pytest.approx(
        (0.6 / 1.2, 0.3 / 1.2, 0.2 / 1.2, 0.1 / 1.2)
    )


def test_order_eligible_by_score_then_id_then_ineligible_by_id() -> None:
    cands = rank(
        ticket(),
        [
            eng(9, on_shift=False),
            eng(7),
            eng(3),
            eng(5, rating=4.0),
            eng(2, skills=frozenset()),
        ],
    )
    assert [(c.engineer_id, c.eligible) for c in cands] == [
        (3, True),
        (7, True),
        (5, True),
        (2, False),
        (9, False),
    ]
    assert cands[0].score == cands[1].score


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="urgency"):
        rank(ticket(urgency="asap"), [eng()])
    with pytest.raises(ValueError, match="unique"):
        rank(ticket(), [eng(1), eng(1)])
    with pytest.raises(ValueError, match="weights"):
        Weights(distance=-0.1)
    with pytest.raises(ValueError, match="weights"):
        Weights(0, 0, 0, 0)


def test_no_engineers_and_as_dict_is_json() -> None:
    assert rank(ticket(), []) == []
    [c] = rank(ticket(), [eng(lat=north(2.0), rating=None)])
    data = json.loads(json.dumps(c.as_dict(), ensure_ascii=False))
    assert data["engineer_id"] == 1
    assert data["eligible"] is True
    assert data["distance_km"] == pytest.approx(2.0, abs=1e-3)
    assert [r["code"] for r in data["reasons"]] == ["distance", "load", "no_rating"]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.floats(-2, 2),
            st.integers(0, 10),
            st.integers(0, 10),
            st.none() | st.floats(1, 5),
            st.integers(0, 10),
            st.booleans(),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(["low", "normal", "urgent", "emergency"]),
    st.none() | st.floats(-2, 2),
)
def test_scores_are_in_unit_interval_and_sorted(
    rows: list[tuple[float | None, int, int, float | None, int, bool]],
    urgency: str,
    t_offset: float | None,
) -> None:
    engineers = [
        eng(
            i + 1,
            lat=None if off is None else LAT + off,
            open_load=load,
            capacity=cap,
            rating=rating,
            history_on_unit=hist,
            on_shift=shift,
        )
        for i, (off, load, cap, rating, hist, shift) in enumerate(rows)
    ]
    t = ticket(urgency=urgency, lat=None if t_offset is None else LAT + t_offset)
    cands = rank(t, engineers)
    assert sorted(c.engineer_id for c in cands) == [e.id for e in engineers]
    for c in cands:
        assert 0.0 <= c.score <= 1.0
        assert all(0.0 <= v <= 1.0 for v in c.components.values())
    flags = [c.eligible for c in cands]
    assert flags == sorted(flags, reverse=True)
    eligible = [c for c in cands if c.eligible]
    assert eligible == sorted(eligible, key=lambda c: (-c.score, c.engineer_id))


# --- backlog ------------------------------------------------------------------------------


def test_backlog_gives_the_slot_to_the_better_match_and_explains_the_other() -> None:
    e = eng(1, open_load=4, capacity=5)  # one free slot
    near = ticket(1, lat=LAT)
    far = ticket(2, lat=north(8.0), unit_id=1001)
    result = assign_backlog([far, near], [e])
    assert [(tid, eid) for tid, eid, _ in result] == [(2, None), (1, 1)]
    assert codes(result[0][2][0])[-1] == "slot_taken"
    assert result[0][2][0].reasons[-1]["text"] == "空闲名额已分给其他工单（整体最优）"
    assert "slot_taken" not in codes(result[1][2][0])


def test_backlog_urgency_beats_score_for_a_scarce_slot() -> None:
    e = eng(1, open_load=4, capacity=5)
    normal_near = ticket(1)
    emergency_far = ticket(2, lat=north(30.0), urgency="emergency")
    assert rank(normal_near, [e])[0].score > rank(emergency_far, [e])[0].score
    result = assign_backlog([normal_near, emergency_far], [e])
    assert [(tid, eid) for tid, eid, _ in result] == [(1, None), (2, 1)]
    assert URGENCY_BONUS["urgent"] - URGENCY_BONUS["normal"] > 1


def test_backlog_respects_free_slots_and_spreads_over_engineers() -> None:
    a = eng(1, open_load=1, capacity=3)  # 2 free slots
    b = eng(2, lat=north(3.0), open_load=0, capacity=1)  # 1 free slot
    tickets = [ticket(i, unit_id=1000 + i) for i in range(1, 6)]
    result = assign_backlog(tickets, [a, b])
    chosen = [eid for _, eid, _ in result]
    assert chosen.count(1) == 2
    assert chosen.count(2) == 1
    assert chosen.count(None) == 2


def test_backlog_with_no_eligible_engineer_leaves_tickets_unassigned() -> None:
    result = assign_backlog([ticket(1), ticket(2)], [eng(1, on_shift=False)])
    assert [(tid, eid) for tid, eid, _ in result] == [(1, None), (2, None)]
    assert codes(result[0][2][0]) == ["off_shift"]
    assert assign_backlog([], [eng()]) == []
    assert assign_backlog([ticket()], []) == [(1, None, [])]


def test_backlog_candidates_are_those_of_rank() -> None:
    engineers = [eng(1), eng(2, lat=north(2.0)), eng(3, skills=frozenset())]
    t = ticket()
    [(_, chosen, cands)] = assign_backlog([t], engineers)
    assert chosen == 1
    assert cands == rank(t, engineers)


def test_backlog_ties_go_to_the_lower_engineer_id() -> None:
    result = assign_backlog([ticket()], [eng(8, open_load=4), eng(4, open_load=4)])
    assert result[0][1] == 4


# Brute force: enumerate every assignment (each ticket to an eligible engineer or nobody, within
# free slots) and keep the best by (assigned count, then lowest total cost).


def _cost(t: TicketInfo, c: Candidate) -> float:
    return (1.0 - c.score) + (max(URGENCY_BONUS.values()) - URGENCY_BONUS[t.urgency])


def _brute_force(
    tickets: list[TicketInfo], engineers: list[EngineerInfo]
) -> tuple[int, float, float]:
    options: list[list[tuple[int | None, float, float]]] = []
    for t in tickets:
        opts: list[tuple[int | None, float, float]] = [(None, 0.0, 0.0)]
        opts += [(c.engineer_id, _cost(t, c), c.score) for c in rank(t, engineers) if c.eligible]
        options.append(opts)
    free = {e.id: e.free_slots for e in engineers}
    best: tuple[int, float, float] = (0, 0.0, 0.0)
    for combo in itertools.product(*options):
        used: dict[int, int] = {}
        for eid, _, _ in combo:
            if eid is not None:
                used[eid] = used.get(eid, 0) + 1
        if any(n > free[eid] for eid, n in used.items()):
            continue
        count = sum(1 for eid, _, _ in combo if eid is not None)
        cost = sum(c for _, c, _ in combo)
        score = sum(s for _, _, s in combo)
        if count > best[0] or (count == best[0] and cost < best[1] - 1e-12):
            best = (count, cost, score)
    return best


_engineer = st.builds(
    lambda i, skills, proj, shift, load, cap, off, rating, hist: eng(
        i,
        skills=frozenset(skills),
        project_ids=frozenset(proj),
        on_shift=shift,
        open_load=load,
        capacity=cap,
        lat=LAT + off,
        rating=rating,
        history_on_unit=hist,
    ),
    st.just(0),
    st.sets(st.sampled_from(["appliance", "lock"]), max_size=2),
    st.sets(st.sampled_from([10, 11]), max_size=1),
    st.booleans(),
    st.integers(0, 2),
    st.integers(1, 3),
    st.floats(-0.2, 0.2),
    st.none() | st.floats(1, 5),
    st.integers(0, 3),
)
_ticket = st.builds(
    lambda i, skill, proj, off, urgency: ticket(
        i, skill=skill, project_id=proj, lat=LAT + off, urgency=urgency
    ),
    st.just(0),
    st.sampled_from(["appliance", "lock"]),
    st.sampled_from([10, 11]),
    st.floats(-0.2, 0.2),
    st.sampled_from(["low", "normal", "urgent", "emergency"]),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_ticket, min_size=1, max_size=5), st.lists(_engineer, min_size=1, max_size=3))
def test_backlog_is_optimal_against_exhaustive_search(
    raw_tickets: list[TicketInfo], raw_engineers: list[EngineerInfo]
) -> None:
    tickets = [TicketInfo(**{**t.__dict__, "id": i + 1}) for i, t in enumerate(raw_tickets)]
    engineers = [EngineerInfo(**{**e.__dict__, "id": i + 1}) for i, e in enumerate(raw_engineers)]
    result = assign_backlog(tickets, engineers)
    free = {e.id: e.free_slots for e in engineers}
    count, cost, score = 0, 0.0, 0.0
    for t, (tid, eid, cands) in zip(tickets, result, strict=True):
        assert tid == t.id
        if eid is None:
            continue
        chosen = next(c for c in cands if c.engineer_id == eid)
        assert chosen.eligible
        free[eid] -= 1
        count += 1
        cost += _cost(t, chosen)
        score += chosen.score
    assert min(free.values()) >= 0
    best = _brute_force(tickets, engineers)
    assert count == best[0]
    assert cost == pytest.approx(best[1], abs=1e-6)
    if len({t.urgency for t in tickets}) == 1:
        assert score == pytest.approx(best[2], abs=1e-6)


@settings(max_examples=100, deadline=None)
@given(st.lists(_ticket, min_size=1, max_size=5), st.lists(_engineer, min_size=1, max_size=3))
def test_backlog_same_urgency_maximizes_total_score(
    raw_tickets: list[TicketInfo], raw_engineers: list[EngineerInfo]
) -> None:
    tickets = [
        TicketInfo(**{**t.__dict__, "id": i + 1, "urgency": "normal"})
        for i, t in enumerate(raw_tickets)
    ]
    engineers = [EngineerInfo(**{**e.__dict__, "id": i + 1}) for i, e in enumerate(raw_engineers)]
    result = assign_backlog(tickets, engineers)
    total = 0.0
    for _, eid, cands in result:
        if eid is not None:
            total += next(c.score for c in cands if c.engineer_id == eid)
    assert total == pytest.approx(_brute_force(tickets, engineers)[2], abs=1e-6)


def test_ineligible_cost_is_far_above_any_eligible_cost() -> None:
    assert 1 + max(URGENCY_BONUS.values()) * 1000 < INELIGIBLE
