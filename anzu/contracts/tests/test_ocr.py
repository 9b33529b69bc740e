"""OCR of noisy, slightly rotated scans of Chinese lease text (one small page per test)."""

from __future__ import annotations

import io
from typing import Any

import pytest

from anzu.contracts import reading
from anzu.contracts.tests.conftest import png_bytes, render_scan

PAGE = """房屋租赁合同
出租方：上海安居置业有限公司
承租方：王晓明
房屋坐落于上海市徐汇区漕溪北路88号
月租金人民币陆仟伍佰元整，押一付三
租赁期限自2025年3月1日起至2027年2月28日止"""


def accuracy(reference: str, got: str) -> float:
    ref, out = "".join(reference.split()), "".join(got.split())
    previous = list(range(len(out) + 1))
    for i, a in enumerate(ref, 1):
        current = [i]
        for j, b in enumerate(out, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return 1 - previous[-1] / len(ref)


@pytest.mark.parametrize("angle", [1.5, -2.0])
def test_noisy_rotated_scan_is_read(angle: float) -> None:
    scan = render_scan(PAGE, noise=0.01, rotate=angle)
    result = reading.read_document(png_bytes(scan), "scan.png")
    assert result.source == "image_ocr"
    assert accuracy(PAGE, result.text) >= 0.9
    for phrase in ("上海安居置业有限公司", "王晓明", "押一付三", "2027年2月28日"):
        assert phrase in result.text
    page = result.pages[0]
    assert (page.width, page.height) == scan.size
    assert result.confidence is not None and result.confidence > 0.8
    for line in page.lines:
        # Each line keeps its box (four corners inside the page) and its span of the text.
        assert len(line["box"]) == 4
        assert all(
            -20 <= x <= scan.width + 20 and -20 <= y <= scan.height + 20 for x, y in line["box"]
        )
        assert result.text[line["start"] : line["end"]] == line["text"]
        assert 0 < line["confidence"] <= 1


def test_lines_come_in_reading_order() -> None:
    result = reading.read_document(png_bytes(render_scan(PAGE)), "scan.png")
    texts = [line["text"] for line in result.pages[0].lines]
    assert texts[0].startswith("房屋租赁合同")
    assert "承租方" in result.text.split("出租方")[1]


def test_multi_page_tiff_and_scanned_pdf() -> None:
    first = render_scan("第一页 房屋租赁合同\n出租方：上海安居置业有限公司")
    second = render_scan("第二页 房屋租赁合同\n承租方：王晓明")
    tiff = io.BytesIO()
    first.save(tiff, "TIFF", save_all=True, append_images=[second])
    result = reading.read_document(tiff.getvalue(), "scans.tiff")
    assert [p.number for p in result.pages] == [1, 2]
    assert "上海安居置业有限公司" in result.pages[0].text
    assert "王晓明" in result.pages[1].text
    assert result.text[result.pages[1].offset :].startswith(result.pages[1].text)

    pdf = io.BytesIO()
    first.save(pdf, "PDF", resolution=150)
    scanned = reading.read_document(pdf.getvalue(), "scan.pdf")
    assert scanned.source == "pdf_ocr"
    assert "上海安居置业有限公司" in scanned.text


@pytest.mark.django_db
def test_scanned_upload_stores_line_boxes_for_fields(
    manager: Any, home: Any, fake_engine: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from anzu.contracts import services
    from anzu.contracts.models import ContractField, ContractPage

    scan = render_scan(PAGE, noise=0.005, rotate=1.0)
    with django_capture_on_commit_callbacks(execute=True):
        contract = services.contract_upload(
            by=manager, file_bytes=png_bytes(scan), filename="s.png"
        )
    contract.refresh_from_db()
    assert contract.status == "ready", contract.error
    page = ContractPage.objects.get(contract=contract)
    assert (page.image_width, page.image_height) == scan.size
    lessee = ContractField.objects.get(contract=contract, name="lessee")
    assert lessee.evidence == contract.text[lessee.start : lessee.end] == "王晓明"
    assert lessee.page == 1 and lessee.box is not None and len(lessee.box) == 4
    # The confidence of a scanned field is capped by its OCR line's confidence.
    line = next(ln for ln in page.lines if ln["start"] <= lessee.start < ln["end"])
    assert lessee.confidence <= line["confidence"]

    # The review queue draws the line's box over the page image; the image view is audited.
    from django.test import Client

    from anzu.core.models import AuditEvent

    ContractField.objects.filter(pk=lessee.pk).update(status="needs_review")
    client = Client()
    client.force_login(manager)
    html = client.get("/contracts/review/").content.decode()
    assert "<polygon" in html and f"/contracts/{contract.pk}/pages/1.png" in html
    image = client.get(f"/contracts/{contract.pk}/pages/1.png")
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert AuditEvent.objects.filter(
        action="contract.view_full", object_id=str(contract.pk)
    ).exists()
    assert client.get(f"/contracts/{contract.pk}/pages/2.png").status_code == 404
