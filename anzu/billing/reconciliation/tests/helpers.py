"""Helpers of the reconciliation tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client

from anzu.common.testing import PASSWORD

DATA = Path(__file__).parent / "data"


def client_for(user: Any, language: str = "") -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def csv_file(*rows: str, header: str = "交易日期,流水号,对方户名,对方账号,金额,摘要") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")
