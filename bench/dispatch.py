"""Benchmark of dispatch: ``rank`` for every open ticket and ``assign_backlog`` over all of them.

Builds a deterministic synthetic organization (``--seed``): ``--engineers`` engineers with one
to three skills, a territory (a few projects, a few buildings, or the whole organization), 85%
on shift, a base location around Shanghai (5% unknown), an open load of 0–4 against a capacity
of 4–8, a rating (10% unknown) and some history on units; ``--tickets`` open tickets over 12
projects × 10 buildings × 40 units with a skill, coordinates (5% unknown) and an urgency
(10% low, 70% normal, 15% urgent, 5% emergency). Then it times, ``--runs`` times each:

1. ``rank``: :func:`anzu.maintenance.engine.dispatch.rank` for every ticket, one after the other
   (what the dispatcher board does for a page of tickets);
2. ``assign_backlog``: one optimal assignment of the whole backlog to the free slots.

Usage::

    .venv/bin/python bench/dispatch.py
    .venv/bin/python bench/dispatch.py --tickets 1000 --engineers 100 --runs 5

Prints one JSON object with the medians (seconds) of wall-clock and CPU time (the CPU figure is
what to compare on a busy machine). Target: ``assign_backlog`` ≤ 1 s.
No database, no Django settings: the engine is plain Python + NumPy/SciPy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anzu.maintenance.engine.dispatch import (
    EngineerInfo,
    TicketInfo,
    assign_backlog,
    rank,
)

SKILLS = ["water_electric", "structure", "appliance", "lock", "network", "other"]
SKILL_WEIGHTS = [40, 10, 25, 12, 8, 5]
URGENCIES = ["low", "normal", "urgent", "emergency"]
URGENCY_WEIGHTS = [10, 70, 15, 5]
PROJECTS = 12
BUILDINGS_PER_PROJECT = 10
UNITS_PER_BUILDING = 40
CENTER = (31.2304, 121.4737)  # Shanghai


def build(
    n_tickets: int, n_engineers: int, seed: int
) -> tuple[list[TicketInfo], list[EngineerInfo]]:
    rnd = random.Random(seed)
    buildings: list[tuple[int, int, float, float]] = []  # (project, building, lat, lng)
    for p in range(1, PROJECTS + 1):
        plat = CENTER[0] + rnd.uniform(-0.25, 0.25)
        plng = CENTER[1] + rnd.uniform(-0.3, 0.3)
        for b in range(BUILDINGS_PER_PROJECT):
            bid = p * 100 + b
            buildings.append(
                (p, bid, plat + rnd.uniform(-0.01, 0.01), plng + rnd.uniform(-0.01, 0.01))
            )

    tickets: list[TicketInfo] = []
    for t in range(1, n_tickets + 1):
        p, bid, lat, lng = rnd.choice(buildings)
        known = rnd.random() >= 0.05
        tickets.append(
            TicketInfo(
                id=t,
                skill=rnd.choices(SKILLS, SKILL_WEIGHTS)[0],
                project_id=p,
                building_id=bid,
                unit_id=bid * 1000 + rnd.randrange(UNITS_PER_BUILDING),
                lat=lat if known else None,
                lng=lng if known else None,
                urgency=rnd.choices(URGENCIES, URGENCY_WEIGHTS)[0],
            )
        )

    unit_ids = sorted({t.unit_id for t in tickets})
    engineers: list[EngineerInfo] = []
    for e in range(1, n_engineers + 1):
        skills = frozenset(rnd.sample(SKILLS, rnd.randint(1, 3)))
        territory = rnd.random()
        if territory < 0.5:
            project_ids = frozenset(rnd.sample(range(1, PROJECTS + 1), rnd.randint(1, 4)))
            building_ids: frozenset[int] = frozenset()
        elif territory < 0.8:
            project_ids = frozenset()
            building_ids = frozenset(b[1] for b in rnd.sample(buildings, rnd.randint(3, 20)))
        else:
            project_ids = building_ids = frozenset()
        capacity = rnd.randint(4, 8)
        located = rnd.random() >= 0.05
        engineers.append(
            EngineerInfo(
                id=e,
                skills=skills,
                project_ids=project_ids,
                building_ids=building_ids,
                on_shift=rnd.random() < 0.85,
                lat=CENTER[0] + rnd.uniform(-0.3, 0.3) if located else None,
                lng=CENTER[1] + rnd.uniform(-0.35, 0.35) if located else None,
                open_load=rnd.randint(0, 4),
                capacity=capacity,
                rating=round(rnd.uniform(2.5, 5.0), 1) if rnd.random() >= 0.1 else None,
                history_on_unit=0,
                unit_history={u: rnd.randint(1, 4) for u in rnd.sample(unit_ids, 15)},
            )
        )
    return tickets, engineers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tickets", type=int, default=1000)
    parser.add_argument("--engineers", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261204)
    args = parser.parse_args()

    tickets, engineers = build(args.tickets, args.engineers, args.seed)
    rank_times: list[float] = []
    backlog_times: list[float] = []
    rank_cpu: list[float] = []
    backlog_cpu: list[float] = []
    result: list[tuple[int, int | None, list[object]]] = []
    for _ in range(args.runs):
        start, cpu = time.perf_counter(), time.process_time()
        for t in tickets:
            rank(t, engineers)
        rank_times.append(time.perf_counter() - start)
        rank_cpu.append(time.process_time() - cpu)

        start, cpu = time.perf_counter(), time.process_time()
        result = assign_backlog(tickets, engineers)  # type: ignore[assignment]
        backlog_times.append(time.perf_counter() - start)
        backlog_cpu.append(time.process_time() - cpu)

    assigned = sum(1 for _, eng, _ in result if eng is not None)
    with_eligible = sum(
        1 for _, _, cands in result if any(getattr(c, "eligible", False) for c in cands)
    )
    print(
        json.dumps(
            {
                "tickets": len(tickets),
                "engineers": len(engineers),
                "free_slots": sum(e.free_slots for e in engineers),
                "free_slots_on_shift": sum(e.free_slots for e in engineers if e.on_shift),
                "tickets_with_an_eligible_engineer": with_eligible,
                "assigned": assigned,
                "runs": args.runs,
                "rank_all_tickets_s": round(statistics.median(rank_times), 4),
                "rank_per_ticket_ms": round(statistics.median(rank_times) / len(tickets) * 1000, 4),
                "rank_all_tickets_cpu_s": round(statistics.median(rank_cpu), 4),
                "assign_backlog_s": round(statistics.median(backlog_times), 4),
                "assign_backlog_cpu_s": round(statistics.median(backlog_cpu), 4),
                "target_assign_backlog_s": 1.0,
            }
        )
    )


if __name__ == "__main__":
    main()
