"""The e签宝 (esign.cn v3) adapter against a local fake server, and its callback end to end."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import shutil
import time

import pytest
from werkzeug import Request, Response

from anzu.common import clock
from anzu.common.env import ConfigError
from anzu.core.models import AuditEvent
from anzu.documents.services import document_content
from anzu.integrations.base import PermanentError, RetryableError
from anzu.integrations.esign import Signer, with_retries
from anzu.integrations.esign import config as esign_config_module
from anzu.integrations.esign.esigncn import EsignCnAdapter, callback_signature
from anzu.integrations.esign.sandbox import sandbox_sign_pdf
from anzu.leasing.agreements import services
from anzu.leasing.agreements.models import LeaseAgreement
from anzu.leasing.agreements.services import ProviderFailed
from anzu.leasing.agreements.tests.conftest import COMPANY_USCC, use_esign

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed"),
]
APP_ID = "7438000001"
SECRET = "a3f1c2d4e5b60718293a4b5c6d7e8f90"
FLOW = "d2f0b3c1e7a94f5e8c6b0a1d2e3f4a5b"
CALLBACK = "/api/v1/esign/callback/esign_cn"


def check_gateway_signature(request: Request) -> None:
    """What the e签宝 gateway checks, computed independently of the adapter."""
    body = request.get_data()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode() if body else ""
    assert request.headers.get("Content-MD5", "") == md5
    assert request.headers["X-Tsign-Open-App-Id"] == APP_ID
    assert request.headers["X-Tsign-Open-Auth-Mode"] == "Signature"
    sent_ms = int(request.headers["X-Tsign-Open-Ca-Timestamp"])
    assert abs(sent_ms / 1000 - clock.now().timestamp()) < 60
    path = request.path
    if request.query_string:
        path += "?" + "&".join(sorted(request.query_string.decode().split("&")))
    message = "\n".join(
        [
            request.method,
            request.headers["Accept"],
            md5,
            request.headers["Content-Type"],
            "",
            path,
        ]
    )
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).digest()
    ).decode()
    assert request.headers["X-Tsign-Open-Ca-Signature"] == expected


class FakeEsign:
    """The parts of e签宝's open API v3 the adapter uses."""

    def __init__(self, httpserver) -> None:
        self.server = httpserver
        self.calls: list[str] = []
        self.uploaded = b""
        self.flow_body: dict = {}
        self.sign_url_body: dict = {}
        self.signed_pdf = b""
        self.fail_create = 0  # answer 503 this many times
        self.slow_create = 0.0
        self.flow_status = 2

    def ok(self, data: dict) -> Response:
        return Response(
            json.dumps({"code": 0, "message": "成功", "data": data}),
            content_type="application/json",
        )

    def install(self) -> FakeEsign:
        s = self.server

        def upload_url(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("upload-url")
            body = json.loads(request.get_data())
            assert body["contentType"] == "application/pdf"
            return self.ok(
                {"fileId": "FILE-1", "fileUploadUrl": s.url_for("/oss/FILE-1?Signature=x")}
            )

        def upload(request: Request) -> Response:
            self.calls.append("upload")
            data = request.get_data()
            md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
            assert request.headers["Content-MD5"] == md5
            assert request.headers["Content-Type"] == "application/pdf"
            self.uploaded = data
            return Response(json.dumps({"errCode": 0, "msg": "成功"}))

        def create(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("create")
            if self.slow_create:
                delay, self.slow_create = self.slow_create, 0.0
                time.sleep(delay)
            if self.fail_create:
                self.fail_create -= 1
                return Response("upstream error", status=503)
            self.flow_body = json.loads(request.get_data())
            return self.ok({"signFlowId": FLOW})

        def sign_url(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("sign-url")
            self.sign_url_body = json.loads(request.get_data())
            return self.ok(
                {"url": "https://smlt.esign.cn/sign/abc", "shortUrl": "https://s.esign.cn/x"}
            )

        def detail(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("detail")
            return self.ok({"signFlowStatus": self.flow_status, "signFlowDescription": "完成"})

        def download_url(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("download-url")
            return self.ok(
                {"files": [{"fileId": "FILE-1", "downloadUrl": s.url_for("/oss/signed")}]}
            )

        def download(request: Request) -> Response:
            self.calls.append("download")
            return Response(self.signed_pdf, content_type="application/pdf")

        def revoke(request: Request) -> Response:
            check_gateway_signature(request)
            self.calls.append("revoke")
            return self.ok({})

        s.expect_request("/v3/files/file-upload-url", method="POST").respond_with_handler(
            upload_url
        )
        s.expect_request("/oss/FILE-1", method="PUT").respond_with_handler(upload)
        s.expect_request("/v3/sign-flow/create-by-file", method="POST").respond_with_handler(create)
        s.expect_request(f"/v3/sign-flow/{FLOW}/sign-url", method="POST").respond_with_handler(
            sign_url
        )
        s.expect_request(f"/v3/sign-flow/{FLOW}/detail", method="GET").respond_with_handler(detail)
        s.expect_request(
            f"/v3/sign-flow/{FLOW}/file-download-url", method="GET"
        ).respond_with_handler(download_url)
        s.expect_request("/oss/signed", method="GET").respond_with_handler(download)
        s.expect_request(f"/v3/sign-flow/{FLOW}/revoke", method="POST").respond_with_handler(revoke)
        return self


@pytest.fixture
def esign(settings, home, httpserver):
    use_esign(
        settings,
        provider="esign_cn",
        esign_app_id=APP_ID,
        esign_app_secret=SECRET,
        esign_api_base=httpserver.url_for("").rstrip("/"),
        esign_callback_url="https://anzu.example.com/api/v1/esign/callback/esign_cn",
        http_timeout_seconds=1.0,
        max_attempts=3,
        retry_backoff_seconds=0.0,
    )
    return FakeEsign(httpserver).install()


@pytest.fixture
def signed_by_org(lease, manager):
    agreement = services.agreement_generate(lease=lease, by=manager)
    return services.agreement_sign_org(agreement=agreement, by=manager)


def signed_headers(body: bytes, *, timestamp_ms: int | None = None, secret: str = SECRET) -> dict:
    ts = str(timestamp_ms if timestamp_ms is not None else int(clock.now().timestamp() * 1000))
    return {
        "HTTP_X_TSIGN_OPEN_TIMESTAMP": ts,
        "HTTP_X_TSIGN_OPEN_SIGNATURE_ALGORITHM": "hmac-sha256",
        "HTTP_X_TSIGN_OPEN_APP_ID": APP_ID,
        "HTTP_X_TSIGN_OPEN_SIGNATURE": callback_signature(secret, ts, body),
    }


def flow_complete(status: int = 2) -> bytes:
    return json.dumps(
        {
            "action": "SIGN_FLOW_COMPLETE",
            "signFlowId": FLOW,
            "signFlowStatus": status,
            "statusDescription": "完成",
            "timestamp": 1773108000000,
        },
        ensure_ascii=False,
    ).encode()


def test_send_creates_the_flow_with_signed_requests(esign, signed_by_org, manager, portfolio):
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    assert esign.calls == ["upload-url", "upload", "create", "sign-url"]
    assert esign.uploaded == document_content(signed_by_org.document)  # the org-signed PDF
    customer = portfolio["customer"]
    signer = esign.flow_body["signers"][0]
    assert signer["psnSignerInfo"]["psnAccount"] == customer.phone
    assert signer["psnSignerInfo"]["psnInfo"]["psnIDCardNum"] == customer.id_number
    assert signer["psnSignerInfo"]["psnInfo"]["psnIDCardType"] == "CRED_PSN_CH_IDCARD"
    assert esign.flow_body["signFlowConfig"]["notifyUrl"].endswith("/esign/callback/esign_cn")
    assert esign.flow_body["customBizNum"] == signed_by_org.idempotency_key
    assert (agreement.status, agreement.provider, agreement.flow_id, agreement.signing_url) == (
        "sent_for_signature",
        "esign_cn",
        FLOW,
        "https://smlt.esign.cn/sign/abc",
    )


def test_a_company_signs_as_an_organization_through_its_transactor(esign, company_lease, manager):
    agreement = services.agreement_generate(lease=company_lease, by=manager)
    agreement = services.agreement_sign_org(agreement=agreement, by=manager)
    agreement = services.agreement_send(
        agreement=agreement,
        by=manager,
        transactor_name=" 王经办 ",
        transactor_phone="139 0000 1111",
    )
    assert esign.calls == ["upload-url", "upload", "create", "sign-url"]
    assert esign.flow_body["signers"] == [
        {
            "signerType": 1,
            "orgSignerInfo": {
                "orgName": "上海某科技有限公司",
                "orgInfo": {"orgIDCardNum": COMPANY_USCC, "orgIDCardType": "CRED_ORG_USCC"},
                "transactorInfo": {
                    "psnAccount": "13900001111",
                    "psnInfo": {"psnName": "王经办"},
                },
            },
            "signFields": [
                {
                    "fileId": "FILE-1",
                    "normalSignFieldConfig": {"freeMode": True, "signFieldStyle": 1},
                }
            ],
        }
    ]
    assert sorted(esign.flow_body) == ["customBizNum", "docs", "signFlowConfig", "signers"]
    assert esign.sign_url_body == {
        "operator": {"psnAccount": "13900001111"},
        "organization": {"orgName": "上海某科技有限公司"},
    }
    assert agreement.status == "sent_for_signature"
    assert agreement.events[-1]["signer_kind"] == "organization"
    event = AuditEvent.objects.get(action="agreement.send")
    assert event.changes["signer_kind"] == [None, "organization"]


def test_a_person_signs_with_psn_signer_info_exactly(esign, signed_by_org, manager, portfolio):
    services.agreement_send(agreement=signed_by_org, by=manager)
    customer = portfolio["customer"]
    assert esign.flow_body["signers"][0]["signerType"] == 0
    assert "orgSignerInfo" not in esign.flow_body["signers"][0]
    assert esign.sign_url_body == {"operator": {"psnAccount": customer.phone}}


def test_a_company_without_a_transactor_calls_nothing(esign, company_lease, manager):
    from anzu.common.errors import ValidationFailed

    agreement = services.agreement_generate(lease=company_lease, by=manager)
    agreement = services.agreement_sign_org(agreement=agreement, by=manager)
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.agreement_send(agreement=agreement, by=manager, transactor_phone="13900001111")
    assert exc.value.field == "transactor_name"
    assert esign.calls == []
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "org_signed"
    assert AuditEvent.objects.count() == before


def test_5xx_is_retried(esign, signed_by_org, manager):
    esign.fail_create = 2
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    assert agreement.status == "sent_for_signature"
    assert esign.calls.count("create") == 3


def test_a_timeout_is_retried(esign, signed_by_org, manager):
    esign.slow_create = 1.6
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    assert agreement.status == "sent_for_signature"
    assert esign.calls.count("create") == 2


def test_persistent_5xx_is_a_502_and_nothing_changes(esign, signed_by_org, manager):
    esign.fail_create = 10
    before = (LeaseAgreement.objects.get(pk=signed_by_org.pk).events, AuditEvent.objects.count())
    with pytest.raises(ProviderFailed) as exc:
        services.agreement_send(agreement=signed_by_org, by=manager)
    assert exc.value.code == "provider_unavailable"
    assert esign.calls.count("create") == 3
    fresh = LeaseAgreement.objects.get(pk=signed_by_org.pk)
    assert (fresh.status, fresh.flow_id) == ("org_signed", "")
    assert (fresh.events, AuditEvent.objects.count()) == before


def test_an_error_code_is_permanent_and_not_retried(esign, httpserver, settings):
    httpserver.clear()
    httpserver.expect_request("/v3/sign-flow/X/detail").respond_with_json(
        {"code": 1435002, "message": "流程不存在"}
    )
    adapter = EsignCnAdapter(settings.ESIGN)
    calls = []

    def call():
        calls.append(1)
        return adapter.get_status("X")

    with pytest.raises(PermanentError) as exc:
        with_retries(call, attempts=3)
    assert exc.value.code == "1435002"
    assert len(calls) == 1


def test_with_retries_gives_up_after_the_attempts():
    calls = []

    def call():
        calls.append(1)
        raise RetryableError("down", code="http_503")

    with pytest.raises(RetryableError):
        with_retries(call, attempts=3, backoff_seconds=0.01, sleep=lambda s: calls.append(s))
    assert calls == [1, 0.01, 1, 0.02, 1]


def test_flow_creation_is_idempotent(esign, signed_by_org, manager):
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    from anzu.common.errors import IllegalTransition

    with pytest.raises(IllegalTransition):
        services.agreement_send(agreement=agreement, by=manager)
    assert esign.calls.count("create") == 1
    assert LeaseAgreement.objects.filter(flow_id=FLOW).count() == 1


def test_signed_callback_completes_and_the_signed_pdf_is_fetched(
    esign, signed_by_org, manager, client, django_capture_on_commit_callbacks
):
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    esign.signed_pdf = sandbox_sign_pdf(document_content(agreement.document), signer_name="李雷")
    body = flow_complete(2)
    with django_capture_on_commit_callbacks(execute=True):
        res = client.post(CALLBACK, body, content_type="application/json", **signed_headers(body))
    assert res.status_code == 200
    assert res.json() == {"code": "0", "message": "success"}
    fresh = LeaseAgreement.objects.get(pk=agreement.pk)
    assert fresh.status == "signed"
    assert document_content(fresh.signed_document) == esign.signed_pdf
    assert esign.calls[-2:] == ["download-url", "download"]


def test_a_signed_pdf_that_breaks_the_org_signature_is_refused(esign, signed_by_org, manager):
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    pdf = document_content(agreement.document)
    position = pdf.index(b"stream") + 40
    tampered = pdf[:position] + bytes([pdf[position] ^ 0x01]) + pdf[position + 1 :]
    esign.signed_pdf = sandbox_sign_pdf(tampered, signer_name="李雷")
    LeaseAgreement.objects.filter(pk=agreement.pk).update(status="signed")
    from anzu.common.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        services.agreement_fetch_signed(agreement=agreement, by=manager)
    assert exc.value.code == "signature_broken"
    assert LeaseAgreement.objects.get(pk=agreement.pk).signed_document_id is None


@pytest.mark.parametrize(
    ("status", "expected"), [(7, "declined"), (5, "expired"), (3, "cancelled")]
)
def test_closing_notices(esign, signed_by_org, manager, client, status, expected):
    services.agreement_send(agreement=signed_by_org, by=manager)
    body = flow_complete(status)
    res = client.post(CALLBACK, body, content_type="application/json", **signed_headers(body))
    assert res.status_code == 200
    assert LeaseAgreement.objects.get(pk=signed_by_org.pk).status == expected


def test_bad_callback_signature_is_rejected(esign, signed_by_org, manager, client):
    services.agreement_send(agreement=signed_by_org, by=manager)
    body = flow_complete(2)
    before = AuditEvent.objects.count()
    res = client.post(
        CALLBACK, body, content_type="application/json", **signed_headers(body, secret="wrong")
    )
    assert res.status_code == 401
    assert res.json()["code"] == "invalid_signature"
    res = client.post(CALLBACK, body, content_type="application/json")  # unsigned
    assert res.status_code == 401
    assert LeaseAgreement.objects.get(pk=signed_by_org.pk).status == "sent_for_signature"
    assert AuditEvent.objects.count() == before


def test_old_callback_timestamp_is_rejected(esign, signed_by_org, manager, client):
    services.agreement_send(agreement=signed_by_org, by=manager)
    body = flow_complete(2)
    old = int((clock.now().timestamp() - 3600) * 1000)
    res = client.post(
        CALLBACK, body, content_type="application/json", **signed_headers(body, timestamp_ms=old)
    )
    assert res.status_code == 401
    assert res.json()["code"] == "stale_timestamp"
    assert LeaseAgreement.objects.get(pk=signed_by_org.pk).status == "sent_for_signature"


def test_replayed_callback_changes_nothing(esign, signed_by_org, manager, client):
    services.agreement_send(agreement=signed_by_org, by=manager)
    body = flow_complete(7)
    headers = signed_headers(body)
    assert (
        client.post(CALLBACK, body, content_type="application/json", **headers).status_code == 200
    )
    after = (LeaseAgreement.objects.get(pk=signed_by_org.pk).events, AuditEvent.objects.count())
    assert (
        client.post(CALLBACK, body, content_type="application/json", **headers).status_code == 200
    )
    assert (
        LeaseAgreement.objects.get(pk=signed_by_org.pk).events,
        AuditEvent.objects.count(),
    ) == after


def test_cancel_revokes_the_flow(esign, signed_by_org, manager):
    agreement = services.agreement_send(agreement=signed_by_org, by=manager)
    services.agreement_cancel(agreement=agreement, reason="租客改期", by=manager)
    assert esign.calls[-1] == "revoke"
    assert LeaseAgreement.objects.get(pk=agreement.pk).status == "cancelled"


def test_get_status_maps_the_flow_states(esign, settings):
    adapter = EsignCnAdapter(settings.ESIGN)
    esign.flow_status = 1
    assert adapter.get_status(FLOW).state == "in_progress"
    esign.flow_status = 7
    assert adapter.get_status(FLOW).state == "declined"


def test_signer_id_types_map(esign, settings):
    adapter = EsignCnAdapter(settings.ESIGN)
    headers = adapter.signed_headers("GET", "/v3/sign-flow/x/detail?b=2&a=1", b"")
    assert "Content-MD5" not in headers
    assert Signer(name="a", phone="1", id_number="2").id_type == "resident_id"


# Configuration --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ANZU_ESIGN_PROVIDER": "docusign"}, "ANZU_ESIGN_PROVIDER"),
        ({"ANZU_ESIGN_PROVIDER": "esign_cn"}, "ANZU_ESIGN_APP_ID"),
        ({"ANZU_ESIGN_PROVIDER": "esign_cn", "ANZU_ESIGN_APP_ID": "1"}, "ANZU_ESIGN_APP_SECRET"),
        (
            {
                "ANZU_ESIGN_PROVIDER": "esign_cn",
                "ANZU_ESIGN_APP_ID": "1",
                "ANZU_ESIGN_APP_SECRET": "s",
                "ANZU_ESIGN_CALLBACK_URL": "http://anzu.example.com/cb",
            },
            "ANZU_ESIGN_CALLBACK_URL",
        ),
        ({"ANZU_ESIGN_MAX_ATTEMPTS": "0"}, "ANZU_ESIGN_MAX_ATTEMPTS"),
        ({"ANZU_ESIGN_API_BASE": "ftp://x"}, "ANZU_ESIGN_API_BASE"),
    ],
)
def test_bad_configuration_names_the_variable(monkeypatch, env, variable):
    for name in list(__import__("os").environ):
        if name.startswith("ANZU_ESIGN_"):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as exc:
        esign_config_module.load_esign_config()
    assert str(exc.value).startswith(variable)


def test_default_configuration_is_the_sandbox(monkeypatch):
    for name in list(__import__("os").environ):
        if name.startswith("ANZU_ESIGN_"):
            monkeypatch.delenv(name)
    cfg = esign_config_module.load_esign_config()
    assert (cfg.provider, cfg.max_attempts) == ("sandbox", 3)


def test_a_flow_created_by_a_losing_concurrent_send_is_revoked(
    esign, signed_by_org, manager, monkeypatch
):
    from anzu.common.errors import IllegalTransition

    original = EsignCnAdapter.create_flow

    def create_then_lose(self, **kwargs):
        started = original(self, **kwargs)
        # Meanwhile another request sent the agreement through another flow.
        LeaseAgreement.objects.filter(pk=signed_by_org.pk).update(
            status="sent_for_signature", provider="esign_cn", flow_id="OTHER-FLOW"
        )
        return started

    monkeypatch.setattr(EsignCnAdapter, "create_flow", create_then_lose)
    with pytest.raises(IllegalTransition):
        services.agreement_send(agreement=signed_by_org, by=manager)
    assert esign.calls[-1] == "revoke"
    assert LeaseAgreement.objects.get(pk=signed_by_org.pk).flow_id == "OTHER-FLOW"
    assert AuditEvent.objects.filter(action="agreement.send").count() == 0
