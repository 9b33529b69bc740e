"""Pages: outbox monitor, message detail with retry, sandbox viewer, templates."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.core import access
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.notify import access as notify_access
from anzu.notify import selectors, services
from anzu.notify.choices import MessageStatus
from anzu.notify.forms import (
    OutboxFilterForm,
    SandboxFilterForm,
    TemplateForm,
    notify_error_message,
)
from anzu.notify.presenters import shown_address
from anzu.notify.templating import PLACEHOLDERS


@staff_view("notify.view")
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = selectors.outbox_page(
        request.user,
        status=filters.get("status") or "",
        channel=filters.get("channel") or "",
        page=page_number(request),
    )
    for row in page.items:
        row.shown_address = shown_address(request.user, row)
    return render(
        request,
        "notify/outbox.html",
        {
            "form": form,
            "page": page,
            "rows": page.items,
            "counts": selectors.outbox_counts(request.user),
            "qs": querystring_without_page(request.GET),
        },
    )


@staff_view("notify.view")
def outbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    message = fetch(notify_access.outbox_message_for_user, request.user, pk)
    return render(
        request,
        "notify/outbox_detail.html",
        {
            "message": message,
            "address": shown_address(request.user, message),
            "deliveries": list(message.deliveries.order_by("id")),
            "can_retry": message.status == MessageStatus.DEAD
            and access.can(request.user, "notify.manage"),
        },
    )


@require_POST
@staff_view("notify.manage")
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = fetch(notify_access.outbox_message_for_user, request.user, pk)
    try:
        services.outbox_retry(message=message, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, notify_error_message(err))
    else:
        messages.success(request, _("The message is queued for delivery again."))
    return redirect("notify:outbox_detail", pk=message.pk)


@staff_view("notify.view")
def sandbox(request: HttpRequest) -> HttpResponse:
    form = SandboxFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page = selectors.sandbox_page(
        request.user, channel=filters.get("channel") or "", page=page_number(request)
    )
    return render(
        request,
        "notify/sandbox.html",
        {
            "form": form,
            "page": page,
            "rows": page.items,
            "qs": querystring_without_page(request.GET),
        },
    )


@staff_view("notify.view")
def template_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "notify/template_list.html",
        {
            "templates": notify_access.templates_for_user(request.user).order_by(
                "code", "channel", "language", "id"
            ),
            "can_manage": access.can(request.user, "notify.manage"),
        },
    )


def _template_page(request: HttpRequest, form: TemplateForm, template: object) -> HttpResponse:
    return render(
        request,
        "notify/template_form.html",
        {"form": form, "template": template, "placeholders": sorted(PLACEHOLDERS.items())},
        status=422 if form.errors else 200,
    )


@staff_view("notify.manage")
def template_create(request: HttpRequest) -> HttpResponse:
    form = TemplateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_create(by=request.user, data=form.service_data())  # type: ignore[arg-type]
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Template saved."))
            return redirect("notify:template_list")
    return _template_page(request, form, None)


@staff_view("notify.manage")
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    template = fetch(notify_access.template_for_user, request.user, pk)
    initial = {
        "code": template.code,
        "channel": template.channel,
        "language": template.language,
        "subject": template.subject,
        "body": template.body,
        "provider_template_id": template.provider_template_id,
        "provider_params": "\n".join(f"{k}={p}" for k, p in template.provider_params),
        "is_active": template.is_active,
    }
    form = TemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_update(
                template=template,
                by=request.user,  # type: ignore[arg-type]
                data=form.service_data(),
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("Template saved."))
            return redirect("notify:template_list")
    return _template_page(request, form, template)
