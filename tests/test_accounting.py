"""Every row is accounted for: the CLI on the example rosters plus rosters with
bad rows, read back from records.csv and Lỗi dữ liệu.xlsx.

For every sheet: rows in = accepted + rejected + set aside, the counts agree
with records.csv and with the lines of the problems workbook, and every
rejected row has a reason and a blocking line pointing at it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.synthetic import generate_rosters
from pipeline.workbooks import problems as problems_workbook

Located = tuple[str, str, int]  # source_file, sheet, Excel row

DOAN_CSV = "Doan TN/chi_doan_ap_5.csv"
DOAN_LINES = (
    "ĐOÀN TNCS HỒ CHÍ MINH",
    "DANH SÁCH ĐOÀN VIÊN NĂM 2025",
    "STT,Họ và tên,Ngày sinh,Giới tính,Chỗ ở hiện nay,Số CCCD,Số điện thoại,Chức vụ,Nòng cốt,"
    "Ghi chú",
    "1,Nguyễn Văn An,12/03/2001,Nam,Ấp 5,075201123456,0912345678,Bí thư,x,",
    "2,,05/06/2002,Nữ,Ấp 5,,,Đoàn viên,,",  # no name
    "3,Trần Thị Bé,05/06/2099,Nữ,Ấp 5,,,,,",  # born in the future
    "4,Lê Văn Cường,ngày 5,Nam,Ấp 5,,,,,",  # unreadable birth date
    "5,Phạm Thị Dung,,Nữ,Ấp 5,,,Đoàn viên,x,",  # neither birth year nor ID
    "6,Võ Văn Em,1990,Nam,Ấp 5,075090123456,123,Đoàn viên,x,Đi làm ăn xa",  # warnings only
    "Tổng cộng,6,,,,,,,,",
    ",,,,,,,,,",
    '"Nhơn Trạch, ngày 15 tháng 3 năm 2025",,,,,,,,,',
    "NGƯỜI LẬP BIỂU,,,,,,,,,",
)
PHUNU_XLSX = "Hoi LHPN/phu_nu_long_tan.xlsx"
PHUNU_ROWS: tuple[tuple[Any, ...], ...] = (
    ("HỘI LHPN XÃ LONG TÂN",),
    ("DANH SÁCH HỘI VIÊN NĂM 2025",),
    ("TT", "Họ tên hội viên", "Năm sinh", "Giới tính", "CCCD/CMND", "Chức danh", "Nòng cốt"),
    (1, "Nguyễn Thị Hoa", 1985, "Nữ", 75185123456, "Chi hội trưởng", "x"),
    (2, "Trần Văn Nam", "01/01/1980", "Nam", None, "Hội viên", None),  # a man: a warning
    (3, "Lê Thị Thu", "31/02/1980", "Nữ", None, "Hội viên", None),  # no 31 February
    (4, None, 1975, "Nữ", None, "Hội viên", None),  # no name
    (5, "Mai Thị Xuân", "01/01/1850", "Nữ", None, "Hội viên", None),  # before 1900
    ("Cộng: 5",),
    (),
    (None, None, None, None, "Long Tân, ngày 10 tháng 3 năm 2025"),
    (None, "Người lập biểu", None, None, "CHỦ TỊCH"),
    (),
    (None, "Nguyễn Thị Yến", None, None, "Trần Thị Kim"),
)
EXPECTED_REJECTIONS = {
    (DOAN_CSV, "", 5): "name_missing",
    (DOAN_CSV, "", 6): "birth_in_future",
    (DOAN_CSV, "", 7): "birth_unreadable",
    (DOAN_CSV, "", 8): "no_birth_year_no_id",
    (PHUNU_XLSX, "Ấp 4", 6): "birth_unreadable",
    (PHUNU_XLSX, "Ấp 4", 7): "name_missing",
    (PHUNU_XLSX, "Ấp 4", 8): "birth_before_1900",
}


def _write_bad_rosters(input_dir: Path) -> None:
    csv_path = input_dir / DOAN_CSV
    csv_path.parent.mkdir(parents=True)
    csv_path.write_text("\n".join(DOAN_LINES) + "\n", encoding="utf-8")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Ấp 4"
    for values in PHUNU_ROWS:
        sheet.append(values)
    notes = book.create_sheet("Ghi chú")
    notes["A1"] = "Danh sách cập nhật tháng 3."
    xlsx_path = input_dir / PHUNU_XLSX
    xlsx_path.parent.mkdir(parents=True)
    book.save(xlsx_path)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    input_dir = tmp_path_factory.mktemp("input")
    generate_rosters(input_dir)
    _write_bad_rosters(input_dir)
    output_dir = tmp_path_factory.mktemp("output")
    args = ["run", "--input", str(input_dir), "--output", str(output_dir), "--no-examples"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return output_dir


def _records(output_dir: Path) -> pd.DataFrame:
    return pd.read_csv(output_dir / "records.csv", dtype=str, keep_default_na=False)


def _workbook_rows(output_dir: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(output_dir / problems_workbook.FILE_NAME, read_only=True)
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def _accounting(output_dir: Path) -> pd.DataFrame:
    """The summary sheet's table of rows per file and sheet."""
    rows = _workbook_rows(output_dir)[problems_workbook.SUMMARY_SHEET]
    heading = next(
        i for i, row in enumerate(rows) if row[0] == problems_workbook.ACCOUNTING_HEADING
    )
    header = [column.header for column in problems_workbook.SHEET_COLUMNS]
    assert list(rows[heading + 1][: len(header)]) == header
    table = pd.DataFrame([row[: len(header)] for row in rows[heading + 2 :]], columns=header)
    table["Trang tính"] = table["Trang tính"].fillna("")
    return table


def _problem_lines(output_dir: Path) -> pd.DataFrame:
    """Every line of the organizations' sheets."""
    header = [column.header for column in problems_workbook.PROBLEM_COLUMNS]
    lines = [
        row
        for title, rows in _workbook_rows(output_dir).items()
        if title != problems_workbook.SUMMARY_SHEET
        for row in rows[1:]
    ]
    table = pd.DataFrame(lines, columns=header).fillna("")
    return table


def test_every_sheet_accounts_for_every_row(outputs: Path) -> None:
    table = _accounting(outputs)
    assert len(table) >= 7  # the five example rosters' sheets and the two added ones
    for _, sheet in table.iterrows():
        rows_in = sheet["Số dòng đọc"]
        used, rejected, set_aside = (
            sheet["Được dùng"],
            sheet["Bị loại"],
            sheet["Không phải dòng dữ liệu"],
        )
        assert rows_in == used + rejected + set_aside, tuple(sheet)


def test_the_accounting_agrees_with_records_csv(outputs: Path) -> None:
    records = _records(outputs)
    counted = Counter(zip(records["source_file"], records["sheet"], records["status"], strict=True))
    table = _accounting(outputs)
    sheets = set(zip(table["Tệp"], table["Trang tính"], strict=True))
    assert set(zip(records["source_file"], records["sheet"], strict=True)) <= sheets
    for _, sheet in table.iterrows():
        key = (sheet["Tệp"], sheet["Trang tính"])
        assert sheet["Được dùng"] == counted[(*key, "accepted")], key
        assert sheet["Bị loại"] == counted[(*key, "rejected")], key


def test_every_set_aside_row_has_its_line(outputs: Path) -> None:
    lines = _problem_lines(outputs)
    set_aside = lines[lines["Mức độ"] == problems_workbook.SEVERITY_LABELS["set_aside"]]
    per_sheet = Counter(zip(set_aside["Tệp"], set_aside["Trang tính"], strict=True))
    for _, sheet in _accounting(outputs).iterrows():
        key = (sheet["Tệp"], sheet["Trang tính"])
        assert per_sheet[key] == sheet["Không phải dòng dữ liệu"], key


def test_every_rejected_row_has_a_reason_and_a_blocking_line(outputs: Path) -> None:
    records = _records(outputs)
    lines = _problem_lines(outputs)
    blocking = lines[lines["Mức độ"] == problems_workbook.SEVERITY_LABELS["blocking"]]
    blocked: set[Located] = {
        (line["Tệp"], line["Trang tính"], int(line["Dòng"])) for _, line in blocking.iterrows()
    }
    rejected = records[records["status"] == "rejected"]
    assert (rejected["reason"] != "").all()
    assert (records.loc[records["status"] == "accepted", "reason"] == "").all()
    located = {(r.source_file, r.sheet, int(r.row)) for r in rejected.itertuples(index=False)}
    assert located == blocked


def test_the_bad_rows_are_rejected_for_their_reason(outputs: Path) -> None:
    records = _records(outputs)
    rejected = records[records["status"] == "rejected"]
    located = {(r.source_file, r.sheet, int(r.row)) for r in rejected.itertuples(index=False)}
    assert located == set(EXPECTED_REJECTIONS)  # the example rosters have no blocking problem
    lines = _problem_lines(outputs)
    rules = {
        (line["Tệp"], line["Trang tính"], int(line["Dòng"])): line["Mã quy tắc"]
        for _, line in lines.iterrows()
        if line["Mức độ"] == problems_workbook.SEVERITY_LABELS["blocking"]
    }
    assert rules == EXPECTED_REJECTIONS


def test_warnings_leave_rows_in_use(outputs: Path) -> None:
    lines = _problem_lines(outputs)
    em = lines[(lines["Tệp"] == DOAN_CSV) & (lines["Dòng"] == "9")]
    assert set(em["Mã quy tắc"]) == {
        "birth_year_only",
        "core_away",
        "age_out_of_range",
        "phone_invalid",
    }
    assert set(em["Cột Excel"]) == {"C", "G", "J"}
    records = _records(outputs).set_index(["source_file", "row"])
    assert records.loc[(DOAN_CSV, "9"), "status"] == "accepted"
    assert records.loc[(PHUNU_XLSX, "5"), "status"] == "accepted"  # a man in Hội Phụ nữ
