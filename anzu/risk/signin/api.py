"""REST endpoints of login risk: the decisions log (admins) and one's TOTP enrolment status.

Also the API's token authentication with per-IP progressive delays: wrong tokens from one IP
count as failures of that IP, and requests inside the wait answer ``429 too_many_attempts``
with ``Retry-After``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.models import TOTPDevice
from ninja import NinjaAPI, Query, Router, Schema
from ninja.errors import AuthenticationError

from anzu.common.api import (
    ERRORS,
    ErrorOut,
    PageOut,
    PageParams,
    SessionCsrfAuth,
    caller,
    page_of,
)
from anzu.common.api import (
    BearerTokenAuth as BaseBearerTokenAuth,
)
from anzu.core import access
from anzu.core.middleware import client_ip
from anzu.core.models import User
from anzu.risk.identity.credentials import revoked_token_presented
from anzu.risk.signin import selectors, services

router = Router(tags=["signin"])


class SignalOut(Schema):
    name: str
    weight: int
    detail: dict[str, Any]


class DecisionOut(Schema):
    id: int
    at: dt.datetime
    kind: str
    user_id: int | None
    username: str
    ip: str | None
    device_id: str
    region: str
    signals: list[SignalOut]
    score: int
    decision: str
    outcome: str


class DecisionFilters(Schema):
    decision: str = ""
    kind: str = ""
    username: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


class DeviceOut(Schema):
    id: int
    name: str
    created_at: dt.datetime | None
    last_used_at: dt.datetime | None


class EnrollmentOut(Schema):
    enrolled: bool
    devices: list[DeviceOut]
    verified: bool


@router.get("/signin/decisions", response={200: PageOut[DecisionOut], **ERRORS, 429: ErrorOut})
def signin_decisions(
    request: HttpRequest, filters: Query[DecisionFilters], paging: Query[PageParams]
) -> Any:
    user = caller(request)
    qs = selectors.decisions_for_user(user, **filters.model_dump())
    return page_of(qs, params=paging)


@router.get("/signin/enrollment", response={200: EnrollmentOut, **ERRORS, 429: ErrorOut})
def signin_enrollment(request: HttpRequest) -> Any:
    user = caller(request)
    access.require(user, "signin.devices")
    devices = list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id"))
    is_verified = getattr(request.user, "is_verified", None)
    return {
        "enrolled": bool(devices),
        "devices": devices,
        "verified": bool(is_verified()) if callable(is_verified) else False,
    }


class BearerTokenAuth(BaseBearerTokenAuth):
    """Bearer tokens with the per-IP progressive delay of failed attempts.

    It keeps the base class's name: the name is the OpenAPI security scheme clients know.
    """

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        ip = client_ip(request)
        services.check_token_ip(ip)
        try:
            return super().authenticate(request, token)
        except AuthenticationError:
            services.record_bad_token(ip=ip, user_agent=request.headers.get("User-Agent", ""))
            # A frozen account's revoked token leaves an audit trace (at most hourly).
            revoked_token_presented(token.strip())
            raise


API_AUTH: list[Any] = [BearerTokenAuth(), SessionCsrfAuth()]


def install_throttle_handler(api: NinjaAPI) -> None:
    """Answer :class:`~anzu.risk.signin.services.TooManyAttempts` with 429 and Retry-After."""

    @api.exception_handler(services.TooManyAttempts)
    def too_many(request: HttpRequest, exc: services.TooManyAttempts) -> HttpResponse:
        response = api.create_response(request, exc.as_dict(), status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
