"""The downloadable import template: one workbook, a sheet per kind, header comments and an example
row (ignored on import while it is left unchanged)."""

from __future__ import annotations

import io

from anzu.onboarding.columns import SHEETS, Column

TEMPLATE_FILE_NAME = "anzu-import-template.xlsx"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

INSTRUCTIONS = [
    ("安租 导入模板 / Anzu import template", True),
    ("", False),
    (
        "1. 每个工作表一类数据：房源 units、租客 customers、租约 leases。不需要的工作表可以删除。",
        False,
    ),
    ("   One sheet per kind: units, customers, leases. Delete the sheets you do not need.", False),
    (
        "2. 第1行是表头（中文名 + 英文键），请勿修改；红色表头为必填列。鼠标悬停表头可看说明。",
        False,
    ),
    (
        "   Row 1 is the header (Chinese label + English key); red headers are required columns.",
        False,
    ),
    ("3. 第2行灰色斜体是示例，保持原样时导入会忽略它；改写后即作为数据导入。", False),
    ("   The grey example row is ignored while unchanged; overwrite it to use it as data.", False),
    ("4. 先校验全部行，有任何错误时不导入任何数据（可选择只导入正确的行）。", False),
    (
        "   Every row is validated first; with any error nothing is imported (unless partial mode).",
        False,
    ),
    ("5. 重复导入同一文件不会产生重复数据；修改后重新导入会更新对应记录。", False),
    (
        "   Re-importing the same file creates no duplicates; changed values update the records.",
        False,
    ),
    ("6. 日期格式 YYYY-MM-DD；金额单位为元，最多两位小数。", False),
    ("   Dates as YYYY-MM-DD; amounts in CNY with at most two decimals.", False),
]


def _comment_text(col: Column) -> str:
    parts = [col.header]
    parts.append("必填 required" if col.required else "选填 optional")
    if col.help:
        parts.append(col.help)
    return "\n".join(parts)


def build_template() -> bytes:
    """The template workbook as bytes."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    info = workbook.active
    assert info is not None
    info.title = "说明 instructions"
    for i, (text, bold) in enumerate(INSTRUCTIONS, start=1):
        cell = info.cell(row=i, column=1, value=text)
        if bold:
            cell.font = Font(bold=True, size=14)
    info.column_dimensions["A"].width = 110

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    example_font = Font(italic=True, color="808080")
    for spec in SHEETS.values():
        sheet = workbook.create_sheet(spec.title)
        for index, col in enumerate(spec.columns, start=1):
            cell = sheet.cell(row=1, column=index, value=col.header)
            cell.font = Font(bold=True, color="C00000" if col.required else "000000")
            cell.fill = header_fill
            comment = Comment(_comment_text(col), "Anzu")
            comment.width = 300
            comment.height = 120
            cell.comment = comment
            example = sheet.cell(row=2, column=index, value=col.example)
            example.font = example_font
            if col.type == "date":
                example.number_format = "yyyy-mm-dd"
            letter = get_column_letter(index)
            sheet.column_dimensions[letter].width = max(14, len(col.header) + 6)
            if col.type == "text":
                # Codes, ID numbers and phones stay text (no lost leading zeros or digits).
                sheet.column_dimensions[letter].number_format = "@"
                example.number_format = "@"
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
