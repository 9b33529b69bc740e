"""The demo contracts: archived, read and reviewed without OCR or tasks."""

from __future__ import annotations

import pytest

from anzu.contracts.demo import amount_in_words, seed_contracts
from anzu.contracts.models import Contract, ContractField
from anzu.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_amount_in_words():
    assert amount_in_words(6500) == "陆仟伍佰元整"
    assert amount_in_words(3050) == "叁仟零伍拾元整"
    assert amount_in_words(12000) == "壹万贰仟元整"


def test_seed_contracts(home):
    from anzu.demo import seeding

    result = seeding.seed(
        units=60, months=6, seed=5, slug="contracts-demo", collections=False, maintenance=False
    )
    org = result.organization
    contracts = Contract.objects.filter(organization=org)
    assert contracts.count() == 20
    assert set(contracts.values_list("status", flat=True)) == {"ready"}
    for c in contracts:
        assert c.lease_id and c.unit_id and c.document.sha256 == c.sha256
        assert c.text.startswith("房屋租赁合同")
    for f in ContractField.objects.filter(contract__organization=org):
        if f.start is not None:
            assert f.evidence == f.contract.text[f.start : f.end]
    assert [e.action for e in AuditEvent.objects.filter(organization=org)] == ["demo.seed"]
    assert seed_contracts(org, count=0) == 0
