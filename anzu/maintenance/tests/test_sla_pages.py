"""SLA policy and business-calendar pages: access, validation on the named field, audited saves."""

from __future__ import annotations

import pytest
from django.urls import reverse

from anzu.common.errors import ValidationFailed
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.maintenance import clocks
from anzu.maintenance.models import BusinessCalendar, SlaPolicy
from anzu.maintenance.tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def default_policy(org):
    return clocks.sla_ensure_default(org.pk)


@pytest.fixture
def workweek(org, default_policy):
    return BusinessCalendar.objects.get(organization=org, always=False)


def calendar_post(**overrides):
    data = {f"windows_{d}": "09:00-18:00" if d < 5 else "" for d in range(7)}
    data.update({"name": "工作日 09:00–18:00", "holidays": "", "workdays": ""})
    data.update(overrides)
    return data


def policy_post(**overrides):
    data = {
        "first_response_minutes": "45",
        "on_site_minutes": "240",
        "resolution_minutes": "1440",
        "auto_verify_hours": "72",
    }
    data.update(overrides)
    return data


# The list page ---------------------------------------------------------------------------------


def test_admin_sees_policies_and_calendars(admin_user, default_policy):
    response = client_for(admin_user).get(reverse("workorders:sla"))
    assert response.status_code == 200
    policies = response.context["policies"]
    assert [(p["first_response_minutes"], p["on_site_minutes"]) for p in policies] == [
        (120, 1440),
        (30, 120),
        (60, 480),
    ]
    assert [c["name"] for c in response.context["calendars"]] == ["24×7", "工作日 09:00–18:00"]
    assert response.context["can_edit"] is True
    assert reverse("workorders:sla_policy", args=[default_policy.pk]).encode() in response.content


def test_list_creates_the_default_policies_on_first_use(admin_user, org):
    response = client_for(admin_user).get(reverse("workorders:sla"))
    assert response.status_code == 200
    assert SlaPolicy.objects.filter(organization=org).count() == 3


def test_dispatcher_may_look_but_not_edit(dispatcher, default_policy, workweek):
    client = client_for(dispatcher)
    response = client.get(reverse("workorders:sla"))
    assert response.status_code == 200
    assert response.context["can_edit"] is False
    assert client.get(reverse("workorders:sla_policy", args=[default_policy.pk])).status_code == 403
    assert client.get(reverse("workorders:calendar", args=[workweek.pk])).status_code == 403


@pytest.mark.parametrize("role", ["engineer", "frontline"])
def test_engineer_and_frontline_get_403(org, role, default_policy, workweek):
    client = client_for(make_user(org, role, username=f"u-{role}"))
    assert client.get(reverse("workorders:sla")).status_code == 403
    assert client.get(reverse("workorders:sla_policy", args=[default_policy.pk])).status_code == 403
    assert client.get(reverse("workorders:calendar", args=[workweek.pk])).status_code == 403


def test_other_org_gets_404(default_policy, workweek):
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    client = client_for(outsider)
    assert client.get(reverse("workorders:sla_policy", args=[default_policy.pk])).status_code == 404
    assert client.get(reverse("workorders:calendar", args=[workweek.pk])).status_code == 404
    before = AuditEvent.objects.filter(action="business_calendar.update").count()
    response = client.post(reverse("workorders:calendar", args=[workweek.pk]), calendar_post())
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="business_calendar.update").count() == before


# Policy edit -----------------------------------------------------------------------------------


def test_policy_edit_form_renders(admin_user, default_policy):
    response = client_for(admin_user).get(
        reverse("workorders:sla_policy", args=[default_policy.pk])
    )
    assert response.status_code == 200
    assert response.context["form"].initial["first_response_minutes"] == 120


def test_policy_edit_saves_a_new_version_and_audits(manager, default_policy):
    response = client_for(manager).post(
        reverse("workorders:sla_policy", args=[default_policy.pk]), policy_post()
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:sla")
    default_policy.refresh_from_db()
    assert (
        default_policy.first_response_minutes,
        default_policy.on_site_minutes,
        default_policy.resolution_minutes,
        default_policy.version,
    ) == (45, 240, 1440, 2)
    event = AuditEvent.objects.get(action="sla_policy.update")
    assert event.actor_id == manager.pk
    assert event.changes == {
        "first_response_minutes": [120, 45],
        "on_site_minutes": [1440, 240],
        "resolution_minutes": [4320, 1440],
        "version": [1, 2],
    }


def test_policy_zero_minutes_shows_error_on_its_field(admin_user, default_policy):
    response = client_for(admin_user).post(
        reverse("workorders:sla_policy", args=[default_policy.pk]),
        policy_post(on_site_minutes="0"),
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == ["on_site_minutes"]
    default_policy.refresh_from_db()
    assert (default_policy.on_site_minutes, default_policy.version) == (1440, 1)
    assert not AuditEvent.objects.filter(action="sla_policy.update").exists()


# Calendar edit ---------------------------------------------------------------------------------


def test_calendar_form_shows_the_stored_windows(admin_user, workweek):
    response = client_for(admin_user).get(reverse("workorders:calendar", args=[workweek.pk]))
    assert response.status_code == 200
    initial = response.context["form"].initial
    assert (initial["windows_0"], initial["windows_5"], initial["holidays"]) == (
        "09:00-18:00",
        "",
        "",
    )


def test_reversed_window_shows_error_on_its_field_and_saves_nothing(admin_user, workweek):
    response = client_for(admin_user).post(
        reverse("workorders:calendar", args=[workweek.pk]),
        calendar_post(windows_2="18:00-09:00", holidays="2026-10-01"),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert list(errors) == ["windows_2"]
    assert 'id="field-windows_2"' in response.content.decode()
    workweek.refresh_from_db()
    assert workweek.windows == {str(d): [["09:00", "18:00"]] for d in range(5)}
    assert workweek.holidays == []
    assert not AuditEvent.objects.filter(action="business_calendar.update").exists()


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"windows": {0: ["9-18"]}}, "windows_0", "invalid_window"),
        ({"windows": {3: ["18:00-09:00"]}}, "windows_3", "window_order"),
        ({"windows": {1: ["09:00-12:00", "11:00-18:00"]}}, "windows_1", "window_overlap"),
        ({"windows": {7: ["09:00-18:00"]}}, "windows", "invalid"),
        ({"holidays": ["2026-13-01"]}, "holidays", "invalid"),
        ({"holidays": ["2026-10-01"], "workdays": ["2026-10-01"]}, "workdays", "date_conflict"),
    ],
)
def test_calendar_update_rejects_bad_input(admin_user, workweek, changes, field, code):
    kwargs = {"windows": {}, "holidays": [], "workdays": [], **changes}
    with pytest.raises(ValidationFailed) as info:
        clocks.calendar_update(calendar=workweek, by=admin_user, **kwargs)
    assert (info.value.field, info.value.code) == (field, code)
    workweek.refresh_from_db()
    assert workweek.windows == {str(d): [["09:00", "18:00"]] for d in range(5)}
    assert workweek.holidays == []
    assert not AuditEvent.objects.filter(action="business_calendar.update").exists()


def test_valid_calendar_edit_is_saved_and_audited(admin_user, workweek):
    response = client_for(admin_user).post(
        reverse("workorders:calendar", args=[workweek.pk]),
        calendar_post(
            windows_0="13:00-18:00, 09:00-12:00",
            windows_5="10:00-16:00",
            holidays="2026-10-01\n2026-10-02",
            workdays="2026-09-27",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("workorders:sla")
    workweek.refresh_from_db()
    assert workweek.windows["0"] == [["09:00", "12:00"], ["13:00", "18:00"]]
    assert workweek.windows["5"] == [["10:00", "16:00"]]
    assert "6" not in workweek.windows
    assert workweek.holidays == ["2026-10-01", "2026-10-02"]
    assert workweek.workdays == ["2026-09-27"]
    event = AuditEvent.objects.get(action="business_calendar.update")
    assert event.actor_id == admin_user.pk
    assert event.object_id == str(workweek.pk)
    assert set(event.changes) == {"windows", "holidays", "workdays"}


def test_calendar_update_requires_review_capability(dispatcher, workweek):
    from anzu.common.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        clocks.calendar_update(
            calendar=workweek, by=dispatcher, windows={}, holidays=[], workdays=[]
        )
    assert not AuditEvent.objects.filter(action="business_calendar.update").exists()


# Create, retire, delete ------------------------------------------------------------------------


def new_policy_post(calendar, **overrides):
    data = {
        "category": "lock.smart_lock",
        "urgency": "urgent",
        "first_response_minutes": "15",
        "on_site_minutes": "120",
        "resolution_minutes": "480",
        "auto_verify_hours": "48",
        "reopen_days": "3",
        "calendar_id": str(calendar.pk),
        "pause_states": ["engineer_accepted"],
    }
    data.update(overrides)
    return data


def test_new_policy_page_creates_a_policy(admin_user, workweek):
    client = client_for(admin_user)
    page = client.get(reverse("workorders:sla_policy_new"))
    assert page.status_code == 200
    assert 'name="calendar_id"' in page.content.decode()
    response = client.post(reverse("workorders:sla_policy_new"), new_policy_post(workweek))
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(category__code="lock.smart_lock")
    assert (policy.urgency, policy.first_response_minutes, policy.calendar_id) == (
        "urgent",
        15,
        workweek.pk,
    )
    assert (policy.auto_verify_hours, policy.reopen_days, policy.pause_states) == (
        48,
        3,
        ["engineer_accepted"],
    )
    assert AuditEvent.objects.filter(action="sla_policy.create", actor=admin_user).count() == 1
    listing = client.get(reverse("workorders:sla"))
    assert reverse("workorders:sla_policy_retire", args=[policy.pk]).encode() in listing.content


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"on_site_minutes": "-10"}, "on_site_minutes"),
        ({"resolution_minutes": "60"}, "resolution_minutes"),
        ({"category": "", "urgency": ""}, "urgency"),
    ],
)
def test_new_policy_page_shows_errors_on_the_field(admin_user, workweek, overrides, field):
    response = client_for(admin_user).post(
        reverse("workorders:sla_policy_new"), new_policy_post(workweek, **overrides)
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert not AuditEvent.objects.filter(action="sla_policy.create").exists()
    assert SlaPolicy.objects.filter(organization=workweek.organization).count() == 3


def test_policy_edit_changes_calendar_and_pause_states(admin_user, default_policy, workweek):
    response = client_for(admin_user).post(
        reverse("workorders:sla_policy", args=[default_policy.pk]),
        policy_post(calendar_id=str(workweek.pk), pause_states=["on_site"], reopen_days="10"),
    )
    assert response.status_code == 302
    default_policy.refresh_from_db()
    assert (default_policy.calendar_id, default_policy.pause_states) == (workweek.pk, ["on_site"])
    assert default_policy.reopen_days == 10


def test_retire_page_and_catch_all_refusal(admin_user, default_policy, workweek):
    client = client_for(admin_user)
    client.post(reverse("workorders:sla_policy_new"), new_policy_post(workweek))
    policy = SlaPolicy.objects.get(category__code="lock.smart_lock")
    assert client.get(reverse("workorders:sla_policy_retire", args=[policy.pk])).status_code == 405
    response = client.post(reverse("workorders:sla_policy_retire", args=[policy.pk]))
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.is_active is False
    response = client.post(
        reverse("workorders:sla_policy_retire", args=[default_policy.pk]), follow=True
    )
    default_policy.refresh_from_db()
    assert default_policy.is_active is True
    assert "兜底" in response.content.decode() or "catch-all" in response.content.decode()


def test_new_calendar_page_and_delete(admin_user, default_policy):
    client = client_for(admin_user)
    assert client.get(reverse("workorders:calendar_new")).status_code == 200
    response = client.post(
        reverse("workorders:calendar_new"),
        calendar_post(name="维修班次", windows_0="08:00-12:00, 13:00-20:00", holidays="2026-10-01"),
    )
    assert response.status_code == 302
    created = BusinessCalendar.objects.get(name="维修班次")
    assert created.windows["0"] == [["08:00", "12:00"], ["13:00", "20:00"]]
    assert created.holidays == ["2026-10-01"]
    response = client.post(reverse("workorders:calendar_delete", args=[created.pk]))
    assert response.status_code == 302
    assert not BusinessCalendar.objects.filter(pk=created.pk).exists()
    assert AuditEvent.objects.filter(action="business_calendar.delete").count() == 1
    in_use = default_policy.calendar
    client.post(reverse("workorders:calendar_delete", args=[in_use.pk]))
    assert BusinessCalendar.objects.filter(pk=in_use.pk).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"windows_1": "09:00-12:00, 11:30-18:00"}, "windows_1"),
        ({"windows_2": "18:00-09:00"}, "windows_2"),
        ({"name": ""}, "name"),
        ({"name": "24×7"}, "name"),
    ],
)
def test_new_calendar_page_errors_on_the_field(admin_user, default_policy, overrides, field):
    before = BusinessCalendar.objects.count()
    response = client_for(admin_user).post(
        reverse("workorders:calendar_new"), calendar_post(**{"name": "新日历", **overrides})
    )
    assert response.status_code == 422
    assert list(response.context["form"].errors) == [field]
    assert BusinessCalendar.objects.count() == before


def test_create_retire_delete_pages_need_the_review_capability(
    dispatcher, default_policy, workweek
):
    client = client_for(dispatcher)
    assert client.get(reverse("workorders:sla_policy_new")).status_code == 403
    assert client.get(reverse("workorders:calendar_new")).status_code == 403
    retire = reverse("workorders:sla_policy_retire", args=[default_policy.pk])
    assert client.post(retire).status_code == 403
    assert client.post(reverse("workorders:calendar_delete", args=[workweek.pk])).status_code == 403
    assert BusinessCalendar.objects.filter(pk=workweek.pk).exists()


def test_retire_and_delete_of_other_org_are_404(default_policy, workweek):
    outsider = client_for(make_user(OrganizationFactory(), "admin", username="outsider2"))
    retire = reverse("workorders:sla_policy_retire", args=[default_policy.pk])
    assert outsider.post(retire).status_code == 404
    delete = reverse("workorders:calendar_delete", args=[workweek.pk])
    assert outsider.post(delete).status_code == 404
    assert BusinessCalendar.objects.filter(pk=workweek.pk).exists()
