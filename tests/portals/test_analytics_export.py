"""The analytics downloads' writers (portals/analytics_export.py): exact CSV cells with formulas
defused, and a valid one-sheet XLSX workbook (parts, relationships, typed cells, escaped text)."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.etree import ElementTree

from portals.analytics_export import column_letter, csv_bytes, csv_text, display_text, sheet_name, xlsx_bytes
from tests.portals.analytics_helpers import csv_rows, xlsx_rows

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def test_csv_cells_are_exact_and_defused():
    assert csv_text(Decimal("98765.43")) == "98765.43"
    assert csv_text(Decimal("1E+3")) == "1000"
    assert csv_text(Decimal("-12.50")) == "-12.50"  # a negative number stays a number
    assert csv_text(12) == "12"
    assert csv_text(None) == ""
    assert csv_text(date(2026, 3, 1)) == "2026-03-01"
    assert csv_text('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert csv_text("-partner") == "'-partner"
    assert csv_text("Alpha, Beta") == "Alpha, Beta"
    rows = csv_rows(csv_bytes(["Partner", "Won"], [['Alpha, "the first"', Decimal("1.50")], ["B", None]]))
    assert rows == [["Partner", "Won"], ['Alpha, "the first"', "1.50"], ["B", ""]]


def test_page_cells_group_thousands_without_rounding():
    assert display_text(Decimal("98765.43")) == "98,765.43"
    assert display_text(Decimal("0.125")) == "0.125"
    assert display_text(1234567) == "1,234,567"
    assert display_text(None) == "—"
    assert display_text(date(2026, 3, 1)) == "2026-03-01"
    assert display_text("2026-03") == "2026-03"


def test_column_letters_and_sheet_names():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
    assert sheet_name("Won revenue: by partner / tier [EUR]?") == "Won revenue by partner tier EUR"
    assert sheet_name("") == "Figure"
    assert len(sheet_name("x" * 80)) == 31


def test_xlsx_is_a_workbook_with_typed_cells():
    content = xlsx_bytes(
        "Orders by status",
        ["Status", "Orders", "Value", "Since"],
        [
            ["Submitted <new> & \x01", 3, Decimal("149.70"), date(2026, 3, 1)],
            ["=1+1", 7, None, datetime(2026, 1, 1, 12, 0)],
        ],
    )
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        names = set(archive.namelist())
        assert {
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
        } == names
        for name in names:
            ElementTree.fromstring(archive.read(name))  # each part is well-formed XML
        workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheet = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
    assert workbook.find("m:sheets/m:sheet", NS).get("name") == "Orders by status"
    cells = {c.get("r"): c for c in sheet.iterfind(".//m:c", NS)}
    assert cells["A1"].get("t") == "inlineStr" and cells["A1"].get("s") == "1"  # bold header
    assert cells["B2"].get("t") is None and cells["B2"].findtext("m:v", namespaces=NS) == "3"
    assert cells["C2"].findtext("m:v", namespaces=NS) == "149.70"
    assert cells["D2"].get("s") == "2" and cells["D2"].findtext("m:v", namespaces=NS) == "46082"  # 2026-03-01
    assert cells["D3"].get("s") == "3" and cells["D3"].findtext("m:v", namespaces=NS).startswith("46023.5")
    assert "C3" not in cells  # nothing is an empty cell
    # Text is escaped, stripped of what XML cannot carry, and never a formula.
    assert cells["A3"].get("t") == "inlineStr" and cells["A3"].find("m:f", NS) is None
    assert xlsx_rows(content)[1][0] == "Submitted <new> & "
