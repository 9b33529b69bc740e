"""Document archive pages: list, download, signature check; the notice archive and the
notice template editor."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.core import access
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view
from anzu.documents import notices, selectors
from anzu.documents.access import (
    document_for_user,
    documents_for_user,
    notice_template_for_user,
)
from anzu.documents.choices import DocumentKind, NoticeTemplateStatus
from anzu.documents.forms import (
    NoticeFilterForm,
    NoticeIssueForm,
    NoticeTemplateForm,
    notice_error_message,
)
from anzu.documents.models import Document, NoticeTemplate
from anzu.documents.presenters import placeholder_catalog, present_notice
from anzu.documents.services import document_check, document_content


@staff_view("documents.view")
def document_list(request: HttpRequest) -> HttpResponse:
    qs = documents_for_user(request.user)
    kind = request.GET.get("kind", "")
    if kind in DocumentKind.values:
        qs = qs.filter(kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "documents/list.html",
        {"page": page, "kinds": DocumentKind.choices, "kind": kind},
    )


def download_response(doc: Document) -> HttpResponse:
    """The stored file as an attachment (shared by the page and the API)."""
    response = HttpResponse(document_content(doc), content_type=doc.content_type)
    response["Content-Disposition"] = f'attachment; filename="{doc.sha256[:12]}.pdf"'
    return response


@staff_view("documents.view")
def document_download(request: HttpRequest, pk: int) -> HttpResponse:
    return download_response(fetch(document_for_user, request.user, pk))


@staff_view("documents.view")
def document_verify(request: HttpRequest, pk: int) -> HttpResponse:
    doc = fetch(document_for_user, request.user, pk)
    return render(request, "documents/verify.html", {"doc": doc, "check": document_check(doc)})


# Notice archive -----------------------------------------------------------------------------------


def _render_notices(
    request: HttpRequest, *, issue_form: NoticeIssueForm | None = None, status: int = 200
) -> HttpResponse:
    user = request.user
    form = NoticeFilterForm(request.GET or None)
    kind = form.cleaned_data.get("kind", "") if form.is_valid() else ""
    page = paginate(selectors.notice_search(user, kind=kind), page=page_number(request))
    show = access.sees_amounts(user)
    can_issue = access.can(user, "dunning.manage")
    return render(
        request,
        "documents/notices.html",
        {
            "form": form,
            "page": page,
            "rows": [present_notice(user, n, show=show) for n in page.items],
            "sees_amounts": show,
            "can_issue": can_issue,
            "issue_form": issue_form
            or (NoticeIssueForm(auto_id="issue_%s") if can_issue else None),
            "qs": querystring_without_page(request.GET),
        },
        status=status,
    )


@staff_view("documents.view")
def notice_list(request: HttpRequest) -> HttpResponse:
    return _render_notices(request)


@require_POST
@staff_view("dunning.manage")
def notice_issue_create(request: HttpRequest) -> HttpResponse:
    """Issue a notice by hand for all the overdue open bills of a lease (by its number)."""
    from anzu.leasing.access import leases_for_user

    user: Any = request.user
    form = NoticeIssueForm(request.POST, auto_id="issue_%s")
    if form.is_valid():
        lease = (
            leases_for_user(user)
            .filter(code=form.cleaned_data["lease"].strip())
            .exclude(status="void")
            .first()
        )
        if lease is None:
            form.add_error("lease", _("No lease with this number."))
        else:
            try:
                issue = notices.notice_issue_manual(
                    lease=lease, kind=form.cleaned_data["kind"], by=user
                )
            except DomainError as err:
                form.add_domain_error(err)
            else:
                messages.success(
                    request,
                    _("Issued %(kind)s %(number)s.")
                    % {"kind": issue.get_kind_display(), "number": issue.number},
                )
                return redirect("documents:notices")
    return _render_notices(request, issue_form=form, status=422)


# Notice templates ---------------------------------------------------------------------------------


@staff_view("documents.view")
def notice_template_list(request: HttpRequest) -> HttpResponse:
    notices.notice_templates_ensure_defaults(organization_id=access.org_id(request.user))
    return render(
        request,
        "documents/notice_templates.html",
        {
            "groups": selectors.templates_by_kind(request.user),
            "can_manage": access.can(request.user, "dunning.manage"),
        },
    )


def _template_page(
    request: HttpRequest, template: NoticeTemplate, form: NoticeTemplateForm, *, status: int = 200
) -> HttpResponse:
    versions = selectors.templates_by_kind(request.user)
    group = next(g for g in versions if g["kind"] == template.kind)
    return render(
        request,
        "documents/notice_template_edit.html",
        {
            "template": template,
            "form": form,
            "group": group,
            "placeholders": placeholder_catalog(),
            "is_draft": template.status == NoticeTemplateStatus.DRAFT,
        },
        status=status,
    )


def _template_initial(template: NoticeTemplate) -> dict[str, Any]:
    return {
        "title": template.title,
        "body": template.body,
        "consequences": template.consequences,
        "deadline_days": template.deadline_days,
    }


@staff_view("dunning.manage")
def notice_template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit the draft; saving a published or retired version starts (or updates) the draft."""
    template = fetch(notice_template_for_user, request.user, pk)
    form = NoticeTemplateForm(request.POST or None, initial=_template_initial(template))
    if request.method == "POST" and form.is_valid():
        try:
            draft = notices.notice_template_save(
                kind=template.kind,
                by=request.user,  # type: ignore[arg-type]
                **form.cleaned_data,
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(
                request, _("Saved as draft version %(version)s.") % {"version": draft.version}
            )
            return redirect("documents:notice_template_edit", pk=draft.pk)
    return _template_page(request, template, form, status=422 if form.errors else 200)


@require_POST
@staff_view("dunning.manage")
def notice_template_publish(request: HttpRequest, pk: int) -> HttpResponse:
    template = fetch(notice_template_for_user, request.user, pk)
    try:
        notices.notice_template_publish(template=template, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, notice_error_message(err))
        return redirect("documents:notice_template_edit", pk=template.pk)
    messages.success(
        request,
        _("Version %(version)s is published; new notices use it.") % {"version": template.version},
    )
    return redirect("documents:notice_templates")


@require_POST
@staff_view("documents.view")
def notice_template_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """A sample PDF of the stored template, or of the changes in the editor when posted."""
    template = fetch(notice_template_for_user, request.user, pk)
    changes: dict[str, Any] = {}
    form = None
    if "body" in request.POST:
        form = NoticeTemplateForm(request.POST)
        if not form.is_valid():
            return _template_page(request, template, form, status=422)
        changes = form.cleaned_data
    try:
        pdf = selectors.template_preview(user=request.user, template=template, **changes)
    except DomainError as err:
        if form is None:
            messages.error(request, notice_error_message(err))
            return redirect("documents:notice_templates")
        form.add_domain_error(err)
        return _template_page(request, template, form, status=422)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="notice-template-{template.pk}-v{template.version}-preview.pdf"'
    )
    return response
