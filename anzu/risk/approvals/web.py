"""How the API and the pages answer a guarded action that became an approval request."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from ninja import Status
from typing_extensions import TypeIs

from anzu.risk.approvals.models import ApprovalRequest
from anzu.risk.approvals.presenters import present_request


def is_request(value: object) -> TypeIs[ApprovalRequest]:
    return isinstance(value, ApprovalRequest)


def accepted(user: Any, request: ApprovalRequest) -> Status:
    """HTTP 202 with the approval request (its ``id`` is what the client follows)."""
    return Status(202, present_request(user, request))


def submitted(http_request: HttpRequest, request: ApprovalRequest) -> HttpResponse:
    """The page's answer: a "submitted for approval" message and the request's page."""
    messages.info(
        http_request,
        _("Submitted for approval: request #%(id)s waits for a checker.") % {"id": request.pk},
    )
    return redirect("approvals:detail", pk=request.pk)
