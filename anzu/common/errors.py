"""Domain errors with one shape: ``code``, ``message``, ``field``.

Services raise these; the API turns them into ``{"code", "message", "field"}`` with the matching
HTTP status, and the UI attaches them to the named form field.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.extra = extra

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "code": self.code,
            "message": str(self.message),
            "field": self.field,
        }
        data.update(self.extra)
        return data


class ValidationFailed(DomainError):
    """Input is malformed or breaks a business rule; nothing was written."""

    status = 422


class NotFound(DomainError):
    """The object does not exist or is outside the caller's organization or scope."""

    status = 404

    def __init__(self, what: str = "object", *, field: str | None = None) -> None:
        super().__init__("not_found", f"{what} not found", field=field)


class PermissionDenied(DomainError):
    """The caller may see the object but lacks the role to perform the action."""

    status = 403

    def __init__(self, message: str = "You do not have permission to do this.") -> None:
        super().__init__("forbidden", message)


class Conflict(DomainError):
    """The write conflicts with stored state (overlap, stale version, duplicate)."""

    status = 409


class IllegalTransition(DomainError):
    status = 409

    def __init__(self, *, current: str, target: str, field: str = "status") -> None:
        super().__init__(
            "illegal_transition",
            f"Cannot change status from {current} to {target}.",
            field=field,
            current=current,
            target=target,
        )
