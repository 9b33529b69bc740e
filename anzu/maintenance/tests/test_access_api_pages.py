"""Access helpers (role, scope, organization), the REST API and the pages."""

from __future__ import annotations

import json

import pytest

from anzu.common.errors import NotFound
from anzu.common.testing import CustomerFactory, OrganizationFactory, make_tenant, make_user
from anzu.maintenance import access as wo_access
from anzu.maintenance import dispatching, services
from anzu.maintenance.models import Assignment, Rating, ReviewCase, Ticket, TicketPhoto
from anzu.maintenance.tests.conftest import client_for, upload

pytestmark = pytest.mark.django_db


def post_json(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


@pytest.fixture
def two_tickets(frozen, new_ticket, portfolio):
    """Ticket a on u1 (project P1), ticket b on u3 (project P2)."""
    return new_ticket(), new_ticket(unit_id=portfolio["u3"].pk)


# Access helpers, one condition per test ----------------------------------------------------------


def test_office_staff_see_the_whole_org(two_tickets, dispatcher):
    assert wo_access.tickets_for_user(dispatcher).count() == 2


def test_scoped_staff_see_only_their_project(two_tickets, org, portfolio):
    scoped = make_user(org, "frontline", projects=[portfolio["p1"]])
    assert list(wo_access.tickets_for_user(scoped)) == [two_tickets[0]]


def test_engineer_sees_only_tickets_offered_or_assigned(two_tickets, engineers, dispatcher):
    a, _b = two_tickets
    assert not wo_access.tickets_for_user(engineers["near"]).exists()
    dispatching.ticket_dispatch(ticket=a, by=dispatcher)
    assert list(wo_access.tickets_for_user(engineers["near"])) == [a]
    assert not wo_access.tickets_for_user(engineers["far"]).exists()


def test_finance_sees_no_work_orders(two_tickets, org):
    assert not wo_access.tickets_for_user(make_user(org, "finance")).exists()


def test_tenant_sees_only_what_they_reported(frozen, new_ticket, tenant, two_tickets):
    mine = new_ticket(by=tenant, channel="portal")
    assert list(wo_access.tickets_for_user(tenant)) == [mine]


def test_other_org_gets_404(two_tickets):
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    with pytest.raises(NotFound):
        wo_access.ticket_for_user(outsider, two_tickets[0].pk)


# API ---------------------------------------------------------------------------------------------


def test_api_staff_intake_list_and_detail(frozen, dispatcher, portfolio):
    client = client_for(dispatcher)
    res = post_json(
        client,
        "/api/v1/workorders",
        {
            "unit_id": portfolio["u1"].pk,
            "category_code": "water_electric.leak",
            "description": "卫生间天花板漏水",
            "urgency": "urgent",
            "reporter_name": "韩梅梅",
            "reporter_phone": "13900002222",
        },
    )
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["number"], body["status"], body["channel"], body["urgency"]) == (
        "WO-20260310-0001",
        "accepted",
        "phone",
        "urgent",
    )
    assert body["reporter_phone"] == "13900002222"  # customer service holds pii.view
    assert [e["to_status"] for e in body["timeline"]] == ["accepted"]
    assert [c["kind"] for c in body["clocks"]] == ["first_response", "on_site", "resolution"]
    listed = client.get("/api/v1/workorders", {"status": "accepted"}).json()
    assert (listed["total"], listed["items"][0]["id"]) == (1, body["id"])
    detail = client.get(f"/api/v1/workorders/{body['id']}").json()
    assert detail["number"] == "WO-20260310-0001"


def test_api_masks_phone_for_roles_without_pii(frozen, new_ticket, org):
    ticket = new_ticket()
    frontline = make_user(org, "frontline")
    item = client_for(frontline).get(f"/api/v1/workorders/{ticket.pk}").json()
    assert (item["reporter_phone"], item["reporter_name"]) == ("138****1111", "李*")


def test_api_bad_input_is_422_naming_the_field(frozen, dispatcher, portfolio):
    client = client_for(dispatcher)
    res = post_json(
        client,
        "/api/v1/workorders",
        {"unit_id": portfolio["u1"].pk, "category_code": "nope", "description": "x"},
    )
    assert res.status_code == 422
    assert (res.json()["code"], res.json()["field"]) == ("not_found", "category_code")
    res = post_json(client, "/api/v1/workorders", {"unit_id": portfolio["u1"].pk, "bogus": 1})
    assert res.status_code == 422
    assert Ticket.objects.count() == 0


def test_api_tenant_reports_through_the_portal_channel(frozen, tenant, portfolio):
    client = client_for(tenant)
    res = post_json(
        client,
        "/api/v1/workorders",
        {"unit_id": portfolio["u1"].pk, "category_code": "network.wifi", "description": "断网"},
    )
    assert res.status_code == 201, res.content
    body = res.json()
    assert (body["channel"], body["assignments"], body["clocks"]) == ("portal", [], [])
    other = post_json(
        client,
        "/api/v1/workorders",
        {"unit_id": portfolio["u3"].pk, "category_code": "network.wifi", "description": "断网"},
    )
    assert (other.status_code, other.json()["field"]) == (422, "unit_id")


def test_api_engineer_cannot_report(frozen, org, portfolio):
    engineer = make_user(org, "engineer")
    res = post_json(
        client_for(engineer),
        "/api/v1/workorders",
        {"unit_id": portfolio["u1"].pk, "category_code": "other", "description": "x"},
    )
    assert res.status_code == 403


def test_api_dispatch_accept_transition_and_illegal_transition(
    frozen, new_ticket, engineers, dispatcher
):
    ticket = new_ticket()
    staff = client_for(dispatcher)
    res = staff.post(f"/api/v1/workorders/{ticket.pk}/dispatch")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["status"] == "dispatching"
    candidates = body["assignments"][0]["candidates"]
    assert candidates[0]["engineer_name"] == "ENG-NEAR"
    assert {r["code"] for r in candidates[-1]["reasons"]} >= {"no_skill"}
    bad = post_json(staff, f"/api/v1/workorders/{ticket.pk}/transition", {"to": "completed"})
    assert bad.status_code == 409
    assert (bad.json()["code"], bad.json()["current"], bad.json()["target"]) == (
        "illegal_transition",
        "dispatching",
        "completed",
    )
    assignment_id = body["assignments"][0]["id"]
    engineer = client_for(engineers["near"])
    assert (
        client_for(engineers["far"]).post(f"/api/v1/assignments/{assignment_id}/accept").status_code
        == 404
    )
    res = engineer.post(f"/api/v1/assignments/{assignment_id}/accept")
    assert (res.status_code, res.json()["status"]) == (200, "accepted")
    res = post_json(engineer, f"/api/v1/workorders/{ticket.pk}/transition", {"to": "on_site"})
    assert (res.status_code, res.json()["status"]) == (200, "on_site")
    res = post_json(
        engineer, f"/api/v1/workorders/{ticket.pk}/transition", {"to": "completed", "note": "修好"}
    )
    assert (res.status_code, res.json()["status"]) == (200, "completed")


def test_api_decline_and_assign_override(frozen, new_ticket, engineers, dispatcher):
    ticket = new_ticket()
    staff = client_for(dispatcher)
    staff.post(f"/api/v1/workorders/{ticket.pk}/dispatch")
    offer = Assignment.objects.get(ticket=ticket)
    res = post_json(
        client_for(engineers["near"]), f"/api/v1/assignments/{offer.pk}/decline", {"reason": "休假"}
    )
    assert (res.status_code, res.json()["status"]) == (200, "declined")
    res = post_json(
        staff,
        f"/api/v1/workorders/{ticket.pk}/assign",
        {"engineer_id": engineers["near"].pk, "reason": "租户点名"},
    )
    assert res.status_code == 200
    last = res.json()["assignments"][-1]
    assert (last["method"], last["engineer_id"], last["reason"]) == (
        "override",
        engineers["near"].pk,
        "租户点名",
    )
    res = post_json(
        client_for(engineers["near"]),
        f"/api/v1/workorders/{ticket.pk}/assign",
        {"engineer_id": engineers["near"].pk, "reason": "x"},
    )
    assert res.status_code == 403


def test_api_engineer_sees_own_tasks_only(frozen, new_ticket, engineers, dispatcher):
    a, b = new_ticket(), new_ticket()
    dispatching.ticket_dispatch(ticket=a, by=dispatcher)
    client = client_for(engineers["far"])
    assert client.get("/api/v1/workorders").json()["total"] == 0
    assert client.get(f"/api/v1/workorders/{a.pk}").status_code == 404
    near = client_for(engineers["near"])
    assert [i["id"] for i in near.get("/api/v1/workorders").json()["items"]] == [a.pk]
    assert near.get(f"/api/v1/workorders/{b.pk}").status_code == 404


def test_api_other_org_gets_404(frozen, new_ticket):
    ticket = new_ticket()
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    client = client_for(outsider)
    assert client.get(f"/api/v1/workorders/{ticket.pk}").status_code == 404
    assert client.post(f"/api/v1/workorders/{ticket.pk}/dispatch").status_code == 404


def _done(new_ticket, engineers, dispatcher, tenant):
    ticket = new_ticket(by=tenant, channel="portal")
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineers["near"], by=dispatcher, reason="x"
    )
    dispatching.assignment_accept(
        assignment=ticket.assignments.get(status="offered"), by=engineers["near"]
    )
    ticket = services.ticket_transition(
        ticket=Ticket.objects.get(pk=ticket.pk), to="on_site", by=engineers["near"]
    )
    return services.ticket_transition(ticket=ticket, to="completed", by=engineers["near"])


def test_api_rating_and_review_cases(frozen, new_ticket, engineers, dispatcher, tenant, manager):
    ticket = _done(new_ticket, engineers, dispatcher, tenant)
    client = client_for(tenant)
    res = post_json(client, f"/api/v1/workorders/{ticket.pk}/rating", {"score": 6})
    assert (res.status_code, res.json()["field"]) == (422, "score")
    res = post_json(client_for(dispatcher), f"/api/v1/workorders/{ticket.pk}/rating", {"score": 5})
    assert res.status_code == 403
    assert not Rating.objects.exists()
    res = post_json(
        client, f"/api/v1/workorders/{ticket.pk}/rating", {"score": 1, "tags": ["not_fixed"]}
    )
    assert res.status_code == 201, res.content
    assert res.json()["score"] == 1
    again = post_json(client, f"/api/v1/workorders/{ticket.pk}/rating", {"score": 1})
    assert (again.status_code, again.json()["code"]) == (409, "already_rated")
    assert client_for(dispatcher).get("/api/v1/review-cases").status_code == 403
    boss = client_for(manager)
    listed = boss.get("/api/v1/review-cases").json()
    assert (listed["total"], listed["items"][0]["score"]) == (1, 1)
    case_id = listed["items"][0]["id"]
    res = post_json(boss, f"/api/v1/review-cases/{case_id}/close", {"root_cause": "guess"})
    assert (res.status_code, res.json()["field"]) == (422, "root_cause")
    res = post_json(
        boss,
        f"/api/v1/review-cases/{case_id}/close",
        {"root_cause": "misdiagnosis", "note": "复检"},
    )
    assert (res.status_code, res.json()["status"], res.json()["root_cause"]) == (
        200,
        "closed",
        "misdiagnosis",
    )
    timeline = client.get(f"/api/v1/workorders/{ticket.pk}").json()["timeline"]
    assert [(e["kind"], e["to_status"]) for e in timeline] == [
        ("created", "accepted"),
        ("transition", "dispatching"),
        ("transition", "engineer_accepted"),
        ("transition", "on_site"),
        ("transition", "completed"),
        ("rated", "completed"),
        ("transition", "verified"),
    ]
    assert all(e["data"] == {} for e in timeline)


# Pages -------------------------------------------------------------------------------------------


def test_board_page_lists_columns_and_badges(frozen, new_ticket, dispatcher):
    new_ticket(urgency="urgent")
    res = client_for(dispatcher).get("/workorders/")
    assert res.status_code == 200
    html = res.content.decode()
    assert 'id="column-accepted"' in html
    assert "WO-20260310-0001" in html
    assert "电话报修" in html and "已受理" in html  # Chinese by default


@pytest.mark.parametrize("role", ["engineer", "finance"])
def test_board_page_refuses_other_roles(frozen, org, role):
    assert client_for(make_user(org, role)).get("/workorders/").status_code == 403


def test_ticket_page_shows_candidates_and_reasons(frozen, new_ticket, engineers, dispatcher):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    res = client_for(dispatcher).get(f"/workorders/{ticket.pk}/")
    assert res.status_code == 200
    html = res.content.decode()
    assert "ENG-LOCK" in html and "缺少技能" in html


def test_ticket_page_of_other_org_is_404(frozen, new_ticket):
    ticket = new_ticket()
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    assert client_for(outsider).get(f"/workorders/{ticket.pk}/").status_code == 404


def test_intake_page_creates_and_shows_errors_on_fields(frozen, dispatcher, portfolio):
    client = client_for(dispatcher)
    assert client.get("/workorders/intake/").status_code == 200
    res = client.post(
        "/workorders/intake/",
        {
            "unit_id": portfolio["u1"].pk,
            "category_code": "structure.wall",
            "urgency": "normal",
            "description": "墙皮脱落",
            "reporter_phone": "12",
        },
    )
    assert res.status_code == 422
    assert res.context["form"].errors["reporter_phone"]
    res = client.post(
        "/workorders/intake/",
        {
            "unit_id": portfolio["u1"].pk,
            "category_code": "structure.wall",
            "urgency": "normal",
            "description": "墙皮脱落",
            "photos": [upload("x.txt", b"not an image")],
        },
    )
    assert res.status_code == 422
    assert res.context["form"].errors["photos"]
    assert Ticket.objects.count() == 0
    res = client.post(
        "/workorders/intake/",
        {
            "unit_id": portfolio["u1"].pk,
            "category_code": "structure.wall",
            "urgency": "normal",
            "description": "墙皮脱落",
            "photos": [upload()],
        },
    )
    assert res.status_code == 302
    ticket = Ticket.objects.get()
    assert res["Location"] == f"/workorders/{ticket.pk}/"
    photo = TicketPhoto.objects.get(ticket=ticket)
    assert client.get(f"/workorders/photos/{photo.pk}/thumb/").status_code == 200


def test_engineer_task_page_accept_arrive_complete(frozen, new_ticket, engineers, dispatcher):
    ticket = new_ticket()
    dispatching.ticket_dispatch(ticket=ticket, by=dispatcher)
    offer = Assignment.objects.get(ticket=ticket)
    client = client_for(engineers["near"])
    page = client.get("/workorders/tasks/")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    assert client.post(f"/workorders/assignments/{offer.pk}/accept/").status_code == 302
    assert client.post(f"/workorders/{ticket.pk}/to/on_site/").status_code == 302
    res = client.post(
        f"/workorders/{ticket.pk}/to/completed/", {"note": "已修复", "photos": [upload()]}
    )
    assert res.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "completed"
    assert TicketPhoto.objects.filter(ticket=ticket, stage="completion").count() == 1
    assert client_for(engineers["far"]).get(f"/workorders/{ticket.pk}/").status_code == 404


def test_tenant_pages_report_track_and_rate(frozen, tenant, portfolio, engineers, dispatcher):
    client = client_for(tenant)
    assert client.get("/workorders/mine/").status_code == 200
    res = client.post(
        "/workorders/mine/",
        {
            "unit_id": portfolio["u1"].pk,
            "category_code": "lock.smart_lock",
            "urgency": "urgent",
            "description": "门锁没电",
        },
    )
    assert res.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.channel, ticket.reporter_customer_id) == ("portal", portfolio["customer"].pk)
    page = client.get(f"/workorders/mine/{ticket.pk}/")
    assert page.status_code == 200
    assert 'id="steps"' in page.content.decode()
    dispatching.ticket_assign_override(
        ticket=ticket, engineer=engineers["lock"], by=dispatcher, reason="门锁"
    )
    dispatching.assignment_accept(
        assignment=ticket.assignments.get(status="offered"), by=engineers["lock"]
    )
    ticket = services.ticket_transition(
        ticket=Ticket.objects.get(pk=ticket.pk), to="on_site", by=engineers["lock"]
    )
    services.ticket_transition(ticket=ticket, to="completed", by=engineers["lock"])
    bad = client.post(f"/workorders/mine/{ticket.pk}/rate/", {"score": "9"})
    assert bad.status_code == 422 and bad.context["rating_form"].errors["score"]
    res = client.post(
        f"/workorders/mine/{ticket.pk}/rate/", {"score": "5", "tags": ["fast", "polite"]}
    )
    assert res.status_code == 302
    assert Rating.objects.get().tags == ["fast", "polite"]
    assert Ticket.objects.get(pk=ticket.pk).status == "verified"
    from anzu.notify.models import OutboxMessage

    bodies = list(
        OutboxMessage.objects.filter(customer=portfolio["customer"])
        .order_by("id")
        .values_list("body", flat=True)
    )
    assert bodies[-1] == f"您的报修工单 {ticket.number} 当前状态：已验收。"
    assert len(bodies) == 5  # dispatching, engineer accepted, on site, completed, verified


def test_tenant_pages_refuse_staff_and_other_tenants(frozen, new_ticket, tenant, org, dispatcher):
    ticket = new_ticket(by=tenant, channel="portal")
    assert client_for(dispatcher).get("/workorders/mine/").status_code == 403
    stranger = make_tenant(CustomerFactory(organization=org))
    assert client_for(stranger).get(f"/workorders/mine/{ticket.pk}/").status_code == 404


def test_review_queue_page_closes_a_case(
    frozen, new_ticket, engineers, dispatcher, tenant, manager
):
    ticket = _done(new_ticket, engineers, dispatcher, tenant)
    services.rating_submit(ticket=ticket, score=1, by=tenant)
    case = ReviewCase.objects.get()
    client = client_for(manager)
    assert ticket.number in client.get("/workorders/reviews/").content.decode()
    client.post(f"/workorders/reviews/{case.pk}/close/", {"root_cause": ""})
    assert ReviewCase.objects.get().status == "open"
    client.post(
        f"/workorders/reviews/{case.pk}/close/", {"root_cause": "attitude", "note": "已培训"}
    )
    assert ReviewCase.objects.get().status == "closed"
    assert client_for(dispatcher).get("/workorders/reviews/").status_code == 403


def test_api_tenant_bearer_token_for_the_mini_program(frozen, tenant, portfolio):
    from django.test import Client

    from anzu.core.tokens import token_create

    _token, raw = token_create(user=tenant, name="小程序", expires_in_days=30)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    res = client.post(
        "/api/v1/workorders",
        json.dumps(
            {
                "unit_id": portfolio["u1"].pk,
                "category_code": "appliance.fridge",
                "description": "冰箱不制冷",
            }
        ),
        content_type="application/json",
    )
    assert res.status_code == 201, res.content
    assert (res.json()["channel"], res.json()["status"]) == ("portal", "accepted")
    mine = client.get("/api/v1/workorders").json()
    assert [i["number"] for i in mine["items"]] == ["WO-20260310-0001"]


def test_engineer_profile_page(frozen, org, dispatcher, portfolio):
    from anzu.maintenance.models import EngineerProfile

    engineer = make_user(org, "engineer", username="eng-x")
    client = client_for(dispatcher)
    assert "eng-x" in client.get("/workorders/engineers/").content.decode()
    url = f"/workorders/engineers/{engineer.pk}/"
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"skills": ["lock"], "shifts": '{"9": [["09:00", "18:00"]]}', "capacity": "3"}
    )
    assert bad.status_code == 422 and bad.context["form"].errors["shifts"]
    assert not EngineerProfile.objects.exists()
    res = client.post(
        url,
        {
            "skills": ["lock", "network"],
            "project_ids": [portfolio["p1"].pk],
            "shifts": '{"0": [["09:00", "18:00"]]}',
            "capacity": "3",
            "is_active": "on",
        },
    )
    assert res.status_code == 302
    profile = EngineerProfile.objects.get(user=engineer)
    assert (profile.skills, profile.project_ids, profile.capacity) == (
        ["lock", "network"],
        [portfolio["p1"].pk],
        3,
    )
    assert client_for(engineer).get(url).status_code == 403
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    assert client_for(outsider).get(url).status_code == 404


def test_api_photos_multipart(frozen, new_ticket, tenant, engineers, dispatcher, org):
    ticket = new_ticket(by=tenant, channel="portal")
    client = client_for(tenant)
    res = client.post(
        f"/api/v1/workorders/{ticket.pk}/photos", {"photos": [upload(), upload("b.png")]}
    )
    assert res.status_code == 201, res.content
    assert [p["stage"] for p in res.json()] == ["report", "report"]
    bad = client.post(f"/api/v1/workorders/{ticket.pk}/photos", {"photos": [upload(data=b"nope")]})
    assert (bad.status_code, bad.json()["field"]) == (422, "photos")
    assert TicketPhoto.objects.filter(ticket=ticket).count() == 2
    frontline_engineer = make_user(org, "engineer")
    assert (
        client_for(frontline_engineer)
        .post(f"/api/v1/workorders/{ticket.pk}/photos", {"photos": [upload()]})
        .status_code
        == 404
    )
