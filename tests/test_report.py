"""The report stage: read every output back and check what people and tools will see."""

from __future__ import annotations

import datetime
import os
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest

from pipeline.atomic import atomic_write
from pipeline.models import (
    CLUSTER_COLUMNS,
    LOAD_COLUMNS,
    NORMALIZE_COLUMNS,
    PROVENANCE_COLUMNS,
    RAW_FIELDS,
    VALIDATE_COLUMNS,
    Problem,
    Severity,
    SheetAccount,
)
from pipeline.settings import Settings, load_settings
from pipeline.stages.report import OUTPUT_NAMES, RECORDS_CSV_COLUMNS, report
from pipeline.workbooks import problems as problems_workbook
from pipeline.workbooks import review, roster, summary

SETTINGS = load_settings()

LONG_THANH = "Huyện Long Thành"
NHON_TRACH = "Huyện Nhơn Trạch"
AN_PHUOC = "Xã An Phước"
LONG_DUC = "Xã Long Đức"

DOAN_COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Địa chỉ", "Nòng cốt")
PHUNU_COLUMNS = ("STT", "Họ và tên", "Năm sinh", "Nòng cốt")
# A second Hội Phụ nữ sheet with the columns in another order and another case.
PHUNU_OTHER_COLUMNS = ("STT", "Nòng cốt", "HỌ VÀ TÊN", "Năm sinh")
NONGDAN_COLUMNS = ("STT", "Họ và tên", "Ngày sinh", "Số nhà", "Ấp", "Xã", "Huyện", "Nòng cốt")

SHEETS = [
    SheetAccount("doan.xlsx", "DS", "doan", 4, 6, 4, 1, DOAN_COLUMNS),
    SheetAccount("phunu.xlsx", "Ấp 1", "phunu", 3, 3, 3, 0, PHUNU_COLUMNS),
    SheetAccount("phunu.xlsx", "Ấp 2", "phunu", 3, 2, 2, 0, PHUNU_OTHER_COLUMNS),
    SheetAccount("nongdan.csv", "", "nongdan", 1, 4, 4, 0, NONGDAN_COLUMNS),
]
SOURCE_COLUMNS = {(s.source_file, s.sheet): s.columns for s in SHEETS}
SHEET_OF = {
    "doan": ("doan.xlsx", "DS"),
    "phunu": ("phunu.xlsx", "Ấp 1"),
    "phunu2": ("phunu.xlsx", "Ấp 2"),
    "nongdan": ("nongdan.csv", ""),
}


def _record(
    record_id: str,
    sheet: str,
    row: int,
    person: str,
    name: str | None,
    commune_name: str,
    district_name: str,
    *,
    core: bool,
    regular: bool = False,
    away: bool = False,
    group: str = "",
    **raw: Any,
) -> dict[str, Any]:
    source_file, sheet_name = SHEET_OF[sheet]
    record: dict[str, Any] = dict.fromkeys(
        (
            *PROVENANCE_COLUMNS,
            *RAW_FIELDS,
            *LOAD_COLUMNS,
            *VALIDATE_COLUMNS,
            *NORMALIZE_COLUMNS,
            *CLUSTER_COLUMNS,
        )
    )
    record.update(raw)
    record.update(
        record_id=record_id,
        source_file=source_file,
        sheet=sheet_name,
        row=row,
        organization=sheet.removesuffix("2"),
        full_name=name,
        core_column_present=True,
        sheet_title="",
        status="accepted" if name else "rejected",
        reason="" if name else "Thiếu họ và tên.",
        sex_code="",
        is_core=core,
        is_regular=regular,
        is_away=away,
        name_display=name or "",
        commune_name=commune_name,
        district_name=district_name,
        province_name="Đồng Nai",
        person_id=person if name else "",
        review_group=group,
    )
    # The row's cells as the roster shows them, in its sheet's column order.
    shown = {
        "STT": str(row),
        "Họ và tên": name or "",
        "HỌ VÀ TÊN": name or "",
        "Nòng cốt": "x" if core else "",
        "Ngày sinh": "",
        "Năm sinh": "",
    }
    record["source_values"] = tuple(
        shown.get(h, "") for h in SOURCE_COLUMNS[(source_file, sheet_name)]
    )
    return record


def build_records() -> pd.DataFrame:
    """Twelve rows across three organizations, two communes of Long Thành and
    one record whose commune is unknown (Nhơn Trạch). Persons:
    P1 core in Đoàn; P2 core in both Phụ nữ and Nông dân (linked automatically);
    P3 listed twice in Đoàn (a within-organization duplicate, core both times);
    P4 has a name beginning with "="; P8/P9 await review (group G1);
    r09 is rejected (no name)."""
    rows = [
        _record("r01", "doan", 5, "P1", "Nguyễn Văn An", AN_PHUOC, LONG_THANH,
                core=True, regular=True, birth_date=datetime.date(1998, 3, 5),
                address="Ấp 1, xã An Phước", commune="An Phước", position="Bí thư chi đoàn",
                phone="0912345678", phone_norm="0912345678"),
        _record("r02", "phunu", 5, "P2", "Trần Thị Bình", AN_PHUOC, LONG_THANH,
                core=True, regular=True, birth_date=1985, address="Ấp 2, An Phước"),
        _record("r03", "nongdan", 2, "P2", "Trần Thị Bình", LONG_DUC, LONG_THANH,
                core=True, birth_date=datetime.datetime(1985, 7, 9), hamlet="Ấp 3",
                commune="Long Đức"),
        _record("r04", "doan", 6, "P3", "Lê Văn Cường", AN_PHUOC, LONG_THANH,
                core=True, regular=True, birth_date=datetime.date(2000, 1, 2)),
        _record("r05", "doan", 7, "P3", "Lê Văn Cường", LONG_DUC, LONG_THANH,
                core=True, birth_date=datetime.date(2000, 1, 2)),
        _record("r06", "phunu", 6, "P4", "=Phạm Thị Dung", LONG_DUC, LONG_THANH,
                core=False, birth_date=1979),
        _record("r07", "nongdan", 3, "P5", "Hoàng Văn Em", LONG_DUC, LONG_THANH,
                core=True, regular=True, away=True, house_number=12, hamlet="Ấp 3",
                commune="Long Đức", district="Long Thành", position="Chi hội trưởng"),
        _record("r08", "nongdan", 4, "P6", "Võ Văn Phúc", AN_PHUOC, LONG_THANH, core=False),
        _record("r09", "phunu", 7, "", None, AN_PHUOC, LONG_THANH, core=True, regular=True),
        _record("r10", "doan", 8, "P7", "Đặng Văn Giang", "", NHON_TRACH,
                core=True, regular=True),
        _record("r11", "phunu2", 5, "P8", "Bùi Thị Hoa", LONG_DUC, LONG_THANH,
                core=True, regular=True, group="G1", birth_date=1990),
        _record("r12", "nongdan", 5, "P9", "Bùi Thị Hoa", LONG_DUC, LONG_THANH,
                core=False, group="G1", birth_date=1990),
    ]  # fmt: skip
    return pd.DataFrame(rows, dtype=object)


def build_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        [
            ("r02", "r03", 0.97, "link", "Trùng họ tên và năm sinh, cùng huyện", "họ tên +9,1", ""),
            ("r04", "r05", 0.95, "link", "Trùng họ tên và ngày sinh", "họ tên +9,1", ""),
            ("r11", "r12", 0.7, "review", "Trùng họ tên và năm sinh", "ngày sinh +5,6", "G1"),
        ],
        columns=[
            "left",
            "right",
            "probability",
            "outcome",
            "evidence",
            "contributions",
            "review_group",
        ],
    )


PROBLEMS = [
    Problem("phunu.xlsx", "Ấp 1", 7, "full_name", "", "name_missing",
            "Thiếu họ và tên. Bổ sung họ và tên cho dòng này.", Severity.BLOCKING, "phunu"),
    Problem("nongdan.csv", "", 3, "citizen_id", "12345", "citizen_id_malformed",
            "Số CCCD phải có 12 chữ số.", Severity.WARNING, "nongdan"),
    Problem("doan.xlsx", "DS", 12, "", "Tổng cộng", "subtotal_row",
            "Dòng tổng cộng, không phải đoàn viên.", Severity.SET_ASIDE, "doan"),
    Problem("hong.xlsx", "", None, "", "", "file_unreadable",
            "Không mở được tệp.", Severity.FILE, None),
]  # fmt: skip


def run_report(output_dir: Path, settings: Settings = SETTINGS) -> list[Path]:
    return report(build_records(), build_pairs(), PROBLEMS, SHEETS, settings, output_dir)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output_dir = tmp_path_factory.mktemp("report") / "nested" / "output"
    run_report(output_dir)
    return output_dir


def _rows(path: Path, sheet: str) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(path)
    return [tuple(row) for row in workbook[sheet].iter_rows(values_only=True)]


def test_report_writes_every_output_and_returns_sorted_paths(tmp_path: Path) -> None:
    output_dir = tmp_path / "not" / "yet" / "there"
    paths = run_report(output_dir)
    assert paths == sorted(output_dir / name for name in OUTPUT_NAMES)
    written = [path.relative_to(output_dir).as_posix() for path in output_dir.rglob("*")]
    assert sorted(name for name in written if (output_dir / name).is_file()) == sorted(OUTPUT_NAMES)
    assert all(unicodedata.is_normalized("NFC", name) for name in OUTPUT_NAMES)


def test_records_csv_has_one_row_per_input_row_as_read(outputs: Path) -> None:
    raw = (outputs / "records.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    assert b"\r\n" not in raw
    table = pd.read_csv(
        outputs / "records.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    assert tuple(table.columns) == RECORDS_CSV_COLUMNS
    assert table["record_id"].tolist() == [f"r{n:02d}" for n in range(1, 13)]  # load order kept
    rows = table.set_index("record_id")
    assert rows.loc["r01"].to_dict() == {
        "source_file": "doan.xlsx",
        "sheet": "DS",
        "row": "5",
        "organization": "doan",
        "status": "accepted",
        "reason": "",
        "person_id": "P1",
        "review_group": "",
        "is_core": "true",
        "is_regular": "true",
        "full_name": "Nguyễn Văn An",
        "birth_date": "05/03/1998",
        # The commune column repeats what the address says: not written twice.
        "address": "Ấp 1, xã An Phước",
        "commune": AN_PHUOC,
        "district": LONG_THANH,
        # Columns of the decide stage, empty until it adds them.
        "core_kept_by": "",
        "review_state": "",
    }
    assert rows.loc["r02", "birth_date"] == "1985"  # a year-only birth date stays a year
    assert rows.loc["r03", "birth_date"] == "09/07/1985"
    # An address given in parts is joined smallest first.
    assert rows.loc["r07", "address"] == "12, Ấp 3, Long Đức, Long Thành"
    assert rows.loc["r06", "full_name"] == "=Phạm Thị Dung"
    assert rows.loc["r06", ["is_core", "is_regular"]].tolist() == ["false", "false"]
    assert rows.loc["r09", ["status", "person_id", "full_name"]].tolist() == ["rejected", "", ""]
    assert rows.loc["r09", "reason"] == "Thiếu họ và tên."
    assert rows.loc["r10", ["commune", "district"]].tolist() == ["", NHON_TRACH]
    assert rows.loc["r11", "review_group"] == "G1"


def test_indicators_csv_holds_the_computed_figures(outputs: Path) -> None:
    table = pd.read_csv(
        outputs / "indicators.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    province_all = table[(table["level"] == "province") & (table["organization"] == "all")]
    # Figures are checked against hand counts in test_indicators.py; here the
    # CSV form: integers, rates with 4 decimals, empty for a missing rate.
    assert province_all.iloc[0][["unit", "members", "core_share", "core_share_after"]].tolist() == [
        "Đồng Nai",
        "11",
        "0.7273",
        "0.6667",
    ]
    empty_org = table[(table["unit"] == NHON_TRACH) & (table["organization"] == "phunu")]
    assert empty_org.iloc[0][["members", "core_share", "regular_share"]].tolist() == ["0", "", ""]


def test_roster_workbook_lists_accepted_records_in_each_organization_s_columns(
    outputs: Path,
) -> None:
    path = outputs / roster.FILE_NAME
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["Đoàn TNCS Hồ Chí Minh", "Hội Liên hiệp Phụ nữ", "Hội Nông dân"]
    rows = _rows(path, "Hội Liên hiệp Phụ nữ")
    assert rows[0] == (
        *PHUNU_COLUMNS,
        "Mã người",
        "Nòng cốt ở đây",
        "Cũng là nòng cốt ở",
        "Trạng thái rà soát",
        "Tổ chức giữ nòng cốt",
        "Cảnh báo tiêu chí",
        "Tệp",
        "Trang tính",
        "Dòng",
    )
    body = {row[4]: row for row in rows[1:]}  # by Mã người
    assert len(body) == 3  # the rejected row r09 is not listed
    assert body["P2"][4:] == (
        "P2",
        "Có",
        "Hội Nông dân",
        "Đã tự động đối chiếu",
        "Chưa quyết định",  # core in two organizations, no decision yet
        None,
        "phunu.xlsx",
        "Ấp 1",
        5,
    )
    # r11 comes from the second sheet, whose columns are in another order.
    assert body["P8"][:4] == ("5", "Bùi Thị Hoa", None, "x")
    assert body["P8"][7:9] == ("Chờ rà soát", "Hội Liên hiệp Phụ nữ")
    assert body["P4"][7:9] == (None, None)  # one record, not core: nothing to say

    sheet = workbook["Hội Liên hiệp Phụ nữ"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None
    name_cell = next(c for row in sheet.iter_rows() for c in row if c.value == "=Phạm Thị Dung")
    assert name_cell.data_type == "s"  # text, not a formula


def test_roster_workbook_shows_review_states_decisions_and_criteria_warnings(
    tmp_path: Path,
) -> None:
    records = build_records()
    records["core_kept_by"] = ""
    records["review_state"] = ""
    p2 = records["person_id"] == "P2"
    records.loc[p2, "core_kept_by"] = "nongdan"
    records.loc[p2, "review_state"] = "decided"
    records.loc[records["person_id"].isin(["P8", "P9"]), "review_state"] = "needs_rereview"
    problems = [
        *PROBLEMS,
        Problem("nongdan.csv", "", 3, "position", "", "core_without_position",
                "Là nòng cốt nhưng chưa có chức vụ.", Severity.WARNING, "nongdan"),
    ]  # fmt: skip
    report(records, build_pairs(), problems, SHEETS, SETTINGS, tmp_path)
    path = tmp_path / roster.FILE_NAME
    phunu = {row[4]: row for row in _rows(path, "Hội Liên hiệp Phụ nữ")[1:]}
    assert phunu["P2"][7:9] == ("Đã quyết định", "Hội Nông dân")
    assert phunu["P8"][7] == "Cần xem lại"
    nongdan = {row[8]: row for row in _rows(path, "Hội Nông dân")[1:]}  # by Mã người
    # r07 (row 3): both warnings, as the rules' short titles.
    assert nongdan["P5"][13] == "Số CCCD/CMND không đúng dạng; Nòng cốt chưa có chức vụ, vị trí"


def test_review_workbook_groups_duplicates_with_decision_dropdowns(outputs: Path) -> None:
    path = outputs / review.FILE_NAME
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [review.GUIDE_SHEET, review.ACROSS_SHEET, review.WITHIN_SHEET]

    across = _rows(path, review.ACROSS_SHEET)
    assert across[0] == tuple(column.header for column in review.COLUMNS)
    # P2 (core in two organizations, linked automatically) and the review group G1.
    assert [(row[0], row[1], row[5]) for row in across[1:]] == [
        ("P2", "Hội Liên hiệp Phụ nữ", "Trần Thị Bình"),
        ("P2", "Hội Nông dân", "Trần Thị Bình"),
        ("G1", "Hội Liên hiệp Phụ nữ", "Bùi Thị Hoa"),
        ("G1", "Hội Nông dân", "Bùi Thị Hoa"),
    ]
    assert across[3][14:17] == ("Trùng họ tên và năm sinh", "ngày sinh +5,6", 0.7)
    assert across[1][12:14] == ("Có", "Có")

    within = _rows(path, review.WITHIN_SHEET)
    assert [(row[0], row[4]) for row in within[1:]] == [("P3", 6), ("P3", 7)]

    sheet = workbook[review.ACROSS_SHEET]
    validations = {dv.formula1: str(dv.sqref) for dv in sheet.data_validations.dataValidation}
    assert validations['"Cùng một người,Khác người,Chưa rõ"'] == "R2:R5"
    # Each group may only keep core in an organization it contains.
    assert validations['"Hội Liên hiệp Phụ nữ,Hội Nông dân"'] == "S2:S5"
    decision = sheet["R2"]
    assert decision.protection.locked is False
    assert decision.fill.fgColor.rgb.endswith("FFF2CC")
    assert sheet["A2"].protection.locked is True
    assert sheet.protection.sheet is True


def test_problems_workbook_has_a_summary_and_a_sheet_per_organization(outputs: Path) -> None:
    path = outputs / problems_workbook.FILE_NAME
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        "Tổng hợp",
        "Đoàn TNCS Hồ Chí Minh",
        "Hội Liên hiệp Phụ nữ",
        "Hội Nông dân",
        "Tệp không đọc được",
    ]
    phunu = _rows(path, "Hội Liên hiệp Phụ nữ")
    assert phunu == [
        ("Tệp", "Trang tính", "Dòng", "Cột", "Cột Excel", "Giá trị", "Mức độ", "Quy tắc",
         "Nội dung", "Cách khắc phục", "Mã quy tắc"),
        ("phunu.xlsx", "Ấp 1", "7", "Họ và tên", "B", None, "Loại bỏ", "Thiếu họ và tên",
         "Thiếu họ và tên. Bổ sung họ và tên cho dòng này.",
         "Bổ sung họ và tên; nếu dòng này không phải một người trong danh sách, hãy xóa dòng.",
         "name_missing"),
    ]  # fmt: skip
    for sheet in workbook.worksheets[1:]:
        assert all(
            c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value is not None
        )
    assert _rows(path, "Tệp không đọc được")[1][:7] == (
        "hong.xlsx",
        None,
        None,
        None,
        None,
        None,
        "Tệp bị bỏ qua",
    )
    assert _rows(path, "Hội Nông dân")[1][3] == "Số CCCD"  # field shown by its Vietnamese name

    summary_rows = _rows(path, "Tổng hợp")
    accounting = summary_rows[
        summary_rows.index(("Số dòng theo tệp và trang tính", *[None] * 7)) + 2 :
    ]
    assert accounting[1] == ("phunu.xlsx", "Ấp 1", "Hội Liên hiệp Phụ nữ", 3, 3, 2, 1, 0)


def test_two_runs_write_identical_bytes(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    run_report(first)
    run_report(second)
    for name in OUTPUT_NAMES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # Two quick runs share the clock's second anyway: check the date is the fixed one.
    with zipfile.ZipFile(first / summary.FILE_NAME) as archive:
        assert b"2025-07-01T00:00:00Z" in archive.read("docProps/core.xml")


def test_report_handles_no_records(tmp_path: Path) -> None:
    empty = build_records().iloc[0:0]
    pairs = build_pairs().iloc[0:0]
    paths = report(empty, pairs, [], [], SETTINGS, tmp_path)
    assert len(paths) == len(OUTPUT_NAMES)
    assert pd.read_csv(tmp_path / "records.csv", dtype=str).empty
    _assert_excel_can_open(tmp_path)


def _assert_excel_can_open(folder: Path) -> None:
    """What Excel checks and LibreOffice forgives: a sheet's rows in strictly
    increasing order (a sheet ending on a tall row, such as a header with no
    rows below it, once had that row twice), and every member intact."""
    for path in folder.rglob("*.xlsx"):
        with zipfile.ZipFile(path) as archive:
            assert archive.testzip() is None, path.name
            for name in archive.namelist():
                if name.startswith("xl/worksheets/sheet"):
                    rows = [int(n) for n in re.findall(rb'<row r="(\d+)"', archive.read(name))]
                    assert rows == sorted(set(rows)), (path.name, name)


def test_every_workbook_is_one_excel_opens_without_repair(outputs: Path) -> None:
    _assert_excel_can_open(outputs)


def test_atomic_write_replaces_the_target(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as temp:
        assert temp.parent == tmp_path and temp != target
        temp.write_text("new")
        assert target.read_text() == "old"  # not visible until the writer finishes
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as temp:
        temp.write_text("half")
        raise RuntimeError("writer failed")
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_a_workbook_that_cannot_be_saved_fails_the_report_and_leaves_no_partial_file(
    tmp_path: Path,
) -> None:
    # Workbooks are saved in the background while the next is written: the
    # failed save still fails the report, once every other output is complete.
    (tmp_path / roster.FILE_NAME).mkdir()  # a folder where the workbook should go
    with pytest.raises(IsADirectoryError):
        run_report(tmp_path)
    assert (tmp_path / roster.FILE_NAME).is_dir()
    assert openpyxl.load_workbook(tmp_path / review.FILE_NAME).sheetnames[0] == review.GUIDE_SHEET
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
