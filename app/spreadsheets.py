"""Sheets ready to print: every XLSX the site sends (reports, rosters, children's files) prints landscape on A4,
one page wide, with its header rows on every page, grid lines, sensible column widths and a Chinese font named on
every cell, so a bureau's Excel or WPS on Chinese Windows shows the same text on paper as on screen.

Call ``prepare_for_print`` once the sheet is filled (and made inert by ``app.export_cells``): it only sets styles
and page settings, never a value.
"""

from __future__ import annotations

from copy import copy
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

# 等线 (DengXian) is Office's Chinese body font since 2016; Excel and WPS without it fall back to Microsoft YaHei /
# SimSun by the charset (134: GB2312), so the font is named once and the fallback is the program's.
CHINESE_FONT = "等线"
GB2312 = 134
MIN_WIDTH, MAX_WIDTH = 6, 40


def text_width(value) -> int:
    """A cell's width in Excel's units (one per Latin character): a Chinese character takes two."""
    text = "" if value is None else str(value)
    return max((sum(2 if ord(char) > 0x2E80 else 1 for char in line) for line in text.splitlines()), default=0)


def fit_widths(sheet: Worksheet, *, from_row: int = 1, widths: dict[str, float] | None = None) -> None:
    """Each column as wide as its widest cell from ``from_row`` on (titles above are left to overflow), between
    ``MIN_WIDTH`` and ``MAX_WIDTH``; ``widths`` (column letter → width) wins where given."""
    widest: dict[str, int] = {}
    for row in sheet.iter_rows(min_row=from_row):
        for cell in row:
            widest[cell.column_letter] = max(widest.get(cell.column_letter, 0), text_width(cell.value))
    for letter, width in widest.items():
        sheet.column_dimensions[letter].width = min(max(width + 2, MIN_WIDTH), MAX_WIDTH)
    for letter, width in (widths or {}).items():
        sheet.column_dimensions[letter].width = width


def prepare_for_print(sheet: Worksheet, *, title_rows: int) -> None:
    """Landscape A4, fitted to one page wide (as many pages down as it takes), the first ``title_rows`` rows
    repeated on every page, grid lines printed, the Chinese font on every cell (bold kept)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is None:
        from openpyxl.worksheet.properties import PageSetupProperties

        sheet.sheet_properties.pageSetUpPr = PageSetupProperties()
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"1:{title_rows}"
    sheet.print_options.gridLines = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    for row in sheet.iter_rows():
        for cell in row:
            font = copy(cell.font)
            font.name, font.charset = CHINESE_FONT, GB2312
            cell.font = font
