"""OCR speed and accuracy on an A4 page of Chinese lease text rendered at 300 dpi.

Renders a page (2480 × 3508 px) with Pillow and the Noto Sans CJK font, optionally adds noise
and a slight rotation, OCRs it with :func:`anzu.contracts.ocr.ocr_image` and prints the median
seconds per page and the character accuracy (1 - edit distance / length of the reference).

    .venv/bin/python bench/contract_ocr.py [--runs 3] [--noisy]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FONT = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"

PAGE_TEXT = """房屋租赁合同
出租方（甲方）：上海安居置业有限公司
统一社会信用代码：91310115MA1H7XKQ2B
承租方（乙方）：王晓明
身份证号码：310104198805061234
第一条 房屋坐落于上海市徐汇区漕溪北路88号3号楼1202室，建筑面积85.6平方米。
第二条 租赁期限自2025年3月1日起至2027年2月28日止，共计二十四个月。
第三条 月租金为人民币陆仟伍佰元整（¥6500.00），押一付三，每季度首月5日前支付。
第四条 乙方应于签订本合同时向甲方支付押金人民币陆仟伍佰元整，租赁期满无违约
的，甲方应在乙方交还房屋后七日内无息退还押金。
第五条 租赁期间的物业管理费由甲方承担，水费、电费、燃气费由乙方承担。
第六条 房屋及附属设施的日常维修由乙方负责，主体结构维修由甲方负责。
第七条 未经甲方书面同意，乙方不得将房屋转租或分租给他人。
第八条 乙方逾期支付租金的，每逾期一日按月租金的千分之三支付滞纳金。
第九条 因本合同发生争议的，双方协商解决；协商不成的，向房屋所在地人民法院起诉。
第十条 租赁期满，乙方需继续承租的，应提前三十日书面通知甲方，双方另行签订合同。
第十一条 本合同一式两份，甲乙双方各执一份，自双方签字盖章之日起生效。
甲方（盖章）：上海安居置业有限公司　　乙方（签字）：王晓明
签订日期：2025年2月20日"""


def render_page(
    text: str = PAGE_TEXT,
    *,
    dpi: int = 300,
    noise: float = 0.0,
    rotate: float = 0.0,
    font_pt: float = 12.0,
    seed: int = 7,
) -> Image.Image:
    """An A4 page image of ``text`` (one line per line), optionally noisy and rotated."""
    width, height = round(8.27 * dpi), round(11.69 * dpi)
    size = round(font_pt / 72 * dpi)
    font = ImageFont.truetype(FONT, size)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    margin = round(dpi * 0.9)
    y = margin
    for line in text.splitlines():
        draw.text((margin, y), line, fill=0, font=font)
        y += round(size * 1.8)
    if noise:
        rng = random.Random(seed)
        pixels = page.load()
        assert pixels is not None
        for _ in range(int(width * height * noise)):
            x, yy = rng.randrange(width), rng.randrange(height)
            pixels[x, yy] = rng.choice((0, 90, 160, 255))
        page = page.filter(ImageFilter.GaussianBlur(0.6))
    if rotate:
        page = page.rotate(rotate, resample=Image.Resampling.BICUBIC, fillcolor=255, expand=False)
    return page


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(reference: str, recognised: str) -> float:
    ref = "".join(reference.split())
    got = "".join(recognised.split())
    if not ref:
        return 1.0
    return max(0.0, 1 - edit_distance(ref, got) / len(ref))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--noisy", action="store_true", help="add noise and a 1.5° rotation")
    args = parser.parse_args()

    from anzu.contracts.ocr import engine, ocr_image

    page = render_page(noise=0.01 if args.noisy else 0.0, rotate=1.5 if args.noisy else 0.0)
    started = time.perf_counter()
    engine()
    load = time.perf_counter() - started
    times: list[float] = []
    cpu: list[float] = []
    result = None
    for _ in range(args.runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = ocr_image(page)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    assert result is not None
    print(f"page: {page.size[0]}x{page.size[1]} px (A4 at 300 dpi), noisy={args.noisy}")
    print(f"model load: {load:.2f} s")
    print(f"median seconds per page: {statistics.median(times):.2f} (runs: {args.runs})")
    print(f"median CPU seconds per page (all threads): {statistics.median(cpu):.2f}")
    print(f"load average while measuring: {os.getloadavg()[0]:.1f}")
    print(f"lines: {len(result.lines)}, skew corrected: {result.skew_degrees:+.2f}°")
    print(f"character accuracy: {char_accuracy(PAGE_TEXT, result.text):.4f}")


if __name__ == "__main__":
    main()
