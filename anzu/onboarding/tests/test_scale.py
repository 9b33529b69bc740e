from __future__ import annotations

import time

import pytest

from anzu.onboarding.services import import_file
from anzu.onboarding.tests.helpers import customer_row, lease_row, unit_row, workbook

pytestmark = pytest.mark.django_db

HOUSEHOLDS = 2000


def project_workbook(n: int = HOUSEHOLDS) -> bytes:
    """A 2,000-household project: 20 buildings, a customer and an active lease per unit."""
    units, customers, leases = [], [], []
    for i in range(n):
        building = f"B{i // 100 + 1:02d}"
        code = f"{(i % 100) // 10 + 1}{i % 10 + 1:02d}"
        units.append(
            unit_row(
                code,
                building_code=building,
                building_name=f"{building}栋",
                floor=(i % 100) // 10 + 1,
            )
        )
        customers.append(customer_row(i + 1, id_number=_id(i + 1), phone=f"139{i:08d}"))
        leases.append(
            lease_row(
                code,
                i + 1,
                building_code=building,
                lease_code=f"HT-{i:05d}",
                customer_id_number=_id(i + 1),
            )
        )
    return workbook(units=units, customers=customers, leases=leases)


def _id(n: int) -> str:
    import datetime as dt

    from anzu.common.testing import resident_id

    return resident_id(n % 1000, dt.date(1980, 1, 1) + dt.timedelta(days=n // 1000))


def test_a_2000_household_project_imports_set_based(org, manager, django_assert_max_num_queries):
    """The work is set-based: multi-row inserts (SQLite caps a statement at 999 parameters, so
    ~76 rows each there, 1,000 on PostgreSQL) instead of ~12,000 single-row statements. The wall
    time (a few seconds) is printed, not asserted, to keep the test stable on busy machines."""
    data = project_workbook()
    started = time.perf_counter()
    with django_assert_max_num_queries(250):
        result = import_file(organization=org, by=manager, name="project.xlsx", data=data)
    elapsed = time.perf_counter() - started
    assert result.ok, result.errors[:5]
    assert result.counts["units"]["created"] == HOUSEHOLDS
    assert result.counts["customers"]["created"] == HOUSEHOLDS
    assert result.counts["leases"]["created"] == HOUSEHOLDS
    assert result.audit_events == 1 + 20 + 3 * HOUSEHOLDS
    with django_assert_max_num_queries(40):
        again = import_file(organization=org, by=manager, name="project.xlsx", data=data)
    assert again.ok and not again.written
    assert again.counts["leases"]["unchanged"] == HOUSEHOLDS
    print(f"2,000-household workbook imported in {elapsed:.1f}s")
