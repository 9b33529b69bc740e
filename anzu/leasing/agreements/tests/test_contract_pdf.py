"""The contract PDF: every section of the model contract, the lease's values, the template's
placeholders and markup checked before anything is written."""

from __future__ import annotations

import hashlib
import io
import shutil

import pytest
from pypdf import PdfReader

from anzu.common.errors import ValidationFailed
from anzu.core.models import AuditEvent
from anzu.documents.models import Document
from anzu.documents.services import document_content
from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import AgreementTemplate, LeaseAgreement
from anzu.leasing.agreements.render import months_between, term_text

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]

SECTIONS = [
    "住房租赁合同",
    "出租人（甲方）",
    "承租人（乙方）",
    "第一条 房屋基本情况",
    "第二条 租赁用途",
    "第三条 租赁期限",
    "第四条 租金及支付方式",
    "第五条 押金",
    "第六条 其他费用",
    "第七条 房屋维修",
    "第八条 转租",
    "第九条 合同的变更、解除与续签",
    "第十条 违约责任",
    "第十一条 争议解决",
    "第十三条 签署",
]


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "".join(page.extract_text() or "" for page in reader.pages).replace("\n", "")


def test_generated_contract_has_every_section_and_the_lease_values(lease, manager, portfolio):
    agreement = services.agreement_generate(lease=lease, by=manager)
    assert agreement.status == "draft"
    assert agreement.number == "HT2026-000001"
    text = pdf_text(document_content(agreement.draft_document))
    for heading in SECTIONS:
        assert heading in text, heading
    customer = portfolio["customer"]
    assert "李雷" in text
    assert customer.id_number in text  # the lessee's ID number
    assert customer.phone in text
    assert "¥4,500.00" in text and "肆仟伍佰元整" in text  # rent and its 大写
    assert "押1付3" in text
    assert "2026年4月1日" in text and "2027年3月31日" in text and "12个月" in text
    assert "2026年4月1日至2026年4月15日" in text  # the rent-free period
    assert "物业管理费由甲方承担" in text and "燃气等费用由乙方承担" in text
    assert "24小时内响应" in text
    assert "房屋所在地人民法院" in text
    assert "{" not in text  # no placeholder left unfilled


def test_the_draft_pdf_is_archived_by_sha256_with_an_audit_event(lease, manager):
    agreement = services.agreement_generate(lease=lease, by=manager)
    doc = agreement.draft_document
    content = document_content(doc)
    assert doc.sha256 == hashlib.sha256(content).hexdigest()
    assert (doc.kind, doc.signed, doc.related_type) == (
        "contract",
        False,
        "agreements.leaseagreement",
    )
    assert (
        AuditEvent.objects.filter(action="agreement.generate", object_id=str(agreement.pk)).count()
        == 1
    )
    assert agreement.context["template"]["version"] == 1
    assert [e["kind"] for e in agreement.events] == ["generated"]


def test_a_published_new_version_is_used_and_its_terms_fill_the_contract(lease, manager):
    body = services.published_template(organization_id=lease.organization_id).body
    draft = services.agreement_template_save(
        data={
            "title": "房屋租赁合同",
            "body": body,
            "lessor_credit_code": "91310000MA1FL8XQ3B",
            "lessor_address": "上海市静安区南京西路1号",
            "property_fee_payer": "lessee",
            "dispute_resolution": "arbitration",
            "arbitration_body": "上海仲裁委员会",
            "repair_response_hours": 48,
        },
        by=manager,
    )
    assert (draft.version, draft.status) == (2, "draft")
    services.agreement_template_publish(template=draft, by=manager)
    agreement = services.agreement_generate(lease=lease, by=manager)
    assert agreement.template_id == draft.pk
    text = pdf_text(document_content(agreement.draft_document))
    assert "房屋租赁合同" in text
    assert "91310000MA1FL8XQ3B" in text
    assert "物业管理费由乙方承担" in text
    assert "提交上海仲裁委员会仲裁" in text
    assert "48小时内响应" in text
    assert AgreementTemplate.objects.get(version=1).status == "retired"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"body": "<p>{lessee_name}{landlord_bank}</p>"}, "body", "unknown_placeholder"),
        ({"body": "<p>{lessee_name</p>"}, "body", "unbalanced_brace"),
        ({"body": "<p>{lessee_name!r}</p>"}, "body", "invalid_template"),
        ({"body": '<p><img src="file:///etc/passwd"></p>'}, "body", "forbidden_markup"),
        ({"body": '<p style="x">甲方</p>'}, "body", "forbidden_markup"),
        ({"body": ""}, "body", "required"),
        ({"title": ""}, "title", "required"),
        ({"lessor_credit_code": "123"}, "lessor_credit_code", "invalid"),
        ({"utilities_payer": "nobody"}, "utilities_payer", "invalid_choice"),
        ({"deposit_return_days": 0}, "deposit_return_days", "too_small"),
        ({"dispute_resolution": "arbitration"}, "arbitration_body", "required"),
    ],
)
def test_bad_template_input_is_refused_naming_the_field_and_nothing_is_written(
    lease, manager, changes, field, code
):
    services.agreement_templates_ensure_default(organization_id=lease.organization_id)
    before = (AgreementTemplate.objects.count(), AuditEvent.objects.count())
    data = {"title": "住房租赁合同", "body": "<p>{lessee_name}</p>", **changes}
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_template_save(data=data, by=manager)
    assert exc.value.field == field
    assert exc.value.code == code
    if code == "unknown_placeholder":
        assert exc.value.extra["placeholder"] == "landlord_bank"
        assert "landlord_bank" in exc.value.message
    assert (AgreementTemplate.objects.count(), AuditEvent.objects.count()) == before


def test_values_are_escaped_in_the_html(lease, manager, portfolio):
    customer = portfolio["customer"]
    customer.name = "李雷<b>&</b>"
    customer.save(update_fields=["name"])
    agreement = services.agreement_generate(lease=lease, by=manager)
    assert "李雷<b>&</b>" in pdf_text(document_content(agreement.draft_document))


def test_no_contract_for_a_void_lease_and_nothing_written(lease, manager):
    lease.status = "void"
    lease.save(update_fields=["status"])
    documents = Document.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_generate(lease=lease, by=manager)
    assert (exc.value.code, exc.value.field) == ("lease_not_signable", "lease")
    assert LeaseAgreement.objects.count() == 0
    assert Document.objects.count() == documents


@pytest.mark.parametrize(
    ("start", "end", "months", "days", "text"),
    [
        ("2026-04-01", "2027-03-31", 12, 0, "12个月"),
        ("2026-01-31", "2026-02-27", 0, 28, "28日"),
        ("2026-01-15", "2026-03-20", 2, 6, "2个月6日"),
    ],
)
def test_term_in_months_and_days(start, end, months, days, text):
    import datetime as dt

    s, e = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    assert months_between(s, e) == (months, days)
    assert term_text(s, e) == text
