"""Every report table as CSV and XLSX: the same rows the page shows, with the report's title, its period and the
time it was generated. Exports are audited; those about children hold counts only (their tables have no names).
The audit entry is part of the request's transaction: the route that sends the file commits it, so an export never
commits anything else the caller had pending.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from flask import Response, abort
from flask_babel import gettext as _

from app.audit.services import record
from app.db_types import utcnow
from app.export_cells import inert_row, make_sheet_inert
from app.spreadsheets import fit_widths, prepare_for_print
from app.timeutils import to_local

FORMATS = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
SHEET_NAME = re.compile(r"[\[\]:*?/\\]")


@dataclass
class Table:
    """One table of a report: what the page shows and the files hold."""

    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)


def download(fmt: str, *, name: str, title: str, tables: list[Table], by) -> Response:
    """The report's tables as ``name.csv`` (each table under its title, one after another) or ``name.xlsx`` (a
    sheet per table, header row frozen, ready to print: ``app.spreadsheets``). Records the export by ``by`` in the
    audit log and never commits: the caller owns the transaction (a route commits it before sending the file)."""
    if fmt not in FORMATS:
        abort(404)
    generated = _("Generated %(time)s", time=to_local(utcnow()).strftime("%Y-%m-%d %H:%M"))
    record("report.exported", actor=by, report=name, format=fmt, title=title)
    body = _csv(title, generated, tables) if fmt == "csv" else _xlsx(title, generated, tables)
    return Response(
        body, mimetype=FORMATS[fmt], headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    )


def _csv(title: str, generated: str, tables: list[Table]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(inert_row([title, generated]))
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow(inert_row([table.title]))
        writer.writerow(inert_row(table.headers))
        writer.writerows(inert_row(row) for row in table.rows)
    return "\ufeff" + buffer.getvalue()  # a BOM, so Excel opens the Chinese text as UTF-8


def _xlsx(title: str, generated: str, tables: list[Table]) -> bytes:
    from openpyxl import Workbook  # imported here: only staff exports need it (a worker's memory)
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in tables:
        name = SHEET_NAME.sub(" ", table.title)[:28] or "Sheet"
        while name in used:
            name = f"{name[:26]}-{len(used)}"
        used.add(name)
        sheet = workbook.create_sheet(name)
        sheet.append([title if len(tables) == 1 else f"{title} · {table.title}"])
        sheet.append([generated])
        sheet.append(table.headers)
        for cell in sheet[3]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
        sheet.freeze_panes = "B4"
        make_sheet_inert(sheet)
        fit_widths(sheet, from_row=3)
        prepare_for_print(sheet, title_rows=3)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
