"""Account-lifecycle checks on every request.

- A reactivated account must set a new password before anything else: pages redirect to the
  set-password page; the API answers 403 ``password_reset_required``, for session and
  Bearer-token callers alike.
- A session cookie that a freeze revoked leaves the audit event ``signin.revoked_credential``
  (see :mod:`anzu.risk.identity.credentials`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

API_PREFIX = "/api/"
SCIM_PREFIX = "/scim/"


def _reset_required(user_id: int) -> bool:
    from anzu.risk.identity.models import AccountState

    return AccountState.objects.filter(user_id=user_id, password_reset_required=True).exists()


def _token_reset_required(raw: str) -> bool:
    from anzu.risk.identity.models import AccountState

    token_hash = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return AccountState.objects.filter(
        password_reset_required=True, user__api_tokens__token_hash=token_hash
    ).exists()


def _refusal() -> JsonResponse:
    return JsonResponse(
        {
            "code": "password_reset_required",
            "message": "Set a new password before using this account.",
            "field": None,
        },
        status=403,
    )


class PasswordResetRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if path.startswith(SCIM_PREFIX):
            return self.get_response(request)
        is_api = path.startswith(API_PREFIX)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # An account that must reset holds an unusable password: no query for the others.
            if not user.has_usable_password() and _reset_required(user.pk):
                if is_api:
                    return _refusal()
                allowed = {
                    reverse("identity:password_set"),
                    reverse("logout"),
                }
                if path not in allowed and not path.startswith(("/static/", "/i18n/")):
                    return redirect("identity:password_set")
        elif is_api:
            header = request.headers.get("Authorization", "")
            scheme, _sep, raw = header.partition(" ")
            if scheme.lower() == "bearer" and raw.strip() and _token_reset_required(raw.strip()):
                return _refusal()
        return self.get_response(request)


class RevokedSessionMiddleware:
    """Trace a request that presents the session cookie of a session a freeze deleted.

    It looks only when the session cookie is present and the request is not authenticated,
    and then only when the cookie loaded no session (or a session whose account is refused):
    an authenticated request, a request without the cookie and an anonymous visitor's own
    session cost no query. It never changes the response.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        raw = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
        if raw and not _authenticated(request):
            session = getattr(request, "session", None)
            if session is not None and (session.session_key != raw or SESSION_KEY in session):
                from anzu.risk.identity.credentials import revoked_session_presented

                revoked_session_presented(raw, user_id=session.get(SESSION_KEY))
        return self.get_response(request)


def _authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
