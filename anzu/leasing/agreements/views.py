"""Pages: a lease's contract signing, one agreement (timeline and actions), the PDFs, the
contract templates, and the tenant's side (my contracts; the sandbox signing page)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError, NotFound
from anzu.common.errors import PermissionDenied as DomainPermissionDenied
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, staff_view
from anzu.integrations.base import ProviderError
from anzu.integrations.esign import UnknownProvider, adapter_for
from anzu.integrations.esign.sandbox import SandboxEsignAdapter
from anzu.leasing import access as leasing_access
from anzu.leasing.agreements import services
from anzu.leasing.agreements.access import (
    agreement_by_flow_for_tenant,
    agreement_for_user,
    agreements_for_user,
    template_for_user,
    templates_for_user,
)
from anzu.leasing.agreements.api import pdf_response
from anzu.leasing.agreements.choices import (
    OPEN_STATUSES,
    AgreementStatus,
    DisputeResolution,
    Party,
)
from anzu.leasing.agreements.presenters import placeholder_catalog, present_agreement

EVENT_LABELS = {
    "generated": "Contract generated",
    "org_signed": "Signed by the organization",
    "sent": "Sent to the tenant",
    "provider": "Notice from the signing platform",
    "signed_document": "Signed PDF archived",
    "cancelled": "Cancelled",
}


def message_of(err: DomainError) -> str:
    if err.code == "illegal_transition":
        labels = dict(AgreementStatus.choices)
        current = err.extra.get("current", "")
        target = err.extra.get("target", "")
        return _("Cannot change status from %(current)s to %(target)s.") % {
            "current": labels.get(current, current),
            "target": labels.get(target, target),
        }
    return localized_message(err)


def _timeline(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = dict(AgreementStatus.choices)
    return [
        {
            **event,
            "label": _(EVENT_LABELS.get(event.get("kind", ""), event.get("kind", ""))),
            "status_label": labels.get(event.get("status", ""), event.get("status", "")),
        }
        for event in events
    ]


@staff_view("lease.view")
def lease_agreements(request: HttpRequest, lease_id: int) -> HttpResponse:
    lease = fetch(leasing_access.lease_for_user, request.user, lease_id)
    user: Any = request.user
    rows = [
        present_agreement(user, a)
        for a in agreements_for_user(user)
        .filter(lease=lease)
        .select_related("lease__customer", "template", "created_by")
    ]
    open_row = next((r for r in rows if r["status"] in OPEN_STATUSES), None)
    return render(
        request,
        "agreements/lease.html",
        {
            "lease": lease,
            "rows": rows,
            "open_row": open_row,
            "can_generate": access.can(user, "lease.write") and open_row is None,
        },
    )


@require_POST
@staff_view("lease.write")
def agreement_generate(request: HttpRequest, lease_id: int) -> HttpResponse:
    lease = fetch(leasing_access.lease_for_user, request.user, lease_id)
    try:
        agreement = services.agreement_generate(lease=lease, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, message_of(err))
        return redirect("agreements:lease", lease_id=lease.pk)
    messages.success(request, _("Contract %(number)s generated.") % {"number": agreement.number})
    return redirect("agreements:detail", pk=agreement.pk)


@staff_view("lease.view")
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = fetch(agreement_for_user, request.user, pk)
    row = present_agreement(request.user, agreement)
    latest = agreement.signed_document or agreement.document
    signatures = (
        services.agreement_signatures(agreement=agreement, document=latest)
        if latest is not None
        else []
    )
    return render(
        request,
        "agreements/detail.html",
        {
            "agreement": agreement,
            "row": row,
            "timeline": _timeline(row["events"]),
            "signatures": signatures,
        },
    )


ACTIONS = {
    "sign_org": (services.agreement_sign_org, "Signed for the organization."),
    "refresh": (services.agreement_refresh, "Status refreshed from the signing platform."),
    "fetch_signed": (services.agreement_fetch_signed, "Signed PDF fetched and archived."),
}


@require_POST
@staff_view("lease.view")
def agreement_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    agreement = fetch(agreement_for_user, request.user, pk)
    user: Any = request.user
    try:
        if action == "cancel":
            services.agreement_cancel(
                agreement=agreement, reason=request.POST.get("reason", ""), by=user
            )
            done = _("Agreement cancelled.")
        elif action == "send":
            services.agreement_send(
                agreement=agreement,
                by=user,
                transactor_name=request.POST.get("transactor_name", ""),
                transactor_phone=request.POST.get("transactor_phone", ""),
            )
            done = _("Sent to the tenant for signature.")
        elif action in ACTIONS:
            service, text = ACTIONS[action]
            service(agreement=agreement, by=user)  # type: ignore[operator]
            done = _(text)
        else:
            raise Http404
    except DomainPermissionDenied:
        raise DjangoPermissionDenied from None
    except DomainError as err:
        messages.error(request, message_of(err))
    else:
        messages.success(request, done)
    return redirect("agreements:detail", pk=agreement.pk)


@login_required
@never_cache
def agreement_pdf(request: HttpRequest, pk: int, which: str) -> HttpResponse:
    """A PDF for preview (inline): staff with ``contract.full`` or the tenant of the lease."""
    try:
        agreement = agreement_for_user(request.user, pk)
        return pdf_response(agreement, which, user=request.user, inline=True)
    except NotFound:
        raise Http404 from None
    except DomainPermissionDenied:
        raise DjangoPermissionDenied from None


# Templates ------------------------------------------------------------------------------------


@staff_view("lease.view")
def template_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    services.agreement_templates_ensure_default(organization_id=access.org_id(user))
    templates = list(templates_for_user(user).order_by("-version"))
    return render(
        request,
        "agreements/templates.html",
        {"templates": templates, "can_edit": access.can(user, "contract.full")},
    )


@staff_view("lease.view")
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Show a version; saving writes the draft (a new version when editing a published one)."""
    user: Any = request.user
    template = fetch(template_for_user, user, pk)
    error: DomainError | None = None
    data: dict[str, Any] = {
        name: getattr(template, name)
        for name in (
            "title",
            "body",
            "lessor_credit_code",
            "lessor_address",
            "property_fee_payer",
            "utilities_payer",
            "deposit_return_days",
            "repair_response_hours",
            "dispute_resolution",
            "arbitration_body",
        )
    }
    if request.method == "POST":
        access.require(user, "contract.full")
        data = {name: request.POST.get(name, "") for name in data}
        try:
            if request.POST.get("publish") and template.status == "draft":
                draft = services.agreement_template_save(data=data, by=user)
                services.agreement_template_publish(template=draft, by=user)
                messages.success(request, _("Template published."))
                return redirect("agreements:templates")
            draft = services.agreement_template_save(data=data, by=user)
        except DomainError as err:
            error = err
        else:
            messages.success(request, _("Draft saved."))
            return redirect("agreements:template_edit", pk=draft.pk)
    return render(
        request,
        "agreements/template_edit.html",
        {
            "template": template,
            "data": data,
            "error": error,
            "error_message": message_of(error) if error else "",
            "placeholders": placeholder_catalog(),
            "parties": Party.choices,
            "disputes": DisputeResolution.choices,
            "can_edit": access.can(user, "contract.full"),
        },
        status=422 if error else 200,
    )


# The tenant's side ----------------------------------------------------------------------------


@login_required
@never_cache
def my_agreements(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    if not access.is_tenant_user(user):
        raise DjangoPermissionDenied
    rows = [
        present_agreement(user, a)
        for a in agreements_for_user(user).select_related("lease__customer", "template")
    ]
    return render(request, "agreements/mine.html", {"rows": rows, "tab": "agreements"})


@login_required
@never_cache
def sandbox_sign(request: HttpRequest, flow_id: str) -> HttpResponse:
    """The sandbox platform's signing page (沙箱): the tenant signs or declines."""
    try:
        adapter = adapter_for("sandbox")
    except UnknownProvider:
        raise Http404 from None
    assert isinstance(adapter, SandboxEsignAdapter)
    try:
        agreement = agreement_by_flow_for_tenant(request.user, "sandbox", flow_id)
        adapter.get_status(flow_id)  # an unsigned flow past its days expires here
        flow = adapter.flow(flow_id)
    except (NotFound, ProviderError):
        raise Http404 from None
    if request.method == "POST" and flow.get("state") == "in_progress":
        outcome = request.POST.get("outcome")
        if outcome in ("sign", "decline"):
            headers, body = adapter.simulate(flow_id, accept=outcome == "sign")
            try:
                services.agreement_callback(provider_name="sandbox", headers=headers, body=body)
            except DomainError as err:
                messages.error(request, message_of(err))
            else:
                if outcome == "sign":
                    messages.success(request, _("Signed (sandbox)."))
                else:
                    messages.info(request, _("Declined (sandbox)."))
            return redirect("agreements:sandbox_sign", flow_id=flow_id)
    return render(
        request,
        "agreements/sandbox_sign.html",
        {"agreement": agreement, "flow": flow, "flow_id": flow_id, "tab": "agreements"},
    )
