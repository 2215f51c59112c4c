"""Cells that are safe to open: no text in a CSV or XLSX export can become a live formula (OWASP's CSV injection).

A text that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written as inert text: in a CSV
with a single quote in front (what OWASP advises: Excel and LibreOffice then show it as text); in an XLSX as a
string cell with Excel's "quote prefix" style, its text unchanged (so an exported file imported again reads the same
values). Numbers stay numbers, negative ones included, and so does text that is just a number or a phone number
(``+8613800000000``, ``-5``, ``-12%``): a spreadsheet reads those as that number, never as a formula that calls
anything.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet.worksheet import Worksheet

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?%?")


def is_dangerous(value: object) -> bool:
    """A text that a spreadsheet would read as a formula (or the start of one)."""
    return isinstance(value, str) and value.startswith(DANGEROUS_FIRST) and not PLAIN_NUMBER.fullmatch(value)


def inert(value: object) -> object:
    """One CSV cell: a dangerous text with a ``'`` in front, anything else as it is."""
    return "'" + value if is_dangerous(value) else value


def inert_row(row: Iterable[object]) -> list[object]:
    """A CSV row of inert cells."""
    return [inert(value) for value in row]


def make_sheet_inert(sheet: Worksheet) -> None:
    """Every dangerous text of ``sheet`` as a plain string cell with the quote prefix (openpyxl had taken the ones
    beginning with ``=`` for formulas); numbers and other cells are left alone. Call it once the sheet is filled."""
    for row in sheet.iter_rows():
        for cell in row:
            if is_dangerous(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
