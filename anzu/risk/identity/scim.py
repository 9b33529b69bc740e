"""SCIM 2.0 ``/scim/v2`` (RFC 7643/7644 subset): Users, ServiceProviderConfig, Schemas,
ResourceTypes.

An organization's identity provider authenticates with a SCIM token (``Authorization: Bearer
scim_…``) and sees only that organization's staff accounts. ``DELETE`` and ``active: false``
freeze an account (never delete it); ``active: true`` on a frozen account reactivates it with a
forced password reset. Every malformed request is answered in the SCIM error format and changes
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from anzu.core import audit
from anzu.core.choices import UserKind
from anzu.core.models import User
from anzu.risk.identity.choices import AccountStatus, Source
from anzu.risk.identity.models import AccountState, ScimToken
from anzu.risk.identity.services import (
    account_freeze,
    account_reactivate,
    scim_token_authenticate,
    state_of,
)

CONTENT_TYPE = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MAX_RESULTS = 200
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.@+-]{3,150}$")
_FILTER_RE = re.compile(
    r'^\s*(userName|externalId|emails\.value|emails)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$',
    re.IGNORECASE,
)
WRITABLE = {"schemas", "userName", "name", "displayName", "emails", "active", "externalId"}
READ_ONLY = {"id", "meta"}
NAME_KEYS = {"givenName", "familyName", "formatted"}


class ScimError(Exception):
    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def _json(data: Any, status: int = 200, **headers: str) -> JsonResponse:
    response = JsonResponse(
        data, status=status, content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
    )
    for key, value in headers.items():
        response[key.replace("_", "-")] = value
    return response


def _error(exc: ScimError) -> JsonResponse:
    body: dict[str, Any] = {
        "schemas": [ERROR_SCHEMA],
        "status": str(exc.status),
        "detail": exc.detail,
    }
    if exc.scim_type:
        body["scimType"] = exc.scim_type
    response = _json(body, exc.status)
    if exc.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="anzu-scim"'
    return response


def _authenticate(request: HttpRequest) -> ScimToken:
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    token = scim_token_authenticate(raw.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        raise ScimError(401, "A valid SCIM bearer token is required.")
    return token


def endpoint(
    methods: set[str],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                if request.method not in methods:
                    raise ScimError(405, f"Method {request.method} is not allowed here.")
                token = _authenticate(request)
                return view(request, token, *args, **kwargs)
            except ScimError as exc:
                return _error(exc)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorator


def _body(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ScimError(400, "The request body is not valid JSON.", "invalidSyntax") from None
    if not isinstance(data, dict):
        raise ScimError(400, "The request body must be a JSON object.", "invalidSyntax")
    return data


def _location(request: HttpRequest, user: User) -> str:
    return request.build_absolute_uri(f"/scim/v2/Users/{user.pk}")


def _resource(request: HttpRequest, user: User, state: AccountState | None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.display_name,
        },
        "displayName": user.display_name,
        "active": user.is_active,
        "emails": ([{"value": user.email, "type": "work", "primary": True}] if user.email else []),
        ENTERPRISE_SCHEMA: {"employeeNumber": state.employee_id if state else ""},
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "lastModified": (state.updated_at if state else user.date_joined).isoformat(),
            "location": _location(request, user),
        },
    }
    if state is not None and state.external_id:
        data["externalId"] = state.external_id
    return data


def _users(token: ScimToken) -> Any:
    return User.objects.filter(
        organization_id=token.organization_id, kind=UserKind.STAFF
    ).select_related("account_state")


def _state(user: User) -> AccountState | None:
    return AccountState.objects.filter(user_id=user.pk).first()


def _get_user(token: ScimToken, user_id: str) -> User:
    if not user_id.isdigit() or len(user_id) > 18:
        raise ScimError(404, f"User {user_id} not found.")
    user = _users(token).filter(pk=int(user_id)).first()
    if user is None:
        raise ScimError(404, f"User {user_id} not found.")
    return user


# Validation --------------------------------------------------------------------------------


def _string(value: Any, attr: str, *, max_length: int, required: bool = False) -> str:
    if value is None:
        if required:
            raise ScimError(400, f"{attr} is required.", "invalidValue")
        return ""
    if not isinstance(value, str):
        raise ScimError(400, f"{attr} must be a string.", "invalidValue")
    value = value.strip()
    if required and not value:
        raise ScimError(400, f"{attr} is required.", "invalidValue")
    if len(value) > max_length:
        raise ScimError(400, f"{attr} is longer than {max_length} characters.", "invalidValue")
    return value


def _boolean(value: Any, attr: str) -> bool:
    # Some providers send "True"/"False" strings in PATCH values; accept those two exactly.
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ScimError(400, f"{attr} must be a boolean.", "invalidValue")


def _name(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ScimError(400, "name must be an object.", "invalidValue")
    unknown = sorted(set(value) - NAME_KEYS - {"middleName", "honorificPrefix", "honorificSuffix"})
    if unknown:
        raise ScimError(400, f"Unknown attribute name.{unknown[0]}.", "invalidSyntax")
    out = {}
    for key in NAME_KEYS:
        if key in value:
            out[key] = _string(
                value[key], f"name.{key}", max_length=150 if key != "formatted" else 100
            )
    return out


def _emails(value: Any) -> str:
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise ScimError(400, "emails must be a list of objects.", "invalidValue")
    if not value:
        return ""
    chosen = next((e for e in value if e.get("primary") is True), value[0])
    email = _string(chosen.get("value"), "emails.value", max_length=254, required=True)
    if "@" not in email:
        raise ScimError(400, "emails.value is not an e-mail address.", "invalidValue")
    return email


def _user_fields(data: dict[str, Any], *, full: bool) -> dict[str, Any]:
    """Validated changes from a POST/PUT body (``full``: absent attributes are cleared)."""
    schemas = data.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or USER_SCHEMA not in schemas):
        raise ScimError(400, f"schemas must include {USER_SCHEMA}.", "invalidSyntax")
    unknown = sorted(set(data) - WRITABLE - READ_ONLY - {ENTERPRISE_SCHEMA})
    if unknown:
        raise ScimError(400, f"Unknown attribute {unknown[0]}.", "invalidSyntax")
    out: dict[str, Any] = {}
    username = _string(data.get("userName"), "userName", max_length=150, required=True)
    if not _USERNAME_RE.match(username):
        raise ScimError(400, "userName: use 3–150 letters, digits or . _ @ + -.", "invalidValue")
    out["username"] = username
    name = _name(data["name"]) if data.get("name") is not None else {}
    if full or "name" in data:
        out["first_name"] = name.get("givenName", "")
        out["last_name"] = name.get("familyName", "")
    if full or "displayName" in data or "formatted" in name:
        display = _string(data.get("displayName"), "displayName", max_length=100)
        out["display_name"] = display or name.get("formatted", "")
    if full or "emails" in data:
        out["email"] = _emails(data["emails"]) if data.get("emails") is not None else ""
    if full or "externalId" in data:
        out["external_id"] = _string(data.get("externalId"), "externalId", max_length=200)
    if ENTERPRISE_SCHEMA in data:
        ext = data[ENTERPRISE_SCHEMA]
        if not isinstance(ext, dict):
            raise ScimError(400, f"{ENTERPRISE_SCHEMA} must be an object.", "invalidValue")
        if "employeeNumber" in ext:
            out["employee_id"] = _string(ext["employeeNumber"], "employeeNumber", max_length=64)
    if "active" in data:
        out["active"] = _boolean(data["active"], "active")
    return out


# Writes ------------------------------------------------------------------------------------

USER_ATTRS = ("username", "first_name", "last_name", "display_name", "email")


def _apply(user: User, fields: dict[str, Any], token: ScimToken, *, created: bool) -> None:
    """Write validated fields (inside the caller's transaction) and record the change."""
    before = audit.snapshot(user, USER_ATTRS) if not created else {}
    for attr in USER_ATTRS:
        if attr in fields:
            setattr(user, attr, fields[attr])
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        raise ScimError(409, "This userName is taken.", "uniqueness") from None
    state = state_of(user)
    state_before = {"external_id": state.external_id, "employee_id": state.employee_id}
    state_after = {
        "external_id": fields.get("external_id", state.external_id),
        "employee_id": fields.get("employee_id", state.employee_id),
    }
    if state_after != state_before:
        state.external_id = state_after["external_id"]
        state.employee_id = state_after["employee_id"]
        try:
            with transaction.atomic():
                state.save()
        except IntegrityError:
            raise ScimError(
                409, "This employeeNumber is used by another user.", "uniqueness"
            ) from None
    changes = audit.diff(
        {**before, **(state_before if not created else {})},
        {**audit.snapshot(user, USER_ATTRS), **state_after},
    )
    if changes:
        audit.record(
            action="user.create" if created else "user.update",
            obj=user,
            organization=user.organization_id,
            actor=None,
            changes={**changes, "source": [None, f"scim:{token.name}"]},
        )


def _set_active(user: User, active: bool | None, token: ScimToken) -> None:
    if active is None:
        return
    reason = f"SCIM ({token.name})"
    if active is False:
        account_freeze(user=user, reason=reason, source=Source.SCIM, by=None)
    elif not user.is_active or state_of(user).status == AccountStatus.FROZEN:
        account_reactivate(user=user, by=None, reason=reason, source=Source.SCIM)


def _patch_ops(data: dict[str, Any]) -> dict[str, Any]:
    """Validated changes from a PatchOp body: ``replace``/``add`` of active and name fields."""
    schemas = data.get("schemas")
    if not isinstance(schemas, list) or PATCH_SCHEMA not in schemas:
        raise ScimError(400, f"schemas must include {PATCH_SCHEMA}.", "invalidSyntax")
    unknown = sorted(set(data) - {"schemas", "Operations"})
    if unknown:
        raise ScimError(400, f"Unknown attribute {unknown[0]}.", "invalidSyntax")
    ops = data.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise ScimError(400, "Operations must be a non-empty list.", "invalidSyntax")
    out: dict[str, Any] = {}
    for op in ops:
        if not isinstance(op, dict) or not isinstance(op.get("op"), str):
            raise ScimError(400, "Each operation needs an op.", "invalidSyntax")
        kind = op["op"].lower()
        if kind not in {"replace", "add"}:
            raise ScimError(400, f"Operation {op['op']} is not supported here.", "invalidValue")
        if "value" not in op:
            raise ScimError(400, "Each operation needs a value.", "invalidSyntax")
        path = op.get("path")
        if path is None:
            value = op["value"]
            if not isinstance(value, dict):
                raise ScimError(400, "A value without path must be an object.", "invalidValue")
            items = list(value.items())
        elif isinstance(path, str):
            items = [(path, op["value"])]
        else:
            raise ScimError(400, "path must be a string.", "invalidPath")
        for attr, value in items:
            _patch_attr(out, attr, value)
    return out


def _patch_attr(out: dict[str, Any], attr: str, value: Any) -> None:
    key = attr.strip()
    lowered = key.lower()
    if lowered == "active":
        out["active"] = _boolean(value, "active")
    elif lowered == "name":
        name = _name(value)
        if "givenName" in name:
            out["first_name"] = name["givenName"]
        if "familyName" in name:
            out["last_name"] = name["familyName"]
        if "formatted" in name:
            out["display_name"] = name["formatted"]
    elif lowered == "name.givenname":
        out["first_name"] = _string(value, "name.givenName", max_length=150)
    elif lowered == "name.familyname":
        out["last_name"] = _string(value, "name.familyName", max_length=150)
    elif lowered in {"name.formatted", "displayname"}:
        out["display_name"] = _string(value, key, max_length=100)
    elif lowered in {"id", "username", "meta"}:
        raise ScimError(400, f"{key} cannot be changed with PATCH.", "mutability")
    else:
        raise ScimError(400, f"Unknown or unsupported attribute path {key}.", "invalidPath")


# Views -------------------------------------------------------------------------------------


@endpoint({"GET", "POST"})
def users(request: HttpRequest, token: ScimToken) -> HttpResponse:
    """``GET``: list (``filter=userName eq "…"``, ``startIndex``, ``count``); ``POST``: create."""
    if request.method == "POST":
        return _create(request, token)
    qs = _users(token).order_by("pk")
    raw_filter = request.GET.get("filter")
    if raw_filter:
        match = _FILTER_RE.match(raw_filter)
        if match is None:
            raise ScimError(
                400, 'Only filters of the form userName eq "value" are supported.', "invalidFilter"
            )
        attr, value = match.group(1).lower(), match.group(2).replace('\\"', '"')
        if attr == "username":
            qs = qs.filter(username__iexact=value)
        elif attr == "externalid":
            qs = qs.filter(account_state__external_id=value)
        else:
            qs = qs.filter(email__iexact=value)
    try:
        start = max(1, int(request.GET.get("startIndex", "1")))
        count = min(MAX_RESULTS, max(0, int(request.GET.get("count", "100"))))
    except ValueError:
        raise ScimError(400, "startIndex and count must be integers.", "invalidValue") from None
    total = qs.count()
    page = list(qs[start - 1 : start - 1 + count])
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(page),
            "Resources": [_resource(request, u, _state_cached(u)) for u in page],
        }
    )


def _state_cached(user: User) -> AccountState | None:
    try:
        return user.account_state  # type: ignore[no-any-return]
    except AccountState.DoesNotExist:
        return None


def _create(request: HttpRequest, token: ScimToken) -> HttpResponse:
    data = _body(request)
    if "id" in data:
        raise ScimError(400, "id is assigned by the service provider.", "mutability")
    fields = _user_fields(data, full=True)
    with transaction.atomic():
        user = User(organization_id=token.organization_id, kind=UserKind.STAFF, is_active=True)
        user.set_unusable_password()
        _apply(user, fields, token, created=True)
        # No password yet: an administrator issues the person a one-time link to set one.
        AccountState.objects.filter(user=user).update(password_reset_required=True)
        if fields.get("active") is False:
            _set_active(user, False, token)
    user.refresh_from_db()
    return _json(_resource(request, user, _state(user)), 201, Location=_location(request, user))


@endpoint({"GET", "PUT", "PATCH", "DELETE"})
def user(request: HttpRequest, token: ScimToken, user_id: str) -> HttpResponse:
    """One user: ``GET``, ``PUT`` (replace), ``PATCH`` (PatchOp), ``DELETE`` (freeze)."""
    account = _get_user(token, user_id)
    if request.method == "DELETE":
        with transaction.atomic():
            account_freeze(user=account, reason=f"SCIM ({token.name})", source=Source.SCIM, by=None)
        return HttpResponse(status=204)
    if request.method in {"PUT", "PATCH"}:
        data = _body(request)
        if request.method == "PUT":
            if "id" in data and str(data["id"]) != str(account.pk):
                raise ScimError(400, "id cannot be changed.", "mutability")
            fields = _user_fields(data, full=True)
        else:
            fields = _patch_ops(data)
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=account.pk)
            if set(fields) - {"active"}:
                _apply(locked, fields, token, created=False)
            _set_active(locked, fields.get("active"), token)
        account.refresh_from_db()
    return _json(_resource(request, account, _state(account)))


@endpoint({"GET"})
def service_provider_config(request: HttpRequest, token: ScimToken) -> HttpResponse:
    return _json(
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "/docs/account-lifecycle",
            "patch": {"supported": True},
            "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": True, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": False},
            "sort": {"supported": False},
            "etag": {"supported": False},
            "authenticationSchemes": [
                {
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "A SCIM token created by an administrator on the provisioning page.",
                    "primary": True,
                }
            ],
            "meta": {"resourceType": "ServiceProviderConfig"},
        }
    )


def _attr(name: str, kind: str = "string", **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "type": kind,
        "multiValued": False,
        "required": False,
        "caseExact": False,
        "mutability": "readWrite",
        "returned": "default",
        "uniqueness": "none",
        **extra,
    }


USER_SCHEMA_DOC = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id": USER_SCHEMA,
    "name": "User",
    "description": "Staff account",
    "attributes": [
        _attr("userName", required=True, uniqueness="server"),
        _attr(
            "name",
            "complex",
            subAttributes=[_attr("givenName"), _attr("familyName"), _attr("formatted")],
        ),
        _attr("displayName"),
        _attr("active", "boolean"),
        _attr(
            "emails",
            "complex",
            multiValued=True,
            subAttributes=[_attr("value"), _attr("type"), _attr("primary", "boolean")],
        ),
    ],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{USER_SCHEMA}"},
}
ENTERPRISE_SCHEMA_DOC = {
    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
    "id": ENTERPRISE_SCHEMA,
    "name": "EnterpriseUser",
    "description": "Enterprise user (employeeNumber = the HR employee id)",
    "attributes": [_attr("employeeNumber")],
    "meta": {"resourceType": "Schema", "location": f"/scim/v2/Schemas/{ENTERPRISE_SCHEMA}"},
}


@endpoint({"GET"})
def schemas(request: HttpRequest, token: ScimToken) -> HttpResponse:
    resources = [USER_SCHEMA_DOC, ENTERPRISE_SCHEMA_DOC]
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": len(resources),
            "startIndex": 1,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


@endpoint({"GET"})
def resource_types(request: HttpRequest, token: ScimToken) -> HttpResponse:
    resource = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User",
        "name": "User",
        "endpoint": "/Users",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": False}],
        "meta": {"resourceType": "ResourceType", "location": "/scim/v2/ResourceTypes/User"},
    }
    return _json(
        {
            "schemas": [LIST_SCHEMA],
            "totalResults": 1,
            "startIndex": 1,
            "itemsPerPage": 1,
            "Resources": [resource],
        }
    )
