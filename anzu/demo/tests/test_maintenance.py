"""The demo's maintenance year: engineers, tickets, the defective batch, today's tickets."""

from __future__ import annotations

import datetime as dt
import itertools
import statistics
from collections import Counter, defaultdict

import pytest

from anzu.common import clock
from anzu.core.models import User
from anzu.demo import maintenance_plan, seeding
from anzu.demo.tests.conftest import FROZEN, TODAY
from anzu.maintenance import analytics, selectors
from anzu.maintenance.engine.batches import poisson_flags
from anzu.maintenance.knowledge.models import DeflectionEvent
from anzu.maintenance.models import (
    Assignment,
    EngineerProfile,
    Rating,
    ReviewCase,
    SlaClock,
    Ticket,
    TicketEvent,
)
from anzu.portfolio.models import Equipment

pytestmark = pytest.mark.django_db

START = TODAY - dt.timedelta(days=365)
ORDER = ("accepted", "dispatching", "engineer_accepted", "on_site", "completed", "verified")


@pytest.fixture
def seeded(frozen):
    return seeding.seed(units=300, months=12, seed=5, slug="demo", collections=False)


def _month(org, code, year, month):
    tz = clock.business_tz()
    first = dt.datetime(year, month, 1, tzinfo=tz)
    after = dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return Ticket.objects.filter(
        organization=org, category__code=code, reported_at__gte=first, reported_at__lt=after
    ).count()


def _counts(seeded):
    org = seeded.organization
    counts = {k: v for k, v in seeded.counts.items() if k not in ("units", "equipment")}
    assert counts == {
        "projects": 7,
        "buildings": 7,
        "customers": 517,
        "users": 8,
        "leases": 626,
        "engineers": 8,
        "tickets": 193,
        "assignments": 193,
        "ticket_events": 1278,
        "sla_clocks": 579,
        "ratings": 132,
        "review_cases": 4,
        "repeat_repairs": 15,
        "deflection_events": 77,
        "tickets_today": 7,
    }
    tickets = Ticket.objects.filter(organization=org)
    assert tickets.count() == 200
    assert SlaClock.objects.filter(ticket__organization=org).count() == 3 * 200
    # About 0.6 a unit and year.
    assert 0.55 <= seeded.counts["tickets"] / 300 <= 0.7
    assert EngineerProfile.objects.filter(organization=org).count() == 8
    assert Rating.objects.filter(ticket__organization=org).count() == 132
    assert DeflectionEvent.objects.filter(organization=org).count() == 77


def _engineers(seeded):
    org = seeded.organization
    demo = User.objects.get(username="demo-engineer")
    profiles = list(EngineerProfile.objects.filter(organization=org).select_related("user"))
    assert demo.pk in {p.user_id for p in profiles}
    for profile in profiles:
        assert profile.user.has_role("engineer")
        assert profile.shifts == {str(d): [["09:00", "18:00"]] for d in range(7)}
        assert profile.skills and (profile.project_ids or profile.building_ids)
        assert profile.base_lat is not None and abs(profile.base_lat - 31.2) < 1
    mine = next(p for p in profiles if p.user_id == demo.pk)
    assert mine.building_ids == sorted(demo.scopes.values_list("building_id", flat=True))
    assert set(mine.skills) == {"appliance", "lock", "network", "other", "structure",
                                "water_electric"}  # fmt: skip


def _seasonality(seeded):
    org = seeded.organization
    ac = "appliance.ac_not_cooling"
    assert _month(org, ac, 2026, 7) > 2 * _month(org, ac, 2026, 1)
    assert _month(org, ac, 2026, 8) > _month(org, ac, 2026, 3)
    hot_water = ("water_electric.no_hot_water", "appliance.water_heater")
    winter = sum(_month(org, c, y, m) for c in hot_water for y, m in ((2026, 1), (2026, 2)))
    summer = sum(_month(org, c, 2026, m) for c in hot_water for m in (7, 8))
    assert winter > 2 * summer
    assert _month(org, "water_electric.leak", 2026, 6) > _month(org, "water_electric.leak", 2026, 3)


def _defective_batch_is_flagged(seeded):
    org = seeded.organization
    bad = maintenance_plan.defective_batch(org, start=START)
    assert bad is not None
    assert (
        Equipment.objects.filter(
            organization=org, type="air_conditioner", model=bad[0], batch=bad[1]
        ).count()
        >= 30
    )
    rows = maintenance_plan.ac_exposures(org, start=START, end=TODAY)
    findings = poisson_flags(rows)
    assert [f.key for f in findings if f.flagged] == [bad]
    finding = next(f for f in findings if f.key == bad)
    assert finding.ratio is not None and 3.5 <= finding.ratio <= 6
    # The analytics page (every equipment type, the whole fleet) agrees.
    flagged = [
        (r["type"], r["model"], r["batch"])
        for r in analytics.defective_batches(org.pk, START, TODAY - dt.timedelta(days=1))
        if r["flagged"]
    ]
    assert flagged == [("air_conditioner", *bad)]


def _timestamps_match_statuses(seeded):
    org = seeded.organization
    now = FROZEN
    events = defaultdict(list)
    for e in TicketEvent.objects.filter(ticket__organization=org).order_by("ticket_id", "at", "id"):
        events[e.ticket_id].append(e)
    for t in Ticket.objects.filter(organization=org):
        stamps = [t.reported_at, t.first_response_at, t.on_site_at, t.completed_at, t.verified_at]
        present = [s for s in stamps if s is not None]
        assert present == sorted(present), t.number
        assert all(s <= now for s in present)
        assert t.number.startswith(f"WO-{clock.local(t.reported_at):%Y%m%d}-")
        if t.status == "verified":
            assert None not in stamps and t.auto_verify_at is None
        elif t.status == "completed":
            assert t.completed_at and t.verified_at is None
            assert t.auto_verify_at == t.completed_at + dt.timedelta(hours=72)
        elif t.status == "cancelled":
            assert t.cancelled_at and t.completed_at is None and t.assigned_engineer_id is None
        else:
            assert t.completed_at is None and t.verified_at is None and t.cancelled_at is None
        if t.status in ("engineer_accepted", "on_site", "completed", "verified"):
            assert t.assigned_engineer_id is not None and t.first_response_at is not None
        assert (t.on_site_at is not None) == (t.status in ("on_site", "completed", "verified"))
        transitions = [e for e in events[t.pk] if e.kind in ("created", "transition")]
        assert transitions[0].kind == "created" and transitions[0].at == t.reported_at
        assert [e.at for e in events[t.pk]] == sorted(e.at for e in events[t.pk])
        assert all(a.to_status == b.from_status for a, b in itertools.pairwise(transitions))
        assert transitions[-1].to_status == t.status
        assert t.version == len(transitions)
        clocks = {c.kind: c for c in SlaClock.objects.filter(ticket=t)}
        assert clocks["resolution"].stopped_at == (t.completed_at or t.cancelled_at)
        assert clocks["on_site"].stopped_at == (t.on_site_at or t.cancelled_at)
        for c in clocks.values():
            elapsed = ((c.stopped_at or now) - c.started_at).total_seconds()
            assert c.breached == (elapsed > c.target_seconds)
            assert c.due_at == c.started_at + dt.timedelta(seconds=c.target_seconds)
    accepted = Assignment.objects.filter(ticket__organization=org, status="accepted")
    for a in accepted.select_related("ticket"):
        assert a.engineer_id == a.ticket.assigned_engineer_id or a.ticket.status == "cancelled"


def _progress_over_the_year(seeded):
    org = seeded.organization
    tickets = Ticket.objects.filter(organization=org, completed_at__isnull=False)
    tz = clock.business_tz()
    mid = dt.datetime.combine(START + dt.timedelta(days=90), dt.time(0), tzinfo=tz)
    late = dt.datetime.combine(TODAY - dt.timedelta(days=90), dt.time(0), tzinfo=tz)

    def median_hours(qs):
        return statistics.median(
            (t.completed_at - t.reported_at).total_seconds() / 3600 for t in qs
        )

    before = median_hours(tickets.filter(reported_at__lt=mid))
    after = median_hours(tickets.filter(reported_at__gte=late, reported_at__lt=FROZEN))
    assert after < 0.8 * before


def _ratings_and_reviews(seeded):
    org = seeded.organization
    scores = Counter(
        Rating.objects.filter(ticket__organization=org).values_list("score", flat=True)
    )
    assert (scores[4] + scores[5]) / sum(scores.values()) >= 0.8
    low = set(
        Rating.objects.filter(ticket__organization=org, score__lte=2).values_list("id", flat=True)
    )
    assert low
    cases = ReviewCase.objects.filter(organization=org)
    assert set(cases.values_list("rating_id", flat=True)) == low
    for case in cases.select_related("rating"):
        assert case.opened_at == case.rating.at
        if case.status == "closed":
            assert case.root_cause and case.closed_at > case.opened_at and case.closed_by_id
        else:
            assert case.closed_at is None and case.root_cause == ""
    for rating in Rating.objects.filter(ticket__organization=org).select_related("ticket"):
        assert rating.customer_id == rating.ticket.reporter_customer_id
        assert rating.ticket.status == "verified" and rating.ticket.verified_at == rating.at


def _repeats(seeded):
    org = seeded.organization
    repeats = Ticket.objects.filter(organization=org, repeat_of__isnull=False).select_related(
        "repeat_of__category", "category"
    )
    assert repeats.count() >= 5
    for t in repeats:
        original = t.repeat_of
        assert original.unit_id == t.unit_id
        assert original.category.skill == t.category.skill
        assert original.completed_at <= t.reported_at
        assert t.reported_at - original.completed_at <= dt.timedelta(days=30)


def _deflections(seeded):
    org = seeded.organization
    outcomes = Counter(
        DeflectionEvent.objects.filter(organization=org).values_list("outcome", flat=True)
    )
    assert outcomes["solved"] > 0 and outcomes["escalated"] > outcomes["solved"]
    for event in DeflectionEvent.objects.filter(organization=org, outcome="escalated"):
        ticket = Ticket.objects.get(pk=event.ticket_id)
        assert ticket.channel == "qr" and ticket.number == event.ticket_number
        assert ticket.unit_id == event.unit_id and event.at < ticket.reported_at


def _today_for_the_board_and_the_engineer(seeded):
    org = seeded.organization
    today = Ticket.objects.filter(organization=org, number__startswith="WO-20261204-")
    assert sorted(today.values_list("number", flat=True)) == [
        f"WO-20261204-{n:04d}" for n in range(1, 8)
    ]
    assert Counter(today.values_list("status", flat=True)) == {
        "accepted": 2,
        "dispatching": 2,
        "engineer_accepted": 1,
        "on_site": 1,
        "completed": 1,
    }
    engineer = User.objects.get(username="demo-engineer")
    tasks = selectors.engineer_tasks(engineer)
    assert sum(len(v) for v in tasks.values()) >= 5


def test_a_seeded_demo_has_a_year_of_work_orders(seeded):
    _counts(seeded)
    _engineers(seeded)
    _seasonality(seeded)
    _defective_batch_is_flagged(seeded)
    _timestamps_match_statuses(seeded)
    _progress_over_the_year(seeded)
    _ratings_and_reviews(seeded)
    _repeats(seeded)
    _deflections(seeded)
    _today_for_the_board_and_the_engineer(seeded)
    # A second seed is refused and writes nothing.
    before = (Ticket.objects.count(), TicketEvent.objects.count(), User.objects.count())
    with pytest.raises(seeding.SeedRefused, match="already has data"):
        seeding.seed(units=300, months=12, seed=5, slug="demo", collections=False)
    assert (Ticket.objects.count(), TicketEvent.objects.count(), User.objects.count()) == before


def test_same_seed_same_tickets(frozen):
    seeding.seed(units=60, months=6, seed=3, slug="one", collections=False)
    seeding.seed(units=60, months=6, seed=3, slug="two", collections=False)

    def snapshot(slug):
        return list(
            Ticket.objects.filter(organization__slug=slug)
            .order_by("number")
            .values_list(
                "number", "unit__code", "category__code", "status", "urgency", "channel",
                "reported_at", "completed_at", "verified_at",
            )
        )  # fmt: skip

    assert snapshot("one") == snapshot("two")
    assert len(snapshot("one")) > 20


def test_without_maintenance_no_tickets(frozen):
    result = seeding.seed(units=20, months=6, seed=1, slug="bare", maintenance=False)
    assert "tickets" not in result.counts
    assert not Ticket.objects.filter(organization=result.organization).exists()
    assert not EngineerProfile.objects.filter(organization=result.organization).exists()
