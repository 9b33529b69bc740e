"""The audit log's Ed25519 checkpoint key and origin name."""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings

from anzu.common.env import ConfigError
from anzu.risk import note


def origin() -> str:
    return str(settings.AUDIT_LOG_ORIGIN)


def private_key() -> Ed25519PrivateKey:
    """From ``ANZU_AUDIT_KEY`` (base64 32-byte seed) or a key file created under ANZU_HOME."""
    configured = settings.AUDIT_LOG_KEY
    if configured:
        try:
            seed = base64.b64decode(configured, validate=True)
        except binascii.Error:
            raise ConfigError("ANZU_AUDIT_KEY: not base64") from None
        if len(seed) != 32:
            raise ConfigError("ANZU_AUDIT_KEY: expected a 32-byte Ed25519 seed")
        return Ed25519PrivateKey.from_private_bytes(seed)
    path = Path(settings.ANZU_HOME) / "keys" / "audit-ed25519.seed"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        seed = os.urandom(32)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(seed)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # first writer wins when two processes race
        tmp.unlink()
    return Ed25519PrivateKey.from_private_bytes(path.read_bytes())


def vkey() -> str:
    return note.verifier_key(origin(), private_key().public_key())
