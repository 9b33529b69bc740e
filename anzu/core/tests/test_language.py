from __future__ import annotations

import pytest

from anzu.common.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_chinese_by_default_even_for_english_browsers(client, manager):
    client.login(username=manager.username, password=PASSWORD)
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


def test_switch_to_english_and_back(client, manager):
    client.login(username=manager.username, password=PASSWORD)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/")
    assert response["Content-Language"] == "en"
    assert "Log out" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    response = client.get("/")
    assert "退出" in response.content.decode()


def test_unknown_language_cookie_falls_back_to_chinese(client, manager, settings):
    client.login(username=manager.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "klingon"
    assert client.get("/")["Content-Language"] == "zh-hans"
