from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from anzu.common.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from anzu.common.testing import lease_data, make_user
from anzu.core.models import AuditEvent
from anzu.leasing import services
from anzu.leasing.models import Lease
from anzu.portfolio.models import Unit
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db


def test_create_draft_lease_reserves_unit_and_is_audited(portfolio, manager):
    before = AuditEvent.objects.count()
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    assert lease.status == "draft"
    assert lease.code == "L2026-000001"
    assert lease.deposit == Decimal("3200.00")
    assert lease.occupied_until == dt.date(2026, 12, 31)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert [e.action for e in events] == [
        "approval.request",
        "approval.approve",
        "lease.create",
        "unit.status",
        "approval.execute",
    ]
    events = events[2:]
    assert events[0].actor_id == manager.pk
    assert events[0].changes["monthly_rent"] == [None, "3200.00"]
    assert Unit.objects.get(pk=portfolio["u1"].pk).status == "reserved"


def test_overlap_is_refused_naming_the_conflicting_lease(portfolio, manager):
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    count = Lease.objects.count()
    with pytest.raises(Conflict) as err:
        approve_as(
            services.lease_create(
                by=manager,
                data=lease_data(
                    portfolio["u1"],
                    portfolio["customer"],
                    start_date="2026-06-01",
                    end_date="2027-05-31",
                ),
            )
        )
    assert err.value.code == "lease_overlap"
    assert err.value.extra["conflicting_lease"]["code"] == first.code
    assert Lease.objects.count() == count


def test_adjacent_leases_do_not_overlap(portfolio, manager):
    approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    second = approve_as(
        services.lease_create(
            by=manager,
            data=lease_data(
                portfolio["u1"],
                portfolio["customer"],
                start_date="2027-01-01",
                end_date="2027-12-31",
            ),
        )
    )
    assert second.pk


def test_void_lease_releases_the_unit(portfolio, manager):
    first = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_void(lease=first, by=manager, reason="客户放弃")
    again = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    assert again.status == "draft"


def test_lifecycle_and_illegal_transitions(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    with pytest.raises(IllegalTransition):
        approve_as(services.lease_activate(lease=lease, by=manager))
    lease = services.lease_submit(lease=lease, by=manager)
    assert lease.status == "pending_approval"
    lease = approve_as(services.lease_activate(lease=lease, by=manager))
    assert lease.status == "active"
    with pytest.raises(IllegalTransition):
        services.lease_submit(lease=lease, by=manager)
    lease = services.lease_terminate(lease=lease, by=manager, on="2026-03-31", reason="提前退租")
    assert lease.status == "terminated"
    assert lease.occupied_until == dt.date(2026, 3, 31)
    # The freed days can be leased again; the days it ran cannot.
    approve_as(
        services.lease_create(
            by=manager,
            data=lease_data(portfolio["u1"], portfolio["customer"], start_date="2026-04-01"),
        )
    )
    with pytest.raises(Conflict):
        approve_as(
            services.lease_create(
                by=manager,
                data=lease_data(
                    portfolio["u1"],
                    portfolio["customer"],
                    start_date="2026-03-01",
                    end_date="2026-03-15",
                ),
            )
        )


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("end_date", "2025-12-01", "end_before_start"),
        ("end_date", "2046-01-01", "term_too_long"),
        ("monthly_rent", "-1", "negative"),
        ("monthly_rent", "abc", "invalid"),
        ("monthly_rent", "0", "zero"),
        ("monthly_rent", "12.345", "precision"),
        ("pay_months", 2, "invalid_choice"),
        ("unit_id", 999999, "not_found"),
        ("customer_id", 999999, "not_found"),
        ("start_date", "2026-02-30", "invalid"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(portfolio, manager, field, value, code):
    count, audits = Lease.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationFailed) as err:
        approve_as(
            services.lease_create(
                by=manager,
                data=lease_data(portfolio["u1"], portfolio["customer"], **{field: value}),
            )
        )
    assert err.value.field == field
    assert err.value.code == code
    assert (Lease.objects.count(), AuditEvent.objects.count()) == (count, audits)


def test_frontline_cannot_create_leases(portfolio, org):
    frontline = make_user(org, "frontline", projects=[portfolio["p1"]])
    with pytest.raises(PermissionDenied):
        approve_as(
            services.lease_create(
                by=frontline, data=lease_data(portfolio["u1"], portfolio["customer"])
            )
        )


def test_stale_version_is_refused(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_update(
        lease=lease, by=manager, data={"monthly_rent": "3300"}, expected_version=1
    )
    with pytest.raises(Conflict) as err:
        services.lease_update(
            lease=lease, by=manager, data={"monthly_rent": "3400"}, expected_version=1
        )
    assert err.value.code == "stale"
    assert Lease.objects.get(pk=lease.pk).monthly_rent == Decimal("3300.00")


def test_expire_marks_past_active_leases(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    services.lease_submit(lease=lease, by=manager)
    approve_as(services.lease_activate(lease=lease, by=manager))
    assert services.leases_expire(today=dt.date(2026, 12, 31)) == 0
    assert services.leases_expire(today=dt.date(2027, 1, 1)) == 1
    assert services.leases_expire(today=dt.date(2027, 1, 1)) == 0
    assert Lease.objects.get(pk=lease.pk).status == "expired"


def test_audit_table_refuses_update_and_delete(portfolio, manager):
    approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    event = AuditEvent.objects.first()
    assert event is not None
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == event.action


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_database_refuses_overlap_when_code_is_bypassed(portfolio, manager):
    lease = approve_as(
        services.lease_create(by=manager, data=lease_data(portfolio["u1"], portfolio["customer"]))
    )
    clone = Lease.objects.get(pk=lease.pk)
    clone.pk = None
    clone.code = "BYPASS-1"
    with pytest.raises(IntegrityError, match="lease_no_overlap"), transaction.atomic():
        clone.save()
    assert connection.vendor == "postgresql"
