"""Upload checks, duplicate files, the reading task (success, failure, idempotency),
provenance, the review queue and market rent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from anzu.common.errors import Conflict, ValidationFailed
from anzu.contracts import services
from anzu.contracts.choices import ContractStatus, FieldStatus
from anzu.contracts.models import Contract, ContractField, ContractFinding, ContractPage
from anzu.contracts.tests.conftest import LEASE_TEXT, blank_pdf, text_pdf
from anzu.core.models import AuditEvent
from anzu.documents.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks: Any) -> Any:
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield


_capture: Any = None


def upload(by: Any, content: bytes, name: str = "lease.txt", **kw: Any) -> Contract:
    """Upload and run the on-commit reading task, as after a real request."""
    with _capture(execute=True):
        return services.contract_upload(by=by, file_bytes=content, filename=name, **kw)


def test_upload_reads_text_and_stores_fields_findings(manager, portfolio, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode(), unit_id=portfolio["u1"].pk)
    c.refresh_from_db()
    assert c.status == ContractStatus.READY
    assert (c.project_id, c.building_id) == (portfolio["p1"].pk, portfolio["b1"].pk)
    assert c.text.startswith("房屋租赁合同")
    assert c.lessor_name == "上海安居置业有限公司"
    assert c.lessee_name == "王晓明"
    assert c.start_date == dt.date(2025, 3, 1)
    assert c.end_date == dt.date(2027, 2, 28)
    assert c.monthly_rent == Decimal("6500.00")
    assert c.risk_level == "high"
    assert c.document.kind == "contract"
    assert c.document.sha256 == c.sha256
    assert ContractPage.objects.filter(contract=c).count() == 1
    finding = ContractFinding.objects.get(contract=c)
    assert finding.code == "AUTO_RENEWAL_INDEFINITE"
    assert finding.rule_set_version is None
    actions = set(AuditEvent.objects.filter(object_id=str(c.pk)).values_list("action", flat=True))
    assert {"contract.upload", "contract.read"} <= actions


def test_provenance_evidence_is_the_text_span(manager, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode())
    c.refresh_from_db()
    fields = list(ContractField.objects.filter(contract=c))
    assert fields
    for f in fields:
        assert f.evidence == c.text[f.start : f.end]
        assert f.page == 1
    for finding in ContractFinding.objects.filter(contract=c):
        assert finding.evidence == c.text[finding.start : finding.end]


def test_low_confidence_fields_need_review(manager, home, fake_engine, settings):
    settings.CONTRACT_REVIEW_MIN_CONFIDENCE = 0.85
    c = upload(manager, LEASE_TEXT.encode())
    states = dict(ContractField.objects.filter(contract=c).values_list("name", "status"))
    assert states["monthly_rent"] == FieldStatus.NEEDS_REVIEW  # confidence 0.6
    assert states["lessor"] == FieldStatus.AUTO


def test_real_engine_provenance(manager, home):
    """With the real review engine: every stored span is the text it claims."""
    c = upload(manager, LEASE_TEXT.encode())
    c.refresh_from_db()
    assert c.status == ContractStatus.READY
    for f in ContractField.objects.filter(contract=c):
        if f.start is not None:
            assert f.evidence == c.text[f.start : f.end]


def test_text_layer_pdf(manager, home, fake_engine):
    c = upload(manager, text_pdf(), "lease.pdf")
    c.refresh_from_db()
    assert c.status == ContractStatus.READY
    assert c.source == "pdf_text"
    assert "漕溪北路88号" in c.text
    assert c.lessee_name == "王晓明"


def test_same_file_twice_is_a_conflict_naming_the_contract(manager, home, fake_engine):
    first = upload(manager, LEASE_TEXT.encode())
    with pytest.raises(Conflict) as err:
        upload(manager, LEASE_TEXT.encode(), "copy.txt")
    assert err.value.code == "already_archived"
    assert err.value.field == "file"
    assert err.value.extra["contract_id"] == first.pk
    assert Contract.objects.count() == 1


@pytest.mark.parametrize(
    ("content", "name", "code"),
    [
        (b"PK\x03\x04 not a contract", "lease.docx", "unsupported_type"),
        (b"GIF89a....", "scan.gif", "unsupported_type"),
        (b"%PDF-1.7\n garbage without structure", "lease.pdf", "corrupt_file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR broken", "scan.png", "corrupt_file"),
        (b"\xff\xd8\xff\xe0 truncated jpeg", "scan.jpg", "corrupt_file"),
        (b"   \n\n  ", "empty.txt", "empty_contract"),
        (b"", "nothing.pdf", "empty_contract"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_written(manager, home, content, name, code):
    with pytest.raises(ValidationFailed) as err:
        upload(manager, content, name)
    assert (err.value.code, err.value.field) == (code, "file")
    assert Contract.objects.count() == 0
    assert Document.objects.count() == 0
    assert not AuditEvent.objects.filter(action="contract.upload").exists()


def test_pdf_without_text_or_images(manager, home):
    with pytest.raises(ValidationFailed) as err:
        upload(manager, blank_pdf(), "blank.pdf")
    assert (err.value.code, err.value.field) == ("no_text", "file")
    assert Contract.objects.count() == 0


def test_oversize_file(manager, home, settings):
    settings.CONTRACT_MAX_BYTES = 2048
    with pytest.raises(ValidationFailed) as err:
        upload(manager, ("合同" * 2000).encode(), "big.txt")
    assert (err.value.code, err.value.field) == ("too_large", "file")
    assert Contract.objects.count() == 0


def test_image_with_too_many_pixels(manager, home, settings):
    from PIL import Image

    from anzu.contracts.tests.conftest import png_bytes

    settings.CONTRACT_MAX_PIXELS = 100_000
    with pytest.raises(ValidationFailed) as err:
        upload(manager, png_bytes(Image.new("L", (1000, 1000), 255)), "huge.png")
    assert (err.value.code, err.value.field) == ("too_large", "file")


def test_blank_scan_fails_in_the_task_with_nothing_half_written(manager, home, fake_engine):
    from PIL import Image

    from anzu.contracts.tests.conftest import png_bytes

    c = upload(manager, png_bytes(Image.new("L", (600, 400), 255)), "blank.png")
    c.refresh_from_db()
    assert c.status == ContractStatus.FAILED
    assert c.error.startswith("empty_contract")
    assert not ContractPage.objects.filter(contract=c).exists()
    assert AuditEvent.objects.filter(action="contract.read_failed", object_id=str(c.pk)).exists()


def test_failure_while_storing_rolls_back_pages_and_fields(manager, home, fake_engine, monkeypatch):
    def broken(contract: Any, rows: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "_store_findings", broken)
    c = upload(manager, LEASE_TEXT.encode())
    c.refresh_from_db()
    assert c.status == ContractStatus.FAILED
    assert c.error.startswith("internal_error")
    assert c.text == ""
    assert c.lessor_name == ""
    assert not ContractPage.objects.filter(contract=c).exists()
    assert not ContractField.objects.filter(contract=c).exists()
    assert not AuditEvent.objects.filter(action="contract.read", object_id=str(c.pk)).exists()
    # Once fixed, the contract can be read again.
    monkeypatch.undo()
    import anzu.contracts.review as review_module
    from anzu.contracts.tests.conftest import fake_review

    monkeypatch.setattr(review_module, "review", fake_review)
    with _capture(execute=True):
        services.contract_retry(contract=c, by=manager)
    c.refresh_from_db()
    assert c.status == ContractStatus.READY
    assert ContractField.objects.filter(contract=c).exists()


def test_task_is_idempotent(manager, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode())
    before = ContractField.objects.filter(contract=c).count()
    services.contract_process(contract_id=c.pk)
    assert ContractField.objects.filter(contract=c).count() == before
    assert AuditEvent.objects.filter(action="contract.read", object_id=str(c.pk)).count() == 1


def test_correction_is_stored_audited_copied_and_rereviewed(manager, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode())
    field = ContractField.objects.get(contract=c, name="monthly_rent")
    assert field.status == FieldStatus.NEEDS_REVIEW
    updated = services.contract_field_review(field=field, by=manager, value="6,800")
    assert updated.status == FieldStatus.CORRECTED
    assert updated.value == "6800.00"
    assert updated.original_value == "6500.00"
    assert updated.corrected_by == manager
    c.refresh_from_db()
    assert c.monthly_rent == Decimal("6800.00")
    assert c.reviewed_at is not None
    event = AuditEvent.objects.get(action="contract.field_correct")
    assert event.changes["value"] == ["6500.00", "6800.00"]
    # A second correction keeps the value first read as the original.
    again = services.contract_field_review(field=updated, by=manager, value="6900")
    assert again.original_value == "6500.00"
    assert ContractFinding.objects.filter(contract=c).count() == 1


def test_correction_validates_by_field_type(manager, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode())
    date_field = ContractField.objects.get(contract=c, name="end_date")
    with pytest.raises(ValidationFailed) as err:
        services.contract_field_review(field=date_field, by=manager, value="next spring")
    assert err.value.field == "value"
    date_field.refresh_from_db()
    assert date_field.status == FieldStatus.AUTO
    assert not AuditEvent.objects.filter(action="contract.field_correct").exists()


def test_confirm_field(manager, home, fake_engine):
    c = upload(manager, LEASE_TEXT.encode())
    field = ContractField.objects.get(contract=c, name="monthly_rent")
    confirmed = services.contract_field_review(field=field, by=manager, confirm=True)
    assert confirmed.status == FieldStatus.CONFIRMED
    assert confirmed.value == "6500.00"
    assert AuditEvent.objects.filter(action="contract.field_confirm").exists()


def test_market_rent_from_comparable_units(manager, portfolio, home, fake_engine):
    from anzu.common.testing import CustomerFactory, UnitFactory
    from anzu.leasing.choices import LeaseStatus
    from anzu.leasing.models import Lease

    unit = portfolio["u1"]  # 35.50 m²
    assert services.market_rent_for(unit) is None  # no comparables yet
    rents = {"102": Decimal("3550.00")}
    other = UnitFactory(building=portfolio["b1"], code="103", area_m2=Decimal("40.00"))
    far = UnitFactory(building=portfolio["b1"], code="104", area_m2=Decimal("80.00"))
    for u, rent in (
        (portfolio["u2"], rents["102"]),
        (other, Decimal("4800.00")),
        (far, Decimal("1.00")),
    ):
        customer = CustomerFactory(organization=unit.organization)
        Lease.objects.create(
            organization=unit.organization,
            project=u.project,
            building=u.building,
            unit=u,
            customer=customer,
            code=f"L-{u.code}",
            status=LeaseStatus.ACTIVE,
            start_date=dt.date(2026, 1, 1),
            end_date=dt.date(2026, 12, 31),
            occupied_until=dt.date(2026, 12, 31),
            monthly_rent=rent,
            deposit=Decimal(0),
        )
    # 102: 100/m², 103: 120/m² → median 110/m² × 35.5 m²; 104 is outside ±20%.
    assert services.market_rent_for(unit) == Decimal("3905.00")


def test_findings_follow_a_correction_with_the_real_engine(manager, home):
    c = upload(manager, LEASE_TEXT.encode())
    codes = set(ContractFinding.objects.filter(contract=c).values_list("code", flat=True))
    assert "AUTO_RENEWAL_INDEFINITE" in codes and "DEPOSIT_EXCESSIVE" not in codes
    deposit = ContractField.objects.get(contract=c, name="deposit")
    services.contract_field_review(field=deposit, by=manager, value="30000")
    codes = set(ContractFinding.objects.filter(contract=c).values_list("code", flat=True))
    assert "DEPOSIT_EXCESSIVE" in codes
    c.refresh_from_db()
    assert c.deposit == Decimal("30000.00") and c.risk_level == "high"


def test_reading_and_correcting_keep_the_search_entry_current(
    manager, portfolio, home, fake_engine
):
    from anzu.contracts.models import ContractField
    from anzu.contracts.search.models import SearchEntry
    from anzu.contracts.services import contract_field_review

    c = upload(manager, LEASE_TEXT.encode(), unit_id=portfolio["u1"].pk)
    entry = SearchEntry.objects.get(contract_id=c.pk)
    assert "王晓明" in entry.keys
    field = ContractField.objects.get(contract=c, name="lessee")
    contract_field_review(field=field, by=manager, value="王小明")
    entry = SearchEntry.objects.get(contract_id=c.pk)
    assert "王小明" in entry.keys and "王晓明" not in entry.keys
