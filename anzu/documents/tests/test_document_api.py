from __future__ import annotations

import shutil

import pytest
from django.test import Client

from anzu.common.testing import make_user
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


def test_list_download_and_verify(org, other_org, manager):
    content = pdfmod.render_pdf(
        template_name="documents/test_notice.html",
        context={
            "title": "通知",
            "customer": "李雷",
            "text": "测试",
            "amount": "¥1.00",
            "org": org.name,
        },
    )
    doc = document_archive(
        organization_id=org.pk,
        kind="formal_notice",
        title="通知",
        content=pdfmod.sign_pdf(content, organization=org, reason="测试"),
        signed=True,
        by=manager,
    )
    client = Client()
    client.force_login(make_user(org, "legal", username="fw"))
    listing = client.get("/api/v1/documents?kind=formal_notice").json()
    assert [d["id"] for d in listing["items"]] == [doc.pk]
    assert client.get(f"/api/v1/documents/{doc.pk}/file").content.startswith(b"%PDF")
    verdict = client.get(f"/api/v1/documents/{doc.pk}/verify").json()
    assert verdict["bottom_line"] is True
    outsider = Client()
    outsider.force_login(make_user(other_org, "legal", username="fw2"))
    assert outsider.get(f"/api/v1/documents/{doc.pk}").status_code == 404
