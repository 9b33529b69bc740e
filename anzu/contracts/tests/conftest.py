from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from anzu.common.testing import make_user
from anzu.contracts.review import FieldValue, Finding, ReviewResult

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

LEASE_TEXT = """房屋租赁合同
出租方（甲方）：上海安居置业有限公司，统一社会信用代码91310115MA1H7XKQ2B
承租方（乙方）：王晓明，身份证号码310104198805061234
第一条 房屋坐落于上海市徐汇区漕溪北路88号3号楼1202室。
第二条 租赁期限自2025年3月1日起至2027年2月28日止。
第三条 月租金为人民币陆仟伍佰元整（¥6500.00），押一付三。
第四条 乙方应支付押金人民币陆仟伍佰元整，租期届满后七日内退还。
第五条 租赁期满后本合同自动续期，续期次数不限。
第六条 争议由房屋所在地人民法院管辖。
"""


def span(text: str, needle: str) -> tuple[int, int]:
    start = text.index(needle)
    return start, start + len(needle)


def fake_review(
    text: str, *, market_rent: Any = None, thresholds: Any = None, **_: Any
) -> ReviewResult:
    """A deterministic stand-in for the review engine: fields found by substring."""
    fields: dict[str, FieldValue] = {}
    for name, needle, value, confidence in (
        ("lessor", "上海安居置业有限公司", "上海安居置业有限公司", 0.97),
        ("lessee", "王晓明", "王晓明", 0.95),
        ("start_date", "2025年3月1日", "2025-03-01", 0.96),
        ("end_date", "2027年2月28日", "2027-02-28", 0.96),
        ("monthly_rent", "6500.00", "6500.00", 0.6),
        ("lessee_id", "310104198805061234", "310104198805061234", 0.99),
    ):
        if needle in text:
            s, e = span(text, needle)
            fields[name] = FieldValue(value, s, e, confidence, text[s:e])
    findings = []
    if "自动续期" in text:
        s, e = span(text, "租赁期满后本合同自动续期，续期次数不限")
        findings.append(
            Finding(
                "AUTO_RENEWAL_INDEFINITE",
                "high",
                "请核对：合同约定无限次自动续期。",
                text[s:e],
                s,
                e,
                "《民法典》第705条",
            )
        )
    if "monthly_rent" in fields and thresholds is not None:
        pass
    return ReviewResult(fields=fields, findings=findings, risk_level="high" if findings else "low")


@pytest.fixture
def fake_engine(monkeypatch: Any) -> Any:
    import anzu.contracts.review as review_module

    monkeypatch.setattr(review_module, "review", fake_review)
    return fake_review


@pytest.fixture
def home(settings: Any, tmp_path: Any) -> Any:
    settings.ANZU_HOME = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.fixture
def legal(org: Any) -> Any:
    return make_user(org, "legal", username="legal")


def render_scan(
    text: str, *, width: int = 1240, font_px: int = 34, noise: float = 0.0, rotate: float = 0.0
) -> Image.Image:
    """A page image of ``text`` (150 dpi A4 width), optionally noisy and slightly rotated."""
    import random

    font = ImageFont.truetype(FONT, font_px)
    lines = text.splitlines()
    height = 160 + len(lines) * int(font_px * 1.9)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    y = 80
    for line in lines:
        draw.text((70, y), line, fill=0, font=font)
        y += int(font_px * 1.9)
    if noise:
        rng = random.Random(3)
        pixels = page.load()
        assert pixels is not None
        for _ in range(int(width * height * noise)):
            pixels[rng.randrange(width), rng.randrange(height)] = rng.choice((0, 120, 200))
        page = page.filter(ImageFilter.GaussianBlur(0.5))
    if rotate:
        page = page.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return page


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


_PDF_CACHE: dict[str, bytes] = {}


def text_pdf(text: str = LEASE_TEXT) -> bytes:
    """A PDF with a text layer (WeasyPrint with the CJK font), cached per text."""
    if text not in _PDF_CACHE:
        from weasyprint import HTML

        body = "".join(f"<p>{line}</p>" for line in text.splitlines())
        html = (
            "<html><head><style>body{font-family:'Noto Sans CJK SC';font-size:11pt}</style>"
            f"</head><body>{body}</body></html>"
        )
        _PDF_CACHE[text] = bytes(HTML(string=html).write_pdf())
    return _PDF_CACHE[text]


def blank_pdf() -> bytes:
    """A valid one-page PDF with neither text nor images."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
