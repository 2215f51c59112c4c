"""Exports are safe to open: text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
return first) comes out as inert text in every CSV and XLSX: in a CSV behind a ``'``, in an XLSX as a string cell
with the quote prefix. Numbers stay numbers and phone numbers stay as they are."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from app.auth.models import Role
from app.directory.models import OrganizationKind
from app.export_cells import inert, is_dangerous
from tests.conftest import Auth

HOSTILE = ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)", "-2+3", "\t=1+1", "\r=1+1"]


def login(app, user) -> Auth:
    auth = Auth(app.test_client())
    auth.login(user.username)
    return auth


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def xlsx_cells(response) -> list:
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    return [cell for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row]


def assert_no_formula(cells) -> None:
    formulas = [(cell.coordinate, cell.value) for cell in cells if cell.data_type == "f"]
    assert formulas == []


def assert_inert_in_xlsx(cells, text: str) -> None:
    """A cell begins with the text (unchanged), as a string cell that Excel shows as text (quote prefix)."""
    (cell,) = [cell for cell in cells if isinstance(cell.value, str) and cell.value.startswith(text)]
    assert cell.data_type == "s" and cell.quotePrefix


def test_a_cell_is_made_inert_only_when_it_would_be_a_formula():
    for text in HOSTILE:
        assert inert(text) == "'" + text
    for value in (12, -3, 2.5, -0.5, "13800000000", "+8613800000000", "-5", "-12%", "王小明", "", None, "a=b"):
        assert inert(value) == value and not is_dangerous(value)


def test_children_export_writes_formula_text_as_inert_strings_and_keeps_numbers(app, make):
    village = make.village()
    child = make.child(
        village.id,
        name=HOSTILE[0],
        guardian_name=HOSTILE[1],
        caregiver_name=HOSTILE[2],
        parents_workplace=HOSTILE[3],
        guardian_phone="13800000000",
    )
    auth = login(app, make.admin())

    cells = xlsx_cells(auth.client.get("/children/export.xlsx"))

    assert_no_formula(cells)
    for text in HOSTILE[:4]:
        assert_inert_in_xlsx(cells, text)
    (number,) = [cell for cell in cells if cell.value == child.id and cell.column == 1]
    assert number.data_type == "n"
    (phone,) = [cell for cell in cells if cell.value == "13800000000"]
    assert not phone.quotePrefix


def test_roster_csv_and_xlsx_neutralise_a_volunteers_formula_name(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 5)])
    shift_id = activity.shifts[0].id
    for name, phone in ((HOSTILE[0], "13800000011"), (HOSTILE[2], "13800000012")):
        volunteer = make.user(Role.VOLUNTEER, phone=phone, name=name)
        auth = Auth(app.test_client())
        auth.login(volunteer.phone)
        assert auth.post(f"/a/{activity.code}/signup", {"shift_id": shift_id}).status_code == 302
    coordinator = login(app, make.user(Role.COORDINATOR, organization="youth-league"))

    rows = csv_rows(coordinator.client.get(f"/manage/shifts/{shift_id}/roster.csv"))
    names = [row[1] for row in rows[1:]]
    assert names == ["'" + HOSTILE[0], "'" + HOSTILE[2]]
    assert [row[2] for row in rows[1:]] == ["13800000011", "13800000012"]
    assert [row[0] for row in rows[1:]] == ["1", "2"]

    cells = xlsx_cells(coordinator.client.get(f"/manage/shifts/{shift_id}/roster.xlsx"))
    assert_no_formula(cells)
    assert_inert_in_xlsx(cells, HOSTILE[0])
    assert_inert_in_xlsx(cells, HOSTILE[2])
    numbers = [cell for cell in cells if cell.column == 1 and cell.row >= 3]
    assert [(cell.value, cell.data_type) for cell in numbers] == [(1, "n"), (2, "n")]


def test_report_exports_neutralise_organization_and_village_names(app, make):
    make.organization(name_zh=HOSTILE[1], kind=OrganizationKind.COUNTY_BODY)
    village = make.village(name_zh=HOSTILE[0])
    make.child(village.id)  # a village with a child is on the compliance report
    auth = login(app, make.admin())

    departments = csv_rows(auth.client.get("/reports/departments.csv"))
    cells_of_csv = [cell for row in departments for cell in row]
    assert "'" + HOSTILE[1] in cells_of_csv and HOSTILE[1] not in cells_of_csv
    assert not any(is_dangerous(cell) for cell in cells_of_csv)
    (row,) = [row for row in departments if row and row[0] == "'" + HOSTILE[1]]
    assert all(cell.lstrip("-").replace(".", "").isdigit() for cell in row[1:] if cell)

    compliance = csv_rows(auth.client.get("/reports/compliance.csv"))
    village_cells = [cell for row in compliance for cell in row if HOSTILE[0] in cell]
    assert village_cells and all(cell.startswith("'" + HOSTILE[0]) for cell in village_cells)

    for path, text in (("/reports/departments.xlsx", HOSTILE[1]), ("/reports/compliance.xlsx", HOSTILE[0])):
        cells = xlsx_cells(auth.client.get(path))
        assert_no_formula(cells)
        assert_inert_in_xlsx(cells, text)
        assert any(cell.data_type == "n" for cell in cells), f"{path} lost its numbers"
