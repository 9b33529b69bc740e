"""Notice archive, manual issue, template list and editor pages."""

from __future__ import annotations

import shutil

import pytest
from django.db import transaction

from anzu.common.testing import PASSWORD, make_user
from anzu.core.models import AuditEvent
from anzu.documents.models import Document, NoticeIssue, NoticeTemplate
from anzu.documents.notices import notice_issue

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


def login(client, user):
    client.login(username=user.username, password=PASSWORD)
    return client


def formal(org):
    return NoticeTemplate.objects.get(organization=org, kind="formal_notice", status="published")


def test_archive_lists_notices_with_download_and_signature_links(client, overdue, org):
    with transaction.atomic():
        issued = notice_issue(
            lease=overdue["lease"],
            kind="formal_notice",
            bills=overdue["bills"],
            idempotency_key="dunning:day3",
            by=None,
        )
    login(client, make_user(org, "legal", username="fawu"))
    page = client.get("/documents/notices/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "TZ2026-000001" in html
    assert "李雷" in html
    assert "¥6,556.80" in html
    assert f'href="/documents/{issued.document_id}/download/"' in html
    assert f'href="/documents/{issued.document_id}/verify/"' in html
    assert 'action="/documents/notices/issue/"' not in html  # legal may not issue by hand
    verify = client.get(f"/documents/{issued.document_id}/verify/")
    assert verify.context["check"].bottom_line is True


def test_manager_issues_a_notice_by_hand(client, overdue, manager):
    login(client, manager)
    assert (
        'action="/documents/notices/issue/"' in client.get("/documents/notices/").content.decode()
    )
    res = client.post(
        "/documents/notices/issue/", {"lease": overdue["lease"].code, "kind": "lawyer_letter"}
    )
    assert res.status_code == 302
    notice = NoticeIssue.objects.get()
    assert notice.kind == "lawyer_letter"
    assert notice.idempotency_key.startswith("manual:")
    assert notice.created_by == manager
    assert notice.amount == sum(b.outstanding for b in overdue["bills"])
    assert Document.objects.filter(kind="lawyer_letter", signed=True).count() == 1


def test_manual_issue_errors_sit_on_the_lease_field(client, overdue, manager, portfolio):
    login(client, manager)
    res = client.post(
        "/documents/notices/issue/", {"lease": "L1999-999999", "kind": "formal_notice"}
    )
    assert res.status_code == 422
    assert res.context["issue_form"].errors == {"lease": ["没有这个编号的租约。"]}
    res = client.post("/documents/notices/issue/", {"lease": overdue["lease"].code, "kind": "x"})
    assert res.status_code == 422
    assert list(res.context["issue_form"].errors) == ["kind"]
    assert NoticeIssue.objects.count() == 0


def test_frontline_403_and_finance_cannot_issue_or_edit(client, org):
    login(client, make_user(org, "frontline", username="guanjia"))
    for url in ("/documents/notices/", "/documents/notice-templates/"):
        assert client.get(url).status_code == 403
    client.logout()
    login(client, make_user(org, "finance", username="kuaiji"))
    assert client.get("/documents/notice-templates/").status_code == 200
    template = formal(org)
    assert client.get(f"/documents/notice-templates/{template.pk}/").status_code == 403
    assert client.post("/documents/notices/issue/", {}).status_code == 403
    assert client.post(f"/documents/notice-templates/{template.pk}/publish/").status_code == 403


def test_other_org_gets_404(client, org, other_org, home):
    login(client, make_user(org, "admin", username="a1"))
    client.get("/documents/notice-templates/")
    template = formal(org)
    client.logout()
    login(client, make_user(other_org, "admin", username="a2"))
    assert client.get(f"/documents/notice-templates/{template.pk}/").status_code == 404
    assert client.post(f"/documents/notice-templates/{template.pk}/publish/").status_code == 404
    assert client.post(f"/documents/notice-templates/{template.pk}/preview/").status_code == 404


def test_editor_saves_a_draft_previews_and_publishes(client, manager, org, home):
    login(client, manager)
    listing = client.get("/documents/notice-templates/")
    assert listing.status_code == 200
    assert "逾期租金催缴正式书面通知" in listing.content.decode()
    v1 = formal(org)
    editor = client.get(f"/documents/notice-templates/{v1.pk}/")
    assert editor.status_code == 200
    assert "{amount_due_upper}" in editor.content.decode()
    form = {
        "title": "催缴通知书",
        "deadline_days": "5",
        "body": "致：{customer_name}\n{bills_table}\n请于{deadline}前支付{amount_due}。",
        "consequences": "逾期将解除合同。",
    }
    bad = client.post(f"/documents/notice-templates/{v1.pk}/", {**form, "body": "致：{name}"})
    assert bad.status_code == 422
    assert list(bad.context["form"].errors) == ["body"]
    assert "{name}" in bad.context["form"].errors["body"][0]
    assert NoticeTemplate.objects.filter(organization=org).count() == 2
    saved = client.post(f"/documents/notice-templates/{v1.pk}/", form)
    draft = NoticeTemplate.objects.get(organization=org, status="draft")
    assert saved.status_code == 302
    assert saved["Location"] == f"/documents/notice-templates/{draft.pk}/"
    assert (draft.version, draft.deadline_days, draft.title) == (2, 5, "催缴通知书")
    preview = client.post(f"/documents/notice-templates/{draft.pk}/preview/", form)
    assert preview.status_code == 200
    assert preview["Content-Type"] == "application/pdf"
    bad_preview = client.post(
        f"/documents/notice-templates/{draft.pk}/preview/", {**form, "body": "{oops"}
    )
    assert bad_preview.status_code == 422
    assert list(bad_preview.context["form"].errors) == ["body"]
    published = client.post(f"/documents/notice-templates/{draft.pk}/publish/")
    assert published.status_code == 302
    v1.refresh_from_db()
    draft.refresh_from_db()
    assert (v1.status, draft.status) == ("retired", "published")
    assert AuditEvent.objects.filter(action="notice_template.publish").count() == 1
