from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.testing import CustomerFactory, lease_data, make_tenant
from anzu.leasing import services
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def test_tenant_home_lists_own_leases_only(org, portfolio, manager):
    mine = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    other_customer = CustomerFactory(organization=org, name="别人")
    theirs = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u2"], other_customer))
    )
    client = Client()
    client.force_login(make_tenant(portfolio["customer"]))
    page = client.get("/")
    assert page.status_code == 200
    codes = [lease["code"] for lease in page.context["my_leases"]]
    assert codes == [mine.code]
    body = page.content.decode()
    assert "我的租约" in body
    assert "¥3,200.00" in body  # a tenant sees their own rent
    assert theirs.code not in body
