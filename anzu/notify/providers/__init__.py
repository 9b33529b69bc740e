"""Channel providers, chosen per channel by ``settings.NOTIFY``.

In-app messages are always delivered locally (they never leave the database). SMS, e-mail and
WeChat go to the sandbox unless a real provider is configured.
"""

from __future__ import annotations

from django.conf import settings

from anzu.notify.choices import Channel
from anzu.notify.providers.base import ChannelProvider


def provider_for(channel: str) -> ChannelProvider:
    from anzu.notify.providers.aliyun import AliyunSmsProvider
    from anzu.notify.providers.email import SmtpEmailProvider
    from anzu.notify.providers.inapp import InAppProvider
    from anzu.notify.providers.sandbox import SandboxProvider
    from anzu.notify.providers.tencent import TencentSmsProvider
    from anzu.notify.providers.wechat import WechatTemplateProvider

    cfg = settings.NOTIFY
    if channel == Channel.IN_APP:
        return InAppProvider()
    if channel == Channel.SMS:
        if cfg.sms_provider == "aliyun":
            return AliyunSmsProvider(cfg)
        if cfg.sms_provider == "tencent":
            return TencentSmsProvider(cfg)
        return SandboxProvider()
    if channel == Channel.EMAIL:
        return SmtpEmailProvider(cfg) if cfg.email_provider == "smtp" else SandboxProvider()
    if channel == Channel.WECHAT_TEMPLATE:
        return WechatTemplateProvider(cfg) if cfg.wechat_provider == "wechat" else SandboxProvider()
    raise ValueError(f"unknown channel {channel!r}")


__all__ = ["ChannelProvider", "provider_for"]
