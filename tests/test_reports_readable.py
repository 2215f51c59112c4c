"""Reports readable on a phone and on paper: short plan-task columns with the full name as a tooltip, a total row,
the department report printed landscape, chart labels measured and wrapped (never cut at the left edge)."""

from __future__ import annotations

import re
from pathlib import Path

from app.reports.charts import bar_chart, em_width, wrap_label
from tests.test_reports_departments import Q1, admin, dataset, rows_of  # noqa: F401 - the shared data set fixture

STATIC = Path(__file__).resolve().parents[1] / "app" / "static" / "css"


def test_chart_labels_wrap_on_two_lines_and_keep_every_character_that_fits():
    name = "凤县网络安全和信息化委员会办公室"
    lines = wrap_label(name)
    assert "".join(lines) == name and len(lines) == 2 and all(em_width(line) <= 10 for line in lines)
    assert wrap_label("凤县民政局") == ["凤县民政局"]
    longer = wrap_label("凤县网络安全和信息化委员会办公室以及更多更多更多的字")
    assert len(longer) == 2 and longer[0].startswith("凤县") and longer[1].endswith("…")
    assert wrap_label("Cyberspace Administration Office") == ["Cyberspace", "Administration…"]
    assert em_width("ab凤") == 2.1


def test_a_two_line_label_makes_its_row_taller_and_keeps_the_full_name():
    chart = bar_chart([("凤县网络安全和信息化委员会办公室", 3), ("凤县民政局", 6, "凤县民政局（全称）")])
    long, short = chart.bars
    assert long.full == "凤县网络安全和信息化委员会办公室" and short.full == "凤县民政局（全称）"
    assert long.text_y[1] - long.text_y[0] == 13 and short.y >= long.y + 16 + 13 / 2 + 6
    assert short.width == 170 and long.width == 85
    assert chart.height > short.y + 16


def test_summary_chart_has_each_full_name_in_a_title(app, dataset):  # noqa: F811
    page = admin(app).client.get("/reports/summary?year=2026").get_data(as_text=True)
    assert re.search(r"<title>1 [^<]+: \d+</title>", page) and "<tspan" in page


def test_department_report_has_short_task_columns_a_total_row_and_prints_landscape(app, dataset):  # noqa: F811
    page = admin(app).client.get(f"/reports/departments?{Q1}&lang=en").get_data(as_text=True)
    assert '<abbr title="13 Safety education">13 Safety ed.</abbr>' in page
    assert "Task 13" not in page and 'class="table-wrap report-wrap"' in page
    total = re.search(r'<tr class="total">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", total, re.S)]
    rows = rows_of(page)
    assert cells[0] == "Total" and cells[1] == str(sum(int(r[1]) for r in rows.values()))
    assert cells[21] == "" and cells[23] == ""  # volunteers and children are not added up
    assert 'href="/static/css/report-print.css' in page and 'media="print"' in page
    css = (STATIC / "report-print.css").read_text()
    assert "size: A4 landscape" in css and "overflow: visible" in css
    chinese = admin(app).client.get(f"/reports/departments?{Q1}&lang=zh_Hans_CN").get_data(as_text=True)
    assert "13 安全教育</abbr>" in chinese and "合计" in chinese


def test_department_export_has_the_total_row(app, dataset):  # noqa: F811
    import io

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(admin(app).client.get(f"/reports/departments.xlsx?{Q1}&lang=en").data)).active
    assert sheet.cell(row=3, column=3).value == "1 Morals"
    last = [c.value for c in sheet[sheet.max_row]]
    assert last[0] == "Total" and last[1] == sum(
        r[1].value for r in sheet.iter_rows(min_row=4, max_row=sheet.max_row - 1)
    )
