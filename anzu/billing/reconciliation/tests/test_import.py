"""Importing statements: automatic matching, review, duplicates, idempotency, nothing on error."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest

from anzu.billing import services as billing_services
from anzu.billing.models import Allocation, Bill, Payment
from anzu.billing.reconciliation import parsers, services
from anzu.billing.reconciliation.models import StatementImport, StatementLine
from anzu.common.errors import PermissionDenied, ValidationFailed
from anzu.common.testing import CustomerFactory, make_user
from anzu.core.models import AuditEvent

from .helpers import DATA, csv_file

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def run(user, data: bytes, name: str = "stmt.csv", account: str = "") -> StatementImport:
    result = services.statement_import(by=user, file_name=name, data=data, account=account)
    assert result.created
    return result.statement_import


def paid(lease):
    return [
        (b.kind, b.due_date.isoformat(), b.paid_amount)
        for b in Bill.objects.filter(lease=lease).order_by("due_date", "id")
    ]


def test_reference_in_memo_records_the_payment(billed, finance):
    imp = run(
        finance,
        csv_file("2026-03-09,HX001,张三,6222020200112233445,6400.00,房租 L2026-000001"),
    )
    assert imp.counts() == {"lines": 1, "matched": 1, "review": 0, "duplicates": 0, "ignored": 0}
    line = StatementLine.objects.get()
    assert (line.status, line.match_method, line.match_score, line.lease_id) == (
        "matched",
        "reference",
        100,
        billed.pk,
    )
    assert line.customer_id == billed.customer_id
    assert line.candidates == [
        {
            "lease_id": billed.pk,
            "customer_id": billed.customer_id,
            "method": "reference",
            "score": 100,
            "reasons": [{"code": "lease_code_in_memo", "lease_code": "L2026-000001"}],
        }
    ]
    payment = line.payment
    assert (payment.channel, payment.amount, payment.reference, payment.payer_name) == (
        "bank_transfer",
        Decimal("6400.00"),
        "HX001",
        "张三",
    )
    assert payment.received_at == dt.datetime(2026, 3, 9, 12, 0, tzinfo=SHANGHAI)
    assert payment.created_by == finance
    # Oldest due first: January's rent and the deposit (both due 01-01).
    assert paid(billed) == [
        ("deposit", "2026-01-01", Decimal("3200.00")),
        ("rent", "2026-01-01", Decimal("3200.00")),
        ("rent", "2026-02-01", Decimal("0.00")),
        ("rent", "2026-03-01", Decimal("0.00")),
    ]
    event = AuditEvent.objects.get(action="statement.import")
    assert event.object_id == str(imp.pk)
    assert event.actor == finance
    assert event.changes["matched"] == 1
    assert event.changes["payments"] == [[line.pk, payment.pk, "matched"]]
    assert AuditEvent.objects.filter(action="payment.record", object_id=str(payment.pk)).exists()


def test_bill_number_in_memo(billed, finance):
    bill = Bill.objects.get(lease=billed, kind="rent", due_date=dt.date(2026, 2, 1))
    run(finance, csv_file(f"2026-03-10,HX9,某公司,,100.00,代付 账单{bill.pk}"))
    line = StatementLine.objects.get()
    assert (line.status, line.lease_id) == ("matched", billed.pk)
    assert line.candidates[0]["reasons"] == [{"code": "bill_in_memo", "bill_id": bill.pk}]


def test_payer_name_and_bill_amount(billed, finance):
    run(finance, csv_file("2026-03-10,HX2,李雷,6222,3200.00,转账"))
    line = StatementLine.objects.get()
    assert (line.status, line.match_method, line.match_score) == ("matched", "payer_amount", 90)
    assert line.lease_id == billed.pk
    assert line.payment.amount == Decimal("3200.00")


def test_payer_name_and_sum_of_bills_due(billed, finance):
    # Deposit + Jan + Feb + Mar rent due by 03-10 = 12800.
    run(finance, csv_file("2026-03-10,HX3,李雷,,12800.00,转账"))
    line = StatementLine.objects.get()
    assert line.status == "matched"
    assert {"code": "payer_due_total", "due_by": "2026-03-10"} in line.candidates[0]["reasons"]
    assert all(p == Decimal("3200.00") for _k, _d, p in paid(billed))


def test_two_leases_fit_the_payer_and_amount_so_it_goes_to_review(make_lease, finance, frozen):
    from anzu.billing.generation import bills_generate

    a = make_lease()
    b = make_lease(unit="u3")
    bills_generate(through=dt.date(2026, 3, 31))
    imp = run(finance, csv_file("2026-03-10,HX4,李雷,,3200.00,房租"))
    assert imp.counts()["review"] == 1
    line = StatementLine.objects.get()
    assert (line.status, line.payment_id, line.lease_id) == ("review", None, None)
    assert line.reasons == [{"code": "ambiguous", "count": 2}]
    assert [(c["lease_id"], c["score"]) for c in line.candidates] == [(a.pk, 90), (b.pk, 90)]
    assert not Payment.objects.exists()


def test_the_lease_number_in_the_memo_beats_the_payers_other_lease(make_lease, finance, frozen):
    from anzu.billing.generation import bills_generate

    a = make_lease()
    b = make_lease(unit="u3")
    bills_generate(through=dt.date(2026, 3, 31))
    run(finance, csv_file(f"2026-03-10,HX4,李雷,,3200.00,房租 {b.code}"))
    line = StatementLine.objects.get()
    assert (line.status, line.lease_id, line.match_method) == ("matched", b.pk, "reference")
    assert [(c["lease_id"], c["score"]) for c in line.candidates] == [(b.pk, 100), (a.pk, 90)]


def test_amount_only_is_never_accepted(billed, finance):
    run(finance, csv_file("2026-03-10,HX5,王五,,3200.00,转账"))
    line = StatementLine.objects.get()
    assert line.status == "review"
    assert line.match_score == 30
    assert line.reasons == [{"code": "below_threshold", "threshold": 80}]
    assert {(c["lease_id"], c["method"], c["score"]) for c in line.candidates} == {
        (billed.pk, "amount", 30)
    }
    assert not Payment.objects.exists()


def test_payer_without_a_fitting_amount_is_suggested(billed, finance):
    run(finance, csv_file("2026-03-10,HX6,李雷,,1234.00,转账"))
    line = StatementLine.objects.get()
    assert line.status == "review"
    assert line.candidates == [
        {
            "lease_id": billed.pk,
            "customer_id": billed.customer_id,
            "method": "payer",
            "score": 50,
            "reasons": [{"code": "payer_name"}],
        }
    ]


def test_nothing_matches(billed, finance):
    run(finance, csv_file("2026-03-10,HX7,路人甲,,77.00,不明款项"))
    line = StatementLine.objects.get()
    assert (line.status, line.candidates, line.reasons) == (
        "review",
        [],
        [{"code": "no_candidate"}],
    )


def test_debits_zero_amounts_and_foreign_currency_are_ignored(billed, finance):
    data = csv_file(
        "2026-03-10,D1,,,-25.00,手续费,CNY",
        "2026-03-10,D2,,,0.00,冲正,CNY",
        "2026-03-10,D3,李雷,,3200.00,L2026-000001,USD",
        header="交易日期,流水号,对方户名,对方账号,金额,摘要,币种",
    )
    imp = run(finance, data)
    assert imp.counts() == {"lines": 3, "matched": 0, "review": 0, "duplicates": 0, "ignored": 3}
    assert [(x.status, x.reasons) for x in StatementLine.objects.order_by("line_number")] == [
        ("ignored", [{"code": "debit"}]),
        ("ignored", [{"code": "zero_amount"}]),
        ("ignored", [{"code": "currency", "currency": "USD"}]),
    ]
    assert not Payment.objects.exists()


def test_mt940_end_to_end(billed, finance):
    CustomerFactory(organization=billed.organization, name="韩梅梅")
    imp = run(finance, (DATA / "cmb_20260310.sta").read_bytes(), name="cmb_20260310.sta")
    assert imp.format == "mt940"
    assert imp.account == "310066726018010012345"
    assert imp.counts() == {"lines": 4, "matched": 1, "review": 2, "duplicates": 0, "ignored": 1}
    matched = StatementLine.objects.get(status="matched")
    assert (matched.bank_reference, matched.lease_id) == ("CMB2603100001", billed.pk)
    assert matched.payer_account == "6222020200112233445"


def test_payer_account_is_encrypted_at_rest(billed, finance):
    from django.db import connection

    run(finance, csv_file("2026-03-10,HX1,李雷,6222020200112233445,1.00,x"))
    with connection.cursor() as cur:
        cur.execute("SELECT payer_account FROM reconciliation_statementline")
        stored = cur.fetchone()[0]
    assert "6222020200112233445" not in stored
    assert StatementLine.objects.get().payer_account == "6222020200112233445"


# Idempotency and duplicates ----------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(billed, finance):
    data = csv_file("2026-03-10,HX1,李雷,,3200.00,L2026-000001")
    first = run(finance, data)
    before = (Payment.objects.count(), StatementLine.objects.count(), AuditEvent.objects.count())
    again = services.statement_import(by=finance, file_name="renamed.csv", data=data)
    assert (again.created, again.statement_import.pk) == (False, first.pk)
    after = (Payment.objects.count(), StatementLine.objects.count(), AuditEvent.objects.count())
    assert after == before
    assert StatementImport.objects.count() == 1


def test_overlapping_files_skip_lines_already_imported(billed, finance):
    run(finance, csv_file("2026-03-09,HX1,李雷,,3200.00,L2026-000001"), name="week1.csv")
    second = run(
        finance,
        csv_file(
            "2026-03-09,HX1,李雷,,3200.00,L2026-000001",
            "2026-03-10,HX2,李雷,,3200.00,L2026-000001",
        ),
        name="week1-2.csv",
    )
    assert second.counts() == {"lines": 2, "matched": 1, "review": 0, "duplicates": 1, "ignored": 0}
    assert list(second.statement_lines.values_list("bank_reference", flat=True)) == ["HX2"]
    assert Payment.objects.count() == 2


def test_identical_lines_in_one_file_are_both_kept(billed, finance):
    imp = run(
        finance,
        csv_file("2026-03-10,,路人甲,,50.00,押金", "2026-03-10,,路人甲,,50.00,押金"),
    )
    assert imp.counts()["review"] == 2
    assert StatementLine.objects.count() == 2


def test_reference_already_recorded_by_hand_links_that_payment(billed, finance):
    manual = billing_services.payment_record(
        by=finance, channel="bank_transfer", amount="3200.00", lease_id=billed.pk, reference="HX1"
    )
    imp = run(finance, csv_file("2026-03-10,HX1,李雷,,3200.00,L2026-000001"))
    assert imp.counts() == {"lines": 1, "matched": 0, "review": 0, "duplicates": 1, "ignored": 0}
    line = StatementLine.objects.get()
    assert (line.status, line.match_method, line.payment_id, line.lease_id) == (
        "resolved",
        "existing_payment",
        manual.pk,
        billed.pk,
    )
    assert Payment.objects.count() == 1


def test_same_reference_twice_in_one_file_records_one_payment(billed, finance):
    imp = run(
        finance,
        csv_file(
            "2026-03-10,HX1,李雷,,3200.00,L2026-000001",
            "2026-03-10,HX1,李雷,,3200.00,L2026-000001 again",
        ),
    )
    assert imp.counts() == {"lines": 2, "matched": 1, "review": 0, "duplicates": 1, "ignored": 0}
    first, second = StatementLine.objects.order_by("line_number")
    assert second.payment_id == first.payment_id
    assert Payment.objects.count() == 1


def test_a_concurrent_import_of_the_same_file_wins(billed, finance):
    """The file is inserted between the check and the write: the unique key answers."""
    data = csv_file("2026-03-10,HX1,李雷,,3200.00,L2026-000001")
    real_parse = parsers.parse_statement
    other: dict[str, StatementImport] = {}

    def parse_while_another_clerk_imports(name, raw):
        other["import"] = StatementImport.objects.create(
            organization=finance.organization,
            file_name="other.csv",
            sha256=__import__("hashlib").sha256(raw).hexdigest(),
            format="csv",
        )
        return real_parse(name, raw)

    with mock.patch.object(parsers, "parse_statement", parse_while_another_clerk_imports):
        result = services.statement_import(by=finance, file_name="stmt.csv", data=data)
    assert (result.created, result.statement_import.pk) == (False, other["import"].pk)
    assert StatementLine.objects.count() == 0
    assert not Payment.objects.exists()


# Refusals ----------------------------------------------------------------------------------


def test_malformed_file_writes_nothing(billed, finance):
    events = AuditEvent.objects.count()
    data = csv_file(
        "2026-03-10,HX1,李雷,,3200.00,L2026-000001",
        "2026-03-10,HX2,李雷,,32OO.00,L2026-000001",
    )
    with pytest.raises(ValidationFailed) as exc:
        services.statement_import(by=finance, file_name="bad.csv", data=data)
    assert (exc.value.code, exc.value.field) == ("invalid_amount", "file")
    assert exc.value.message == "bad.csv, line 3, column 金额: '32OO.00' is not an amount."
    assert not StatementImport.objects.exists()
    assert not StatementLine.objects.exists()
    assert not Payment.objects.exists()
    assert AuditEvent.objects.count() == events


def test_frontline_may_not_import(billed, org):
    with pytest.raises(PermissionDenied):
        services.statement_import(
            by=make_user(org, "frontline"), file_name="a.csv", data=csv_file("2026-03-10,,,,1,x")
        )
    assert not StatementImport.objects.exists()


def test_account_given_by_the_user_wins(billed, finance):
    imp = run(finance, csv_file("2026-03-10,HX1,,,1.00,x"), account="6225880112345678")
    assert imp.account == "6225880112345678"


def test_another_organization_lease_code_does_not_match(billed, finance, other_org):
    outsider = make_user(other_org, "finance", username="outsider")
    run(outsider, csv_file("2026-03-10,HX1,李雷,,3200.00,L2026-000001"))
    line = StatementLine.objects.get()
    assert (line.organization_id, line.status, line.candidates) == (other_org.pk, "review", [])
    assert not Allocation.objects.exists()


def test_unmatched_lines_cost_no_queries_per_line(billed, finance):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n: int, tag: str) -> int:
        rows = [f"2026-03-10,{tag}{i},路人{i},,{i + 1}.11,不明 L2099-{i:06d}" for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            run(finance, csv_file(*rows), name=f"{tag}.csv")
        return len(ctx.captured_queries)

    queries(1, "W")  # warm-up: what the first import of a session reads once
    assert queries(3, "A") == queries(30, "B")
