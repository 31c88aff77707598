"""Stage `load`: read every roster into one DataFrame of raw records.

Per sheet: find the header row (one or two rows, merged group labels
allowed), keep the title rows above it, turn each data row into a record and
set aside what is not a person (subtotals, repeated headers, section
headings, the signature block). Every row below the header is accounted for:
rows_in == records + set_aside. A file that cannot be read becomes one FILE
problem.

A roster of hundreds of thousands of rows must load no slower than pandas
reads it (bench/load.py), so the per-row path is ordered for the ordinary
record: cheap checks that rule out a subtotal, heading or signature come
before any folding, and records are assembled column by column.
"""

from __future__ import annotations

import datetime
import gc
import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import openpyxl
import pandas as pd

from pipeline.legacy import convert_grid, uppercase_font
from pipeline.models import (
    LOAD_COLUMNS,
    PROVENANCE_COLUMNS,
    RAW_FIELDS,
    LoadResult,
    Problem,
    Severity,
    SheetAccount,
    SourceFile,
)
from pipeline.progress import Progress
from pipeline.readers import Cell, Row, Sheet, UnreadableFileError, read_roster
from pipeline.settings import Settings
from pipeline.stages.discover import find_organizations, organization_names
from pipeline.text import display_value, fold

RECORD_COLUMNS = PROVENANCE_COLUMNS + RAW_FIELDS + LOAD_COLUMNS
_TABLE_BLOCK = 500  # record rows per block of _table
HEADER_SEARCH_ROWS = 15
MIN_HEADER_FIELDS = 2

_NAME_FIELDS = ("full_name", "surname_middle", "given_name")
# The birth date split over "Ngày" | "Tháng" | "Năm" columns. Folded, "Năm"
# (year) reads "Nam" (male), so the year column is recognised only by its
# place after "Tháng" (headers.toml lists its labels under birth_year).
_BIRTH_PARTS = ("birth_day", "birth_month", "birth_year")
# Values that show a row is about a person even when its name cell is empty.
_IDENTITY_FIELDS = (
    "birth_date",
    "birth_date_male",
    "birth_date_female",
    *_BIRTH_PARTS,
    "citizen_id",
    "phone",
)
_Objects = npt.NDArray[np.object_]

# Subtotal labels are compared with their tone marks when typed with them:
# folded, "Tống Công Minh" (a person) would read as "Tổng cộng". Without marks
# a bare "cong" must be followed by a number or punctuation ("Cong: 25").
_SUBTOTAL_MARKED = re.compile(r"(tổng cộng|tổng số|cộng)\b")
_SUBTOTAL_PLAIN = re.compile(r"(tong cong|tong so)\b|cong\s*(?:$|[^a-z\s])")
_FOOTER = re.compile(
    r"\b(nguoi lap bieu|nguoi lap bang|chu tich|bi thu|truong ban|xac nhan|ky ten|thu truong)\b"
    r"|\bngay\b.*\bthang\b.*\bnam\b"
)
_COLUMN_NUMBER = re.compile(r"\(?(\d{1,2})\)?")
_ROW_NUMBER = re.compile(r"\d+\.?")
_NON_KEY = re.compile(r"[^0-9a-z]")

# Section headings ("I. Chi đoàn Ấp 1", "Chi hội Ấp 2") group the rows below
# them. Like subtotals they are read with their marks when typed with them:
# folded, "Tô Văn Ba" would read as the group "Tổ …". Without marks the short
# unit words need a number after them ("To 5", "Ap 3").
_ENUMERATION = re.compile(r"(?:[ivxlcdm]+|[a-zđ]|\d{1,3})\s*[.):/-]\s*", re.IGNORECASE)
_LETTER_ENUMERATION = re.compile(r"(?:[ivxlcdm]+|[a-zđ])\s*[.):/-]\s*\S")
_UNITS_PLAIN = "chi doan|chi hoi|cong doan|khu pho|don vi|bo phan|phan xuong|thi tran"
_UNIT_MARKED = re.compile(
    r"(?:chi đoàn|chi hội|tổ hội|tổ công đoàn|công đoàn|chi bộ|tổ|ấp|khu phố|khu|kp|thôn|xóm"
    rf"|đơn vị|bộ phận|phân xưởng|phòng|xã|phường|thị trấn|{_UNITS_PLAIN})(?:\s+\S|\s*\d)"
)
_UNIT_PLAIN = re.compile(rf"(?:{_UNITS_PLAIN})\s+\S|(?:to|ap|khu|kp|thon|xom)\s*\d")
# "Chi hội trưởng" alone on a row is a signer's title, not a group.
_POSITION_MARKED = re.compile(r"(?:chi đoàn|chi hội|tổ hội|tổ|công đoàn)\s+(?:trưởng|phó)\b")
_POSITION_PLAIN = re.compile(r"(?:chi doan|chi hoi|to hoi|to|cong doan)\s+(?:truong|pho)\b")

_SET_ASIDE_MESSAGES = {
    "LOAD_SUBTOTAL": "Dòng tổng cộng, không phải một người; đã để riêng, không đưa vào đối soát.",
    "LOAD_COLUMN_NUMBERS": "Dòng đánh số cột (1, 2, 3…), không phải một người; đã để riêng.",
    "LOAD_REPEATED_HEADER": (
        "Dòng lặp lại tên cột (thường do danh sách được ghép từ nhiều trang); đã để riêng."
    ),
    "LOAD_SECTION_HEADING": (
        "Dòng tiêu đề nhóm trong bảng (ví dụ 'I. Chi đoàn Ấp 1', 'Chi hội Ấp 2'), không phải "
        "một người; đã để riêng. Nếu dòng này nêu chi đoàn, chi hội, tổ hay ấp, những người bên "
        "dưới chưa ghi chi đoàn/chi hội được xếp vào nhóm đó."
    ),
    "LOAD_FOOTER": (
        "Bắt đầu phần chữ ký cuối danh sách (người lập biểu, nơi và ngày lập…); dòng này và "
        "mọi dòng sau đã để riêng, không đưa vào đối soát. Nếu phía dưới còn người trong danh "
        "sách, hãy chuyển phần chữ ký xuống cuối."
    ),
    "LOAD_AFTER_FOOTER": (
        "Dòng nằm sau phần chữ ký cuối danh sách; đã để riêng. Nếu đây là một người trong "
        "danh sách, hãy chuyển dòng này lên trên phần chữ ký."
    ),
}
_HIDDEN_SHEET_MESSAGES = {
    "hidden": (
        "Trang tính '{sheet}' đang bị ẩn trong Excel nhưng vẫn được đọc như các trang khác. "
        "Nếu trang này không còn dùng (bản cũ, bản nháp), hãy xóa trang hoặc chuyển sang tệp "
        "khác để không bị tính trùng."
    ),
    "very_hidden": (
        "Trang tính '{sheet}' bị ẩn sâu (không hiện lại được bằng lệnh Bỏ ẩn của Excel, chỉ "
        "bằng VBA) nhưng vẫn được đọc như các trang khác. Hãy hỏi người lập tệp trang này còn "
        "dùng không; nếu không, hãy xóa trang để không bị tính trùng."
    ),
}


def load(files: list[SourceFile], settings: Settings, progress: Progress) -> LoadResult:
    progress.start("Đọc danh sách", len(files))
    headers = _Headers.from_settings(settings)
    parts: list[_SheetRecords] = []
    result = LoadResult(records=pd.DataFrame())
    with _collector_paused():
        for source in files:
            try:
                outcome = _load_file(source, settings, headers)
            except UnreadableFileError as exc:
                outcome = _FileOutcome(problems=[_unreadable(source, exc)])
            except Exception as exc:  # one bad file must never stop the run
                outcome = _FileOutcome(problems=[_failed(source, exc)])
            result.problems.extend(outcome.problems)
            if outcome.sheets:
                result.sheets.extend(outcome.sheets)
                result.files_read.append(source.relative_path)
                parts.extend(outcome.records)
            else:
                result.files_skipped.append(source.relative_path)
            progress.advance()
        result.records = _frame(parts)
    progress.finish()
    return result


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while the rosters are read.

    Reading a large roster builds hundreds of thousands of row lists but no
    reference cycles; the collector would walk them again and again as they
    pile up, for nothing (tenths of a second at 200,000 rows). Reference
    counting still frees everything as usual. What outlives the pause is
    held in numpy object arrays, which the collector does not walk, and the
    row tuples of source_values, which it no longer tracks (_table).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass
class _SheetRecords:
    """A sheet's records, one object array per record column."""

    columns: dict[str, _Objects]  # every RECORD_COLUMNS entry

    def __len__(self) -> int:
        return len(self.columns["row"])


def _objects(values: Iterable[object], count: int) -> _Objects:
    # fromiter keeps each value (a tuple too) as one object.
    return np.fromiter(values, dtype=object, count=count)


def _repeated(value: object, count: int) -> _Objects:
    """`count` references to one value. np.full would cast a str through
    numpy's unicode dtype and back, making a new copy of it per row."""
    array = np.empty(count, dtype=object)
    array.fill(value)
    return array


def _frame(parts: list[_SheetRecords]) -> pd.DataFrame:
    """One object-dtype DataFrame from the sheets' records.

    Each column is one object array, used by pandas as it is (given lists,
    pandas would infer a string dtype per column, and copy).
    """
    total = sum(map(len, parts))
    arrays: dict[str, _Objects] = {}
    for column in RECORD_COLUMNS:
        if len(parts) == 1:
            arrays[column] = parts[0].columns[column]
        else:
            arrays[column] = _objects(
                itertools.chain.from_iterable(part.columns[column] for part in parts), total
            )
    return pd.DataFrame(arrays, dtype=object, copy=False)


@dataclass(frozen=True)
class _Headers:
    """Header keys (pipeline.text.header_key) and the field each names."""

    synonyms: dict[str, str]  # key -> field; the first field listing a key keeps it
    year_keys: frozenset[str]  # labels of the year column after "Ngày" | "Tháng"

    @classmethod
    def from_settings(cls, settings: Settings) -> _Headers:
        synonyms: dict[str, str] = {}
        for name, keys in settings.header_synonyms.items():
            if name == "birth_year":
                continue  # recognised by its place, see _BIRTH_PARTS
            for key in keys:
                synonyms.setdefault(key, name)
        year_keys = frozenset(settings.header_synonyms.get("birth_year", ()))
        return cls(synonyms=synonyms, year_keys=year_keys)


def _key(folded: str) -> str:
    """pipeline.text.header_key of a text already folded."""
    return _NON_KEY.sub("", folded)


@dataclass
class _FileOutcome:
    problems: list[Problem]
    sheets: list[SheetAccount] = field(default_factory=list)
    records: list[_SheetRecords] = field(default_factory=list)


@dataclass(frozen=True)
class _Layout:
    """Where a sheet's table is and what each column holds."""

    header_row: int  # 0-based row index of the last header row
    first_data: int  # 0-based row index where data rows may start
    labels: tuple[str, ...]  # per column, as written ("" when blank)
    fields: tuple[str | None, ...]  # per column, None when not recognized
    header_keys: tuple[frozenset[str], ...]  # per column, keys of its header cells
    columns_of: dict[str, tuple[int, ...]]  # field -> columns, left to right
    name_cols: tuple[int, ...]  # columns of _NAME_FIELDS
    last_name_col: int  # a section heading sits in a name column or left of it
    identity_cols: tuple[int, ...]  # columns of _IDENTITY_FIELDS
    row_number_cols: tuple[int, ...]

    def cols(self, *names: str) -> tuple[int, ...]:
        return _columns_for(self.columns_of, names)


def _columns_for(columns_of: dict[str, tuple[int, ...]], names: Sequence[str]) -> tuple[int, ...]:
    return tuple(j for name in names for j in columns_of.get(name, ()))


@dataclass
class _SheetPlan:
    """A sheet read and classified; records still lack their organization."""

    sheet: str
    layout: _Layout
    title_cells: list[str]
    width: int
    records: _SheetRecords
    set_aside: int
    rows_in: int
    problems: list[Problem]

    @property
    def title(self) -> str:
        return " | ".join(self.title_cells)

    @property
    def field_columns(self) -> tuple[tuple[str, str, str], ...]:
        return tuple(
            (name, self.layout.labels[j], column_letter(j))
            for j, name in enumerate(self.layout.fields[: self.width])
            if name is not None
        )


def column_letter(index: int) -> str:
    """Excel's letter for a 0-based column index: 0 -> "A", 26 -> "AA"."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def _load_file(source: SourceFile, settings: Settings, headers: _Headers) -> _FileOutcome:
    problems: list[Problem] = []
    plans: list[_SheetPlan] = []
    # Sheets come one at a time; a plan keeps the records, never the grid.
    for sheet in read_roster(source.path):
        plan = _plan_sheet(_to_unicode(sheet, source, problems), source, headers, problems)
        # Unbound now: the loop would keep this grid while reading the next.
        del sheet
        if plan is not None:
            plans.append(plan)
    if not plans:
        message = (
            f"Tệp '{source.relative_path}' không có bảng danh sách nào đọc được (xem các ghi chú "
            "của tệp này); đã bỏ qua cả tệp. Danh sách cần một dòng tên cột có cột 'Họ và tên'."
        )
        return _FileOutcome(problems=[*problems, _file_problem(source, "LOAD_NO_TABLE", message)])

    code, org_problems = _decide_organization(source, plans, settings)
    if code is None:
        return _FileOutcome(problems=org_problems)

    outcome = _FileOutcome(problems=[replace(p, organization=code) for p in problems])
    outcome.problems.extend(org_problems)
    for plan in plans:
        outcome.problems.extend(replace(p, organization=code) for p in plan.problems)
        plan.records.columns["organization"] = _repeated(code, len(plan.records))
        outcome.records.append(plan.records)
        outcome.sheets.append(
            SheetAccount(
                source_file=source.relative_path,
                sheet=plan.sheet,
                organization=code,
                header_row=plan.layout.header_row + 1,
                rows_in=plan.rows_in,
                records=len(plan.records),
                set_aside=plan.set_aside,
                columns=plan.layout.labels[: plan.width],
                field_columns=plan.field_columns,
            )
        )
    return outcome


# --- legacy encodings ------------------------------------------------------

_ENCODING_NAMES = {"tcvn3": "TCVN3 (ABC, phông .VnTime)", "vni": "VNI (phông VNI-Times)"}


def _uppercase_font_cells(source: SourceFile, sheet: str) -> Callable[[int, int], bool] | None:
    """Whether a cell uses an uppercase TCVN3 font (".VnTimeH"): its text holds
    lowercase codes shown as capitals. Fonts are only in .xlsx/.xlsm styles, and
    are read (with openpyxl, slowly) only when a converted cell asks."""
    if source.path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    cells: set[tuple[int, int]] | None = None

    def uppercase(row: int, column: int) -> bool:
        nonlocal cells
        if cells is None:
            cells = set()
            try:
                workbook = openpyxl.load_workbook(source.path, read_only=True)
                try:
                    for line in workbook[sheet].iter_rows():
                        for cell in line:
                            font = getattr(cell, "font", None)
                            if font is not None and uppercase_font(font.name):
                                cells.add((cell.row - 1, cell.column - 1))
                finally:
                    workbook.close()
            except Exception:
                cells = set()
        return (row, column) in cells

    return uppercase


def _to_unicode(sheet: Sheet, source: SourceFile, problems: list[Problem]) -> Sheet:
    """The sheet with columns typed in TCVN3 or VNI converted to Unicode, and a
    note for each converted column."""
    rows, conversions = convert_grid(sheet.rows, _uppercase_font_cells(source, sheet.name))
    for conversion in conversions:
        letter = column_letter(conversion.column)
        message = (
            f"Cột {letter} được gõ bằng bảng mã cũ {_ENCODING_NAMES[conversion.encoding]}; "
            f"đã chuyển {conversion.cells_changed} ô sang Unicode (ví dụ "
            f"'{conversion.example_before}' → '{conversion.example_after}'). Kiểm tra lại vài "
            "ô; nên lưu lại danh sách bằng Unicode."
        )
        problems.append(
            _sheet_note(
                source,
                sheet.name,
                "LOAD_LEGACY_ENCODING",
                message,
                value=conversion.example_before,
                column=letter,
            )
        )
    return replace(sheet, rows=rows) if conversions else sheet


# --- header ---------------------------------------------------------------


def _plan_sheet(
    sheet: Sheet, source: SourceFile, headers: _Headers, problems: list[Problem]
) -> _SheetPlan | None:
    rows = sheet.rows
    where = f"Trang tính '{sheet.name}'" if sheet.name else "Tệp CSV"
    if all(row.count(None) == len(row) for row in rows):
        message = f"{where} trống; đã bỏ qua."
        problems.append(_sheet_note(source, sheet.name, "LOAD_EMPTY_SHEET", message))
        return None
    header = _find_header(rows, headers.synonyms)
    if header is None:
        message = (
            f"{where} không có dòng tiêu đề nhận ra được (cần cột 'Họ và tên', hoặc hai cột "
            f"'Họ và tên đệm' và 'Tên', cùng ít nhất một cột khác như 'Ngày sinh' trong "
            f"{HEADER_SEARCH_ROWS} dòng đầu), đã bỏ qua. Nếu đây là danh sách, hãy thêm tên "
            "cột vào schemas/headers.toml."
        )
        problems.append(_sheet_note(source, sheet.name, "LOAD_NO_HEADER", message))
        return None
    if sheet.visibility != "visible":
        message = _HIDDEN_SHEET_MESSAGES[sheet.visibility].format(sheet=sheet.name)
        problems.append(_sheet_note(source, sheet.name, "LOAD_HIDDEN_SHEET", message))
    layout = _layout(rows, header, headers)
    title_cells = [display_value(c) for row in rows[:header] for c in row if c is not None]
    return _classify(sheet, layout, title_cells, source)


def _header_fields(row: Row, synonyms: dict[str, str]) -> set[str]:
    return {
        name for cell in row if isinstance(cell, str) and (name := synonyms.get(_key(fold(cell))))
    }


def _has_name(fields: set[str]) -> bool:
    return "full_name" in fields or {"surname_middle", "given_name"} <= fields


def _find_header(rows: list[Row], synonyms: dict[str, str]) -> int | None:
    """Index of the first row with the most recognized headers, if it names people."""
    best, best_count = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        fields = _header_fields(row, synonyms)
        if _has_name(fields) and len(fields) >= MIN_HEADER_FIELDS and len(fields) > best_count:
            best, best_count = i, len(fields)
    return best


def _is_sub_header(top: Row, below: Row, synonyms: dict[str, str]) -> bool:
    """Whether `below` holds the lower labels of a two-row header.

    Every label in it must be a known header or sit under a blank top cell
    (the continuation of a merged group label such as "Ngày sinh" over
    "Nam" | "Nữ"), and at least one must be a known header.
    """
    recognized = False
    for upper, cell in zip(top, below, strict=True):
        if cell is None:
            continue
        if not isinstance(cell, str):
            return False
        known = _key(fold(cell)) in synonyms
        if not known and upper is not None:
            return False
        recognized = recognized or known
    return recognized


def _layout(rows: list[Row], header: int, headers: _Headers) -> _Layout:
    synonyms = headers.synonyms
    top = rows[header]
    below = rows[header + 1] if header + 1 < len(rows) else None
    if below is not None and _is_sub_header(top, below, synonyms):
        uppers = _fill_group_labels(top, below)
        lowers: Row = below
        last = header + 1
    else:
        uppers, lowers, last = top, [None] * len(top), header

    labels: list[str] = []
    fields: list[str | None] = []
    keys: list[frozenset[str]] = []
    own_keys: list[str] = []  # the key that named each column's field
    for upper, lower in zip(uppers, lowers, strict=True):
        upper_text = display_value(upper)
        lower_text = display_value(lower)
        upper_key, lower_key = _key(fold(upper_text)), _key(fold(lower_text))
        # A lower label is the more specific one ("Nam" under "Ngày sinh").
        fields.append(synonyms.get(lower_key) or synonyms.get(upper_key))
        own_keys.append(lower_key if lower_key in synonyms else upper_key)
        labels.append(" / ".join(text for text in (upper_text, lower_text) if text))
        keys.append(frozenset(k for k in (upper_key, lower_key) if k))
    _place_birth_parts(fields, own_keys, headers.year_keys)

    columns_of: dict[str, list[int]] = {}
    for j, name in enumerate(fields):
        if name is not None:
            columns_of.setdefault(name, []).append(j)
    first_data = last + 1
    # The "1 | 2 | 3" row printed under many headers is part of the header.
    if first_data < len(rows) and _is_column_numbers(rows[first_data]):
        first_data += 1
    frozen = {name: tuple(cols) for name, cols in columns_of.items()}
    return _Layout(
        header_row=last,
        first_data=first_data,
        labels=tuple(labels),
        fields=tuple(fields),
        header_keys=tuple(keys),
        columns_of=frozen,
        name_cols=_columns_for(frozen, _NAME_FIELDS),
        last_name_col=max(_columns_for(frozen, _NAME_FIELDS), default=-1),
        identity_cols=_columns_for(frozen, _IDENTITY_FIELDS),
        row_number_cols=frozen.get("row_number", ()),
    )


def _place_birth_parts(
    fields: list[str | None], own_keys: list[str], year_keys: frozenset[str]
) -> None:
    """Keep "Ngày" | "Tháng" | "Năm" as a birth date only when all three stand in order.

    The year's label is taken for the male birth-date column ("Năm" folds to
    "Nam") until its place after "Tháng" says otherwise; a "Ngày" or "Tháng"
    column on its own is some other date and stays unrecognized.
    """
    day, month, year = _BIRTH_PARTS
    complete: set[int] = set()
    for j in range(len(fields) - 2):
        if (fields[j], fields[j + 1]) == (day, month) and own_keys[j + 2] in year_keys:
            fields[j + 2] = year
            complete.update((j, j + 1, j + 2))
    for j, name in enumerate(fields):
        if name in (day, month) and j not in complete:
            fields[j] = None


def _fill_group_labels(top: Row, below: Row) -> Row:
    """Repeat a merged group label over the blank cells it spans.

    calamine leaves a merged cell's value in its first cell only; the span is
    the run of blank top cells that have a label below them.
    """
    filled: Row = []
    carry: Cell | None = None
    for upper, lower in zip(top, below, strict=True):
        if upper is not None:
            carry = upper
        elif lower is None:
            carry = None
        filled.append(carry)
    return filled


# --- rows -----------------------------------------------------------------


def _classify(
    sheet: Sheet, layout: _Layout, title_cells: list[str], source: SourceFile
) -> _SheetPlan:
    rows = sheet.rows
    record_rows: list[int] = []
    # (index of the first record below a section heading, the group it names)
    groups: list[tuple[int, str | None]] = []
    problems: list[Problem] = []
    rows_in = 0
    in_footer = False
    names = _NameChecks()
    # The usual record starts with its row number and has a plain name. A row
    # starting with a number other than 1 cannot be column numbers, a subtotal
    # or a section heading, so of _set_aside_reason's checks only the name's
    # remain (a call and a dozen tests spared per row).
    name_col = layout.name_cols[0] if layout.name_cols else 0
    name_header = layout.header_keys[name_col] if layout.name_cols else None
    for r in range(layout.first_data, len(rows)):
        cells = rows[r]
        first_cell = cells[0]
        # Spacer rows occur inside tables; they end nothing. (A record's first
        # cell is rarely empty, which spares counting its empty cells.)
        if first_cell is None and cells.count(None) == len(cells):
            continue
        rows_in += 1
        if in_footer:
            rule, column = "LOAD_AFTER_FOOTER", None
        else:
            if name_header is not None and type(first_cell) is int and first_cell != 1:
                name = cells[name_col]
                if (
                    type(name) is str
                    and (facts := names[name]).plain
                    and (facts.key not in name_header)
                ):
                    record_rows.append(r)
                    continue
            verdict = _set_aside_reason(cells, layout, names)
            if verdict is None:
                record_rows.append(r)
                continue
            rule, column = verdict
            in_footer = rule == "LOAD_FOOTER"
            if rule == "LOAD_SECTION_HEADING" and column is not None:
                groups.append((len(record_rows), _heading_group(str(cells[column]))))
        problems.append(_set_aside_problem(source, sheet.name, r, cells, rule, column, layout))

    width = _table_width(rows, layout, record_rows)
    problems.extend(_column_notes(source, sheet.name, layout, width))
    records = _build_records(
        source, sheet.name, rows, layout, record_rows, groups, width, title_cells, problems
    )
    return _SheetPlan(
        sheet=sheet.name,
        layout=layout,
        title_cells=title_cells,
        width=width,
        records=records,
        set_aside=rows_in - len(record_rows),
        rows_in=rows_in,
        problems=problems,
    )


class _NameFacts(NamedTuple):
    """What the row checks need to know of a name cell's text."""

    subtotal: bool  # a subtotal label ("Tổng cộng")
    key: str  # its header key, to spot a repeated header row
    ordinary: bool  # non-empty and free of signature words ("Người lập biểu")
    plain: bool  # ordinary and no subtotal


class _NameChecks(dict[str, _NameFacts]):
    """_NameFacts per distinct text: names repeat, and folding is the costly part."""

    def __missing__(self, text: str) -> _NameFacts:
        folded = fold(text)
        subtotal = _is_subtotal(text)
        ordinary = bool(folded) and not _FOOTER.search(folded)
        facts = _NameFacts(subtotal, _key(folded), ordinary, ordinary and not subtotal)
        self[text] = facts
        return facts


def _set_aside_reason(
    cells: Row, layout: _Layout, names: _NameChecks
) -> tuple[str, int | None] | None:
    """(rule, column) when the row is not a person's record, else None.

    Ordered so an ordinary record costs a few comparisons and one lookup of
    its name's facts.
    """
    first = 0
    while cells[first] is None:
        first += 1
    first_cell = cells[first]
    # A row of column numbers starts with 1 or "(1)"; a record's row number rarely is 1.
    if (first_cell == 1 or type(first_cell) is str) and _is_column_numbers(cells):
        return "LOAD_COLUMN_NUMBERS", None
    if type(first_cell) is str and _is_subtotal(first_cell):
        return "LOAD_SUBTOTAL", first

    name_col = None
    for j in layout.name_cols:
        if cells[j] is not None:
            name_col = j
            break
    name: _NameFacts | None = None
    if name_col is None:
        may_repeat_header = True
    else:
        cell = cells[name_col]
        name = names[cell if type(cell) is str else display_value(cell)]
        if name.subtotal:
            return "LOAD_SUBTOTAL", name_col
        may_repeat_header = name.key in layout.header_keys[name_col]
    if may_repeat_header:
        repeated = _repeated_header_column(cells, layout)
        if repeated is not None:
            return "LOAD_REPEATED_HEADER", repeated
    if (
        type(first_cell) is str
        and first <= layout.last_name_col
        and cells.count(None) == len(cells) - 1  # alone on its row
        and _is_section_heading(first_cell)
    ):
        return "LOAD_SECTION_HEADING", first
    if name is not None and name.ordinary:
        return None
    if _looks_like_person(cells, layout):
        return None
    footer = next(
        (j for j, cell in enumerate(cells) if isinstance(cell, str) and _FOOTER.search(fold(cell))),
        None,
    )
    if footer is not None:
        return "LOAD_FOOTER", footer
    return None


def _is_subtotal(text: str) -> bool:
    lowered = text.lower()
    # Both patterns start with "t" or "c"; most names are ruled out here,
    # before any folding.
    if not lowered.startswith(("t", "c")):
        return False
    if fold(text) == lowered:
        return bool(_SUBTOTAL_PLAIN.match(lowered))
    return bool(_SUBTOTAL_MARKED.match(lowered))


def _heading_forms(text: str) -> tuple[str, re.Pattern[str], re.Pattern[str]]:
    """The text as headings are matched (marks kept when typed), and the patterns for it."""
    lowered = text.lower()
    folded = fold(text)
    if folded == lowered:
        return folded, _UNIT_PLAIN, _POSITION_PLAIN
    return lowered, _UNIT_MARKED, _POSITION_MARKED


def _names_unit(text: str) -> bool:
    form, unit, position = _heading_forms(text)
    return bool(unit.match(form)) and not position.match(form)


def _is_section_heading(text: str) -> bool:
    """Whether a text alone on its row heads a group: "I. Chi đoàn Ấp 1", "Tổ 5"."""
    if _FOOTER.search(fold(text)):
        return False  # "Xã Phước Thiền, ngày 15 tháng 3 năm 2025" starts the signature
    body = _strip_enumeration(text)
    return _names_unit(body) or bool(_LETTER_ENUMERATION.match(text.lower()))


def _strip_enumeration(text: str) -> str:
    enumeration = _ENUMERATION.match(text)
    return text[enumeration.end() :] if enumeration else text


def _heading_group(text: str) -> str | None:
    """The unit a section heading names ("Chi đoàn Ấp 1"), or None ("II. HỘI VIÊN")."""
    body = _strip_enumeration(text)
    return body if _names_unit(body) else None


def _column_number(cell: Cell | None) -> int | None:
    if type(cell) is int:
        return cell
    if type(cell) is str and (match := _COLUMN_NUMBER.fullmatch(cell)):
        return int(match.group(1))
    return None


def _is_column_numbers(cells: Row) -> bool:
    """Only the numbers 1, 2, 3… (or "(1)", "(2)"…), increasing from 1."""
    numbers: list[int] = []
    for cell in cells:
        if cell is None:
            continue
        number = _column_number(cell)
        # A record's first cell (its row number) is rarely 1: stop there.
        if number is None or (not numbers and number != 1):
            return False
        numbers.append(number)
    return len(numbers) >= 2 and all(a < b for a, b in itertools.pairwise(numbers))


def _repeated_header_column(cells: Row, layout: _Layout) -> int | None:
    """First column of a row repeating at least two of the sheet's header labels."""
    matches = [
        j
        for j, cell in enumerate(cells)
        if isinstance(cell, str)
        and j < len(layout.header_keys)
        and _key(fold(cell)) in layout.header_keys[j]
    ]
    return matches[0] if len(matches) >= MIN_HEADER_FIELDS else None


def _looks_like_person(cells: Row, layout: _Layout) -> bool:
    """A row without a name may still be a person: an id, a birth date, a row number."""
    for j in layout.identity_cols:
        cell = cells[j]
        if cell is not None and not (isinstance(cell, str) and _FOOTER.search(fold(cell))):
            return True
    return any(_is_row_number(cells[j]) for j in layout.row_number_cols)


def _is_row_number(cell: Cell | None) -> bool:
    if isinstance(cell, bool):
        return False
    return isinstance(cell, int) or (isinstance(cell, str) and bool(_ROW_NUMBER.fullmatch(cell)))


def _table_width(rows: list[Row], layout: _Layout, record_rows: list[int]) -> int:
    """Columns up to the last header label or record value (used ranges run wider)."""
    width = max((j + 1 for j, label in enumerate(layout.labels) if label), default=0)
    if rows and width >= len(rows[0]):
        return width  # the grid is rectangular: no record reaches further
    for r in record_rows:
        cells = rows[r]
        last = len(cells)
        while last > width and cells[last - 1] is None:
            last -= 1
        width = max(width, last)
    return width


# --- records --------------------------------------------------------------


class _DateTexts(dict[object, str]):
    """display_value of each distinct date, computed once: strftime is slow and
    a roster holds far fewer distinct dates than date cells."""

    def __missing__(self, value: object) -> str:
        text = display_value(value)
        self[value] = text
        return text


def _table(lines: list[Row], width: int) -> tuple[_Objects, _Objects]:
    """The record rows' first `width` cells as one 2-D object array, and
    each row's cells as displayed, as one tuple (source_values).

    Each column of the array is then a field's values as they are, with no
    copy per column. Both are made a block of rows at a time, while the
    block's cells are in the CPU cache: the readers give rectangular grids,
    so a block's chained cells fill its part of the array directly.

    The collector tracks each new tuple until a collection finds that it
    holds only text: a young-generation collection after each block, with
    everything older frozen meanwhile so that it walks the block's tuples
    alone, spares a collection over all of them later (0.25 s at 200,000
    rows, or 0.4 s with the collector running as they are made).
    """
    count = len(lines)
    table = np.empty((count, width), dtype=object)
    source_values = np.empty(count, dtype=object)
    if not width:
        source_values.fill(())
        return table, source_values
    length = len(lines[0]) if lines else width
    dates = _DateTexts()
    gc.freeze()
    try:
        for start in range(0, count, _TABLE_BLOCK):
            block = lines[start : start + _TABLE_BLOCK]
            rows = len(block)
            cells = _objects(itertools.chain.from_iterable(block), rows * length)
            table[start : start + rows] = cells.reshape(rows, length)[:, :width]
            in_table = block if length == width else (line[:width] for line in block)
            displayed = _displayed(itertools.chain.from_iterable(in_table), dates)
            # zip over one iterator taken `width` times cuts the cells into rows.
            tuples = zip(*[iter(displayed)] * width, strict=True)
            source_values[start : start + rows] = _objects(tuples, rows)
            gc.collect(0)
    finally:
        gc.unfreeze()
    return table, source_values


def _displayed(cells: Iterable[Cell | None], dates: _DateTexts) -> list[str]:
    """Each cell as displayed: display_value, dispatched inline for the common
    kinds of cell (a call per cell would double the time)."""
    return [
        cell
        if type(cell) is str
        else ""
        if cell is None
        else str(cell)
        if type(cell) is int
        else dates[cell]
        if type(cell) is datetime.date
        else display_value(cell)
        for cell in cells
    ]


def _first_filled(cells: Sequence[Cell | None]) -> Cell | None:
    return next((cell for cell in cells if cell is not None), None)


def _build_records(
    source: SourceFile,
    sheet: str,
    rows: list[Row],
    layout: _Layout,
    record_rows: list[int],
    groups: list[tuple[int, str | None]],
    width: int,
    title_cells: list[str],
    problems: list[Problem],
) -> _SheetRecords:
    """The sheet's records (organization still None).

    The record rows become one 2-D array whose columns are the fields.
    """
    count = len(record_rows)
    table, source_values = _table([rows[r] for r in record_rows], width)

    def values_of(cols: tuple[int, ...]) -> _Objects:
        if not cols:
            return _repeated(None, count)
        if len(cols) == 1:
            return table[:, cols[0]]
        # Two columns for one field: the first filled one (see LOAD_DUPLICATE_COLUMN).
        cells = zip(*(table[:, j].tolist() for j in cols), strict=True)
        return _objects(map(_first_filled, cells), count)

    values = {name: values_of(layout.columns_of.get(name, ())) for name in RAW_FIELDS}
    if split_name := layout.cols("surname_middle", "given_name"):
        parts = zip(*(table[:, j].tolist() for j in split_name), strict=True)
        names = (
            full if full is not None else _joined_name(split)
            for full, split in zip(values["full_name"].tolist(), parts, strict=True)
        )
        values["full_name"] = _objects(names, count)
    male, female = layout.cols("birth_date_male"), layout.cols("birth_date_female")
    birth_parts = layout.cols(*_BIRTH_PARTS)
    # The sex the Nam/Nữ birth-date column tells, kept apart from an explicit
    # sex column so validation can check that the two agree.
    column_sexes: list[str | None] = [None] * count
    if male or female or birth_parts:
        births, sexes = values["birth_date"].tolist(), values["sex"].tolist()
        if male or female:
            by_sex = zip(values_of(male).tolist(), values_of(female).tolist(), strict=True)
            for i, (male_birth, female_birth) in enumerate(by_sex):
                if male_birth is not None and female_birth is not None:
                    problems.append(
                        _both_sexes_problem(
                            source, sheet, record_rows[i], layout, male_birth, female_birth
                        )
                    )
                birth, sex = _birth_by_sex(male_birth, female_birth)
                column_sexes[i] = sex
                if births[i] is None:
                    births[i] = birth
                if sexes[i] is None:
                    sexes[i] = sex
        if birth_parts:
            by_part = zip(*(table[:, j].tolist() for j in birth_parts), strict=True)
            for i, (day, month, year) in enumerate(by_part):
                if births[i] is None:
                    births[i] = _birth_from_parts(day, month, year)
        values["birth_date"], values["sex"] = _objects(births, count), _objects(sexes, count)
    if groups:
        values["branch"] = _objects(_with_groups(values["branch"].tolist(), groups), count)

    row_numbers = [r + 1 for r in record_rows]
    prefix = f"{source.relative_path}|{sheet}|"
    columns = {
        "record_id": _objects(map(prefix.__add__, map(str, row_numbers)), count),
        "source_file": _repeated(source.relative_path, count),
        "sheet": _repeated(sheet, count),
        "row": _objects(row_numbers, count),
        "organization": _repeated(None, count),  # known once the file is read
        **values,
        "source_values": source_values,
        "core_column_present": _repeated("core" in layout.columns_of, count),
        "sheet_title": _repeated(" | ".join(title_cells), count),
        "birth_column_sex": _objects(column_sexes, count),
    }
    return _SheetRecords(columns)


def _with_groups(
    branches: Sequence[Cell | None], groups: list[tuple[int, str | None]]
) -> list[Cell | None]:
    """Each record's branch, or else the group of the section heading above it."""
    filled = list(branches)
    bounds = [*(start for start, _ in groups[1:]), len(filled)]
    for (start, group), end in zip(groups, bounds, strict=True):
        for i in range(start, end):
            if filled[i] is None:
                filled[i] = group
    return filled


def _joined_name(names: Sequence[Cell | None]) -> str | None:
    return " ".join(display_value(name) for name in names if name is not None) or None


def _birth_by_sex(male: Cell | None, female: Cell | None) -> tuple[Cell | None, str | None]:
    """Birth date and sex from the "Nam" | "Nữ" birth-date columns.

    A date in both columns tells no sex; it is kept only when both agree.
    """
    if male is not None and female is not None:
        return (male, None) if male == female else (None, None)
    if male is not None:
        return male, "Nam"
    if female is not None:
        return female, "Nữ"
    return None, None


def _date_part(cell: Cell | None) -> int | None:
    if type(cell) is int:
        return cell
    if type(cell) is str and cell.isdecimal() and len(cell) <= 4:
        return int(cell)
    return None


def _birth_from_parts(day: Cell | None, month: Cell | None, year: Cell | None) -> Cell | None:
    """One birth value from the "Ngày" | "Tháng" | "Năm" cells.

    A date when the three make one; the year as typed when only the year is
    filled; otherwise the parts joined as "d/m/y" (a two-digit year, 31/02…),
    which validation reads or reports with what was typed.
    """
    if day is None and month is None:
        return year
    d, m, y = _date_part(day), _date_part(month), _date_part(year)
    if d is not None and m is not None and y is not None and y >= 1000:
        try:
            return datetime.date(y, m, d)
        except ValueError:
            pass
    return "/".join(display_value(cell) for cell in (day, month, year) if cell is not None)


def _decide_organization(
    source: SourceFile, plans: list[_SheetPlan], settings: Settings
) -> tuple[str | None, list[Problem]]:
    """The file's organization, and notes on how the title rows bear on it.

    Sources rank mapping file > folder > file name (decided by `discover`) >
    title rows > sheet names; a lower source never overrides a higher one.
    """
    orgs = settings.organizations
    titled = [
        (plan, frozenset().union(*(find_organizations(t, orgs) for t in plan.title_cells)))
        for plan in plans
    ]
    if source.organization is not None:
        code = source.organization
        for plan, named in titled:
            if named and code not in named:
                message = (
                    f"Dòng tiêu đề của trang tính '{plan.sheet}' nêu "
                    f"{organization_names(named, settings)}, nhưng tệp được xếp vào "
                    f"{settings.organization(code).name} ({source.organization_reason}); đã giữ "
                    f"{settings.organization(code).name}. Nếu sai, hãy chuyển tệp sang thư mục "
                    "đúng tổ chức hoặc khai báo trong input/to_chuc.toml."
                )
                note = _sheet_note(source, plan.sheet, "LOAD_ORG_DISAGREE", message, plan.title)
                return code, [replace(note, organization=code)]
        return code, []

    named = frozenset().union(*(found for _, found in titled))
    evidence = "dòng tiêu đề"
    if not named:
        named = frozenset().union(*(find_organizations(p.sheet, orgs) for p in plans))
        evidence = "tên trang tính"
    if len(named) == 1:
        code = next(iter(named))
        message = (
            f"Tệp '{source.relative_path}' được xếp vào {settings.organization(code).name} theo "
            f"{evidence} ({source.organization_reason}). Nếu sai, hãy đặt tệp vào thư mục mang "
            "tên tổ chức hoặc khai báo trong input/to_chuc.toml."
        )
        note = _sheet_note(source, "", "LOAD_ORG_FROM_TITLE", message)
        return code, [replace(note, organization=code)]
    detail = source.organization_reason
    if named:
        detail += f"; {evidence} nêu nhiều tổ chức: {organization_names(named, settings)}"
    message = (
        f"Không xác định được tệp '{source.relative_path}' thuộc tổ chức nào ({detail}). Hãy đặt "
        "tệp vào thư mục mang tên tổ chức (ví dụ 'Hoi LHPN') hoặc khai báo trong "
        "input/to_chuc.toml."
    )
    return None, [_file_problem(source, "LOAD_ORG_UNKNOWN", message)]


# --- problems -------------------------------------------------------------


def _set_aside_problem(
    source: SourceFile,
    sheet: str,
    r: int,
    cells: Row,
    rule: str,
    column: int | None,
    layout: _Layout,
) -> Problem:
    return Problem(
        source_file=source.relative_path,
        sheet=sheet,
        row=r + 1,
        column=layout.labels[column] if column is not None and column < len(layout.labels) else "",
        value=" | ".join(display_value(c) for c in cells if c is not None),
        rule=rule,
        message=_SET_ASIDE_MESSAGES[rule],
        severity=Severity.SET_ASIDE,
    )


def _column_notes(source: SourceFile, sheet: str, layout: _Layout, width: int) -> list[Problem]:
    notes = []
    for label, name in zip(layout.labels[:width], layout.fields[:width], strict=True):
        if label and name is None:
            message = (
                f"Cột '{label}' không có trong danh sách tên cột (schemas/headers.toml); đã giữ "
                "nguyên nhưng không dùng để đối soát. Nếu cột này có ích, hãy thêm tên cột vào "
                "schemas/headers.toml."
            )
            notes.append(_sheet_note(source, sheet, "LOAD_UNKNOWN_COLUMN", message, label, label))
    for cols in layout.columns_of.values():
        used = [layout.labels[j] for j in cols if j < width]
        if len(used) > 1:
            names = ", ".join(f"'{label}'" for label in used)
            message = (
                f"Các cột {names} cùng chứa một loại thông tin; mỗi dòng lấy giá trị của cột đầu "
                "tiên không trống."
            )
            notes.append(_sheet_note(source, sheet, "LOAD_DUPLICATE_COLUMN", message, "", used[0]))
    return notes


def _both_sexes_problem(
    source: SourceFile, sheet: str, r: int, layout: _Layout, male: Cell, female: Cell
) -> Problem:
    return Problem(
        source_file=source.relative_path,
        sheet=sheet,
        row=r + 1,
        column=layout.labels[layout.cols("birth_date_female")[0]],
        value=f"{display_value(male)} | {display_value(female)}",
        rule="LOAD_BIRTH_IN_BOTH_SEXES",
        message=(
            "Dòng có ngày sinh ở cả cột Nam và cột Nữ nên không biết giới tính; hãy để ngày "
            "sinh ở đúng một cột."
        ),
        severity=Severity.WARNING,
    )


def _sheet_note(
    source: SourceFile, sheet: str, rule: str, message: str, value: str = "", column: str = ""
) -> Problem:
    return Problem(
        source_file=source.relative_path,
        sheet=sheet,
        row=None,
        column=column,
        value=value,
        rule=rule,
        message=message,
        severity=Severity.NOTE,
    )


def _file_problem(source: SourceFile, rule: str, message: str) -> Problem:
    return Problem(
        source_file=source.relative_path,
        sheet="",
        row=None,
        column="",
        value="",
        rule=rule,
        message=message,
        severity=Severity.FILE,
        organization=source.organization,
    )


def _unreadable(source: SourceFile, exc: UnreadableFileError) -> Problem:
    cause = exc.__cause__
    detail = f" (chi tiết kỹ thuật: {type(cause).__name__}: {cause})" if cause else ""
    message = (
        f"Không đọc được tệp '{source.relative_path}': {exc}. Tệp đã được bỏ qua, các tệp "
        f"khác vẫn được xử lý.{detail}"
    )
    return _file_problem(source, "LOAD_UNREADABLE", message)


def _failed(source: SourceFile, exc: Exception) -> Problem:
    message = (
        f"Lỗi không lường trước khi đọc tệp '{source.relative_path}'; tệp đã được bỏ qua, các "
        "tệp khác vẫn được xử lý. Hãy gửi tệp này kèm thông báo cho người phụ trách kỹ thuật. "
        f"(chi tiết kỹ thuật: {type(exc).__name__}: {exc})"
    )
    return _file_problem(source, f"LOAD_FAILED_{type(exc).__name__}", message)
