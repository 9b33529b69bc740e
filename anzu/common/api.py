"""Shared pieces of the REST API: authentication, the one error shape, pagination schemas.

Every 4xx answer of ``/api/v1`` is ``{"code", "message", "field"}`` (plus the extra keys a
:class:`~anzu.common.errors.DomainError` carries, such as ``conflicting_lease``). The handlers
here translate domain errors, ninja's request-validation errors, authentication failures,
``Http404``, malformed JSON, unknown routes and wrong methods into that shape.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer as BaseJSONRenderer
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf
from pydantic import BaseModel, ConfigDict

from anzu.common.errors import DomainError, ValidationFailed
from anzu.common.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, paginate
from anzu.core.models import User
from anzu.core.tokens import token_authenticate

T = TypeVar("T")

# Error locations whose second element is the handler's parameter name, not a field.
_BODY_SOURCES = frozenset({"body", "form", "file"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# pydantic error types → our error codes (anything else is "invalid").
_PYDANTIC_CODES = {
    "missing": "required",
    "extra_forbidden": "unknown_field",
    "string_too_long": "too_long",
    "too_long": "too_long",
    "greater_than_equal": "too_small",
    "greater_than": "too_small",
    "less_than_equal": "too_large",
    "less_than": "too_large",
    "enum": "invalid_choice",
    "literal_error": "invalid_choice",
}
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "throttled",
}


# Schemas ----------------------------------------------------------------------------------


class OutputSchema(BaseModel):
    """Base of response bodies: plain pydantic (validated in pydantic-core, no per-field
    Python getters), reading attributes of model instances or keys of presenter dicts."""

    model_config = ConfigDict(from_attributes=True)


class ErrorOut(OutputSchema):
    """The one error shape of the API. Conflicts may add keys such as ``conflicting_lease``."""

    code: str
    message: str
    field: str | None = None


class PageOut(OutputSchema, Generic[T]):
    """One page of a list: ``items`` plus the page number, its size and the exact total."""

    items: list[T]
    page: int
    page_size: int
    total: int


class InputSchema(Schema):
    """Base of request bodies: unknown keys are refused (naming them), not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class PageParams(Schema):
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE


ERRORS: dict[int, type[BaseModel]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}


def page_of(
    qs: Any, *, params: PageParams, present: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """Paginate a queryset and present each row (``present`` defaults to the row itself)."""
    page: Page = paginate(qs, page=params.page, page_size=params.page_size)
    items = page.items if present is None else [present(row) for row in page.items]
    return {"items": items, "page": page.page, "page_size": page.page_size, "total": page.total}


def page_of_ids(
    qs: Any,
    *,
    params: PageParams,
    load: Callable[[Any], list[Any]],
    present: Callable[[Any], Any],
) -> dict[str, Any]:
    """Paginate an ordered queryset through its primary keys ("deferred join").

    ``load`` receives the page's keys as a lazy sliced subquery and returns the rows, in order,
    with whatever relations they need: one query, and a deep page does not join or build the
    rows it skips. The total stays exact; the ``COUNT(*)`` is skipped when a short page
    already tells it.
    """
    page, size = params.page, params.page_size
    if page < 1:
        raise ValidationFailed("invalid", "Page numbers start at 1.", field="page")
    if size < 1 or size > MAX_PAGE_SIZE:
        raise ValidationFailed(
            "invalid", f"Page size must be between 1 and {MAX_PAGE_SIZE}.", field="page_size"
        )
    offset = (page - 1) * size
    rows = load(qs.values_list("pk", flat=True)[offset : offset + size])
    if 0 < len(rows) < size or (not rows and offset == 0):
        total = offset + len(rows)
    else:
        total = qs.order_by().count()
    return {
        "items": [present(row) for row in rows],
        "page": page,
        "page_size": size,
        "total": total,
    }


# Authentication ---------------------------------------------------------------------------


class CsrfFailed(DomainError):
    """A session-authenticated write without a valid CSRF token."""

    status = 403

    def __init__(self) -> None:
        super().__init__("csrf_failed", "CSRF verification failed; send the X-CSRFToken header.")


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer anzu_...`` personal access tokens (anzu.core.tokens)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token.strip())
        if user is None:
            # Explicit credentials that do not check out are refused outright.
            raise AuthenticationError()
        request.user = user
        return user


class SessionCsrfAuth(APIKeyCookie):
    """Django's session (the web UI's own fetches); unsafe methods must pass the CSRF check."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> User | None:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if check_csrf(request) is not None:
            raise CsrfFailed()
        # The user itself, not the lazy proxy: handlers read it many times per request.
        return getattr(user, "_wrapped", user)  # type: ignore[no-any-return]

    def authenticate(
        self, request: HttpRequest, key: str | None
    ) -> User | None:  # pragma: no cover
        return None


API_AUTH: list[Any] = [BearerTokenAuth(), SessionCsrfAuth()]


def caller(request: HttpRequest) -> User:
    """The authenticated user of an API request."""
    return request.auth  # type: ignore[attr-defined,no-any-return]


# Errors -----------------------------------------------------------------------------------


def error_body(
    code: str, message: str, *, field: str | None = None, **extra: Any
) -> dict[str, Any]:
    return {"code": code, "message": message, "field": field, **extra}


def _field_of(loc: Sequence[Any]) -> str | None:
    """The last element of a ninja/pydantic error location that names a field.

    A location starts with its source (``body``, ``query``, ``path``...); a body location
    then names the handler's parameter (``payload``), which is no field of the request.
    """
    parts = list(loc[1:])
    if loc and loc[0] in _BODY_SOURCES:
        parts = parts[1:]
    for part in reversed(parts):
        if isinstance(part, str) and _IDENTIFIER.match(part):
            return part
    return None


def _validation_body(errors: list[dict[str, Any]]) -> dict[str, Any]:
    details = [
        error_body(
            _PYDANTIC_CODES.get(str(e.get("type", "")), "invalid"),
            str(e.get("msg", "Invalid value.")),
            field=_field_of(e.get("loc", ())),
        )
        for e in errors
    ]
    if not details:
        return error_body("invalid", "Invalid request.")
    first = details[0]
    return {**first, "errors": details}


def install_error_handlers(api: NinjaAPI) -> None:
    """Give every 4xx answer of ``api`` the shape ``{code, message, field}``."""

    def respond(request: HttpRequest, body: dict[str, Any], status: int) -> HttpResponse:
        return api.create_response(request, body, status=status)

    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return respond(request, exc.as_dict(), exc.status)

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        return respond(request, _validation_body(exc.errors), 422)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        body = error_body(
            "unauthenticated", "Authentication required: log in or send a valid Bearer token."
        )
        response = respond(request, body, 401)
        response["WWW-Authenticate"] = 'Bearer realm="anzu"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if exc.status_code == 400:
            # ninja raises HttpError(400) only when the body cannot be parsed.
            body = error_body("invalid_json", "The request body is not valid JSON.")
        else:
            body = error_body(_STATUS_CODES.get(exc.status_code, "error"), str(exc))
        return respond(request, body, exc.status_code)

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return respond(request, error_body("not_found", "Not found."), 404)

    @api.exception_handler(DjangoPermissionDenied)
    def forbidden(request: HttpRequest, exc: DjangoPermissionDenied) -> HttpResponse:
        return respond(
            request, error_body("forbidden", "You do not have permission to do this."), 403
        )


# Routes outside the operations ------------------------------------------------------------


def _json_errors(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Turn ninja's plain-text 405 and the root's Http404 into the error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return _unknown_route(request)
        if response.status_code == 405:
            allowed = response.get("Allow", "")
            replaced = JsonResponse(
                error_body(
                    "method_not_allowed",
                    f"Method {request.method} is not allowed here; use {allowed}.",
                ),
                status=405,
            )
            replaced["Allow"] = allowed
            return replaced
        return response

    return wrapper


def _unknown_route(request: HttpRequest, rest: str = "") -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such API endpoint."), status=404)


class JSONRenderer(BaseJSONRenderer):
    """JSON with Chinese text as is (UTF-8), not as ``\\u`` escapes."""

    json_dumps_params = {"ensure_ascii": False}


class AnzuNinjaAPI(NinjaAPI):
    """NinjaAPI whose wrong-method and unknown-route answers use the error shape too."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("renderer", JSONRenderer())
        super().__init__(**kwargs)

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_errors(pattern.callback)
        # Last: anything else under the API's prefix is a JSON 404, not the HTML page.
        catch_all = _unknown_route
        catch_all.csrf_exempt = True  # type: ignore[attr-defined]
        urls.append(re_path(r"^(?P<rest>.*)$", catch_all, name="unknown-route"))
        return urls
