from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.cache import cache

from anzu.contracts.models import Contract
from anzu.documents.models import Document

# Business date of every test here (Asia/Shanghai): 2026-06-01.
TODAY = dt.date(2026, 6, 1)
NOW = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)

_seq = itertools.count(1)


@pytest.fixture(autouse=True)
def _frozen_and_clean() -> Any:
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def make_contract(org: Any, **fields: Any) -> Contract:
    n = next(_seq)
    sha = hashlib.sha256(f"contract-{n}-{org.pk}".encode()).hexdigest()
    document = Document.objects.create(
        organization=org, kind="contract", title=f"c{n}", sha256=sha, size=10
    )
    unit = fields.get("unit")
    if unit is not None:
        fields.setdefault("building", unit.building)
        fields.setdefault("project", unit.building.project)
    fields.setdefault("title", f"租赁合同 {n}")
    fields.setdefault("status", "ready")
    return Contract.objects.create(organization=org, document=document, sha256=sha, **fields)


def ends_in(days: int) -> dt.date:
    return TODAY + dt.timedelta(days=days)


@pytest.fixture
def mk(org: Any) -> Any:
    def factory(**fields: Any) -> Contract:
        return make_contract(org, **fields)

    return factory


RENT = Decimal("3200.00")
