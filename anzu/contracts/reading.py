"""Reading a contract file: checks, the PDF text layer, and OCR of scans.

Accepted files, recognised by their first bytes (never by the file name alone): PDF, JPEG, PNG,
TIFF (several pages allowed) and, for contracts that only exist as text, UTF-8 ``.txt``. A PDF
page with a text layer is read directly; a page without one is rendered at 300 dpi (pdfium) and
OCR'd. Every problem is a :class:`ValidationFailed` on the field ``file``:

==================  ==============================================================
``unsupported_type``  not one of the formats above
``corrupt_file``      the file claims a format but cannot be decoded
``too_large``         more than ``CONTRACT_MAX_BYTES`` bytes, or an image (or rendered
                      page) of more than ``CONTRACT_MAX_PIXELS`` pixels, or more than
                      ``CONTRACT_MAX_PAGES`` pages
``no_text``           a PDF with neither a text layer nor any image to read
``empty_contract``    nothing (or next to nothing) readable in the file
==================  ==============================================================
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop
from PIL import Image, ImageSequence, UnidentifiedImageError

from anzu.common.errors import ValidationFailed
from anzu.contracts.choices import ContractSource

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 30 * 1024 * 1024
DEFAULT_MAX_PIXELS = 60_000_000  # an A4 page at 600 dpi is about 35 million pixels
DEFAULT_MAX_PAGES = 300
RENDER_DPI = 300
# A page whose text layer holds fewer visible characters than this is treated as a scan.
MIN_TEXT_LAYER_CHARS = 8
# A contract with fewer visible characters than this is empty.
MIN_CONTRACT_CHARS = 20
PAGE_SEPARATOR = "\n\n"

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "tiff": "image/tiff",
    "text": "text/plain; charset=utf-8",
}

MESSAGES = [
    gettext_noop("Upload a PDF, JPEG, PNG or TIFF file (or a UTF-8 text file)."),
    gettext_noop("The file is damaged and cannot be read."),
    gettext_noop("The file is too large."),
    gettext_noop("The image is too large (too many pixels)."),
    gettext_noop("The file has too many pages."),
    gettext_noop("The PDF has no text layer and no scanned image to read."),
    gettext_noop("No contract text could be read from the file."),
    gettext_noop("The PDF is encrypted."),
]


@dataclass
class PageText:
    number: int
    text: str
    # OCR lines: {"text", "box", "confidence", "start", "end"}; start/end index ReadResult.text.
    lines: list[dict[str, Any]] = field(default_factory=list)
    source: str = ContractSource.PDF_TEXT
    offset: int = 0
    confidence: float | None = None
    width: int = 0
    height: int = 0


@dataclass
class ReadResult:
    source: str
    pages: list[PageText]
    text: str
    confidence: float | None
    content_type: str = "application/pdf"


def max_bytes() -> int:
    return int(getattr(settings, "CONTRACT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "CONTRACT_MAX_PIXELS", DEFAULT_MAX_PIXELS))


def max_pages() -> int:
    return int(getattr(settings, "CONTRACT_MAX_PAGES", DEFAULT_MAX_PAGES))


def _fail(code: str, message: str) -> ValidationFailed:
    return ValidationFailed(code, message, field="file")


def sniff(content: bytes, filename: str = "") -> str:
    """The file's format from its first bytes: pdf, jpeg, png, tiff or text; else an error."""
    head = content[:1024]
    if head.startswith(b"%PDF-") or (b"%PDF-" in head and head.lstrip().startswith(b"%PDF-")):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if filename.lower().endswith(".txt") and b"\x00" not in head:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            return "text"
    raise _fail("unsupported_type", "Upload a PDF, JPEG, PNG or TIFF file (or a UTF-8 text file).")


def check_size(size: int) -> None:
    if size > max_bytes():
        raise _fail("too_large", "The file is too large.")


def check_upload(content: bytes, filename: str) -> str:
    """Size and type checks that need no decoding (run before anything is stored)."""
    if not content:
        raise _fail("empty_contract", "No contract text could be read from the file.")
    check_size(len(content))
    kind = sniff(content, filename)
    if kind in ("jpeg", "png", "tiff"):
        _open_image(content)  # decodes headers: corrupt files and pixel bombs fail here
    elif kind == "pdf":
        _open_pdf(content)
    return kind


def precheck(content: bytes, filename: str) -> str:
    """The checks an upload must pass before it is stored (fast: no OCR).

    Besides type, size and decoding: a PDF whose pages have neither text nor images fails with
    ``no_text``, and a text file with next to nothing in it with ``empty_contract``.
    """
    kind = check_upload(content, filename)
    if kind == "pdf":
        reader = _open_pdf(content)
        for page in reader.pages:
            try:
                text = page.extract_text() or ""
            except Exception:
                text = ""
            if _visible(text) or _page_has_images(page):
                break
        else:
            raise _fail("no_text", "The PDF has no text layer and no scanned image to read.")
    elif kind == "text" and _visible(content.decode("utf-8")) < MIN_CONTRACT_CHARS:
        raise _fail("empty_contract", "No contract text could be read from the file.")
    return kind


def _visible(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace())


def _open_image(content: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(content))
        width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    except Image.DecompressionBombError:
        raise _fail("too_large", "The image is too large (too many pixels).") from None
    if width * height > max_pixels():
        raise _fail("too_large", "The image is too large (too many pixels).")
    return image


def _open_pdf(content: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise _fail("corrupt_file", "The PDF is encrypted.")
        count = len(reader.pages)
    except ValidationFailed:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError, AttributeError):
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    except Exception:  # pypdf raises assorted errors on broken files
        logger.info("pypdf could not open an uploaded PDF", exc_info=True)
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    if count == 0:
        raise _fail("corrupt_file", "The file is damaged and cannot be read.")
    if count > max_pages():
        raise _fail("too_large", "The file has too many pages.")
    return reader


def _ocr_page(number: int, image: Image.Image, source: str) -> PageText:
    from anzu.contracts.ocr import ocr_image

    if image.width * image.height > max_pixels():
        raise _fail("too_large", "The image is too large (too many pixels).")
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    page = ocr_image(image)
    lines = [{"text": ln.text, "box": ln.box, "confidence": ln.confidence} for ln in page.lines]
    return PageText(
        number=number,
        text=page.text,
        lines=lines,
        source=source,
        confidence=page.confidence,
        width=page.width,
        height=page.height,
    )


def _read_images(content: bytes) -> list[PageText]:
    image = _open_image(content)
    pages: list[PageText] = []
    try:
        for index, frame in enumerate(ImageSequence.Iterator(image), start=1):
            if index > max_pages():
                raise _fail("too_large", "The file has too many pages.")
            pages.append(_ocr_page(index, frame.copy(), ContractSource.IMAGE_OCR))
    except ValidationFailed:
        raise
    except (OSError, SyntaxError, ValueError, EOFError):
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    return pages


def _page_has_images(page: Any) -> bool:
    try:
        resources = page.get("/Resources") or {}
        resources = resources.get_object() if hasattr(resources, "get_object") else resources
        xobjects = resources.get("/XObject") or {}
        xobjects = xobjects.get_object() if hasattr(xobjects, "get_object") else xobjects
        for ref in xobjects.values():
            obj = ref.get_object()
            if obj.get("/Subtype") == "/Image":
                return True
            if obj.get("/Subtype") == "/Form":
                return True  # a form may wrap a scan; rendering decides
        contents = page.get_contents()
        data = contents.get_data() if contents is not None else b""
        return b"BI" in data and b"EI" in data  # an inline image
    except Exception:
        return True  # when in doubt, render and OCR


def _render_pdf_page(content: bytes, index: int) -> Image.Image:
    import pypdfium2 as pdfium

    try:
        document = pdfium.PdfDocument(content)
        page = document[index]
        width, height = page.get_size()
        scale = RENDER_DPI / 72
        if width * scale * height * scale > max_pixels():
            scale = (max_pixels() / (width * height)) ** 0.5 * 0.99
        bitmap = page.render(scale=scale, grayscale=True)
        image = bitmap.to_pil()
        page.close()
        document.close()
    except pdfium.PdfiumError:
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    return image


def _read_pdf(content: bytes) -> list[PageText]:
    reader = _open_pdf(content)
    pages: list[PageText] = []
    any_image = False
    for index, page in enumerate(reader.pages):
        try:
            text = page.extract_text() or ""
        except Exception:
            text = ""
        text = _normalise(text)
        if _visible(text) >= MIN_TEXT_LAYER_CHARS:
            pages.append(
                PageText(number=index + 1, text=text, source=ContractSource.PDF_TEXT, confidence=1)
            )
            continue
        if not _page_has_images(page):
            pages.append(PageText(number=index + 1, text=text, source=ContractSource.PDF_TEXT))
            continue
        any_image = True
        image = _render_pdf_page(content, index)
        pages.append(_ocr_page(index + 1, image, ContractSource.PDF_OCR))
    if not any_image and sum(_visible(p.text) for p in pages) == 0:
        raise _fail("no_text", "The PDF has no text layer and no scanned image to read.")
    return pages


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def _assemble(pages: list[PageText], content_type: str) -> ReadResult:
    parts: list[str] = []
    offset = 0
    for page in pages:
        if parts:
            offset += len(PAGE_SEPARATOR)
        page.offset = offset
        cursor = 0
        for line in page.lines:
            at = page.text.find(line["text"], cursor)
            if at < 0:
                at = cursor
            line["start"] = offset + at
            line["end"] = offset + at + len(line["text"])
            cursor = at + len(line["text"])
        parts.append(page.text)
        offset += len(page.text)
    text = PAGE_SEPARATOR.join(parts)
    if _visible(text) < MIN_CONTRACT_CHARS:
        raise _fail("empty_contract", "No contract text could be read from the file.")
    sources = {p.source for p in pages if _visible(p.text)}
    if ContractSource.PDF_OCR in sources:
        source = ContractSource.PDF_OCR
    elif ContractSource.IMAGE_OCR in sources:
        source = ContractSource.IMAGE_OCR
    elif ContractSource.TEXT in sources:
        source = ContractSource.TEXT
    else:
        source = ContractSource.PDF_TEXT
    weighted = [(p.confidence, _visible(p.text)) for p in pages if p.confidence is not None]
    total = sum(n for _c, n in weighted)
    confidence = (
        round(sum(float(c) * n for c, n in weighted if c is not None) / total, 4) if total else None
    )
    return ReadResult(
        source=source, pages=pages, text=text, confidence=confidence, content_type=content_type
    )


def read_document(content: bytes, filename: str = "") -> ReadResult:
    """Check and read a contract file; pages with their text, OCR lines and offsets."""
    kind = check_upload(content, filename)
    if kind == "pdf":
        pages = _read_pdf(content)
    elif kind == "text":
        text = _normalise(content.decode("utf-8").lstrip("\ufeff"))
        pages = [PageText(number=1, text=text, source=ContractSource.TEXT, confidence=1)]
    else:
        pages = _read_images(content)
    return _assemble(pages, CONTENT_TYPES[kind])


def read_text(path_or_bytes: str | Path | bytes) -> str:
    """The text of a contract file (a path, or the bytes of a PDF, an image or UTF-8 text)."""
    if isinstance(path_or_bytes, bytes):
        content, name = path_or_bytes, ""
        try:
            sniff(content)
        except ValidationFailed:
            name = "contract.txt"
    else:
        path = Path(path_or_bytes)
        content, name = path.read_bytes(), path.name
    return read_document(content, name).text


def page_image(content: bytes, number: int) -> Image.Image:
    """Page ``number`` (1-based) of a stored scan, in the pixels its OCR boxes refer to."""
    kind = sniff(content)
    if kind == "pdf":
        return _render_pdf_page(content, number - 1)
    if kind == "text":
        raise _fail(
            "unsupported_type", "Upload a PDF, JPEG, PNG or TIFF file (or a UTF-8 text file)."
        )
    image = _open_image(content)
    try:
        image.seek(number - 1)
    except EOFError:
        raise _fail("corrupt_file", "The file is damaged and cannot be read.") from None
    return image.copy()
