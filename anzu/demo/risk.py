"""Demo risk control: login history, a frozen former employee and maker-checker approvals.

Runs inside the seeding transaction after the leases and the collections exist. Everything goes
through the real services — the login assessment (:func:`anzu.risk.signin.services.
login_assess`), wrong passwords, TOTP enrolment and step-ups, the account freeze, the guarded
services and the approvals service — so the decisions, signals, audit events and approval
requests are what the system would have stored. The services read the time from
:mod:`anzu.common.clock`; the last weeks are replayed by setting that clock to each moment
(:func:`replaying`), the way the dunning replay passes its dates.

The logins a visitor uses (``anzu demo logins``) keep an empty login history: with known devices
a visitor's first login from a new browser would be a step-up, which a visitor cannot pass (no
TOTP device). The history belongs to colleagues (``<slug>-staff-01`` …) and to the former
employee ``<slug>-former-01``:

* office-hours logins on Monday, Wednesday and Friday from the office network (``OFFICE_NET``)
  and each person's office computer; TOTP devices enrolled on the first day;
* new-device step-ups (a laptop at home, a phone on a hotel network), passed with a TOTP code;
* a denied 02:00 login to ``staff-03``: three wrong passwords, then the right one from another
  province's network (``REMOTE_IP``) on an unknown device (new device + new network + unusual
  hour + failures = 95 ≥ the deny score); with an IP database configured (``ANZU_IPDB_PATH``)
  the region signals join in, otherwise the signals come without a region;
* the former employee: a step-up at 21:50, a lease asked for at 22:04 (approved the next
  morning by ``demo-management``), frozen by the HR offboarding feed three days later, and his
  password tried once after the freeze — the shadow-lease report lists the lease (frozen
  account, risky login, no approved activation).

Approvals: the lease creation above (executed), its activation asked by ``demo-management``
(pending, for ``demo-admin``: the creator is excluded), the refund of the largest deposit held on
an ended lease asked by ``demo-finance`` (pending), and a write-off asked by ``demo-finance`` and
rejected by ``demo-management`` with its reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from anzu.billing import services as billing_services
from anzu.billing.choices import BillStatus, DepositEntryKind, PaymentChannel
from anzu.billing.models import Bill, DepositEntry
from anzu.common import clock
from anzu.core.choices import Role, UserKind
from anzu.core.models import Organization, RoleGrant, User
from anzu.leasing import services as leasing_services
from anzu.leasing.choices import CustomerKind, LeaseStatus
from anzu.leasing.models import Customer, Lease
from anzu.portfolio.choices import UnitStatus
from anzu.portfolio.models import Unit
from anzu.risk.approvals import services as approval_services
from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.identity import services as identity_services
from anzu.risk.identity.choices import Source
from anzu.risk.signin import services as signin
from anzu.risk.signin.models import LoginAttempt

HISTORY_DAYS = 30
LOGIN_WEEKDAYS = frozenset({1, 3, 5})  # sessions last: a fresh login three days a week
OFFICE_NET = "203.0.113"  # the office's public network (a documentation range)
HOME_NET = "192.0.2"  # home and hotel networks
REMOTE_IP = "198.51.100.77"  # the 02:00 attempt from another province
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0 Safari/537.36"
)
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.53"
)

# Colleagues with a login history: (suffix, display name, role).
COLLEAGUES: tuple[tuple[str, str, str], ...] = (
    ("staff-01", "财务专员 陈静", Role.FINANCE),
    ("staff-02", "客服专员 刘洋", Role.CUSTOMER_SERVICE),
    ("staff-03", "客服专员 赵磊", Role.CUSTOMER_SERVICE),
)
FORMER = ("former-01", "前招商主管 周斌", Role.MANAGEMENT)
FORMER_EMPLOYEE_ID = "HR-2023-0457"
FREEZE_REASON = "离职：人事系统离职推送"
REFUND_REASON = "退租验房无损坏，押金全额退还"
WRITE_OFF_REASON = "租客称已现金交给前管家，申请核销"
REJECT_REASON = "无收款凭证，不予核销；请先核对银行流水并联系租客"


def colleague_usernames(slug: str) -> list[str]:
    """The demo's staff accounts that are not among the visitor logins (with history)."""
    return [f"{slug}-{suffix}" for suffix, _name, _role in (*COLLEAGUES, FORMER)]


@contextmanager
def replaying(moment: dt.datetime) -> Iterator[None]:
    """Run services as of ``moment``: :func:`anzu.common.clock.now` (and the time Django
    stamps ``auto_now`` fields with) answers ``moment`` inside the block."""
    original = timezone.now
    timezone.now = lambda: moment  # type: ignore[assignment]
    try:
        yield
    finally:
        timezone.now = original  # type: ignore[assignment]


def local_time(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clock.business_tz())


def _token(device: TOTPDevice, steps_ahead: int) -> str:
    """The code the authenticator app shows (``steps_ahead`` periods from now: the app's next
    code, so a code used for the enrolment is not used twice)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


class _Person:
    def __init__(self, user: User, rng: random.Random, host: int) -> None:
        self.user = user
        self.device = f"{rng.getrandbits(128):032x}"
        self.ip = f"{OFFICE_NET}.{host}"
        self.totp: TOTPDevice | None = None


def _login(
    person: _Person, *, device: str = "", ip: str = "", agent: str = BROWSER
) -> LoginAttempt:
    return signin.login_assess(
        user=person.user, ip=ip or person.ip, device_id=device or person.device,
        user_agent=agent,
    )  # fmt: skip


def _step_up(person: _Person, at: dt.datetime, *, device: str, ip: str, agent: str) -> LoginAttempt:
    attempt = _login(person, device=device, ip=ip, agent=agent)
    if attempt.outcome == "step_up_required" and person.totp is not None:
        with replaying(at + dt.timedelta(seconds=40)):
            signin.step_up_verify(attempt=attempt, token=_token(person.totp, 1), failures=0)
    return attempt


def _enrol(person: _Person) -> None:
    device = signin.totp_enroll_start(by=person.user, name="手机验证器")
    person.totp = signin.totp_enroll_confirm(device=device, token=_token(device, 0), by=person.user)


def _staff(org: Organization, *, slug: str, password: str) -> dict[str, User]:
    made = User.objects.bulk_create(
        [
            User(
                username=f"{slug}-{suffix}",
                password=password,
                organization=org,
                kind=UserKind.STAFF,
                display_name=name,
                scope_all=True,
            )
            for suffix, name, _role in (*COLLEAGUES, FORMER)
        ]
    )
    roles = [role for _suffix, _name, role in (*COLLEAGUES, FORMER)]
    RoleGrant.objects.bulk_create(
        [RoleGrant(user=u, role=r) for u, r in zip(made, roles, strict=True)]
    )
    return {u.username: u for u in made}


def seed_risk(
    *, org: Organization, today: dt.date, seed_value: int, users: dict[str, User]
) -> dict[str, int]:
    """Seed the login history, the former employee and the approvals (see the module), in
    the order they happened: each service sees only what came before it."""
    rng = random.Random(seed_value * 7919 + 17)
    made = _staff(org, slug=org.slug, password=users[Role.MANAGEMENT].password)
    people = [
        _Person(made[name], rng, host=11 + i)
        for i, name in enumerate(colleague_usernames(org.slug))
    ]
    *colleagues, former = people
    manager = users[Role.MANAGEMENT]
    freeze_day = today - dt.timedelta(days=5)
    lease_night = today - dt.timedelta(days=8)
    events: list[tuple[dt.datetime, Callable[[], Any]]] = []

    def add(at: dt.datetime, call: Callable[[], Any]) -> None:
        events.append((at, call))

    # Logins on Monday, Wednesday and Friday mornings; TOTP devices enrolled on the first one.
    enrolled: set[str] = set()
    day = today - dt.timedelta(days=HISTORY_DAYS)
    while day < today:
        if day.isoweekday() in LOGIN_WEEKDAYS:
            for person in people:
                if person is former and day >= freeze_day:
                    continue
                at = local_time(day, 8, 20) + dt.timedelta(minutes=rng.randint(0, 85))
                add(at, functools.partial(_login, person))
                if person is not colleagues[2] and person.user.username not in enrolled:
                    enrolled.add(person.user.username)
                    later = at + dt.timedelta(minutes=3)
                    add(later, functools.partial(_enrol, person))
        day += dt.timedelta(days=1)

    # New-device step-ups: a laptop at home, a phone on a hotel network.
    for person, at, net, agent in (
        (colleagues[0], local_time(today - dt.timedelta(days=12), 20, 40), 23, BROWSER),
        (colleagues[1], local_time(today - dt.timedelta(days=4), 13, 15), 140, PHONE),
    ):
        add(at, functools.partial(
            _step_up, person, at, device=f"{rng.getrandbits(128):032x}",
            ip=f"{HOME_NET}.{net}", agent=agent,
        ))  # fmt: skip

    # The former employee: a step-up from home, a lease asked for, approved the next morning,
    # submitted, its activation asked for; then the HR freeze and his password tried again.
    home_device = f"{rng.getrandbits(128):032x}"
    home_ip = f"{HOME_NET}.61"
    at = local_time(lease_night, 21, 50)
    add(at, functools.partial(
        _step_up, former, at, device=home_device, ip=home_ip, agent=BROWSER
    ))  # fmt: skip
    shadow: dict[str, Any] = {}
    next_day, start = lease_night + dt.timedelta(days=1), today + dt.timedelta(days=9)
    add(local_time(lease_night, 22, 4), lambda: shadow.update(
        request=_shadow_lease_request(org=org, former=former.user, start=start)
    ))  # fmt: skip
    add(local_time(next_day, 9, 20), lambda: shadow.update(
        lease=_approve_lease(shadow.get("request"), manager)
    ))  # fmt: skip
    add(local_time(next_day, 9, 41), lambda: shadow.get("lease") and shadow.update(
        lease=leasing_services.lease_submit(lease=shadow["lease"], by=former.user)
    ))  # fmt: skip
    add(local_time(freeze_day - dt.timedelta(days=1), 10, 12), lambda: shadow.get("lease") and (
        leasing_services.lease_activate(lease=shadow["lease"], by=manager)
    ))  # fmt: skip
    add(local_time(freeze_day, 10, 30), lambda: identity_services.account_freeze(
        user=former.user, reason=FREEZE_REASON, source=Source.HR_WEBHOOK, by=None,
        external_id=FORMER_EMPLOYEE_ID,
    ))  # fmt: skip
    add(local_time(today - dt.timedelta(days=3), 23, 41), lambda: signin.record_bad_password(
        username=former.user.username, ip=home_ip, device_id=home_device, user_agent=BROWSER
    ))  # fmt: skip

    # 02:00, another province: three wrong passwords, then the right one — denied.
    target, night = colleagues[2], today - dt.timedelta(days=2)
    intruder = f"{rng.getrandbits(128):032x}"
    for minute in (3, 4, 5):
        add(local_time(night, 2, minute), functools.partial(
            signin.record_bad_password, username=target.user.username, ip=REMOTE_IP,
            device_id=intruder, user_agent=BROWSER,
        ))  # fmt: skip
    at = local_time(night, 2, 6)
    add(at, functools.partial(_login, target, device=intruder, ip=REMOTE_IP))

    # The deposit refund and the write-off (asked, then rejected).
    for at, call in _approvals(org=org, today=today, users=users):
        add(at, call)

    for at, call in sorted(events, key=lambda event: event[0]):  # stable: ties keep their order
        with replaying(at):
            call()
    return {
        "staff_with_login_history": len(people),
        "login_attempts": LoginAttempt.objects.filter(organization=org).count(),
        "approval_requests": ApprovalRequest.objects.filter(organization=org).count(),
    }


def _shadow_lease_request(
    *, org: Organization, former: User, start: dt.date
) -> ApprovalRequest | Lease | None:
    """A lease the former employee asks for late in the evening (held for approval)."""
    unit = (
        Unit.objects.filter(organization=org, status=UnitStatus.VACANT)
        .exclude(leases__occupied_until__gte=start - dt.timedelta(days=1))
        .order_by("id")
        .first()
    )
    customer = (
        Customer.objects.filter(organization=org, kind=CustomerKind.PERSON)
        .exclude(leases__status__in=(LeaseStatus.ACTIVE, LeaseStatus.PENDING_APPROVAL))
        .order_by("id")
        .first()
    )
    if unit is None or customer is None:
        return None
    rent = Decimal(unit.list_rent) * Decimal("0.85")
    return leasing_services.lease_create(
        by=former,
        data={
            "unit_id": unit.pk,
            "customer_id": customer.pk,
            "start_date": start.isoformat(),
            "end_date": (start.replace(year=start.year + 1) - dt.timedelta(days=1)).isoformat(),
            "monthly_rent": f"{rent.quantize(Decimal('10')):.2f}",
            "notes": "客户急需入住，先锁房",
        },
    )


def _approve_lease(request: ApprovalRequest | Lease | None, manager: User) -> Lease | None:
    if not isinstance(request, ApprovalRequest):
        return request
    done = approval_services.request_approve(request=request, by=manager, reason="已电话核实")
    return Lease.objects.get(pk=done.result["object_id"])


def _approvals(
    *, org: Organization, today: dt.date, users: dict[str, User]
) -> list[tuple[dt.datetime, Callable[[], Any]]]:
    """The refund of the largest deposit held on an ended lease (asked yesterday, pending) and
    a write-off of the oldest open bill (asked three days ago, rejected the next morning)."""
    finance, manager = users[Role.FINANCE], users[Role.MANAGEMENT]
    events: list[tuple[dt.datetime, Callable[[], Any]]] = []
    held = (
        DepositEntry.objects.filter(
            organization=org,
            kind=DepositEntryKind.HELD,
            lease__status__in=(LeaseStatus.TERMINATED, LeaseStatus.EXPIRED),
        )
        .values("lease_id")
        .annotate(total=Sum("amount"))
        .order_by("-total", "lease_id")
    )
    lease_id = next(
        (r["lease_id"] for r in held[:10] if billing_services.deposit_balance(r["lease_id"]) > 0),
        None,
    )
    if lease_id is not None:
        lease = Lease.objects.get(pk=lease_id)
        events.append((local_time(today - dt.timedelta(days=1), 15, 20), lambda: (
            billing_services.deposit_refund(
                lease=lease, by=finance, channel=PaymentChannel.BANK_TRANSFER,
                reason=REFUND_REASON,
            )
        )))  # fmt: skip
    bill = (
        Bill.objects.filter(organization=org, status=BillStatus.OPEN, due_date__lt=today)
        .order_by("due_date", "id")
        .first()
    )
    if bill is not None:
        asked: dict[str, Any] = {}
        events.append((local_time(today - dt.timedelta(days=3), 16, 5), lambda: asked.update(
            request=billing_services.bill_write_off(bill=bill, by=finance, reason=WRITE_OFF_REASON)
        )))  # fmt: skip
        events.append((local_time(today - dt.timedelta(days=2), 10, 12), lambda: (
            isinstance(asked.get("request"), ApprovalRequest)
            and approval_services.request_reject(
                request=asked["request"], by=manager, reason=REJECT_REASON
            )
        )))  # fmt: skip
    return events
