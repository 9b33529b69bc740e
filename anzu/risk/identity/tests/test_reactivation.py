from __future__ import annotations

import pytest
from django.test import Client

from anzu.common.errors import Conflict, PermissionDenied, ValidationFailed
from anzu.common.testing import PASSWORD, make_user
from anzu.core.models import AuditEvent
from anzu.risk.identity import services
from anzu.risk.identity.models import AccountEvent
from anzu.risk.identity.tests.conftest import client_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Ganz-neues-Passwort-2026"


def frozen_then_reactivated(employee, admin_user):
    services.account_freeze(user=employee, reason="left", source="manual", by=admin_user)
    return services.account_reactivate(user=employee, by=admin_user, reason="rehired")


def test_reactivation_forces_a_password_reset(employee, admin_user):
    state, raw = frozen_then_reactivated(employee, admin_user)
    employee.refresh_from_db()
    assert employee.is_active and not employee.has_usable_password()
    assert state.password_reset_required and state.reset_expires_at is not None
    assert raw and state.reset_token_hash != raw
    kinds = list(
        AccountEvent.objects.filter(user=employee).order_by("id").values_list("kind", flat=True)
    )
    assert kinds == ["frozen", "reactivated", "password_reset_required"]
    assert AuditEvent.objects.filter(
        action="account.reactivate", object_id=str(employee.pk)
    ).exists()
    # The old password no longer works.
    assert not Client().login(username="leaver", password=PASSWORD)


def test_reset_link_sets_the_password_once(employee, admin_user):
    _state, raw = frozen_then_reactivated(employee, admin_user)
    url = f"/accounts/lifecycle/password/{raw}/"
    page = Client().get(url)
    assert page.status_code == 200
    mismatch = Client().post(url, {"password": NEW_PASSWORD, "confirm": "other"})
    assert mismatch.status_code == 422
    weak = Client().post(url, {"password": "123", "confirm": "123"})
    assert weak.status_code == 422
    employee.refresh_from_db()
    assert not employee.has_usable_password()
    done = Client().post(url, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/accounts/login/"
    assert Client().login(username="leaver", password=NEW_PASSWORD)
    assert Client().get(url).status_code == 404  # used up
    assert AuditEvent.objects.filter(action="account.password_set").count() == 1


def test_expired_or_unknown_reset_links_are_404(employee, admin_user, frozen_time):
    import datetime as dt

    _state, raw = frozen_then_reactivated(employee, admin_user)
    assert Client().get("/accounts/lifecycle/password/nope/").status_code == 404
    frozen_time.shift(dt.timedelta(hours=services.RESET_LINK_HOURS, seconds=1))
    assert Client().get(f"/accounts/lifecycle/password/{raw}/").status_code == 404


def test_signed_in_account_that_must_reset_is_held_at_the_password_page(employee, admin_user):
    browser = client_for(employee)
    frozen_then_reactivated(employee, admin_user)
    # A session created after reactivation (e.g. by another login path) is still held back.
    browser.force_login(employee)
    page = browser.get("/")
    assert page.status_code == 302 and page["Location"] == "/accounts/lifecycle/password/"
    api = browser.get("/api/v1/me")
    assert api.status_code == 403 and api.json()["code"] == "password_reset_required"
    assert browser.get("/accounts/lifecycle/password/").status_code == 200
    done = browser.post(
        "/accounts/lifecycle/password/", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.status_code == 302
    assert browser.get("/").status_code == 200
    assert browser.get("/api/v1/me").status_code == 200


def test_bearer_token_of_an_account_that_must_reset_is_refused(employee, admin_user):
    from anzu.core.models import ApiToken

    frozen_then_reactivated(employee, admin_user)
    # Even a token that somehow escaped revocation answers password_reset_required.
    from anzu.core.tokens import _hash

    ApiToken.objects.create(
        user=employee, name="x", prefix="anzu_x", token_hash=_hash("anzu_x-raw")
    )
    response = Client().get("/api/v1/me", headers={"Authorization": "Bearer anzu_x-raw"})
    assert response.status_code == 403
    assert response.json()["code"] == "password_reset_required"


def test_reactivating_an_active_account_is_a_conflict(employee, admin_user):
    with pytest.raises(Conflict):
        services.account_reactivate(user=employee, by=admin_user, reason="?")
    employee.refresh_from_db()
    assert employee.has_usable_password()


def test_reactivation_needs_an_admin_and_a_reason(employee, admin_user, org):
    services.account_freeze(user=employee, reason="left", source="manual", by=admin_user)
    with pytest.raises(PermissionDenied):
        services.account_reactivate(user=employee, by=make_user(org, "management"), reason="x")
    with pytest.raises(ValidationFailed) as err:
        services.account_reactivate(user=employee, by=admin_user, reason="  ")
    assert err.value.field == "reason"
    employee.refresh_from_db()
    assert not employee.is_active


def test_a_new_reset_link_replaces_the_old_one(employee, admin_user):
    _state, first = frozen_then_reactivated(employee, admin_user)
    _state, second = services.account_reset_link_issue(user=employee, by=admin_user)
    assert Client().get(f"/accounts/lifecycle/password/{first}/").status_code == 404
    assert Client().get(f"/accounts/lifecycle/password/{second}/").status_code == 200
