"""The optional tables (population, member totals): templates, reading, matching."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from pipeline.indicators import ALL_ORGANIZATIONS, UNIT_TABLE_COLUMNS, UNKNOWN_UNIT
from pipeline.tables import (
    ALL_HEADER,
    COMMUNE_HEADER,
    POPULATION_FILE,
    POPULATION_TITLE,
    TABLES_FOLDER,
    TOTALS_FILE,
    TOTALS_TITLE,
    find_tables,
    read_unit_table,
    write_population_template,
    write_totals_template,
)
from tests.test_report import SETTINGS

UNITS = pd.DataFrame(
    [("Nhơn Trạch", "Phước Thiền"), ("Nhơn Trạch", "Long Tân"), ("Long Thành", "An Phước"),
     ("Long Thành", "Phước Thiền"),  # the same name in another district
     ("Nhơn Trạch", UNKNOWN_UNIT)],
    columns=["district", "commune"],
)  # fmt: skip
COMMUNES = list(UNITS.itertuples(index=False, name=None))


def _values(table: pd.DataFrame) -> set[tuple[str, str, str, int]]:
    return {tuple(row) for row in table[list(UNIT_TABLE_COLUMNS)].itertuples(index=False)}


def _header_row(sheet: openpyxl.worksheet.worksheet.Worksheet) -> int:
    return next(c.row for row in sheet.iter_rows() for c in row if c.value == COMMUNE_HEADER)


def test_the_population_template_lists_the_run_s_communes_to_fill(tmp_path: Path) -> None:
    path = tmp_path / POPULATION_FILE
    write_population_template(path, SETTINGS, COMMUNES)
    sheet = openpyxl.load_workbook(path).active
    header = _header_row(sheet)
    rows = [tuple(row) for row in sheet.iter_rows(min_row=header, values_only=True)]
    names = [org.name for org in SETTINGS.organizations]
    assert rows[0] == ("Huyện (trước 7/2025)", COMMUNE_HEADER, *names, ALL_HEADER)
    # Sorted, the unplaced unit left out (it has no population of its own).
    assert [row[:2] for row in rows[1:]] == [
        ("Long Thành", "An Phước"),
        ("Long Thành", "Phước Thiền"),
        ("Nhơn Trạch", "Long Tân"),
        ("Nhơn Trạch", "Phước Thiền"),
    ]
    assert all(value is None for row in rows[1:] for value in row[2:])
    cell = sheet.cell(header + 1, 3)
    assert cell.protection.locked is False and cell.fill.fgColor.rgb.endswith("FFF2CC")
    checks = sheet.data_validations.dataValidation
    assert {(check.type, check.operator) for check in checks} == {("whole", "greaterThanOrEqual")}
    assert {str(check.sqref)[0] for check in checks} == set("CDEFGH")  # every figure column


def test_a_filled_template_reads_back(tmp_path: Path) -> None:
    given = pd.DataFrame(
        [("Nhơn Trạch", "Phước Thiền", "doan", 1250), ("Nhơn Trạch", "Long Tân", "phunu", 980),
         ("Long Thành", "Phước Thiền", ALL_ORGANIZATIONS, 4000)],
        columns=list(UNIT_TABLE_COLUMNS),
    )  # fmt: skip
    path = tmp_path / POPULATION_FILE
    write_population_template(path, SETTINGS, COMMUNES, given)
    table = read_unit_table(path, SETTINGS, UNITS, title=POPULATION_TITLE, all_column=True)
    assert _values(table.values) == _values(given)
    assert table.notes[0].startswith(f"{POPULATION_TITLE} ({TABLES_FOLDER}/{POPULATION_FILE})")
    assert len(table.notes) == 1  # nothing to complain about


def _hand_made(path: Path, rows: list[list[object]]) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.save(path)


def test_an_analyst_s_own_table_is_matched_by_name(tmp_path: Path) -> None:
    path = tmp_path / "dan_so.xlsx"
    _hand_made(
        path,
        [
            ["DÂN SỐ TRONG ĐỘ TUỔI NĂM 2025"],
            [],
            ["STT", "Xã/phường", "Đoàn TN", "Hội LHPN", "Hội Nông dân"],
            [1, "Xã Long Tân", 1200, "1.350", None],  # no district column: the name is unique
            [2, "X. An Phước", "nhiều", 800, -5],
            [3, "Xã Bình An", 10, 10, 10],  # not in the run
            [4, "xã long tân", 1, 1, 1],  # written twice
            [5, "Phước Thiền", 7, 7, 7],  # in two districts: which one?
            ["", "Tổng cộng", 9999, 9999, 9999],
        ],
    )
    table = read_unit_table(path, SETTINGS, UNITS, title=POPULATION_TITLE, all_column=True)
    assert _values(table.values) == {
        ("Nhơn Trạch", "Long Tân", "doan", 1200),
        ("Nhơn Trạch", "Long Tân", "phunu", 1350),
        ("Long Thành", "An Phước", "phunu", 800),
    }
    assert table.notes[1:] == (
        "Dòng 5: “nhiều” không phải số nguyên không âm; bỏ qua ô này.",
        "Dòng 5: “-5” không phải số nguyên không âm; bỏ qua ô này.",
        "Dòng 6: không có xã, phường “Xã Bình An” trong các danh sách; bỏ qua dòng.",
        "Dòng 7: xã, phường “xã long tân” đã có ở dòng trên; bỏ qua dòng này.",
        "Dòng 8: không có xã, phường “Phước Thiền” trong các danh sách; bỏ qua dòng.",
    )


def test_the_totals_table_ignores_a_column_for_all_organizations(tmp_path: Path) -> None:
    path = tmp_path / TOTALS_FILE
    _hand_made(
        path,
        [
            ["Huyện", "Xã", "Hội CCB", "Tất cả tổ chức"],
            ["Long Thành", "Phước Thiền", 300, 5000],
        ],
    )
    table = read_unit_table(path, SETTINGS, UNITS, title=TOTALS_TITLE, all_column=False)
    assert _values(table.values) == {("Long Thành", "Phước Thiền", "ccb", 300)}


def test_a_table_that_cannot_be_used_is_a_note_not_an_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    table = read_unit_table(broken, SETTINGS, UNITS, title=POPULATION_TITLE, all_column=True)
    assert table.values.empty and "không đọc được tệp" in table.notes[0]

    headerless = tmp_path / "headerless.xlsx"
    _hand_made(headerless, [["Long Tân", 12, 13]])
    table = read_unit_table(headerless, SETTINGS, UNITS, title=POPULATION_TITLE, all_column=True)
    assert table.values.empty and "không tìm thấy dòng tên cột" in table.notes[0]


def test_the_totals_template_names_the_organizations_that_need_it(tmp_path: Path) -> None:
    path = tmp_path / TOTALS_FILE
    write_totals_template(path, SETTINGS, COMMUNES, ["ccb"])
    sheet = openpyxl.load_workbook(path).active
    text = [row[0] for row in sheet.iter_rows(values_only=True) if row[0]]
    assert any("Hội Cựu chiến binh" in line for line in text)
    header = [c.value for c in sheet[_header_row(sheet)]]
    assert ALL_HEADER not in header


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_find_tables_looks_in_the_tables_folder(tmp_path: Path, suffix: str) -> None:
    assert find_tables(tmp_path) == (None, None)
    folder = tmp_path / TABLES_FOLDER
    folder.mkdir()
    population = folder / f"dan_so_trong_do_tuoi{suffix}"
    population.write_bytes(b"")
    assert find_tables(tmp_path) == (population, None)
