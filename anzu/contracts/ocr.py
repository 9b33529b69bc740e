"""Offline OCR of scanned contract pages with RapidOCR (PP-OCR models run by onnxruntime).

The detection, direction and recognition models ship inside the ``rapidocr_onnxruntime`` wheel;
the engine is built from the package's own model paths and never fetches anything. One engine
per process is created lazily on first use (loading the models takes about a second).

Pages are normalised before detection: converted to grayscale, deskewed (a slight rotation of a
scan, up to ±5°, is estimated from the text rows and undone) and scaled so that the longer side
is at most ``OCR_MAX_SIDE`` pixels (a 300 dpi A4 page is 3508 px high; body text stays readable
at about 150 dpi, detection gets four times faster and accuracy does not drop). Boxes are reported in the coordinates of the
original page image.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageOps

# The longer side of the working image (pixels): lines are cut from it for recognition.
OCR_MAX_SIDE = 1800
# The longer side the detector looks at (pixels): finding where the lines are needs less
# resolution than reading them (on an A4 page 12 pt text is ~18 px high at this size, 9 pt
# ~14 px); the boxes come back in working-image coordinates, so recognition still reads the
# sharper image. Detection costs in proportion to its pixels: about half the working image's.
OCR_DET_MAX_SIDE = 1280
# Deskew search: angles tried (degrees) and the size of the thumbnail used to score them.
_DESKEW_MAX_DEGREES = 5.0
_DESKEW_STEP = 0.25
_DESKEW_THUMB = 900

_engine: Any = None
_engine_lock = threading.Lock()


@dataclass
class OcrLine:
    text: str
    # Four corner points [[x, y], …] clockwise from the top left, in page-image pixels.
    box: list[list[int]]
    confidence: float


@dataclass
class OcrPage:
    lines: list[OcrLine] = field(default_factory=list)
    width: int = 0
    height: int = 0
    skew_degrees: float = 0.0

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    @property
    def confidence(self) -> float | None:
        """Mean line confidence weighted by line length (None when nothing was read)."""
        total = sum(len(line.text) for line in self.lines)
        if not total:
            return None
        return sum(line.confidence * len(line.text) for line in self.lines) / total


def engine() -> Any:
    """The process-wide RapidOCR engine, built on first use with the packaged models."""
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                from rapidocr_onnxruntime import RapidOCR

                # Everything is pinned explicitly: the packaged model files (resolved by the
                # package relative to itself), CPU only, the angle classifier on (it turns
                # upside-down crops), and no side-length limit that would upscale small scans.
                _engine = RapidOCR(
                    use_cls=True,
                    print_verbose=False,
                    det_use_cuda=False,
                    cls_use_cuda=False,
                    rec_use_cuda=False,
                    max_side_len=OCR_MAX_SIDE + 64,
                )
                # Scale the detector's input down to OCR_DET_MAX_SIDE (the packaged default,
                # "at least 736 px on the shorter side", leaves a page at full size).
                _engine.text_det.limit_type = "max"
                _engine.text_det.limit_side_len = OCR_DET_MAX_SIDE
    return _engine


def _estimate_skew(gray: Image.Image) -> float:
    """The rotation (degrees, counter-clockwise) that makes text rows horizontal.

    Scores each candidate angle by the variance of the row sums of the dark pixels (text rows
    give sharp peaks when they are horizontal).
    """
    thumb = gray.copy()
    thumb.thumbnail((_DESKEW_THUMB, _DESKEW_THUMB))
    ink = ImageOps.invert(thumb).point(lambda p: 255 if p > 100 else 0)
    best_angle, best_score = 0.0, -1.0
    steps = int(_DESKEW_MAX_DEGREES / _DESKEW_STEP)
    for i in range(-steps, steps + 1):
        angle = i * _DESKEW_STEP
        rotated = ink.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
        rows = np.asarray(rotated, dtype=np.float32).sum(axis=1)
        score = float(np.var(np.diff(rows)))
        if score > best_score:
            best_angle, best_score = angle, score
    return best_angle


def _reading_order(lines: list[OcrLine]) -> list[OcrLine]:
    """Top-to-bottom rows, left to right within a row (boxes overlapping vertically share a row)."""

    def top(line: OcrLine) -> float:
        return min(p[1] for p in line.box)

    def bottom(line: OcrLine) -> float:
        return max(p[1] for p in line.box)

    def left(line: OcrLine) -> float:
        return min(p[0] for p in line.box)

    ordered: list[OcrLine] = []
    row: list[OcrLine] = []
    row_mid = 0.0
    for line in sorted(lines, key=lambda ln: (top(ln) + bottom(ln)) / 2):
        mid = (top(line) + bottom(line)) / 2
        height = max(1.0, bottom(line) - top(line))
        if row and abs(mid - row_mid) > height / 2:
            ordered.extend(sorted(row, key=left))
            row = []
        if not row:
            row_mid = mid
        row.append(line)
    ordered.extend(sorted(row, key=left))
    return ordered


def _rotate_point(x: float, y: float, cx: float, cy: float, degrees: float) -> tuple[float, float]:
    """Map a point of the deskewed image back to the original (PIL rotates counter-clockwise)."""
    rad = math.radians(degrees)
    dx, dy = x - cx, y - cy
    return (
        cx + dx * math.cos(rad) + dy * math.sin(rad),
        cy - dx * math.sin(rad) + dy * math.cos(rad),
    )


def ocr_image(image: Image.Image, *, deskew: bool = True) -> OcrPage:
    """Read one page image; lines in reading order with their boxes and confidences."""
    gray = ImageOps.exif_transpose(image).convert("L")
    width, height = gray.size
    skew = _estimate_skew(gray) if deskew else 0.0
    work = gray
    if skew:
        work = gray.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    scale = min(1.0, OCR_MAX_SIDE / max(width, height))
    if scale < 1.0:
        work = work.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))),
            Image.Resampling.LANCZOS,
        )
    array = np.asarray(work.convert("RGB"))[:, :, ::-1].copy()  # BGR, as OpenCV expects
    result, _elapsed = engine()(array)
    lines: list[OcrLine] = []
    cx, cy = width / 2, height / 2
    for box, text, score in result or []:
        text = str(text).strip()
        if not text:
            continue
        points = []
        for x, y in box:
            ox, oy = float(x) / scale, float(y) / scale
            if skew:
                ox, oy = _rotate_point(ox, oy, cx, cy, skew)
            points.append([round(ox), round(oy)])
        lines.append(OcrLine(text=text, box=points, confidence=round(float(score), 4)))
    return OcrPage(lines=_reading_order(lines), width=width, height=height, skew_degrees=skew)
