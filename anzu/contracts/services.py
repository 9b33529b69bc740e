"""Writes of the contract archive: upload, reading and review, field corrections, rule sets,
batches, and the audited views and downloads of full contracts.

Upload stores the file (content-addressed, ``documents.Document`` of kind CONTRACT) and a
pending ``Contract``; a Huey task then reads it (text layer or OCR), runs the review with the
organization's published rule set and the market rent, and stores pages, fields and findings in
one transaction. A failure marks the contract failed with its error and writes nothing else.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import shutil
import statistics
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import Conflict, DomainError, IllegalTransition, NotFound, ValidationFailed
from anzu.common.money import to_money
from anzu.contracts import reading
from anzu.contracts.choices import (
    BatchStatus,
    ContractStatus,
    FieldStatus,
    RiskLevel,
    RuleSetStatus,
)
from anzu.contracts.models import (
    Contract,
    ContractBatch,
    ContractField,
    ContractFinding,
    ContractPage,
    ReviewRuleSet,
)
from anzu.core import access, audit
from anzu.core.models import User
from anzu.documents.choices import DocumentKind

logger = logging.getLogger(__name__)

# Types of the extracted fields a reviewer may correct (others are free text).
DATE_FIELDS = frozenset({"start_date", "end_date"})
MONEY_FIELDS = frozenset({"monthly_rent", "deposit", "penalty_amount"})
INTEGER_FIELDS = frozenset({"term_months", "pay_months", "rent_free_days", "due_day"})
MONTHS_FIELDS = frozenset({"deposit_months"})
RATE_FIELDS = frozenset({"late_fee_daily_rate"})
# Extracted field → Contract column (the reviewed key fields used by lists and search).
CONTRACT_COLUMNS = {
    "lessor": "lessor_name",
    "lessee": "lessee_name",
    "address": "address",
    "start_date": "start_date",
    "end_date": "end_date",
    "monthly_rent": "monthly_rent",
    "deposit": "deposit",
}
COLUMN_LIMITS = {"lessor_name": 200, "lessee_name": 200, "address": 300}
MAX_BATCH_FILES = 500
MAX_BATCH_BYTES = 512 * 1024 * 1024  # what one batch may unpack
RISK_ORDER: dict[str, int] = {RiskLevel.HIGH: 3, RiskLevel.MEDIUM: 2, RiskLevel.LOW: 1}


def min_confidence() -> float:
    return float(getattr(settings, "CONTRACT_REVIEW_MIN_CONFIDENCE", 0.85))


def jsonable(value: Any) -> Any:
    """A field value as stored in JSON: dates ISO, Decimals as strings."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [jsonable(x) for x in value]
    if isinstance(value, dict):
        return {str(k): jsonable(x) for k, x in value.items()}
    return value


def _column_value(column: str, value: Any) -> Any:
    """A stored JSON value converted for the Contract column (None when it does not fit)."""
    if value is None or value == "":
        return None if column not in COLUMN_LIMITS else ""
    try:
        if column in ("start_date", "end_date"):
            return dt.date.fromisoformat(str(value))
        if column in ("monthly_rent", "deposit"):
            amount = Decimal(str(value)).quantize(Decimal("0.01"))
            return amount if Decimal(0) <= amount < Decimal("10000000000") else None
    except (ValueError, InvalidOperation):
        return None
    return str(value)[: COLUMN_LIMITS.get(column, 300)]


# Placement and upload ------------------------------------------------------------------------


@dataclass
class Placement:
    project: Any = None
    building: Any = None
    unit: Any = None
    lease: Any = None


def _placement(
    by: Any,
    *,
    project_id: Any = None,
    building_id: Any = None,
    unit_id: Any = None,
    lease_id: Any = None,
) -> Placement:
    """Project → building → unit → lease of an upload, checked against the user's scope."""
    from anzu.leasing.access import lease_for_user
    from anzu.portfolio.access import building_for_user, project_for_user, unit_for_user

    place = Placement()

    def get(getter: Any, pk: Any, field: str, what: str) -> Any:
        try:
            return getter(by, pk)
        except NotFound:
            raise NotFound(what, field=field) from None

    if lease_id not in (None, ""):
        place.lease = get(lease_for_user, lease_id, "lease_id", "lease")
        place.unit = place.lease.unit
    if unit_id not in (None, ""):
        unit = get(unit_for_user, unit_id, "unit_id", "unit")
        if place.unit is not None and unit.pk != place.unit.pk:
            raise ValidationFailed("mismatch", _("The lease is for another unit."), field="unit_id")
        place.unit = unit
    if place.unit is not None:
        place.building = place.unit.building
        place.project = place.unit.project
    if building_id not in (None, ""):
        building = get(building_for_user, building_id, "building_id", "building")
        if place.building is not None and building.pk != place.building.pk:
            raise ValidationFailed(
                "mismatch", _("The unit is in another building."), field="building_id"
            )
        place.building = building
        place.project = building.project
    if project_id not in (None, ""):
        project = get(project_for_user, project_id, "project_id", "project")
        if place.project is not None and project.pk != place.project.pk:
            raise ValidationFailed(
                "mismatch", _("The building is in another project."), field="project_id"
            )
        place.project = project
    return place


def _already_archived(existing: Contract) -> Conflict:
    return Conflict(
        "already_archived",
        _("This file is already archived as contract %(id)s “%(title)s”.")
        % {"id": existing.pk, "title": existing.title},
        field="file",
        contract_id=existing.pk,
    )


def contract_upload(
    *,
    by: User,
    file_bytes: bytes,
    filename: str,
    project_id: Any = None,
    building_id: Any = None,
    unit_id: Any = None,
    lease_id: Any = None,
    title: str = "",
    batch: ContractBatch | None = None,
    enqueue: bool = True,
) -> Contract:
    """Archive a contract file and queue its reading; the same file twice is a 409."""
    import hashlib

    from anzu.documents.services import document_archive

    access.require(by, "contract.write")
    organization_id = access.org_id(by)
    filename = (filename or "").replace("\\", "/").rsplit("/", 1)[-1][:255]
    title = v.text(
        title or filename.rsplit(".", 1)[0] or _("Contract"), field="title", max_length=200
    )
    kind = reading.precheck(file_bytes, filename)
    place = _placement(
        by, project_id=project_id, building_id=building_id, unit_id=unit_id, lease_id=lease_id
    )
    sha256 = hashlib.sha256(file_bytes).hexdigest()
    existing = Contract.objects.filter(organization_id=organization_id, sha256=sha256).first()
    if existing is not None:
        raise _already_archived(existing)
    try:
        with transaction.atomic():
            document = document_archive(
                organization_id=organization_id,
                kind=DocumentKind.CONTRACT,
                title=title,
                content=file_bytes,
                content_type=reading.CONTENT_TYPES[kind],
                by=by,
            )
            with transaction.atomic():
                contract = Contract.objects.create(
                    organization_id=organization_id,
                    project=place.project,
                    building=place.building,
                    unit=place.unit,
                    lease=place.lease,
                    document=document,
                    sha256=sha256,
                    title=title,
                    original_name=filename,
                    status=ContractStatus.PENDING,
                    batch=batch,
                    created_by=by,
                )
            audit.record(
                action="contract.upload",
                obj=contract,
                organization=organization_id,
                actor=by,
                changes={
                    "sha256": [None, sha256],
                    "file_name": [None, filename],
                    "unit": [None, place.unit.pk if place.unit else None],
                    "lease": [None, place.lease.pk if place.lease else None],
                },
            )
            if enqueue:
                from anzu.contracts import tasks

                contract_id = contract.pk
                transaction.on_commit(lambda: tasks.process_contract(contract_id))
    except IntegrityError:
        existing = Contract.objects.filter(organization_id=organization_id, sha256=sha256).first()
        if existing is None:
            raise
        raise _already_archived(existing) from None
    return contract


# Reading and review ---------------------------------------------------------------------------


def market_rent_for(unit: Any) -> Decimal | None:
    """Median rent per m² of comparable units (same project, area within ±20%, active leases)
    times this unit's area; None without a unit or without comparables."""
    from anzu.leasing.choices import LeaseStatus
    from anzu.leasing.models import Lease

    if unit is None or not unit.area_m2:
        return None
    area = Decimal(unit.area_m2)
    rows = (
        Lease.objects.filter(
            organization_id=unit.organization_id,
            project_id=unit.project_id,
            status=LeaseStatus.ACTIVE,
            unit__area_m2__gte=area * Decimal("0.8"),
            unit__area_m2__lte=area * Decimal("1.2"),
            unit__area_m2__gt=0,
        )
        .exclude(unit_id=unit.pk)
        .values_list("monthly_rent", "unit__area_m2")
    )
    per_m2 = [Decimal(rent) / Decimal(unit_area) for rent, unit_area in rows]
    if not per_m2:
        return None
    return (statistics.median(per_m2) * area).quantize(Decimal("0.01"))


def published_rule_set(organization_id: int) -> ReviewRuleSet | None:
    return ReviewRuleSet.objects.filter(
        organization_id=organization_id, status=RuleSetStatus.PUBLISHED
    ).first()


def _thresholds_for(rule_set: ReviewRuleSet | None) -> dict[str, Any]:
    from anzu.contracts.review import DEFAULT_THRESHOLDS

    thresholds: dict[str, Any] = dict(DEFAULT_THRESHOLDS)
    if rule_set is not None:
        for key, value in (rule_set.thresholds or {}).items():
            if key in thresholds:
                default = DEFAULT_THRESHOLDS[key]
                thresholds[key] = int(value) if isinstance(default, int) else Decimal(str(value))
    return thresholds


def _run_review(
    text: str,
    *,
    market_rent: Decimal | None,
    rule_set: ReviewRuleSet | None,
    corrections: dict[str, Any] | None = None,
) -> Any:
    """Review ``text`` with the rule set's thresholds and the reviewer's corrections.

    Findings of rules the rule set disables are dropped and the risk level follows the
    remaining findings (the highest severity; low without findings).
    """
    from anzu.contracts.review import review

    kwargs: dict[str, Any] = {
        "market_rent": market_rent,
        "thresholds": _thresholds_for(rule_set),
    }
    if corrections:
        kwargs["corrections"] = corrections
    try:
        result = review(text, **kwargs)
    except ValueError as error:
        raise ValidationFailed("invalid", str(error), field="value") from None
    if rule_set is not None:
        enabled = set(rule_set.enabled_codes or [])
        kept = [f for f in result.findings if f.code in enabled]
        if len(kept) != len(result.findings):
            result.findings = kept
            severities = [f.severity for f in kept if f.severity in RISK_ORDER]
            result.risk_level = (
                max(severities, key=lambda s: RISK_ORDER[s]) if severities else RiskLevel.LOW
            )
    return result


def _risk_level(result: Any) -> str:
    level = str(getattr(result, "risk_level", "") or "")
    return level if level in RiskLevel.values else RiskLevel.LOW


def _locate(pages: list[ContractPage], start: int | None) -> tuple[int | None, Any, float | None]:
    """The page number, OCR line box and OCR line confidence at ``start``."""
    if start is None:
        return None, None, None
    for page in pages:
        if page.offset <= start <= page.offset + len(page.text):
            for line in page.lines or []:
                if line.get("start", -1) <= start < line.get("end", -1):
                    return page.number, line.get("box"), line.get("confidence")
            return page.number, None, None
    return None, None, None


def _finding_rows(
    contract: Contract, result: Any, pages: list[ContractPage], version: int | None
) -> list[ContractFinding]:
    rows = []
    for finding in result.findings:
        start = finding.start if isinstance(finding.start, int) and finding.start >= 0 else None
        end = finding.end if isinstance(finding.end, int) and finding.end >= 0 else None
        page, _box, _conf = _locate(pages, start)
        rows.append(
            ContractFinding(
                contract=contract,
                code=finding.code,
                severity=finding.severity if finding.severity in RiskLevel.values else "medium",
                message=finding.message,
                basis=(finding.basis or "")[:300],
                evidence=finding.evidence or "",
                start=start,
                end=end,
                page=page,
                rule_set_version=version,
            )
        )
    return rows


def _store_findings(contract: Contract, rows: list[ContractFinding]) -> None:
    ContractFinding.objects.filter(contract=contract).delete()
    ContractFinding.objects.bulk_create(rows)


def _field_rows(contract: Contract, result: Any, pages: list[ContractPage]) -> list[ContractField]:
    threshold = min_confidence()
    rows = []
    for name, fv in result.fields.items():
        start = fv.start if isinstance(fv.start, int) and fv.start >= 0 else None
        end = fv.end if isinstance(fv.end, int) and fv.end >= 0 else None
        page, box, line_confidence = _locate(pages, start)
        confidence = float(fv.confidence)
        if line_confidence is not None:
            confidence = min(confidence, float(line_confidence))
        confidence = max(0.0, min(1.0, confidence))
        rows.append(
            ContractField(
                contract=contract,
                name=str(name)[:40],
                value=jsonable(fv.value),
                evidence=fv.evidence or "",
                start=start,
                end=end,
                page=page,
                box=box,
                confidence=round(confidence, 4),
                status=FieldStatus.AUTO if confidence >= threshold else FieldStatus.NEEDS_REVIEW,
            )
        )
    return rows


def _copy_key_fields(contract: Contract, values: dict[str, Any]) -> list[str]:
    changed = []
    for name, column in CONTRACT_COLUMNS.items():
        if name in values:
            setattr(contract, column, _column_value(column, values[name]))
            changed.append(column)
    return changed


def _reindex(contract_id: int) -> None:
    """Bring the contract's search entry up to date in the caller's transaction."""
    from anzu.contracts.search.indexing import index_contract

    index_contract(contract_id)


def contract_process(*, contract_id: int) -> Contract:
    """Read and review a pending contract (the Huey task calls this). Safe to call twice."""
    claimed = Contract.objects.filter(pk=contract_id, status=ContractStatus.PENDING).update(
        status=ContractStatus.PROCESSING, error=""
    )
    contract = Contract.objects.select_related("unit", "document").get(pk=contract_id)
    if not claimed:
        return contract
    try:
        from anzu.documents.services import document_content

        result = reading.read_document(document_content(contract.document), contract.original_name)
        market_rent = market_rent_for(contract.unit)
        rule_set = published_rule_set(contract.organization_id)
        review_result = _run_review(result.text, market_rent=market_rent, rule_set=rule_set)
        with transaction.atomic():
            locked = Contract.objects.select_for_update().get(pk=contract_id)
            ContractPage.objects.filter(contract=locked).delete()
            ContractField.objects.filter(contract=locked).delete()
            pages = ContractPage.objects.bulk_create(
                [
                    ContractPage(
                        contract=locked,
                        number=p.number,
                        text=p.text,
                        offset=p.offset,
                        lines=p.lines,
                        source=p.source,
                        image_width=p.width,
                        image_height=p.height,
                    )
                    for p in result.pages
                ]
            )
            fields = ContractField.objects.bulk_create(_field_rows(locked, review_result, pages))
            version = rule_set.version if rule_set is not None else None
            _store_findings(locked, _finding_rows(locked, review_result, pages, version))
            locked.text = result.text
            locked.source = result.source
            locked.page_count = len(result.pages)
            locked.ocr_confidence = result.confidence
            locked.market_rent = market_rent
            locked.rule_set_version = version
            locked.risk_level = _risk_level(review_result)
            locked.status = ContractStatus.READY
            locked.reviewed_at = clock.now()
            locked.error = ""
            _copy_key_fields(locked, {f.name: f.value for f in fields})
            locked.save()
            _reindex(locked.pk)
            audit.record(
                action="contract.read",
                obj=locked,
                organization=locked.organization_id,
                actor=None,
                changes={
                    "status": [ContractStatus.PROCESSING, ContractStatus.READY],
                    "source": [None, locked.source],
                    "pages": [None, locked.page_count],
                    "fields": [None, len(fields)],
                    "findings": [None, len(review_result.findings)],
                    "risk_level": [None, locked.risk_level],
                    "rule_set_version": [None, version],
                },
            )
        return locked
    except Exception as error:
        if isinstance(error, DomainError):
            message = f"{error.code}: {error.message}"
        else:
            logger.exception("contract %s could not be read", contract_id)
            message = "internal_error: The contract could not be read."
        with transaction.atomic():
            Contract.objects.filter(pk=contract_id).update(
                status=ContractStatus.FAILED, error=message[:2000]
            )
            audit.record(
                action="contract.read_failed",
                object_type="contracts.contract",
                object_id=contract_id,
                organization=contract.organization_id,
                actor=None,
                changes={"status": [ContractStatus.PROCESSING, ContractStatus.FAILED]},
            )
        return Contract.objects.get(pk=contract_id)


def contract_retry(*, contract: Contract, by: User) -> Contract:
    """Queue a failed contract to be read again."""
    access.require(by, "contract.write")
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != ContractStatus.FAILED:
            raise IllegalTransition(current=locked.status, target=ContractStatus.PENDING)
        locked.status = ContractStatus.PENDING
        locked.error = ""
        locked.save(update_fields=["status", "error", "updated_at"])
        audit.record(
            action="contract.retry",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={"status": [ContractStatus.FAILED, ContractStatus.PENDING]},
        )
        from anzu.contracts import tasks

        transaction.on_commit(lambda: tasks.process_contract(locked.pk))
    return locked


# Field review ---------------------------------------------------------------------------------


def parse_field_value(name: str, value: Any) -> Any:
    """A reviewer's value for field ``name``, checked by the field's type (error on "value")."""
    if name in DATE_FIELDS:
        parsed: Any = v.date(value, field="value")
    elif name in MONEY_FIELDS:
        parsed = to_money(value, field="value")
    elif name in INTEGER_FIELDS:
        parsed = v.integer(value, field="value", minimum=0, maximum=100000)
    elif name in MONTHS_FIELDS:
        parsed = v.decimal(value, field="value", places=2, minimum=Decimal(0), maximum=Decimal(100))
    elif name in RATE_FIELDS:
        parsed = v.decimal(value, field="value", places=6, minimum=Decimal(0), maximum=Decimal(1))
    else:
        parsed = v.text(value, field="value", max_length=2000)
    return jsonable(parsed)


def _rereview(contract: Contract) -> None:
    """Run the review again with the reviewer's values; findings and risk follow."""
    corrections = {
        f.name: f.value
        for f in ContractField.objects.filter(contract=contract, status=FieldStatus.CORRECTED)
    }
    pages = list(ContractPage.objects.filter(contract=contract))
    rule_set = published_rule_set(contract.organization_id)
    result = _run_review(
        contract.text,
        market_rent=contract.market_rent,
        rule_set=rule_set,
        corrections=corrections,
    )
    version = rule_set.version if rule_set is not None else None
    _store_findings(contract, _finding_rows(contract, result, pages, version))
    contract.risk_level = _risk_level(result)
    contract.rule_set_version = version
    contract.reviewed_at = clock.now()


def contract_field_review(
    *, field: ContractField, by: User, value: Any = None, confirm: bool = False
) -> ContractField:
    """Confirm a field as read (``confirm``) or correct it to ``value``; audited.

    A correction keeps the first extracted value in ``original_value``, is copied onto the
    contract's key fields and re-runs the review so that the findings follow.
    """
    access.require(by, "contract.write")
    new_value = None if confirm else parse_field_value(field.name, value)
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=field.contract_id)
        if contract.status != ContractStatus.READY:
            raise ValidationFailed(
                "not_ready", _("The contract has not been read yet."), field="value"
            )
        locked = ContractField.objects.select_for_update().get(pk=field.pk)
        old_status, old_value = locked.status, locked.value
        if confirm:
            locked.status = FieldStatus.CONFIRMED
        else:
            if locked.original_value is None and locked.status != FieldStatus.CORRECTED:
                locked.original_value = locked.value
            locked.value = new_value
            locked.status = FieldStatus.CORRECTED
        locked.corrected_by = by
        locked.corrected_at = clock.now()
        locked.save()
        audit.record(
            action="contract.field_confirm" if confirm else "contract.field_correct",
            obj=contract,
            organization=contract.organization_id,
            actor=by,
            changes={
                "field": [None, locked.name],
                "status": [old_status, locked.status],
                "value": [jsonable(old_value), jsonable(locked.value)],
            },
        )
        if not confirm:
            _copy_key_fields(contract, {locked.name: locked.value})
            _rereview(contract)
            contract.save()
            _reindex(contract.pk)
    return locked


# Rule sets ------------------------------------------------------------------------------------


def validate_thresholds(value: Any) -> dict[str, str | int]:
    from anzu.contracts.review import DEFAULT_THRESHOLDS

    if not isinstance(value, dict):
        raise ValidationFailed(
            "invalid", _("Expected an object of thresholds."), field="thresholds"
        )
    cleaned: dict[str, str | int] = {}
    for key, raw in value.items():
        if key not in DEFAULT_THRESHOLDS:
            raise ValidationFailed(
                "unknown_threshold",
                _("Unknown threshold %(key)s.") % {"key": key},
                field=f"thresholds.{key}",
            )
        if raw in (None, ""):
            continue
        if isinstance(DEFAULT_THRESHOLDS[key], int):
            cleaned[key] = v.integer(raw, field=f"thresholds.{key}", minimum=1, maximum=100)
        else:
            number = v.decimal(
                raw,
                field=f"thresholds.{key}",
                places=4,
                minimum=Decimal("0.0001"),
                maximum=Decimal("100"),
            )
            cleaned[key] = format(number.normalize(), "f")  # type: ignore[union-attr]
    return cleaned


def validate_codes(value: Any) -> list[str]:
    from anzu.contracts.review import RULE_CODES

    if not isinstance(value, list | tuple):
        raise ValidationFailed(
            "invalid", _("Expected a list of rule codes."), field="enabled_codes"
        )
    codes = []
    for code in value:
        if code not in RULE_CODES:
            raise ValidationFailed(
                "unknown_code",
                _("Unknown rule %(code)s.") % {"code": code},
                field="enabled_codes",
            )
        if code not in codes:
            codes.append(code)
    return [c for c in RULE_CODES if c in codes]


def rule_set_save(
    *, by: User, thresholds: Any, enabled_codes: Any, note: str = ""
) -> ReviewRuleSet:
    """Save the organization's draft rule set (a new version when there is no draft)."""
    access.require(by, "contract.rules")
    organization_id = access.org_id(by)
    cleaned = validate_thresholds(thresholds)
    codes = validate_codes(enabled_codes)
    note = v.text(note or "", field="note", max_length=300, required=False)
    try:
        with transaction.atomic():
            draft = (
                ReviewRuleSet.objects.select_for_update()
                .filter(organization_id=organization_id, status=RuleSetStatus.DRAFT)
                .first()
            )
            before: dict[str, Any] = {}
            if draft is None:
                last = ReviewRuleSet.objects.filter(organization_id=organization_id).aggregate(
                    m=Max("version")
                )["m"]
                draft = ReviewRuleSet(
                    organization_id=organization_id,
                    version=(last or 0) + 1,
                    status=RuleSetStatus.DRAFT,
                    created_by=by,
                )
            else:
                before = {"thresholds": draft.thresholds, "enabled_codes": draft.enabled_codes}
            draft.thresholds = cleaned
            draft.enabled_codes = codes
            draft.note = note
            draft.save()
            audit.record(
                action="contract.rule_set_save",
                obj=draft,
                organization=organization_id,
                actor=by,
                changes={
                    "version": [None, draft.version],
                    "thresholds": [before.get("thresholds"), cleaned],
                    "enabled_codes": [before.get("enabled_codes"), codes],
                },
            )
    except IntegrityError:
        raise Conflict(
            "concurrent_edit", _("Someone saved the rule set at the same time; try again.")
        ) from None
    return draft


def rule_set_publish(*, rule_set: ReviewRuleSet, by: User) -> ReviewRuleSet:
    """Publish a draft: new contracts are reviewed with it; the previous version is retired."""
    access.require(by, "contract.rules")
    with transaction.atomic():
        locked = ReviewRuleSet.objects.select_for_update().get(pk=rule_set.pk)
        if locked.status != RuleSetStatus.DRAFT:
            raise IllegalTransition(current=locked.status, target=RuleSetStatus.PUBLISHED)
        previous = (
            ReviewRuleSet.objects.select_for_update()
            .filter(organization_id=locked.organization_id, status=RuleSetStatus.PUBLISHED)
            .first()
        )
        if previous is not None:
            previous.status = RuleSetStatus.RETIRED
            previous.save(update_fields=["status"])
        locked.status = RuleSetStatus.PUBLISHED
        locked.published_at = clock.now()
        locked.save(update_fields=["status", "published_at"])
        audit.record(
            action="contract.rule_set_publish",
            obj=locked,
            organization=locked.organization_id,
            actor=by,
            changes={
                "status": [RuleSetStatus.DRAFT, RuleSetStatus.PUBLISHED],
                "retired_version": [None, previous.version if previous else None],
            },
        )
    return locked


# Batches --------------------------------------------------------------------------------------


def batch_dir(batch_id: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "contract-batches" / str(batch_id)


def _expand(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """Zip archives are unpacked (folders and hidden files skipped); other files kept."""
    out: list[tuple[str, bytes]] = []
    for name, data in files:
        if data[:4] == b"PK\x03\x04" or name.lower().endswith(".zip"):
            try:
                with zipfile.ZipFile(io.BytesIO(data)) as archive:
                    for info in archive.infolist():
                        base = info.filename.rsplit("/", 1)[-1]
                        if (
                            info.is_dir()
                            or not base
                            or base.startswith(".")
                            or (info.filename.startswith("__MACOSX/"))
                        ):
                            continue
                        if info.file_size > reading.max_bytes():
                            out.append((info.filename, b""))  # reported as too large below
                            continue
                        out.append((info.filename, archive.read(info)))
            except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
                raise ValidationFailed(
                    "corrupt_file", _("The zip archive is damaged."), field="files"
                ) from None
        else:
            out.append((name, data))
        if sum(len(data) for _name, data in out) > MAX_BATCH_BYTES:
            raise ValidationFailed(
                "too_large", _("The batch is too large; split it into several."), field="files"
            )
        if len(out) > MAX_BATCH_FILES:
            raise ValidationFailed(
                "too_many_files",
                _("At most %(n)s files per batch.") % {"n": MAX_BATCH_FILES},
                field="files",
            )
    return out


def contract_batch_create(
    *,
    by: User,
    files: list[tuple[str, bytes]],
    project_id: Any = None,
    building_id: Any = None,
) -> ContractBatch:
    """Queue many files (or zip archives of them) to be archived and read in the background."""
    access.require(by, "contract.write")
    organization_id = access.org_id(by)
    if not files:
        raise ValidationFailed("required", _("Choose at least one file."), field="files")
    expanded = _expand(files)
    if not expanded:
        raise ValidationFailed("required", _("The archive holds no files."), field="files")
    place = _placement(by, project_id=project_id, building_id=building_id)
    with transaction.atomic():
        batch = ContractBatch.objects.create(
            organization_id=organization_id,
            project=place.project,
            building=place.building,
            total=len(expanded),
            created_by=by,
        )
        folder = batch_dir(batch.pk)
        folder.mkdir(parents=True, exist_ok=True)
        entries = []
        for index, (name, data) in enumerate(expanded):
            path = folder / f"{index:04d}"
            path.write_bytes(data)
            entries.append({"name": name[:255], "path": path.name, "state": "queued"})
        batch.files = entries
        batch.save(update_fields=["files"])
        audit.record(
            action="contract.batch_create",
            obj=batch,
            organization=organization_id,
            actor=by,
            changes={"total": [None, batch.total]},
        )
        from anzu.contracts import tasks

        batch_id = batch.pk
        transaction.on_commit(lambda: tasks.run_contract_batch(batch_id))
    return batch


def contract_batch_run(*, batch_id: int) -> ContractBatch:
    """Archive and read the files of a queued batch, one by one, counting progress."""
    claimed = ContractBatch.objects.filter(pk=batch_id, status=BatchStatus.QUEUED).update(
        status=BatchStatus.RUNNING
    )
    batch = ContractBatch.objects.select_related("created_by").get(pk=batch_id)
    if not claimed:
        return batch
    folder = batch_dir(batch_id)
    entries = list(batch.files)
    for entry in entries:
        error: dict[str, str] | None = None
        try:
            data = (folder / entry["path"]).read_bytes()
            if not data:
                raise ValidationFailed("too_large", _("The file is too large."), field="file")
            contract = contract_upload(
                by=batch.created_by,  # type: ignore[arg-type]
                file_bytes=data,
                filename=entry["name"],
                project_id=batch.project_id,
                building_id=batch.building_id,
                batch=batch,
                enqueue=False,
            )
            contract = contract_process(contract_id=contract.pk)
            if contract.status == ContractStatus.FAILED:
                code, _sep, message = contract.error.partition(": ")
                error = {"file": entry["name"], "code": code, "message": message or code}
        except DomainError as exc:
            error = {"file": entry["name"], "code": exc.code, "message": str(exc.message)}
        except OSError:
            logger.exception("batch %s: file %s", batch_id, entry["name"])
            error = {"file": entry["name"], "code": "internal_error", "message": "unreadable"}
        entry["state"] = "failed" if error else "done"
        if error:
            ContractBatch.objects.filter(pk=batch_id).update(failed=F("failed") + 1)
            batch.errors = [*batch.errors, error]
            ContractBatch.objects.filter(pk=batch_id).update(errors=batch.errors)
        else:
            ContractBatch.objects.filter(pk=batch_id).update(done=F("done") + 1)
    with transaction.atomic():
        batch.refresh_from_db()
        batch.status = BatchStatus.DONE if batch.done or not batch.total else BatchStatus.FAILED
        batch.files = entries
        batch.finished_at = clock.now()
        batch.save(update_fields=["status", "files", "finished_at"])
        audit.record(
            action="contract.batch_finish",
            obj=batch,
            organization=batch.organization_id,
            actor=None,
            changes={"done": [None, batch.done], "failed": [None, batch.failed]},
        )
    shutil.rmtree(folder, ignore_errors=True)
    return batch


# Audited reads of full contracts --------------------------------------------------------------


def contract_view_full(*, contract: Contract, by: User) -> str:
    """The full text (``contract.full``); every view is an audit event."""
    access.require(by, "contract.full")
    with transaction.atomic():
        audit.record(
            action="contract.view_full",
            obj=contract,
            organization=contract.organization_id,
            actor=by,
            changes={},
        )
    return contract.text


def contract_download(
    *, contract: Contract, by: User, what: str = "file"
) -> tuple[bytes, str, str]:
    """The original file or the review report PDF (``contract.full``); audited.

    Returns ``(content, content_type, filename)``.
    """
    from anzu.documents.services import document_content

    access.require(by, "contract.full")
    if what == "file":
        content = document_content(contract.document)
        content_type = contract.document.content_type
        name = contract.original_name or f"contract-{contract.pk}"
    elif what == "report":
        from anzu.contracts.presenters import report_pdf

        if contract.status != ContractStatus.READY:
            raise ValidationFailed("not_ready", _("The contract has not been read yet."))
        content = report_pdf(contract, by)
        content_type = "application/pdf"
        name = f"contract-{contract.pk}-review.pdf"
    else:
        raise ValidationFailed("invalid_choice", "what: file or report", field="what")
    with transaction.atomic():
        audit.record(
            action="contract.download",
            obj=contract,
            organization=contract.organization_id,
            actor=by,
            changes={"what": [None, what], "sha256": [None, contract.sha256]},
        )
    return content, content_type, name
