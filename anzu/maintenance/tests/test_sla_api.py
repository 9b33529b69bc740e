"""REST API of SLA policies and business calendars: create, read, update, retire/delete; errors
named by field with nothing written; clocks recomputed; access (404 other organization, 403
without capability); pause states."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from anzu.common import clock
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.maintenance import clocks, dispatching, services
from anzu.maintenance.models import BusinessCalendar, SlaClock, SlaPolicy, Ticket
from anzu.maintenance.tests.conftest import client_for

pytestmark = pytest.mark.django_db

POLICIES = "/api/v1/workorders/sla-policies"
CALENDARS = "/api/v1/workorders/business-calendars"
H = dt.timedelta(hours=1)


def send(client: Any, method: str, url: str, data: Any = None) -> Any:
    body = json.dumps(data) if data is not None else ""
    return getattr(client, method)(url, body, content_type="application/json")


@pytest.fixture
def default_policy(org: Any) -> SlaPolicy:
    return clocks.sla_ensure_default(org.pk)


@pytest.fixture
def always(org: Any, default_policy: SlaPolicy) -> BusinessCalendar:
    return BusinessCalendar.objects.get(organization=org, always=True)


@pytest.fixture
def workweek(org: Any, default_policy: SlaPolicy) -> BusinessCalendar:
    return BusinessCalendar.objects.get(organization=org, always=False)


@pytest.fixture
def admin(admin_user: Any) -> Any:
    return client_for(admin_user)


def policy_body(calendar: BusinessCalendar, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "category": "appliance.ac_not_cooling",
        "urgency": "urgent",
        "first_response_minutes": 20,
        "on_site_minutes": 180,
        "resolution_minutes": 600,
        "calendar_id": calendar.pk,
    }
    body.update(overrides)
    return body


def calendar_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "客服班次",
        "windows": {"0": ["09:00-12:00", "13:00-18:00"], "5": ["10:00-16:00"]},
        "holidays": ["2026-10-01", "2026-10-02"],
        "workdays": ["2026-09-27"],
    }
    body.update(overrides)
    return body


def audits(action: str) -> int:
    return AuditEvent.objects.filter(action=action).count()


# Policies: read -----------------------------------------------------------------------------------


def test_list_creates_the_defaults_and_shows_them(admin: Any, org: Any) -> None:
    res = admin.get(POLICIES)
    assert res.status_code == 200
    body = res.json()
    assert (body["total"], body["page"]) == (3, 1)
    first = body["items"][0]
    assert set(first) == {
        "id",
        "category",
        "category_name",
        "urgency",
        "urgency_label",
        "first_response_minutes",
        "on_site_minutes",
        "resolution_minutes",
        "auto_verify_hours",
        "reopen_days",
        "calendar_id",
        "calendar_name",
        "pause_states",
        "version",
        "is_active",
    }
    assert sorted((p["urgency"], p["first_response_minutes"]) for p in body["items"]) == [
        ("", 120),
        ("emergency", 30),
        ("urgent", 60),
    ]
    assert all(p["category"] is None and p["calendar_name"] == "24×7" for p in body["items"])


def test_detail_and_dispatcher_may_read(dispatcher: Any, default_policy: SlaPolicy) -> None:
    res = client_for(dispatcher).get(f"{POLICIES}/{default_policy.pk}")
    assert res.status_code == 200
    assert res.json()["first_response_minutes"] == 120
    assert res.json()["version"] == 1


# Policies: create ---------------------------------------------------------------------------------


def test_create_policy(admin: Any, admin_user: Any, workweek: BusinessCalendar) -> None:
    res = send(admin, "post", POLICIES, policy_body(workweek, pause_states=["engineer_accepted"]))
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["category"] == "appliance.ac_not_cooling"
    assert body["category_name"] == "空调不制冷"
    assert (body["urgency"], body["first_response_minutes"], body["resolution_minutes"]) == (
        "urgent",
        20,
        600,
    )
    assert (body["calendar_id"], body["pause_states"], body["version"]) == (
        workweek.pk,
        ["engineer_accepted"],
        1,
    )
    assert (body["auto_verify_hours"], body["reopen_days"]) == (72, 7)
    event = AuditEvent.objects.get(action="sla_policy.create")
    assert event.actor_id == admin_user.pk
    assert event.object_id == str(body["id"])
    assert event.changes["first_response_minutes"] == [None, 20]


def test_new_policy_is_used_for_new_tickets(
    frozen: Any, admin: Any, always: BusinessCalendar, new_ticket: Any
) -> None:
    send(admin, "post", POLICIES, policy_body(always, urgency="", first_response_minutes=15))
    ticket = new_ticket()
    clock = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert clock.target_seconds == 15 * 60
    assert clock.due_at == ticket.reported_at + dt.timedelta(minutes=15)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"category": "appliance.teleporter"}, "category", "unknown_category"),
        ({"urgency": "whenever"}, "urgency", "invalid_choice"),
        ({"first_response_minutes": -5}, "first_response_minutes", "too_small"),
        ({"on_site_minutes": 0}, "on_site_minutes", "too_small"),
        ({"resolution_minutes": -1}, "resolution_minutes", "too_small"),
        ({"on_site_minutes": 10}, "on_site_minutes", "target_order"),
        ({"resolution_minutes": 100}, "resolution_minutes", "target_order"),
        ({"auto_verify_hours": 0}, "auto_verify_hours", "too_small"),
        ({"reopen_days": -1}, "reopen_days", "too_small"),
        ({"calendar_id": 999_999}, "calendar_id", "unknown_calendar"),
        ({"pause_states": ["verified"]}, "pause_states", "invalid_choice"),
        ({"first_response_minutes": "soon"}, "first_response_minutes", "invalid"),
        ({"colour": "red"}, "colour", "unknown_field"),
    ],
)
def test_create_policy_bad_input_names_the_field(
    admin: Any, workweek: BusinessCalendar, overrides: dict[str, Any], field: str, code: str
) -> None:
    before = SlaPolicy.objects.count()
    res = send(admin, "post", POLICIES, policy_body(workweek, **overrides))
    assert res.status_code == 422, res.content
    assert (res.json()["field"], res.json()["code"]) == (field, code)
    assert SlaPolicy.objects.count() == before
    assert audits("sla_policy.create") == 0


def test_duplicate_category_and_urgency_is_refused(admin: Any, workweek: BusinessCalendar) -> None:
    assert send(admin, "post", POLICIES, policy_body(workweek)).status_code == 201
    res = send(admin, "post", POLICIES, policy_body(workweek, first_response_minutes=5))
    assert res.status_code == 422
    assert (res.json()["field"], res.json()["code"]) == ("urgency", "duplicate_policy")
    # The catch-all (any category, any urgency) exists already too.
    res = send(admin, "post", POLICIES, policy_body(workweek, category=None, urgency=""))
    assert (res.status_code, res.json()["code"]) == (422, "duplicate_policy")
    assert SlaPolicy.objects.filter(category__code="appliance.ac_not_cooling").count() == 1
    assert audits("sla_policy.create") == 1


def test_calendar_of_another_org_is_unknown(admin: Any, other_org: Any) -> None:
    clocks.sla_ensure_default(other_org.pk)
    foreign = BusinessCalendar.objects.filter(organization=other_org).first()
    assert foreign is not None
    res = send(admin, "post", POLICIES, policy_body(foreign))
    assert (res.status_code, res.json()["field"]) == (422, "calendar_id")


# Policies: update and retire ----------------------------------------------------------------------


def test_update_policy_recomputes_running_clocks(
    frozen: Any, admin: Any, default_policy: SlaPolicy, new_ticket: Any, workweek: Any
) -> None:
    ticket = new_ticket()
    frozen.shift(30 * 60)
    res = send(
        admin,
        "patch",
        f"{POLICIES}/{default_policy.pk}",
        {"first_response_minutes": 20, "on_site_minutes": 600},
    )
    assert res.status_code == 200, res.content
    assert (res.json()["version"], res.json()["first_response_minutes"]) == (2, 20)
    assert res.json()["resolution_minutes"] == 72 * 60  # unchanged
    fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert (fr.target_seconds, fr.policy_version) == (20 * 60, 2)
    assert fr.due_at == ticket.reported_at + dt.timedelta(minutes=20)
    assert fr.breached is True  # 30 minutes used of 20
    event = AuditEvent.objects.get(action="sla_policy.update")
    assert event.changes["first_response_minutes"] == [120, 20]
    # Moving the policy to the working-week calendar (Mon–Fri 09:00–18:00) is recomputed too.
    res = send(admin, "patch", f"{POLICIES}/{default_policy.pk}", {"calendar_id": workweek.pk})
    assert res.json()["calendar_name"] == workweek.name
    on_site = SlaClock.objects.get(ticket=ticket, kind="on_site")
    # Reported Tuesday 10:00 Shanghai; 600 working minutes = 8 h Tuesday + 2 h Wednesday.
    assert on_site.due_at == dt.datetime(2026, 3, 11, 3, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"on_site_minutes": -30}, "on_site_minutes", "too_small"),
        ({"resolution_minutes": 60}, "resolution_minutes", "target_order"),
        ({"calendar_id": 0}, "calendar_id", "unknown_calendar"),
        ({"pause_states": ["cancelled"]}, "pause_states", "invalid_choice"),
        ({"category": "lock"}, "category", "unknown_field"),
    ],
)
def test_update_policy_bad_input(
    admin: Any, default_policy: SlaPolicy, body: dict[str, Any], field: str, code: str
) -> None:
    res = send(admin, "patch", f"{POLICIES}/{default_policy.pk}", body)
    assert res.status_code == 422
    assert (res.json()["field"], res.json()["code"]) == (field, code)
    default_policy.refresh_from_db()
    assert (default_policy.version, default_policy.on_site_minutes) == (1, 24 * 60)
    assert audits("sla_policy.update") == 0


def test_retire_policy(frozen: Any, admin: Any, always: Any, new_ticket: Any) -> None:
    created = send(admin, "post", POLICIES, policy_body(always, urgency="")).json()
    ticket = new_ticket()
    assert SlaClock.objects.get(ticket=ticket, kind="first_response").policy_id == created["id"]
    res = send(admin, "post", f"{POLICIES}/{created['id']}/retire")
    assert res.status_code == 200
    assert res.json()["is_active"] is False
    assert audits("sla_policy.retire") == 1
    # New tickets fall back to the catch-all; the running clock keeps the retired policy.
    later = new_ticket()
    assert SlaClock.objects.get(ticket=later, kind="first_response").target_seconds == 120 * 60
    assert SlaClock.objects.get(ticket=ticket, kind="first_response").policy_id == created["id"]
    assert [p["id"] for p in admin.get(POLICIES).json()["items"]].count(created["id"]) == 0
    listed = admin.get(POLICIES, {"include_retired": "true"}).json()["items"]
    assert created["id"] in [p["id"] for p in listed]
    # A retired policy cannot be changed or retired again; the same pair may be created anew.
    res = send(admin, "patch", f"{POLICIES}/{created['id']}", {"first_response_minutes": 5})
    assert (res.status_code, res.json()["code"]) == (409, "policy_retired")
    res = send(admin, "post", f"{POLICIES}/{created['id']}/retire")
    assert (res.status_code, res.json()["code"]) == (409, "policy_retired")
    assert send(admin, "post", POLICIES, policy_body(always, urgency="")).status_code == 201


def test_catch_all_policy_cannot_be_retired(admin: Any, default_policy: SlaPolicy) -> None:
    res = send(admin, "post", f"{POLICIES}/{default_policy.pk}/retire")
    assert (res.status_code, res.json()["code"]) == (409, "default_policy")
    default_policy.refresh_from_db()
    assert default_policy.is_active is True
    assert audits("sla_policy.retire") == 0


# Calendars ----------------------------------------------------------------------------------------


def test_calendar_create_list_detail(admin: Any, admin_user: Any, default_policy: Any) -> None:
    res = send(admin, "post", CALENDARS, calendar_body())
    assert res.status_code == 201, res.content
    body = res.json()
    assert body["windows"] == {"0": ["09:00-12:00", "13:00-18:00"], "5": ["10:00-16:00"]}
    assert (body["holidays"], body["workdays"], body["tz"]) == (
        ["2026-10-01", "2026-10-02"],
        ["2026-09-27"],
        "Asia/Shanghai",
    )
    stored = BusinessCalendar.objects.get(pk=body["id"])
    assert stored.windows["0"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    event = AuditEvent.objects.get(action="business_calendar.create")
    assert (event.actor_id, event.changes["name"]) == (admin_user.pk, [None, "客服班次"])
    listed = admin.get(CALENDARS).json()
    assert listed["total"] == 3
    assert admin.get(f"{CALENDARS}/{body['id']}").json() == body


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"windows": {"1": ["09:00-12:00", "11:00-18:00"]}}, "windows_1", "window_overlap"),
        ({"windows": {"2": ["18:00-09:00"]}}, "windows_2", "window_order"),
        ({"windows": {"3": ["9-18"]}}, "windows_3", "invalid_window"),
        ({"windows": {"8": ["09:00-18:00"]}}, "windows", "invalid"),
        ({"windows": {}}, "windows", "no_windows"),
        ({"holidays": ["2026-02-30"]}, "holidays", "invalid"),
        ({"workdays": ["2026-10-01"]}, "workdays", "date_conflict"),
        ({"name": " "}, "name", "required"),
        ({"name": "24×7"}, "name", "duplicate_name"),
        ({"tz": "Mars/Olympus"}, "tz", "invalid"),
    ],
)
def test_calendar_create_bad_input_names_the_field(
    admin: Any, default_policy: Any, overrides: dict[str, Any], field: str, code: str
) -> None:
    before = BusinessCalendar.objects.count()
    res = send(admin, "post", CALENDARS, calendar_body(**overrides))
    assert res.status_code == 422, res.content
    assert (res.json()["field"], res.json()["code"]) == (field, code)
    assert BusinessCalendar.objects.count() == before
    assert audits("business_calendar.create") == 0


def test_always_calendar_needs_no_windows(admin: Any) -> None:
    res = send(admin, "post", CALENDARS, calendar_body(name="全天", windows={}, always=True))
    assert res.status_code == 201
    assert res.json()["always"] is True


def test_calendar_update_recomputes_clocks(
    frozen: Any, admin: Any, default_policy: SlaPolicy, workweek: Any, new_ticket: Any
) -> None:
    send(admin, "patch", f"{POLICIES}/{default_policy.pk}", {"calendar_id": workweek.pk})
    ticket = new_ticket()
    fr = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert fr.due_at == ticket.reported_at + 2 * H  # Tuesday 10:00 → 12:00
    res = send(
        admin,
        "patch",
        f"{CALENDARS}/{workweek.pk}",
        {"windows": {"1": ["11:00-12:00", "14:00-18:00"]}, "name": "周二班次"},
    )
    assert res.status_code == 200, res.content
    assert res.json()["name"] == "周二班次"
    assert res.json()["holidays"] == []  # left out: kept
    fr.refresh_from_db()
    # Only Tuesday 11:00–12:00 and 14:00–18:00 count now: 1 h + 1 h → Tuesday 15:00 Shanghai.
    assert fr.due_at == dt.datetime(2026, 3, 10, 7, 0, tzinfo=dt.UTC)
    assert audits("business_calendar.update") == 1


def test_calendar_update_bad_input(admin: Any, workweek: BusinessCalendar) -> None:
    res = send(admin, "patch", f"{CALENDARS}/{workweek.pk}", {"windows": {"4": ["17:00-09:00"]}})
    assert (res.status_code, res.json()["field"], res.json()["code"]) == (
        422,
        "windows_4",
        "window_order",
    )
    res = send(admin, "patch", f"{CALENDARS}/{workweek.pk}", {"name": "24×7"})
    assert (res.json()["field"], res.json()["code"]) == ("name", "duplicate_name")
    workweek.refresh_from_db()
    assert workweek.windows["4"] == [["09:00", "18:00"]]
    assert audits("business_calendar.update") == 0


def test_calendar_delete_only_when_unused(admin: Any, always: Any, workweek: Any) -> None:
    res = send(admin, "delete", f"{CALENDARS}/{always.pk}")
    assert (res.status_code, res.json()["code"], res.json()["field"]) == (
        409,
        "calendar_in_use",
        "calendar",
    )
    assert BusinessCalendar.objects.filter(pk=always.pk).exists()
    res = send(admin, "delete", f"{CALENDARS}/{workweek.pk}")
    assert res.status_code == 204
    assert not BusinessCalendar.objects.filter(pk=workweek.pk).exists()
    assert audits("business_calendar.delete") == 1


def test_calendar_of_retired_policy_stays(admin: Any, workweek: Any) -> None:
    created = send(admin, "post", POLICIES, policy_body(workweek)).json()
    send(admin, "post", f"{POLICIES}/{created['id']}/retire")
    res = send(admin, "delete", f"{CALENDARS}/{workweek.pk}")
    assert (res.status_code, res.json()["code"]) == (409, "calendar_in_use")


# Access -------------------------------------------------------------------------------------------


def test_other_org_gets_404_everywhere(default_policy: SlaPolicy, workweek: Any) -> None:
    outsider = client_for(make_user(OrganizationFactory(), "admin", username="outsider"))
    assert outsider.get(f"{POLICIES}/{default_policy.pk}").status_code == 404
    for method, url, body in [
        ("patch", f"{POLICIES}/{default_policy.pk}", {"on_site_minutes": 900}),
        ("post", f"{POLICIES}/{default_policy.pk}/retire", None),
        ("get", f"{CALENDARS}/{workweek.pk}", None),
        ("patch", f"{CALENDARS}/{workweek.pk}", {"name": "x"}),
        ("delete", f"{CALENDARS}/{workweek.pk}", None),
    ]:
        res = send(outsider, method, url, body) if method != "get" else outsider.get(url)
        assert res.status_code == 404, (method, url)
        assert res.json()["code"] == "not_found"
    assert [p["id"] for p in outsider.get(POLICIES).json()["items"]] != [default_policy.pk]
    default_policy.refresh_from_db()
    assert default_policy.version == 1
    assert BusinessCalendar.objects.filter(pk=workweek.pk, name=workweek.name).exists()


@pytest.mark.parametrize("role", ["engineer", "frontline", "finance"])
def test_roles_without_capability_get_403(org: Any, role: str, default_policy: Any) -> None:
    client = client_for(make_user(org, role, username=f"u-{role}"))
    calendar = default_policy.calendar
    assert client.get(POLICIES).status_code == 403
    assert client.get(f"{POLICIES}/{default_policy.pk}").status_code == 403
    assert client.get(CALENDARS).status_code == 403
    assert client.get(f"{CALENDARS}/{calendar.pk}").status_code == 403
    assert send(client, "post", POLICIES, policy_body(calendar)).status_code == 403
    assert send(client, "post", CALENDARS, calendar_body()).status_code == 403


def test_dispatcher_may_read_but_not_write(
    dispatcher: Any, default_policy: SlaPolicy, workweek: Any
) -> None:
    client = client_for(dispatcher)
    assert client.get(POLICIES).status_code == 200
    assert client.get(f"{CALENDARS}/{workweek.pk}").status_code == 200
    for method, url, body in [
        ("post", POLICIES, policy_body(workweek)),
        ("patch", f"{POLICIES}/{default_policy.pk}", {"on_site_minutes": 900}),
        ("post", f"{POLICIES}/{default_policy.pk}/retire", None),
        ("post", CALENDARS, calendar_body()),
        ("patch", f"{CALENDARS}/{workweek.pk}", {"name": "x"}),
        ("delete", f"{CALENDARS}/{workweek.pk}", None),
    ]:
        res = send(client, method, url, body)
        assert (res.status_code, res.json()["code"]) == (403, "forbidden"), (method, url)
    assert SlaPolicy.objects.count() == 3
    assert not AuditEvent.objects.filter(action__startswith="sla_policy.create").exists()


# Pause states -------------------------------------------------------------------------------------


def _accepted(ticket: Ticket, engineer: Any, dispatcher: Any) -> Ticket:
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineer, by=dispatcher, reason="熟客"
    )
    offer = ticket.assignments.get(status="offered")
    dispatching.assignment_accept(assignment=offer, by=engineer)
    return Ticket.objects.get(pk=ticket.pk)


def test_pause_state_stops_the_clocks_while_the_ticket_waits(
    frozen: Any, admin: Any, always: Any, new_ticket: Any, engineers: Any, dispatcher: Any
) -> None:
    send(
        admin, "post", POLICIES, policy_body(always, urgency="", pause_states=["engineer_accepted"])
    )
    ticket = new_ticket()
    frozen.shift(600)
    ticket = _accepted(ticket, engineers["near"], dispatcher)  # paused from here
    frozen.shift(3 * 3600)
    ticket = services.ticket_transition(ticket=ticket, to="on_site", by=engineers["near"])
    on_site = SlaClock.objects.get(ticket=ticket, kind="on_site")
    # 3 h 10 min wall clock, of which 3 h paused: 10 minutes used of 180.
    assert clocks.elapsed_seconds(on_site, now=clock.now()) == 600
    assert on_site.due_at == ticket.reported_at + dt.timedelta(minutes=180) + 3 * H
    assert on_site.breached is False
    resolution = SlaClock.objects.get(ticket=ticket, kind="resolution")
    assert resolution.pause_states == ["engineer_accepted"]
    assert resolution.due_at == ticket.reported_at + dt.timedelta(minutes=600) + 3 * H


def test_adding_a_pause_state_recomputes_the_running_clocks(
    frozen: Any, admin: Any, default_policy: SlaPolicy, new_ticket: Any, engineers: Any,
    dispatcher: Any,
) -> None:  # fmt: skip
    ticket = _accepted(new_ticket(), engineers["near"], dispatcher)
    frozen.shift(2 * 3600)
    on_site = SlaClock.objects.get(ticket=ticket, kind="on_site")
    assert on_site.due_at == ticket.reported_at + 24 * H
    res = send(
        admin, "patch", f"{POLICIES}/{default_policy.pk}", {"pause_states": ["engineer_accepted"]}
    )
    assert res.json()["pause_states"] == ["engineer_accepted"]
    on_site.refresh_from_db()
    # Waiting since acceptance (2 h so far) no longer counts.
    assert on_site.pause_states == ["engineer_accepted"]
    assert on_site.due_at == ticket.reported_at + 24 * H + 2 * H
    assert clocks.elapsed_seconds(on_site, now=clock.now()) == 0
    stopped = SlaClock.objects.get(ticket=ticket, kind="first_response")
    assert stopped.pause_states == []  # a stopped clock keeps what it ran with
