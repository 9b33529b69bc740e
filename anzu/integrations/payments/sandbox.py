"""The sandbox payment provider (沙箱): the embedded default, no money moves.

:meth:`SandboxPaymentProvider.create_order` sends the payer to the local page
``portal:sandbox_checkout``, which shows the order with "pay" and "fail" buttons. The button
builds the notification a real provider would send, signs it with the sandbox HMAC key and hands
it to the same callback handling as ``POST /api/v1/payments/callback/sandbox`` — signature
check included.

Signature header: ``X-Anzu-Sandbox-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>`` over
``<t>.<body>``, keyed with ``ANZU_PAYMENT_SANDBOX_KEY`` (or a key derived from the secret key).
The payment is recorded on channel ``wechat_pay`` with a reference starting ``SANDBOX-``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.urls import reverse

from anzu.common import clock
from anzu.integrations.payments.base import (
    NOTPAY,
    PAYERROR,
    SUCCESS,
    CallbackResult,
    OrderStart,
    PaymentProvider,
    SignatureError,
    lower_headers,
)
from anzu.integrations.payments.config import PaymentConfig

if TYPE_CHECKING:
    from anzu.portal.models import PaymentOrder

SIGNATURE_HEADER = "X-Anzu-Sandbox-Signature"
MAX_SKEW_SECONDS = 300
REFERENCE_PREFIX = "SANDBOX-"


class SandboxPaymentProvider(PaymentProvider):
    name: ClassVar[str] = "sandbox"
    sandbox: ClassVar[bool] = True
    channel: ClassVar[str] = "wechat_pay"
    reference_prefix: ClassVar[str] = REFERENCE_PREFIX

    def __init__(self, cfg: PaymentConfig) -> None:
        self.cfg = cfg

    @property
    def key(self) -> bytes:
        if self.cfg.sandbox_key:
            return self.cfg.sandbox_key.encode("utf-8")
        return hashlib.sha256(f"anzu.payments.sandbox:{settings.SECRET_KEY}".encode()).digest()

    def signature(self, timestamp: int, body: bytes) -> str:
        message = str(timestamp).encode("ascii") + b"." + body
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()

    # The contract --------------------------------------------------------------------------

    def create_order(self, order: PaymentOrder) -> OrderStart:
        return OrderStart("redirect", reverse("portal:sandbox_checkout", args=[order.pk]))

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackResult:
        header = lower_headers(headers).get(SIGNATURE_HEADER.lower(), "")
        parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
        try:
            timestamp = int(parts.get("t", ""))
        except ValueError:
            raise SignatureError(
                "Sandbox callback without a signature.", code="signature"
            ) from None
        expected = self.signature(timestamp, body)
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise SignatureError("Sandbox callback signature does not verify.", code="signature")
        if abs(clock.now().timestamp() - timestamp) > MAX_SKEW_SECONDS:
            raise SignatureError("Sandbox callback timestamp is too old.", code="timestamp")
        try:
            data = json.loads(body)
            amount = Decimal(str(data["amount"]))
            out_trade_no = str(data["out_trade_no"])
            state = str(data["trade_state"])
        except (ValueError, KeyError, TypeError, InvalidOperation):
            raise SignatureError("Sandbox callback body is malformed.", code="body") from None
        return CallbackResult(
            out_trade_no=out_trade_no,
            trade_state=state,
            transaction_id=str(data.get("transaction_id", "")),
            amount=amount,
            paid_at=clock.now() if state == SUCCESS else None,
            raw=data,
        )

    def query_order(self, order: PaymentOrder) -> CallbackResult:
        # The sandbox's own record is the order: nothing happens outside the database.
        state = {"paid": SUCCESS, "failed": PAYERROR}.get(order.status, NOTPAY)
        return CallbackResult(out_trade_no=order.out_trade_no, trade_state=state)

    # The simulated payer -------------------------------------------------------------------

    def simulate(self, order: PaymentOrder, *, succeed: bool) -> tuple[dict[str, str], bytes]:
        """The headers and body of the notification for paying (or failing) ``order``."""
        data = {
            "out_trade_no": order.out_trade_no,
            "transaction_id": f"{REFERENCE_PREFIX}{order.out_trade_no}" if succeed else "",
            "trade_state": SUCCESS if succeed else PAYERROR,
            "amount": str(order.amount),
        }
        body = json.dumps(data, separators=(",", ":")).encode("utf-8")
        timestamp = int(clock.now().timestamp())
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: f"t={timestamp},v1={self.signature(timestamp, body)}",
        }
        return headers, body
