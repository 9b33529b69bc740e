from __future__ import annotations

import pytest

from anzu.common.crypto import blind_index
from anzu.common.errors import Conflict, ValidationFailed
from anzu.common.testing import make_user, resident_id
from anzu.core.models import AuditEvent
from anzu.leasing import services
from anzu.leasing.models import Customer

pytestmark = pytest.mark.django_db


def person(**overrides):
    data = {
        "kind": "person",
        "name": "王小明",
        "id_type": "resident_id",
        "id_number": resident_id(7),
        "phone": "13912345678",
    }
    data.update(overrides)
    return data


def test_personal_data_is_encrypted_at_rest(manager):
    customer = services.customer_create(by=manager, data=person())
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM leasing_customer WHERE id = %s", [customer.pk])
        raw_id, raw_phone = cur.fetchone()
    assert resident_id(7) not in raw_id
    assert "13912345678" not in raw_phone
    fresh = Customer.objects.get(pk=customer.pk)
    assert (fresh.id_number, fresh.phone) == (resident_id(7), "13912345678")
    assert fresh.id_number_index == blind_index(resident_id(7), purpose="id_number")


def test_audit_holds_personal_data_only_as_per_person_keyed_hashes(manager):
    from anzu.core.audit import pii_token
    from anzu.core.models import SubjectKey

    customer = services.customer_create(by=manager, data=person())
    twin = services.customer_create(by=manager, data=person(id_number=resident_id(8)))
    event = AuditEvent.objects.get(action="customer.create", object_id=str(customer.pk))
    other = AuditEvent.objects.get(action="customer.create", object_id=str(twin.pk))
    for name in ("name", "id_number", "phone"):
        assert event.changes[name][0] is None
        assert event.changes[name][1].startswith("pii:")
    text = str(event.changes) + event.object_repr
    assert resident_id(7) not in text and "13912345678" not in text and "王小明" not in text
    assert event.object_repr == f"customer #{customer.pk}"
    # The same name of two people hashes differently: one person's salt links only their values.
    assert event.changes["name"][1] != other.changes["name"][1]
    key = SubjectKey.objects.get(subject_type="leasing.customer", subject_id=str(customer.pk))
    assert pii_token(bytes(key.salt), "王小明") == event.changes["name"][1]
    # Erasure deletes the salt; the log is untouched and the hash can no longer be linked.
    key.delete()
    assert AuditEvent.objects.get(pk=event.pk).changes == event.changes


def test_updates_of_one_person_hash_consistently(manager):
    customer = services.customer_create(by=manager, data=person())
    services.customer_update(customer=customer, by=manager, data={"phone": "13700000000"})
    services.customer_update(customer=customer, by=manager, data={"phone": "13912345678"})
    created, first, second = AuditEvent.objects.filter(
        object_type="leasing.customer", object_id=str(customer.pk)
    ).order_by("id")
    assert first.changes["phone"][0] == created.changes["phone"][1]
    assert second.changes["phone"][1] == created.changes["phone"][1]


def test_duplicate_identity_is_a_conflict(manager):
    services.customer_create(by=manager, data=person())
    with pytest.raises(Conflict) as err:
        services.customer_create(by=manager, data=person(name="另一个人"))
    assert err.value.field == "id_number"
    assert Customer.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "110101199003071235"}, "id_number"),
        ({"phone": "12345"}, "phone"),
        ({"kind": "company"}, "id_type"),
        ({"id_type": "uscc"}, "id_type"),
        ({"kind": "robot"}, "kind"),
        ({"name": ""}, "name"),
        ({"email": "nobody@"}, "email"),
    ],
)
def test_bad_customer_input(manager, overrides, field):
    with pytest.raises(ValidationFailed) as err:
        services.customer_create(by=manager, data=person(**overrides))
    assert err.value.field == field
    assert Customer.objects.count() == 0
    assert AuditEvent.objects.count() == 0


def test_company_with_uscc(manager):
    company = services.customer_create(
        by=manager,
        data={
            "kind": "company",
            "name": "杭州某科技有限公司",
            "id_type": "uscc",
            "id_number": "91350100M000100Y43",
            "tags": "企业客户, 长租",
        },
    )
    assert company.tags == ["企业客户", "长租"]


def test_update_changes_index(manager):
    customer = services.customer_create(by=manager, data=person())
    services.customer_update(customer=customer, by=manager, data={"phone": "13700000000"})
    fresh = Customer.objects.get(pk=customer.pk)
    assert fresh.phone_index == blind_index("13700000000", purpose="phone")


def test_engineer_cannot_create_customers(org):
    engineer = make_user(org, "engineer")
    from anzu.common.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.customer_create(by=engineer, data=person())
