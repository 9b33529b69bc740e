"""E-signature providers: the sandbox (embedded default) and e签宝 (esign.cn open API v3).

:func:`adapter_for` returns the adapter of a name only when it is the configured one, so a sandbox
callback is refused on a site that signs through a real platform. See docs/lease-signing.md.
"""

from __future__ import annotations

from anzu.integrations.esign.base import (
    ORGANIZATION,
    PERSON,
    CallbackEvent,
    EsignAdapter,
    FlowStart,
    FlowStatus,
    SignatureError,
    Signer,
    Transactor,
    with_retries,
)
from anzu.integrations.esign.config import EsignConfig, esign_config


class UnknownProvider(LookupError):
    """No enabled e-signature provider has this name."""


def adapter_for(name: str, cfg: EsignConfig | None = None) -> EsignAdapter:
    from anzu.integrations.esign.esigncn import EsignCnAdapter
    from anzu.integrations.esign.sandbox import SandboxEsignAdapter

    cfg = cfg or esign_config()
    if name != cfg.provider:
        raise UnknownProvider(name)
    if name == "esign_cn":
        return EsignCnAdapter(cfg)
    return SandboxEsignAdapter(cfg)


def current_adapter() -> EsignAdapter:
    cfg = esign_config()
    return adapter_for(cfg.provider, cfg)


__all__ = [
    "ORGANIZATION",
    "PERSON",
    "CallbackEvent",
    "EsignAdapter",
    "FlowStart",
    "FlowStatus",
    "SignatureError",
    "Signer",
    "Transactor",
    "UnknownProvider",
    "adapter_for",
    "current_adapter",
    "with_retries",
]
