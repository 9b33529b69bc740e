"""Ticket photos: checks (real JPEG/PNG/WebP images, at most 10 MB, at most 6 per upload),
content-addressed storage under ``MEDIA_ROOT/workorders/`` and thumbnails.

:func:`photo_check` is shared with the public reporting page (``anzu.maintenance.knowledge``).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_noop
from PIL import Image, UnidentifiedImageError

from anzu.common.errors import ValidationFailed

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTOS = 6
THUMB_SIZE = (320, 320)
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}

MESSAGES = [
    gettext_noop("A photo may be at most 10 MB."),
    gettext_noop("Photos must be JPEG, PNG or WebP images."),
    gettext_noop("At most 6 photos."),
    gettext_noop("The photo is empty."),
]


@dataclass(frozen=True)
class CheckedPhoto:
    data: bytes
    sha256: str
    content_type: str
    extension: str
    width: int
    height: int


def _read(upload: Any) -> bytes:
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_PHOTO_BYTES:
        raise ValidationFailed("photo_too_large", "A photo may be at most 10 MB.", field="photos")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_PHOTO_BYTES + 1)
    if hasattr(upload, "seek"):
        upload.seek(0)
    if len(data) > MAX_PHOTO_BYTES:
        raise ValidationFailed("photo_too_large", "A photo may be at most 10 MB.", field="photos")
    if not data:
        raise ValidationFailed("photo_empty", "The photo is empty.", field="photos")
    return bytes(data)


def inspect(upload: Any) -> CheckedPhoto:
    """Read and check one upload; raises ValidationFailed(field="photos")."""
    data = _read(upload)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format or ""
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationFailed(
            "photo_invalid", "Photos must be JPEG, PNG or WebP images.", field="photos"
        ) from None
    if fmt not in FORMATS:
        raise ValidationFailed(
            "photo_invalid", "Photos must be JPEG, PNG or WebP images.", field="photos"
        )
    content_type, extension = FORMATS[fmt]
    return CheckedPhoto(
        data=data,
        sha256=hashlib.sha256(data).hexdigest(),
        content_type=content_type,
        extension=extension,
        width=width,
        height=height,
    )


def photo_check(upload: Any) -> None:
    """Raise ValidationFailed(field="photos") unless ``upload`` is an acceptable photo."""
    inspect(upload)


def photos_check(uploads: list[Any] | None) -> list[CheckedPhoto]:
    uploads = list(uploads or [])
    if len(uploads) > MAX_PHOTOS:
        raise ValidationFailed("too_many_photos", "At most 6 photos.", field="photos")
    return [inspect(u) for u in uploads]


def _root() -> Path:
    return Path(settings.MEDIA_ROOT) / "workorders"


def store(photo: CheckedPhoto) -> tuple[str, str]:
    """Write the photo and its thumbnail (idempotent); returns paths relative to MEDIA_ROOT."""
    rel = Path("workorders") / photo.sha256[:2] / f"{photo.sha256}.{photo.extension}"
    thumb_rel = Path("workorders") / "thumbs" / photo.sha256[:2] / f"{photo.sha256}.jpg"
    media = Path(settings.MEDIA_ROOT)
    path = media / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(photo.data)
        tmp.replace(path)
    thumb = media / thumb_rel
    if not thumb.exists():
        thumb.parent.mkdir(parents=True, exist_ok=True)
        with Image.open(io.BytesIO(photo.data)) as image:
            image.thumbnail(THUMB_SIZE)
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, format="JPEG", quality=80)
        tmp = thumb.with_suffix(".tmp")
        tmp.write_bytes(buffer.getvalue())
        tmp.replace(thumb)
    return str(rel), str(thumb_rel)


def absolute(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative
