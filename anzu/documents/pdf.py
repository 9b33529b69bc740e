"""HTML → PDF with WeasyPrint, and PAdES signatures with pyHanko.

Chinese text needs a CJK font on the machine (Debian: ``fonts-noto-cjk``); WeasyPrint embeds the
glyphs it uses in the PDF, so the file renders the same everywhere.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from anzu.core.models import Organization
from anzu.documents.pki import identity_for, load_root

CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC")


class DocumentError(Exception):
    """The document could not be produced (missing font, bad template, signing failure)."""


@lru_cache(maxsize=1)
def cjk_font_family() -> str:
    """The first installed CJK font family, or an error saying how to install one."""
    try:
        listed = subprocess.run(
            ["fc-list", ":lang=zh", "family"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        listed = ""
    for family in CJK_FAMILIES:
        if family in listed:
            return family
    raise DocumentError(
        "No Chinese font is installed; install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)."
    )


def render_pdf(*, template_name: str, context: dict[str, Any]) -> bytes:
    """Render a Django template to a PDF (A4, CJK font)."""
    from weasyprint import HTML

    html = render_to_string(template_name, {**context, "cjk_font": cjk_font_family()})
    return bytes(HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf())


def sign_pdf(
    pdf: bytes,
    *,
    organization: Organization,
    reason: str,
    location: str = "",
    field_name: str = "AnzuSignature",
) -> bytes:
    """Sign as PAdES (B-B, or B-T when ``ANZU_TSA_URL`` is set) with the organization's key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    identity = identity_for(organization)
    signer = signers.SimpleSigner.load_pkcs12(str(identity.p12_path), passphrase=identity.password)
    if signer is None:
        raise DocumentError("The signing key could not be loaded.")
    timestamper = None
    tsa_url = getattr(settings, "TSA_URL", "")
    if tsa_url:
        timestamper = timestamps.HTTPTimeStamper(tsa_url, timeout=10)
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location or None,
    )
    out = io.BytesIO()
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer, output=out)
    return out.getvalue()


@dataclass(frozen=True)
class SignatureCheck:
    """The verdict on one PDF's signature against the organization's trust root."""

    signed: bool
    intact: bool
    valid: bool
    trusted: bool
    bottom_line: bool
    signer: str
    summary: str


def verify_pdf(pdf: bytes, *, organization: Organization) -> SignatureCheck:
    """Check the PDF's last signature against the organization's trust root."""
    return verify_pdf_against(pdf, root=load_root(identity_for(organization)))


def verify_pdf_against(pdf: bytes, *, root: Any) -> SignatureCheck:
    """Check the PDF's last signature against ``root`` (an asn1crypto certificate)."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        signatures = reader.embedded_signatures
    except Exception as exc:
        return SignatureCheck(False, False, False, False, False, "", f"unreadable PDF: {exc}")
    if not signatures:
        return SignatureCheck(False, False, False, False, False, "", "no signature")
    context = ValidationContext(trust_roots=[root])
    try:
        status = validate_pdf_signature(signatures[-1], context)
    except Exception as exc:
        return SignatureCheck(True, False, False, False, False, "", f"validation failed: {exc}")
    signer = status.signing_cert.subject.human_friendly if status.signing_cert else ""
    return SignatureCheck(
        signed=True,
        intact=bool(status.intact),
        valid=bool(status.valid),
        trusted=bool(status.trusted),
        bottom_line=bool(status.bottom_line),
        signer=signer,
        summary=status.summary(),
    )
