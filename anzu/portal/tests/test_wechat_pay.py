"""The WeChat Pay API v3 adapter against a local fake server, and its callback end to end."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug import Request, Response

from anzu.billing.models import Payment
from anzu.common import clock
from anzu.common.env import ConfigError
from anzu.integrations.payments import config as payment_config_module
from anzu.integrations.payments.wechat import (
    WechatPayProvider,
    encrypt_resource,
    parse_authorization,
    request_message,
)
from anzu.portal import services
from anzu.portal.models import PaymentOrder
from anzu.portal.tests.helpers import login, open_bills, snapshot

pytestmark = pytest.mark.django_db
APIV3_KEY = "0123456789abcdef0123456789ABCDEF"
MCHID = "1900000109"
CALLBACK = "/api/v1/payments/callback/wechat_pay"


def _keypair() -> tuple[rsa.RSAPrivateKey, str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, private_pem, public_pem


@pytest.fixture(scope="module")
def keys():
    merchant, merchant_private, merchant_public = _keypair()
    platform, _platform_private, platform_public = _keypair()
    return {
        "merchant": merchant,
        "merchant_private_pem": merchant_private,
        "merchant_public": merchant.public_key(),
        "merchant_public_pem": merchant_public,
        "platform": platform,
        "platform_public_pem": platform_public,
    }


@pytest.fixture
def wechat(use_payments, keys, httpserver):
    return use_payments(
        provider="wechat_pay",
        wechat_mchid=MCHID,
        wechat_appid="wxd678efh567hg6787",
        wechat_serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        wechat_private_key_pem=keys["merchant_private_pem"],
        wechat_apiv3_key=APIV3_KEY,
        wechat_platform_public_key_pem=keys["platform_public_pem"],
        wechat_platform_serial="PUB_KEY_ID_0114232134912410000000",
        wechat_notify_url="https://anzu.example.com/api/v1/payments/callback/wechat_pay",
        wechat_api_base=httpserver.url_for("").rstrip("/"),
    )


def platform_signed(keys, body: bytes, *, timestamp: int | None = None, nonce="n0nce5tr1ng"):
    ts = str(timestamp if timestamp is not None else int(clock.now().timestamp()))
    message = ts.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    signature = keys["platform"].sign(message, padding.PKCS1v15(), hashes.SHA256())
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": base64.b64encode(signature).decode(),
        "Wechatpay-Serial": "PUB_KEY_ID_0114232134912410000000",
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def verify_merchant_request(keys, request: Request) -> dict[str, str]:
    """What WeChat Pay checks: the Authorization header signs method, path, time, nonce, body."""
    fields = parse_authorization(request.headers.get("Authorization", ""))
    assert set(fields) == {"mchid", "nonce_str", "signature", "timestamp", "serial_no"}
    path = request.full_path.rstrip("?") if not request.query_string else request.full_path
    message = request_message(
        request.method,
        path,
        int(fields["timestamp"]),
        fields["nonce_str"],
        request.get_data().decode(),
    )
    keys["merchant_public"].verify(
        base64.b64decode(fields["signature"]),
        message.encode(),
        padding.PKCS1v15(),
        hashes.SHA256(),
    )  # raises InvalidSignature when wrong
    return fields


@pytest.fixture
def order_server(httpserver, keys):
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        fields = verify_merchant_request(keys, request)
        seen.append({"fields": fields, "body": json.loads(request.get_data())})
        body = json.dumps({"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}).encode()
        return Response(
            body,
            status=200,
            headers={**platform_signed(keys, body), "Content-Type": "application/json"},
        )

    httpserver.expect_request("/v3/pay/transactions/native", method="POST").respond_with_handler(
        handler
    )
    return seen


def notification(keys, transaction: dict, *, key=APIV3_KEY) -> bytes:
    plaintext = json.dumps(transaction).encode()
    envelope = {
        "id": "EV-2018022511223320873",
        "create_time": "2026-03-10T10:00:40+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": encrypt_resource(
                plaintext, key, nonce="fdasflkja484", associated_data="transaction"
            ),
            "associated_data": "transaction",
            "nonce": "fdasflkja484",
        },
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def transaction_of(order: PaymentOrder, *, total: int | None = None) -> dict:
    return {
        "mchid": MCHID,
        "appid": "wxd678efh567hg6787",
        "out_trade_no": order.out_trade_no,
        "transaction_id": "4200000848202603100290526543",
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "success_time": "2026-03-10T10:00:39+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": total if total is not None else int(order.amount * 100),
            "payer_total": 320000,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }


def post(client, body: bytes, headers: dict[str, str]):
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    return client.post(CALLBACK, data=body, content_type="application/json", **extra)


@pytest.fixture
def order(world, wechat, order_server):
    rent_jan = open_bills(world["lease"])[0]
    return services.payment_order_create(
        by=world["tenant"], bill_ids=[rent_jan.pk], amount="3200.00", client_ip="10.0.0.8"
    )


def test_native_order_is_signed_with_the_merchant_key(world, order, order_server):
    assert len(order_server) == 1
    request = order_server[0]
    assert request["fields"]["mchid"] == MCHID
    assert request["fields"]["serial_no"] == "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
    assert request["body"] == {
        "appid": "wxd678efh567hg6787",
        "mchid": MCHID,
        "description": "房租账单",
        "out_trade_no": order.out_trade_no,
        "notify_url": "https://anzu.example.com/api/v1/payments/callback/wechat_pay",
        "amount": {"total": 320000, "currency": "CNY"},
        "time_expire": "2026-03-10T10:30:00+08:00",
    }
    assert (order.status, order.provider, order.checkout_kind, order.checkout_value) == (
        "created",
        "wechat_pay",
        "qr",
        "weixin://wxpay/bizpayurl?pr=p4lpSuKzz",
    )


def test_result_page_shows_the_qr_payload(client, world, order):
    login(client, world["tenant"])
    response = client.get(f"/portal/orders/{order.pk}/")
    assert response.status_code == 200
    assert "weixin://wxpay/bizpayurl?pr=p4lpSuKzz" in response.content.decode()
    assert "沙箱" not in response.content.decode()


def test_signed_encrypted_callback_records_the_payment_once(client, world, order, keys):
    body = notification(keys, transaction_of(order))
    headers = platform_signed(keys, body)
    assert post(client, body, headers).status_code == 200
    assert post(client, body, headers).status_code == 200
    payment = Payment.objects.get()
    assert (payment.channel, payment.reference, payment.amount) == (
        "wechat_pay",
        "4200000848202603100290526543",
        Decimal("3200.00"),
    )
    assert payment.received_at.isoformat() == "2026-03-10T02:00:39+00:00"
    order.refresh_from_db()
    assert (order.status, order.provider_transaction_id, order.payment_id) == (
        "paid",
        "4200000848202603100290526543",
        payment.pk,
    )
    assert open_bills(world["lease"])[0].kind == "deposit"


def test_tampered_body_is_401_and_writes_nothing(client, world, order, keys):
    body = notification(keys, transaction_of(order))
    headers = platform_signed(keys, body)
    before = snapshot()
    envelope = json.loads(body)
    envelope["summary"] = "已篡改"
    tampered = json.dumps(envelope, ensure_ascii=False).encode()
    response = post(client, tampered, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert snapshot() == before


@pytest.mark.parametrize(
    "problem", ["wrong_aes_key", "stale_timestamp", "other_serial", "unsigned"]
)
def test_other_bad_notifications_are_401(client, world, order, keys, problem):
    key = "X" * 32 if problem == "wrong_aes_key" else APIV3_KEY
    body = notification(keys, transaction_of(order), key=key)
    timestamp = int(clock.now().timestamp()) - (301 if problem == "stale_timestamp" else 0)
    headers = platform_signed(keys, body, timestamp=timestamp)
    if problem == "other_serial":
        headers["Wechatpay-Serial"] = "SOMEONE-ELSE"
    if problem == "unsigned":
        headers = {}
    before = snapshot()
    assert post(client, body, headers).status_code == 401
    assert snapshot() == before


def test_callback_with_another_amount_is_rejected(client, world, order, keys, caplog):
    body = notification(keys, transaction_of(order, total=1))
    before = snapshot()
    response = post(client, body, platform_signed(keys, body))
    assert response.status_code == 422
    assert response.json()["field"] == "amount"
    assert snapshot() == before


def test_query_order_settles_a_paid_order(client, world, order, keys, httpserver):
    def handler(request: Request) -> Response:
        verify_merchant_request(keys, request)
        body = json.dumps(transaction_of(order)).encode()
        return Response(
            body,
            status=200,
            headers={**platform_signed(keys, body), "Content-Type": "application/json"},
        )

    httpserver.expect_request(
        f"/v3/pay/transactions/out-trade-no/{order.out_trade_no}",
        query_string=f"mchid={MCHID}",
        method="GET",
    ).respond_with_handler(handler)
    login(client, world["tenant"])
    response = client.post(f"/portal/orders/{order.pk}/")
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "paid"
    assert Payment.objects.get().reference == "4200000848202603100290526543"


def test_unsigned_answer_fails_the_order_with_502(client, world, wechat, httpserver):
    httpserver.expect_request("/v3/pay/transactions/native", method="POST").respond_with_json(
        {"code_url": "weixin://wxpay/bizpayurl?pr=forged"}
    )
    login(client, world["tenant"])
    bill = open_bills(world["lease"])[0]
    response = client.post(
        "/api/v1/portal/payment-orders",
        {"bill_ids": [bill.pk], "amount": "3200.00"},
        content_type="application/json",
    )
    assert response.status_code == 502
    assert response.json()["code"] == "provider_failed"
    order = PaymentOrder.objects.get()
    assert order.status == "failed"
    assert order.checkout_value == ""


def test_api_error_answer_is_permanent(world, wechat, httpserver):
    httpserver.expect_request("/v3/pay/transactions/native", method="POST").respond_with_json(
        {"code": "PARAM_ERROR", "message": "参数错误"}, status=400
    )
    provider = WechatPayProvider(wechat)
    from anzu.integrations.base import PermanentError

    fake = PaymentOrder(out_trade_no="AZ1", amount=Decimal("1.00"), expires_at=clock.now())
    with pytest.raises(PermanentError) as err:
        provider.create_order(fake)
    assert err.value.code == "PARAM_ERROR"


def test_config_is_strict(monkeypatch, tmp_path, keys):
    for name in list(__import__("os").environ):
        if name.startswith(("ANZU_PAYMENT", "ANZU_WECHATPAY")):
            monkeypatch.delenv(name)
    assert payment_config_module.load_payment_config().provider == "sandbox"
    monkeypatch.setenv("ANZU_PAYMENT_PROVIDER", "alipay")
    with pytest.raises(ConfigError, match="ANZU_PAYMENT_PROVIDER"):
        payment_config_module.load_payment_config()
    monkeypatch.setenv("ANZU_PAYMENT_PROVIDER", "wechat_pay")
    with pytest.raises(ConfigError, match="ANZU_WECHATPAY_APIV3_KEY"):
        payment_config_module.load_payment_config()
    key_file = tmp_path / "apiclient_key.pem"
    key_file.write_text(keys["merchant_private_pem"])
    public_file = tmp_path / "pub_key.pem"
    public_file.write_text(keys["platform_public_pem"])
    monkeypatch.setenv("ANZU_WECHATPAY_APIV3_KEY", APIV3_KEY)
    monkeypatch.setenv("ANZU_WECHATPAY_MCHID", MCHID)
    monkeypatch.setenv("ANZU_WECHATPAY_APPID", "wxd678efh567hg6787")
    monkeypatch.setenv("ANZU_WECHATPAY_SERIAL_NO", "5157F09E")
    monkeypatch.setenv("ANZU_WECHATPAY_PRIVATE_KEY_FILE", str(public_file))
    monkeypatch.setenv("ANZU_WECHATPAY_PLATFORM_PUBLIC_KEY_FILE", str(public_file))
    monkeypatch.setenv("ANZU_WECHATPAY_NOTIFY_URL", "http://insecure.example.com/cb")
    with pytest.raises(ConfigError, match="ANZU_WECHATPAY_PRIVATE_KEY_FILE"):
        payment_config_module.load_payment_config()
    monkeypatch.setenv("ANZU_WECHATPAY_PRIVATE_KEY_FILE", str(key_file))
    with pytest.raises(ConfigError, match="ANZU_WECHATPAY_NOTIFY_URL"):
        payment_config_module.load_payment_config()
    monkeypatch.setenv(
        "ANZU_WECHATPAY_NOTIFY_URL", "https://anzu.example.com/api/v1/payments/callback/wechat_pay"
    )
    cfg = payment_config_module.load_payment_config()
    assert (cfg.provider, cfg.wechat_mchid, cfg.wechat_trade_type) == (
        "wechat_pay",
        MCHID,
        "native",
    )
    assert APIV3_KEY not in repr(cfg)


def test_h5_order_sends_the_payer_ip_and_redirects(
    client, world, wechat, keys, httpserver, use_payments
):
    use_payments(wechat_trade_type="h5")
    seen: list[dict] = []

    def handler(request: Request) -> Response:
        verify_merchant_request(keys, request)
        seen.append(json.loads(request.get_data()))
        body = json.dumps(
            {"h5_url": "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"}
        ).encode()
        return Response(
            body,
            status=200,
            headers={**platform_signed(keys, body), "Content-Type": "application/json"},
        )

    httpserver.expect_request("/v3/pay/transactions/h5", method="POST").respond_with_handler(
        handler
    )
    login(client, world["tenant"])
    bill = open_bills(world["lease"])[0]
    response = client.post(
        "/portal/pay/", {"bill_ids": str(bill.pk), "amount": "3200.00"}, REMOTE_ADDR="10.1.2.3"
    )
    assert response.status_code == 302
    assert (
        response["Location"] == "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=wx1"
    )
    assert seen[0]["scene_info"] == {"payer_client_ip": "10.1.2.3", "h5_info": {"type": "Wap"}}
