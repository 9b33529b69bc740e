"""Signed QR tokens: one per unit, carrying organization, unit, key version and issue date.

A token is ``django.core.signing.Signer(salt=SALT).sign_object([org, unit, version, yyyymmdd])``:
it cannot be forged without the secret key and never expires by itself. Whether it is still
accepted (current version, optional maximum age) is decided by
:func:`anzu.maintenance.knowledge.selectors.qr_resolve`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing

from anzu.common.errors import DomainError

SALT = "anzu.maintenance.knowledge.qr"


class QrCodeInvalid(DomainError):
    """Unknown, malformed or forged token (or its unit is gone)."""

    status = 404

    def __init__(self) -> None:
        super().__init__("qr_invalid", "This QR code is not valid.")


class QrCodeReplaced(DomainError):
    """The token belongs to an older key version: the organization printed new codes."""

    status = 410

    def __init__(self) -> None:
        super().__init__("qr_replaced", "This code was replaced; please scan the new one.")


class QrCodeExpired(DomainError):
    """The token is older than the version's maximum age."""

    status = 410

    def __init__(self) -> None:
        super().__init__("qr_expired", "This code has expired; please scan the new one.")


@dataclass(frozen=True)
class QrClaim:
    organization_id: int
    unit_id: int
    version: int
    issued_on: dt.date


def qr_sign(*, organization_id: int, unit_id: int, version: int, issued_on: dt.date) -> str:
    payload = [int(organization_id), int(unit_id), int(version), issued_on.strftime("%Y%m%d")]
    return signing.Signer(salt=SALT).sign_object(payload)


def qr_read(token: str) -> QrClaim:
    """The claim inside a genuine token; :class:`QrCodeInvalid` for anything else."""
    if not token or len(token) > 300:
        raise QrCodeInvalid()
    try:
        payload = signing.Signer(salt=SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, UnicodeError):
        raise QrCodeInvalid() from None
    try:
        org_id, unit_id, version, issued = payload
        claim = QrClaim(
            organization_id=int(org_id),
            unit_id=int(unit_id),
            version=int(version),
            issued_on=dt.datetime.strptime(str(issued), "%Y%m%d").date(),  # noqa: DTZ007
        )
    except (TypeError, ValueError):
        raise QrCodeInvalid() from None
    return claim
