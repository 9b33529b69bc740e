from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _english_messages() -> Iterator[None]:
    """Service-level assertions compare English messages (the stored form of the report)."""
    with translation.override("en"):
        yield
