"""Strict parsing of the notification settings from the environment."""

from __future__ import annotations

import pytest

from anzu.common.env import ConfigError
from anzu.notify.config import load_notify_config

VARIABLES = [
    "ANZU_SMS_PROVIDER",
    "ANZU_EMAIL_PROVIDER",
    "ANZU_WECHAT_PROVIDER",
    "ANZU_EMAIL_URL",
    "ANZU_ALIYUN_ACCESS_KEY_ID",
    "ANZU_ALIYUN_ACCESS_KEY_SECRET",
    "ANZU_ALIYUN_SMS_SIGN_NAME",
    "ANZU_ALIYUN_SMS_ENDPOINT",
    "ANZU_TENCENT_SECRET_ID",
    "ANZU_TENCENT_SECRET_KEY",
    "ANZU_TENCENT_SMS_APP_ID",
    "ANZU_TENCENT_SMS_SIGN_NAME",
    "ANZU_WECHAT_APP_ID",
    "ANZU_WECHAT_APP_SECRET",
    "ANZU_NOTIFY_MAX_ATTEMPTS",
]


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_send_everything_to_the_sandbox():
    cfg = load_notify_config()
    assert (cfg.sms_provider, cfg.email_provider, cfg.wechat_provider) == (
        "sandbox",
        "sandbox",
        "sandbox",
    )
    assert cfg.max_attempts == 8


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ANZU_SMS_PROVIDER": "twilio"}, "ANZU_SMS_PROVIDER"),
        ({"ANZU_SMS_PROVIDER": "aliyun"}, "ANZU_ALIYUN_ACCESS_KEY_ID"),
        (
            {"ANZU_SMS_PROVIDER": "tencent", "ANZU_TENCENT_SECRET_ID": "x"},
            "ANZU_TENCENT_SECRET_KEY",
        ),
        ({"ANZU_EMAIL_PROVIDER": "smtp"}, "ANZU_EMAIL_URL"),
        ({"ANZU_EMAIL_PROVIDER": "smtp", "ANZU_EMAIL_URL": "http://mail"}, "ANZU_EMAIL_URL"),
        ({"ANZU_EMAIL_PROVIDER": "smtp", "ANZU_EMAIL_URL": "smtps://h?tls=1"}, "ANZU_EMAIL_URL"),
        ({"ANZU_WECHAT_PROVIDER": "wechat", "ANZU_WECHAT_APP_ID": "wx"}, "ANZU_WECHAT_APP_SECRET"),
        ({"ANZU_ALIYUN_SMS_ENDPOINT": "dysmsapi.aliyuncs.com"}, "ANZU_ALIYUN_SMS_ENDPOINT"),
        ({"ANZU_NOTIFY_MAX_ATTEMPTS": "0"}, "ANZU_NOTIFY_MAX_ATTEMPTS"),
    ],
)
def test_bad_settings_fail_naming_the_variable(monkeypatch, env, named):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as caught:
        load_notify_config()
    assert str(caught.value).startswith(named)


def test_real_providers_configured(monkeypatch):
    env = {
        "ANZU_SMS_PROVIDER": "Aliyun",
        "ANZU_ALIYUN_ACCESS_KEY_ID": "LTAI",
        "ANZU_ALIYUN_ACCESS_KEY_SECRET": "aliyun-s3cr3t-value",
        "ANZU_ALIYUN_SMS_SIGN_NAME": "安租",
        "ANZU_ALIYUN_SMS_ENDPOINT": "http://127.0.0.1:8081/",
        "ANZU_EMAIL_PROVIDER": "smtp",
        "ANZU_EMAIL_URL": "smtp://bot%40anzu.example:p%40ss@mail.example:2525?tls=1",
        "ANZU_WECHAT_PROVIDER": "wechat",
        "ANZU_WECHAT_APP_ID": "wx123",
        "ANZU_WECHAT_APP_SECRET": "s",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = load_notify_config()
    assert cfg.sms_provider == "aliyun"
    assert cfg.aliyun_endpoint == "http://127.0.0.1:8081"
    assert (cfg.smtp.host, cfg.smtp.port, cfg.smtp.username, cfg.smtp.password) == (
        "mail.example",
        2525,
        "bot@anzu.example",
        "p@ss",
    )
    assert cfg.smtp.use_tls and not cfg.smtp.use_ssl
    assert "aliyun-s3cr3t-value" not in repr(cfg)
    assert "p@ss" not in repr(cfg)
