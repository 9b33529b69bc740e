"""Pages and the REST API of the notify app: access by role and organization, retry, inbox."""

from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.testing import CustomerFactory, make_tenant, make_user
from anzu.core import access
from anzu.core.models import AuditEvent
from anzu.notify.models import InboxMessage, MessageTemplate, OutboxMessage
from anzu.notify.tests.helpers import enqueue

pytestmark = [pytest.mark.django_db, pytest.mark.urls("anzu.notify.tests.urls")]


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _dead(org, key="dead-1", monkeypatch=None, capture=None):
    message = enqueue(org, idempotency_key=key)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status="dead", attempts=8, last_error="isv.MOBILE_NUMBER_ILLEGAL: bad"
    )
    message.refresh_from_db()
    return message


# Capabilities -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("management", True),
        ("customer_service", True),
        ("finance", False),
        ("legal", False),
        ("frontline", False),
        ("engineer", False),
    ],
)
def test_notify_capabilities_by_role(org, role, allowed):
    user = make_user(org, role)
    assert access.can(user, "notify.view") is allowed
    assert access.can(user, "notify.manage") is allowed


def test_tenant_has_no_notify_capability(org):
    tenant = make_tenant(CustomerFactory(organization=org))
    assert not access.can(tenant, "notify.view")


# Pages --------------------------------------------------------------------------------------------


def test_outbox_page_lists_and_filters(org, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(org, idempotency_key="a")
        enqueue(org, idempotency_key="b", channel="email", address="x@example.invalid")
    _dead(org)
    client = logged_in(manager)
    response = client.get("/notify/")
    assert response.status_code == 200
    assert response.context["page"].total == 3
    response = client.get("/notify/?status=dead")
    assert [m.idempotency_key for m in response.context["rows"]] == ["dead-1"]
    response = client.get("/notify/?channel=email")
    assert [m.idempotency_key for m in response.context["rows"]] == ["b"]
    page = client.get("/notify/?channel=sms").content.decode()
    assert "13800000001" not in page
    assert "138****0001" in page


def test_outbox_page_in_chinese_by_default(org, manager):
    response = logged_in(manager).get("/notify/")
    assert "发件箱" in response.content.decode()


@pytest.mark.parametrize("role", ["finance", "frontline", "engineer", "legal"])
def test_outbox_pages_forbidden_without_capability(org, role):
    client = logged_in(make_user(org, role))
    for url in ["/notify/", "/notify/sandbox/", "/notify/templates/", "/notify/templates/new/"]:
        assert client.get(url).status_code == 403, url


def test_other_org_message_is_404(org, other_org, manager):
    theirs = _dead(other_org)
    client = logged_in(manager)
    assert client.get(f"/notify/outbox/{theirs.pk}/").status_code == 404
    assert client.post(f"/notify/outbox/{theirs.pk}/retry/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "dead"


def test_retry_from_the_page_is_audited(org, admin_user, django_capture_on_commit_callbacks):
    message = _dead(org)
    client = logged_in(admin_user)
    page = client.get(f"/notify/outbox/{message.pk}/").content.decode()
    assert f"/notify/outbox/{message.pk}/retry/" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/notify/outbox/{message.pk}/retry/")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "sent"
    assert AuditEvent.objects.filter(action="notify.outbox.retry", actor=admin_user).count() == 1


def test_sandbox_page_shows_what_would_have_been_sent(
    org, manager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(org, idempotency_key="a")
    response = logged_in(manager).get("/notify/sandbox/")
    body = response.content.decode()
    assert "您有一笔租金 3200.00 元将于 2026-12-05 到期。" in body
    assert "13800000001" not in body


def test_customer_service_sees_full_address(org, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(org, idempotency_key="a")
    client = logged_in(make_user(org, "customer_service"))
    assert "13800000001" in client.get("/notify/sandbox/").content.decode()


def test_template_form_refuses_unknown_placeholder_naming_it(org, admin_user):
    client = logged_in(admin_user)
    data = {
        "code": "rent_due",
        "channel": "in_app",
        "language": "zh-hans",
        "subject": "租金提醒",
        "body": "请于{due_date}前支付{rent}元",
        "provider_template_id": "",
        "provider_params": "",
        "is_active": "on",
    }
    response = client.post("/notify/templates/new/", data)
    assert response.status_code == 422
    errors = response.context["form"].errors
    assert "{rent}" in errors["body"][0]
    assert "未知占位符" in errors["body"][0]
    assert not MessageTemplate.objects.exists()
    data["body"] = "请于{due_date}前支付{amount}元"
    response = client.post("/notify/templates/new/", data)
    assert response.status_code == 302
    template = MessageTemplate.objects.get()
    response = client.post(
        f"/notify/templates/{template.pk}/", {**data, "provider_params": "x=bogus"}
    )
    assert response.status_code == 422
    assert "{bogus}" in response.context["form"].errors["provider_params"][0]
    response = client.post(f"/notify/templates/{template.pk}/", {**data, "subject": "新标题"})
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.subject == "新标题"


def test_other_org_template_is_404(org, other_org, admin_user):
    theirs = MessageTemplate.objects.create(
        organization=other_org, code="x", channel="in_app", body="hi"
    )
    assert logged_in(admin_user).get(f"/notify/templates/{theirs.pk}/").status_code == 404


# API ----------------------------------------------------------------------------------------------


def test_api_outbox_list_detail_and_filters(org, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sent = enqueue(org, idempotency_key="a")
    dead = _dead(org)
    client = logged_in(manager)
    data = client.get("/api/v1/outbox").json()
    assert data["total"] == 2
    data = client.get("/api/v1/outbox?status=dead").json()
    assert [m["id"] for m in data["items"]] == [dead.pk]
    assert data["items"][0]["address"] == "138****0001"
    detail = client.get(f"/api/v1/outbox/{sent.pk}").json()
    assert detail["status"] == "sent"
    assert [d["outcome"] for d in detail["deliveries"]] == ["sent"]
    bad = client.get("/api/v1/outbox?status=nonsense")
    assert bad.status_code == 422
    assert bad.json()["field"] == "status"


def test_api_outbox_other_org_is_404_and_tenant_is_403(org, other_org, manager):
    theirs = _dead(other_org)
    client = logged_in(manager)
    response = client.get(f"/api/v1/outbox/{theirs.pk}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert client.post(f"/api/v1/outbox/{theirs.pk}/retry").status_code == 404
    tenant = logged_in(make_tenant(CustomerFactory(organization=org)))
    assert tenant.get("/api/v1/outbox").status_code == 403
    assert tenant.get(f"/api/v1/outbox/{theirs.pk}").status_code == 404


def test_api_retry(org, admin_user, django_capture_on_commit_callbacks):
    message = _dead(org)
    client = logged_in(admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/outbox/{message.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] in ("pending", "sent")
    message.refresh_from_db()
    assert message.status == "sent"
    again = client.post(f"/api/v1/outbox/{message.pk}/retry")
    assert again.status_code == 409
    assert again.json()["code"] == "not_dead"


def test_api_inbox_for_tenant(org, other_org, django_capture_on_commit_callbacks):
    mine = CustomerFactory(organization=org)
    other = CustomerFactory(organization=org)
    tenant = make_tenant(mine)
    with django_capture_on_commit_callbacks(execute=True):
        for customer, key in [(mine, "m1"), (mine, "m2"), (other, "o1")]:
            enqueue(
                org,
                idempotency_key=key,
                channel="in_app",
                address="",
                customer_id=customer.pk,
                subject=f"提醒 {key}",
            )
    client = logged_in(tenant)
    data = client.get("/api/v1/inbox").json()
    assert sorted(m["subject"] for m in data["items"]) == ["提醒 m1", "提醒 m2"]
    theirs = InboxMessage.objects.get(customer=other)
    assert client.post(f"/api/v1/inbox/{theirs.pk}/read").status_code == 404
    first = InboxMessage.objects.filter(customer=mine).order_by("id").first()
    response = client.post(f"/api/v1/inbox/{first.pk}/read")
    assert response.status_code == 200
    assert response.json()["read_at"] is not None
    unread = client.get("/api/v1/inbox?unread=true").json()
    assert [m["subject"] for m in unread["items"]] == ["提醒 m2"]
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_api_requires_authentication(org):
    assert Client().get("/api/v1/inbox").status_code == 401
