from __future__ import annotations

import io
import shutil

import pytest
from pypdf import PdfReader

from anzu.core.models import AuditEvent
from anzu.documents import pdf as pdfmod
from anzu.documents.models import Document
from anzu.documents.pki import TEST_LABEL, identity_for
from anzu.documents.services import document_archive, document_content

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"


def render(org) -> bytes:
    return pdfmod.render_pdf(
        template_name="documents/test_notice.html",
        context={
            "title": "正式书面通知",
            "customer": "李雷",
            "text": "您的租金已逾期三日，请于七日内缴清。",
            "amount": "¥3,200.00",
            "org": org.name,
        },
    )


def test_chinese_text_round_trips_through_the_pdf(org):
    text = PdfReader(io.BytesIO(render(org))).pages[0].extract_text()
    assert "正式书面通知" in text
    assert "您的租金已逾期三日，请于七日内缴清。" in text
    assert "¥3,200.00" in text


def test_signature_validates_against_the_org_root_and_a_byte_change_breaks_it(org):
    signed = pdfmod.sign_pdf(render(org), organization=org, reason="逾期催缴正式通知")
    check = pdfmod.verify_pdf(signed, organization=org)
    assert (check.signed, check.intact, check.valid, check.trusted, check.bottom_line) == (
        True,
        True,
        True,
        True,
        True,
    )
    assert TEST_LABEL not in check.signer  # the signer is the org's signing cert, not the root
    # Change one byte inside the signed content (the first page's text stream region).
    position = signed.index(b"stream") + 40
    tampered = signed[:position] + bytes([signed[position] ^ 0x01]) + signed[position + 1 :]
    broken = pdfmod.verify_pdf(tampered, organization=org)
    assert broken.bottom_line is False
    assert broken.intact is False


def test_another_orgs_root_does_not_trust_the_signature(org, other_org):
    signed = pdfmod.sign_pdf(render(org), organization=org, reason="test")
    check = pdfmod.verify_pdf(signed, organization=other_org)
    assert check.intact is True
    assert check.trusted is False
    assert check.bottom_line is False


def test_unsigned_pdf_is_reported(org):
    check = pdfmod.verify_pdf(render(org), organization=org)
    assert (check.signed, check.bottom_line, check.summary) == (False, False, "no signature")


def test_test_identity_is_labelled_and_reused(org):
    first = identity_for(org)
    second = identity_for(org)
    assert first == second
    assert first.is_test is True
    assert TEST_LABEL in (first.p12_path.parent / "README.txt").read_text(encoding="utf-8")
    from cryptography import x509

    root = x509.load_pem_x509_certificate(first.root_cert_path.read_bytes())
    assert TEST_LABEL in root.subject.rfc4514_string()


def test_archive_is_content_addressed_and_audited(org, manager):
    content = render(org)
    doc = document_archive(
        organization_id=org.pk,
        kind="formal_notice",
        title="正式书面通知",
        content=content,
        by=manager,
    )
    again = document_archive(
        organization_id=org.pk, kind="formal_notice", title="重复", content=content, by=manager
    )
    assert again.pk == doc.pk
    assert Document.objects.count() == 1
    assert AuditEvent.objects.filter(action="document.archive").count() == 1
    assert document_content(doc) == content
