"""load: rosters as offices keep them become records, every row accounted for."""

from __future__ import annotations

import datetime
import shutil
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from pipeline.legacy import from_unicode
from pipeline.models import (
    LOAD_COLUMNS,
    PROVENANCE_COLUMNS,
    RAW_FIELDS,
    LoadResult,
    Severity,
    SourceFile,
)
from pipeline.progress import NoProgress
from pipeline.readers import _convert_row, read_roster
from pipeline.settings import EXAMPLES_DIR, load_settings
from pipeline.stages.discover import discover
from pipeline.stages.load import (
    _is_section_heading,
    column_letter,
    load,
)
from pipeline.synthetic import generate_rosters
from pipeline.text import clean
from tests.workbook_builders import (
    ROSTERS,
    Roster,
    ccb_with_formulas,
    congdoan_with_numbers_typed_as_numbers,
    congdoan_with_repeated_header,
    doan_csv_with_separator_hint,
    doan_with_section_headings,
    doan_with_title_and_signature,
    nongdan_with_sex_columns,
    phunu_with_hidden_sheets,
    phunu_with_split_birth_date,
    source,
    write_csv,
    write_docx_as_xlsx,
    write_random_bytes,
    write_xlsx,
)

SETTINGS = load_settings()
D = datetime.date


def _load(*files: SourceFile) -> LoadResult:
    result = load(list(files), SETTINGS, NoProgress())
    _assert_accounted(result)
    return result


def _assert_accounted(result: LoadResult) -> None:
    """rows_in == records + set_aside, and both agree with what load returned."""
    records = result.records
    for account in result.sheets:
        assert account.rows_in == account.records + account.set_aside, account
        in_sheet = (records["source_file"] == account.source_file) & (
            records["sheet"] == account.sheet
        )
        assert int(in_sheet.sum()) == account.records, account
        set_aside = [
            p
            for p in result.problems
            if p.severity is Severity.SET_ASIDE
            and (p.source_file, p.sheet) == (account.source_file, account.sheet)
        ]
        assert len(set_aside) == account.set_aside, account


def _rows(result: LoadResult, *columns: str) -> list[tuple[object, ...]]:
    return list(result.records[list(columns)].itertuples(index=False, name=None))


def _rules(result: LoadResult, severity: Severity) -> list[tuple[int | None, str]]:
    return [(p.row, p.rule) for p in result.problems if p.severity is severity]


def test_title_header_footer_subtotal_and_spacer(tmp_path: Path) -> None:
    roster = doan_with_title_and_signature(tmp_path)
    result = _load(roster.source(tmp_path))

    assert _rows(result, "record_id", "row", "full_name", "birth_date", "position") == [
        ("doan.xlsx|DS|6", 6, "Nguyễn Văn An", D(2000, 1, 2), "Bí thư"),
        ("doan.xlsx|DS|8", 8, "Trần Thị Bình", D(2001, 3, 4), "Đoàn viên"),
    ]
    assert set(result.records["sheet_title"]) == {
        "ĐOÀN TNCS HỒ CHÍ MINH | DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025"
    }
    assert _rules(result, Severity.SET_ASIDE) == [
        (9, "LOAD_SUBTOTAL"),
        (11, "LOAD_FOOTER"),
        (12, "LOAD_AFTER_FOOTER"),
        (13, "LOAD_AFTER_FOOTER"),
    ]
    (account,) = result.sheets
    assert (account.header_row, account.rows_in, account.records, account.set_aside) == (
        4,
        6,
        2,
        4,
    )
    assert result.files_read == ["doan.xlsx"]
    assert list(result.records.columns) == [*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS]
    assert {str(dtype) for dtype in result.records.dtypes} == {"object"}


def test_two_row_merged_header_derives_sex_from_birth_columns(tmp_path: Path) -> None:
    roster = nongdan_with_sex_columns(tmp_path)
    result = _load(roster.source(tmp_path))

    assert _rows(result, "full_name", "sex", "birth_date", "hamlet", "commune", "position") == [
        ("Lê Văn Tám", "Nam", "10.05.1980", "Ấp 1", "Phước Thiền", "Hội viên"),
        ("Võ Thị Hoa", "Nữ", D(1975, 2, 1), "Ấp 3", "Long Tân", "Chi hội trưởng"),
    ]
    (account,) = result.sheets
    assert account.header_row == 3
    assert account.columns == (
        "STT",
        "Họ và tên",
        "Ngày sinh / Nam",
        "Ngày sinh / Nữ",
        "Địa chỉ / Ấp/KP",
        "Địa chỉ / Xã/Phường",
        "Chức vụ",
    )
    assert result.records["row"].tolist() == [4, 5]
    assert not [p for p in result.problems if p.rule == "LOAD_UNKNOWN_COLUMN"]
    # Kept apart from any explicit sex column, for validation to compare.
    assert result.records["birth_column_sex"].tolist() == ["Nam", "Nữ"]


def test_birth_date_in_both_sex_columns_is_a_warning(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "hnd.xlsx",
        {"DS": [["STT", "Họ và tên", "Nam", "Nữ"], [1, "Lê Văn Tám", 1980, 1981]]},
    )
    result = _load(source(path, tmp_path, "nongdan"))

    assert _rows(result, "sex", "birth_date") == [(None, None)]
    assert _rules(result, Severity.WARNING) == [(2, "LOAD_BIRTH_IN_BOTH_SEXES")]


def test_split_name_columns_and_core_only_roster(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "ccb.xlsx",
        {
            "CCB": [
                ["STT", "Họ và tên đệm", "Tên", "Ngày tháng năm sinh", "Số định danh", "SHTX"],
                [1, "Nguyễn Văn", "Sơn", D(1956, 7, 3), 75056001234, "x"],
                [2, "Trần", "Ba", D(1950, 1, 1), None, None],
            ]
        },
    )
    result = _load(source(path, tmp_path, "ccb"))

    assert _rows(result, "full_name", "citizen_id", "regular", "core_column_present") == [
        ("Nguyễn Văn Sơn", 75056001234, "x", False),
        ("Trần Ba", None, None, False),
    ]


def test_numeric_citizen_id_stays_digits(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "cd.xlsx",
        {"DS": [["Họ tên", "Số CCCD", "Nòng cốt"], ["Đỗ Văn Út", 75090001234.0, "X"]]},
    )
    result = _load(source(path, tmp_path, "congdoan"))

    (citizen_id,) = result.records["citizen_id"]
    assert citizen_id == 75090001234 and isinstance(citizen_id, int)
    (values,) = result.records["source_values"]
    assert values == ("Đỗ Văn Út", "75090001234", "X")
    assert result.records["core_column_present"].tolist() == [True]


def test_unknown_column_is_kept_and_reported_once(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "pn.xlsx",
        {
            "Long Tân": [
                ["TT", "Họ tên hội viên", "Năm sinh", "Trình độ học vấn"],
                [1, "Lê Thị Mai", 1979, "12/12"],
                [2, "Phan Thị Cúc", "03/04/1985", "9/12"],
            ]
        },
    )
    result = _load(source(path, tmp_path, "phunu"))

    unknown = [p for p in result.problems if p.rule == "LOAD_UNKNOWN_COLUMN"]
    assert [(p.sheet, p.column, p.severity) for p in unknown] == [
        ("Long Tân", "Trình độ học vấn", Severity.NOTE)
    ]
    assert "schemas/headers.toml" in unknown[0].message
    assert result.sheets[0].columns[-1] == "Trình độ học vấn"
    assert [values[-1] for values in result.records["source_values"]] == ["12/12", "9/12"]
    assert result.records["birth_date"].tolist() == [1979, "03/04/1985"]


def test_two_columns_for_one_field_take_the_first_filled(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "pn.xlsx",
        {
            "DS": [
                ["Họ tên", "Số CCCD", "CMND"],
                ["Lê Thị Mai", None, "271234567"],
                ["Phan Thị Cúc", "075185001234", "271234568"],
            ]
        },
    )
    result = _load(source(path, tmp_path, "phunu"))

    assert result.records["citizen_id"].tolist() == ["271234567", "075185001234"]
    (note,) = result.problems
    assert (note.rule, note.severity, note.column) == (
        "LOAD_DUPLICATE_COLUMN",
        Severity.NOTE,
        "Số CCCD",
    )


def test_summary_and_empty_sheets_are_noted_and_skipped(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "pn.xlsx",
        {
            "Phước Thiền": [["TT", "Họ tên", "Năm sinh"], [1, "Lê Thị Mai", 1979]],
            "Tổng hợp": [["Xã", "Số hội viên"], ["Phước Thiền", 1], ["Tổng cộng", 1]],
            "Sheet2": [],
        },
    )
    result = _load(source(path, tmp_path, "phunu"))

    assert [a.sheet for a in result.sheets] == ["Phước Thiền"]
    notes = {(p.sheet, p.rule) for p in result.problems if p.severity is Severity.NOTE}
    assert notes == {("Tổng hợp", "LOAD_NO_HEADER"), ("Sheet2", "LOAD_EMPTY_SHEET")}
    assert len(result.records) == 1


def test_repeated_header_is_set_aside_and_signer_position_is_not_a_footer(
    tmp_path: Path,
) -> None:
    roster = congdoan_with_repeated_header(tmp_path)
    result = _load(roster.source(tmp_path))

    assert result.records["full_name"].tolist() == ["Hồ Văn Bảy", "Ngô Thị Tư"]
    assert _rules(result, Severity.SET_ASIDE) == [(3, "LOAD_REPEATED_HEADER"), (5, "LOAD_FOOTER")]


def test_subtotal_labels_are_read_with_their_tone_marks(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "hnd.xlsx",
        {
            "DS": [
                ["STT", "Họ và tên", "Năm sinh"],
                [1, "Tống Công Minh", 1990],  # folded, this would read "tong cong"
                [None, "Công Văn Bình", 1985],
                [None, "Cộng chi hội 1", 2],
                [None, "TỔNG SỐ", 2],
                [None, "Tong cong: 2"],
                [None, "Cong: 2"],
            ]
        },
    )
    result = _load(source(path, tmp_path, "nongdan"))

    assert result.records["full_name"].tolist() == ["Tống Công Minh", "Công Văn Bình"]
    assert _rules(result, Severity.SET_ASIDE) == [(row, "LOAD_SUBTOTAL") for row in (4, 5, 6, 7)]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "cp1258"])
def test_csv_encodings(tmp_path: Path, encoding: str) -> None:
    lines: list[list[str | int]] = [
        ["STT", "Họ và tên", "Số CCCD", "Ghi chú"],
        ["1", "Nguyễn Thị Thuỷ", "075301001234", "Đi làm ăn xa"],
    ]
    if encoding == "cp1258":
        # Windows-1258 stores most Vietnamese letters as a base plus a combining tone.
        lines = [[_cp1258_form(cell) for cell in line] for line in lines]
    path = write_csv(tmp_path / "doan.csv", lines, encoding, sep=";")
    result = _load(source(path, tmp_path))

    assert _rows(result, "record_id", "sheet", "row", "full_name", "citizen_id", "note") == [
        ("doan.csv||2", "", 2, "Nguyễn Thị Thuỷ", "075301001234", "Đi làm ăn xa")
    ]
    assert unicodedata.is_normalized("NFC", result.records["full_name"][0])
    assert result.sheets[0].sheet == ""


def _cp1258_form(text: str) -> str:
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


def test_unreadable_csv_is_one_file_problem(tmp_path: Path) -> None:
    path = tmp_path / "doan.csv"
    path.write_bytes(b"STT,H\x81 t\x90n\n")  # bytes undefined in UTF-8 and Windows-1258
    result = _load(source(path, tmp_path))

    assert [(p.rule, p.severity) for p in result.problems] == [("LOAD_UNREADABLE", Severity.FILE)]
    assert result.files_skipped == ["doan.csv"]


def test_broken_files_are_skipped_and_good_files_still_load(tmp_path: Path) -> None:
    corrupt = write_random_bytes(tmp_path / "hong.xlsx")
    renamed = write_docx_as_xlsx(tmp_path / "van_ban.xlsx")
    good = write_xlsx(tmp_path / "tot.xlsx", {"DS": [["Họ và tên", "Ngày sinh"], ["An", 2000]]})

    result = _load(source(corrupt, tmp_path), source(renamed, tmp_path), source(good, tmp_path))

    file_problems = [p for p in result.problems if p.severity is Severity.FILE]
    assert [(p.source_file, p.rule) for p in file_problems] == [
        ("hong.xlsx", "LOAD_UNREADABLE"),
        ("van_ban.xlsx", "LOAD_UNREADABLE"),
    ]
    assert "hong.xlsx" in file_problems[0].message
    assert "Word" in file_problems[1].message
    assert result.files_skipped == ["hong.xlsx", "van_ban.xlsx"]
    assert result.files_read == ["tot.xlsx"]
    assert result.records["full_name"].tolist() == ["An"]


def test_encrypted_xlsx_gets_the_password_hint(tmp_path: Path) -> None:
    # Excel stores a password-protected .xlsx inside an OLE2 compound file.
    path = tmp_path / "mat_khau.xlsx"
    shutil.copy(Path(__file__).parent / "data" / "encrypted.xlsx", path)
    result = _load(source(path, tmp_path))

    (problem,) = result.problems
    assert (problem.rule, problem.severity) == ("LOAD_UNREADABLE", Severity.FILE)
    assert "mật khẩu" in problem.message


def test_sheet_without_recognizable_header_skips_the_file(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "ds.xlsx", {"DS": [["Tên cơ sở", "Số lượng"], ["Ấp 1", 3]]})
    result = _load(source(path, tmp_path))

    assert [(p.rule, p.severity) for p in result.problems] == [
        ("LOAD_NO_HEADER", Severity.NOTE),
        ("LOAD_NO_TABLE", Severity.FILE),
    ]
    assert result.files_skipped == ["ds.xlsx"]


def test_organization_from_title_rows_when_undecided(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["LIÊN ĐOÀN LAO ĐỘNG HUYỆN NHƠN TRẠCH"],
        ["DANH SÁCH ĐOÀN VIÊN CÔNG ĐOÀN"],
        ["Họ tên", "Ngày sinh"],
        ["Đỗ Văn Út", 1990],
    ]
    path = write_xlsx(tmp_path / "ds.xlsx", {"DS": rows})
    result = _load(source(path, tmp_path, organization=None))

    assert result.records["organization"].tolist() == ["congdoan"]
    assert result.sheets[0].organization == "congdoan"
    assert [p.rule for p in result.problems] == ["LOAD_ORG_FROM_TITLE"]


def test_title_disagreeing_with_folder_keeps_folder_and_notes(tmp_path: Path) -> None:
    rows: list[list[object]] = [["HỘI CỰU CHIẾN BINH"], ["Họ tên", "Ngày sinh"], ["Út", 1950]]
    path = write_xlsx(tmp_path / "ds.xlsx", {"DS": rows})
    result = _load(source(path, tmp_path, organization="nongdan"))

    assert result.records["organization"].tolist() == ["nongdan"]
    (note,) = result.problems
    assert (note.rule, note.severity, note.organization) == (
        "LOAD_ORG_DISAGREE",
        Severity.NOTE,
        "nongdan",
    )


@pytest.mark.parametrize(
    "title",
    [["DANH SÁCH NÒNG CỐT"], ["ĐOÀN THANH NIÊN VÀ HỘI PHỤ NỮ"]],
    ids=["no-organization", "conflict"],
)
def test_undecided_organization_skips_file(tmp_path: Path, title: list[object]) -> None:
    path = write_xlsx(tmp_path / "ds.xlsx", {"DS": [title, ["Họ tên", "Ngày sinh"], ["Út", 1]]})
    result = _load(source(path, tmp_path, organization=None))

    assert [(p.rule, p.severity) for p in result.problems] == [("LOAD_ORG_UNKNOWN", Severity.FILE)]
    assert "to_chuc.toml" in result.problems[0].message
    assert result.files_skipped == ["ds.xlsx"]
    assert result.records.empty


def test_empty_run_returns_typed_empty_frame() -> None:
    result = _load()
    assert result.records.empty
    assert list(result.records.columns) == [*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS]


def test_progress_counts_files(tmp_path: Path) -> None:
    calls: list[tuple[str, object]] = []

    class Recorder(NoProgress):
        def start(self, label: str, total: int) -> None:
            calls.append(("start", (label, total)))

        def advance(self, steps: int = 1) -> None:
            calls.append(("advance", steps))

        def finish(self) -> None:
            calls.append(("finish", None))

    broken = write_random_bytes(tmp_path / "a.xlsx")
    good = write_xlsx(tmp_path / "b.xlsx", {"DS": [["Họ và tên", "Ngày sinh"], ["An", 2000]]})
    load([source(broken, tmp_path), source(good, tmp_path)], SETTINGS, Recorder())

    assert calls == [
        ("start", ("Đọc danh sách", 2)),
        ("advance", 1),
        ("advance", 1),
        ("finish", None),
    ]


EXAMPLE_FILES = (
    "doan_thanh_nien_nhon_trach.xlsx",
    "hoi_lhpn_nhon_trach.xlsx",
    "hoi_nong_dan_long_thanh_nhon_trach.xlsx",
    "hoi_ccb_nhon_trach.xlsx",
    "cong_doan_nhon_trach.xlsx",
)


@pytest.mark.skipif(
    not all((EXAMPLES_DIR / name).is_file() for name in EXAMPLE_FILES),
    reason="examples/ not generated yet",
)
def test_example_rosters_load_completely() -> None:
    files, problems = discover(EXAMPLES_DIR, SETTINGS)
    assert {f.relative_path: f.organization for f in files} == {
        "doan_thanh_nien_nhon_trach.xlsx": "doan",
        "hoi_lhpn_nhon_trach.xlsx": "phunu",
        "hoi_nong_dan_long_thanh_nhon_trach.xlsx": "nongdan",
        "hoi_ccb_nhon_trach.xlsx": "ccb",
        "cong_doan_nhon_trach.xlsx": "congdoan",
    }
    result = _load(*files)

    assert result.files_skipped == []
    assert not [p for p in problems + result.problems if p.severity is Severity.FILE]
    # No title row, signature or subtotal became a person.
    names = set(result.records["full_name"].map(str))
    titles = {cell for title in result.records["sheet_title"] for cell in title.split(" | ")}
    assert not names & titles
    for marker in ("DANH SÁCH", "NGƯỜI LẬP", "BÍ THƯ", "CHỦ TỊCH", "TỔNG CỘNG", "NGÀY"):
        assert not [name for name in names if marker in name.upper()], marker
    # Each sheet ends with the signers' names, set aside below every record.
    for account in result.sheets:
        aside = [
            p
            for p in result.problems
            if (p.source_file, p.sheet) == (account.source_file, account.sheet)
            and p.severity is Severity.SET_ASIDE
        ]
        rows = result.records.loc[result.records["sheet"] == account.sheet, "row"]
        assert aside[-1].rule == "LOAD_AFTER_FOOTER" and aside[-1].row > rows.max(), account
    by_sheet = {(a.source_file, a.sheet): a for a in result.sheets}
    nongdan = by_sheet[("hoi_nong_dan_long_thanh_nhon_trach.xlsx", "Danh sách")]
    assert nongdan.columns[2:4] == ("Ngày sinh / Nam", "Ngày sinh / Nữ")
    assert {a.sheet for a in result.sheets if a.source_file == "hoi_lhpn_nhon_trach.xlsx"} == {
        "Phước Thiền",
        "Long Tân",
        "Hiệp Phước",
    }
    ccb = result.records[result.records["organization"] == "ccb"]
    assert not ccb["core_column_present"].any()
    assert set(result.records["sex"].dropna()) <= {"Nam", "Nữ"}


# --- every layout: each row below the header is a record or set aside ----------


def _located(result: LoadResult) -> set[tuple[str, str, int]]:
    located = result.records[["source_file", "sheet", "row"]]
    return set(located.itertuples(index=False, name=None))


@pytest.mark.parametrize("build", ROSTERS, ids=lambda build: build.__name__)
def test_every_row_of_every_layout_is_accounted_for(
    tmp_path: Path, build: Callable[[Path], Roster]
) -> None:
    roster = build(tmp_path)
    result = _load(roster.source(tmp_path))  # checks rows_in == records + set_aside

    records = {(sheet, row) for _, sheet, row in _located(result)}
    assert records == roster.expected("record")
    assert not records & (roster.expected("title") | roster.expected("header"))
    set_aside = {(p.sheet, p.row) for p in result.problems if p.severity is Severity.SET_ASIDE}
    assert set_aside == roster.expected("aside")
    assert result.files_read == [roster.path.name]


def test_generated_rosters_are_accounted_for(tmp_path: Path) -> None:
    truth = generate_rosters(tmp_path)
    files, _ = discover(tmp_path, SETTINGS)
    result = _load(*files)

    records = _located(result)
    assert records == {(row.source_file, row.sheet, row.row) for row in truth.rows}
    assert not records & set(truth.non_data_rows)
    assert result.files_skipped == []


# --- layouts offices keep ----------------------------------------------------------


def test_birth_date_split_over_day_month_year(tmp_path: Path) -> None:
    roster = phunu_with_split_birth_date(tmp_path)
    result = _load(roster.source(tmp_path))

    # A full date, a year alone, and what cannot be a date kept as typed for validation.
    assert result.records["birth_date"].tolist() == [
        D(1985, 9, 5),
        D(1990, 11, 7),
        1979,
        "31/2/1988",
        None,
    ]
    assert result.records["sex"].tolist() == [None] * 5  # "Năm" here is no "Nam" column
    (account,) = result.sheets
    assert account.field_columns == (
        ("row_number", "STT", "A"),
        ("full_name", "Họ và tên", "B"),
        ("birth_day", "Ngày tháng năm sinh / Ngày", "C"),
        ("birth_month", "Ngày tháng năm sinh / Tháng", "D"),
        ("birth_year", "Ngày tháng năm sinh / Năm", "E"),
        ("position", "Chức vụ", "F"),
    )
    assert not [p for p in result.problems if p.rule == "LOAD_UNKNOWN_COLUMN"]


def test_day_or_month_column_alone_is_not_part_of_a_birth_date(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Họ và tên", "Năm sinh", "Ngày", "Tháng"],
        ["Lê Văn Tám", 1980, 12, 5],
    ]
    path = write_xlsx(tmp_path / "hnd.xlsx", {"DS": rows})
    result = _load(source(path, tmp_path, "nongdan"))

    assert _rows(result, "birth_date") == [(1980,)]
    unknown = [p.column for p in result.problems if p.rule == "LOAD_UNKNOWN_COLUMN"]
    assert unknown == ["Ngày", "Tháng"]


def test_csv_separator_hint_is_honoured_and_hidden_like_excel_does(tmp_path: Path) -> None:
    roster = doan_csv_with_separator_hint(tmp_path)
    result = _load(roster.source(tmp_path))

    assert _rows(result, "row", "full_name", "address") == [
        (2, "Nguyễn Thị Thuỷ", "Số 5; Tổ 1; Ấp 2; Xã Long Tân; Nhơn Trạch"),
        (3, "Trần Văn Hưng", None),
    ]
    assert result.sheets[0].header_row == 1


@pytest.mark.parametrize("hint", ['"sep=;"', "SEP=;", "sep=;"])
def test_csv_separator_hint_variants(tmp_path: Path, hint: str) -> None:
    path = tmp_path / "doan.csv"
    path.write_text(
        f"{hint}\nHọ và tên;Năm sinh;Địa chỉ\nLê Văn Tám;1980;Tổ 1, Ấp 2, Xã Long Tân\n"
    )
    (sheet,) = read_roster(path)

    assert sheet.rows == [
        ["Họ và tên", "Năm sinh", "Địa chỉ"],
        ["Lê Văn Tám", "1980", "Tổ 1, Ấp 2, Xã Long Tân"],
    ]


def test_section_headings_are_set_aside_and_name_the_branch_below(tmp_path: Path) -> None:
    roster = doan_with_section_headings(tmp_path)
    result = _load(roster.source(tmp_path))

    assert _rows(result, "row", "full_name", "branch") == [
        (4, "Nguyễn Văn An", "Chi đoàn Ấp 1"),
        (5, "Trần Thị Bình", "Chi đoàn Ấp 5"),  # its own branch cell wins
        (7, "Lê Văn Cường", "Chi hội Ấp 2"),
        (8, "Tô Văn Ba", "Chi hội Ấp 2"),
        (10, "Phạm Thị Dung", None),  # a heading naming no unit ends the group
    ]
    headings = [p for p in result.problems if p.rule == "LOAD_SECTION_HEADING"]
    assert [(p.row, p.column, p.value, p.severity) for p in headings] == [
        (3, "STT", "I. Chi đoàn Ấp 1", Severity.SET_ASIDE),
        (6, "Họ và tên", "Chi hội Ấp 2", Severity.SET_ASIDE),
        (9, "Họ và tên", "II. BAN CHẤP HÀNH", Severity.SET_ASIDE),
    ]


@pytest.mark.parametrize(
    ("text", "is_heading"),
    [
        ("I. Chi đoàn Ấp 1", True),
        ("Chi hội Ấp 2", True),
        ("1. Tổ hội Ấp Bến Cam", True),
        ("Tổ 5", True),
        ("KP 3", True),
        ("Khu phố 5", True),
        ("CHI DOAN AP 1", True),
        ("Ap 3", True),
        ("II. HỘI VIÊN", True),
        ("B) Hội viên mới kết nạp", True),
        # People alone on their row, whatever their name folds to.
        ("Tô Văn Ba", False),
        ("To Van Ba", False),
        ("Công Văn Bình", False),
        ("1. Nguyễn Văn An", False),
        # Signers' titles and the place and date of signing.
        ("Chi hội trưởng", False),
        ("Tổ hội trưởng", False),
        ("TỔ TRƯỞNG", False),
        ("Xã Phước Thiền, ngày 15 tháng 3 năm 2025", False),
        ("Chi hội", False),
    ],
)
def test_section_heading_texts(text: str, is_heading: bool) -> None:
    assert _is_section_heading(text) is is_heading


def test_hidden_sheets_are_read_and_noted(tmp_path: Path) -> None:
    roster = phunu_with_hidden_sheets(tmp_path)
    result = _load(roster.source(tmp_path))

    assert [(a.sheet, a.records) for a in result.sheets] == [
        ("Phước Thiền", 2),
        ("Bản cũ", 1),
        ("Nháp", 1),
    ]
    assert [(p.sheet, p.rule, p.severity) for p in result.problems] == [
        ("Bản cũ", "LOAD_HIDDEN_SHEET", Severity.NOTE),
        ("Nháp", "LOAD_HIDDEN_SHEET", Severity.NOTE),
    ]
    assert "ẩn sâu" not in result.problems[0].message
    assert "ẩn sâu" in result.problems[1].message


def test_formula_cells_give_the_values_excel_cached(tmp_path: Path) -> None:
    roster = ccb_with_formulas(tmp_path)
    result = _load(roster.source(tmp_path))

    assert _rows(result, "row", "full_name", "citizen_id") == [
        (2, "Nguyễn Văn Sơn", "075056001234"),
        (3, "Trần Văn Ba", None),
    ]
    assert [values[0] for values in result.records["source_values"]] == ["1", "2"]
    assert _rules(result, Severity.SET_ASIDE) == [(4, "LOAD_SUBTOTAL")]


def test_numbers_and_text_keep_what_was_typed(tmp_path: Path) -> None:
    roster = congdoan_with_numbers_typed_as_numbers(tmp_path)
    result = _load(roster.source(tmp_path))

    # IDs and phones typed as numbers keep every digit, as int: no ".0", no
    # exponent; a lost leading zero is validation's to restore.
    assert _rows(result, "birth_date", "citizen_id", "phone") == [
        ("1990", 75090001234, 912345678),
        (1991, 123456789012, "0987654321"),
        (1992, 271234567, 84912345678),
    ]
    assert {type(value) for value in result.records["citizen_id"]} == {int}
    assert [values[3:] for values in result.records["source_values"]] == [
        ("75090001234", "912345678"),
        ("123456789012", "0987654321"),
        ("271234567", "84912345678"),
    ]


def test_source_values_show_dates_as_excel_does_on_every_row(tmp_path: Path) -> None:
    # More rows than the loader assembles at a time: every record keeps its own cells.
    births = [D(1950, 1, 1) + datetime.timedelta(days=37 * i) for i in range(1_203)]
    path = tmp_path / "pn.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("DS")
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    time_format = workbook.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    sheet.write_row(0, 0, ["STT", "Họ và tên", "Ngày sinh", "Ghi chú"])
    for i, birth in enumerate(births):
        sheet.write_number(i + 1, 0, i + 1)
        sheet.write_string(i + 1, 1, f"Lê Thị Mai {i + 1}")
        sheet.write_datetime(i + 1, 2, birth, date_format)
    sheet.write_datetime(1, 3, datetime.datetime(2024, 3, 5, 14, 7), time_format)
    workbook.close()
    result = _load(source(path, tmp_path, "phunu"))

    values = result.records["source_values"].tolist()
    assert values[0] == ("1", "Lê Thị Mai 1", "01/01/1950", "05/03/2024 14:07")
    expected = [
        (str(i + 1), f"Lê Thị Mai {i + 1}", birth.strftime("%d/%m/%Y"), "")
        for i, birth in enumerate(births)
    ]
    assert values[1:] == expected[1:]
    assert result.records["birth_date"].tolist() == births


@pytest.mark.parametrize(
    ("sample", "name"),
    [
        ("roster_sample.xls", "hoi_phu_nu.xlsx"),
        ("roster_sample.ods", "hoi_phu_nu.xls"),
        ("roster_sample.ods", "hoi_phu_nu.xlsx"),
        ("roster_sample.xls", "hoi_phu_nu.xls"),
    ],
)
def test_a_workbook_loads_whatever_format_its_name_says(
    tmp_path: Path, sample: str, name: str
) -> None:
    path = Path(shutil.copyfile(Path(__file__).parent / "data" / sample, tmp_path / name))
    result = _load(source(path, tmp_path, "phunu"))

    assert _rows(result, "row", "full_name") == [
        (4, "Nguyễn Thị Hoa"),
        (5, "Trần Thị Ánh Tuyết"),
        (6, "Lê Thị Mỹ Dung"),
    ]


def test_table_away_from_a1_keeps_excel_rows_and_columns(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        [],
        [],
        [None, None, "Họ và tên", "Năm sinh"],
        [None, None, "Lê Thị Mai", 1979],
    ]
    path = write_xlsx(tmp_path / "pn.xlsx", {"DS": rows})
    result = _load(source(path, tmp_path, "phunu"))

    assert _rows(result, "row", "full_name", "source_values") == [
        (4, "Lê Thị Mai", ("", "", "Lê Thị Mai", "1979"))
    ]
    (account,) = result.sheets
    assert account.header_row == 3
    assert account.field_columns == (
        ("full_name", "Họ và tên", "C"),
        ("birth_date", "Năm sinh", "D"),
    )


def test_files_skipped_lists_every_roster_that_could_not_be_used(tmp_path: Path) -> None:
    unreadable = write_random_bytes(tmp_path / "hong.xlsx")
    no_table = write_xlsx(tmp_path / "tong_hop.xlsx", {"DS": [["Xã", "Số hội viên"], ["A", 3]]})
    undecided = write_xlsx(
        tmp_path / "ds.xlsx", {"DS": [["DANH SÁCH NÒNG CỐT"], ["Họ tên", "Ngày sinh"], ["Út", 1]]}
    )
    good = write_xlsx(tmp_path / "tot.xlsx", {"DS": [["Họ và tên", "Ngày sinh"], ["An", 2000]]})
    result = _load(
        source(unreadable, tmp_path),
        source(no_table, tmp_path),
        source(undecided, tmp_path, organization=None),
        source(good, tmp_path),
    )

    assert result.files_skipped == ["hong.xlsx", "tong_hop.xlsx", "ds.xlsx"]
    assert result.files_read == ["tot.xlsx"]


@pytest.mark.parametrize(
    ("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (702, "AAA")]
)
def test_column_letter(index: int, letter: str) -> None:
    assert column_letter(index) == letter


# --- fast paths give exactly what the plain helpers give ------------------------------

_TEXTS = (
    "Nguyễn Thị Thuỷ",
    "NGƯỜI LẬP BIỂU",
    "Đặng Văn Ðức",  # the second Đ is an eth
    "Nguye\u0302\u0303n Va\u0306n An",  # decomposed (NFD)
    "Tổng cộng: 25",
    "  Trần\tThị \n Bình  ",
    "Lê\u00a0Văn\u2003Tám",
    "Σίσυφος ς",
    "İstanbul",
    "ǅ ß æ",
    "Họ và tên (1)",
    "",
    " ",
    "075200001234",
    "a\u0301 b",
    "soft\u00adhyphen",
)


def test_reader_cleaning_is_clean() -> None:
    assert _convert_row(_TEXTS) == [clean(text) or None for text in _TEXTS]


def test_a_roster_typed_in_tcvn3_is_converted_and_reported(tmp_path: Path) -> None:
    tcvn3 = [
        ["DANH SÁCH ĐOÀN VIÊN"],
        ["STT", "Họ và tên", "Ngày sinh", "Địa chỉ"],
        [1, "Nguyễn Thị Thuỷ", "12/03/1985", "Ấp 3, xã Phước Thiền"],
        [2, "Trần Văn Hưng", "01/01/1990", "Ấp 1, xã Long Tân"],
        [3, "Lê Thị Hồng Nhung", "05/05/1992", "Tổ 5, ấp Bến Cam"],
    ]
    legacy_rows = [
        [from_unicode(cell, "tcvn3") if isinstance(cell, str) else cell for cell in row]
        for row in tcvn3
    ]
    path = write_xlsx(tmp_path / "doan.xlsx", {"DS": legacy_rows})
    result = _load(source(path, tmp_path))

    assert result.records["full_name"].tolist() == [
        "Nguyễn Thị Thuỷ",
        "Trần Văn Hưng",
        "Lê Thị Hồng Nhung",
    ]
    # TCVN3 has no capital "Ấ": a normal (not uppercase) font shows it lowercase.
    assert result.records["address"].iloc[0] == "ấp 3, xã Phước Thiền"
    notes = [p for p in result.problems if p.rule == "LOAD_LEGACY_ENCODING"]
    assert {p.column for p in notes} >= {"B", "D"}
    assert all("TCVN3" in p.message for p in notes)


def test_cells_in_an_uppercase_tcvn3_font_load_in_capitals(tmp_path: Path) -> None:
    """An uppercase TCVN3 font (".VnTimeH") draws lowercase codes as capitals."""
    path = tmp_path / "phunu.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("DS")
    capitals = workbook.add_format({"font_name": ".VnTimeH", "bold": True})
    body = workbook.add_format({"font_name": ".VnTime"})
    title = from_unicode("hội liên hiệp phụ nữ xã phước thiền", "tcvn3")
    sheet.merge_range("A1:C1", title, capitals)
    lines: list[list[str | int]] = [
        ["STT", "Họ và tên", "Chỗ ở hiện nay"],
        [1, "Trần Văn Hưng", "ấp 1, xã Long Tân"],
        [2, "lê thị hoa", "ấp 3, xã Long Tân"],
    ]
    for r, line in enumerate(lines, start=2):
        for c, value in enumerate(line):
            typed = from_unicode(value, "tcvn3") if isinstance(value, str) else value
            sheet.write(r, c, typed, body)
    sheet.write(5, 0, 3, body)
    sheet.write(5, 1, from_unicode("nguyễn văn bình", "tcvn3"), capitals)
    sheet.write(5, 2, from_unicode("ấp 2, xã Long Tân", "tcvn3"), body)
    workbook.close()

    result = _load(source(path, tmp_path, organization="phunu"))
    names = result.records["full_name"].tolist()
    assert names == ["Trần Văn Hưng", "lê thị hoa", "NGUYỄN VĂN BÌNH"]
    assert result.records["sheet_title"].iloc[0] == "HỘI LIÊN HIỆP PHỤ NỮ XÃ PHƯỚC THIỀN"
    assert result.records["address"].tolist()[1] == "ấp 3, xã Long Tân"
    assert result.sheets[0].columns == ("STT", "Họ và tên", "Chỗ ở hiện nay")


def test_unicode_rosters_are_never_converted(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "doan.xlsx",
        {"DS": [["STT", "Họ và tên", "Năm sinh"], [1, "Nguyễn Thị Lan", 1985], [2, "Hà", 1990]]},
    )
    result = _load(source(path, tmp_path))
    assert not [p for p in result.problems if p.rule == "LOAD_LEGACY_ENCODING"]
    assert result.records["full_name"].tolist() == ["Nguyễn Thị Lan", "Hà"]
