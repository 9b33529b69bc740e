from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from pypdf import PdfReader

from anzu.common.testing import BuildingFactory, UnitFactory, make_user

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")


def _read(pdf: bytes) -> tuple[str, int, int]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Pages may share one resource dictionary: count distinct images (every QR differs).
    images = {
        hashlib.sha256(image.data).hexdigest() for page in reader.pages for image in page.images
    }
    return text, len(images), len(reader.pages)


def test_staff_page_downloads_the_building_sheet(
    client: Any, portfolio: dict[str, Any], cs: Any
) -> None:
    client.force_login(cs)
    page = client.get("/kb/qr/")
    assert page.status_code == 200
    assert f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf" in page.content.decode()
    response = client.get(f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="qr-P1-B1.pdf"'
    text, images, pages = _read(response.content)
    assert "101" in text and "102" in text
    assert "201" not in text  # another building's unit
    assert text.count("扫码报修") == 2
    assert "静安公寓" in text and "1号楼" in text
    assert (images, pages) == (2, 1)


def test_sheet_paginates_twelve_codes_per_page(
    client: Any, portfolio: dict[str, Any], cs: Any
) -> None:
    building = BuildingFactory(project=portfolio["p1"], code="B9", name="9号楼")
    for n in range(13):
        UnitFactory(building=building, code=f"9{n:02d}")
    client.force_login(cs)
    response = client.get(f"/kb/qr/buildings/{building.pk}/sheet.pdf")
    text, images, pages = _read(response.content)
    assert (images, pages) == (13, 2)
    assert all(f"9{n:02d}" in text for n in range(13))


def test_sheet_access(client: Any, portfolio: dict[str, Any], org: Any, other_org: Any) -> None:
    engineer = make_user(org, "engineer", username="eng")
    client.force_login(engineer)
    assert client.get(f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf").status_code == 403
    assert client.get("/kb/qr/").status_code == 403
    client.force_login(make_user(other_org, "customer_service", username="other-cs"))
    assert client.get(f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf").status_code == 404
    scoped = make_user(org, "frontline", username="fl", buildings=[portfolio["b2"]])
    client.force_login(scoped)
    assert client.get(f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf").status_code == 404
    assert client.get(f"/kb/qr/buildings/{portfolio['b2'].pk}/sheet.pdf").status_code == 200


def test_api_sheet(client: Any, portfolio: dict[str, Any], cs: Any, other_org: Any) -> None:
    client.force_login(cs)
    response = client.get(f"/api/v1/buildings/{portfolio['b2'].pk}/qr-sheet.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text, images, _pages = _read(response.content)
    assert "201" in text and "202" in text and images == 2
    client.force_login(make_user(other_org, "customer_service", username="other-cs"))
    response = client.get(f"/api/v1/buildings/{portfolio['b2'].pk}/qr-sheet.pdf")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_api_sheet_needs_intake(client: Any, portfolio: dict[str, Any], org: Any) -> None:
    client.force_login(make_user(org, "engineer", username="eng"))
    response = client.get(f"/api/v1/buildings/{portfolio['b2'].pk}/qr-sheet.pdf")
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    client.logout()
    assert client.get(f"/api/v1/buildings/{portfolio['b2'].pk}/qr-sheet.pdf").status_code == 401


def test_sheet_codes_open_the_reporting_page(
    client: Any, portfolio: dict[str, Any], cs: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from anzu.maintenance.knowledge import qrsheet

    urls: list[str] = []
    real = qrsheet.qr_png_data_uri

    def spy(url: str) -> str:
        urls.append(url)
        return real(url)

    monkeypatch.setattr(qrsheet, "qr_png_data_uri", spy)
    client.force_login(cs)
    client.get(f"/kb/qr/buildings/{portfolio['b1'].pk}/sheet.pdf")
    assert len(urls) == 2 and all(u.startswith("http://testserver/r/") for u in urls)
    client.logout()
    page = client.get(urls[0].removeprefix("http://testserver"))
    assert page.status_code == 200
    assert "101" in page.content.decode()
