"""The adapter contract shared by every external provider.

An adapter call either returns the provider's own reference for what it did, or raises:

- :class:`RetryableError` when trying again later may succeed (timeouts, connection failures,
  HTTP 5xx, throttling, an expired credential that was refreshed);
- :class:`PermanentError` when it will not (bad address, rejected template, wrong credentials).

Callers decide about retries; adapters never sleep or loop.
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx


class ProviderError(Exception):
    """A provider call failed. ``code`` is the provider's own error code when it gave one."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}" if self.code else self.message


class RetryableError(ProviderError):
    retryable = True


class PermanentError(ProviderError):
    retryable = False


class Adapter:
    """Base of every provider adapter. ``name`` is what the UI and the logs show."""

    name: ClassVar[str] = "adapter"
    sandbox: ClassVar[bool] = False


def http_call(
    method: str,
    url: str,
    *,
    timeout: float,
    what: str,
    **kwargs: Any,
) -> httpx.Response:
    """One HTTP request; transport failures become :class:`RetryableError`, 5xx and 429 too.

    Other 4xx answers are returned to the caller, which knows how the provider reports errors.
    """
    try:
        response = httpx.request(method, url, timeout=timeout, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableError(
            f"{what}: timed out ({exc.__class__.__name__})", code="timeout"
        ) from exc
    except httpx.HTTPError as exc:
        raise RetryableError(f"{what}: {exc.__class__.__name__}: {exc}", code="transport") from exc
    if response.status_code >= 500 or response.status_code == 429:
        raise RetryableError(
            f"{what}: HTTP {response.status_code}", code=f"http_{response.status_code}"
        )
    return response


def json_of(response: httpx.Response, *, what: str) -> dict[str, Any]:
    """The JSON object of a response; anything else is retryable (proxies answer HTML)."""
    try:
        data = response.json()
    except ValueError as exc:
        raise RetryableError(
            f"{what}: HTTP {response.status_code} with a non-JSON body", code="bad_response"
        ) from exc
    if not isinstance(data, dict):
        raise RetryableError(f"{what}: unexpected JSON shape", code="bad_response")
    return data
