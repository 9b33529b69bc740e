from __future__ import annotations

import pytest
from django.db import transaction

from anzu.common.testing import PASSWORD, make_user
from anzu.core import audit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _home(settings, tmp_path):
    settings.ANZU_HOME = tmp_path


def test_manager_sees_trail_and_verifies(client, org, manager, other_org):
    with transaction.atomic():
        audit.record(
            action="lease.create",
            object_type="leasing.lease",
            object_id=1,
            organization=org,
            actor=manager,
        )
        audit.record(
            action="lease.create",
            object_type="leasing.lease",
            object_id=2,
            organization=other_org,
            actor=None,
        )
    client.login(username=manager.username, password=PASSWORD)
    page = client.get("/risk/audit/?action=lease.")
    assert page.status_code == 200
    assert [e.object_id for e in page.context["page"]] == [
        "1"
    ]  # the other org's event is not shown
    response = client.post("/risk/audit/verify/", follow=True)
    assert response.status_code == 200
    assert response.context["report"]["ok"] is True
    assert response.context["report"]["size"] >= 2


def test_bad_date_filter_names_the_field(client, org, manager):
    client.login(username=manager.username, password=PASSWORD)
    page = client.get("/risk/audit/?since=2026-13-01")
    assert page.status_code == 200
    assert "since" in page.context["errors"]


def test_frontline_is_forbidden(client, org):
    user = make_user(org, "frontline", username="fl")
    client.login(username=user.username, password=PASSWORD)
    assert client.get("/risk/audit/").status_code == 403
