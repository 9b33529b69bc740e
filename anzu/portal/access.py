"""What a tenant may reach in the portal: their own bills, orders, notices and messages.

Every helper returns nothing for anyone but an active tenant user, and filters by the tenant's
organization and customer. List pages and endpoints refuse non-tenants with
:func:`require_tenant` (403); a single object outside the tenant's reach is a 404, whoever asks.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.billing import access as billing_access
from anzu.billing.choices import BillStatus
from anzu.billing.models import Bill
from anzu.common.errors import NotFound, PermissionDenied
from anzu.core import access
from anzu.documents.models import Document
from anzu.leasing import access as leasing_access
from anzu.leasing.choices import LeaseStatus
from anzu.leasing.models import Lease
from anzu.notify import access as notify_access
from anzu.notify.models import InboxMessage
from anzu.portal.choices import NOTICE_KINDS
from anzu.portal.models import PaymentOrder


def require_tenant(user: Any) -> None:
    if not access.is_tenant_user(user):
        raise PermissionDenied("This page is for tenants.")


def leases_for_tenant(user: Any) -> QuerySet[Lease]:
    if not access.is_tenant_user(user):
        return Lease.objects.none()
    return leasing_access.leases_for_user(user).exclude(status=LeaseStatus.VOID)


def bills_for_tenant(user: Any) -> QuerySet[Bill]:
    if not access.is_tenant_user(user):
        return Bill.objects.none()
    return billing_access.bills_for_user(user).exclude(status=BillStatus.VOID)


def bill_for_tenant(user: Any, pk: Any) -> Bill:
    try:
        return bills_for_tenant(user).select_related("lease", "unit", "building").get(pk=int(pk))
    except (ValueError, TypeError, Bill.DoesNotExist):
        raise NotFound("bill") from None


def lease_for_tenant(user: Any, pk: Any) -> Lease:
    try:
        return leases_for_tenant(user).select_related("unit", "building").get(pk=int(pk))
    except (ValueError, TypeError, Lease.DoesNotExist):
        raise NotFound("lease") from None


def orders_for_tenant(user: Any) -> QuerySet[PaymentOrder]:
    if not access.is_tenant_user(user):
        return PaymentOrder.objects.none()
    return PaymentOrder.objects.filter(
        organization_id=user.organization_id, customer_id=user.customer_id
    )


def order_for_tenant(user: Any, pk: Any) -> PaymentOrder:
    try:
        return orders_for_tenant(user).select_related("lease").get(pk=int(pk))
    except (ValueError, TypeError, PaymentOrder.DoesNotExist):
        raise NotFound("payment order") from None


def notices_for_tenant(user: Any) -> QuerySet[Document]:
    """Archived notices, lawyer letters and settlement statements of the tenant's leases."""
    if not access.is_tenant_user(user):
        return Document.objects.none()
    lease_ids = [str(pk) for pk in leases_for_tenant(user).values_list("pk", flat=True)]
    return Document.objects.filter(
        organization_id=user.organization_id,
        kind__in=NOTICE_KINDS,
        related_type="leasing.lease",
        related_id__in=lease_ids,
    )


def notice_for_tenant(user: Any, pk: Any) -> Document:
    try:
        return notices_for_tenant(user).get(pk=int(pk))
    except (ValueError, TypeError, Document.DoesNotExist):
        raise NotFound("notice") from None


def inbox_for_tenant(user: Any) -> QuerySet[InboxMessage]:
    if not access.is_tenant_user(user):
        return InboxMessage.objects.none()
    return notify_access.inbox_for_user(user)


def inbox_message_for_tenant(user: Any, pk: Any) -> InboxMessage:
    try:
        return inbox_for_tenant(user).get(pk=int(pk))
    except (ValueError, TypeError, InboxMessage.DoesNotExist):
        raise NotFound("message") from None
