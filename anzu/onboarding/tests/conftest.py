from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Service-level assertions compare English messages (the stored form of the report)."""
    with translation.override("en"):
        yield


@pytest.fixture
def imports_unguarded(org: Any) -> None:
    """The organization's rule for ``onboarding.import`` switched off (rules are data): the
    tests of the import mechanics upload and see the job run, with no checker in between."""
    from anzu.risk.approvals.guard import rule_for
    from anzu.risk.approvals.models import ApprovalRule

    ApprovalRule.objects.filter(pk=rule_for(org.pk, "onboarding.import").pk).update(active=False)
