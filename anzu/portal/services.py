"""Writes of the portal: online payment orders and the provider's confirmation of them.

A tenant makes an order for the oldest open bills of one lease (or all of them); the provider
is asked to start the payment outside any transaction. The provider's notification is verified
by the provider adapter, then one transaction locks the order, records the billing payment
through :func:`anzu.billing.services.payment_record_from_provider` (reference = the provider's
transaction id) and marks the order paid. A repeated notification finds the order paid and
changes nothing, so the payment exists once.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_noop

from anzu.billing import services as billing_services
from anzu.billing.choices import KIND_ORDER, BillStatus
from anzu.billing.models import Bill
from anzu.common import clock
from anzu.common.errors import Conflict, DomainError, NotFound, ValidationFailed
from anzu.common.money import to_money
from anzu.core import audit
from anzu.core.models import User
from anzu.integrations.base import ProviderError
from anzu.integrations.payments import (
    CallbackResult,
    PaymentProvider,
    SignatureError,
    UnknownProvider,
    current_provider,
    provider_for,
)
from anzu.integrations.payments.config import payment_config
from anzu.portal import access as portal_access
from anzu.portal.choices import PaymentOrderStatus
from anzu.portal.models import PaymentOrder

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")

# Fixed messages of this module, listed for translation.
MESSAGES = [
    gettext_noop("Choose the bills to pay."),
    gettext_noop("Unknown bill."),
    gettext_noop("Unknown lease."),
    gettext_noop("Choose bills of one lease."),
    gettext_noop("The bills are not of this lease."),
    gettext_noop("This bill is already paid."),
    gettext_noop("Older bills of this lease are still open; pay them first or together."),
    gettext_noop("Nothing is due on this lease."),
    gettext_noop("The amount does not match the outstanding total of the chosen bills."),
    gettext_noop("The payment service is not available; try again later."),
    gettext_noop("This page is for tenants."),
]


class PaymentProviderFailed(DomainError):
    """The provider could not start the payment (its error is logged, the order failed)."""

    status = 502


class CallbackRejected(DomainError):
    """A provider notification whose signature does not verify: nothing is written."""

    status = 401


def bill_sort_key(bill: Bill) -> tuple[dt.date, int, int]:
    """Allocation order of the billing app: due date, kind, id."""
    return (bill.due_date, KIND_ORDER.get(bill.kind, 99), bill.pk)


def open_bills_in_order(lease_id: int) -> list[Bill]:
    bills = Bill.objects.filter(lease_id=lease_id, status=BillStatus.OPEN)
    return sorted((b for b in bills if b.amount > b.paid_amount), key=bill_sort_key)


def _bill_ids(value: Any) -> list[int]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [v for v in value.split(",") if v.strip()]
    if not isinstance(value, list | tuple):
        raise ValidationFailed("invalid", "Unknown bill.", field="bill_ids")
    ids: list[int] = []
    for item in value:
        if isinstance(item, bool):
            raise ValidationFailed("invalid", "Unknown bill.", field="bill_ids")
        try:
            number = int(str(item).strip())
        except ValueError:
            raise ValidationFailed("invalid", "Unknown bill.", field="bill_ids") from None
        if number not in ids:
            ids.append(number)
    return ids


def _new_out_trade_no() -> str:
    # 28 characters of [0-9A-Z], within WeChat Pay's 6–32 characters.
    return f"AZ{clock.now():%Y%m%d%H%M%S}{secrets.token_hex(6).upper()}"


def payment_order_create(
    *,
    by: User,
    amount: Any,
    bill_ids: Any = None,
    lease_id: Any = None,
    client_ip: str | None = None,
) -> PaymentOrder:
    """A tenant starts paying bills online; returns the order with its checkout filled in.

    ``bill_ids`` must be the oldest open bills of one of the tenant's leases (in allocation
    order, so the payment pays exactly them); without them, ``lease_id`` pays all the lease's
    open bills. ``amount`` must equal the outstanding total. Refused with nothing written:
    422 naming ``bill_ids``, ``lease_id`` or ``amount``; a non-tenant gets 403.
    """
    portal_access.require_tenant(by)
    money = to_money(amount, field="amount", allow_zero=False)
    ids = _bill_ids(bill_ids)
    if not ids and lease_id in (None, ""):
        raise ValidationFailed("required", "Choose the bills to pay.", field="bill_ids")
    chosen = list(portal_access.bills_for_tenant(by).filter(pk__in=ids)) if ids else []
    if len(chosen) != len(ids):
        raise ValidationFailed("not_found", "Unknown bill.", field="bill_ids")
    if chosen:
        lease_ids = {b.lease_id for b in chosen}
        if len(lease_ids) != 1:
            raise ValidationFailed("mixed_leases", "Choose bills of one lease.", field="bill_ids")
        the_lease_id = lease_ids.pop()
        if lease_id not in (None, "") and str(lease_id) != str(the_lease_id):
            raise ValidationFailed("mismatch", "The bills are not of this lease.", field="lease_id")
    else:
        try:
            the_lease_id = portal_access.lease_for_tenant(by, lease_id).pk
        except NotFound:
            raise ValidationFailed("not_found", "Unknown lease.", field="lease_id") from None
    lease = portal_access.lease_for_tenant(by, the_lease_id)
    open_bills = open_bills_in_order(lease.pk)
    if chosen:
        open_ids = {b.pk for b in open_bills}
        if any(b.pk not in open_ids for b in chosen):
            raise ValidationFailed("not_open", "This bill is already paid.", field="bill_ids")
        prefix = open_bills[: len(chosen)]
        if {b.pk for b in prefix} != set(ids):
            raise ValidationFailed(
                "older_open",
                "Older bills of this lease are still open; pay them first or together.",
                field="bill_ids",
            )
        paying = prefix
    else:
        if not open_bills:
            raise ValidationFailed("nothing_due", "Nothing is due on this lease.", field="lease_id")
        paying = open_bills
    total = sum((b.amount - b.paid_amount for b in paying), ZERO)
    if money != total:
        raise ValidationFailed(
            "amount_mismatch",
            "The amount does not match the outstanding total of the chosen bills.",
            field="amount",
            expected=str(total),
        )
    cfg = payment_config()
    provider = current_provider()
    now = clock.now()
    with transaction.atomic():
        order = PaymentOrder.objects.create(
            organization_id=lease.organization_id,
            customer_id=lease.customer_id,
            lease=lease,
            bills=[b.pk for b in paying],
            amount=total,
            provider=provider.name,
            out_trade_no=_new_out_trade_no(),
            client_ip=client_ip or None,
            created_by=by,
            created_at=now,
            expires_at=now + dt.timedelta(minutes=cfg.order_ttl_minutes),
        )
        audit.record(
            action="payment_order.create",
            obj=order,
            organization=order.organization_id,
            actor=by,
            changes={
                "lease": lease.pk,
                "bills": order.bills,
                "amount": total,
                "provider": provider.name,
                "out_trade_no": order.out_trade_no,
            },
        )
    _start(order, provider, by=by)
    return order


def _start(order: PaymentOrder, provider: PaymentProvider, *, by: User) -> None:
    """Ask the provider to start the payment (no transaction is open during the call)."""
    try:
        start = provider.create_order(order)
    except ProviderError as err:
        logger.warning("payment order %s: %s refused to start: %s", order.pk, provider.name, err)
        with transaction.atomic():
            PaymentOrder.objects.filter(pk=order.pk, status=PaymentOrderStatus.CREATED).update(
                status=PaymentOrderStatus.FAILED, failure_reason=str(err)[:200]
            )
            audit.record(
                action="payment_order.fail",
                obj=order,
                organization=order.organization_id,
                actor=by,
                changes={"reason": str(err)[:200]},
            )
        order.refresh_from_db()
        raise PaymentProviderFailed(
            "provider_failed", "The payment service is not available; try again later."
        ) from err
    with transaction.atomic():
        PaymentOrder.objects.filter(pk=order.pk).update(
            checkout_kind=start.kind, checkout_value=start.value[:500]
        )
        audit.record(
            action="payment_order.start",
            obj=order,
            organization=order.organization_id,
            actor=by,
            changes={"checkout_kind": start.kind},
        )
    order.checkout_kind, order.checkout_value = start.kind, start.value[:500]


def payment_callback(
    *, provider_name: str, headers: Mapping[str, str], body: bytes
) -> PaymentOrder:
    """Handle a provider's notification: verify it, then settle the order it names.

    An unknown or disabled provider is a 404; a signature that does not verify is a 401 with
    nothing written.
    """
    try:
        provider = provider_for(provider_name)
    except UnknownProvider:
        raise NotFound("payment provider") from None
    try:
        result = provider.parse_callback(headers, body)
    except SignatureError as err:
        logger.warning("payment callback (%s) rejected: %s", provider_name, err)
        raise CallbackRejected(
            "invalid_signature", "The notification signature does not verify."
        ) from None
    return payment_order_settle(provider=provider, result=result)


def payment_order_settle(*, provider: PaymentProvider, result: CallbackResult) -> PaymentOrder:
    """Apply a verified provider statement to its order (idempotent).

    Paid: the billing payment is recorded once (channel of the provider, reference = the
    transaction id) and the order marked paid, in one transaction. An amount that differs from
    the order's is refused (422 ``amount``) and logged. Failed or closed: a waiting order fails.
    """
    with transaction.atomic():
        order = (
            PaymentOrder.objects.select_for_update()
            .filter(provider=provider.name, out_trade_no=result.out_trade_no)
            .first()
        )
        if order is None:
            logger.warning(
                "payment callback (%s) for unknown order %r", provider.name, result.out_trade_no
            )
            raise NotFound("payment order")
        if order.status == PaymentOrderStatus.PAID:
            if result.paid and result.transaction_id != order.provider_transaction_id:
                logger.error(
                    "payment order %s paid twice: %s and %s",
                    order.out_trade_no,
                    order.provider_transaction_id,
                    result.transaction_id,
                )
                raise Conflict(
                    "already_paid",
                    "The order was already paid by another transaction.",
                    field="transaction_id",
                )
            return order
        if result.paid:
            _record_paid(order, provider, result)
        elif result.failed and order.status == PaymentOrderStatus.CREATED:
            PaymentOrder.objects.filter(pk=order.pk).update(
                status=PaymentOrderStatus.FAILED, failure_reason=result.trade_state[:200]
            )
            audit.record(
                action="payment_order.fail",
                obj=order,
                organization=order.organization_id,
                actor=None,
                changes={"trade_state": result.trade_state, "origin": "provider"},
            )
    order.refresh_from_db()
    return order


def _record_paid(order: PaymentOrder, provider: PaymentProvider, result: CallbackResult) -> None:
    if result.amount != order.amount:
        logger.error(
            "payment order %s: provider %s reports %s paid, the order is for %s; rejected",
            order.out_trade_no,
            provider.name,
            result.amount,
            order.amount,
        )
        raise ValidationFailed(
            "amount_mismatch",
            "The amount paid differs from the order's amount.",
            field="amount",
        )
    if not result.transaction_id:
        raise ValidationFailed(
            "required", "The notification has no transaction id.", field="transaction_id"
        )
    reference = result.transaction_id
    if provider.reference_prefix and not reference.startswith(provider.reference_prefix):
        reference = provider.reference_prefix + reference
    paid_at = result.paid_at or clock.now()
    payment = billing_services.payment_record_from_provider(
        organization_id=order.organization_id,
        lease_id=order.lease_id,
        channel=provider.channel,
        amount=result.amount,
        received_at=paid_at,
        reference=reference,
        note=f"{provider.name} {order.out_trade_no}",
    )
    PaymentOrder.objects.filter(pk=order.pk).update(
        status=PaymentOrderStatus.PAID,
        paid_at=paid_at,
        provider_transaction_id=result.transaction_id[:64],
        payment=payment,
        failure_reason="",
    )
    audit.record(
        action="payment_order.paid",
        obj=order,
        organization=order.organization_id,
        actor=None,
        changes={
            "status": [order.status, PaymentOrderStatus.PAID],
            "transaction_id": result.transaction_id,
            "payment": payment.pk,
            "amount": result.amount,
            "origin": "provider",
        },
    )


def payment_order_sync(*, order: PaymentOrder, by: User) -> PaymentOrder:
    """Ask the provider about a waiting order (the tenant's "check again") and settle it."""
    portal_access.require_tenant(by)
    if order.status != PaymentOrderStatus.CREATED:
        return order
    try:
        provider = provider_for(order.provider)
    except UnknownProvider:
        return order
    try:
        result = provider.query_order(order)
    except SignatureError as err:
        logger.error("payment order %s: query answer rejected: %s", order.out_trade_no, err)
        raise PaymentProviderFailed(
            "provider_failed", "The payment service is not available; try again later."
        ) from None
    except ProviderError as err:
        logger.warning("payment order %s: query failed: %s", order.out_trade_no, err)
        raise PaymentProviderFailed(
            "provider_failed", "The payment service is not available; try again later."
        ) from None
    if result.out_trade_no != order.out_trade_no or not (result.paid or result.failed):
        return order
    return payment_order_settle(provider=provider, result=result)


def payment_orders_expire(*, now: dt.datetime | None = None) -> int:
    """Waiting orders past their expiry become ``expired`` (one UPDATE, one summary event).

    A provider confirmation that still arrives for an expired order is honoured: the money
    was taken, so it is recorded.
    """
    moment = now or clock.now()
    with transaction.atomic():
        rows = list(
            PaymentOrder.objects.select_for_update()
            .filter(status=PaymentOrderStatus.CREATED, expires_at__lt=moment)
            .values_list("pk", "organization_id")
        )
        if not rows:
            return 0
        PaymentOrder.objects.filter(pk__in=[pk for pk, _org in rows]).update(
            status=PaymentOrderStatus.EXPIRED
        )
        by_org: dict[int, list[int]] = {}
        for pk, org_id in rows:
            by_org.setdefault(org_id, []).append(pk)
        for org_id, ids in by_org.items():
            audit.record(
                action="payment_order.expire",
                object_type="portal.paymentorder",
                object_id="",
                organization=org_id,
                actor=None,
                changes={"orders": ids},
            )
    return len(rows)
