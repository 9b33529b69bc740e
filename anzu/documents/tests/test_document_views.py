from __future__ import annotations

import shutil

import pytest

from anzu.common.testing import PASSWORD, make_user
from anzu.documents import pdf as pdfmod
from anzu.documents.services import document_archive

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def signed_doc(org, manager):
    content = pdfmod.render_pdf(
        template_name="documents/test_notice.html",
        context={
            "title": "律师函",
            "customer": "李雷",
            "text": "请尽快缴清欠款。",
            "amount": "¥100.00",
            "org": org.name,
        },
    )
    signed = pdfmod.sign_pdf(content, organization=org, reason="律师函")
    return document_archive(
        organization_id=org.pk,
        kind="lawyer_letter",
        title="律师函 L2026-000001",
        content=signed,
        signed=True,
        by=manager,
    )


def test_legal_lists_downloads_and_verifies(client, org, signed_doc):
    legal = make_user(org, "legal", username="fawu")
    client.login(username=legal.username, password=PASSWORD)
    listing = client.get("/documents/")
    assert listing.status_code == 200
    assert "律师函 L2026-000001" in listing.content.decode()
    download = client.get(f"/documents/{signed_doc.pk}/download/")
    assert download.status_code == 200
    assert download.content.startswith(b"%PDF")
    verify = client.get(f"/documents/{signed_doc.pk}/verify/")
    assert verify.status_code == 200
    assert verify.context["check"].bottom_line is True


def test_frontline_is_forbidden_and_other_org_gets_404(client, org, other_org, signed_doc):
    frontline = make_user(org, "frontline", username="guanjia")
    client.login(username=frontline.username, password=PASSWORD)
    assert client.get("/documents/").status_code == 403
    client.logout()
    outsider = make_user(other_org, "legal", username="outsider")
    client.login(username=outsider.username, password=PASSWORD)
    assert client.get(f"/documents/{signed_doc.pk}/download/").status_code == 404
