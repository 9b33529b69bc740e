"""``anzu statements import``: JSON summary, idempotent, errors as CommandError."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from anzu.billing.reconciliation.models import StatementImport
from anzu.common.testing import make_user

from .helpers import DATA, csv_file

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict:
    out = io.StringIO()
    call_command("statements", "import", *args, stdout=out)
    return json.loads(out.getvalue())


def test_import_prints_a_summary_and_is_idempotent(billed, finance):
    path = str(DATA / "cmb_20260310.sta")
    org = str(finance.organization_id)
    first = run(path, "--org", org, "--user", "finance")
    assert first == {
        "id": StatementImport.objects.get().pk,
        "created": True,
        "file_name": "cmb_20260310.sta",
        "format": "mt940",
        "account": "310066726018010012345",
        "counts": {"lines": 4, "matched": 1, "review": 2, "duplicates": 0, "ignored": 1},
    }
    again = run(path, "--org", org, "--user", "finance")
    assert (again["id"], again["created"]) == (first["id"], False)


def test_errors(billed, finance, org, tmp_path, english):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file("2026-03-10,HX1,,,x,memo"))
    org_id = str(finance.organization_id)
    with pytest.raises(CommandError, match=r"invalid_amount: bad\.csv, line 2, column 金额"):
        run(str(bad), "--org", org_id, "--user", "finance")
    with pytest.raises(CommandError, match="No such file"):
        run(str(tmp_path / "missing.csv"), "--org", org_id, "--user", "finance")
    with pytest.raises(CommandError, match="No user"):
        run(str(bad), "--org", "999999", "--user", "finance")
    make_user(org, "frontline", username="fl")
    with pytest.raises(CommandError, match="forbidden"):
        run(str(bad), "--org", org_id, "--user", "fl")
    assert not StatementImport.objects.exists()
