"""Every XLSX the site sends prints: landscape, one page wide, header rows on every page, grid lines, widths that
fit the text (a Chinese character counts double) and a Chinese font on every cell; the roster is a venue sign-in
sheet with a signature column on the same page as the check-in and check-out times."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from app.auth.models import Role
from app.spreadsheets import CHINESE_FONT, text_width
from tests.test_activities_pages import logged_in
from tests.test_children_transfer import director_for
from tests.test_reports_departments import Q1, admin, dataset  # noqa: F401 - the shared data set fixture


def assert_printable(sheet, *, title_rows: int) -> None:
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.page_setup.fitToWidth == 1 and sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == f"$1:${title_rows}"
    assert sheet.print_options.gridLines is True
    fonts = {cell.font.name for row in sheet.iter_rows() for cell in row if cell.value is not None}
    assert fonts == {CHINESE_FONT}


def test_text_width_counts_a_chinese_character_twice():
    assert text_width("凤县abc") == 7 and text_width(None) == 0 and text_width("ab\n凤凤凤") == 6


def test_department_report_prints_landscape_one_page_wide_with_its_headers(app, dataset):  # noqa: F811
    sheet = load_workbook(io.BytesIO(admin(app).client.get(f"/reports/departments.xlsx?{Q1}").data)).active
    assert_printable(sheet, title_rows=3)
    names = [cell.value for cell in sheet["A"][3:] if cell.value]
    assert sheet.column_dimensions["A"].width >= max(text_width(name) for name in names)
    assert all(6 <= dimension.width <= 40 for dimension in sheet.column_dimensions.values())
    assert sheet.freeze_panes == "B4"


def test_roster_is_a_sign_in_sheet_with_a_signature_column(app, make):
    activity = make.activity("youth-league", shifts=[(9, 12, 2)])
    volunteer, _ = logged_in(app, make, name="=HYPERLINK(1)")
    volunteer.post(f"/a/{activity.code}/signup", {"shift_id": activity.shifts[0].id})
    coordinator, _ = logged_in(app, make, Role.COORDINATOR, organization="youth-league")
    response = coordinator.client.get(f"/manage/shifts/{activity.shifts[0].id}/roster.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert_printable(sheet, title_rows=2)
    headers = [cell.value for cell in sheet[2]]
    assert headers[-1] == "签名" and {"签到时间", "签退时间"} <= set(headers)
    assert sheet.column_dimensions["I"].width >= 16 and sheet.row_dimensions[3].height >= 24
    # Landscape A4 holds about 130 characters at fit-to-width 1 without shrinking the text below reading size.
    assert sum(sheet.column_dimensions[letter].width for letter in "ABCDEFGHI") <= 130
    name = sheet["B3"]
    assert name.value == "=HYPERLINK(1)" and name.data_type == "s" and name.quotePrefix


def test_children_export_and_template_have_widths_and_print(app, make):
    village = make.village(name_zh="打印村")
    make.child(village.id, name="王小明")
    auth = director_for(app, make, village)
    for path in ("/children/export.xlsx", "/children/import/template.xlsx"):
        workbook = load_workbook(io.BytesIO(auth.client.get(path).data))
        sheet = workbook.worksheets[0]
        assert_printable(sheet, title_rows=1)
        assert sheet.column_dimensions["A"].width and sheet.column_dimensions["B"].width >= text_width("姓名")
        assert_printable(workbook.worksheets[1], title_rows=1)
