"""Contract archive pages: the archive tree, upload, detail with findings and evidence, the
review queue, rule set versions, batch uploads with progress, and the audited downloads."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anzu.common.errors import DomainError
from anzu.common.pagination import paginate
from anzu.contracts import selectors, services
from anzu.contracts.access import (
    batch_for_user,
    contract_field_for_user,
    contract_for_user,
    rule_sets_for_user,
)
from anzu.contracts.choices import ContractStatus, RuleSetStatus
from anzu.contracts.forms import (
    BatchUploadForm,
    ContractFilterForm,
    ContractUploadForm,
    FieldCorrectForm,
    RuleSetForm,
)
from anzu.contracts.models import ContractPage
from anzu.contracts.presenters import Viewer, highlight, present_detail, present_field
from anzu.core import access
from anzu.core.forms import localized_message
from anzu.core.views import fetch, page_number, querystring_without_page, staff_view

SNIPPET_CONTEXT = 60


def _projects(user: Any) -> Any:
    from anzu.portfolio.access import projects_for_user

    return projects_for_user(user).order_by("name")


def _units(user: Any) -> Any:
    from anzu.portfolio.access import units_for_user

    return (
        units_for_user(user)
        .select_related("project", "building")
        .order_by("project__name", "building__name", "code")[:2000]
    )


def _download(content: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    safe = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


def _list_page(
    request: HttpRequest, *, upload_form: ContractUploadForm | None = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    form = ContractFilterForm(request.GET or None, projects=_projects(user))
    data = form.cleaned_data if form.is_valid() else {}
    qs = selectors.contract_search(
        user,
        project_id=data.get("project"),
        status=data.get("status", ""),
        risk_level=data.get("risk", ""),
    )
    page = paginate(qs, page=page_number(request), page_size=100)
    can_write = access.can(user, "contract.write")
    return render(
        request,
        "contracts/list.html",
        {
            "form": form,
            "page": page,
            "tree": selectors.archive_tree(page.items),
            "viewer": Viewer(user),
            "can_write": can_write,
            "upload_form": upload_form
            or (ContractUploadForm(units=_units(user)) if can_write else None),
            "queue_count": selectors.review_queue(user).count() if can_write else 0,
            "qs": querystring_without_page(request.GET),
        },
        status=status,
    )


@staff_view("contract.view")
def contract_list(request: HttpRequest) -> HttpResponse:
    return _list_page(request)


@require_POST
@staff_view("contract.write")
def contract_upload(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = ContractUploadForm(request.POST, request.FILES, units=_units(user))
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            from anzu.contracts.reading import max_bytes

            if upload.size > max_bytes():
                from anzu.common.errors import ValidationFailed

                raise ValidationFailed("too_large", "The file is too large.", field="file")
            contract = services.contract_upload(
                by=user,
                file_bytes=upload.read(),
                filename=upload.name,
                title=form.cleaned_data["title"],
                unit_id=form.cleaned_data["unit"],
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            messages.success(request, _("The contract was archived and is being read."))
            return redirect("contracts:detail", pk=contract.pk)
    return _list_page(request, upload_form=form, status=422)


@staff_view("contract.view")
def contract_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    contract = fetch(contract_for_user, user, pk)
    viewer = Viewer(user)
    detail = present_detail(viewer, contract)
    segments: list[dict[str, Any]] = []
    if viewer.full and contract.status == ContractStatus.READY:
        text = services.contract_view_full(contract=contract, by=user)
        spans = [
            (f["start"], f["end"], f"finding-{f['id']}")
            for f in detail["findings"]
            if f["start"] is not None and f["end"] is not None
        ] + [
            (f["start"], f["end"], f"field-{f['id']}")
            for f in detail["fields"]
            if f["start"] is not None and f["end"] is not None and not f["hidden"]
        ]
        segments = highlight(text, spans)
    return render(
        request,
        "contracts/detail.html",
        {"c": detail, "contract": contract, "viewer": viewer, "segments": segments},
    )


@staff_view("contract.full")
def contract_file(request: HttpRequest, pk: int) -> HttpResponse:
    contract = fetch(contract_for_user, request.user, pk)
    return _download(*services.contract_download(contract=contract, by=request.user, what="file"))  # type: ignore[arg-type]


@staff_view("contract.full")
def contract_report(request: HttpRequest, pk: int) -> HttpResponse:
    contract = fetch(contract_for_user, request.user, pk)
    try:
        content, content_type, name = services.contract_download(
            contract=contract,
            by=request.user,  # type: ignore[arg-type]
            what="report",
        )
    except DomainError as err:
        messages.error(request, localized_message(err))
        return redirect("contracts:detail", pk=contract.pk)
    return _download(content, content_type, name)


@staff_view("contract.full")
def contract_page_image(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """A scanned page as PNG (at most 1400 px wide); its OCR boxes are drawn by the page."""
    from anzu.contracts.reading import page_image
    from anzu.documents.services import document_content

    contract = fetch(contract_for_user, request.user, pk)
    if not ContractPage.objects.filter(
        contract=contract, number=number, image_width__gt=0
    ).exists():
        from django.http import Http404

        raise Http404
    services.contract_view_full(contract=contract, by=request.user)  # type: ignore[arg-type]
    image = page_image(document_content(contract.document), number)
    image.thumbnail((1400, 1400 * 2))
    out = io.BytesIO()
    image.convert("L").save(out, "PNG", optimize=False)
    response = HttpResponse(out.getvalue(), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@staff_view("contract.write")
def contract_retry(request: HttpRequest, pk: int) -> HttpResponse:
    contract = fetch(contract_for_user, request.user, pk)
    try:
        services.contract_retry(contract=contract, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, localized_message(err))
    return redirect("contracts:detail", pk=contract.pk)


# Review queue -----------------------------------------------------------------------------------


def _queue_item(viewer: Viewer, field: Any) -> dict[str, Any]:
    contract = field.contract
    item = present_field(viewer, field)
    item["contract_title"] = contract.title
    item["contract_id"] = contract.pk
    item["before"] = item["after"] = ""
    item["image"] = None
    if viewer.full and field.start is not None and field.end is not None:
        text = contract.text
        item["before"] = text[max(0, field.start - SNIPPET_CONTEXT) : field.start]
        item["after"] = text[field.end : field.end + SNIPPET_CONTEXT]
        page = (
            ContractPage.objects.filter(contract=contract, number=field.page).first()
            if field.box and field.page
            else None
        )
        if page is not None and page.image_width:
            ys = [p[1] for p in field.box]
            top = max(0, min(ys) - 150)
            item["image"] = {
                "page": field.page,
                "width": page.image_width,
                "height": page.image_height,
                "points": " ".join(f"{x},{y}" for x, y in field.box),
                # A band of the page around the line (the SVG crops with its viewBox).
                "view": f"0 {top} {page.image_width} {max(ys) - top + 150}",
            }
    return item


@staff_view("contract.write")
def review_queue(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    viewer = Viewer(user)
    page = paginate(selectors.review_queue(user), page=page_number(request), page_size=25)
    return render(
        request,
        "contracts/review_queue.html",
        {"page": page, "items": [_queue_item(viewer, f) for f in page.items]},
    )


@require_POST
@staff_view("contract.write")
def field_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Confirm (``confirm=1``) or correct a field; HTMX swaps the queue row."""
    user: Any = request.user
    field = fetch(contract_field_for_user, user, pk)
    form = FieldCorrectForm(request.POST)
    confirm = request.POST.get("confirm") == "1"
    error = ""
    if form.is_valid():
        try:
            field = services.contract_field_review(
                field=field, by=user, value=form.cleaned_data["value"], confirm=confirm
            )
        except DomainError as err:
            error = localized_message(err)
    else:
        error = _("Enter a value.")
    field = contract_field_for_user(user, field.pk)
    item = _queue_item(Viewer(user), field)
    if request.headers.get("HX-Request"):
        return render(
            request,
            "contracts/review_queue.html#row",
            {"item": item, "error": error},
            status=422 if error else 200,
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Saved."))
    return redirect(request.POST.get("next") or "contracts:review_queue")


# Rule sets --------------------------------------------------------------------------------------


def _rule_form_initial(rule_set: Any) -> dict[str, Any]:
    from anzu.contracts.review import RULE_CODES

    if rule_set is None:
        return {"enabled_codes": list(RULE_CODES)}
    initial = {f"t_{k}": v for k, v in (rule_set.thresholds or {}).items()}
    initial["enabled_codes"] = rule_set.enabled_codes
    initial["note"] = rule_set.note
    return initial


@staff_view("contract.view")
def rule_sets(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    versions = list(rule_sets_for_user(user).select_related("created_by").order_by("-version"))
    draft = next((r for r in versions if r.status == RuleSetStatus.DRAFT), None)
    published = next((r for r in versions if r.status == RuleSetStatus.PUBLISHED), None)
    can_edit = access.can(user, "contract.rules")
    form = None
    status = 200
    if can_edit:
        form = RuleSetForm(request.POST or None, initial=_rule_form_initial(draft or published))
        if request.method == "POST":
            if form.is_valid():
                try:
                    saved = services.rule_set_save(by=user, **form.service_args())
                except DomainError as err:
                    form.add_domain_error(err)
                else:
                    messages.success(
                        request, _("Saved as draft version %(v)s.") % {"v": saved.version}
                    )
                    return redirect("contracts:rule_sets")
            status = 422
    from anzu.contracts.review import DEFAULT_THRESHOLDS

    return render(
        request,
        "contracts/rule_sets.html",
        {
            "versions": versions,
            "draft": draft,
            "published": published,
            "form": form,
            "defaults": DEFAULT_THRESHOLDS,
        },
        status=status,
    )


@require_POST
@staff_view("contract.rules")
def rule_set_publish(request: HttpRequest, pk: int) -> HttpResponse:
    from anzu.contracts.access import rule_set_for_user

    rule_set = fetch(rule_set_for_user, request.user, pk)
    try:
        services.rule_set_publish(rule_set=rule_set, by=request.user)  # type: ignore[arg-type]
    except DomainError as err:
        messages.error(request, localized_message(err))
    else:
        messages.success(
            request,
            _("Version %(v)s is published; new contracts are reviewed with it.")
            % {"v": rule_set.version},
        )
    return redirect("contracts:rule_sets")


# Batches ----------------------------------------------------------------------------------------


@staff_view("contract.write")
def batch_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = BatchUploadForm(request.POST or None, request.FILES or None, projects=_projects(user))
    if request.method == "POST" and form.is_valid():
        from anzu.contracts.reading import max_bytes

        try:
            files = []
            for upload in form.cleaned_data["uploads"]:
                if upload.size > max_bytes():
                    from anzu.common.errors import ValidationFailed

                    raise ValidationFailed("too_large", "The file is too large.", field="files")
                files.append((upload.name, upload.read()))
            batch = services.contract_batch_create(
                by=user, files=files, project_id=form.cleaned_data["project"]
            )
        except DomainError as err:
            form.add_domain_error(err)
        else:
            return redirect("contracts:batch", pk=batch.pk)
    return render(
        request,
        "contracts/batch_new.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def _batch_context(batch: Any) -> dict[str, Any]:
    return {
        "batch": batch,
        "summary": selectors.batch_summary(batch),
        "finished": batch.finished_at is not None,
    }


@staff_view("contract.write")
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = fetch(batch_for_user, request.user, pk)
    return render(request, "contracts/batch.html", _batch_context(batch))


@staff_view("contract.write")
def batch_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment; the page polls it every two seconds until the batch finishes."""
    batch = fetch(batch_for_user, request.user, pk)
    return render(request, "contracts/batch.html#progress", _batch_context(batch))
