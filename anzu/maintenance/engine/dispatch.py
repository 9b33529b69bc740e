"""Dispatch: hard filters, a weighted score in [0, 1], and the optimal backlog assignment.

``rank`` explains one ticket: every engineer becomes a :class:`Candidate` carrying whether it
passed the hard filters, its score, the four score components and machine-readable reasons
(``{"code", "text"}`` with Chinese text), eligible candidates first by score, ties by engineer id.

``assign_backlog`` assigns many open tickets at once. Each engineer offers
``capacity - open_load`` free slots; the cost of giving a ticket to a slot of an engineer is
``1 - score`` plus an urgency term, ineligible pairs cost :data:`INELIGIBLE`, and
:func:`scipy.optimize.linear_sum_assignment` finds the minimum-cost assignment. Pairs at the
ineligible cost are dropped (the ticket stays unassigned, its candidates say why).

The formula, the filters and worked examples are in ``docs/maintenance-engine.md``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, TypedDict

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment

__all__ = [
    "INELIGIBLE",
    "URGENCIES",
    "URGENCY_BONUS",
    "URGENCY_DISTANCE_FACTOR",
    "Candidate",
    "EngineerInfo",
    "Reason",
    "TicketInfo",
    "Weights",
    "assign_backlog",
    "distance_score",
    "haversine_km",
    "rank",
]

EARTH_RADIUS_KM = 6371.0088
#: Distance at which the distance component is 0.5: ``1 / (1 + d / DISTANCE_SCALE_KM)``.
DISTANCE_SCALE_KM = 5.0
#: Neutral value of a component whose input is unknown (no coordinates, no rating).
NEUTRAL = 0.5
#: History on the unit saturates at this many earlier tickets.
HISTORY_SATURATION = 3

URGENCIES = ("low", "normal", "urgent", "emergency")
#: Urgent work weighs distance more: the distance weight is multiplied by this factor, then the
#: weights are normalized again so that the score stays in [0, 1].
URGENCY_DISTANCE_FACTOR: dict[str, float] = {
    "low": 1.0,
    "normal": 1.0,
    "urgent": 1.5,
    "emergency": 2.0,
}
#: Priority of a ticket in the backlog assignment, subtracted from its cost. Consecutive levels
#: differ by 2, more than the whole score range (1): a more urgent ticket never loses a contested
#: slot to a less urgent one because of a better score.
URGENCY_BONUS: dict[str, float] = {"low": 0.0, "normal": 2.0, "urgent": 4.0, "emergency": 6.0}
_MAX_BONUS = max(URGENCY_BONUS.values())
#: Cost of an ineligible (ticket, slot) pair; far above any eligible cost (at most 1 + 6).
INELIGIBLE = 1.0e6
#: Tie-break between engineers with equal costs in the backlog: a cost increment per rank of
#: engineer id, far below any meaningful score difference.
_TIE_EPSILON = 1.0e-9

SKILL_NAMES: dict[str, str] = {
    "water_electric": "水电",
    "structure": "结构",
    "appliance": "家电",
    "lock": "门锁",
    "network": "网络",
    "other": "其他",
}

# Reason codes. Hard-filter failures make a candidate ineligible.
NO_SKILL = "no_skill"
OUT_OF_TERRITORY = "out_of_territory"
OFF_SHIFT = "off_shift"
NO_CAPACITY = "no_capacity"
HARD_CODES = frozenset({NO_SKILL, OUT_OF_TERRITORY, OFF_SHIFT, NO_CAPACITY})
# Explanations of an eligible candidate's score.
DISTANCE = "distance"
NO_LOCATION = "no_location"
LOAD = "load"
RATING = "rating"
NO_RATING = "no_rating"
HISTORY = "history"
# Added by ``assign_backlog`` to eligible candidates that did not get the ticket.
SLOT_TAKEN = "slot_taken"


class Reason(TypedDict):
    """One explanation: a stable machine code and a Chinese sentence for people."""

    code: str
    text: str


@dataclass(frozen=True)
class EngineerInfo:
    """What dispatch needs to know about one engineer.

    ``history_on_unit`` is the number of earlier tickets this engineer handled on the ticket's
    unit (for :func:`rank`). For a backlog, where tickets are on different units, fill
    ``unit_history`` (unit id → count); a unit found there overrides ``history_on_unit``.
    """

    id: int
    skills: frozenset[str]
    project_ids: frozenset[int]
    building_ids: frozenset[int]
    on_shift: bool
    lat: float | None
    lng: float | None
    open_load: int
    capacity: int
    rating: float | None
    history_on_unit: int
    unit_history: dict[int, int] = field(default_factory=dict, compare=False, hash=False)

    def history_for(self, unit_id: int) -> int:
        return self.unit_history.get(unit_id, self.history_on_unit)

    @property
    def free_slots(self) -> int:
        return max(0, self.capacity - self.open_load)


@dataclass(frozen=True)
class TicketInfo:
    """What dispatch needs to know about one ticket; ``skill`` is the top-level category code."""

    id: int
    skill: str
    project_id: int
    building_id: int
    unit_id: int
    lat: float | None
    lng: float | None
    urgency: str


@dataclass(frozen=True)
class Weights:
    """Relative weights of the score components (normalized, so only ratios matter)."""

    distance: float = 0.4
    load: float = 0.3
    rating: float = 0.2
    history: float = 0.1

    def __post_init__(self) -> None:
        values = (self.distance, self.load, self.rating, self.history)
        if any(not math.isfinite(v) or v < 0 for v in values) or sum(values) <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")

    def for_urgency(self, urgency: str) -> tuple[float, float, float, float]:
        """Normalized (distance, load, rating, history) weights for a ticket of this urgency."""
        d = self.distance * URGENCY_DISTANCE_FACTOR[urgency]
        total = d + self.load + self.rating + self.history
        return d / total, self.load / total, self.rating / total, self.history / total


@dataclass(slots=True)
class Candidate:
    """One engineer considered for one ticket.

    Treat it as a value: the engine never changes one after building it (``assign_backlog``
    adds a reason by copying), and reason dictionaries may be shared between candidates.
    ``as_dict()`` returns an independent JSON-ready copy."""

    engineer_id: int
    eligible: bool
    score: float
    distance_km: float | None
    reasons: list[Reason]
    components: dict[str, float]

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready copy, for storing why an assignment was made."""
        return {
            "engineer_id": self.engineer_id,
            "eligible": self.eligible,
            "score": round(self.score, 6),
            "distance_km": None if self.distance_km is None else round(self.distance_km, 3),
            "reasons": [dict(r) for r in self.reasons],
            "components": {k: round(v, 6) for k, v in self.components.items()},
        }


def haversine_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in kilometres between two WGS-84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def distance_score(distance_km: float) -> float:
    """1 at the door, 0.5 at 5 km, 1/3 at 10 km, towards 0 far away."""
    return 1.0 / (1.0 + distance_km / DISTANCE_SCALE_KM)


def _skill_of(ticket: TicketInfo) -> str:
    return ticket.skill.split(".", 1)[0]


def _check_urgency(ticket: TicketInfo) -> None:
    if ticket.urgency not in URGENCY_DISTANCE_FACTOR:
        raise ValueError(f"unknown urgency {ticket.urgency!r} on ticket {ticket.id}")


_OUT_OF_TERRITORY: Reason = {"code": OUT_OF_TERRITORY, "text": "不负责该项目或楼栋"}
_OFF_SHIFT: Reason = {"code": OFF_SHIFT, "text": "不在班"}
_NO_LOCATION: Reason = {"code": NO_LOCATION, "text": "位置未知，距离按中性分 0.5 计"}
_SLOT_TAKEN: Reason = {"code": SLOT_TAKEN, "text": "空闲名额已分给其他工单（整体最优）"}

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass
class _Scored:
    """Scores of every (ticket, engineer) pair; engineer columns in ascending id order."""

    engineers: list[EngineerInfo]
    eligible: BoolArray
    score: FloatArray
    candidates: list[list[Candidate]]


def _score(
    tickets: Sequence[TicketInfo], engineers: Sequence[EngineerInfo], weights: Weights
) -> _Scored:
    """Hard filters and scores for all pairs at once (NumPy), then the ranked candidates."""
    for t in tickets:
        _check_urgency(t)
    engs = sorted(engineers, key=lambda e: e.id)
    if any(a.id == b.id for a, b in pairwise(engs)):
        raise ValueError("engineer ids must be unique")
    n_t, n_e = len(tickets), len(engs)

    # Per engineer.
    has_e = np.array([e.lat is not None and e.lng is not None for e in engs], dtype=bool)
    e_lat = np.radians(np.array([e.lat if e.lat is not None else 0.0 for e in engs], dtype=float))
    e_lng = np.radians(np.array([e.lng if e.lng is not None else 0.0 for e in engs], dtype=float))
    c_load = np.array(
        [
            min(1.0, max(0.0, 1.0 - e.open_load / e.capacity)) if e.capacity > 0 else 0.0
            for e in engs
        ],
        dtype=float,
    )
    c_rating = np.array(
        [NEUTRAL if e.rating is None else min(1.0, max(0.0, (e.rating - 1.0) / 4.0)) for e in engs],
        dtype=float,
    )
    static_hard: list[list[Reason]] = []
    for e in engs:
        hard: list[Reason] = []
        if not e.on_shift:
            hard.append(_OFF_SHIFT)
        if e.capacity - e.open_load <= 0:
            hard.append(
                {"code": NO_CAPACITY, "text": f"在手工单已满（{e.open_load}/{e.capacity}）"}
            )
        static_hard.append(hard)
    static_ok = np.array([not h for h in static_hard], dtype=bool)
    load_reasons: list[Reason] = [
        {"code": LOAD, "text": f"在手工单 {e.open_load}/{e.capacity}"} for e in engs
    ]
    rating_reasons: list[Reason] = [
        {"code": NO_RATING, "text": "暂无评分，按中性分 0.5 计"}
        if e.rating is None
        else {"code": RATING, "text": f"评分 {e.rating:.1f}"}
        for e in engs
    ]

    # Per ticket.
    has_t = np.array([t.lat is not None and t.lng is not None for t in tickets], dtype=bool)
    t_lat = np.radians(
        np.array([t.lat if t.lat is not None else 0.0 for t in tickets], dtype=float)
    )
    t_lng = np.radians(
        np.array([t.lng if t.lng is not None else 0.0 for t in tickets], dtype=float)
    )
    w = np.array([weights.for_urgency(t.urgency) for t in tickets], dtype=float).reshape(n_t, 4)
    skills = [_skill_of(t) for t in tickets]

    # Hard filters per pair: skill and territory, computed once per distinct skill / place.
    skill_rows: dict[str, BoolArray] = {}
    place_rows: dict[tuple[int, int], BoolArray] = {}
    skill_ok = np.empty((n_t, n_e), dtype=bool)
    territory_ok = np.empty((n_t, n_e), dtype=bool)
    for i, t in enumerate(tickets):
        row = skill_rows.get(skills[i])
        if row is None:
            row = np.array([skills[i] in e.skills for e in engs], dtype=bool)
            skill_rows[skills[i]] = row
        skill_ok[i] = row
        place = (t.project_id, t.building_id)
        row = place_rows.get(place)
        if row is None:
            row = np.array(
                [
                    not (e.project_ids or e.building_ids)
                    or t.project_id in e.project_ids
                    or t.building_id in e.building_ids
                    for e in engs
                ],
                dtype=bool,
            )
            place_rows[place] = row
        territory_ok[i] = row
    eligible = skill_ok & territory_ok & static_ok[None, :]

    # Distance (haversine on radians) and its component.
    known = has_t[:, None] & has_e[None, :]
    a = (
        np.sin((t_lat[:, None] - e_lat[None, :]) / 2) ** 2
        + np.cos(t_lat)[:, None]
        * np.cos(e_lat)[None, :]
        * np.sin((t_lng[:, None] - e_lng[None, :]) / 2) ** 2
    )
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    c_dist = np.where(known, 1.0 / (1.0 + dist / DISTANCE_SCALE_KM), NEUTRAL)

    # History on the ticket's unit.
    history = np.tile(np.array([max(0, e.history_on_unit) for e in engs], dtype=float), (n_t, 1))
    rows_by_unit: dict[int, list[int]] = {}
    for i, t in enumerate(tickets):
        rows_by_unit.setdefault(t.unit_id, []).append(i)
    for j, e in enumerate(engs):
        if not e.unit_history:
            continue
        if len(e.unit_history) <= len(rows_by_unit):
            pairs = [(u, c) for u, c in e.unit_history.items() if u in rows_by_unit]
        else:
            pairs = [(u, e.unit_history[u]) for u in rows_by_unit if u in e.unit_history]
        for unit_id, count in pairs:
            for i in rows_by_unit[unit_id]:
                history[i, j] = max(0, count)
    c_hist = np.minimum(1.0, history / HISTORY_SATURATION)

    score = (
        w[:, 0:1] * c_dist
        + w[:, 1:2] * c_load[None, :]
        + w[:, 2:3] * c_rating[None, :]
        + w[:, 3:4] * c_hist
    )
    score = np.clip(score, 0.0, 1.0)

    # Ranking: eligible first by score descending; ties and the ineligible by engineer id
    # (columns are in id order and the sort is stable).
    key = np.where(eligible, -score, 2.0)
    order = np.argsort(key, axis=1, kind="stable")

    # Candidates (plain Python values from here on), every matrix already in rank order.
    ids = [e.id for e in engs]
    load_l, rating_l = c_load.tolist(), c_rating.tolist()

    def ranked(m: npt.NDArray[Any]) -> list[list[Any]]:
        rows: list[list[Any]] = np.take_along_axis(m, order, axis=1).tolist()
        return rows

    order_l: list[list[int]] = order.tolist()
    elig_r, score_r = ranked(eligible), ranked(score)
    dist_r = ranked(np.asarray(np.where(known, dist, None), dtype=object))
    cdist_r, chist_r, hist_r = ranked(c_dist), ranked(c_hist), ranked(history)
    skill_r, terr_r = ranked(skill_ok), ranked(territory_ok)
    candidates: list[list[Candidate]] = []
    for i in range(n_t):
        no_skill: Reason = {
            "code": NO_SKILL,
            "text": f"缺少技能：{SKILL_NAMES.get(skills[i], skills[i])}",
        }
        row_c: list[Candidate] = []
        append = row_c.append
        for j, ok, sc, d, cd, ch, hi, sk, te in zip(
            order_l[i],
            elig_r[i],
            score_r[i],
            dist_r[i],
            cdist_r[i],
            chist_r[i],
            hist_r[i],
            skill_r[i],
            terr_r[i],
            strict=True,
        ):
            if ok:
                reasons: list[Reason] = [
                    _NO_LOCATION
                    if d is None
                    else {"code": DISTANCE, "text": f"距离约 {d:.1f} 公里"},
                    load_reasons[j],
                    rating_reasons[j],
                ]
                if hi > 0:
                    reasons.append({"code": HISTORY, "text": f"曾处理该房间工单 {int(hi)} 次"})
            else:
                reasons = []
                if not sk:
                    reasons.append(no_skill)
                if not te:
                    reasons.append(_OUT_OF_TERRITORY)
                reasons.extend(static_hard[j])
            append(
                Candidate(
                    ids[j],
                    ok,
                    sc,
                    d,
                    reasons,
                    {"distance": cd, "load": load_l[j], "rating": rating_l[j], "history": ch},
                )
            )
        candidates.append(row_c)
    return _Scored(engineers=engs, eligible=eligible, score=score, candidates=candidates)


def rank(
    ticket: TicketInfo,
    engineers: Sequence[EngineerInfo],
    weights: Weights = Weights(),
) -> list[Candidate]:
    """Every engineer as a candidate for ``ticket``: eligible ones by score (desc), then the
    ineligible ones with their reasons; ties and the ineligible by engineer id."""
    return _score([ticket], engineers, weights).candidates[0]


def assign_backlog(
    tickets: Sequence[TicketInfo],
    engineers: Sequence[EngineerInfo],
    weights: Weights = Weights(),
) -> list[tuple[int, int | None, list[Candidate]]]:
    """Optimal assignment of open tickets to engineers' free slots.

    Returns ``(ticket_id, engineer_id or None, ranked candidates)`` in the order of ``tickets``;
    the candidates are exactly those of :func:`rank`. Objective, in order: as many tickets
    assigned as the eligible free slots allow; among those, more urgent tickets first
    (``URGENCY_BONUS``); then the largest total score. Eligible candidates ranked above the
    chosen engineer (all of them when the ticket stays unassigned) get a ``slot_taken`` reason.
    """
    scored = _score(tickets, engineers, weights)
    engs = scored.engineers
    choice: list[int | None] = [None] * len(tickets)

    # One column per free slot, engineers in id order.
    slot_engineer = np.repeat(np.arange(len(engs)), [e.free_slots for e in engs])
    if len(tickets) and slot_engineer.size:
        offset = np.array([_MAX_BONUS - URGENCY_BONUS[t.urgency] for t in tickets], dtype=float)
        tie = np.arange(len(engs), dtype=float) * _TIE_EPSILON
        per_engineer = np.where(
            scored.eligible, (1.0 - scored.score) + offset[:, None] + tie[None, :], INELIGIBLE
        )
        eligible_rows = np.flatnonzero(scored.eligible.any(axis=1))
        if eligible_rows.size:
            cost = per_engineer[np.ix_(eligible_rows, slot_engineer)]
            rows, cols = linear_sum_assignment(cost)
            for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
                if cost[r, c] < INELIGIBLE:
                    choice[int(eligible_rows[r])] = engs[int(slot_engineer[c])].id

    result: list[tuple[int, int | None, list[Candidate]]] = []
    for ticket, candidates, chosen in zip(tickets, scored.candidates, choice, strict=True):
        marked: list[Candidate] = []
        for k, c in enumerate(candidates):
            if c.engineer_id == chosen or not c.eligible:
                marked.extend(candidates[k:])
                break
            marked.append(
                Candidate(
                    c.engineer_id,
                    c.eligible,
                    c.score,
                    c.distance_km,
                    [*c.reasons, _SLOT_TAKEN],
                    c.components,
                )
            )
        result.append((ticket.id, chosen, marked))
    return result
