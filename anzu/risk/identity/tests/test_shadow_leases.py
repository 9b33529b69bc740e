from __future__ import annotations

import datetime as dt

import pytest

from anzu.common.testing import make_user
from anzu.risk.identity import services
from anzu.risk.identity.selectors import leases_by_frozen_accounts
from anzu.risk.identity.tests.conftest import make_lease

pytestmark = pytest.mark.django_db


def test_leases_by_frozen_accounts(org, portfolio, admin_user, manager, frozen_time):
    creator = make_user(org, "finance", username="creator")
    customer = portfolio["customer"]
    kept = make_lease(portfolio["u1"], customer, created_by=creator, code="L-1")
    other = make_lease(portfolio["u2"], customer, created_by=manager, code="L-2")
    frozen_time.shift(dt.timedelta(hours=1))
    services.account_freeze(user=creator, reason="left", source="manual", by=admin_user)
    # A lease recorded as created by the account after its freeze (the shadow lease).
    frozen_time.shift(dt.timedelta(hours=1))
    shadow = make_lease(portfolio["u3"], customer, created_by=creator, code="L-3")

    rows = list(leases_by_frozen_accounts(organization_id=org.pk))
    assert [r.pk for r in rows] == [shadow.pk, kept.pk]
    assert rows[0].created_while_frozen is True and rows[1].created_while_frozen is False
    assert rows[0].creator_freeze_source == "manual"
    assert rows[1].creator_frozen_at is not None
    assert other.pk not in {r.pk for r in rows}
    assert list(leases_by_frozen_accounts(organization_id=org.pk + 999)) == []
