"""Fetching accounts for the lifecycle pages and API: staff of the caller's organization."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from anzu.common.errors import NotFound
from anzu.core import access
from anzu.core.choices import UserKind
from anzu.core.models import User
from anzu.risk.identity.models import ScimToken


def accounts_for_user(user: Any) -> QuerySet[User]:
    access.require(user, "accounts.manage")
    return User.objects.filter(organization_id=access.org_id(user), kind=UserKind.STAFF)


def account_for_user(user: Any, pk: Any) -> User:
    try:
        return accounts_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, User.DoesNotExist):
        raise NotFound("user") from None


def scim_tokens_for_user(user: Any) -> QuerySet[ScimToken]:
    access.require(user, "accounts.manage")
    return ScimToken.objects.filter(organization_id=access.org_id(user))


def scim_token_for_user(user: Any, pk: Any) -> ScimToken:
    try:
        return scim_tokens_for_user(user).get(pk=int(pk))
    except (ValueError, TypeError, ScimToken.DoesNotExist):
        raise NotFound("token") from None
