"""load: rosters as offices keep them become records, every row accounted for."""

from __future__ import annotations

import datetime
import unicodedata
from pathlib import Path

import pytest

from pipeline.models import (
    LOAD_COLUMNS,
    PROVENANCE_COLUMNS,
    RAW_FIELDS,
    LoadResult,
    Severity,
    SourceFile,
)
from pipeline.progress import NoProgress
from pipeline.settings import EXAMPLES_DIR, load_settings
from pipeline.stages.discover import discover
from pipeline.stages.load import load
from tests.workbook_builders import (
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
    path = write_xlsx(
        tmp_path / "doan.xlsx",
        {
            "DS": [
                ["ĐOÀN TNCS HỒ CHÍ MINH"],
                ["DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025"],
                [],
                ["STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Chức vụ", "Nòng cốt"],
                ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
                [1, "Nguyễn  Văn An", D(2000, 1, 2), "075200001234", "Bí thư", "x"],
                [],
                [2, "Trần Thị\nBình", D(2001, 3, 4), None, "Đoàn viên", None],
                [None, "Tổng cộng", None, None, None, 1],
                [],
                [None, None, None, None, "Nhơn Trạch, ngày 15 tháng 3 năm 2025"],
                [None, "NGƯỜI LẬP BIỂU", None, None, "BÍ THƯ"],
                [None, "Lê Văn Cường", None, None, "Phạm Thị Dung"],
            ]
        },
        merges={"DS": ["A1:F1", "A2:F2"]},
    )
    result = _load(source(path, tmp_path))

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
    header_top = ["STT", "Họ và tên", "Ngày sinh", None, "Địa chỉ", None, "Chức vụ"]
    header_low = [None, None, "Nam", "Nữ", "Ấp/KP", "Xã/Phường", None]
    path = write_xlsx(
        tmp_path / "hnd.xlsx",
        {
            "DS": [
                ["HỘI NÔNG DÂN VIỆT NAM"],
                header_top,
                header_low,
                [1, "Lê Văn Tám", "10.05.1980", None, "Ấp 1", "Phước Thiền", "Hội viên"],
                [2, "Võ Thị Hoa", None, D(1975, 2, 1), "Ấp 3", "Long Tân", "Chi hội trưởng"],
            ]
        },
        merges={"DS": ["A2:A3", "B2:B3", "C2:D2", "E2:F2", "G2:G3"]},
    )
    result = _load(source(path, tmp_path))

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
    header = ["STT", "Họ và tên", "Ngày sinh", "Chức vụ"]
    path = write_xlsx(
        tmp_path / "cd.xlsx",
        {
            "DS": [
                header,
                [1, "Hồ Văn Bảy", D(1990, 1, 1), "Chủ tịch"],
                header,
                [2, "Ngô Thị Tư", D(1992, 2, 2), "Ủy viên"],
                [None, "Ký tên", None, None],
            ]
        },
    )
    result = _load(source(path, tmp_path, "congdoan"))

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
    lines = [
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
    assert "chi tiết kỹ thuật" in file_problems[0].message
    assert result.files_skipped == ["hong.xlsx", "van_ban.xlsx"]
    assert result.files_read == ["tot.xlsx"]
    assert result.records["full_name"].tolist() == ["An"]


def test_ole2_container_named_xlsx_gets_the_password_hint(tmp_path: Path) -> None:
    # Excel stores a password-protected .xlsx inside an OLE2 compound file.
    path = tmp_path / "mat_khau.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088))
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
