"""Organization signature, the sandbox platform end to end, callbacks and the state machine."""

from __future__ import annotations

import hashlib
import io
import json
import shutil

import pytest
from pypdf import PdfReader

from anzu.common.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from anzu.core.models import AuditEvent
from anzu.documents.models import Document
from anzu.documents.pdf import verify_pdf
from anzu.documents.services import document_content
from anzu.integrations.esign.sandbox import SIGNATURE_HEADER, SandboxEsignAdapter
from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import LeaseAgreement
from anzu.leasing.agreements.tests.conftest import client_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]
CALLBACK = "/api/v1/esign/callback/sandbox"


@pytest.fixture
def signed_by_org(lease, manager):
    agreement = services.agreement_generate(lease=lease, by=manager)
    return services.agreement_sign_org(agreement=agreement, by=manager)


@pytest.fixture
def sent(signed_by_org, manager):
    return services.agreement_send(agreement=signed_by_org, by=manager)


def sandbox(settings) -> SandboxEsignAdapter:
    return SandboxEsignAdapter(settings.ESIGN)


def state(agreement) -> tuple:
    fresh = LeaseAgreement.objects.get(pk=agreement.pk)
    return (fresh.status, len(fresh.events), fresh.signed_document_id)


def post_callback(client, headers, body):
    extra = {
        f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items() if k != "Content-Type"
    }
    return client.post(CALLBACK, body, content_type="application/json", **extra)


# Organization signature -----------------------------------------------------------------------


def test_org_signature_validates_and_a_one_byte_change_breaks_it(signed_by_org, org):
    doc = signed_by_org.document
    pdf = document_content(doc)
    assert signed_by_org.status == "org_signed"
    assert (doc.signed, doc.sha256) == (True, hashlib.sha256(pdf).hexdigest())
    check = verify_pdf(pdf, organization=org)
    assert (check.signed, check.intact, check.valid, check.trusted, check.bottom_line) == (
        True,
        True,
        True,
        True,
        True,
    )
    position = pdf.index(b"stream") + 40
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    broken = verify_pdf(tampered, organization=org)
    assert broken.intact is False
    assert broken.bottom_line is False
    assert AuditEvent.objects.filter(action="agreement.sign_org").count() == 1


def test_signing_for_the_organization_needs_lease_activate(lease, manager, org):
    from anzu.common.testing import make_user

    finance = make_user(org, "finance", username="cashier")
    agreement = services.agreement_generate(lease=lease, by=finance)
    with pytest.raises(PermissionDenied):
        services.agreement_sign_org(agreement=agreement, by=finance)
    assert state(agreement)[0] == "draft"


# State machine --------------------------------------------------------------------------------


def test_illegal_transitions_are_refused_and_change_nothing(lease, manager, settings):
    agreement = services.agreement_generate(lease=lease, by=manager)
    before = (state(agreement), AuditEvent.objects.count(), Document.objects.count())
    with pytest.raises(IllegalTransition) as exc:
        services.agreement_send(agreement=agreement, by=manager)  # not signed by the org yet
    assert exc.value.extra == {"current": "draft", "target": "sent_for_signature"}
    with pytest.raises(ValidationFailed):
        services.agreement_fetch_signed(agreement=agreement, by=manager)
    with pytest.raises(IllegalTransition):
        services.agreement_refresh(agreement=agreement, by=manager)
    assert (state(agreement), AuditEvent.objects.count(), Document.objects.count()) == before
    agreement = services.agreement_sign_org(agreement=agreement, by=manager)
    with pytest.raises(IllegalTransition):
        services.agreement_sign_org(agreement=agreement, by=manager)  # twice
    services.agreement_cancel(agreement=agreement, reason="条款需修改", by=manager)
    for call in (
        lambda: services.agreement_send(agreement=agreement, by=manager),
        lambda: services.agreement_cancel(agreement=agreement, reason="again", by=manager),
    ):
        with pytest.raises(IllegalTransition):
            call()
    assert state(agreement)[0] == "cancelled"


def test_one_open_agreement_per_lease(lease, manager):
    first = services.agreement_generate(lease=lease, by=manager)
    with pytest.raises(Conflict) as exc:
        services.agreement_generate(lease=lease, by=manager)
    assert (exc.value.code, exc.value.field) == ("open_agreement", "lease")
    assert LeaseAgreement.objects.count() == 1
    services.agreement_cancel(agreement=first, reason="重新生成", by=manager)
    second = services.agreement_generate(lease=lease, by=manager)
    assert second.number == "HT2026-000002"


def test_cancel_needs_a_reason(lease, manager):
    agreement = services.agreement_generate(lease=lease, by=manager)
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_cancel(agreement=agreement, reason="  ", by=manager)
    assert exc.value.field == "reason"
    assert state(agreement)[0] == "draft"


def test_sending_needs_the_tenants_phone(signed_by_org, manager, portfolio):
    customer = portfolio["customer"]
    customer.phone = ""
    customer.save(update_fields=["phone"])
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_send(agreement=signed_by_org, by=manager)
    assert exc.value.field == "phone"
    assert state(signed_by_org)[0] == "org_signed"


# Company tenants ------------------------------------------------------------------------------


@pytest.fixture
def company_signed_by_org(company_lease, manager):
    agreement = services.agreement_generate(lease=company_lease, by=manager)
    return services.agreement_sign_org(agreement=agreement, by=manager)


def sandbox_flows(settings) -> list:
    from anzu.integrations.esign.sandbox import sandbox_root

    root = sandbox_root()
    return sorted(p.name for p in root.glob("SANDBOX-*")) if root.exists() else []


@pytest.mark.parametrize(
    ("customer_changes", "transactor", "field", "code"),
    [
        ({}, {"transactor_phone": "13900001111"}, "transactor_name", "required"),
        (
            {},
            {"transactor_name": "   ", "transactor_phone": "13900001111"},
            "transactor_name",
            "required",
        ),
        (
            {},
            {"transactor_name": "王" * 51, "transactor_phone": "13900001111"},
            "transactor_name",
            "too_long",
        ),
        ({}, {"transactor_name": "王经办"}, "transactor_phone", "required"),
        (
            {},
            {"transactor_name": "王经办", "transactor_phone": "021-12345678"},
            "transactor_phone",
            "invalid",
        ),
        (
            {},
            {"transactor_name": "王经办", "transactor_phone": "1390000111"},
            "transactor_phone",
            "invalid",
        ),
        (
            {"id_number": "91350100M000100Y44"},
            {"transactor_name": "王经办", "transactor_phone": "13900001111"},
            "id_number",
            "invalid",
        ),
        (
            {"id_number": "9135"},
            {"transactor_name": "王经办", "transactor_phone": "13900001111"},
            "id_number",
            "invalid",
        ),
        (
            {"id_type": "resident_id"},
            {"transactor_name": "王经办", "transactor_phone": "13900001111"},
            "id_number",
            "required",
        ),
    ],
)
def test_a_company_needs_a_credit_code_and_a_transactor_and_nothing_is_sent_or_stored(
    company_signed_by_org, manager, company, settings, customer_changes, transactor, field, code
):
    from anzu.leasing.models import Customer

    if customer_changes:
        Customer.objects.filter(pk=company.pk).update(**customer_changes)
    before = (
        LeaseAgreement.objects.get(pk=company_signed_by_org.pk).events,
        AuditEvent.objects.count(),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_send(agreement=company_signed_by_org, by=manager, **transactor)
    assert (exc.value.field, exc.value.code) == (field, code)
    fresh = LeaseAgreement.objects.get(pk=company_signed_by_org.pk)
    assert (fresh.status, fresh.provider, fresh.flow_id, fresh.sent_at) == (
        "org_signed",
        "",
        "",
        None,
    )
    assert (fresh.events, AuditEvent.objects.count()) == before
    assert sandbox_flows(settings) == []  # nothing reached the platform


def test_a_person_ignores_the_transactor(signed_by_org, manager, settings):
    agreement = services.agreement_send(
        agreement=signed_by_org, by=manager, transactor_name="无关", transactor_phone="x"
    )
    flow = sandbox(settings).flow(agreement.flow_id)
    assert (flow["signer_kind"], flow["transactor_name"]) == ("person", "")
    assert agreement.events[-1]["signer_kind"] == "person"


def test_a_company_signs_as_an_organization_in_the_sandbox(
    company_signed_by_org, manager, company, settings, django_capture_on_commit_callbacks
):
    from anzu.common.testing import make_tenant

    agreement = services.agreement_send(
        agreement=company_signed_by_org,
        by=manager,
        transactor_name="王经办",
        transactor_phone="13900001111",
    )
    flow = sandbox(settings).flow(agreement.flow_id)
    assert (flow["signer_name"], flow["signer_kind"], flow["transactor_name"]) == (
        "上海某科技有限公司",
        "organization",
        "王经办",
    )
    assert "13900001111" not in json.dumps(flow)  # the sandbox keeps no phone number
    client = client_for(make_tenant(company, username="acme"))
    page = client.get(agreement.signing_url).content.decode()
    assert '<dd id="flow-signer">上海某科技有限公司</dd>' in page
    assert '<dd id="flow-signer-kind">机构（企业盖章）</dd>' in page
    assert '<dd id="flow-transactor">王经办</dd>' in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(agreement.signing_url, {"outcome": "sign"})
    fresh = LeaseAgreement.objects.get(pk=agreement.pk)
    assert fresh.status == "signed"
    assert fresh.signed_document is not None


def test_the_detail_page_asks_for_the_transactor_of_a_company(
    company_signed_by_org, manager, settings
):
    web = client_for(manager)
    url = f"/leasing/agreements/{company_signed_by_org.pk}/"
    page = web.get(url).content.decode()
    assert 'id="send-company"' in page and 'name="transactor_phone"' in page
    res = web.post(
        f"{url}send/", {"transactor_name": "王经办", "transactor_phone": "139"}, follow=True
    )
    assert "经办人手机号码为 11 位数字，以 1 开头。" in res.content.decode()
    assert LeaseAgreement.objects.get(pk=company_signed_by_org.pk).status == "org_signed"
    web.post(f"{url}send/", {"transactor_name": "王经办", "transactor_phone": "13900001111"})
    fresh = LeaseAgreement.objects.get(pk=company_signed_by_org.pk)
    assert fresh.status == "sent_for_signature"
    assert sandbox(settings).flow(fresh.flow_id)["transactor_name"] == "王经办"


def test_the_api_takes_the_transactor(company_signed_by_org, manager):
    api = client_for(manager)
    url = f"/api/v1/agreements/{company_signed_by_org.pk}/send"
    res = api.post(url, {"transactor_name": "王经办"}, content_type="application/json")
    assert res.status_code == 422
    assert (res.json()["code"], res.json()["field"]) == ("required", "transactor_phone")
    res = api.post(
        url,
        {"transactor_name": "王经办", "transactor_phone": "13900001111"},
        content_type="application/json",
    )
    assert res.status_code == 200
    assert (res.json()["status"], res.json()["customer_kind"]) == (
        "sent_for_signature",
        "company",
    )


# The sandbox end to end -----------------------------------------------------------------------


def test_tenant_signs_in_the_sandbox_and_the_signed_pdf_is_archived(
    sent, tenant, org, settings, django_capture_on_commit_callbacks
):
    assert sent.status == "sent_for_signature"
    assert (sent.provider, sent.signing_url) == (
        "sandbox",
        f"/leasing/agreements/sandbox/{sent.flow_id}/",
    )
    client = client_for(tenant)
    page = client.get(sent.signing_url)
    assert page.status_code == 200
    assert "沙箱" in page.content.decode() or "Sandbox" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(sent.signing_url, {"outcome": "sign"})
    assert res.status_code == 302
    agreement = LeaseAgreement.objects.get(pk=sent.pk)
    assert agreement.status == "signed"
    assert agreement.signed_document is not None
    signed = document_content(agreement.signed_document)
    # The organization's signature is kept intact, the tenant's follows it.
    report = services.signed_pdf_check(signed, organization=org)
    assert [s["field"] for s in report] == ["LessorSignature", "TenantSignature"]
    assert report[0]["intact"] and report[0]["trusted"]
    assert report[1]["intact"] and not report[1]["trusted"]  # the sandbox CA is not ours
    assert "Sandbox" in report[1]["signer"] or "沙箱" in report[1]["signer"]
    assert signed.startswith(document_content(agreement.document))  # an incremental update
    assert len(PdfReader(io.BytesIO(signed)).pages) == len(
        PdfReader(io.BytesIO(document_content(agreement.document))).pages
    )
    assert [e["kind"] for e in agreement.events] == [
        "generated",
        "org_signed",
        "sent",
        "provider",
        "signed_document",
    ]
    actions = list(
        AuditEvent.objects.filter(
            object_id=str(agreement.pk), object_type="agreements.leaseagreement"
        )
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "agreement.generate",
        "agreement.sign_org",
        "agreement.send",
        "agreement.provider_event",
        "agreement.fetch_signed",
    ]


def test_tenant_declines_in_the_sandbox(sent, tenant):
    client = client_for(tenant)
    res = client.post(sent.signing_url, {"outcome": "decline"}, follow=True)
    assert res.status_code == 200
    assert 'id="sandbox-banner"' in res.content.decode()
    agreement = LeaseAgreement.objects.get(pk=sent.pk)
    assert (agreement.status, agreement.signed_document_id) == ("declined", None)
    assert agreement.closed_at is not None
    # Posting again changes nothing.
    client.post(sent.signing_url, {"outcome": "sign"})
    assert LeaseAgreement.objects.get(pk=sent.pk).status == "declined"


def test_sending_twice_reuses_the_flow(sent, manager):
    assert state(sent)[0] == "sent_for_signature"
    with pytest.raises(IllegalTransition):
        services.agreement_send(agreement=sent, by=manager)
    assert LeaseAgreement.objects.get(pk=sent.pk).flow_id == sent.flow_id


def test_another_tenant_cannot_open_the_sandbox_page(sent, portfolio):
    from anzu.common.testing import CustomerFactory, make_tenant

    stranger = make_tenant(CustomerFactory(organization=portfolio["customer"].organization))
    assert client_for(stranger).get(sent.signing_url).status_code == 404
    assert client_for(stranger).post(sent.signing_url, {"outcome": "sign"}).status_code == 404
    assert state(sent)[0] == "sent_for_signature"


# Callbacks ------------------------------------------------------------------------------------


def test_callback_with_a_bad_signature_is_401_and_changes_nothing(sent, settings):
    adapter = sandbox(settings)
    headers, body = adapter.notification(sent.flow_id, state="signed")
    headers[SIGNATURE_HEADER] = headers[SIGNATURE_HEADER][:-4] + "0000"
    before = (state(sent), AuditEvent.objects.count())
    res = post_callback(client_for_anonymous(), headers, body)
    assert res.status_code == 401
    assert res.json()["code"] == "invalid_signature"
    assert (state(sent), AuditEvent.objects.count()) == before


def test_callback_with_a_tampered_body_is_401(sent, settings):
    headers, body = sandbox(settings).notification(sent.flow_id, state="declined")
    body = body.replace(b"declined", b"signed\x20\x20")
    assert post_callback(client_for_anonymous(), headers, body).status_code == 401
    assert state(sent)[0] == "sent_for_signature"


def test_callback_with_an_old_timestamp_is_refused(sent, settings, frozen):
    headers, body = sandbox(settings).notification(sent.flow_id, state="signed")
    frozen.shift(3600)  # an hour later somebody replays it
    res = post_callback(client_for_anonymous(), headers, body)
    assert res.status_code == 401
    assert res.json()["code"] == "stale_timestamp"
    assert state(sent)[0] == "sent_for_signature"


def test_a_replayed_callback_is_applied_once(sent, settings, django_capture_on_commit_callbacks):
    adapter = sandbox(settings)
    adapter.simulate(sent.flow_id, accept=False)
    headers, body = adapter.notification(sent.flow_id, state="declined")
    client = client_for_anonymous()
    assert post_callback(client, headers, body).status_code == 200
    after_first = (state(sent), AuditEvent.objects.count())
    assert post_callback(client, headers, body).status_code == 200
    assert (state(sent), AuditEvent.objects.count()) == after_first
    assert after_first[0][0] == "declined"


def test_callback_for_an_unknown_flow_is_a_clear_404(sent, settings):
    headers, body = sandbox(settings).notification("SANDBOX-" + "0" * 32, state="signed")
    before = (state(sent), AuditEvent.objects.count())
    res = post_callback(client_for_anonymous(), headers, body)
    assert res.status_code == 404
    assert res.json()["code"] == "unknown_flow"
    assert res.json()["field"] == "flow_id"
    assert (state(sent), AuditEvent.objects.count()) == before


def test_callback_of_a_provider_that_is_not_configured_is_404(sent, settings):
    _headers, body = sandbox(settings).notification(sent.flow_id, state="signed")
    res = client_for_anonymous().post(
        "/api/v1/esign/callback/esign_cn", body, content_type="application/json"
    )
    assert res.status_code == 404
    assert state(sent)[0] == "sent_for_signature"


def test_a_late_signed_notice_after_cancellation_changes_nothing(sent, manager, settings):
    services.agreement_cancel(agreement=sent, reason="租客放弃", by=manager)
    headers, body = sandbox(settings).notification(sent.flow_id, state="signed")
    assert post_callback(client_for_anonymous(), headers, body).status_code == 200
    agreement = LeaseAgreement.objects.get(pk=sent.pk)
    assert agreement.status == "cancelled"
    assert agreement.events[-1]["ignored"] is True
    # The sandbox flow was revoked on the platform side too.
    assert sandbox(settings).get_status(sent.flow_id).state == "revoked"


def test_refresh_applies_the_platform_state(sent, manager, settings):
    sandbox(settings).simulate(sent.flow_id, accept=False)  # the notice got lost
    agreement = services.agreement_refresh(agreement=sent, by=manager)
    assert agreement.status == "declined"
    assert agreement.events[-1]["source"] == "poll"


def client_for_anonymous():
    from django.test import Client

    return Client(enforce_csrf_checks=True)


def test_callback_body_must_be_json(sent, settings):
    adapter = sandbox(settings)
    body = b"not json"
    timestamp = int(__import__("time").time())
    headers = {SIGNATURE_HEADER: f"t={timestamp},v1={adapter.signature(timestamp, body)}"}
    res = post_callback(client_for_anonymous(), headers, body)
    assert res.status_code == 401
    assert json.loads(res.content)["code"] == "invalid_signature"


def test_sandbox_flow_creation_is_idempotent_by_key(home, settings):
    from anzu.integrations.base import PermanentError
    from anzu.integrations.esign import Signer

    adapter = sandbox(settings)
    signer = Signer(name="李雷", phone="13800000000", id_number="310101199005170005")
    first = adapter.create_flow(
        document=b"%PDF-1 first", title="合同", signer=signer, callback_url="", idempotency_key="k1"
    )
    again = adapter.create_flow(
        document=b"%PDF-1 other", title="合同", signer=signer, callback_url="", idempotency_key="k1"
    )
    other = adapter.create_flow(
        document=b"%PDF-1 first", title="合同", signer=signer, callback_url="", idempotency_key="k2"
    )
    assert first == again
    assert other.flow_id != first.flow_id
    assert adapter.document(first.flow_id) == b"%PDF-1 first"
    assert adapter.get_status(first.flow_id).state == "in_progress"
    with pytest.raises(PermanentError) as exc:
        adapter.download_signed(first.flow_id)
    assert exc.value.code == "not_signed"
    with pytest.raises(PermanentError) as exc:
        adapter.get_status("../../etc")
    assert exc.value.code == "unknown_flow"


def test_the_hourly_poll_applies_missed_notices_and_expiry(
    lease, manager, portfolio, settings, frozen
):
    from anzu.leasing.agreements import tasks
    from anzu.leasing.agreements.tests.conftest import make_lease

    first = services.agreement_generate(lease=lease, by=manager)
    first = services.agreement_send(
        agreement=services.agreement_sign_org(agreement=first, by=manager), by=manager
    )
    other_lease = make_lease(portfolio["u2"], portfolio["customer"])
    second = services.agreement_generate(lease=other_lease, by=manager)
    second = services.agreement_send(
        agreement=services.agreement_sign_org(agreement=second, by=manager), by=manager
    )
    sandbox(settings).simulate(first.flow_id, accept=False)  # its notice never arrived
    assert services.agreements_poll() == 0  # sent less than an hour ago: left alone
    frozen.shift(2 * 3600)
    assert tasks.poll_open_agreements.call_local() == 1
    assert state(first)[0] == "declined"
    assert state(second)[0] == "sent_for_signature"
    frozen.shift(15 * 86400)  # past ANZU_ESIGN_SIGN_DAYS (14)
    assert services.agreements_poll() == 1
    second = LeaseAgreement.objects.get(pk=second.pk)
    assert second.status == "expired"
    assert second.events[-1]["source"] == "poll"
    assert AuditEvent.objects.filter(action="agreement.provider_event", actor=None).count() == 2
