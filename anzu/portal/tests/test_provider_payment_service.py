"""billing.services.payment_record_from_provider: the system records a confirmed payment."""

from __future__ import annotations

from decimal import Decimal

import pytest

from anzu.billing import services as billing_services
from anzu.billing.models import Payment
from anzu.common.errors import Conflict, ValidationFailed
from anzu.core.models import AuditEvent
from anzu.portal.tests.helpers import snapshot

pytestmark = pytest.mark.django_db


def _record(world, **overrides):
    data = {
        "organization_id": world["lease"].organization_id,
        "lease_id": world["lease"].pk,
        "channel": "wechat_pay",
        "amount": "3200.00",
        "received_at": None,
        "reference": "4200000001",
    }
    data.update(overrides)
    return billing_services.payment_record_from_provider(**data)


def test_records_allocates_and_audits_as_the_system(world):
    payment = _record(world)
    assert (payment.created_by_id, payment.amount, payment.unallocated) == (
        None,
        Decimal("3200.00"),
        Decimal("0.00"),
    )
    event = AuditEvent.objects.get(action="payment.record")
    assert (event.actor_id, event.actor_label, event.changes["origin"]) == (
        None,
        "system",
        "provider",
    )


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"reference": ""}, "reference", "required"),
        ({"amount": "0"}, "amount", "zero"),
        ({"channel": "bitcoin"}, "channel", "invalid_choice"),
        ({"lease_id": 999999}, "lease_id", "not_found"),
        ({"organization_id": -1}, "lease_id", "not_found"),
    ],
)
def test_bad_input_writes_nothing(world, overrides, field, code):
    before = snapshot()
    with pytest.raises(ValidationFailed) as err:
        _record(world, **overrides)
    assert (err.value.field, err.value.code) == (field, code)
    assert snapshot() == before


def test_same_reference_twice_is_a_conflict(world):
    _record(world)
    before = snapshot()
    with pytest.raises(Conflict) as err:
        _record(world)
    assert (err.value.code, err.value.field) == ("duplicate_payment", "reference")
    assert snapshot() == before
    assert Payment.objects.count() == 1
