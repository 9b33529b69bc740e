"""Document archive pages: list, download, signature check."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from anzu.core.views import fetch, staff_view
from anzu.documents.access import document_for_user, documents_for_user
from anzu.documents.choices import DocumentKind
from anzu.documents.models import Document
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
