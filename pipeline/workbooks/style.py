"""The one writer behind every human workbook.

Every workbook gets the same safety options, look and print setup from here:
- text stays text: a roster value such as "=SUM(A1)" or "+84 912..." must be
  shown as written, never run as a formula or turned into a number or link
  (the writer stores every Python str as a string);
- bytes are reproducible: the zip timestamps are fixed by the writer and the
  created date by pipeline.workbooks.package, so two runs on the same input
  give identical files;
- memory stays flat: rows are streamed to disk (constant_memory), so every
  table is written strictly row by row and column widths are measured on the
  first rows rather than on the whole column;
- writing is fast: the writer is rust_xlsxwriter (through the
  rvgsrust-xlsxwriter binding), and a row goes to it in a few calls, one per
  run of columns that share a format, rather than one call per cell;
- a table longer than Excel's row limit continues on a sheet named "… (2)";
- numbers read the Vietnamese way ("1.234", "12,5%"): every number format
  carries the Vietnamese locale tag [$-42A]. LibreOffice then uses Vietnamese
  separators whatever the computer's language; Excel takes separators from the
  Windows regional settings, so a computer set to Vietnamese shows the same. A
  format with literal dots cannot do this: Excel allows no literal decimal
  comma, and "1.234" next to "12.5%" (English settings) would read as 1.234.
"""

from __future__ import annotations

import datetime
import re
import tempfile
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import Enum
from itertools import chain, islice
from numbers import Real
from pathlib import Path
from typing import Literal

from rvgsrust_xlsxwriter import DataValidation, Format, Workbook, Worksheet

# The package exports it too, but its type stubs do not.
from rvgsrust_xlsxwriter._core import ProtectionOptions
from xlsxwriter.utility import quote_sheetname, xl_range

from pipeline.atomic import atomic_write
from pipeline.workbooks.package import pin_created

# Fixed so that reruns on the same input produce byte-identical workbooks.
CREATED = datetime.datetime(2025, 7, 1)
EXCEL_ROWS = 1_048_576
EXCEL_TEXT = 32_767  # characters in a cell
# Excel's limit for the choices of a dropdown, joined with commas.
DROPDOWN_CHARACTERS = 255
SHEET_NAME_LIMIT = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Widths are measured on the first rows only (constant_memory cannot look back).
_WIDTH_SAMPLE = 500
_MIN_WIDTH = 6.0
_MAX_WIDTH = 60.0
_LINE_HEIGHT = 15.0  # points per line of 11-point text
_PIXELS_PER_POINT = 4 / 3

_A4 = 9
_MARGINS = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.3, "footer": 0.3}
_HEADER_FILL = "#DCE6F1"
_BAND_FILL = "#F2F2F2"
_INPUT_FILL = "#FFF2CC"
_INPUT_BORDER = "#BFBFBF"
_LINK_COLOUR = "#0563C1"
_TEXT_TYPES = frozenset({str, type(None)})


class Kind(Enum):
    """How a column's cells are written and formatted."""

    TEXT = "text"
    INTEGER = "integer"
    PERCENT = "percent"
    # A signed change of a count ("+12", "-3").
    CHANGE = "change"
    # A change of a rate, in percentage points: the value is in points (-5.2).
    POINTS = "points"
    # A number with one decimal (seconds).
    DECIMAL = "decimal"
    # The name of another sheet of the workbook, written as a link to it.
    SHEET_LINK = "sheet_link"
    # A reviewer's cell: light yellow, unlocked, empty. A tuple of strings as
    # the row's value gives the cell a dropdown of those choices.
    INPUT = "input"
    INPUT_DATE = "input_date"
    # An analyst's whole number (a table to fill in): shown when given, else
    # empty; only whole numbers from 0 up are accepted.
    INPUT_INTEGER = "input_integer"


_INPUT_KINDS = (Kind.INPUT, Kind.INPUT_DATE, Kind.INPUT_INTEGER)
# Input cells always written empty, so a run of them is one call.
_EMPTY_INPUT_KINDS = (Kind.INPUT, Kind.INPUT_DATE)
VIETNAMESE = "[$-42A]"
_NUMBER_FORMATS = {
    Kind.INTEGER: f"{VIETNAMESE}#,##0",
    Kind.PERCENT: f"{VIETNAMESE}0.0%",
    Kind.CHANGE: f"{VIETNAMESE}+#,##0;-#,##0;0",
    Kind.POINTS: f'{VIETNAMESE}+0.0" điểm %";-0.0" điểm %";0.0" điểm %"',
    Kind.DECIMAL: f"{VIETNAMESE}#,##0.0",
    Kind.INPUT_DATE: "dd/mm/yyyy",
    Kind.INPUT_INTEGER: f"{VIETNAMESE}#,##0",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: float | None = None  # None: measured from the header and the first rows
    # Shown in a number cell whose value is missing (None, NaN); a value of ""
    # (nothing to show, rather than a figure not known) leaves the cell empty.
    missing: str = ""


# A cell value: text, a number (None or NaN for an empty number), or for INPUT
# columns the dropdown choices. TEXT cells should be str or None: any other
# value is shown as its str() (an empty one, 0 included, as an empty cell).
Cell = str | int | float | tuple[str, ...] | None


def sheet_name(text: str, suffix: str = "") -> str:
    """A valid, at most 31-character sheet name ending with `suffix`."""
    clean = _SHEET_NAME_FORBIDDEN.sub("-", text).strip("'")
    return clean[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix


def _format(
    workbook: Workbook,
    *,
    bold: bool = False,
    font_size: float | None = None,
    font_color: str | None = None,
    underline: bool = False,
    wrap: bool = False,
    align: Literal["center", "right"] | None = None,
    valign: Literal["top", "vcenter"] | None = None,
    fill: str | None = None,
    border: Literal["thin"] | None = None,
    border_color: str | None = None,
    num_format: str | None = None,
    unlocked: bool = False,
) -> Format:
    fmt = workbook.add_format()
    if bold:
        fmt.set_bold()
    if font_size is not None:
        fmt.set_font_size(font_size)
    if font_color is not None:
        fmt.set_font_color(font_color)
    if underline:
        fmt.set_underline()
    if wrap:
        fmt.set_text_wrap()
    if align is not None:
        fmt.set_align(align)
    if valign is not None:
        fmt.set_vertical_align(valign)
    if fill is not None:
        fmt.set_background_color(fill)
    if border is not None:
        fmt.set_border(border)
    if border_color is not None:
        fmt.set_border_color(border_color)
    if num_format is not None:
        fmt.set_num_format(num_format)
    if unlocked:
        fmt.set_unlocked()
    return fmt


class Book:
    """An open workbook with the shared formats; create it with `open_book`."""

    def __init__(self, workbook: Workbook, *, stream: bool = True) -> None:
        self.workbook = workbook
        self._stream = stream
        self.header = _format(
            workbook,
            bold=True,
            wrap=True,
            align="center",
            valign="vcenter",
            fill=_HEADER_FILL,
            border="thin",
        )
        self.title = _format(workbook, bold=True, font_size=13)
        self.wrap = _format(workbook, wrap=True, valign="top")
        self.plain = workbook.add_format()
        self.sheets: list[Sheet] = []
        self._formats: dict[tuple[Kind, bool, bool, bool], Format | None] = {}

    def cell_format(
        self, kind: Kind, banded: bool = False, bold: bool = False, missing: bool = False
    ) -> Format | None:
        """The format of a cell of `kind`; `missing` is the text standing for a
        number that has no value, aligned as the numbers are."""
        key = (kind, banded and kind not in _INPUT_KINDS, bold, missing)
        if key not in self._formats:
            link = kind is Kind.SHEET_LINK
            entry = kind in _INPUT_KINDS
            shaded = _INPUT_FILL if entry else _BAND_FILL if key[1] else None
            plain = not (kind in _NUMBER_FORMATS or entry or shaded or link or bold or missing)
            self._formats[key] = (
                None
                if plain
                else _format(
                    self.workbook,
                    num_format=_NUMBER_FORMATS.get(kind),
                    fill=shaded,
                    unlocked=entry,
                    border="thin" if entry else None,
                    border_color=_INPUT_BORDER if entry else None,
                    font_color=_LINK_COLOUR if link else None,
                    underline=link,
                    bold=bold,
                    align="right" if missing else None,
                )
            )
        return self._formats[key]

    def sheet(self, name: str, *, landscape: bool = True) -> Sheet:
        """A new sheet set up to print on A4 (landscape unless told), one page wide."""
        worksheet = self.workbook.add_worksheet(sheet_name(name), constant_memory=self._stream)
        worksheet.set_paper_size(_A4)
        if landscape:
            worksheet.set_landscape()
        else:
            worksheet.set_portrait()
        worksheet.set_print_fit_to_pages(1, 0)
        worksheet.set_margins(**_MARGINS)
        worksheet.set_header("&L&F&R&A")
        worksheet.set_footer("&CTrang &P/&N")
        self.sheets.append(Sheet(self, worksheet))
        return self.sheets[-1]

    def finish(self) -> None:
        """Complete every sheet before the workbook is saved."""
        if self._stream:
            for sheet in self.sheets:
                sheet.end_stream()

    def table_sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Cell]],
        *,
        band_by: int | None = None,
        protect: bool = False,
        emphasize: Callable[[Sequence[Cell]], bool] | None = None,
    ) -> list[Sheet]:
        """A sheet holding one table, continued on "name (2)"… past Excel's row
        limit; returns the sheets written.

        `protect` locks everything but the INPUT cells (no password: it guards
        against slips, not people), keeping the filter usable.
        """
        remaining: Iterator[Sequence[Cell]] = iter(rows)
        sheets: list[Sheet] = []
        while True:
            part = len(sheets) + 1
            sheet = self.sheet(name if part == 1 else sheet_name(name, f" ({part})"))
            sheets.append(sheet)
            sheet.table(
                columns, remaining, band_by=band_by, limit=EXCEL_ROWS - 1, emphasize=emphasize
            )
            if protect:
                sheet.worksheet.protect_with_options(
                    ProtectionOptions(
                        select_locked_cells=True,
                        select_unlocked_cells=True,
                        format_columns=True,
                        format_rows=True,
                        use_autofilter=True,
                    )
                )
            following = next(remaining, None)
            if following is None:
                return sheets
            remaining = chain([following], remaining)


@dataclass(frozen=True)
class _Run:
    """Columns start…stop-1 of a row written in one call with one format: text
    as given, or (`empty`) reviewers' cells, written empty."""

    start: int
    stop: int
    fmt: Format | None
    empty: bool


@dataclass(frozen=True)
class _Single:
    """A column written cell by cell: numbers, links, whole-number inputs."""

    col: int
    kind: Kind
    fmt: Format | None
    missing: str
    missing_fmt: Format | None


class Sheet:
    """A worksheet written top to bottom, table after table."""

    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.next_row = 0
        self._widths: dict[int, float] = {}
        self._has_table = False
        self._last_row = -1  # the last row written
        self._tall_row = -1  # the last row given a height

    def heading(self, text: str) -> None:
        self.worksheet.write(self.next_row, 0, text, self.book.title)
        self._last_row = self.next_row
        self.next_row += 1

    def end_stream(self) -> None:
        """Work around the writer's streaming mode, which writes a sheet's last
        row twice (a file Excel must repair) when that row has a height: an
        empty row after it, which shows nothing, makes it an ordinary row."""
        if self._last_row == self._tall_row >= 0:
            self.worksheet.write(self._last_row + 1, 0, None, self.book.plain)

    def _set_height(self, row: int, points: float) -> None:
        # In pixels, as Excel stores heights: the binding's set_row_height makes
        # close() rewrite the whole streamed sheet, in memory, at twice the cost.
        self.worksheet.set_row_height_pixels(row, round(points * _PIXELS_PER_POINT))
        self._tall_row = row

    def skip_row(self) -> None:
        self.next_row += 1

    def notes(self, lines: Iterable[str], *, width: float | None = None) -> None:
        """Lines of text in the first column. With `width`, the column gets that
        width and the lines wrap; without, they overflow into the empty cells
        to their right and leave the table's column widths alone."""
        fmt = None
        if width is not None:
            self.worksheet.set_column_width(0, width)
            fmt = self.book.wrap
        for line in lines:
            if width is not None:
                # As for headers: a wrapped row does not grow by itself when printed.
                wrapped = len(textwrap.wrap(line, _chars_per_line(width))) or 1
                self._set_height(self.next_row, _LINE_HEIGHT * wrapped + 2)
            self.worksheet.write(self.next_row, 0, line, fmt)
            self._last_row = self.next_row
            self.next_row += 1

    def hide_column(self, col: int, width: float | None) -> None:
        """Keep the column in the file but out of the reader's way."""
        if width is not None:
            self.worksheet.set_column_width(col, width)
        self.worksheet.set_column_hidden(col)

    def print_across(self, pages_wide: int) -> None:
        """Print `pages_wide` pages across, read left to right then down, the
        first column repeated on each."""
        self.worksheet.set_print_fit_to_pages(pages_wide, 0)
        # The binding's flag reads "down, then over": False prints across first.
        self.worksheet.set_page_order(False)
        self.worksheet.set_repeat_columns(0, 0)

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Cell]],
        *,
        band_by: int | None = None,
        limit: int | None = None,
        emphasize: Callable[[Sequence[Cell]], bool] | None = None,
    ) -> None:
        """Write a header and up to `limit` rows below the sheet's last content.

        The sheet's first table gets the frozen header, the filter and the
        header repeated on every printed page. `band_by` shades alternate runs
        of equal values in that column, so groups stand apart; rows for which
        `emphasize` is true (totals) are bold.
        """
        worksheet = self.worksheet
        header_row = self.next_row
        rows = iter(rows) if limit is None else islice(rows, limit)
        sample = list(islice(rows, _WIDTH_SAMPLE))
        self._measure(columns, sample)
        # Wrapped header text does not grow its row when the file is opened
        # (LibreOffice, printing), so the height is set for the longest header.
        lines = max(
            1,
            *(
                len(textwrap.wrap(column.header, _chars_per_line(self._widths[col], bold=True)))
                for col, column in enumerate(columns)
            ),
        )
        self._set_height(header_row, _LINE_HEIGHT * lines + 3)
        worksheet.write_row(header_row, 0, [column.header for column in columns], self.book.header)

        # How a row is written, per (shaded, bold) style: worked out once per table.
        plans: dict[tuple[bool, bool], list[_Run | _Single]] = {}
        dropdowns: dict[tuple[int, tuple[str, ...]], list[list[int]]] = {}
        choice_columns = [c for c, column in enumerate(columns) if column.kind is Kind.INPUT]
        write_row = worksheet.write_row
        row = header_row
        banded, previous = True, object()
        for values in chain(sample, rows):
            row += 1
            if band_by is not None and values[band_by] != previous:
                banded, previous = not banded, values[band_by]
            style = (band_by is not None and banded, emphasize is not None and emphasize(values))
            plan = plans.get(style)
            if plan is None:
                plan = plans[style] = self._plan(columns, *style)
            for step in plan:
                if isinstance(step, _Run):
                    if step.empty:
                        write_row(row, step.start, [None] * (step.stop - step.start), step.fmt)
                    else:
                        _write_text(worksheet, row, step, values[step.start : step.stop])
                else:
                    _write_single(worksheet, row, step, values[step.col])
            for col in choice_columns:
                choices = values[col]
                if isinstance(choices, tuple) and choices:
                    _extend_ranges(dropdowns.setdefault((col, choices), []), row)

        for (col, choices), ranges in dropdowns.items():
            _add_dropdown(worksheet, col, choices, ranges)
        if row > header_row:
            for col, column in enumerate(columns):
                if column.kind is Kind.INPUT_INTEGER:
                    _add_whole_number_check(worksheet, col, header_row + 1, row)
        if not self._has_table:
            worksheet.freeze_panes(header_row + 1, 0)
            worksheet.autofilter(header_row, 0, max(row, header_row + 1), len(columns) - 1)
            worksheet.set_repeat_rows(header_row, header_row)
            self._has_table = True
        self._last_row = row
        self.next_row = row + 1

    def _plan(self, columns: Sequence[Column], banded: bool, bold: bool) -> list[_Run | _Single]:
        """Runs of neighbouring columns sharing a format (text, or empty input
        cells), and the columns that need a look at each value."""
        plan: list[_Run | _Single] = []
        for col, column in enumerate(columns):
            kind = column.kind
            fmt = self.book.cell_format(kind, banded, bold)
            if kind is Kind.TEXT or kind in _EMPTY_INPUT_KINDS:
                empty = kind is not Kind.TEXT
                last = plan[-1] if plan else None
                if isinstance(last, _Run) and last.fmt is fmt and last.empty == empty:
                    plan[-1] = _Run(last.start, col + 1, fmt, empty)
                else:
                    plan.append(_Run(col, col + 1, fmt, empty))
            else:
                missing = self.book.cell_format(kind, banded, bold, missing=True)
                plan.append(_Single(col, kind, fmt, column.missing, missing))
        return plan

    def _measure(self, columns: Sequence[Column], sample: list[Sequence[Cell]]) -> None:
        for col, column in enumerate(columns):
            if column.width is not None:
                width = column.width
            else:
                longest_word = max((len(word) for word in column.header.split()), default=0)
                longest_value = max((_shown_length(values[col]) for values in sample), default=0)
                width = min(max(longest_word + 2, longest_value * 1.1 + 2, _MIN_WIDTH), _MAX_WIDTH)
            self._widths[col] = max(width, self._widths.get(col, 0.0))
            self.worksheet.set_column_width(col, self._widths[col])


def _write_text(worksheet: Worksheet, row: int, run: _Run, cells: Sequence[Cell]) -> None:
    """Write a run of text cells; an empty one is left blank (shaded if formatted)."""
    if not _TEXT_TYPES.issuperset(map(type, cells)):
        cells = [str(value) if value else None for value in cells]
    try:
        worksheet.write_row(row, run.start, cells, run.fmt)
    except ValueError:
        # Longer than a cell holds (the writer refuses it): keep what fits.
        worksheet.write_row(row, run.start, [_clip(value) for value in cells], run.fmt)


def _write_single(worksheet: Worksheet, row: int, single: _Single, value: Cell) -> None:
    if single.kind is Kind.SHEET_LINK:
        target = f"internal:{quote_sheetname(str(value))}!A1"
        worksheet.write_url(row, single.col, target, single.fmt, text=str(value))
    elif _is_number(value):
        worksheet.write(row, single.col, value, single.fmt)
    elif single.kind is Kind.INPUT_INTEGER or not single.missing or value == "":
        if single.fmt is not None:
            worksheet.write(row, single.col, None, single.fmt)
    else:
        worksheet.write(row, single.col, single.missing, single.missing_fmt)


@contextmanager
def open_book(target: Path, title: str, *, stream: bool = True) -> Iterator[Book]:
    """Write a workbook to `target` atomically; the file appears only if the body succeeds.

    `stream` writes rows to disk as they come (constant_memory). A small
    workbook with charts turns it off: its charts then carry the values they
    show, for viewers that do not recompute them. Within
    `saving_in_background`, the file is saved after this returns.
    """
    with ExitStack() as stack:
        temp = stack.enter_context(atomic_write(target))
        # The writer keeps each streamed sheet's rows in temporary files until
        # close(); a private folder makes sure they are removed even when the
        # body fails.
        scratch = stack.enter_context(
            tempfile.TemporaryDirectory(prefix="bao-cao-", ignore_cleanup_errors=True)
        )
        workbook = Workbook()
        workbook.set_tempdir(scratch)
        workbook.set_properties(title=title)
        book = Book(workbook, stream=stream)
        yield book
        book.finish()
        saver = _SAVER.get()
        if saver is None:
            _save(workbook, temp)
        else:
            # The temporary file and folder now belong to the save.
            saver.append(_SAVES.submit(_save_and_release, workbook, temp, stack.pop_all()))


@contextmanager
def saving_in_background() -> Iterator[None]:
    """Save each workbook opened within in a background thread, while the next
    one is written; every save has finished (or raised) when this exits.

    Saving (compressing the sheets) is a third of the writing time, and the
    writer does it without holding the interpreter: on two cores it then
    costs next to nothing.
    """
    saves: list[Future[None]] = []
    token = _SAVER.set(saves)
    try:
        yield
    finally:
        _SAVER.reset(token)
        # Wait for every save, also when the body failed: no file is left half written.
        wait(saves)
    for save in saves:
        save.result()


# One thread: saves run one after another, alongside the writing.
_SAVES = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbook-save")
_SAVER: ContextVar[list[Future[None]] | None] = ContextVar("workbook_saves", default=None)


def _save(workbook: Workbook, temp: Path) -> None:
    workbook.close(str(temp))
    pin_created(temp, CREATED)


def _save_and_release(workbook: Workbook, temp: Path, files: ExitStack) -> None:
    with files:  # on success, moves the file into place; on error, removes it
        _save(workbook, temp)


def _chars_per_line(width: float, *, bold: bool = False) -> int:
    """About how many characters of 11-point text fit a column `width` wide
    (estimated on the wide side, so a wrapped row is rather too tall than cut)."""
    return max(int(width * (0.9 if bold else 1.1)) - 1, 1)


def _is_number(value: Cell) -> bool:
    # numbers.Real also covers numpy's scalars; NaN (and NA, not Real) is empty.
    return isinstance(value, Real) and not isinstance(value, bool) and value == value


def _clip(value: Cell) -> Cell:
    return value[:EXCEL_TEXT] if isinstance(value, str) else value


def _add_whole_number_check(worksheet: Worksheet, col: int, first: int, last: int) -> None:
    check = DataValidation()
    check.allow_whole_number("greater_than_or_equal_to", 0)
    check.ignore_blank(True)
    check.set_error_title("Giá trị không hợp lệ")
    check.set_error_message("Nhập một số nguyên, không âm (ví dụ 1250), không ghi chữ.")
    worksheet.add_data_validation(first, col, last, col, check)


def _shown_length(value: Cell) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, float):
        return 6 if value == value else 0  # a percentage such as "34.8%"
    if isinstance(value, int):
        return len(f"{value:,}")
    return 0


def _extend_ranges(ranges: list[list[int]], row: int) -> None:
    if ranges and ranges[-1][1] == row - 1:
        ranges[-1][1] = row
    else:
        ranges.append([row, row])


def _add_dropdown(
    worksheet: Worksheet, col: int, choices: tuple[str, ...], ranges: list[list[int]]
) -> None:
    # Excel cannot hold a longer list in the file; such a cell keeps no dropdown.
    if len(",".join(choices)) > DROPDOWN_CHARACTERS:
        return
    # One validation per distinct list, over all its rows: a validation per
    # group would bloat the file and slow Excel down on large reviews.
    dropdown = DataValidation()
    dropdown.allow_list_strings(list(choices))
    dropdown.set_multi_range(" ".join(xl_range(start, col, end, col) for start, end in ranges))
    dropdown.set_error_title("Giá trị không hợp lệ")
    dropdown.set_error_message("Chọn một giá trị trong danh sách thả xuống.")
    first, last = ranges[0]
    worksheet.add_data_validation(first, col, last, col, dropdown)
