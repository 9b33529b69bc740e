"""Dispatch: ranking with reasons, offers, declines, overrides, backlog, automatic dispatch."""

from __future__ import annotations

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.core.models import AuditEvent
from anzu.maintenance import dispatching, services
from anzu.maintenance.models import Assignment, DispatchRule, EngineerProfile, Ticket
from anzu.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_dispatch_offers_best_engineer_and_stores_every_candidate_with_reasons(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    offer = Assignment.objects.get(ticket=ticket)
    assert (offer.engineer_id, offer.method, offer.status, offer.by_id) == (
        engineers["near"].pk,
        "auto",
        "offered",
        dispatcher.pk,
    )
    by_engineer = {c["engineer_id"]: c for c in offer.candidates}
    assert set(by_engineer) == {e.pk for e in engineers.values()}
    assert [c["engineer_id"] for c in offer.candidates][:2] == [
        engineers["near"].pk,
        engineers["far"].pk,
    ]
    lock = by_engineer[engineers["lock"].pk]
    assert lock["eligible"] is False
    assert "no_skill" in [r["code"] for r in lock["reasons"]]
    assert by_engineer[engineers["near"].pk]["distance_km"] == 0.0
    assert by_engineer[engineers["far"].pk]["distance_km"] > 15
    assert by_engineer[engineers["near"].pk]["score"] > by_engineer[engineers["far"].pk]["score"]
    message = OutboxMessage.objects.get(idempotency_key=f"workorder-offer:{offer.pk}")
    assert (message.user_id, message.channel) == (engineers["near"].pk, "in_app")


def test_open_load_counts_accepted_and_on_site_tickets(
    frozen, new_ticket, make_engineer, dispatcher
):
    busy = make_engineer("eng-busy", capacity=1)
    first = new_ticket()
    dispatching.ticket_dispatch(ticket=first, by=dispatcher)
    dispatching.assignment_accept(assignment=first.assignments.get(), by=busy)
    infos = {i.id: i for i in dispatching.engineer_infos(first.organization_id)}
    assert infos[busy.pk].open_load == 1
    second = new_ticket()
    dispatching.ticket_dispatch(ticket=second, by=dispatcher)
    second.refresh_from_db()
    assert second.status == "dispatching"
    assert not Assignment.objects.filter(ticket=second).exists()
    event = second.events.order_by("-id").first()
    assert event.data["no_eligible_engineer"] is True


def test_off_shift_and_out_of_territory_engineers_are_ineligible(
    frozen, new_ticket, make_engineer, dispatcher, portfolio
):
    # 2026-03-10 10:00 Shanghai is a Tuesday (weekday 1).
    make_engineer("eng-night", shifts={"1": [["20:00", "23:59"]]})
    make_engineer("eng-p2", project_ids=[portfolio["p2"].pk])
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    ticket.refresh_from_db()
    assert not Assignment.objects.filter(ticket=ticket).exists()
    reasons = {
        c["engineer_id"]: [r["code"] for r in c["reasons"]] for c in dispatching.rank_ticket(ticket)
    }
    codes = {code for codes in reasons.values() for code in codes}
    assert {"off_shift", "out_of_territory"} <= codes


def test_decline_offers_the_next_candidate(frozen, new_ticket, engineers, dispatcher):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    first = Assignment.objects.get(ticket=ticket)
    with pytest.raises(ValidationFailed) as err:
        dispatching.assignment_decline(assignment=first, by=engineers["near"], reason=" ")
    assert err.value.field == "reason"
    dispatching.assignment_decline(assignment=first, by=engineers["near"], reason="在另一单现场")
    first.refresh_from_db()
    assert (first.status, first.reason) == ("declined", "在另一单现场")
    second = Assignment.objects.get(ticket=ticket, status="offered")
    assert second.engineer_id == engineers["far"].pk
    # The far engineer declines too: nobody is left; the ticket waits for a dispatcher.
    dispatching.assignment_decline(assignment=second, by=engineers["far"], reason="太远")
    assert not Assignment.objects.filter(ticket=ticket, status="offered").exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatching"


def test_only_the_offered_engineer_may_answer_and_only_once(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    offer = Assignment.objects.get(ticket=ticket)
    for user in (engineers["far"], dispatcher):
        with pytest.raises(PermissionDenied):
            dispatching.assignment_accept(assignment=offer, by=user)
    dispatching.assignment_accept(assignment=offer, by=engineers["near"])
    offer.refresh_from_db()
    with pytest.raises(Conflict) as err:
        dispatching.assignment_accept(assignment=offer, by=engineers["near"])
    assert err.value.code == "offer_closed"


def test_override_records_reason_and_supersedes_the_offer(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    with pytest.raises(ValidationFailed) as err:
        dispatching.ticket_assign_override(
            ticket=ticket, engineer=engineers["far"].pk, by=dispatcher, reason=""
        )
    assert err.value.field == "reason"
    with pytest.raises(ValidationFailed) as err:
        dispatching.ticket_assign_override(
            ticket=ticket, engineer=dispatcher.pk, by=dispatcher, reason="x"
        )
    assert err.value.field == "engineer_id"
    assignment = dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineers["far"].pk, by=dispatcher, reason="租户指定师傅"
    )
    assert (assignment.method, assignment.reason, assignment.status) == (
        "override",
        "租户指定师傅",
        "offered",
    )
    assert len(assignment.candidates) == 3
    statuses = list(
        Assignment.objects.filter(ticket=ticket).order_by("id").values_list("status", flat=True)
    )
    assert statuses == ["superseded", "offered"]


def test_dispatch_needs_the_dispatch_role(frozen, new_ticket, engineers):
    with pytest.raises(PermissionDenied):
        dispatching.ticket_dispatch(ticket=new_ticket(), by=engineers["near"])


def test_dispatch_of_a_ticket_on_site_is_illegal(frozen, new_ticket, engineers, dispatcher):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    dispatching.assignment_accept(assignment=ticket.assignments.get(), by=engineers["near"])
    ticket = services.ticket_transition(
        ticket=Ticket.objects.get(pk=ticket.pk), to="on_site", by=engineers["near"]
    )
    with pytest.raises(Conflict) as err:
        dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    assert (err.value.code, err.value.extra["current"]) == ("illegal_transition", "on_site")


def test_backlog_redispatch_spreads_tickets_with_capacities(
    frozen, new_ticket, make_engineer, dispatcher, org
):
    a = make_engineer("eng-a", capacity=1)
    b = make_engineer("eng-b", capacity=1)
    tickets = [new_ticket() for _ in range(3)]
    plan = dispatching.backlog_redispatch(org=org, by=dispatcher)
    assert [p["ticket_id"] for p in plan] == [t.pk for t in tickets]
    assigned = [p["engineer_id"] for p in plan]
    assert sorted(x for x in assigned if x) == sorted([a.pk, b.pk])
    assert assigned.count(None) == 1
    assert Assignment.objects.filter(method="backlog", status="offered").count() == 2
    assert AuditEvent.objects.filter(action="workorder.backlog_redispatch").count() == 1
    assert set(Ticket.objects.values_list("status", flat=True)) == {"dispatching"}


def test_automatic_dispatch_runs_after_commit(
    frozen, new_ticket, engineers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = new_ticket()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("dispatching", None)
    assert Assignment.objects.get(ticket=ticket).engineer_id == engineers["near"].pk


def test_automatic_dispatch_can_be_switched_off(
    frozen, new_ticket, engineers, org, django_capture_on_commit_callbacks
):
    DispatchRule.objects.create(organization=org, auto_dispatch=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ticket = new_ticket()
    assert callbacks == []
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"


def test_engineer_profile_save_validates_skills_and_shifts(frozen, org, dispatcher):
    from anzu.common.testing import make_user

    user = make_user(org, "engineer", username="eng-new")
    with pytest.raises(ValidationFailed) as err:
        dispatching.engineer_profile_save(user=user, by=dispatcher, skills=["cooking"])
    assert err.value.field == "skills"
    with pytest.raises(ValidationFailed) as err:
        dispatching.engineer_profile_save(
            user=user, by=dispatcher, skills=["lock"], shifts={"1": [["18:00", "09:00"]]}
        )
    assert err.value.field == "shifts"
    profile = dispatching.engineer_profile_save(
        user=user, by=dispatcher, skills=["lock", "network"], shifts={"0": [["09:00", "18:00"]]}
    )
    assert (profile.skills, profile.capacity) == (["lock", "network"], 5)
    assert EngineerProfile.objects.count() == 1
