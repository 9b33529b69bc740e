"""The QR report against the work-order service itself (no stub)."""

from __future__ import annotations

from typing import Any

import pytest

from anzu.common.testing import make_tenant
from anzu.maintenance.knowledge import selectors
from anzu.maintenance.knowledge.models import DeflectionEvent
from anzu.maintenance.knowledge.tests.test_public_flow import TOILET, identify, png
from anzu.maintenance.models import Ticket

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_tenant_report_creates_a_real_ticket(
    client: Any, portfolio: dict[str, Any], make_lease: Any, frozen: Any
) -> None:
    make_lease()
    customer = portfolio["customer"]
    token = selectors.qr_token_for(portfolio["u1"])
    client.get(f"/r/{token}/c/{TOILET}/")
    identify(client, token, customer.phone)
    response = client.post(
        f"/r/{token}/c/{TOILET}/report/",
        {"description": "马桶堵了", "urgency": "urgent", "photos": [png()]},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.number == "WO-20260310-0001"
    assert (ticket.channel, ticket.urgency, ticket.unit, ticket.category.code) == (
        "qr",
        "urgent",
        portfolio["u1"],
        TOILET,
    )
    assert ticket.reporter_customer == customer
    assert ticket.photos.count() == 1
    event = DeflectionEvent.objects.get()
    assert (event.outcome, event.ticket_id, event.ticket_number) == (
        "escalated",
        ticket.pk,
        ticket.number,
    )
    done = client.get(f"/r/{token}/done/").content.decode()
    assert "WO-20260310-0001" in done
    assert f'href="/workorders/mine/{ticket.pk}/"' in done


def test_visitor_report_creates_a_real_ticket_without_tracking_link(
    client: Any, portfolio: dict[str, Any], frozen: Any
) -> None:
    token = selectors.qr_token_for(portfolio["u2"])
    code = "structure.wall"
    assert client.get(f"/r/{token}/c/{code}/").status_code == 302
    identify(client, token, "13911112222", code=code)
    response = client.post(
        f"/r/{token}/c/{code}/report/",
        {"description": "天花板掉皮", "urgency": "normal", "name": "访客甲"},
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.reporter_customer, ticket.reporter_name, ticket.reporter_phone) == (
        None,
        "访客甲",
        "13911112222",
    )
    done = client.get(f"/r/{token}/done/").content.decode()
    assert ticket.number in done
    assert "/workorders/mine/" not in done
    assert DeflectionEvent.objects.count() == 0


def test_portal_tenant_report_records_the_tenant_as_creator(
    client: Any, portfolio: dict[str, Any], make_lease: Any, frozen: Any
) -> None:
    make_lease()
    tenant = make_tenant(portfolio["customer"])
    client.force_login(tenant)
    token = selectors.qr_token_for(portfolio["u1"])
    response = client.post(
        f"/r/{token}/c/network.wifi/report/", {"description": "断网", "urgency": "normal"}
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert (ticket.created_by, ticket.reporter_customer) == (tenant, portfolio["customer"])
