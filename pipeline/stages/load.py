"""Stage `load`: read every roster into one DataFrame of raw records.

Per sheet: find the header row (one or two rows, merged group labels
allowed), keep the title rows above it, turn each data row into a record and
set aside what is not a person (subtotals, repeated headers, the signature
block). Every row below the header is accounted for: rows_in == records +
set_aside. A file that cannot be read becomes one FILE problem.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

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
HEADER_SEARCH_ROWS = 15
MIN_HEADER_FIELDS = 2

_NAME_FIELDS = ("full_name", "surname_middle", "given_name")
# Values that show a row is about a person even when its name cell is empty.
_IDENTITY_FIELDS = ("birth_date", "birth_date_male", "birth_date_female", "citizen_id", "phone")
_RAW_INDEX = {name: i for i, name in enumerate(RAW_FIELDS)}

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

_SET_ASIDE_MESSAGES = {
    "LOAD_SUBTOTAL": "Dòng tổng cộng, không phải một người; đã để riêng, không đưa vào đối soát.",
    "LOAD_COLUMN_NUMBERS": "Dòng đánh số cột (1, 2, 3…), không phải một người; đã để riêng.",
    "LOAD_REPEATED_HEADER": (
        "Dòng lặp lại tên cột (thường do danh sách được ghép từ nhiều trang); đã để riêng."
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


def load(files: list[SourceFile], settings: Settings, progress: Progress) -> LoadResult:
    progress.start("Đọc danh sách", len(files))
    synonyms = _synonym_index(settings)
    rows: list[tuple[object, ...]] = []
    result = LoadResult(records=pd.DataFrame())
    for source in files:
        try:
            outcome = _load_file(source, settings, synonyms)
        except UnreadableFileError as exc:
            outcome = _FileOutcome(problems=[_unreadable(source, exc)])
        except Exception as exc:  # one bad file must never stop the run
            outcome = _FileOutcome(problems=[_failed(source, exc)])
        result.problems.extend(outcome.problems)
        if outcome.sheets:
            result.sheets.extend(outcome.sheets)
            result.files_read.append(source.relative_path)
            rows.extend(outcome.records)
        else:
            result.files_skipped.append(source.relative_path)
        progress.advance()
    result.records = pd.DataFrame(rows, columns=list(RECORD_COLUMNS), dtype=object)
    progress.finish()
    return result


def _synonym_index(settings: Settings) -> dict[str, str]:
    """header key -> field; the first field listing a key keeps it."""
    index: dict[str, str] = {}
    for name, keys in settings.header_synonyms.items():
        for key in keys:
            index.setdefault(key, name)
    return index


def _key(folded: str) -> str:
    """pipeline.text.header_key of a text already folded."""
    return _NON_KEY.sub("", folded)


@dataclass
class _FileOutcome:
    problems: list[Problem]
    sheets: list[SheetAccount] = field(default_factory=list)
    records: list[tuple[object, ...]] = field(default_factory=list)


@dataclass(frozen=True)
class _Layout:
    """Where a sheet's table is and what each column holds."""

    header_row: int  # 0-based row index of the last header row
    first_data: int  # 0-based row index where data rows may start
    labels: tuple[str, ...]  # per column, as written ("" when blank)
    fields: tuple[str | None, ...]  # per column, None when not recognized
    header_keys: tuple[frozenset[str], ...]  # per column, keys of its header cells
    columns_of: dict[str, tuple[int, ...]]  # field -> columns, left to right

    def cols(self, *names: str) -> tuple[int, ...]:
        return tuple(j for name in names for j in self.columns_of.get(name, ()))


@dataclass
class _SheetPlan:
    """A sheet read and classified; records still lack their organization."""

    sheet: str
    layout: _Layout
    title_cells: list[str]
    width: int
    records: list[tuple[object, ...]]
    set_aside: int
    rows_in: int
    problems: list[Problem]

    @property
    def title(self) -> str:
        return " | ".join(self.title_cells)


def _load_file(source: SourceFile, settings: Settings, synonyms: dict[str, str]) -> _FileOutcome:
    problems: list[Problem] = []
    plans: list[_SheetPlan] = []
    for sheet in read_roster(source.path):
        plan = _plan_sheet(sheet, source, synonyms, problems)
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
        outcome.records.extend((*rec[:4], code, *rec[5:]) for rec in plan.records)
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
            )
        )
    return outcome


# --- header ---------------------------------------------------------------


def _plan_sheet(
    sheet: Sheet, source: SourceFile, synonyms: dict[str, str], problems: list[Problem]
) -> _SheetPlan | None:
    rows = sheet.rows
    where = f"Trang tính '{sheet.name}'" if sheet.name else "Tệp CSV"
    if all(row.count(None) == len(row) for row in rows):
        message = f"{where} trống; đã bỏ qua."
        problems.append(_sheet_note(source, sheet.name, "LOAD_EMPTY_SHEET", message))
        return None
    header = _find_header(rows, synonyms)
    if header is None:
        message = (
            f"{where} không có dòng tiêu đề nhận ra được (cần cột 'Họ và tên', hoặc hai cột "
            f"'Họ và tên đệm' và 'Tên', cùng ít nhất một cột khác như 'Ngày sinh' trong "
            f"{HEADER_SEARCH_ROWS} dòng đầu), đã bỏ qua. Nếu đây là danh sách, hãy thêm tên "
            "cột vào schemas/headers.toml."
        )
        problems.append(_sheet_note(source, sheet.name, "LOAD_NO_HEADER", message))
        return None
    layout = _layout(rows, header, synonyms)
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


def _layout(rows: list[Row], header: int, synonyms: dict[str, str]) -> _Layout:
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
    for upper, lower in zip(uppers, lowers, strict=True):
        upper_text = display_value(upper)
        lower_text = display_value(lower)
        upper_key, lower_key = _key(fold(upper_text)), _key(fold(lower_text))
        # A lower label is the more specific one ("Nam" under "Ngày sinh").
        fields.append(synonyms.get(lower_key) or synonyms.get(upper_key))
        labels.append(" / ".join(text for text in (upper_text, lower_text) if text))
        keys.append(frozenset(k for k in (upper_key, lower_key) if k))

    columns_of: dict[str, list[int]] = {}
    for j, name in enumerate(fields):
        if name is not None:
            columns_of.setdefault(name, []).append(j)
    first_data = last + 1
    # The "1 | 2 | 3" row printed under many headers is part of the header.
    if first_data < len(rows) and _is_column_numbers(rows[first_data]):
        first_data += 1
    return _Layout(
        header_row=last,
        first_data=first_data,
        labels=tuple(labels),
        fields=tuple(fields),
        header_keys=tuple(keys),
        columns_of={name: tuple(cols) for name, cols in columns_of.items()},
    )


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
    problems: list[Problem] = []
    rows_in = 0
    in_footer = False
    for r in range(layout.first_data, len(rows)):
        cells = rows[r]
        if cells.count(None) == len(cells):
            continue  # spacer rows occur inside tables; they end nothing
        rows_in += 1
        if in_footer:
            rule, column = "LOAD_AFTER_FOOTER", None
        else:
            verdict = _set_aside_reason(cells, layout)
            if verdict is None:
                record_rows.append(r)
                continue
            rule, column = verdict
            in_footer = rule == "LOAD_FOOTER"
        problems.append(_set_aside_problem(source, sheet.name, r, cells, rule, column, layout))

    width = _table_width(rows, layout, record_rows)
    problems.extend(_column_notes(source, sheet.name, layout, width))
    records = _build_records(source, sheet.name, rows, layout, record_rows, width, title_cells)
    problems.extend(records.problems)
    return _SheetPlan(
        sheet=sheet.name,
        layout=layout,
        title_cells=title_cells,
        width=width,
        records=records.rows,
        set_aside=rows_in - len(record_rows),
        rows_in=rows_in,
        problems=problems,
    )


def _set_aside_reason(cells: Row, layout: _Layout) -> tuple[str, int | None] | None:
    """(rule, column) when the row is not a person's record, else None.

    Ordered so an ordinary record costs about one fold: its name cell.
    """
    if _is_column_numbers(cells):
        return "LOAD_COLUMN_NUMBERS", None
    first = next(j for j, cell in enumerate(cells) if cell is not None)
    first_cell = cells[first]
    if isinstance(first_cell, str) and _is_subtotal(first_cell, fold(first_cell)):
        return "LOAD_SUBTOTAL", first

    name_col = next((j for j in layout.cols(*_NAME_FIELDS) if cells[j] is not None), None)
    name_text = display_value(cells[name_col]) if name_col is not None else ""
    name = fold(name_text)
    if name_col is not None and _is_subtotal(name_text, name):
        return "LOAD_SUBTOTAL", name_col
    if name_col is None or _key(name) in layout.header_keys[name_col]:
        repeated = _repeated_header_column(cells, layout)
        if repeated is not None:
            return "LOAD_REPEATED_HEADER", repeated
    if name and not _FOOTER.search(name):
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


def _is_subtotal(text: str, folded: str) -> bool:
    lowered = text.lower()
    if folded == lowered:
        return bool(_SUBTOTAL_PLAIN.match(folded))
    return bool(_SUBTOTAL_MARKED.match(lowered))


def _is_column_numbers(cells: Row) -> bool:
    """Only the numbers 1, 2, 3… (or "(1)", "(2)"…), increasing from 1."""
    numbers: list[int] = []
    for cell in cells:
        if cell is None:
            continue
        if isinstance(cell, int) and not isinstance(cell, bool):
            numbers.append(cell)
        elif isinstance(cell, str) and (match := _COLUMN_NUMBER.fullmatch(cell)):
            numbers.append(int(match.group(1)))
        else:
            return False
    return (
        len(numbers) >= 2 and numbers[0] == 1 and all(a < b for a, b in itertools.pairwise(numbers))
    )


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
    for j in layout.cols(*_IDENTITY_FIELDS):
        cell = cells[j]
        if cell is not None and not (isinstance(cell, str) and _FOOTER.search(fold(cell))):
            return True
    return any(_is_row_number(cells[j]) for j in layout.cols("row_number"))


def _is_row_number(cell: Cell | None) -> bool:
    if isinstance(cell, bool):
        return False
    return isinstance(cell, int) or (isinstance(cell, str) and bool(_ROW_NUMBER.fullmatch(cell)))


def _table_width(rows: list[Row], layout: _Layout, record_rows: list[int]) -> int:
    """Columns up to the last header label or record value (used ranges run wider)."""
    width = max((j + 1 for j, label in enumerate(layout.labels) if label), default=0)
    for r in record_rows:
        cells = rows[r]
        last = len(cells)
        while last > width and cells[last - 1] is None:
            last -= 1
        width = max(width, last)
    return width


# --- records --------------------------------------------------------------


@dataclass
class _Records:
    rows: list[tuple[object, ...]]
    problems: list[Problem]


def _first(cells: Row, cols: Sequence[int]) -> Cell | None:
    for j in cols:
        if cells[j] is not None:
            return cells[j]
    return None


def _build_records(
    source: SourceFile,
    sheet: str,
    rows: list[Row],
    layout: _Layout,
    record_rows: list[int],
    width: int,
    title_cells: list[str],
) -> _Records:
    plan = [
        (_RAW_INDEX[name], cols) for name, cols in layout.columns_of.items() if name in _RAW_INDEX
    ]
    full_name_col = _RAW_INDEX["full_name"]
    sex_col = _RAW_INDEX["sex"]
    birth_col = _RAW_INDEX["birth_date"]
    split_name = layout.cols("surname_middle", "given_name")
    male, female = layout.cols("birth_date_male"), layout.cols("birth_date_female")
    core_present = "core" in layout.columns_of
    title = " | ".join(title_cells)
    prefix = f"{source.relative_path}|{sheet}|"

    out = _Records(rows=[], problems=[])
    for r in record_rows:
        cells = rows[r]
        values: list[Cell | None] = [None] * len(RAW_FIELDS)
        for position, cols in plan:
            values[position] = _first(cells, cols)
        if values[full_name_col] is None and split_name:
            parts = [display_value(cells[j]) for j in split_name if cells[j] is not None]
            values[full_name_col] = " ".join(parts) or None
        if male or female:
            male_birth, female_birth = _first(cells, male), _first(cells, female)
            if male_birth is not None and female_birth is not None:
                out.problems.append(
                    _both_sexes_problem(source, sheet, r, layout, male_birth, female_birth)
                )
            birth, sex = _birth_by_sex(male_birth, female_birth)
            if values[birth_col] is None:
                values[birth_col] = birth
            if values[sex_col] is None:
                values[sex_col] = sex
        source_values = tuple(_display(cell) for cell in cells[:width])
        row_number = r + 1
        out.rows.append(
            (
                f"{prefix}{row_number}",
                source.relative_path,
                sheet,
                row_number,
                None,  # organization: set once the whole file has been read
                *values,
                source_values,
                core_present,
                title,
            )
        )
    return out


def _display(cell: Cell | None) -> str:
    # Strings were cleaned by the reader; display_value would clean them again.
    if cell is None:
        return ""
    return cell if isinstance(cell, str) else display_value(cell)


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
