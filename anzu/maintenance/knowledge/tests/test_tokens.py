from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core import signing

from anzu.common.errors import PermissionDenied, ValidationFailed
from anzu.common.testing import UnitFactory, make_user
from anzu.core.models import AuditEvent
from anzu.maintenance.knowledge import selectors, services
from anzu.maintenance.knowledge.models import QrKeyVersion
from anzu.maintenance.knowledge.tokens import (
    SALT,
    QrCodeExpired,
    QrCodeInvalid,
    QrCodeReplaced,
    qr_read,
    qr_sign,
)

pytestmark = pytest.mark.urls("anzu.maintenance.knowledge.tests.urls")


def test_sign_and_resolve_round_trip(portfolio: dict[str, Any], frozen: Any) -> None:
    u1 = portfolio["u1"]
    token = selectors.qr_token_for(u1)
    claim = qr_read(token)
    assert (claim.organization_id, claim.unit_id, claim.version) == (u1.organization_id, u1.pk, 1)
    assert claim.issued_on == dt.date(2026, 3, 10)
    assert selectors.qr_resolve(token) == u1


@pytest.mark.parametrize("mangle", ["signature", "payload", "empty", "garbage", "long"])
def test_forged_or_malformed_tokens_are_invalid(portfolio: dict[str, Any], mangle: str) -> None:
    token = selectors.qr_token_for(portfolio["u1"])
    payload, signature = token.rsplit(":", 1)
    bad = {
        "signature": f"{payload}:{'A' if signature[0] != 'A' else 'B'}{signature[1:]}",
        "payload": f"{payload[:-2]}xx:{signature}",
        "empty": "",
        "garbage": "not-a-token",
        "long": "a" * 400,
    }[mangle]
    with pytest.raises(QrCodeInvalid):
        selectors.qr_resolve(bad)


def test_token_signed_with_another_salt_is_invalid(portfolio: dict[str, Any]) -> None:
    u1 = portfolio["u1"]
    token = signing.Signer(salt="something-else").sign_object(
        [u1.organization_id, u1.pk, 1, "20260310"]
    )
    with pytest.raises(QrCodeInvalid):
        selectors.qr_resolve(token)


def test_token_naming_a_unit_of_another_organization_is_invalid(
    portfolio: dict[str, Any], other_org: Any
) -> None:
    foreign = UnitFactory(building__project__organization=other_org)
    token = qr_sign(
        organization_id=portfolio["u1"].organization_id,
        unit_id=foreign.pk,
        version=1,
        issued_on=dt.date(2026, 3, 10),
    )
    with pytest.raises(QrCodeInvalid):
        selectors.qr_resolve(token)


def test_token_with_a_future_version_is_invalid(portfolio: dict[str, Any]) -> None:
    u1 = portfolio["u1"]
    token = qr_sign(
        organization_id=u1.organization_id, unit_id=u1.pk, version=2, issued_on=dt.date.min
    )
    with pytest.raises(QrCodeInvalid):
        selectors.qr_resolve(token)


def test_malformed_payload_inside_a_valid_signature_is_invalid(portfolio: dict[str, Any]) -> None:
    token = signing.Signer(salt=SALT).sign_object(["x", 1])
    with pytest.raises(QrCodeInvalid):
        selectors.qr_resolve(token)


def test_rotation_replaces_old_codes(portfolio: dict[str, Any], manager: Any, frozen: Any) -> None:
    u1 = portfolio["u1"]
    old = selectors.qr_token_for(u1)
    row = services.qr_rotate(by=manager)
    assert (row.version, row.max_age_days, row.rotated_by) == (2, None, manager)
    with pytest.raises(QrCodeReplaced):
        selectors.qr_resolve(old)
    new = selectors.qr_token_for(u1)
    assert qr_read(new).version == 2
    assert selectors.qr_resolve(new) == u1
    event = AuditEvent.objects.get(action="qr_key.rotate")
    assert event.organization_id == u1.organization_id
    assert event.changes == {"version": [1, 2], "max_age_days": None}
    assert services.qr_rotate(by=manager).version == 3


def test_rotation_is_per_organization(
    portfolio: dict[str, Any], manager: Any, other_org: Any
) -> None:
    token = selectors.qr_token_for(portfolio["u1"])
    services.qr_rotate(by=make_user(other_org, "management", username="other-manager"))
    assert selectors.qr_resolve(token) == portfolio["u1"]


def test_rotation_needs_portfolio_write(portfolio: dict[str, Any], cs: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.qr_rotate(by=cs)
    assert QrKeyVersion.objects.count() == 0
    assert not AuditEvent.objects.filter(action="qr_key.rotate").exists()


@pytest.mark.parametrize("bad", [0, -1, 3651, "abc"])
def test_rotation_refuses_a_bad_max_age(portfolio: dict[str, Any], manager: Any, bad: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.qr_rotate(max_age_days=bad, by=manager)
    assert exc.value.field == "max_age_days"
    assert QrKeyVersion.objects.count() == 0


def test_max_age_expires_codes(portfolio: dict[str, Any], manager: Any, frozen: Any) -> None:
    services.qr_rotate(max_age_days=30, by=manager)
    token = selectors.qr_token_for(portfolio["u1"])
    with time_machine.travel(dt.datetime(2026, 4, 9, 10, 0, tzinfo=dt.UTC), tick=False):
        assert selectors.qr_resolve(token) == portfolio["u1"]  # 30 days old
    with (
        time_machine.travel(dt.datetime(2026, 4, 10, 10, 0, tzinfo=dt.UTC), tick=False),
        pytest.raises(QrCodeExpired),
    ):
        selectors.qr_resolve(token)


def test_invalid_code_page_is_404(client: Any, portfolio: dict[str, Any]) -> None:
    token = selectors.qr_token_for(portfolio["u1"])
    response = client.get(f"/r/{token[:-3]}abc/")
    assert response.status_code == 404
    assert "二维码无效" in response.content.decode()


def test_replaced_code_page_is_410(client: Any, portfolio: dict[str, Any], manager: Any) -> None:
    old = selectors.qr_token_for(portfolio["u1"])
    services.qr_rotate(by=manager)
    response = client.get(f"/r/{old}/")
    assert response.status_code == 410
    assert "此二维码已更换，请扫描新的二维码" in response.content.decode()
    response = client.get(f"/r/{old}/c/water_electric.toilet_blocked/")
    assert response.status_code == 410


def test_expired_code_page_is_410(
    client: Any, portfolio: dict[str, Any], manager: Any, frozen: Any
) -> None:
    services.qr_rotate(max_age_days=1, by=manager)
    token = selectors.qr_token_for(portfolio["u1"])
    frozen.shift(dt.timedelta(days=2))
    response = client.get(f"/r/{token}/")
    assert response.status_code == 410
    assert "此二维码已过期" in response.content.decode()


def test_rotation_page(client: Any, portfolio: dict[str, Any], manager: Any, cs: Any) -> None:
    client.force_login(cs)
    assert client.post("/kb/qr/rotate/", {"max_age_days": ""}).status_code == 403
    client.force_login(manager)
    response = client.post("/kb/qr/rotate/", {"max_age_days": "90"})
    assert response.status_code == 302
    assert list(QrKeyVersion.objects.values_list("version", "max_age_days")) == [(2, 90)]
    response = client.post("/kb/qr/rotate/", {"max_age_days": "0"})
    assert response.status_code == 302
    assert QrKeyVersion.objects.count() == 1
