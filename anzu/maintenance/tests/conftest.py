from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from anzu.common.testing import PASSWORD, lease_data, make_tenant, make_user
from anzu.leasing import services as leasing_services
from anzu.maintenance.models import EngineerProfile, Ticket
from anzu.maintenance.services import ticket_create
from anzu.risk.approvals.testing import approve_as

# 2026-03-10 10:00 UTC = 18:00 in Shanghai (a Tuesday).
T0 = dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dispatcher(org: Any) -> Any:
    return make_user(org, "customer_service", username="dispatcher")


@pytest.fixture
def lease(portfolio: dict[str, Any], manager: Any) -> Any:
    data = lease_data(portfolio["u1"], portfolio["customer"])
    lease = approve_as(leasing_services.lease_create(by=manager, data=data))
    lease = leasing_services.lease_submit(lease=lease, by=manager)
    return approve_as(leasing_services.lease_activate(lease=lease, by=manager))


@pytest.fixture
def tenant(portfolio: dict[str, Any], lease: Any) -> Any:
    return make_tenant(portfolio["customer"], username="tenant")


def _engineer(org: Any, username: str, **profile: Any) -> Any:
    user = make_user(org, "engineer", username=username, display_name=username.upper())
    defaults: dict[str, Any] = {
        "skills": ["water_electric", "appliance"],
        "base_lat": 31.2304,
        "base_lng": 121.4737,
        "capacity": 5,
    }
    defaults.update(profile)
    EngineerProfile.objects.create(user=user, organization=org, **defaults)
    return user


@pytest.fixture
def make_engineer(org: Any) -> Callable[..., Any]:
    def make(username: str, **profile: Any) -> Any:
        return _engineer(org, username, **profile)

    return make


@pytest.fixture
def engineers(make_engineer: Callable[..., Any]) -> dict[str, Any]:
    """Near (same spot as building B1), far (about 20 km away), and a lock-only engineer."""
    return {
        "near": make_engineer("eng-near"),
        "far": make_engineer("eng-far", base_lat=31.40, base_lng=121.55),
        "lock": make_engineer("eng-lock", skills=["lock"]),
    }


@pytest.fixture
def new_ticket(org: Any, portfolio: dict[str, Any], dispatcher: Any) -> Callable[..., Ticket]:
    def make(**overrides: Any) -> Ticket:
        data: dict[str, Any] = {
            "organization_id": org.pk,
            "unit_id": portfolio["u1"].pk,
            "category_code": "appliance.ac_not_cooling",
            "description": "空调不制冷，开机后只吹风",
            "channel": "phone",
            "reporter_name": "李雷",
            "reporter_phone": "13800001111",
            "by": dispatcher,
        }
        data.update(overrides)
        return ticket_create(**data)

    return make


def png_bytes(size: tuple[int, int] = (40, 30), fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload(name: str = "fault.png", data: bytes | None = None, ctype: str = "image/png") -> Any:
    return SimpleUploadedFile(name, png_bytes() if data is None else data, content_type=ctype)


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client
