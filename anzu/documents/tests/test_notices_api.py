"""The notice and notice-template endpoints: shapes, validation, versions, access."""

from __future__ import annotations

import json
import shutil

import pytest
from django.db import transaction
from django.test import Client

from anzu.common.testing import make_user
from anzu.core.models import AuditEvent
from anzu.documents.models import NoticeIssue, NoticeTemplate
from anzu.documents.notices import notice_issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]

GOOD_BODY = "致：{customer_name}\n{bills_table}\n请于{deadline}前支付{amount_due}（人民币{amount_due_upper}）。"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, payload: dict | None = None):
    return client.post(url, json.dumps(payload or {}), content_type="application/json")


@pytest.fixture
def manager_client(manager, home):
    return client_for(manager)


@pytest.fixture
def issued(overdue):
    with transaction.atomic():
        return notice_issue(
            lease=overdue["lease"],
            kind="formal_notice",
            bills=overdue["bills"],
            idempotency_key="dunning:day3",
            by=None,
        )


def test_template_list_starts_with_the_published_defaults(manager_client):
    res = manager_client.get("/api/v1/notice-templates")
    assert res.status_code == 200
    body = res.json()
    assert body["total"] == 2
    assert [(t["kind"], t["version"], t["status"]) for t in body["items"]] == [
        ("formal_notice", 1, "published"),
        ("lawyer_letter", 1, "published"),
    ]
    formal = body["items"][0]
    assert formal["title"] == "逾期租金催缴正式书面通知"
    assert formal["deadline_days"] == 7
    assert formal["created_by"] == "system"
    assert "amount_due_upper" in formal["placeholders"]
    catalog = manager_client.get("/api/v1/notice-templates/placeholders").json()
    assert [p["name"] for p in catalog][:3] == ["organization_name", "customer_name", "lease_code"]


@pytest.mark.parametrize(
    ("body", "code", "placeholder"),
    [
        ("致：{tenant}，请付款。", "unknown_placeholder", "tenant"),
        ("致：{customer_name，请付款。", "unbalanced_brace", "{customer_name，请付款。"),
        ("请付款}", "unbalanced_brace", "请付款}"),
    ],
)
def test_bad_placeholders_are_422_on_body_and_nothing_is_saved(
    manager_client, body, code, placeholder
):
    manager_client.get("/api/v1/notice-templates")  # defaults exist
    before = (NoticeTemplate.objects.count(), AuditEvent.objects.count())
    res = post(
        manager_client,
        "/api/v1/notice-templates",
        {"kind": "formal_notice", "title": "催缴通知", "body": body},
    )
    assert res.status_code == 422
    data = res.json()
    assert (data["code"], data["field"], data["placeholder"]) == (code, "body", placeholder)
    assert (NoticeTemplate.objects.count(), AuditEvent.objects.count()) == before


def test_bad_input_before_any_template_exists_writes_nothing(manager_client):
    res = post(
        manager_client,
        "/api/v1/notice-templates",
        {"kind": "formal_notice", "title": "催缴通知", "body": "{nope}"},
    )
    assert (res.status_code, res.json()["field"]) == (422, "body")
    res = post(
        manager_client,
        "/api/v1/notice-templates",
        {"kind": "formal_notice", "title": "催缴通知", "body": "x", "deadline_days": 0},
    )
    assert (res.status_code, res.json()["field"]) == (422, "deadline_days")
    res = post(
        manager_client,
        "/api/v1/notice-templates",
        {"kind": "eviction", "title": "催缴通知", "body": "x"},
    )
    assert (res.status_code, res.json()["field"]) == (422, "kind")
    assert NoticeTemplate.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_draft_publish_and_versions(manager_client, issued):
    res = post(
        manager_client,
        "/api/v1/notice-templates",
        {
            "kind": "formal_notice",
            "title": "催缴通知（新）",
            "body": GOOD_BODY,
            "deadline_days": 10,
        },
    )
    assert res.status_code == 201
    draft = res.json()
    assert (draft["version"], draft["status"], draft["deadline_days"]) == (2, "draft", 10)
    assert draft["created_by"] == "manager"
    again = post(
        manager_client,
        "/api/v1/notice-templates",
        {"kind": "formal_notice", "title": "催缴通知（新二）", "body": GOOD_BODY},
    ).json()
    assert (again["id"], again["version"], again["title"], again["deadline_days"]) == (
        draft["id"],
        2,
        "催缴通知（新二）",
        7,
    )
    preview = post(manager_client, f"/api/v1/notice-templates/{draft['id']}/preview")
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    assert preview.content.startswith(b"%PDF")
    bad_preview = post(
        manager_client, f"/api/v1/notice-templates/{draft['id']}/preview", {"body": "{x}"}
    )
    assert (bad_preview.status_code, bad_preview.json()["field"]) == (422, "body")
    published = post(manager_client, f"/api/v1/notice-templates/{draft['id']}/publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    statuses = {
        (t["version"], t["status"])
        for t in manager_client.get("/api/v1/notice-templates?kind=formal_notice").json()["items"]
    }
    assert statuses == {(1, "retired"), (2, "published")}
    twice = post(manager_client, f"/api/v1/notice-templates/{draft['id']}/publish")
    assert (twice.status_code, twice.json()["code"]) == (409, "illegal_transition")
    # The notice issued before keeps version 1.
    notice = manager_client.get(f"/api/v1/notices/{issued.pk}").json()
    assert notice["template_version"] == 1


def test_notice_list_shape_and_filters(overdue, issued, org, home):
    legal = client_for(make_user(org, "legal", username="fawu"))
    res = legal.get("/api/v1/notices")
    assert res.status_code == 200
    body = res.json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item == {
        "id": issued.pk,
        "number": "TZ2026-000001",
        "kind": "formal_notice",
        "kind_label": "正式书面通知",
        "lease_id": overdue["lease"].pk,
        "lease_code": overdue["lease"].code,
        "customer_id": overdue["customer"].pk,
        "customer_name": "李雷",
        "issued_on": "2026-03-10",
        "amount": "6556.80",
        "amounts_hidden": False,
        "template_id": issued.template_id,
        "template_version": 1,
        "document_id": issued.document_id,
        "sha256": issued.document.sha256,
        "download_url": f"/documents/{issued.document_id}/download/",
        "verify_url": f"/documents/{issued.document_id}/verify/",
        "idempotency_key": "dunning:day3",
        "issued_by": "system",
        "created_at": item["created_at"],
    }
    assert legal.get("/api/v1/notices?kind=lawyer_letter").json()["total"] == 0
    verdict = legal.get(f"/api/v1/documents/{issued.document_id}/verify").json()
    assert verdict["bottom_line"] is True


def test_access_frontline_403_other_org_404_finance_cannot_edit(issued, org, other_org, home):
    template = issued.template
    frontline = client_for(make_user(org, "frontline", username="guanjia"))
    assert frontline.get("/api/v1/notices").status_code == 403
    assert frontline.get("/api/v1/notice-templates").status_code == 403
    assert frontline.get(f"/api/v1/notices/{issued.pk}").status_code == 403
    assert frontline.get(f"/api/v1/notice-templates/{template.pk}").status_code == 403
    assert post(frontline, f"/api/v1/notice-templates/{template.pk}/preview").status_code == 403
    finance = client_for(make_user(org, "finance", username="kuaiji"))
    assert finance.get("/api/v1/notice-templates").status_code == 200
    res = post(
        finance,
        "/api/v1/notice-templates",
        {"kind": "formal_notice", "title": "x", "body": GOOD_BODY},
    )
    assert res.status_code == 403
    assert post(finance, f"/api/v1/notice-templates/{template.pk}/publish").status_code == 403
    outsider = client_for(make_user(other_org, "admin", username="waibu"))
    assert outsider.get(f"/api/v1/notices/{issued.pk}").status_code == 404
    assert outsider.get(f"/api/v1/notice-templates/{template.pk}").status_code == 404
    assert post(outsider, f"/api/v1/notice-templates/{template.pk}/publish").status_code == 404
    assert post(outsider, f"/api/v1/notice-templates/{template.pk}/preview").status_code == 404
    assert outsider.get("/api/v1/notices").json()["total"] == 0
    assert NoticeIssue.objects.count() == 1


def test_notices_outside_the_users_scope_are_404(issued, org, portfolio, home):
    scoped = client_for(make_user(org, "legal", username="fawu2", projects=[portfolio["p2"]]))
    assert scoped.get("/api/v1/notices").json()["total"] == 0
    assert scoped.get(f"/api/v1/notices/{issued.pk}").status_code == 404
    in_scope = client_for(make_user(org, "legal", username="fawu3", projects=[portfolio["p1"]]))
    assert in_scope.get(f"/api/v1/notices/{issued.pk}").status_code == 200


def test_finance_sees_amounts_and_admin_too(issued, org, home):
    for role in ("finance", "admin"):
        body = client_for(make_user(org, role, username=f"u-{role}")).get("/api/v1/notices").json()
        assert (body["items"][0]["amount"], body["items"][0]["amounts_hidden"]) == (
            "6556.80",
            False,
        )


def test_issue_by_hand_through_the_api(overdue, manager, org, other_org, home):
    manager_client = client_for(manager)
    res = post(
        manager_client,
        "/api/v1/notices",
        {"lease_id": overdue["lease"].pk, "kind": "lawyer_letter"},
    )
    assert res.status_code == 201
    body = res.json()
    assert (body["kind"], body["number"], body["amount"], body["issued_by"]) == (
        "lawyer_letter",
        "LS2026-000001",
        "6556.80",
        "manager",
    )
    assert body["idempotency_key"].startswith("manual:")
    bad_kind = post(
        manager_client, "/api/v1/notices", {"lease_id": overdue["lease"].pk, "kind": "sms"}
    )
    assert (bad_kind.status_code, bad_kind.json()["field"]) == (422, "kind")
    legal = client_for(make_user(org, "legal", username="fawu9"))
    res = post(legal, "/api/v1/notices", {"lease_id": overdue["lease"].pk, "kind": "lawyer_letter"})
    assert res.status_code == 403
    outsider = client_for(make_user(other_org, "admin", username="waibu9"))
    res = post(
        outsider, "/api/v1/notices", {"lease_id": overdue["lease"].pk, "kind": "lawyer_letter"}
    )
    assert (res.status_code, res.json()["field"]) == (404, "lease_id")
    assert NoticeIssue.objects.count() == 1
