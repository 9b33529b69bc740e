"""notice_issue: render, sign, archive; idempotency; the caller's transaction; versions."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from decimal import Decimal

import pytest
from django.db import transaction
from pypdf import PdfReader

from anzu.billing.models import Bill
from anzu.common.errors import NotFound, PermissionDenied, ValidationFailed
from anzu.common.testing import OrganizationFactory, make_user
from anzu.core.models import AuditEvent
from anzu.documents import pdf as pdfmod
from anzu.documents.models import Document, NoticeIssue, NoticeTemplate
from anzu.documents.notices import (
    NotInTransaction,
    notice_issue,
    notice_template_publish,
    notice_template_save,
    notice_templates_ensure_defaults,
)
from anzu.documents.services import document_content

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


def issue(overdue, *, key="dunning:lease:1:day3", kind="formal_notice", by=None, **kw):
    with transaction.atomic():
        return notice_issue(
            lease=overdue["lease"],
            kind=kind,
            bills=kw.pop("bills", overdue["bills"]),
            idempotency_key=key,
            by=by,
            **kw,
        )


def pdf_text(notice: NoticeIssue) -> str:
    reader = PdfReader(io.BytesIO(document_content(notice.document)))
    return "".join(page.extract_text() for page in reader.pages)


def test_formal_notice_carries_the_customer_amount_and_capital_amount(overdue, org):
    notice = issue(overdue)
    text = pdf_text(notice)
    assert "逾期租金催缴正式书面通知" in text
    assert "李雷" in text
    assert "¥6,556.80" in text
    assert "陆仟伍佰伍拾陆元捌角" in text
    assert "TZ2026-000001" in text
    assert "2026年3月17日" in text  # deadline: issue date + 7 days
    assert "第七百二十二条" in text
    assert notice.number == "TZ2026-000001"
    assert notice.amount == Decimal("6556.80")
    assert notice.issued_on == dt.date(2026, 3, 10)
    assert notice.customer_id == overdue["customer"].pk
    assert notice.created_by is None
    assert notice.template.version == 1
    assert notice.context["values"]["amount_due_upper"] == "陆仟伍佰伍拾陆元捌角"
    assert notice.context["values"]["overdue_days"] == "37"
    assert notice.context["values"]["due_date"] == "2026年2月1日"
    assert notice.context["values"]["unit_label"] == "静安公寓1号楼101室"
    assert [b["id"] for b in notice.context["bills"]] == [b.pk for b in overdue["bills"]]
    doc = notice.document
    assert (doc.kind, doc.signed, doc.related_type, doc.related_id) == (
        "formal_notice",
        True,
        "leasing.lease",
        str(overdue["lease"].pk),
    )
    assert doc.title == "逾期租金催缴正式书面通知 TZ2026-000001"
    events = AuditEvent.objects.filter(action="notice.issue")
    assert [(e.object_id, e.actor_id, e.actor_label) for e in events] == [
        (str(notice.pk), None, "system")
    ]
    assert events[0].changes["amount"] == [None, "6556.80"]


def test_signature_validates_against_the_org_root_and_one_byte_breaks_it(overdue, org):
    notice = issue(overdue)
    signed = document_content(notice.document)
    check = pdfmod.verify_pdf(signed, organization=org)
    assert (check.signed, check.intact, check.valid, check.trusted, check.bottom_line) == (
        True,
        True,
        True,
        True,
        True,
    )
    position = signed.index(b"stream") + 40
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    broken = pdfmod.verify_pdf(tampered, organization=org)
    assert (broken.intact, broken.bottom_line) == (False, False)


def test_the_same_key_twice_gives_one_notice_and_one_document(overdue):
    first = issue(overdue, key="dunning:42:day3")
    second = issue(overdue, key="dunning:42:day3")
    assert second.pk == first.pk
    assert NoticeIssue.objects.count() == 1
    assert Document.objects.count() == 1
    assert AuditEvent.objects.filter(action="notice.issue").count() == 1
    other = issue(overdue, key="dunning:42:day7", kind="lawyer_letter")
    assert other.pk != first.pk
    assert other.number == "LS2026-000002"  # one sequence per organization and year
    assert Document.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused_and_writes_nothing(overdue):
    with pytest.raises(NotInTransaction):
        notice_issue(
            lease=overdue["lease"],
            kind="formal_notice",
            bills=overdue["bills"],
            idempotency_key="k",
            by=None,
        )
    assert NoticeIssue.objects.count() == 0
    assert Document.objects.count() == 0


def test_it_rolls_back_with_the_callers_transaction(overdue):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        issue(overdue)
        raise Boom
    assert NoticeIssue.objects.count() == 0
    assert Document.objects.count() == 0
    assert AuditEvent.objects.filter(action="notice.issue").count() == 0


@pytest.mark.parametrize(
    ("bills", "kind", "field"),
    [
        ("none", "formal_notice", "bills"),
        ("other_lease", "formal_notice", "bills"),
        ("paid", "formal_notice", "bills"),
        ("ok", "reminder", "kind"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(overdue, bills, kind, field):
    chosen = {
        "none": [],
        "other_lease": [Bill(pk=10**6, lease_id=10**6)],
        "paid": list(Bill.objects.filter(lease=overdue["lease"], status="paid")),
        "ok": overdue["bills"],
    }[bills]
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as info:
        issue(overdue, bills=chosen, kind=kind)
    assert info.value.field == field
    assert NoticeIssue.objects.count() == 0
    assert Document.objects.count() == 0
    assert AuditEvent.objects.filter(action="notice.issue").count() == 0
    assert AuditEvent.objects.count() >= before


def test_a_user_needs_dunning_manage_and_the_same_organization(overdue, org):
    legal = make_user(org, "legal", username="fawu")
    with pytest.raises(PermissionDenied):
        issue(overdue, by=legal)
    outsider = make_user(OrganizationFactory(), "admin", username="outsider")
    with pytest.raises(NotFound):
        issue(overdue, by=outsider)
    manager = overdue["lease"].created_by
    notice = issue(overdue, by=manager, key="manual:1")
    assert notice.created_by == manager
    assert AuditEvent.objects.get(action="notice.issue").actor_id == manager.pk


def test_lawyer_letter_and_extra_values(overdue):
    notice = issue(
        overdue,
        kind="lawyer_letter",
        key="dunning:1:day7",
        on=dt.date(2026, 3, 14),
        extra={"consequences": "逾期将依法起诉。", "amount_due": "¥0.01", "stage": 7},
    )
    text = pdf_text(notice)
    assert "律师函" in text
    assert "LS2026-000001" in text
    assert "逾期将依法起诉。" in text
    assert "¥6,556.80" in text  # amounts come from the bills, never from extra
    assert "2026年3月19日" in text  # 03-14 + 5 days
    assert notice.context["extra"] == {
        "consequences": "逾期将依法起诉。",
        "amount_due": "¥0.01",
        "stage": "7",
    }


def test_defaults_are_created_once_per_organization(org, other_org):
    with transaction.atomic():
        notice_templates_ensure_defaults(organization_id=org.pk)
        notice_templates_ensure_defaults(organization_id=org.pk)
    assert sorted(
        NoticeTemplate.objects.filter(organization=org).values_list("kind", "version", "status")
    ) == [("formal_notice", 1, "published"), ("lawyer_letter", 1, "published")]
    assert NoticeTemplate.objects.filter(organization=other_org).count() == 0
    assert AuditEvent.objects.filter(action="notice_template.create_default").count() == 2


def test_publishing_retires_the_previous_version_and_notices_keep_theirs(overdue, org, manager):
    first = issue(overdue, key="a")
    v1 = first.template
    draft = notice_template_save(
        kind="formal_notice",
        title="催缴通知书（第二版）",
        body="致：{customer_name}\n请于{deadline}前支付{amount_due}（{amount_due_upper}）。",
        by=manager,
    )
    assert (draft.version, draft.status, draft.deadline_days) == (2, "draft", 7)
    assert draft.consequences == v1.consequences
    # Saving again changes the same draft.
    again = notice_template_save(
        kind="formal_notice",
        title="催缴通知书（第二版）",
        body="致：{customer_name}\n请于{deadline}前支付{amount_due}（人民币{amount_due_upper}）。",
        deadline_days=3,
        by=manager,
    )
    assert (again.pk, again.version, again.deadline_days) == (draft.pk, 2, 3)
    notice_template_publish(template=again, by=manager)
    v1.refresh_from_db()
    again.refresh_from_db()
    assert (v1.status, again.status) == ("retired", "published")
    assert v1.retired_at is not None and again.published_at is not None
    second = issue(overdue, key="b")
    first.refresh_from_db()
    assert (first.template_id, second.template_id) == (v1.pk, again.pk)
    assert "催缴通知书（第二版）" in pdf_text(second)
    assert "2026年3月13日" in pdf_text(second)
    assert [
        (e.action, e.object_id)
        for e in AuditEvent.objects.filter(action__startswith="notice_template.").exclude(
            action="notice_template.create_default"
        )
    ] == [
        ("notice_template.create", str(draft.pk)),
        ("notice_template.update", str(draft.pk)),
        ("notice_template.retire", str(v1.pk)),
        ("notice_template.publish", str(draft.pk)),
    ]


def test_an_organization_with_a_long_chinese_name_signs_and_verifies(overdue, org):
    org.name = "上海安租公寓管理有限公司（静安分公司）"
    org.save(update_fields=["name"])
    notice = issue(overdue)
    check = pdfmod.verify_pdf(document_content(notice.document), organization=org)
    assert check.bottom_line is True
    assert "上海安租公寓管理有限公司（静安分公司）" in pdf_text(notice)
