from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import CommandError, call_command

from anzu.common import clock
from anzu.common.crypto import blind_index
from anzu.core.choices import Role, UserKind
from anzu.core.models import AuditEvent, Counter, User
from anzu.demo import data, seeding
from anzu.leasing import services
from anzu.leasing.choices import CustomerKind, LeaseStatus
from anzu.leasing.idnumbers import phone_problem, resident_id_problem, uscc_problem
from anzu.leasing.models import Customer, Lease
from anzu.portfolio.models import Building, Equipment, Project, Unit
from anzu.risk.approvals.testing import approve_as

pytestmark = pytest.mark.django_db

UNITS = 150


@pytest.fixture
def seeded():
    # The portfolio only: anzu/demo/tests/test_collections.py covers bills and dunning.
    return seeding.seed(
        units=UNITS, months=24, seed=7, slug="demo", collections=False, maintenance=False
    )


def _snapshot(slug: str) -> dict[str, list[tuple]]:
    org_filter = {"organization__slug": slug}
    return {
        "projects": list(
            Project.objects.filter(**org_filter)
            .order_by("code")
            .values_list("code", "name", "district")
        ),
        "buildings": list(
            Building.objects.filter(**org_filter)
            .order_by("code")
            .values_list("code", "address", "latitude", "longitude", "floors")
        ),
        "units": list(
            Unit.objects.filter(**org_filter)
            .order_by("building__code", "code")
            .values_list("building__code", "code", "floor", "area_m2", "layout", "list_rent", "status")
        ),
        "equipment": list(
            Equipment.objects.filter(**org_filter)
            .order_by("serial_number")
            .values_list("serial_number", "type", "brand", "model", "batch", "installed_on")
        ),
        "customers": sorted(
            (c.name, c.kind, c.id_number, c.phone)
            for c in Customer.objects.filter(**org_filter)
        ),
        "leases": list(
            Lease.objects.filter(**org_filter)
            .order_by("code")
            .values_list(
                "code", "unit__building__code", "unit__code", "customer__name", "status",
                "start_date", "end_date", "occupied_until", "monthly_rent", "deposit",
                "pay_months", "deposit_months", "terminated_on",
            )
        ),
    }  # fmt: skip


def test_same_seed_gives_the_same_data():
    seeding.seed(units=UNITS, months=12, seed=11, slug="one", collections=False)
    seeding.seed(units=UNITS, months=12, seed=11, slug="two", collections=False)
    seeding.seed(units=UNITS, months=12, seed=12, slug="three", collections=False)
    one, two, three = _snapshot("one"), _snapshot("two"), _snapshot("three")
    assert one == two
    assert one["leases"] != three["leases"]
    assert len(one["units"]) == UNITS


def test_counts_and_realistic_ranges(seeded):
    org = seeded.organization
    assert org.name == data.ORG_NAME
    assert seeded.counts["units"] == Unit.objects.filter(organization=org).count() == UNITS
    assert seeded.counts["leases"] == Lease.objects.filter(organization=org).count()
    for area, rent, layout in Unit.objects.filter(organization=org).values_list(
        "area_m2", "list_rent", "layout"
    ):
        assert 18 <= area <= 90
        assert layout in data.AREA_BY_LAYOUT
        assert 500 <= rent <= 15000
    for lat, lon in Building.objects.filter(organization=org).values_list("latitude", "longitude"):
        assert 30.6 < lat < 31.9 and 120.8 < lon < 122.2  # Shanghai
    assert Equipment.objects.filter(organization=org, unit__isnull=False).exists()
    assert Equipment.objects.filter(organization=org, unit__isnull=True).exists()


def test_leases_of_a_unit_never_overlap(seeded):
    by_unit = defaultdict(list)
    for unit_id, start, until in (
        Lease.objects.filter(organization=seeded.organization)
        .exclude(status=LeaseStatus.VOID)
        .values_list("unit_id", "start_date", "occupied_until")
    ):
        by_unit[unit_id].append((start, until))
    for periods in by_unit.values():
        periods.sort()
        for (_start, until), (next_start, _until) in itertools.pairwise(periods):
            assert next_start > until


def test_lease_and_unit_statuses_match_today(seeded):
    today = clock.today()
    leases = Lease.objects.filter(organization=seeded.organization)
    statuses = set(leases.values_list("status", flat=True))
    assert {"active", "expired", "terminated", "pending_approval", "draft"} <= statuses
    for lease in leases:
        assert lease.occupied_until <= lease.end_date
        if lease.status == LeaseStatus.ACTIVE:
            assert lease.start_date <= today <= lease.end_date
        elif lease.status in (LeaseStatus.EXPIRED, LeaseStatus.TERMINATED):
            assert lease.occupied_until < today
        else:
            assert lease.start_date > today
        if lease.status == LeaseStatus.TERMINATED:
            assert lease.terminated_on == lease.occupied_until < lease.end_date
            assert lease.termination_reason
    occupied = 0
    for unit in Unit.objects.filter(organization=seeded.organization):
        if unit.status == "maintenance":
            assert not unit.leases.filter(occupied_until__gte=today).exists()
            continue
        expected = services.unit_refresh_status(unit_id=unit.pk, by=None)  # no change expected
        assert unit.status == expected
        occupied += unit.status == "occupied"
    assert 0.80 <= occupied / UNITS <= 0.97
    # unit_refresh_status would have audited any change.
    assert not AuditEvent.objects.filter(action="unit.status").exists()


def test_every_role_has_a_login_and_the_tenant_is_a_customer(seeded):
    users = {u.username: u for u in User.objects.filter(organization=seeded.organization)}
    names = seeding.usernames_for("demo")
    for role in Role.values:
        user = users[names[role]]
        assert user.role_set == {role}
        assert check_password(data.DEMO_PASSWORD, user.password)
    assert users[names["frontline"]].scope_all is False
    assert users[names["frontline"]].scopes.filter(project__isnull=False).count() == 1
    assert users[names["engineer"]].scopes.filter(building__isnull=False).exists()
    assert users[names["admin"]].scope_all is True
    tenant = users[names["tenant"]]
    assert tenant.kind == UserKind.TENANT
    assert tenant.customer.leases.filter(status=LeaseStatus.ACTIVE).exists()
    assert {login.role for login in seeded.logins} == {*Role.values, "tenant"}


def test_identity_numbers_phones_and_blind_indexes_are_valid(seeded):
    customers = list(Customer.objects.filter(organization=seeded.organization))
    assert any(c.kind == CustomerKind.COMPANY for c in customers)
    for c in customers:
        if c.kind == CustomerKind.PERSON:
            assert resident_id_problem(c.id_number) is None
        else:
            assert uscc_problem(c.id_number) is None
        assert phone_problem(c.phone) is None
        assert c.id_number_index == blind_index(c.id_number, purpose="id_number")
        assert c.phone_index == blind_index(c.phone, purpose="phone")


def test_personal_data_is_encrypted_at_rest(seeded):
    from django.db import connection

    customer = Customer.objects.filter(organization=seeded.organization).first()
    with connection.cursor() as cur:
        cur.execute("SELECT id_number, phone FROM leasing_customer WHERE id = %s", [customer.pk])
        stored_id, stored_phone = cur.fetchone()
    assert customer.id_number not in stored_id
    assert customer.phone not in stored_phone


def test_one_summary_audit_event(seeded):
    events = AuditEvent.objects.filter(organization=seeded.organization)
    assert [e.action for e in events] == ["demo.seed"]
    assert events[0].changes["counts"]["units"] == UNITS


def test_lease_numbers_continue_after_the_demo(seeded):
    org = seeded.organization
    manager = User.objects.get(username="demo-management")
    unit = Unit.objects.filter(organization=org, status="vacant").first()
    customer = Customer.objects.filter(organization=org).first()
    start = clock.today() + dt.timedelta(days=400)
    lease = approve_as(
        services.lease_create(
            by=manager,
            data={
                "unit_id": unit.pk,
                "customer_id": customer.pk,
                "start_date": start.isoformat(),
                "end_date": (start + dt.timedelta(days=364)).isoformat(),
                "monthly_rent": "3000.00",
            },
        )
    )
    counter = Counter.objects.get(organization=org, name=f"lease-{start.year}")
    assert lease.code == f"L{start.year}-{counter.value:06d}"
    assert Lease.objects.filter(organization=org, code=lease.code).count() == 1


def test_seeding_an_organization_with_data_is_refused(seeded):
    leases = Lease.objects.count()
    with pytest.raises(seeding.SeedRefused, match="already has data"):
        seeding.seed(units=20, slug="demo")
    assert Lease.objects.count() == leases


def test_command_prints_the_logins_and_skips_when_seeded():
    out = StringIO()
    call_command("demo", "seed", "--units", "40", "--months", "6", "--org", "cmd", stdout=out)
    text = out.getvalue()
    for username in seeding.usernames_for("cmd").values():
        assert username in text
    assert data.DEMO_PASSWORD in text
    out = StringIO()
    call_command("demo", "seed", "--org", "cmd", "--skip-if-seeded", stdout=out)
    assert "nothing to do" in out.getvalue()
    with pytest.raises(CommandError, match="already has data"):
        call_command("demo", "seed", "--units", "40", "--org", "cmd", stdout=StringIO())
    out = StringIO()
    call_command("demo", "logins", "--org", "cmd", stdout=out)
    assert "cmd-tenant" in out.getvalue()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--units", "0"], "--units"),
        (["--months", "0"], "--months"),
        (["--org", "Bad Slug"], "--org"),
    ],
)
def test_command_rejects_bad_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("demo", "seed", *args, stdout=StringIO())


@pytest.mark.parametrize(("units", "months", "seed"), [(1, 1, 1), (3, 1, 2), (9, 2, 3)])
def test_tiny_demos_still_have_every_login(units, months, seed):
    # Tiny demos keep their collections (a lease or none at all must not break them).
    result = seeding.seed(units=units, months=months, seed=seed, slug=f"tiny-{seed}")
    assert result.counts["units"] == units
    assert {login.role for login in result.logins} == {*Role.values, "tenant"}
    tenant = User.objects.get(username=f"tiny-{seed}-tenant")
    assert tenant.customer.organization_id == result.organization.pk


def test_bulk_helpers_match_the_crypto_module():
    from anzu.common.crypto import decrypt
    from anzu.demo.bulk import blind_indexer, encryptor

    encrypt = encryptor()
    assert decrypt(encrypt("310104199001011234")) == "310104199001011234"
    for purpose in ("id_number", "phone"):
        assert blind_indexer(purpose)(" 13800138000 ") == blind_index(
            "13800138000", purpose=purpose
        )
        assert blind_indexer(purpose)("31010419900101123x") == blind_index(
            "31010419900101123X", purpose=purpose
        )
