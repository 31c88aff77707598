"""Build tiny roster files in code, so no binary fixture is committed.

`write_xlsx` and `write_csv` write cells as given. `write_roster` writes
lines that say what each row is (title, header, record, set aside, blank),
so a test can check the loader's verdict on every row; the `ROSTERS`
builders use it for the layouts offices keep, and one test runs the
accounting checks over all of them.
"""

from __future__ import annotations

import datetime
import random
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import xlsxwriter

from pipeline.models import SourceFile

Cells = Sequence[Sequence[object]]
Hiding = Literal["hidden", "very_hidden"]
Kind = Literal["title", "header", "record", "aside", "blank"]


@dataclass(frozen=True)
class Formula:
    """A formula cell and the value Excel cached for it when saving."""

    formula: str
    value: str | float


def write_xlsx(
    path: Path,
    sheets: Mapping[str, Cells],
    merges: Mapping[str, Sequence[str]] | None = None,
    hidden: Mapping[str, Hiding] | None = None,
) -> Path:
    """One worksheet per entry; None leaves a cell empty, dates get a date format.

    `merges` maps a sheet name to ranges such as "C3:D3"; the merged value is
    the one written in the range's first cell, as Excel stores it. `hidden`
    hides sheets (the first sheet must stay visible: Excel shows it on opening).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        worksheet = workbook.add_worksheet(name)
        ranges = (merges or {}).get(name, ())
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime.date):
                    as_datetime = datetime.datetime.combine(value, datetime.time())
                    worksheet.write_datetime(r, c, as_datetime, date_format)
                elif isinstance(value, Formula):
                    worksheet.write_formula(r, c, value.formula, None, value.value)
                else:
                    worksheet.write(r, c, value)
        for cell_range in ranges:
            first = cell_range.split(":")[0]
            row_index, col_index = xlsxwriter.utility.xl_cell_to_rowcol(first)
            value = rows[row_index][col_index]
            worksheet.merge_range(cell_range, "" if value is None else value)
        hiding = (hidden or {}).get(name)
        if hiding == "hidden":
            worksheet.hide()
        elif hiding == "very_hidden":
            worksheet.very_hidden()
    workbook.close()
    return path


def write_csv(
    path: Path,
    lines: Sequence[Sequence[str]],
    encoding: str,
    sep: str = ",",
    separator_hint: bool = False,
) -> Path:
    """Lines joined by `sep`; `separator_hint` first writes Excel's "sep=;" line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        if separator_hint:
            handle.write(f"sep={sep}\r\n")
        for line in lines:
            handle.write(sep.join(line) + "\r\n")
    return path


def write_random_bytes(path: Path) -> Path:
    """4 KB of noise, the same every run: fresh noise starts with "<" or a
    byte-order mark now and then, which rightly reads as another kind of file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(random.Random(2018).randbytes(4096))
    return path


def write_docx_as_xlsx(path: Path) -> Path:
    """A Word document's zip layout under an Excel name: a zip without workbook parts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def source(path: Path, root: Path, organization: str | None = "doan") -> SourceFile:
    """A SourceFile as `discover` would return it."""
    return SourceFile(
        path=path,
        relative_path=path.relative_to(root).as_posix(),
        organization=organization,
        organization_reason="theo tên thư mục 'test'" if organization else "chưa xác định",
    )


# --- rosters whose every row says what it is ----------------------------------


@dataclass(frozen=True)
class Line:
    kind: Kind
    cells: Sequence[object] = ()


def title(*cells: object) -> Line:
    return Line("title", cells)


def header(*cells: object) -> Line:
    return Line("header", cells)


def record(*cells: object) -> Line:
    """A row that must become a record."""
    return Line("record", cells)


def aside(*cells: object) -> Line:
    """A row below the header that must be set aside (subtotal, heading, signature)."""
    return Line("aside", cells)


def blank() -> Line:
    return Line("blank")


@dataclass(frozen=True)
class Roster:
    """A roster file written by a builder, with the loader's expected verdicts."""

    path: Path
    organization: str | None
    # sheet -> 1-based Excel rows, by the kind of line written there
    rows: dict[str, dict[Kind, list[int]]] = field(default_factory=dict)

    def source(self, root: Path) -> SourceFile:
        return source(self.path, root, self.organization)

    def expected(self, kind: Kind) -> set[tuple[str, int]]:
        """(sheet, row) of every line of this kind."""
        return {(sheet, row) for sheet, kinds in self.rows.items() for row in kinds.get(kind, [])}


def _verdicts(lines: Sequence[Line]) -> dict[Kind, list[int]]:
    kinds: dict[Kind, list[int]] = {}
    for row, line in enumerate(lines, start=1):
        kinds.setdefault(line.kind, []).append(row)
    return kinds


def write_roster(
    path: Path,
    sheets: dict[str, Sequence[Line]],
    organization: str | None = "doan",
    merges: Mapping[str, Sequence[str]] | None = None,
    hidden: Mapping[str, Hiding] | None = None,
) -> Roster:
    cells = {name: [line.cells for line in lines] for name, lines in sheets.items()}
    write_xlsx(path, cells, merges, hidden)
    return Roster(path, organization, {name: _verdicts(lines) for name, lines in sheets.items()})


def write_roster_csv(
    path: Path,
    lines: Sequence[Line],
    organization: str | None = "doan",
    sep: str = ";",
    separator_hint: bool = False,
) -> Roster:
    """A CSV roster; with `separator_hint` row numbers still count from the line after it."""
    cells = [[str(cell) for cell in line.cells] for line in lines]
    write_csv(path, cells, "utf-8-sig", sep, separator_hint)
    return Roster(path, organization, {"": _verdicts(lines)})


D = datetime.date


def doan_with_title_and_signature(folder: Path) -> Roster:
    """Title rows, a column-number row, a spacer, a subtotal and a signature block."""
    return write_roster(
        folder / "doan.xlsx",
        {
            "DS": [
                title("ĐOÀN TNCS HỒ CHÍ MINH"),
                title("DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025"),
                blank(),
                header("STT", "Họ và tên", "Ngày sinh", "Số CCCD", "Chức vụ", "Nòng cốt"),
                header("(1)", "(2)", "(3)", "(4)", "(5)", "(6)"),
                record(1, "Nguyễn  Văn An", D(2000, 1, 2), "075200001234", "Bí thư", "x"),
                blank(),
                record(2, "Trần Thị\nBình", D(2001, 3, 4), None, "Đoàn viên", None),
                aside(None, "Tổng cộng", None, None, None, 1),
                blank(),
                aside(None, None, None, None, "Nhơn Trạch, ngày 15 tháng 3 năm 2025"),
                aside(None, "NGƯỜI LẬP BIỂU", None, None, "BÍ THƯ"),
                aside(None, "Lê Văn Cường", None, None, "Phạm Thị Dung"),
            ]
        },
        merges={"DS": ["A1:F1", "A2:F2"]},
    )


def nongdan_with_sex_columns(folder: Path) -> Roster:
    """A two-row merged header whose "Nam" | "Nữ" columns hold the birth date."""
    return write_roster(
        folder / "hnd.xlsx",
        {
            "DS": [
                title("HỘI NÔNG DÂN VIỆT NAM"),
                header("STT", "Họ và tên", "Ngày sinh", None, "Địa chỉ", None, "Chức vụ"),
                header(None, None, "Nam", "Nữ", "Ấp/KP", "Xã/Phường", None),
                record(1, "Lê Văn Tám", "10.05.1980", None, "Ấp 1", "Phước Thiền", "Hội viên"),
                record(2, "Võ Thị Hoa", None, D(1975, 2, 1), "Ấp 3", "Long Tân", "Chi hội trưởng"),
            ]
        },
        organization="nongdan",
        merges={"DS": ["A2:A3", "B2:B3", "C2:D2", "E2:F2", "G2:G3"]},
    )


def congdoan_with_repeated_header(folder: Path) -> Roster:
    """Pages pasted one below the other repeat the header; a signer's title ends it."""
    columns = ("STT", "Họ và tên", "Ngày sinh", "Chức vụ")
    return write_roster(
        folder / "cd.xlsx",
        {
            "DS": [
                header(*columns),
                record(1, "Hồ Văn Bảy", D(1990, 1, 1), "Chủ tịch"),
                aside(*columns),
                record(2, "Ngô Thị Tư", D(1992, 2, 2), "Ủy viên"),
                aside(None, "Ký tên", None, None),
            ]
        },
        organization="congdoan",
    )


def phunu_with_split_birth_date(folder: Path) -> Roster:
    """The birth date split into "Ngày" | "Tháng" | "Năm" under a merged header."""
    return write_roster(
        folder / "pn.xlsx",
        {
            "DS": [
                title("HỘI LHPN XÃ PHƯỚC THIỀN"),
                header("STT", "Họ và tên", "Ngày tháng năm sinh", None, None, "Chức vụ"),
                header(None, None, "Ngày", "Tháng", "Năm", None),
                record(1, "Lê Thị Mai", 5, 9, 1985, "Hội viên"),
                record(2, "Phan Thị Cúc", "07", "11", "1990", "Chi hội phó"),
                record(3, "Đỗ Thị Lài", None, None, 1979, "Hội viên"),
                record(4, "Vũ Thị Nga", 31, 2, 1988, "Hội viên"),
                record(5, "Hồ Thị Yến", None, None, None, "Hội viên"),
            ]
        },
        organization="phunu",
        merges={"DS": ["A2:A3", "B2:B3", "C2:E2", "F2:F3"]},
    )


def doan_with_section_headings(folder: Path) -> Roster:
    """Rows grouped under headings, one merged across the row, one in the name column."""
    return write_roster(
        folder / "doan.xlsx",
        {
            "DS": [
                title("ĐOÀN XÃ PHƯỚC THIỀN"),
                header("STT", "Họ và tên", "Ngày sinh", "Chi đoàn", "Chức vụ"),
                aside("I. Chi đoàn Ấp 1"),
                record(1, "Nguyễn Văn An", D(2000, 1, 2), None, "Bí thư"),
                record(2, "Trần Thị Bình", D(2001, 3, 4), "Chi đoàn Ấp 5", "Đoàn viên"),
                aside(None, "Chi hội Ấp 2"),
                record(3, "Lê Văn Cường", D(1999, 5, 6), None, "Đoàn viên"),
                # A name alone is still a person (validation asks for the rest).
                record(None, "Tô Văn Ba"),
                aside(None, "II. BAN CHẤP HÀNH"),
                record(4, "Phạm Thị Dung", D(1998, 7, 8), None, "Phó bí thư"),
                blank(),
                aside(None, "Xã Phước Thiền, ngày 15 tháng 3 năm 2025"),
                aside(None, "BÍ THƯ"),
            ]
        },
        merges={"DS": ["A3:E3"]},
    )


def phunu_with_hidden_sheets(folder: Path) -> Roster:
    """A visible roster, an old hidden copy and a very hidden one: all three are read."""
    lines = [
        header("Họ và tên", "Năm sinh"),
        record("Lê Thị Mai", 1979),
        record("Phan Thị Cúc", 1985),
    ]
    return write_roster(
        folder / "pn.xlsx",
        {"Phước Thiền": lines, "Bản cũ": lines[:2], "Nháp": lines[:2]},
        organization="phunu",
        hidden={"Bản cũ": "hidden", "Nháp": "very_hidden"},
    )


def ccb_with_formulas(folder: Path) -> Roster:
    """Row numbers and a name computed by formulas: the values Excel cached are read."""
    return write_roster(
        folder / "ccb.xlsx",
        {
            "CCB": [
                header("STT", "Họ và tên", "Năm sinh", "Số CCCD"),
                record(1, "Nguyễn Văn Sơn", 1956, "075056001234"),
                record(Formula("=A2+1", 2), Formula('=PROPER("trần văn ba")', "Trần Văn Ba"), 1950),
                aside(None, Formula('="Tổng cộng: "&COUNTA(B2:B3)', "Tổng cộng: 2")),
            ]
        },
        organization="ccb",
    )


def congdoan_with_numbers_typed_as_numbers(folder: Path) -> Roster:
    """IDs and phones typed as numbers, row numbers and a year typed as text."""
    return write_roster(
        folder / "cd.xlsx",
        {
            "DS": [
                header("STT", "Họ và tên", "Năm sinh", "Số CCCD", "Số điện thoại"),
                record("1", "Đỗ Văn Út", "1990", 75090001234, 912345678),
                record("2", "Mai Thị Hà", 1991, 123456789012, "0987654321"),
                record("3", "Lâm Văn Tư", 1992, 271234567.0, 84912345678),
            ]
        },
        organization="congdoan",
    )


def doan_csv_with_separator_hint(folder: Path) -> Roster:
    """Excel's "sep=," first line: the addresses hold more semicolons than the
    header holds commas, so without the hint the delimiter would be guessed wrong."""
    return write_roster_csv(
        folder / "doan.csv",
        [
            header("STT", "Họ và tên", "Ngày sinh", "Địa chỉ"),
            record(
                "1", "Nguyễn Thị Thuỷ", "05/09/2001", "Số 5; Tổ 1; Ấp 2; Xã Long Tân; Nhơn Trạch"
            ),
            record("2", "Trần Văn Hưng", "1999", ""),
            aside("", "Người lập biểu", "", ""),
        ],
        sep=",",
        separator_hint=True,
    )


ROSTERS: tuple[Callable[[Path], Roster], ...] = (
    doan_with_title_and_signature,
    nongdan_with_sex_columns,
    congdoan_with_repeated_header,
    phunu_with_split_birth_date,
    doan_with_section_headings,
    phunu_with_hidden_sheets,
    ccb_with_formulas,
    congdoan_with_numbers_typed_as_numbers,
    doan_csv_with_separator_hint,
)
