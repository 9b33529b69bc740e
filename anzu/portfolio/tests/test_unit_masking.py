from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from anzu.common.testing import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        ("management", True),
        ("finance", True),
        ("legal", True),
        ("customer_service", True),
        ("frontline", False),
        ("engineer", False),
    ],
)
def test_list_rent_follows_amount_visibility(org, portfolio, role, visible):
    client = Client()
    client.force_login(make_user(org, role, username=f"u-{role}"))
    unit = portfolio["u1"]
    detail = client.get(f"/api/v1/units/{unit.pk}").json()
    listed = next(u for u in client.get("/api/v1/units").json()["items"] if u["id"] == unit.pk)
    for body in (detail, listed):
        assert body["amounts_hidden"] is (not visible)
        assert body["list_rent"] == (str(Decimal("3200.00")) if visible else None)
