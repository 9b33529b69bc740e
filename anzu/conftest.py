from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.test import testcases
from huey.contrib.djhuey import HUEY

from anzu.common.testing import (
    BuildingFactory,
    CustomerFactory,
    OrganizationFactory,
    ProjectFactory,
    UnitFactory,
    make_user,
)

# Tasks run inline in tests: enqueueing executes the task at once, in-process.
HUEY.immediate = True


def _own_redis_database_per_worker() -> None:
    """With Redis as the cache, each xdist worker uses its own database (the URL's, then the ones
    below it): a test that clears the cache (FLUSHDB) must not empty another worker's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    cache = settings.CACHES["default"]
    if not worker.startswith("gw") or "redis" not in cache["BACKEND"].lower():
        return
    url = urlsplit(str(cache["LOCATION"]))
    base = int(url.path.strip("/") or 0)
    cache["LOCATION"] = urlunsplit(url._replace(path=f"/{(base - int(worker[2:])) % 16}"))


_own_redis_database_per_worker()

_original_teardown = getattr(testcases.TransactionTestCase, "_fixture_teardown")  # noqa: B009


def _teardown_with_guards_lifted(self: Any) -> None:
    """Transactional tests wipe the database; the audit table's append-only guards are lifted
    for that wipe only."""
    from django.db import connections

    from anzu.core import guards

    with guards.lifted():
        _original_teardown(self)
    for conn in connections.all():
        conn.close()


setattr(testcases.TransactionTestCase, "_fixture_teardown", _teardown_with_guards_lifted)  # noqa: B010


@pytest.fixture
def org(db: Any) -> Any:
    return OrganizationFactory()


@pytest.fixture
def other_org(db: Any) -> Any:
    return OrganizationFactory()


@pytest.fixture
def portfolio(org: Any) -> dict[str, Any]:
    """Two projects, each with one building of two units, and a customer."""
    p1 = ProjectFactory(organization=org, code="P1", name="静安公寓")
    p2 = ProjectFactory(organization=org, code="P2", name="浦东公寓")
    b1 = BuildingFactory(project=p1, code="B1", name="1号楼")
    b2 = BuildingFactory(project=p2, code="B2", name="2号楼")
    u1 = UnitFactory(building=b1, code="101")
    u2 = UnitFactory(building=b1, code="102")
    u3 = UnitFactory(building=b2, code="201")
    u4 = UnitFactory(building=b2, code="202")
    customer = CustomerFactory(organization=org, name="李雷", project=p1)
    return {
        "p1": p1,
        "p2": p2,
        "b1": b1,
        "b2": b2,
        "u1": u1,
        "u2": u2,
        "u3": u3,
        "u4": u4,
        "customer": customer,
    }


@pytest.fixture
def manager(org: Any) -> Any:
    return make_user(org, "management", username="manager")


@pytest.fixture
def admin_user(org: Any) -> Any:
    return make_user(org, "admin", username="orgadmin")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def browser_page(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A chromium page (1280 × 900) for browser tests; see :mod:`anzu.common.browser`."""
    from anzu.common.browser import chromium_page

    with chromium_page(monkeypatch, width=1280, height=900) as page:
        yield page
