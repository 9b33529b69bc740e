"""The e-signature platform contract (电子签约平台).

An adapter sends a document to a signer and reports what became of it:

- :meth:`EsignAdapter.create_flow` — start a signing flow for one PDF and one signer; returns the
  platform's flow id and the URL where the signer signs. The same ``idempotency_key`` names the
  same flow: callers keep the key of an agreement for its whole life.
- :meth:`EsignAdapter.get_status` — the flow's state as the platform sees it.
- :meth:`EsignAdapter.download_signed` — the signed PDF once the flow is complete.
- :meth:`EsignAdapter.verify_callback` — turn the platform's notification into a verified
  :class:`CallbackEvent`, or raise :class:`SignatureError` (bad signature, stale timestamp,
  malformed body).
- :meth:`EsignAdapter.revoke_flow` — withdraw an open flow (the agreement was cancelled).

Adapters never write to the database and never sleep or loop (see :mod:`anzu.integrations.base`);
:func:`with_retries` is the callers' retry policy for :class:`RetryableError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from anzu.integrations.base import Adapter, PermanentError, RetryableError

T = TypeVar("T")

# Flow states common to every provider.
IN_PROGRESS = "in_progress"
SIGNED = "signed"
DECLINED = "declined"
EXPIRED = "expired"
REVOKED = "revoked"
FLOW_STATES = frozenset({IN_PROGRESS, SIGNED, DECLINED, EXPIRED, REVOKED})


class SignatureError(PermanentError):
    """A notification whose signature, timestamp or body does not verify: never trusted."""


# Who signs: a natural person, or an organization (a company tenant) through its transactor.
PERSON = "person"
ORGANIZATION = "organization"
SIGNER_KINDS = frozenset({PERSON, ORGANIZATION})


@dataclass(frozen=True)
class Transactor:
    """The person who signs for an organization (经办人): a name and a mobile number."""

    name: str
    phone: str


@dataclass(frozen=True)
class Signer:
    """The tenant who signs.

    A person (``kind=PERSON``): ``name``, ``phone`` (the mobile that is the platform account) and
    the ID document. An organization (``kind=ORGANIZATION``): ``name`` is its registered name,
    ``id_number`` its unified social credit code (``id_type="uscc"``), ``phone`` the company's
    number (may be empty) and ``transactor`` the person who signs for it.
    """

    name: str
    phone: str
    id_number: str
    id_type: str = "resident_id"
    kind: str = PERSON
    transactor: Transactor | None = None

    def __post_init__(self) -> None:
        if self.kind not in SIGNER_KINDS:
            raise PermanentError(f"Unknown signer kind {self.kind!r}.", code="signer")
        if self.kind == ORGANIZATION and self.transactor is None:
            raise PermanentError("An organization signs through a transactor.", code="signer")

    @property
    def is_organization(self) -> bool:
        return self.kind == ORGANIZATION

    @property
    def account(self) -> str:
        """The mobile number that operates the signing: the person's, or the transactor's."""
        if self.transactor is not None and self.is_organization:
            return self.transactor.phone
        return self.phone


@dataclass(frozen=True)
class FlowStart:
    """A started flow: the platform's id and where the signer signs."""

    flow_id: str
    signing_url: str


@dataclass(frozen=True)
class FlowStatus:
    flow_id: str
    state: str
    detail: str = ""


@dataclass(frozen=True)
class CallbackEvent:
    """A verified statement of the platform about one flow.

    ``event_id`` identifies the notification (a replay carries the same one); ``state`` is one of
    :data:`FLOW_STATES`.
    """

    flow_id: str
    state: str
    event_id: str
    action: str = ""
    detail: str = ""
    occurred_at: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


def lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


class EsignAdapter(Adapter):
    """Base of every e-signature adapter."""

    name: ClassVar[str] = "esign"

    def create_flow(
        self,
        *,
        document: bytes,
        title: str,
        signer: Signer,
        callback_url: str,
        idempotency_key: str,
    ) -> FlowStart:
        raise NotImplementedError

    def get_status(self, flow_id: str) -> FlowStatus:
        raise NotImplementedError

    def download_signed(self, flow_id: str) -> bytes:
        raise NotImplementedError

    def verify_callback(self, headers: Mapping[str, str], body: bytes) -> CallbackEvent:
        raise NotImplementedError

    def revoke_flow(self, flow_id: str, *, reason: str) -> None:
        raise NotImplementedError


def with_retries(
    call: Callable[[], T],
    *,
    attempts: int,
    backoff_seconds: float = 0.0,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, tried up to ``attempts`` times while it raises :class:`RetryableError`.

    Waits ``backoff_seconds × 2^n`` between tries. A :class:`PermanentError` is raised at once;
    the last retryable error is raised when the attempts run out.
    """
    attempts = max(1, attempts)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except RetryableError:
            if attempt == attempts:
                raise
            if backoff_seconds > 0:
                sleep(backoff_seconds * 2 ** (attempt - 1))
    raise AssertionError("unreachable")  # pragma: no cover
