"""Archiving documents: bytes to content-addressed storage, a row, an audit event.

The writes of formal notices and their templates are in :mod:`anzu.documents.notices`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from anzu.common import validate as v
from anzu.core import audit
from anzu.documents.choices import DocumentKind
from anzu.documents.models import Document


def storage_path(sha256: str) -> Path:
    return Path(settings.MEDIA_ROOT) / "documents" / sha256[:2] / sha256


def _store(content: bytes, sha256: str) -> None:
    path = storage_path(sha256)
    if path.exists() and path.stat().st_size == len(content):
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{sha256}.{os.getpid()}.tmp")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def document_archive(
    *,
    organization_id: int,
    kind: str,
    title: str,
    content: bytes,
    content_type: str = "application/pdf",
    signed: bool = False,
    related: Any = None,
    by: Any = None,
) -> Document:
    """Store ``content`` and record it; the same bytes archived twice return the first row."""
    v.choice(kind, field="kind", choices=DocumentKind.choices)
    title = v.text(title, field="title", max_length=200)
    sha256 = hashlib.sha256(content).hexdigest()
    _store(content, sha256)
    existing = Document.objects.filter(organization_id=organization_id, sha256=sha256).first()
    if existing is not None:
        return existing
    doc = Document(
        organization_id=organization_id,
        kind=kind,
        title=title,
        sha256=sha256,
        size=len(content),
        content_type=content_type,
        signed=signed,
        related_type=related._meta.label_lower if related is not None else "",
        related_id=str(related.pk) if related is not None else "",
        created_by=by if by is not None and getattr(by, "pk", None) else None,
    )
    with transaction.atomic():
        try:
            with transaction.atomic():
                doc.save()
        except IntegrityError:
            return Document.objects.get(organization_id=organization_id, sha256=sha256)
        audit.record(
            action="document.archive",
            obj=doc,
            organization=organization_id,
            actor=by,
            changes={"sha256": [None, sha256], "kind": [None, kind], "signed": [None, signed]},
        )
    return doc


def document_content(doc: Document) -> bytes:
    """The stored bytes, checked against the recorded SHA-256."""
    data = storage_path(doc.sha256).read_bytes()
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise ValueError(f"document {doc.pk}: stored file does not match its SHA-256")
    return data


def document_check(doc: Document) -> Any:
    """The signature verdict of an archived PDF against its organization's trust root."""
    from anzu.core.models import Organization
    from anzu.documents.pdf import verify_pdf

    organization = Organization.objects.get(pk=doc.organization_id)
    return verify_pdf(document_content(doc), organization=organization)
