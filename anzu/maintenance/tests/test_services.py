"""Intake, numbering, the state machine, SLA clocks, auto-verification, ratings and reviews."""

from __future__ import annotations

import datetime as dt

import pytest

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.core.models import AuditEvent
from anzu.maintenance import alerts, clocks, dispatching, services
from anzu.maintenance.models import (
    Rating,
    ReviewCase,
    SlaClock,
    SlaPolicy,
    Ticket,
    TicketEvent,
    TicketPhoto,
)
from anzu.maintenance.tests.conftest import png_bytes, upload
from anzu.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db
H = dt.timedelta(hours=1)


def _to_on_site(ticket, engineer, dispatcher):
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineer, by=dispatcher, reason="熟悉该户"
    )
    offer = ticket.assignments.get(status="offered")
    dispatching.assignment_accept(assignment=offer, by=engineer)
    return services.ticket_transition(
        ticket=Ticket.objects.get(pk=ticket.pk), to="on_site", by=engineer
    )


def _completed(new_ticket, engineers, dispatcher, **kw):
    ticket = new_ticket(**kw)
    ticket = _to_on_site(ticket, engineers["near"], dispatcher)
    return services.ticket_transition(ticket=ticket, to="completed", by=engineers["near"])


# Intake ------------------------------------------------------------------------------------------


def test_create_numbers_events_clocks_and_audit(frozen, new_ticket, org, portfolio):
    ticket = new_ticket()
    assert ticket.number == "WO-20260310-0001"
    assert (ticket.status, ticket.channel, ticket.urgency) == ("accepted", "phone", "normal")
    assert (ticket.project_id, ticket.building_id) == (portfolio["p1"].pk, portfolio["b1"].pk)
    assert ticket.reported_at == frozen.target if hasattr(frozen, "target") else True
    events = list(ticket.events.values_list("kind", "from_status", "to_status"))
    assert events == [("created", "", "accepted")]
    due = dict(SlaClock.objects.filter(ticket=ticket).values_list("kind", "due_at"))
    start = ticket.reported_at
    assert due == {
        "first_response": start + 2 * H,
        "on_site": start + 24 * H,
        "resolution": start + 72 * H,
    }
    event = AuditEvent.objects.get(action="workorder.create")
    assert event.object_id == str(ticket.pk)
    assert event.changes["number"] == [None, "WO-20260310-0001"]
    assert event.changes["reporter_phone"][1].startswith("pii:")
    assert new_ticket().number == "WO-20260310-0002"


def test_numbering_restarts_per_day_in_business_time(frozen, new_ticket):
    new_ticket()
    frozen.move_to(dt.datetime(2026, 3, 10, 16, 30, tzinfo=dt.UTC))  # 00:30 on the 11th in Shanghai
    assert new_ticket().number == "WO-20260311-0001"


def test_reporter_phone_is_encrypted_at_rest(frozen, new_ticket):
    from django.db import connection

    ticket = new_ticket()
    with connection.cursor() as cur:
        cur.execute("SELECT reporter_phone FROM maintenance_ticket WHERE id = %s", [ticket.pk])
        stored = cur.fetchone()[0]
    assert "13800001111" not in stored
    assert Ticket.objects.get(pk=ticket.pk).reporter_phone == "13800001111"


def test_urgent_tickets_get_tighter_targets(frozen, new_ticket):
    ticket = new_ticket(urgency="emergency")
    due = dict(SlaClock.objects.filter(ticket=ticket).values_list("kind", "target_seconds"))
    assert due == {"first_response": 1800, "on_site": 7200, "resolution": 28800}


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"unit_id": 999999}, "not_found", "unit_id"),
        ({"category_code": "appliance.toaster"}, "not_found", "category_code"),
        ({"urgency": "whenever"}, "invalid_choice", "urgency"),
        ({"channel": "fax"}, "invalid_choice", "channel"),
        ({"description": "  "}, "required", "description"),
        ({"reporter_phone": "12"}, "invalid", "reporter_phone"),
        ({"equipment_id": 999999}, "not_found", "equipment_id"),
        ({"reporter_customer_id": 999999}, "not_found", "reporter_customer_id"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(frozen, new_ticket, overrides, code, field):
    with pytest.raises(ValidationFailed) as err:
        new_ticket(**overrides)
    assert (err.value.code, err.value.field) == (code, field)
    assert Ticket.objects.count() == 0
    assert TicketEvent.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="workorder.").exists()


def test_unit_of_another_org_is_unknown(frozen, new_ticket, other_org):
    from anzu.common.testing import UnitFactory

    foreign = UnitFactory(building__project__organization=other_org)
    with pytest.raises(ValidationFailed) as err:
        new_ticket(unit_id=foreign.pk)
    assert err.value.field == "unit_id"


def test_staff_out_of_scope_cannot_report_for_the_unit(frozen, new_ticket, org, portfolio):
    from anzu.common.testing import make_user

    scoped = make_user(org, "frontline", projects=[portfolio["p2"]])
    with pytest.raises(ValidationFailed) as err:
        new_ticket(by=scoped)
    assert err.value.field == "unit_id"
    engineer = make_user(org, "engineer")
    with pytest.raises(PermissionDenied):
        new_ticket(by=engineer)
    assert Ticket.objects.count() == 0


def test_tenant_reports_only_for_a_rented_unit(frozen, new_ticket, tenant, portfolio):
    ticket = new_ticket(by=tenant, channel="portal", reporter_name="", reporter_phone="")
    assert ticket.reporter_customer_id == portfolio["customer"].pk
    assert ticket.reporter_name == "李雷"
    with pytest.raises(ValidationFailed) as err:
        new_ticket(by=tenant, channel="portal", unit_id=portfolio["u2"].pk)
    assert (err.value.code, err.value.field) == ("not_your_unit", "unit_id")


def test_photos_are_stored_with_thumbnails(frozen, new_ticket, settings):
    from pathlib import Path

    ticket = new_ticket(photos=[upload(), upload("b.jpg", png_bytes(fmt="JPEG"), "image/jpeg")])
    rows = list(TicketPhoto.objects.filter(ticket=ticket).order_by("id"))
    assert [(p.stage, p.content_type, p.width, p.height) for p in rows] == [
        ("report", "image/png", 40, 30),
        ("report", "image/jpeg", 40, 30),
    ]
    for p in rows:
        assert (Path(settings.MEDIA_ROOT) / p.file_path).is_file()
        assert (Path(settings.MEDIA_ROOT) / p.thumb_path).is_file()


@pytest.mark.parametrize(
    ("files", "code"),
    [
        ([upload("notes.txt", b"hello, not an image", "image/png")], "photo_invalid"),
        ([upload("anim.gif", png_bytes(fmt="GIF"), "image/gif")], "photo_invalid"),
        (
            [upload("big.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), "image/png")],
            "photo_too_large",
        ),
        ([upload(f"{i}.png") for i in range(7)], "too_many_photos"),
    ],
)
def test_bad_photos_are_refused_and_nothing_written(frozen, new_ticket, files, code, settings):
    from pathlib import Path

    with pytest.raises(ValidationFailed) as err:
        new_ticket(photos=files)
    assert (err.value.code, err.value.field) == (code, "photos")
    assert Ticket.objects.count() == 0
    assert TicketPhoto.objects.count() == 0
    assert not (Path(settings.MEDIA_ROOT) / "workorders").exists()


# Repeat repairs -------------------------------------------------------------------------------


def test_repeat_repair_links_to_latest_completed_ticket_of_same_unit_and_fault(
    frozen, new_ticket, engineers, dispatcher, portfolio
):
    first = _completed(new_ticket, engineers, dispatcher)
    frozen.shift(5 * 24 * 3600)
    other_fault = new_ticket(category_code="lock.smart_lock")
    other_unit = new_ticket(unit_id=portfolio["u2"].pk, category_code="appliance.washer")
    again = new_ticket(category_code="appliance.washer")
    assert again.repeat_of_id == first.pk
    assert other_fault.repeat_of_id is None
    assert other_unit.repeat_of_id is None
    frozen.shift(26 * 24 * 3600)
    assert new_ticket().repeat_of_id is None


# State machine -----------------------------------------------------------------------------------


def test_full_lifecycle_stamps_times_events_and_stops_clocks(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    frozen.shift(600)
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    ticket.refresh_from_db()
    assert ticket.status == "dispatching"
    assert ticket.first_response_at == ticket.reported_at + dt.timedelta(minutes=10)
    offer = ticket.assignments.get(status="offered")
    assert offer.engineer_id == engineers["near"].pk
    frozen.shift(600)
    dispatching.assignment_accept(assignment=offer, by=engineers["near"])
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assigned_engineer_id) == (
        "engineer_accepted",
        engineers["near"].pk,
    )
    frozen.shift(3600)
    ticket = services.ticket_transition(ticket=ticket, to="on_site", by=engineers["near"])
    frozen.shift(1800)
    ticket = services.ticket_transition(
        ticket=ticket, to="completed", by=engineers["near"], note="更换电容", photos=[upload()]
    )
    assert ticket.completed_at == ticket.reported_at + dt.timedelta(minutes=110)
    assert ticket.auto_verify_at == ticket.completed_at + 72 * H
    assert TicketPhoto.objects.filter(ticket=ticket, stage="completion").count() == 1
    stops = dict(SlaClock.objects.filter(ticket=ticket).values_list("kind", "stopped_at"))
    assert stops == {
        "first_response": ticket.first_response_at,
        "on_site": ticket.on_site_at,
        "resolution": ticket.completed_at,
    }
    assert not SlaClock.objects.filter(ticket=ticket, breached=True).exists()
    statuses = list(ticket.events.order_by("at", "id").values_list("to_status", "actor__username"))
    assert statuses == [
        ("accepted", "dispatcher"),
        ("dispatching", "dispatcher"),
        ("engineer_accepted", "eng-near"),
        ("on_site", "eng-near"),
        ("completed", "eng-near"),
    ]
    actions = list(
        AuditEvent.objects.filter(object_id=str(ticket.pk), object_type="maintenance.ticket")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "workorder.create",
        "workorder.dispatching",
        "workorder.engineer_accepted",
        "workorder.on_site",
        "workorder.completed",
    ]


def test_system_dispatch_is_not_a_first_response(frozen, new_ticket, engineers):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=None)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.first_response_at) == ("dispatching", None)
    frozen.shift(300)
    dispatching.assignment_accept(
        assignment=ticket.assignments.get(status="offered"), by=engineers["near"]
    )
    ticket.refresh_from_db()
    assert ticket.first_response_at == ticket.reported_at + dt.timedelta(minutes=5)


@pytest.mark.parametrize("to", ["on_site", "completed", "verified", "reopened"])
def test_illegal_transition_from_accepted_is_409_and_writes_nothing(
    frozen, new_ticket, dispatcher, to
):
    ticket = new_ticket()
    before = (TicketEvent.objects.count(), AuditEvent.objects.count())
    with pytest.raises(Conflict) as err:
        services.ticket_transition(ticket=ticket, to=to, by=dispatcher)
    assert err.value.code == "illegal_transition"
    assert err.value.status == 409
    assert (err.value.extra["current"], err.value.extra["target"]) == ("accepted", to)
    assert (TicketEvent.objects.count(), AuditEvent.objects.count()) == before
    assert Ticket.objects.get(pk=ticket.pk).status == "accepted"


def test_unknown_target_status_is_a_validation_error(frozen, new_ticket, dispatcher):
    with pytest.raises(ValidationFailed) as err:
        services.ticket_transition(ticket=new_ticket(), to="teleported", by=dispatcher)
    assert err.value.field == "to"


def test_only_the_assigned_engineer_moves_on_site_and_completes(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineers["near"], by=dispatcher, reason="指定"
    )
    dispatching.assignment_accept(
        assignment=ticket.assignments.get(status="offered"), by=engineers["near"]
    )
    ticket.refresh_from_db()
    for user in (engineers["far"], dispatcher):
        with pytest.raises(PermissionDenied):
            services.ticket_transition(ticket=ticket, to="on_site", by=user)
    assert Ticket.objects.get(pk=ticket.pk).status == "engineer_accepted"


def test_completion_with_a_bad_photo_writes_nothing(frozen, new_ticket, engineers, dispatcher):
    ticket = _to_on_site(new_ticket(), engineers["near"], dispatcher)
    with pytest.raises(ValidationFailed) as err:
        services.ticket_transition(
            ticket=ticket, to="completed", by=engineers["near"], photos=[upload(data=b"junk")]
        )
    assert err.value.field == "photos"
    assert Ticket.objects.get(pk=ticket.pk).status == "on_site"
    assert not TicketPhoto.objects.exists()


def test_cancel_needs_a_reason_and_stops_clocks(frozen, new_ticket, dispatcher):
    ticket = new_ticket()
    with pytest.raises(ValidationFailed) as err:
        services.ticket_transition(ticket=ticket, to="cancelled", by=dispatcher)
    assert err.value.field == "note"
    ticket = services.ticket_transition(
        ticket=ticket, to="cancelled", by=dispatcher, note="重复报修"
    )
    assert ticket.status == "cancelled"
    assert not SlaClock.objects.filter(ticket=ticket, stopped_at__isnull=True).exists()
    with pytest.raises(Conflict):
        services.ticket_transition(ticket=ticket, to="dispatching", by=dispatcher)


def test_tenant_may_cancel_before_an_engineer_accepts(frozen, new_ticket, tenant):
    ticket = new_ticket(by=tenant, channel="portal")
    ticket = services.ticket_transition(ticket=ticket, to="cancelled", by=tenant, note="已自行修好")
    assert ticket.status == "cancelled"


def test_reopen_within_window_resumes_resolution_clock(
    frozen, new_ticket, engineers, dispatcher, tenant
):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    completed_at = ticket.completed_at
    frozen.shift(2 * 3600)
    ticket = services.ticket_transition(ticket=ticket, to="reopened", by=tenant, note="还是不制冷")
    assert (ticket.status, ticket.assigned_engineer_id, ticket.auto_verify_at) == (
        "reopened",
        None,
        None,
    )
    clock = SlaClock.objects.get(ticket=ticket, kind="resolution")
    assert clock.stopped_at is None
    assert clock.paused_segments == [[completed_at.isoformat(), (completed_at + 2 * H).isoformat()]]
    assert clock.due_at == ticket.reported_at + 72 * H + 2 * H
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    assert Ticket.objects.get(pk=ticket.pk).status == "dispatching"


def test_reopen_after_window_is_refused(frozen, new_ticket, engineers, dispatcher, tenant):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    frozen.shift(8 * 24 * 3600)
    with pytest.raises(ValidationFailed) as err:
        services.ticket_transition(ticket=ticket, to="reopened", by=tenant)
    assert err.value.code == "reopen_window_passed"


def test_someone_else_cannot_verify_or_reopen(frozen, new_ticket, engineers, dispatcher, org):
    from anzu.common.testing import CustomerFactory, make_tenant

    ticket = _completed(new_ticket, engineers, dispatcher)
    stranger = make_tenant(CustomerFactory(organization=org))
    for to in ("verified", "reopened"):
        with pytest.raises(PermissionDenied):
            services.ticket_transition(ticket=ticket, to=to, by=stranger)
    with pytest.raises(PermissionDenied):
        services.ticket_transition(ticket=ticket, to="verified", by=engineers["near"])


# Auto-verify -------------------------------------------------------------------------------------


def test_auto_verify_after_72_hours_is_idempotent(frozen, new_ticket, engineers, dispatcher):
    from anzu.maintenance.tasks import workorders_auto_verify

    ticket = _completed(new_ticket, engineers, dispatcher)
    frozen.shift(71 * 3600)
    assert workorders_auto_verify.call_local() == []
    frozen.shift(3600)
    assert workorders_auto_verify.call_local() == [ticket.pk]
    assert workorders_auto_verify.call_local() == []
    ticket.refresh_from_db()
    assert (ticket.status, ticket.verified_at, ticket.auto_verify_at) == (
        "verified",
        ticket.completed_at + 72 * H,
        None,
    )
    event = ticket.events.get(to_status="verified")
    assert (event.actor_id, event.data) == (None, {"auto": True})


def test_auto_verify_delay_comes_from_the_policy(frozen, new_ticket, engineers, dispatcher, org):
    clocks.sla_ensure_default(org.pk)
    SlaPolicy.objects.filter(organization=org).update(auto_verify_hours=24)
    ticket = _completed(new_ticket, engineers, dispatcher)
    assert ticket.auto_verify_at == ticket.completed_at + 24 * H


# Ratings and reviews ----------------------------------------------------------------------------


def test_rating_by_reporter_verifies_and_low_score_opens_review(
    frozen, new_ticket, engineers, dispatcher, tenant
):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    rating = services.rating_submit(
        ticket=ticket, score=2, tags=["slow", "messy"], comment="拖了很久", by=tenant
    )
    ticket.refresh_from_db()
    assert (rating.score, rating.tags, ticket.status) == (2, ["slow", "messy"], "verified")
    case = ReviewCase.objects.get(ticket=ticket)
    assert (case.status, case.rating_id) == ("open", rating.pk)
    with pytest.raises(Conflict) as err:
        services.rating_submit(ticket=ticket, score=5, by=tenant)
    assert err.value.code == "already_rated"
    assert Rating.objects.count() == 1


def test_good_rating_opens_no_review(frozen, new_ticket, engineers, dispatcher, tenant):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    services.rating_submit(ticket=ticket, score=3, by=tenant)
    assert not ReviewCase.objects.exists()


@pytest.mark.parametrize(
    ("score", "tags", "field"),
    [(0, [], "score"), (6, [], "score"), ("x", [], "score"), (4, ["amazing"], "tags")],
)
def test_bad_rating_is_refused(
    frozen, new_ticket, engineers, dispatcher, tenant, score, tags, field
):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    with pytest.raises(ValidationFailed) as err:
        services.rating_submit(ticket=ticket, score=score, tags=tags, by=tenant)
    assert err.value.field == field
    assert not Rating.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).status == "completed"


def test_only_the_reporter_rates_and_only_after_completion(
    frozen, new_ticket, engineers, dispatcher, tenant, org
):
    from anzu.common.testing import CustomerFactory, make_tenant

    open_ticket = new_ticket(by=tenant, channel="portal")
    with pytest.raises(ValidationFailed) as err:
        services.rating_submit(ticket=open_ticket, score=5, by=tenant)
    assert err.value.code == "not_completed"
    done = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    stranger = make_tenant(CustomerFactory(organization=org))
    for user in (stranger, dispatcher, engineers["near"]):
        with pytest.raises(PermissionDenied):
            services.rating_submit(ticket=done, score=5, by=user)
    assert not Rating.objects.exists()


def test_review_case_close_needs_a_root_cause_and_review_role(
    frozen, new_ticket, engineers, dispatcher, tenant, manager
):
    ticket = _completed(new_ticket, engineers, dispatcher, by=tenant, channel="portal")
    services.rating_submit(ticket=ticket, score=1, by=tenant)
    case = ReviewCase.objects.get()
    with pytest.raises(PermissionDenied):
        services.review_case_close(case=case, root_cause="parts", by=dispatcher)
    with pytest.raises(ValidationFailed) as err:
        services.review_case_close(case=case, root_cause="", by=manager)
    assert err.value.field == "root_cause"
    with pytest.raises(ValidationFailed):
        services.review_case_close(case=case, root_cause="bad_luck", by=manager)
    closed = services.review_case_close(
        case=case, root_cause="parts", note="电容批次问题", by=manager
    )
    assert (closed.status, closed.root_cause, closed.closed_by_id) == (
        "closed",
        "parts",
        manager.pk,
    )
    with pytest.raises(Conflict):
        services.review_case_close(case=case, root_cause="parts", by=manager)


# SLA warnings ------------------------------------------------------------------------------------


def test_sla_scan_warns_at_80_percent_then_breaches_once(
    frozen, new_ticket, dispatcher, manager, engineers
):
    ticket = new_ticket()
    assert alerts.sla_scan() == {"warned": 0, "breached": 0}
    frozen.shift(97 * 60)  # 97 of 120 minutes of first response
    assert alerts.sla_scan() == {"warned": 1, "breached": 0}
    assert alerts.sla_scan() == {"warned": 0, "breached": 0}
    keys = set(OutboxMessage.objects.values_list("idempotency_key", flat=True))
    fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert keys == {
        f"workorder-sla-warn:{fr.pk}:{dispatcher.pk}",
        f"workorder-sla-warn:{fr.pk}:{manager.pk}",
    }
    frozen.shift(30 * 60)
    assert alerts.sla_scan() == {"warned": 0, "breached": 1}
    assert alerts.sla_scan() == {"warned": 0, "breached": 0}
    fr.refresh_from_db()
    assert (fr.warned, fr.breached) == (True, True)
    assert (
        OutboxMessage.objects.filter(idempotency_key__startswith="workorder-sla-breach:").count()
        == 2
    )
    msg = OutboxMessage.objects.filter(user=dispatcher, idempotency_key__contains="breach").get()
    assert msg.channel == "in_app"
    assert ticket.number in msg.subject


def test_policy_change_recomputes_running_clocks(frozen, new_ticket, manager, org):
    ticket = new_ticket()
    policy = SlaPolicy.objects.get(organization=org, urgency="", category__isnull=True)
    clocks.sla_policy_update(
        policy=policy, by=manager, first_response_minutes=30, now=ticket.reported_at
    )
    fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert (fr.target_seconds, fr.policy_version, fr.due_at) == (
        1800,
        2,
        ticket.reported_at + dt.timedelta(minutes=30),
    )
    assert AuditEvent.objects.filter(action="sla_policy.update").count() == 1


def test_business_hours_calendar_moves_due_time(frozen, new_ticket, org, manager):
    from anzu.maintenance.models import BusinessCalendar

    clocks.sla_ensure_default(org.pk)
    office = BusinessCalendar.objects.get(organization=org, always=False)
    SlaPolicy.objects.filter(organization=org).update(calendar=office)
    ticket = new_ticket()  # Tuesday 10:00 Shanghai; 2 business hours → 12:00 same day
    fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert fr.due_at == dt.datetime(2026, 3, 10, 4, 0, tzinfo=dt.UTC)
