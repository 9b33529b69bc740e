"""Writing the demo's planned work orders set-based: tickets, counters, assignments, timeline
events, SLA clocks, ratings, review cases and self-help visits, with the values the services
would have left (see :mod:`anzu.demo.maintenance`)."""

from __future__ import annotations

import datetime as dt
import json
import random
from collections import defaultdict
from typing import Any

from django.db import connection

from anzu.common import clock
from anzu.core.models import Counter, Organization, User
from anzu.demo.bulk import allocate_ids, insert_rows
from anzu.demo.maintenance_plan import (
    ABANDONED_SHARE,
    BAD_TAGS,
    CANCEL_NOTE,
    DESCRIPTIONS,
    GOOD_TAGS,
    REVIEW_CLOSE_DAYS,
    ROOT_CAUSES,
    SOLVED_SHARE,
    TicketPlan,
)
from anzu.leasing.models import Customer
from anzu.maintenance import clocks as sla_clocks
from anzu.maintenance import services
from anzu.maintenance.choices import (
    AssignmentMethod,
    AssignmentStatus,
    ClockKind,
    ReviewStatus,
    TicketStatus,
)
from anzu.maintenance.knowledge.choices import DeflectionOutcome
from anzu.maintenance.knowledge.models import Article, DeflectionEvent
from anzu.maintenance.models import (
    Assignment,
    Rating,
    ReviewCase,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketEvent,
)

S = TicketStatus


# Writing --------------------------------------------------------------------------------------


def write_tickets(
    rng: random.Random,
    *,
    org: Organization,
    plans: list[TicketPlan],
    categories: dict[str, Any],
    now: dt.datetime,
) -> dict[str, int]:
    org_id = org.pk
    policies = {
        p.urgency: p
        for p in SlaPolicy.objects.filter(
            organization_id=org_id, category__isnull=True, is_active=True
        )
    }
    customers = _customer_contacts(org_id)
    cs_user_id = (
        User.objects.filter(organization=org, username=f"{org.slug}-customer-service")
        .values_list("id", flat=True)
        .first()
    )
    ticket_ids = allocate_ids(Ticket, len(plans))
    numbers: dict[str, int] = defaultdict(int)
    number_of: list[str] = []
    for plan in plans:
        day = clock.local(plan.reported).strftime("%Y%m%d")
        numbers[day] += 1
        number_of.append(f"WO-{day}-{numbers[day]:04d}")
    status_of = [p.steps[-1][0] for p in plans]

    def ticket_rows() -> Any:
        for i, p in enumerate(plans):
            reached = dict(p.steps)
            status = status_of[i]
            name, phone, phone_index = customers.get(p.customer or 0, ("", "", ""))
            if p.customer is None:
                name = "管家代报"
            engineer = p.engineer if status in (S.ENGINEER_ACCEPTED, S.ON_SITE, S.COMPLETED,
                                                 S.VERIFIED) else None  # fmt: skip
            completed = reached.get(S.COMPLETED)
            auto_verify = (
                completed + dt.timedelta(hours=sla_clocks.DEFAULT_AUTO_VERIFY_HOURS)
                if status == S.COMPLETED and completed is not None
                else None
            )
            first_response = reached.get(S.ENGINEER_ACCEPTED) or reached.get(S.CANCELLED)
            yield (
                ticket_ids[i], org_id, p.project, p.building, p.unit, number_of[i],
                categories[p.category].pk, p.urgency, p.channel, status,
                DESCRIPTIONS[p.category][i % len(DESCRIPTIONS[p.category])],
                p.customer, name, phone, phone_index, p.equipment, engineer,
                cs_user_id if p.channel == "phone" else None, p.reported, first_response,
                reached.get(S.ON_SITE), completed, reached.get(S.VERIFIED),
                reached.get(S.CANCELLED), auto_verify,
                ticket_ids[p.repeat_of] if p.repeat_of is not None else None,
                len(p.steps), now,
            )  # fmt: skip

    counts = {
        "tickets": insert_rows(
            Ticket,
            (
                "id", "organization_id", "project_id", "building_id", "unit_id", "number",
                "category_id", "urgency", "channel", "status", "description",
                "reporter_customer_id", "reporter_name", "reporter_phone",
                "reporter_phone_index", "equipment_id", "assigned_engineer_id", "created_by_id",
                "reported_at", "first_response_at", "on_site_at", "completed_at", "verified_at",
                "cancelled_at", "auto_verify_at", "repeat_of_id", "version", "updated_at",
            ),
            ticket_rows(),
        )
    }  # fmt: skip
    Counter.objects.bulk_create(
        [
            Counter(organization_id=org_id, name=f"workorder:{day}", value=n)
            for day, n in sorted(numbers.items())
        ],
        batch_size=500,
    )

    # Assignments: offered at dispatch, accepted (or superseded by a cancellation).
    assigned = [i for i, p in enumerate(plans) if p.engineer is not None]
    assignment_ids = allocate_ids(Assignment, len(assigned))
    assignment_of = dict(zip(assigned, assignment_ids, strict=True))

    def assignment_rows() -> Any:
        for i in assigned:
            p = plans[i]
            reached = dict(p.steps)
            if S.ENGINEER_ACCEPTED in reached:
                status, decided = AssignmentStatus.ACCEPTED, reached[S.ENGINEER_ACCEPTED]
            elif S.CANCELLED in reached:
                status, decided = AssignmentStatus.SUPERSEDED, reached[S.CANCELLED]
            else:
                status, decided = AssignmentStatus.OFFERED, None
            candidate: dict[str, Any] = {
                "engineer_id": p.engineer, "eligible": True, "score": 1.0, "distance_km": None,
                "reasons": [], "components": {},
            }  # fmt: skip
            yield (
                assignment_of[i], ticket_ids[i], p.engineer, None, AssignmentMethod.AUTO,
                json.dumps([candidate]), status, p.dispatched, decided, "",
            )  # fmt: skip

    counts["assignments"] = insert_rows(
        Assignment,
        ("id", "ticket_id", "engineer_id", "by_id", "method", "candidates", "status",
         "created_at", "decided_at", "reason"),
        assignment_rows(),
    )  # fmt: skip

    # Timeline events.
    def event_rows() -> Any:
        for i, p in enumerate(plans):
            tid = ticket_ids[i]
            repeat = number_of[p.repeat_of] if p.repeat_of is not None else None
            created_by = cs_user_id if p.channel == "phone" else None
            yield (tid, "", S.ACCEPTED, p.reported, created_by, "created", "",
                   json.dumps({"channel": p.channel, "repeat_of": repeat}))  # fmt: skip
            before = S.ACCEPTED.value
            for status, at in p.steps[1:]:
                actor: int | None = None
                note = ""
                data: dict[str, Any] = {}
                if status == S.DISPATCHING:
                    data = {
                        "engineer_id": p.engineer,
                        "assignment_id": assignment_of.get(i),
                        "method": AssignmentMethod.AUTO.value,
                        "no_eligible_engineer": p.engineer is None,
                    }
                elif status == S.ENGINEER_ACCEPTED:
                    actor, data = p.engineer, {"assignment_id": assignment_of.get(i)}
                elif status in (S.ON_SITE, S.COMPLETED):
                    actor = p.engineer
                elif status == S.CANCELLED:
                    actor, note = cs_user_id, CANCEL_NOTE
                elif status == S.VERIFIED:
                    if p.rated is not None:
                        yield (tid, S.COMPLETED, S.COMPLETED, at, None, "rated", "",
                               json.dumps({"score": p.score, "tags": _tags(p)}))  # fmt: skip
                    else:
                        data = {"auto": True}
                yield (tid, before, status, at, actor, "transition", note, json.dumps(data))
                before = status

    counts["ticket_events"] = insert_rows(
        TicketEvent,
        ("ticket_id", "from_status", "to_status", "at", "actor_id", "kind", "note", "data"),
        event_rows(),
    )

    # SLA clocks on the default 24×7 policies.
    stops = {
        ClockKind.FIRST_RESPONSE.value: (S.ENGINEER_ACCEPTED, S.CANCELLED),
        ClockKind.ON_SITE.value: (S.ON_SITE, S.CANCELLED),
        ClockKind.RESOLUTION.value: (S.COMPLETED, S.CANCELLED),
    }

    def clock_rows() -> Any:
        for i, p in enumerate(plans):
            policy = policies.get(p.urgency) or policies[""]
            reached = dict(p.steps)
            for kind, (stop_status, cancel) in stops.items():
                target = policy.minutes_for(kind) * 60
                stopped = reached.get(stop_status) or reached.get(cancel)
                elapsed = ((stopped or now) - p.reported).total_seconds()
                yield (
                    ticket_ids[i], kind, policy.pk, policy.version, target, p.reported, stopped,
                    "[]", p.reported + dt.timedelta(seconds=target), elapsed > target,
                    elapsed > target * sla_clocks.WARN_RATIO,
                )  # fmt: skip

    counts["sla_clocks"] = insert_rows(
        SlaClock,
        ("ticket_id", "kind", "policy_id", "policy_version", "target_seconds", "started_at",
         "stopped_at", "paused_segments", "due_at", "breached", "warned"),
        clock_rows(),
    )  # fmt: skip

    # Ratings and review cases.
    rated = [i for i, p in enumerate(plans) if p.rated is not None and p.rated <= now]
    rating_ids = allocate_ids(Rating, len(rated))
    counts["ratings"] = insert_rows(
        Rating,
        ("id", "ticket_id", "score", "tags", "comment", "customer_id", "at"),
        (
            (rid, ticket_ids[i], plans[i].score, json.dumps(_tags(plans[i])), "",
             plans[i].customer, plans[i].rated)
            for rid, i in zip(rating_ids, rated, strict=True)
        ),
    )  # fmt: skip
    management_id = (
        User.objects.filter(organization=org, username=f"{org.slug}-management")
        .values_list("id", flat=True)
        .first()
    )
    review_rows: list[tuple[Any, ...]] = []
    for rid, i in zip(rating_ids, rated, strict=True):
        p = plans[i]
        assert p.rated is not None and p.score is not None
        if p.score > services.REVIEW_THRESHOLD:
            continue
        closed_at = p.rated + dt.timedelta(days=rng.uniform(1, 5))
        if now - p.rated > dt.timedelta(days=REVIEW_CLOSE_DAYS):
            cause = ROOT_CAUSES[p.index % len(ROOT_CAUSES)]
            review_rows.append((org_id, ticket_ids[i], rid, ReviewStatus.CLOSED.value, cause,
                                "已回访租客并复盘。", p.rated, management_id, closed_at))  # fmt: skip
        else:
            review_rows.append((org_id, ticket_ids[i], rid, ReviewStatus.OPEN.value, "", "",
                                p.rated, None, None))  # fmt: skip
    counts["review_cases"] = insert_rows(
        ReviewCase,
        ("organization_id", "ticket_id", "rating_id", "status", "root_cause", "note",
         "opened_at", "closed_by_id", "closed_at"),
        review_rows,
    )  # fmt: skip
    counts["repeat_repairs"] = sum(1 for p in plans if p.repeat_of is not None)
    counts["deflection_events"] = _write_deflections(
        rng, org=org, plans=plans, ticket_ids=ticket_ids, numbers=number_of, now=now
    )
    return counts


def _tags(plan: TicketPlan) -> list[str]:
    score = plan.score or 0
    if score >= 4:
        return sorted({GOOD_TAGS[plan.index % 4], GOOD_TAGS[(plan.index // 4) % 4]})
    if score <= 2:
        return sorted({BAD_TAGS[plan.index % 4], BAD_TAGS[(plan.index // 4) % 2]})
    return []


def _customer_contacts(org_id: int) -> dict[int, tuple[str, str, str]]:
    """Customers' names, encrypted phones and phone indexes as stored (copied, not decrypted)."""
    table = connection.ops.quote_name(Customer._meta.db_table)
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT id, name, phone, phone_index FROM {table} WHERE organization_id = %s",
            [org_id],
        )
        return {row[0]: (row[1], row[2] or "", row[3] or "") for row in cur.fetchall()}


def _write_deflections(
    rng: random.Random,
    *,
    org: Organization,
    plans: list[TicketPlan],
    ticket_ids: list[int],
    numbers: list[str],
    now: dt.datetime,
) -> int:
    """Visits of the QR page that were shown articles: the QR tickets escalated from them, and
    visits solved by an article (or left) without a ticket."""
    articles: dict[str, list[int]] = defaultdict(list)
    for pk, code in (
        Article.objects.filter(organization__isnull=True, is_published=True)
        .order_by("category_code", "position", "id")
        .values_list("id", "category_code")
    ):
        articles[code].append(pk)
    rows: list[tuple[Any, ...]] = []
    for i, p in enumerate(plans):
        ids = articles.get(p.category)
        if p.channel != "qr" or not ids:
            continue
        key = f"demo{p.index:08d}"
        shown = p.reported - dt.timedelta(minutes=rng.uniform(2, 8))
        rows.append((org.pk, p.unit, p.category, json.dumps(ids), DeflectionOutcome.ESCALATED.value,
                     ticket_ids[i], numbers[i], key, shown, p.reported))  # fmt: skip
        # For every escalated visit, some others ended without a ticket.
        if rng.random() < SOLVED_SHARE / (1 - SOLVED_SHARE):
            at = p.reported + dt.timedelta(days=rng.uniform(-20, 20))
            if at < now - dt.timedelta(days=1):
                outcome = (DeflectionOutcome.SOLVED.value if rng.random() > ABANDONED_SHARE
                           else DeflectionOutcome.SHOWN.value)  # fmt: skip
                solved_at = at + dt.timedelta(minutes=rng.uniform(2, 15))
                rows.append((org.pk, p.unit, p.category, json.dumps(ids), outcome, None, "",
                             f"demo-s{p.index:08d}", at,
                             solved_at if outcome == DeflectionOutcome.SOLVED else None))  # fmt: skip
    return insert_rows(
        DeflectionEvent,
        ("organization_id", "unit_id", "category_code", "article_ids", "outcome", "ticket_id",
         "ticket_number", "session_key", "at", "outcome_at"),
        rows,
    )  # fmt: skip
