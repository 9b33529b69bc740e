from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.testing import lease_data
from anzu.leasing import services
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def test_lease_page_links_to_its_rent_ledger(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    client = Client()
    client.force_login(manager)
    page = client.get(f"/leasing/leases/{lease.pk}/")
    assert page.status_code == 200
    assert f'href="/billing/leases/{lease.pk}/"' in page.content.decode()
    assert client.get(f"/billing/leases/{lease.pk}/").status_code == 200
