from __future__ import annotations

import io
import json
import shutil
import zipfile

import pytest
from django.core.management import call_command

from anzu.documents import pdf as pdfmod
from anzu.documents.services import document_archive
from anzu.risk.bundle import make_bundle, verify_bundle

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path / "home"
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def notice(org, manager):
    content = pdfmod.render_pdf(
        template_name="documents/test_notice.html",
        context={
            "title": "正式书面通知",
            "customer": "李雷",
            "text": "请缴清租金。",
            "amount": "¥3,200.00",
            "org": org.name,
        },
    )
    signed = pdfmod.sign_pdf(content, organization=org, reason="正式通知")
    return document_archive(
        organization_id=org.pk,
        kind="formal_notice",
        title="正式书面通知",
        content=signed,
        signed=True,
        by=manager,
    )


def _replace(bundle: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(bundle)) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.namelist():
            dst.writestr(item, data if item == name else src.read(item))
    return out.getvalue()


def test_bundle_verifies_offline(notice, tmp_path, capsys):
    bundle = make_bundle(notice)
    check = verify_bundle(bundle)
    assert check.ok, check.problems
    assert check.facts["pdf_signature"] is True
    assert check.facts["sha256"] == notice.sha256
    call_command("audit", "bundle", "--document", str(notice.pk), "--out", str(tmp_path / "b.zip"))
    capsys.readouterr()
    call_command("audit", "verify-bundle", str(tmp_path / "b.zip"))
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_changed_pdf_is_detected(notice):
    bundle = make_bundle(notice)
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        pdf = zf.read("document.pdf")
    flipped = bytes([pdf[-10] ^ 0x01])  # always a different byte
    tampered = _replace(bundle, "document.pdf", pdf[:-10] + flipped + pdf[-9:])
    check = verify_bundle(tampered)
    assert not check.ok
    assert "SHA-256 differs" in check.problems[0]


def test_changed_event_is_detected(notice):
    bundle = make_bundle(notice)
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        event = zf.read("event.json")
    check = verify_bundle(
        _replace(bundle, "event.json", event.replace(b"formal_notice", b"formal_noticX"))
    )
    assert not check.ok
    assert "not included" in " ".join(check.problems)


def test_garbage_is_refused():
    check = verify_bundle(b"not a zip")
    assert not check.ok
    assert check.problems[0].startswith("unreadable bundle")
