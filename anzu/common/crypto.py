"""Encryption at rest for personal data (PIPL) and blind indexes for exact look-ups.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from
``ANZU_FIELD_KEY`` (or the secret key). A keyed HMAC "blind index" allows equality look-ups and
uniqueness (e.g. the same ID number imported twice) without storing the cleartext.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


def _master() -> bytes:
    material = settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY
    return material.encode("utf-8")


@lru_cache(maxsize=4)
def _fernet(master: bytes) -> Fernet:
    key = hashlib.sha256(b"anzu-field-encryption\x00" + master).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt(value: str) -> str:
    return _fernet(_master()).encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet(_master()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        return ""


def blind_index(value: str, *, purpose: str) -> str:
    normalized = "".join(value.split()).upper()
    key = hashlib.sha256(b"anzu-blind-index\x00" + purpose.encode() + b"\x00" + _master()).digest()
    return hmac.new(key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text column whose stored value is a Fernet token; Python sees the cleartext."""

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_id_number(value: str) -> str:
    text = value.strip()
    if len(text) <= 4:
        return "*" * len(text)
    if len(text) >= 10:
        return text[:3] + "*" * (len(text) - 7) + text[-4:]
    return "*" * (len(text) - 4) + text[-4:]
