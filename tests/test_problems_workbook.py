"""Lỗi dữ liệu.xlsx read back with openpyxl: every line leads to one cell of the
original roster, in Vietnamese, with the rule's title and what to do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.models import Problem, Severity, SheetAccount
from pipeline.stages.validate import RULES, validate
from pipeline.workbooks import problems as workbook
from tests.record_builders import SETTINGS, raw_records

DOAN_COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Chức vụ", "Nòng cốt")
DOAN_FIELDS = (
    ("row_number", "STT", "A"),
    ("full_name", "Họ và tên", "B"),
    ("birth_date", "Ngày sinh", "C"),
    ("sex", "Giới tính", "D"),
    ("citizen_id", "Số CCCD", "E"),
    ("position", "Chức vụ", "F"),
    ("core", "Nòng cốt", "G"),
)
# A Nông dân sheet as the loader describes it without field columns: a
# two-row header whose "Nam"/"Nữ" columns hold the birth date.
NONGDAN_COLUMNS = ("STT", "Họ và tên", "Ngày sinh / Nam", "Ngày sinh / Nữ", "Ấp/KP", "Ghi chú 2")
GOOD = {
    "full_name": "Nguyễn Thị Lan",
    "birth_date": "12/03/2000",
    "sex": "Nữ",
    "position": "Bí thư",
    "core": "x",
    "address": "Ấp 3",
    "source_file": "doan/ds.xlsx",
    "sheet": "DS",
}


def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    return list(openpyxl.load_workbook(path)[sheet].iter_rows(values_only=True))


def _problem(**fields: Any) -> Problem:
    values: dict[str, Any] = {
        "source_file": "doan/ds.xlsx",
        "sheet": "DS",
        "row": 7,
        "column": "",
        "value": "",
        "rule": "LOAD_SUBTOTAL",
        "message": "Dòng tổng cộng.",
        "severity": Severity.SET_ASIDE,
        "organization": "doan",
    }
    return Problem(**{**values, **fields})


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workbook of a Đoàn sheet run through validate, plus hand-made problems."""
    rows = [
        GOOD,
        {**GOOD, "birth_date": 2000},  # row 6: a year alone
        {**GOOD, "full_name": None, "citizen_id": "=HYPERLINK(1)"},  # row 7: rejected
        {**GOOD, "position": None},  # row 8
    ]
    records = raw_records(rows)
    records["sheet_title"] = "DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025"
    validated = validate(records, SETTINGS)
    extra = [
        _problem(row=9, column="", value="Tổng cộng | 4"),
        _problem(
            source_file="nongdan.xlsx",
            sheet="Danh sách",
            row=6,
            column="birth_date",
            value="1970",
            rule="birth_year_only",
            message=RULES["birth_year_only"].message,
            severity=Severity.WARNING,
            organization="nongdan",
        ),
        _problem(
            source_file="nongdan.xlsx",
            sheet="Danh sách",
            row=None,
            column="Ghi chú 2",
            value="Ghi chú 2",
            rule="LOAD_UNKNOWN_COLUMN",
            message="Cột 'Ghi chú 2' không có trong danh sách tên cột.",
            severity=Severity.NOTE,
            organization="nongdan",
        ),
        _problem(
            source_file="hong.xlsx",
            sheet="",
            row=None,
            rule="LOAD_FAILED_KeyError",
            message="Lỗi không lường trước.",
            severity=Severity.FILE,
            organization=None,
        ),
    ]
    sheets = [
        SheetAccount("doan/ds.xlsx", "DS", "doan", 4, 5, 4, 1, DOAN_COLUMNS, DOAN_FIELDS),
        SheetAccount("nongdan.xlsx", "Danh sách", "nongdan", 5, 0, 0, 0, NONGDAN_COLUMNS),
    ]
    path = tmp_path_factory.mktemp("problems") / workbook.FILE_NAME
    workbook.write_problems(
        validated.records, [*validated.problems, *extra], sheets, SETTINGS, path
    )
    return path


def test_one_sheet_per_organization_and_a_summary(written: Path) -> None:
    assert openpyxl.load_workbook(written).sheetnames == [
        "Tổng hợp",
        "Đoàn TNCS Hồ Chí Minh",
        "Hội Nông dân",
        "Tệp không đọc được",
    ]


def test_each_line_leads_to_the_cell_and_says_what_to_do(written: Path) -> None:
    lines = _rows(written, "Đoàn TNCS Hồ Chí Minh")
    assert lines[0] == (
        "Tệp",
        "Trang tính",
        "Dòng",
        "Cột",
        "Cột Excel",
        "Giá trị",
        "Mức độ",
        "Quy tắc",
        "Nội dung",
        "Cách khắc phục",
        "Mã quy tắc",
    )
    rule = RULES["birth_year_only"]
    assert lines[1] == (
        "doan/ds.xlsx",
        "DS",
        "6",
        "Ngày sinh",
        "C",
        "2000",
        "Cảnh báo",
        rule.title,
        rule.message,
        rule.fix,
        "birth_year_only",
    )
    by_row = {(line[2], line[10]): line for line in lines[1:]}
    rejected = by_row[("7", "name_missing")]
    assert rejected[3:8] == ("Họ và tên", "B", None, "Loại bỏ", "Thiếu họ và tên")
    assert by_row[("7", "citizen_id_malformed")][3:6] == ("Số CCCD", "E", "=HYPERLINK(1)")
    assert by_row[("8", "core_without_position")][3:5] == ("Chức vụ", "F")
    # A loader problem keeps its message, which says what to do, and gets a title.
    assert by_row[("9", "LOAD_SUBTOTAL")][3:10] == (
        None,
        None,
        "Tổng cộng | 4",
        "Không phải dòng dữ liệu",
        "Dòng tổng cộng",
        "Dòng tổng cộng.",
        None,
    )


def test_lines_are_in_file_and_row_order(written: Path) -> None:
    lines = _rows(written, "Đoàn TNCS Hồ Chí Minh")[1:]
    assert [int(line[2]) for line in lines] == sorted(int(line[2]) for line in lines)


def test_columns_without_field_columns_are_found_from_the_headers(written: Path) -> None:
    lines = _rows(written, "Hội Nông dân")[1:]
    # The birth date came from the "Nam" or "Nữ" column: both are named.
    assert lines[0][:5] == ("nongdan.xlsx", "Danh sách", None, "Ghi chú 2", "F")
    assert lines[1][2:5] == ("6", "Ngày sinh / Nam; Ngày sinh / Nữ", "C; D")


def test_problems_of_no_organization_have_their_sheet(written: Path) -> None:
    (line,) = _rows(written, "Tệp không đọc được")[1:]
    assert line[0] == "hong.xlsx"
    assert line[6:8] == ("Tệp bị bỏ qua", "Lỗi không lường trước khi đọc tệp")
    assert line[10] == "LOAD_FAILED_KeyError"


def test_every_cell_is_text_never_a_formula(written: Path) -> None:
    book = openpyxl.load_workbook(written)
    for sheet in book.worksheets[1:]:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.value is None or cell.data_type == "s", cell.coordinate


def _summary_tables(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(problem counts, row accounting) from the summary sheet."""
    rows = _rows(path, "Tổng hợp")
    rules = next(i for i, row in enumerate(rows) if row[0] == workbook.RULES_HEADING)
    accounting = next(i for i, row in enumerate(rows) if row[0] == workbook.ACCOUNTING_HEADING)
    counts = [row[: len(workbook.RULE_COLUMNS)] for row in rows[rules + 2 : accounting - 1]]
    return counts, [row[: len(workbook.SHEET_COLUMNS)] for row in rows[accounting + 2 :]]


def test_summary_counts_problems_by_organization_and_rule(written: Path) -> None:
    rules, _ = _summary_tables(written)
    counts = {(row[0], row[3]): (row[1], row[2], row[4]) for row in rules}
    assert counts[("Đoàn TNCS Hồ Chí Minh", "name_missing")] == ("Loại bỏ", "Thiếu họ và tên", 1)
    assert counts[("Đoàn TNCS Hồ Chí Minh", "birth_year_only")][2] == 1
    assert counts[("Hội Nông dân", "LOAD_UNKNOWN_COLUMN")] == ("Ghi chú", "Cột không nhận ra", 1)
    assert counts[("Tệp không đọc được", "LOAD_FAILED_KeyError")][2] == 1
    assert sum(row[4] for row in rules) == len(_rows(written, "Đoàn TNCS Hồ Chí Minh")) - 1 + 3


def test_summary_accounts_for_every_row_of_every_sheet(written: Path) -> None:
    _, accounting = _summary_tables(written)
    assert accounting == [
        ("doan/ds.xlsx", "DS", "Đoàn TNCS Hồ Chí Minh", 4, 5, 3, 1, 1),
        ("nongdan.xlsx", "Danh sách", "Hội Nông dân", 5, 0, 0, 0, 0),
    ]


def test_an_empty_run_writes_empty_tables(tmp_path: Path) -> None:
    records = validate(raw_records([]), SETTINGS).records
    path = tmp_path / workbook.FILE_NAME
    workbook.write_problems(records, [], [], SETTINGS, path)
    assert openpyxl.load_workbook(path).sheetnames == ["Tổng hợp", "Tệp không đọc được"]
    assert _rows(path, "Tệp không đọc được") == [
        tuple(column.header for column in workbook.PROBLEM_COLUMNS)
    ]


def test_a_header_written_twice_points_at_its_first_column(tmp_path: Path) -> None:
    columns = ("STT", "Ghi chú", "Họ và tên", "Ghi chú")
    sheet = SheetAccount("a.xlsx", "", "doan", 1, 1, 1, 0, columns)
    problem = _problem(source_file="a.xlsx", sheet="", row=2, column="Ghi chú", rule="X")
    records = pd.DataFrame({"source_file": [], "sheet": [], "status": [], "organization": []})
    path = tmp_path / workbook.FILE_NAME
    workbook.write_problems(records, [problem], [sheet], SETTINGS, path)
    line = _rows(path, "Đoàn TNCS Hồ Chí Minh")[1]
    assert line[3:5] == ("Ghi chú", "B")
    assert line[7] == "X"  # an unknown code is its own title


def test_a_value_longer_than_a_cell_holds_keeps_what_fits(tmp_path: Path) -> None:
    # A cell holds 32,767 characters; the value and the message quoting it are
    # cut there rather than losing the line (or the workbook).
    value = "Nguyễn Văn An; " * 3000
    problem = _problem(column="Ghi chú", value=value, message=f"Giá trị quá dài: {value}")
    records = pd.DataFrame({"source_file": [], "sheet": [], "status": [], "organization": []})
    path = tmp_path / workbook.FILE_NAME
    workbook.write_problems(records, [problem], [], SETTINGS, path)
    line = _rows(path, "Đoàn TNCS Hồ Chí Minh")[1]
    assert line[5] == value[:32_767]
    assert line[8].startswith("Giá trị quá dài: Nguyễn Văn An") and len(line[8]) == 32_767
    assert line[10] == "LOAD_SUBTOTAL"  # the cells after the long ones are all there
