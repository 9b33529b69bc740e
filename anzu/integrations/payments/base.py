"""The payment provider contract.

A provider turns a :class:`~anzu.portal.models.PaymentOrder` into something the payer acts on
(:meth:`PaymentProvider.create_order`), turns the provider's notification into a verified
:class:`CallbackResult` (:meth:`PaymentProvider.parse_callback`), and asks the provider for an
order's state (:meth:`PaymentProvider.query_order`). Providers never write to the database: the
portal's services do, in one transaction, after the signature was verified.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from anzu.integrations.base import Adapter, PermanentError

if TYPE_CHECKING:
    from anzu.portal.models import PaymentOrder

# Trade states common to every provider (WeChat Pay's names).
SUCCESS = "SUCCESS"
NOTPAY = "NOTPAY"
CLOSED = "CLOSED"
PAYERROR = "PAYERROR"
FAILED_STATES = frozenset({CLOSED, PAYERROR, "REVOKED"})


class SignatureError(PermanentError):
    """A callback (or a provider's answer) whose signature does not verify: never trusted."""


@dataclass(frozen=True)
class OrderStart:
    """What the payer acts on: ``redirect`` (open this URL) or ``qr`` (show this as a QR code)."""

    kind: str
    value: str


@dataclass(frozen=True)
class CallbackResult:
    """A verified statement of the provider about one order."""

    out_trade_no: str
    trade_state: str
    transaction_id: str = ""
    amount: Decimal | None = None
    paid_at: dt.datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def paid(self) -> bool:
        return self.trade_state == SUCCESS

    @property
    def failed(self) -> bool:
        return self.trade_state in FAILED_STATES


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


class PaymentProvider(Adapter):
    """Base of every payment provider. ``channel`` is the billing payment channel it records."""

    name: ClassVar[str] = "payment"
    channel: ClassVar[str] = ""
    # Prefix of the payment reference recorded in billing (the sandbox marks its own).
    reference_prefix: ClassVar[str] = ""

    def create_order(self, order: PaymentOrder) -> OrderStart:
        raise NotImplementedError

    def parse_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackResult:
        """Verify the notification's signature and decode it; raise :class:`SignatureError`."""
        raise NotImplementedError

    def query_order(self, order: PaymentOrder) -> CallbackResult:
        raise NotImplementedError
