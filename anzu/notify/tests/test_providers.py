"""Provider adapters against local fake servers that check every signature."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from collections import Counter
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from werkzeug import Request, Response

from anzu.integrations.base import PermanentError, RetryableError
from anzu.notify import tasks
from anzu.notify.models import DeliveryAttempt, OutboxMessage
from anzu.notify.providers import aliyun, tencent
from anzu.notify.providers.email import SmtpEmailProvider
from anzu.notify.providers.wechat import WechatTemplateProvider
from anzu.notify.tests.helpers import configure, enqueue

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.UTC)


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, mimetype="application/json"
    )


# Known-answer vectors from the providers' documentation -----------------------------------------


def test_aliyun_signature_matches_the_documented_example():
    # Aliyun SMS "签名机制" example: AccessKeySecret testSecret, GET.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert aliyun.rpc_signature(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_percent_encoding_rules():
    assert aliyun.percent_encode("a b*c~d+e/") == "a%20b%2Ac~d%2Be%2F"


def test_tencent_tc3_signature_matches_the_documented_example():
    # Tencent Cloud "签名方法 v3" example (CVM DescribeInstances, timestamp 1551113065).
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )
    canonical = tencent.canonical_request(host="cvm.tencentcloudapi.com", payload=payload)
    assert hashlib.sha256(payload).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert tencent.authorization(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3*******",
        timestamp=1551113065,
        service="cvm",
        host="cvm.tencentcloudapi.com",
        payload=payload,
    ) == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
    )
    assert canonical.startswith("POST\n/\n\ncontent-type:application/json; charset=utf-8\n")


def test_e164():
    assert tencent.e164("13800000001") == "+8613800000001"
    assert tencent.e164("+85261234567") == "+85261234567"
    assert tencent.e164("008613800000001") == "+8613800000001"


# Aliyun fake server -----------------------------------------------------------------------------

ALIYUN_SECRET = "aliyun-test-secret"


class FakeAliyun:
    """Checks each request's RPC signature independently and answers like Dysmsapi."""

    def __init__(self, script: list[str] | None = None, delay: float = 0.6) -> None:
        self.script = list(script or [])  # per request: "500", "timeout", "ok", "limit"
        self.delay = delay
        self.requests: list[dict[str, str]] = []
        self.accepted: list[str] = []

    def __call__(self, request: Request) -> Response:
        form = {k: v for k, v in request.form.items()}
        self.requests.append(form)
        signature = form.pop("Signature", "")
        # Recompute from the request as received, per the documented algorithm.
        canonical = "&".join(f"{_pe(k)}={_pe(v)}" for k, v in sorted(form.items()))
        to_sign = f"{request.method}&%2F&{_pe(canonical)}"
        expected = base64.b64encode(
            hmac.new(f"{ALIYUN_SECRET}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        ).decode()
        if signature != expected:
            return _json({"Code": "SignatureDoesNotMatch", "Message": "bad signature"}, 400)
        for name in ("AccessKeyId", "Timestamp", "SignatureNonce", "PhoneNumbers", "OutId"):
            assert form.get(name), name
        assert form["Action"] == "SendSms" and form["Version"] == "2017-05-25"
        step = self.script.pop(0) if self.script else "ok"
        if step == "500":
            return Response("oops", status=500)
        if step == "timeout":
            time.sleep(self.delay)
            return Response("late", status=503)
        if step == "limit":
            return _json({"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "limit"})
        if step == "illegal":
            return _json({"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "bad number"})
        self.accepted.append(form["OutId"])
        return _json(
            {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.accepted)}", "RequestId": "r"}
        )


def _pe(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="-_.~")


@pytest.fixture
def aliyun_on(settings, fake_server):
    configure(
        settings,
        sms_provider="aliyun",
        aliyun_access_key_id="LTAI-test",
        aliyun_access_key_secret=ALIYUN_SECRET,
        aliyun_sign_name="安租",
        aliyun_endpoint=fake_server.url_for("").rstrip("/"),
        http_timeout_seconds=0.3,
        backoff_base_seconds=10,
        backoff_max_seconds=60,
    )
    return fake_server


def _sms(org, key, **kw):
    kw.setdefault("address", "13800000001")
    return enqueue(
        org,
        idempotency_key=key,
        template_code="",
        body="租金{amount}元，{due_date}到期",
        payload={"amount": "3200.00", "due_date": "2026-12-05"},
        **kw,
    )


def _with_template(org):
    from anzu.notify.models import MessageTemplate

    MessageTemplate.objects.create(
        organization=org,
        code="due",
        channel="sms",
        body="租金{amount}元，{due_date}到期",
        provider_template_id="SMS_123",
    )


def test_aliyun_send_is_signed_and_carries_the_idempotency_key(
    org, aliyun_on, django_capture_on_commit_callbacks
):
    fake = FakeAliyun()
    aliyun_on.expect_request("/", method="POST").respond_with_handler(fake)
    _with_template(org)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            org,
            idempotency_key="bill-9:t-3:sms",
            body="",
            template_code="due",
            payload={"amount": "3200.00", "due_date": "2026-12-05"},
        )
    message.refresh_from_db()
    assert (message.status, message.provider, message.provider_message_id) == (
        "sent",
        "aliyun",
        "biz-1",
    )
    sent = fake.requests[0]
    assert sent["PhoneNumbers"] == "13800000001"
    assert sent["SignName"] == "安租"
    assert sent["TemplateCode"] == "SMS_123"
    assert json.loads(sent["TemplateParam"]) == {"amount": "3200.00", "due_date": "2026-12-05"}
    assert sent["OutId"] == message.provider_key


def test_aliyun_wrong_secret_is_refused_by_the_server_and_permanent(
    org, settings, aliyun_on, django_capture_on_commit_callbacks
):
    fake = FakeAliyun()
    aliyun_on.expect_request("/", method="POST").respond_with_handler(fake)
    configure(settings, aliyun_access_key_secret="wrong")
    _with_template(org)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k", body="", template_code="due")
    message.refresh_from_db()
    assert message.status == "dead"
    assert message.last_error.startswith("SignatureDoesNotMatch")
    assert fake.accepted == []


def test_aliyun_500s_and_timeouts_are_retried_and_each_message_delivered_once(
    org, aliyun_on, django_capture_on_commit_callbacks
):
    # Every message first meets a 500, then a timeout, then a throttling answer, then success.
    per_message: dict[str, list[str]] = {}
    fake = FakeAliyun()

    def handler(request: Request) -> Response:
        out_id = request.form.get("OutId", "")
        steps = per_message.setdefault(out_id, ["500", "timeout", "limit"])
        fake.script = [steps.pop(0)] if steps else ["ok"]
        return fake(request)

    aliyun_on.expect_request("/", method="POST").respond_with_handler(handler)
    _with_template(org)
    with time_machine.travel(START, tick=True) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            messages = [
                enqueue(org, idempotency_key=f"bill-{i}", body="", template_code="due")
                for i in range(3)
            ]
        for _ in range(6):
            clock.shift(dt.timedelta(seconds=61))
            tasks.sweep()
    keys = {m.provider_key for m in messages}
    assert Counter(fake.accepted) == {key: 1 for key in keys}
    assert len(fake.requests) == 12  # 4 tries each, nothing after success
    for message in messages:
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("sent", 4)
        assert list(message.deliveries.order_by("id").values_list("outcome", flat=True)) == [
            "retryable",
            "retryable",
            "retryable",
            "sent",
        ]
    errors = list(
        DeliveryAttempt.objects.filter(outcome="retryable").values_list("error", flat=True)
    )
    assert sum("HTTP 500" in e for e in errors) == 3
    assert sum("timed out" in e for e in errors) == 3
    assert sum("isv.BUSINESS_LIMIT_CONTROL" in e for e in errors) == 3


def test_aliyun_killed_worker_then_sweeper_delivers_each_once(
    org, settings, aliyun_on, django_capture_on_commit_callbacks
):
    from anzu.notify import delivery

    configure(settings, claim_seconds=60)
    fake = FakeAliyun()
    aliyun_on.expect_request("/", method="POST").respond_with_handler(fake)
    _with_template(org)
    with time_machine.travel(START, tick=True) as clock:
        with django_capture_on_commit_callbacks(execute=False):
            messages = [
                enqueue(org, idempotency_key=f"k{i}", body="", template_code="due")
                for i in range(4)
            ]
        claims = delivery.outbox_claim_due()
        assert len(claims) == 4  # claimed, then the worker is killed before sending
        assert tasks.sweep() == 0
        assert fake.requests == []
        clock.shift(dt.timedelta(seconds=61))
        assert tasks.sweep() == 4
        for pk, token in claims:
            assert delivery.deliver_claimed(message_id=pk, token=token) == "skipped"
        clock.shift(dt.timedelta(minutes=30))
        assert tasks.sweep() == 0
    assert sorted(fake.accepted) == sorted(m.provider_key for m in messages)
    assert len(fake.requests) == 4
    assert OutboxMessage.objects.filter(status="sent").count() == 4


def test_aliyun_permanent_error_is_dead(org, aliyun_on, django_capture_on_commit_callbacks):
    fake = FakeAliyun(["illegal"])
    aliyun_on.expect_request("/", method="POST").respond_with_handler(fake)
    _with_template(org)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k", body="", template_code="due")
    message.refresh_from_db()
    assert message.status == "dead"
    assert "isv.MOBILE_NUMBER_ILLEGAL" in message.last_error


def test_aliyun_without_provider_template_is_permanent(
    org, aliyun_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = _sms(org, "k")
    message.refresh_from_db()
    assert message.status == "dead"
    assert message.last_error.startswith("no_template")


def test_connection_refused_is_retryable(org, settings, django_capture_on_commit_callbacks):
    configure(
        settings,
        sms_provider="aliyun",
        aliyun_access_key_id="x",
        aliyun_access_key_secret="y",
        aliyun_sign_name="z",
        aliyun_endpoint="http://127.0.0.1:9",
        http_timeout_seconds=0.5,
    )
    _with_template(org)
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(org, idempotency_key="k", body="", template_code="due")
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.last_error.startswith("transport")


# Tencent fake server ----------------------------------------------------------------------------

TENCENT_ID = "AKID-test"
TENCENT_KEY = "tencent-test-key"


class FakeTencent:
    def __init__(self, script: list[str] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[dict[str, Any]] = []
        self.accepted: list[str] = []

    def __call__(self, request: Request) -> Response:
        raw = request.get_data()
        body = json.loads(raw)
        self.requests.append(body)
        timestamp = int(request.headers["X-TC-Timestamp"])
        date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
        canonical = (
            "POST\n/\n\n"
            f"content-type:{request.headers['Content-Type']}\nhost:{request.headers['Host']}\n\n"
            f"content-type;host\n{hashlib.sha256(raw).hexdigest()}"
        )
        to_sign = (
            f"TC3-HMAC-SHA256\n{timestamp}\n{date}/sms/tc3_request\n"
            f"{hashlib.sha256(canonical.encode()).hexdigest()}"
        )

        def h(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode(), hashlib.sha256).digest()

        key = h(h(h(f"TC3{TENCENT_KEY}".encode(), date), "sms"), "tc3_request")
        signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        expected = (
            f"TC3-HMAC-SHA256 Credential={TENCENT_ID}/{date}/sms/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        if request.headers.get("Authorization") != expected:
            return _json(
                {
                    "Response": {
                        "Error": {"Code": "AuthFailure.SignatureFailure", "Message": "sig"},
                        "RequestId": "r",
                    }
                }
            )
        assert request.headers["X-TC-Action"] == "SendSms"
        assert request.headers["X-TC-Version"] == "2021-01-11"
        step = self.script.pop(0) if self.script else "ok"
        if step == "500":
            return Response("oops", status=502)
        if step == "internal":
            return _json(
                {
                    "Response": {
                        "Error": {"Code": "InternalError.Timeout", "Message": "t"},
                        "RequestId": "r",
                    }
                }
            )
        if step == "bad_number":
            return _json(
                {
                    "Response": {
                        "SendStatusSet": [
                            {
                                "SerialNo": "",
                                "Code": "InvalidParameterValue.IncorrectPhoneNumber",
                                "Message": "bad",
                            }
                        ],
                        "RequestId": "r",
                    }
                }
            )
        self.accepted.append(body["SessionContext"])
        return _json(
            {
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": f"serial-{len(self.accepted)}",
                            "PhoneNumber": body["PhoneNumberSet"][0],
                            "Fee": 1,
                            "SessionContext": body["SessionContext"],
                            "Code": "Ok",
                            "Message": "send success",
                            "IsoCode": "CN",
                        }
                    ],
                    "RequestId": "r",
                }
            }
        )


@pytest.fixture
def tencent_on(settings, fake_server):
    configure(
        settings,
        sms_provider="tencent",
        tencent_secret_id=TENCENT_ID,
        tencent_secret_key=TENCENT_KEY,
        tencent_sms_app_id="1400000000",
        tencent_sign_name="安租",
        tencent_endpoint=fake_server.url_for("").rstrip("/"),
        http_timeout_seconds=0.5,
        backoff_base_seconds=10,
        backoff_max_seconds=60,
    )
    return fake_server


def test_tencent_send_is_signed_and_retries_until_delivered_once(
    org, tencent_on, django_capture_on_commit_callbacks
):
    fake = FakeTencent(["500", "internal"])
    tencent_on.expect_request("/", method="POST").respond_with_handler(fake)
    _with_template(org)
    with time_machine.travel(START, tick=True) as clock:
        with django_capture_on_commit_callbacks(execute=True):
            message = enqueue(org, idempotency_key="k", body="", template_code="due")
        for _ in range(4):
            clock.shift(dt.timedelta(seconds=61))
            tasks.sweep()
    message.refresh_from_db()
    assert (message.status, message.attempts, message.provider_message_id) == (
        "sent",
        3,
        "serial-1",
    )
    assert fake.accepted == [message.provider_key]
    body = fake.requests[-1]
    assert body["PhoneNumberSet"] == ["+8613800000001"]
    assert body["TemplateId"] == "SMS_123"
    assert body["TemplateParamSet"] == ["3200.00", "2026-12-05"]
    assert body["SmsSdkAppId"] == "1400000000"


def test_tencent_bad_signature_and_bad_number_are_permanent(
    org, settings, tencent_on, django_capture_on_commit_callbacks
):
    fake = FakeTencent(["bad_number"])
    tencent_on.expect_request("/", method="POST").respond_with_handler(fake)
    _with_template(org)
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue(org, idempotency_key="k1", body="", template_code="due")
    configure(settings, tencent_secret_key="wrong")
    with django_capture_on_commit_callbacks(execute=True):
        second = enqueue(org, idempotency_key="k2", body="", template_code="due")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.last_error.split(":")[0]) == (
        "dead",
        "InvalidParameterValue.IncorrectPhoneNumber",
    )
    assert (second.status, second.last_error.split(":")[0]) == (
        "dead",
        "AuthFailure.SignatureFailure",
    )


# WeChat fake server -----------------------------------------------------------------------------


class FakeWechat:
    def __init__(self) -> None:
        self.tokens_issued = 0
        self.valid: set[str] = set()
        self.sends: list[dict[str, Any]] = []
        self.send_script: list[int] = []
        self.seen_client_ids: set[str] = set()

    def token(self, request: Request) -> Response:
        assert request.args["grant_type"] == "client_credential"
        if (request.args["appid"], request.args["secret"]) != ("wx-app", "wx-secret"):
            return _json({"errcode": 40125, "errmsg": "invalid appsecret"})
        self.tokens_issued += 1
        token = f"token-{self.tokens_issued}"
        self.valid = {token}  # a new token invalidates the old one
        return _json({"access_token": token, "expires_in": 7200})

    def send(self, request: Request) -> Response:
        body = json.loads(request.get_data())
        self.sends.append({"token": request.args["access_token"], **body})
        if request.args["access_token"] not in self.valid:
            return _json({"errcode": 40001, "errmsg": "invalid credential"})
        if self.send_script:
            code = self.send_script.pop(0)
            return _json({"errcode": code, "errmsg": "scripted"})
        self.seen_client_ids.add(body["client_msg_id"])
        return _json({"errcode": 0, "errmsg": "ok", "msgid": 200228332 + len(self.sends)})


@pytest.fixture
def wechat_on(settings, fake_server):
    cache.clear()
    configure(
        settings,
        wechat_provider="wechat",
        wechat_app_id="wx-app",
        wechat_app_secret="wx-secret",
        wechat_api_base=fake_server.url_for("").rstrip("/"),
        # No WeChat test simulates a timeout: a generous limit keeps a loaded machine from
        # turning a slow local answer into a failed send.
        http_timeout_seconds=5,
    )
    fake = FakeWechat()
    fake_server.expect_request("/cgi-bin/token", method="GET").respond_with_handler(fake.token)
    fake_server.expect_request(
        "/cgi-bin/message/template/send", method="POST"
    ).respond_with_handler(fake.send)
    yield fake
    cache.clear()


def _wechat(org, key):
    from anzu.notify.models import MessageTemplate

    MessageTemplate.objects.get_or_create(
        organization=org,
        code="wx_plain",
        channel="wechat_template",
        defaults={"body": "{customer_name}，租金{amount}元", "provider_template_id": "tmpl-0"},
    )
    return enqueue(
        org,
        idempotency_key=key,
        channel="wechat_template",
        address="oEvlC5rnbiwMIq8C4pug-xmuw_xs",
        body="",
        template_code="wx_plain",
        payload={
            "customer_name": "李雷",
            "amount": "3200.00",
            "link": "https://example.invalid/b/1",
        },
    )


def test_wechat_token_is_cached_and_used_for_each_send(
    org, wechat_on, django_capture_on_commit_callbacks
):
    from anzu.notify.models import MessageTemplate

    MessageTemplate.objects.create(
        organization=org,
        code="wx_due",
        channel="wechat_template",
        body="{customer_name}，租金{amount}元",
        provider_template_id="tmpl-1",
        provider_params=[["thing1", "customer_name"], ["amount2", "amount"]],
    )
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(3):
            enqueue(
                org,
                idempotency_key=f"wx{i}",
                channel="wechat_template",
                address="openid-1",
                body="",
                template_code="wx_due",
                payload={"customer_name": "李雷", "amount": "3200.00"},
            )
    assert wechat_on.tokens_issued == 1
    assert [s["token"] for s in wechat_on.sends] == ["token-1"] * 3
    first = wechat_on.sends[0]
    assert first["template_id"] == "tmpl-1"
    assert first["touser"] == "openid-1"
    assert first["data"] == {"thing1": {"value": "李雷"}, "amount2": {"value": "3200.00"}}
    assert OutboxMessage.objects.filter(status="sent").count() == 3
    assert len(wechat_on.seen_client_ids) == 3


@pytest.mark.parametrize("errcode", [40001, 42001])
def test_wechat_refreshes_the_token_on_invalid_or_expired(
    org, wechat_on, errcode, django_capture_on_commit_callbacks
):
    cache.set("notify:wechat:access_token:wx-app", "stale-token", 3600)
    wechat_on.valid = {"stale-token"}
    wechat_on.send_script = [errcode]
    with django_capture_on_commit_callbacks(execute=True):
        message = _wechat(org, "k")
    message.refresh_from_db()
    assert message.status == "sent"
    assert [s["token"] for s in wechat_on.sends] == ["stale-token", "token-1"]
    assert cache.get("notify:wechat:access_token:wx-app")["token"] == "token-1"
    assert wechat_on.sends[-1]["url"] == "https://example.invalid/b/1"
    assert wechat_on.sends[-1]["client_msg_id"] == message.provider_key


def test_wechat_token_cache_expires_before_the_token(org, wechat_on):
    provider = WechatTemplateProvider(__import__("django.conf").conf.settings.NOTIFY)
    with time_machine.travel(START, tick=False) as clock:
        assert provider.access_token() == "token-1"
        clock.shift(dt.timedelta(seconds=7200 - 301))
        assert provider.access_token() == "token-1"
        clock.shift(dt.timedelta(seconds=2))
        assert provider.access_token() == "token-2"


def test_wechat_unsubscribed_user_is_permanent(org, wechat_on, django_capture_on_commit_callbacks):
    wechat_on.send_script = [43004]
    with django_capture_on_commit_callbacks(execute=True):
        message = _wechat(org, "k")
    message.refresh_from_db()
    assert (message.status, message.last_error.split(":")[0]) == ("dead", "43004")


def test_wechat_wrong_secret_is_retryable(
    org, settings, wechat_on, django_capture_on_commit_callbacks
):
    configure(settings, wechat_app_secret="nope")
    with django_capture_on_commit_callbacks(execute=True):
        message = _wechat(org, "k")
    message.refresh_from_db()
    assert (message.status, message.last_error.split(":")[0]) == ("failed", "40125")


# E-mail -----------------------------------------------------------------------------------------


def test_email_carries_a_message_id_derived_from_the_idempotency_key(
    org, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

    configure(settings, email_provider="smtp", email_from="billing@anzu.example")
    monkeypatch.setattr(SmtpEmailProvider, "connection", lambda self: LocmemBackend())
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue(
            org,
            idempotency_key="mail-1",
            channel="email",
            address="tenant@example.invalid",
            subject="租金提醒 {amount}",
        )
    message.refresh_from_db()
    assert message.status == "sent"
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["tenant@example.invalid"]
    assert sent.subject == "租金提醒 3200.00"
    assert sent.extra_headers["Message-ID"] == f"<{message.provider_key}@anzu.example>"
    assert message.provider_message_id == sent.extra_headers["Message-ID"]


def test_email_over_smtp_to_a_local_server(
    org, settings, smtp_sink, django_capture_on_commit_callbacks
):
    from anzu.notify.config import SmtpConfig

    host, port = smtp_sink.server_address[:2]
    configure(
        settings,
        email_provider="smtp",
        email_from="billing@anzu.example",
        smtp=SmtpConfig(host=str(host), port=int(port)),
        http_timeout_seconds=2,
    )
    smtp_sink.refuse = {"gone@example.invalid"}
    with django_capture_on_commit_callbacks(execute=True):
        ok = enqueue(
            org,
            idempotency_key="mail-ok",
            channel="email",
            address="tenant@example.invalid",
            subject="租金提醒",
        )
        refused = enqueue(
            org,
            idempotency_key="mail-refused",
            channel="email",
            address="gone@example.invalid",
            subject="租金提醒",
        )
    ok.refresh_from_db()
    refused.refresh_from_db()
    assert (ok.status, ok.provider) == ("sent", "smtp")
    assert (refused.status, refused.last_error.split(":")[0]) == ("dead", "recipient")
    assert len(smtp_sink.messages) == 1
    sender, recipients, data = smtp_sink.messages[0]
    assert (sender, recipients) == ("billing@anzu.example", ["tenant@example.invalid"])
    assert f"Message-ID: <{ok.provider_key}@anzu.example>".encode() in data


def test_email_smtp_errors_are_classified(settings, org):
    import smtplib

    configure(settings, email_provider="smtp")
    provider = SmtpEmailProvider(settings.NOTIFY)
    message = OutboxMessage(
        organization=org,
        channel="email",
        address="a@example.invalid",
        idempotency_key="k",
        subject="s",
        body="b",
    )

    class Boom:
        def __init__(self, exc):
            self.exc = exc

        def send_messages(self, messages):
            raise self.exc

    for exc, kind in [
        (smtplib.SMTPRecipientsRefused({"a@example.invalid": (550, b"no")}), PermanentError),
        (smtplib.SMTPDataError(554, b"rejected"), PermanentError),
        (smtplib.SMTPDataError(451, b"try later"), RetryableError),
        (smtplib.SMTPAuthenticationError(535, b"auth"), RetryableError),
        (ConnectionRefusedError(111, "refused"), RetryableError),
    ]:
        provider.connection = lambda exc=exc: Boom(exc)  # type: ignore[method-assign]
        with pytest.raises(kind):
            provider.send(message)
