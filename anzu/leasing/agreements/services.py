"""Writes of lease agreements and their templates.

An agreement goes ``draft`` (PDF generated) → ``org_signed`` (PAdES signature of the
organization) → ``sent_for_signature`` (a flow on the e-signature platform) → ``signed`` /
``declined`` / ``expired``; it can be ``cancelled`` until it is closed. Every step is one
transaction with its audit event; calls to the platform happen outside transactions, retried
on 5xx/timeouts (:func:`anzu.integrations.esign.with_retries`) and made idempotent by the
agreement's ``idempotency_key``. Platform notifications are verified by the adapter before
anything is read from them, and applied once per notification id.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import IntegrityError, transaction

from anzu.common import clock
from anzu.common import validate as v
from anzu.common.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    NotFound,
    ValidationFailed,
)
from anzu.core import access, audit, counters
from anzu.core.models import Organization
from anzu.documents import versioning
from anzu.documents.choices import DocumentKind
from anzu.documents.services import document_archive, document_content
from anzu.integrations.base import ProviderError, RetryableError
from anzu.integrations.esign import (
    ORGANIZATION,
    CallbackEvent,
    EsignAdapter,
    FlowStart,
    SignatureError,
    Signer,
    Transactor,
    UnknownProvider,
    adapter_for,
    current_adapter,
    with_retries,
)
from anzu.integrations.esign import base as esign_base
from anzu.integrations.esign.config import esign_config
from anzu.leasing.agreements.choices import (
    OPEN_STATUSES,
    TRANSITIONS,
    AgreementStatus,
    DisputeResolution,
    Party,
    TemplateStatus,
)
from anzu.leasing.agreements.defaults import DEFAULT_BODY, DEFAULT_TITLE
from anzu.leasing.agreements.models import AgreementTemplate, LeaseAgreement
from anzu.leasing.agreements.placeholders import check_body

if TYPE_CHECKING:
    from anzu.core.models import User
    from anzu.leasing.models import Lease

logger = logging.getLogger(__name__)
T = TypeVar("T")

MAX_BODY = 40000
# The account of an e-signature transactor is a mainland mobile number.
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
NUMBER_PREFIX = "HT"
# Leases a contract can be generated for.
SIGNABLE_LEASE_STATUSES = frozenset({"draft", "pending_approval", "active"})
PROVIDER_STATES = {
    esign_base.SIGNED: AgreementStatus.SIGNED,
    esign_base.DECLINED: AgreementStatus.DECLINED,
    esign_base.EXPIRED: AgreementStatus.EXPIRED,
    esign_base.REVOKED: AgreementStatus.CANCELLED,
}
_TEMPLATE_FIELDS = (
    "title",
    "body",
    "lessor_credit_code",
    "lessor_address",
    "property_fee_payer",
    "utilities_payer",
    "deposit_return_days",
    "repair_response_hours",
    "dispute_resolution",
    "arbitration_body",
    "status",
    "version",
)


class CallbackRejected(DomainError):
    """A platform notification that does not verify: nothing is written."""

    status = 401


class ProviderFailed(DomainError):
    """The e-signature platform refused or could not be reached; nothing was changed."""

    status = 502


class UnknownFlow(DomainError):
    """A verified notification about a flow no agreement has: nothing is written."""

    status = 404

    def __init__(self, flow_id: str) -> None:
        super().__init__(
            "unknown_flow", f"No agreement has the signing flow {flow_id!r}.", field="flow_id"
        )


# Templates ------------------------------------------------------------------------------------


def agreement_templates_ensure_default(*, organization_id: int) -> None:
    """Create the default template (v1, published) for an organization that has none.

    Safe under concurrency: the unique (organization, version) key lets one writer win.
    """
    if AgreementTemplate.objects.filter(organization_id=organization_id).exists():
        return
    with transaction.atomic():
        template = AgreementTemplate(
            organization_id=organization_id,
            version=1,
            title=DEFAULT_TITLE,
            body=DEFAULT_BODY,
            status=TemplateStatus.PUBLISHED,
            published_at=clock.now(),
        )
        try:
            with transaction.atomic():
                template.save()
        except IntegrityError:
            return
        audit.record(
            action="agreement_template.create_default",
            obj=template,
            organization=organization_id,
            actor=None,
            changes={"version": [None, 1], "status": [None, "published"]},
        )


def published_template(*, organization_id: int) -> AgreementTemplate:
    agreement_templates_ensure_default(organization_id=organization_id)
    template = AgreementTemplate.objects.filter(
        organization_id=organization_id, status=TemplateStatus.PUBLISHED
    ).first()
    if template is None:
        raise ValidationFailed(
            "no_published_template", "No published contract template.", field="template"
        )
    return template


def clean_template(data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate a template version's fields; each error names its field. Nothing is written."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("invalid", "Expected an object.", field=None)
    cleaned: dict[str, Any] = {
        "title": v.text(data.get("title"), field="title", max_length=200),
        "body": v.text(data.get("body"), field="body", max_length=MAX_BODY),
        "lessor_credit_code": v.text(
            data.get("lessor_credit_code", ""),
            field="lessor_credit_code",
            max_length=18,
            required=False,
        ).upper(),
        "lessor_address": v.text(
            data.get("lessor_address", ""), field="lessor_address", max_length=300, required=False
        ),
        "property_fee_payer": v.choice(
            data.get("property_fee_payer", Party.LESSOR),
            field="property_fee_payer",
            choices=Party.choices,
        ),
        "utilities_payer": v.choice(
            data.get("utilities_payer", Party.LESSEE),
            field="utilities_payer",
            choices=Party.choices,
        ),
        "deposit_return_days": v.integer(
            data.get("deposit_return_days", 30), field="deposit_return_days", minimum=1, maximum=90
        ),
        "repair_response_hours": v.integer(
            data.get("repair_response_hours", 24),
            field="repair_response_hours",
            minimum=1,
            maximum=168,
        ),
        "dispute_resolution": v.choice(
            data.get("dispute_resolution", DisputeResolution.COURT),
            field="dispute_resolution",
            choices=DisputeResolution.choices,
        ),
        "arbitration_body": v.text(
            data.get("arbitration_body", ""),
            field="arbitration_body",
            max_length=200,
            required=False,
        ),
    }
    code = cleaned["lessor_credit_code"]
    if code and (len(code) != 18 or not code.isalnum()):
        raise ValidationFailed(
            "invalid",
            "A unified social credit code has 18 letters and digits.",
            field="lessor_credit_code",
        )
    if (
        cleaned["dispute_resolution"] == DisputeResolution.ARBITRATION
        and not cleaned["arbitration_body"]
    ):
        raise ValidationFailed(
            "required", "Name the arbitration commission.", field="arbitration_body"
        )
    check_body(cleaned["body"], field="body")
    return cleaned


def agreement_template_save(*, data: Mapping[str, Any], by: User) -> AgreementTemplate:
    """Save the organization's draft template (a new version when there is no draft).

    A published version is never changed. Bad fields or placeholders are refused naming the
    field; nothing is written.
    """
    access.require(by, "contract.full")
    organization_id = access.org_id(by)
    cleaned = clean_template(data)
    agreement_templates_ensure_default(organization_id=organization_id)
    return versioning.draft_save(
        AgreementTemplate,
        scope={"organization_id": organization_id},
        cleaned=cleaned,
        fields=_TEMPLATE_FIELDS,
        by=by,
        action="agreement_template",
        conflict_field="body",
    )


def agreement_template_publish(*, template: AgreementTemplate, by: User) -> AgreementTemplate:
    """Publish a draft; the version published before is retired. Agreements keep theirs."""
    access.require(by, "contract.full")
    if template.organization_id != access.org_id(by):
        raise NotFound("agreement template")
    return versioning.draft_publish(
        AgreementTemplate,
        template=template,
        scope={"organization_id": template.organization_id},
        by=by,
        action="agreement_template",
    )


# Agreements -----------------------------------------------------------------------------------


def _event(kind: str, *, status: str, by: Any = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "at": clock.now().isoformat(),
        "kind": kind,
        "status": status,
        "by": getattr(by, "username", "") if by is not None else "",
    }
    entry.update({k: val for k, val in extra.items() if val not in (None, "")})
    return entry


def _check_transition(agreement: LeaseAgreement, target: str) -> None:
    if target not in TRANSITIONS.get(agreement.status, frozenset()):
        raise IllegalTransition(current=agreement.status, target=target)


def _own(agreement: LeaseAgreement, by: User, capability: str) -> None:
    access.require(by, capability)
    if agreement.organization_id != access.org_id(by):
        raise NotFound("agreement")


def _locked(agreement: LeaseAgreement) -> LeaseAgreement:
    return LeaseAgreement.objects.select_for_update().get(pk=agreement.pk)


def _provider_call(call: Callable[[], T], *, what: str) -> T:
    cfg = esign_config()
    try:
        return with_retries(
            call, attempts=cfg.max_attempts, backoff_seconds=cfg.retry_backoff_seconds
        )
    except RetryableError as err:
        logger.warning("e-signature %s failed after retries: %s", what, err)
        raise ProviderFailed(
            "provider_unavailable",
            f"The e-signature platform could not be reached ({err}); nothing was changed, "
            "try again later.",
            field=None,
        ) from None
    except ProviderError as err:
        logger.warning("e-signature %s refused: %s", what, err)
        raise ProviderFailed(
            "provider_rejected",
            f"The e-signature platform refused the request ({err}); nothing was changed.",
            field=None,
        ) from None


def agreement_generate(*, lease: Lease, by: User) -> LeaseAgreement:
    """Generate the lease contract PDF from the published template (status ``draft``).

    One open agreement per lease: another open one is a 409 naming ``lease``.
    """
    from anzu.leasing.agreements.render import contract_pdf, contract_values
    from anzu.leasing.models import Lease as LeaseModel

    access.require(by, "lease.write")
    if lease.organization_id != access.org_id(by):
        raise NotFound("lease", field="lease")
    lease = LeaseModel.objects.select_related("project", "building", "unit", "customer").get(
        pk=lease.pk
    )
    if lease.status not in SIGNABLE_LEASE_STATUSES:
        raise ValidationFailed(
            "lease_not_signable",
            f"A {lease.status} lease gets no new contract.",
            field="lease",
        )
    if LeaseAgreement.objects.filter(lease=lease, status__in=OPEN_STATUSES).exists():
        raise Conflict(
            "open_agreement",
            "This lease already has an agreement in progress; cancel it first.",
            field="lease",
        )
    organization = Organization.objects.get(pk=lease.organization_id)
    template = published_template(organization_id=organization.pk)
    on = clock.today(organization.time_zone)
    try:
        with transaction.atomic():
            sequence = counters.next_value(
                organization_id=organization.pk, name=f"agreement-{on.year}"
            )
            number = f"{NUMBER_PREFIX}{on:%Y}-{sequence:06d}"
            values = contract_values(
                organization=organization, lease=lease, template=template, number=number, on=on
            )
            pdf = contract_pdf(title=template.title, body=template.body, values=values)
            with transaction.atomic():
                agreement = LeaseAgreement.objects.create(
                    organization=organization,
                    lease=lease,
                    template=template,
                    number=number,
                    status=AgreementStatus.DRAFT,
                    idempotency_key=f"anzu-{uuid.uuid4().hex}",
                    created_by=by,
                    context={
                        "template": {
                            "id": template.pk,
                            "version": template.version,
                            "title": template.title,
                        },
                        "lease_version": lease.version,
                        "date": on.isoformat(),
                    },
                )
            document = document_archive(
                organization_id=organization.pk,
                kind=DocumentKind.CONTRACT,
                title=f"{template.title} {number}（待签）",
                content=pdf,
                signed=False,
                related=agreement,
                by=by,
            )
            agreement.draft_document = document
            agreement.events = [_event("generated", status=AgreementStatus.DRAFT, by=by)]
            agreement.save(update_fields=["draft_document", "events"])
            audit.record(
                action="agreement.generate",
                obj=agreement,
                organization=organization.pk,
                actor=by,
                changes={
                    "lease": [None, lease.pk],
                    "number": [None, number],
                    "template_version": [None, template.version],
                    "document": [None, document.pk],
                },
            )
    except IntegrityError:
        raise Conflict(
            "open_agreement",
            "This lease already has an agreement in progress; cancel it first.",
            field="lease",
        ) from None
    return agreement


def agreement_sign_org(*, agreement: LeaseAgreement, by: User) -> LeaseAgreement:
    """Sign the generated PDF with the organization's key (PAdES; timestamped when a TSA is
    configured) and archive it by SHA-256."""
    from anzu.documents.pdf import sign_pdf

    _own(agreement, by, "lease.activate")
    with transaction.atomic():
        agreement = _locked(agreement)
        _check_transition(agreement, AgreementStatus.ORG_SIGNED)
        if agreement.draft_document is None:
            raise ValidationFailed("no_document", "The agreement has no PDF.", field="document")
        organization = Organization.objects.get(pk=agreement.organization_id)
        signed = sign_pdf(
            document_content(agreement.draft_document),
            organization=organization,
            reason=f"出租人签章 {agreement.number}",
            field_name="LessorSignature",
        )
        document = document_archive(
            organization_id=organization.pk,
            kind=DocumentKind.CONTRACT,
            title=f"{agreement.template.title} {agreement.number}（出租人已签章）",
            content=signed,
            signed=True,
            related=agreement,
            by=by,
        )
        now = clock.now()
        agreement.status = AgreementStatus.ORG_SIGNED
        agreement.document = document
        agreement.org_signed_at = now
        agreement.events = [
            *agreement.events,
            _event("org_signed", status=agreement.status, by=by, sha256=document.sha256),
        ]
        agreement.save(
            update_fields=["status", "document", "org_signed_at", "events", "updated_at"]
        )
        audit.record(
            action="agreement.sign_org",
            obj=agreement,
            organization=organization.pk,
            actor=by,
            changes={
                "status": [AgreementStatus.DRAFT, AgreementStatus.ORG_SIGNED],
                "document": [None, document.pk],
                "sha256": [None, document.sha256],
            },
        )
    return agreement


def _signer_of(
    agreement: LeaseAgreement, *, transactor_name: str = "", transactor_phone: str = ""
) -> Signer:
    """Who signs for the tenant. A company signs as an organization (its credit code) through a
    transactor (经办人) whose name and mobile the sender gives; a person signs with their own
    mobile. A missing or invalid value is a ``ValidationFailed`` naming it."""
    from anzu.leasing.choices import CustomerKind, IdType
    from anzu.leasing.idnumbers import uscc_problem

    customer = agreement.lease.customer
    if customer.kind == CustomerKind.COMPANY:
        if customer.id_type != IdType.USCC or not customer.id_number:
            raise ValidationFailed(
                "required",
                "A company tenant signs with its unified social credit code; the tenant has none.",
                field="id_number",
            )
        problem = uscc_problem(customer.id_number)
        if problem:
            raise ValidationFailed("invalid", problem, field="id_number")
        name = v.text(transactor_name, field="transactor_name", max_length=50, required=False)
        if not name:
            raise ValidationFailed(
                "required",
                "Enter the name of the person who signs for the company (transactor).",
                field="transactor_name",
            )
        phone = "".join(str(transactor_phone or "").split())
        if not phone:
            raise ValidationFailed(
                "required",
                "Enter the mobile number of the person who signs for the company (transactor).",
                field="transactor_phone",
            )
        if not _MOBILE.match(phone):
            raise ValidationFailed(
                "invalid",
                "The transactor's mobile number has 11 digits and starts with 1.",
                field="transactor_phone",
            )
        return Signer(
            name=customer.name,
            phone=customer.phone,
            id_number=customer.id_number,
            id_type=customer.id_type,
            kind=ORGANIZATION,
            transactor=Transactor(name=name, phone=phone),
        )
    if not customer.phone:
        raise ValidationFailed(
            "required",
            "The tenant has no mobile phone number; the signing platform needs one.",
            field="phone",
        )
    return Signer(
        name=customer.name,
        phone=customer.phone,
        id_number=customer.id_number,
        id_type=customer.id_type,
    )


def agreement_send(
    *,
    agreement: LeaseAgreement,
    by: User,
    transactor_name: str = "",
    transactor_phone: str = "",
) -> LeaseAgreement:
    """Send the organization-signed PDF to the tenant through the e-signature platform.

    A company tenant signs as an organization: ``transactor_name`` and ``transactor_phone`` name
    the person who signs for it (required then, ignored for a person). The platform is called
    outside any transaction (retried on 5xx/timeouts, idempotent by the agreement's key); the
    agreement changes only when the flow was created.
    """
    _own(agreement, by, "lease.write")
    agreement = LeaseAgreement.objects.select_related(
        "lease__customer", "document", "template"
    ).get(pk=agreement.pk)
    _check_transition(agreement, AgreementStatus.SENT_FOR_SIGNATURE)
    if agreement.document is None:
        raise ValidationFailed("no_document", "Sign the agreement first.", field="document")
    signer = _signer_of(
        agreement, transactor_name=transactor_name, transactor_phone=transactor_phone
    )
    pdf = document_content(agreement.document)
    adapter = current_adapter()
    started = _provider_call(
        lambda: adapter.create_flow(
            document=pdf,
            title=f"{agreement.template.title} {agreement.number}",
            signer=signer,
            callback_url=esign_config().esign_callback_url,
            idempotency_key=agreement.idempotency_key,
        ),
        what="create flow",
    )
    with transaction.atomic():
        agreement = _locked(agreement)
        if (
            agreement.status == AgreementStatus.SENT_FOR_SIGNATURE
            and agreement.provider == adapter.name
            and agreement.flow_id == started.flow_id
        ):
            return agreement  # a concurrent send recorded the same flow
        stray = agreement.status != AgreementStatus.ORG_SIGNED
        if not stray:
            _record_sent(agreement, adapter=adapter, started=started, signer=signer, by=by)
    if stray:
        # A concurrent send (or a cancellation) won: withdraw the flow this call created.
        try:
            adapter.revoke_flow(started.flow_id, reason="重复发起")
        except ProviderError as err:
            logger.warning(
                "agreement %s: stray flow %s not revoked: %s",
                agreement.number,
                started.flow_id,
                err,
            )
        raise IllegalTransition(current=agreement.status, target=AgreementStatus.SENT_FOR_SIGNATURE)
    return agreement


def _record_sent(
    agreement: LeaseAgreement,
    *,
    adapter: EsignAdapter,
    started: FlowStart,
    signer: Signer,
    by: User,
) -> None:
    agreement.status = AgreementStatus.SENT_FOR_SIGNATURE
    agreement.provider = adapter.name
    agreement.flow_id = started.flow_id
    agreement.signing_url = started.signing_url
    agreement.sent_at = clock.now()
    agreement.events = [
        *agreement.events,
        _event(
            "sent", status=agreement.status, by=by, provider=adapter.name, signer_kind=signer.kind
        ),
    ]
    try:
        with transaction.atomic():
            agreement.save(
                update_fields=[
                    "status",
                    "provider",
                    "flow_id",
                    "signing_url",
                    "sent_at",
                    "events",
                    "updated_at",
                ]
            )
    except IntegrityError:
        raise Conflict(
            "duplicate_flow", "The platform returned a flow already in use.", field="flow_id"
        ) from None
    audit.record(
        action="agreement.send",
        obj=agreement,
        organization=agreement.organization_id,
        actor=by,
        changes={
            "status": [AgreementStatus.ORG_SIGNED, AgreementStatus.SENT_FOR_SIGNATURE],
            "provider": [None, adapter.name],
            "flow_id": [None, started.flow_id],
            "signer_kind": [None, signer.kind],
        },
    )


def agreement_callback(
    *, provider_name: str, headers: Mapping[str, str], body: bytes
) -> LeaseAgreement:
    """Handle a platform notification: verify it, then apply it to the agreement of its flow.

    Unknown or disabled provider → 404; a signature, timestamp or body that does not verify →
    401; a flow no agreement has → 404 naming ``flow_id``. In each case nothing is written.
    """
    try:
        adapter = adapter_for(provider_name)
    except UnknownProvider:
        raise NotFound("e-signature provider") from None
    try:
        event = adapter.verify_callback(headers, body)
    except SignatureError as err:
        logger.warning("e-signature callback (%s) rejected: %s", provider_name, err)
        raise CallbackRejected(
            "invalid_signature" if err.code != "timestamp" else "stale_timestamp",
            "The notification does not verify."
            if err.code != "timestamp"
            else "The notification's timestamp is outside the allowed window.",
        ) from None
    agreement = LeaseAgreement.objects.filter(provider=adapter.name, flow_id=event.flow_id).first()
    if agreement is None:
        logger.warning(
            "e-signature callback (%s) for unknown flow %r", provider_name, event.flow_id
        )
        raise UnknownFlow(event.flow_id)
    return agreement_apply_event(agreement=agreement, event=event, source="callback")


def agreement_apply_event(
    *, agreement: LeaseAgreement, event: CallbackEvent, source: str, by: User | None = None
) -> LeaseAgreement:
    """Apply a verified platform statement (idempotent per ``event.event_id``).

    A closing state moves an agreement that is out for signature; anything else is recorded
    on the timeline only. When the tenant signed, the signed PDF is fetched after the commit.
    """
    fetch = False
    with transaction.atomic():
        agreement = _locked(agreement)
        if any(e.get("event_id") == event.event_id for e in agreement.events):
            return agreement
        target = PROVIDER_STATES.get(event.state)
        before = agreement.status
        applied = (
            target is not None
            and agreement.status == AgreementStatus.SENT_FOR_SIGNATURE
            and target in TRANSITIONS[agreement.status]
        )
        now = clock.now()
        if applied:
            assert target is not None
            agreement.status = target
            agreement.closed_at = now
            if target == AgreementStatus.SIGNED:
                agreement.signed_at = now
                fetch = True
        agreement.events = [
            *agreement.events,
            _event(
                "provider",
                status=agreement.status,
                by=by,
                source=source,
                event_id=event.event_id,
                state=event.state,
                action=event.action,
                detail=event.detail[:200],
                ignored=None if applied or target is None else True,
            ),
        ]
        agreement.save(update_fields=["status", "closed_at", "signed_at", "events", "updated_at"])
        audit.record(
            action="agreement.provider_event",
            obj=agreement,
            organization=agreement.organization_id,
            actor=by,
            changes={
                "status": [before, agreement.status],
                "event_id": [None, event.event_id],
                "state": [None, event.state],
                "source": [None, source],
            },
        )
        if fetch:
            from anzu.leasing.agreements import tasks

            agreement_id = agreement.pk
            transaction.on_commit(lambda: tasks.fetch_signed(agreement_id))
    return agreement


def agreement_refresh(*, agreement: LeaseAgreement, by: User | None) -> LeaseAgreement:
    """Ask the platform for the flow's state (when a notification was missed) and apply it.

    ``by=None`` is the system (the periodic poll of open flows).
    """
    if by is not None:
        _own(agreement, by, "lease.write")
    if agreement.status != AgreementStatus.SENT_FOR_SIGNATURE:
        raise IllegalTransition(current=agreement.status, target=AgreementStatus.SIGNED)
    adapter = _adapter_of(agreement)
    status = _provider_call(lambda: adapter.get_status(agreement.flow_id), what="status")
    event = CallbackEvent(
        flow_id=agreement.flow_id,
        state=status.state,
        event_id=f"poll:{status.state}",
        action="POLL",
        detail=status.detail,
    )
    if status.state == esign_base.IN_PROGRESS:
        return agreement
    return agreement_apply_event(agreement=agreement, event=event, source="poll", by=by)


def agreements_poll(*, older_than_hours: int = 1, limit: int = 500) -> int:
    """Refresh the agreements out for signature longer than ``older_than_hours`` (a missed
    notification, or a flow that expired); returns how many changed. Platform failures of one
    agreement are logged and do not stop the others."""
    cfg = esign_config()
    cutoff = clock.now() - dt.timedelta(hours=older_than_hours)
    ids = list(
        LeaseAgreement.objects.filter(
            status=AgreementStatus.SENT_FOR_SIGNATURE, provider=cfg.provider, sent_at__lt=cutoff
        )
        .order_by("sent_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    changed = 0
    for agreement in LeaseAgreement.objects.filter(pk__in=ids).order_by("sent_at", "id"):
        try:
            if agreement_refresh(agreement=agreement, by=None).status != agreement.status:
                changed += 1
        except DomainError as err:
            logger.warning("agreement %s: poll failed: %s", agreement.number, err.message)
    return changed


def _adapter_of(agreement: LeaseAgreement) -> EsignAdapter:
    try:
        return adapter_for(agreement.provider)
    except UnknownProvider:
        raise ValidationFailed(
            "provider_disabled",
            f"The agreement was sent through {agreement.provider}, which is not configured.",
            field="provider",
        ) from None


def signed_pdf_check(pdf: bytes, *, organization: Organization) -> list[dict[str, Any]]:
    """Every signature of ``pdf``: field, signer, intact, and trusted against the organization's
    root (the tenant's signature is trusted by the platform's CA, not ours)."""
    import io

    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    from anzu.documents.pki import identity_for, load_root

    root = load_root(identity_for(organization))
    try:
        signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    except Exception as exc:
        raise ValidationFailed("invalid_pdf", f"Unreadable PDF: {exc}", field="document") from None
    report = []
    for embedded in signatures:
        try:
            status = validate_pdf_signature(embedded, ValidationContext(trust_roots=[root]))
            report.append(
                {
                    "field": embedded.field_name,
                    "signer": status.signing_cert.subject.human_friendly
                    if status.signing_cert
                    else "",
                    "intact": bool(status.intact),
                    "valid": bool(status.valid),
                    "trusted": bool(status.trusted),
                }
            )
        except Exception as exc:
            report.append(
                {
                    "field": embedded.field_name,
                    "signer": "",
                    "intact": False,
                    "valid": False,
                    "trusted": False,
                    "error": str(exc)[:200],
                }
            )
    return report


def agreement_signatures(*, agreement: LeaseAgreement, document: Any) -> list[dict[str, Any]]:
    """The signature report of one of the agreement's archived PDFs (read-only)."""
    organization = Organization.objects.get(pk=agreement.organization_id)
    return signed_pdf_check(document_content(document), organization=organization)


def agreement_fetch_signed(*, agreement: LeaseAgreement, by: User | None = None) -> LeaseAgreement:
    """Download the PDF signed by both parties and archive it (idempotent).

    The file is refused unless the organization's signature in it is intact and trusted and at
    least one more signature follows it.
    """
    if by is not None:
        _own(agreement, by, "lease.write")
    agreement = LeaseAgreement.objects.get(pk=agreement.pk)
    if agreement.status != AgreementStatus.SIGNED:
        raise ValidationFailed(
            "not_signed", "The tenant has not signed this agreement.", field="status"
        )
    if agreement.signed_document_id is not None:
        return agreement
    adapter = _adapter_of(agreement)
    pdf = _provider_call(lambda: adapter.download_signed(agreement.flow_id), what="download")
    organization = Organization.objects.get(pk=agreement.organization_id)
    report = signed_pdf_check(pdf, organization=organization)
    lessor = next((s for s in report if s["field"] == "LessorSignature"), None)
    if lessor is None or not (lessor["intact"] and lessor["trusted"]) or len(report) < 2:
        logger.error("agreement %s: signed PDF fails the check: %s", agreement.number, report)
        raise ValidationFailed(
            "signature_broken",
            "The signed PDF from the platform does not keep the organization's signature intact.",
            field="signed_document",
        )
    with transaction.atomic():
        agreement = _locked(agreement)
        if agreement.signed_document_id is not None:
            return agreement
        document = document_archive(
            organization_id=agreement.organization_id,
            kind=DocumentKind.CONTRACT,
            title=f"{agreement.template.title} {agreement.number}（双方已签署）",
            content=pdf,
            signed=True,
            related=agreement,
            by=by,
        )
        agreement.signed_document = document
        agreement.events = [
            *agreement.events,
            _event(
                "signed_document",
                status=agreement.status,
                by=by,
                sha256=document.sha256,
                signatures=len(report),
            ),
        ]
        agreement.save(update_fields=["signed_document", "events", "updated_at"])
        audit.record(
            action="agreement.fetch_signed",
            obj=agreement,
            organization=agreement.organization_id,
            actor=by,
            changes={"signed_document": [None, document.pk], "sha256": [None, document.sha256]},
        )
    return agreement


def agreement_cancel(*, agreement: LeaseAgreement, reason: str, by: User) -> LeaseAgreement:
    """Cancel an open agreement; a flow out for signature is revoked on the platform first."""
    _own(agreement, by, "lease.write")
    reason = v.text(reason, field="reason", max_length=300)
    _check_transition(agreement, AgreementStatus.CANCELLED)
    if agreement.status == AgreementStatus.SENT_FOR_SIGNATURE:
        adapter = _adapter_of(agreement)
        _provider_call(lambda: adapter.revoke_flow(agreement.flow_id, reason=reason), what="revoke")
    with transaction.atomic():
        agreement = _locked(agreement)
        before = agreement.status
        _check_transition(agreement, AgreementStatus.CANCELLED)
        agreement.status = AgreementStatus.CANCELLED
        agreement.cancel_reason = reason
        agreement.closed_at = clock.now()
        agreement.events = [
            *agreement.events,
            _event("cancelled", status=agreement.status, by=by, reason=reason),
        ]
        agreement.save(
            update_fields=["status", "cancel_reason", "closed_at", "events", "updated_at"]
        )
        audit.record(
            action="agreement.cancel",
            obj=agreement,
            organization=agreement.organization_id,
            actor=by,
            changes={"status": [before, AgreementStatus.CANCELLED], "reason": [None, reason]},
        )
    return agreement


def agreement_record_download(*, agreement: LeaseAgreement, which: str, by: User) -> None:
    """Every view or download of a contract's full text is an audit event."""
    with transaction.atomic():
        audit.record(
            action="agreement.download",
            obj=agreement,
            organization=agreement.organization_id,
            actor=by,
            changes={"document": [None, which]},
        )
