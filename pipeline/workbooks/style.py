"""The one writer behind every human workbook.

Every workbook gets the same safety options, look and print setup from here:
- text stays text: a roster value such as "=SUM(A1)" or "+84 912..." must be
  shown as written, never run as a formula or turned into a number or link;
- bytes are reproducible: the created date is fixed, so two runs on the same
  input give identical files (xlsxwriter already fixes the zip timestamps);
- memory stays flat: rows are streamed to disk (constant_memory), so every
  table is written strictly row by row and column widths are measured on the
  first rows rather than on the whole column;
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
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from itertools import chain, islice
from numbers import Real
from pathlib import Path

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import quote_sheetname, xl_range
from xlsxwriter.worksheet import Worksheet

from pipeline.atomic import atomic_write

# Fixed so that reruns on the same input produce byte-identical workbooks.
CREATED = datetime.datetime(2025, 7, 1)
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "constant_memory": True,
}
EXCEL_ROWS = 1_048_576
SHEET_NAME_LIMIT = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Widths are measured on the first rows only (constant_memory cannot look back).
_WIDTH_SAMPLE = 500
_MIN_WIDTH = 6.0
_MAX_WIDTH = 60.0
_LINE_HEIGHT = 15.0  # points per line of 11-point text

_HEADER_FILL = "#DCE6F1"
_BAND_FILL = "#F2F2F2"
_INPUT_FILL = "#FFF2CC"
_PROTECTION = {
    "autofilter": True,
    "format_columns": True,
    "format_rows": True,
    "select_locked_cells": True,
    "select_unlocked_cells": True,
}


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
# columns the dropdown choices.
Cell = str | int | float | tuple[str, ...] | None


def sheet_name(text: str, suffix: str = "") -> str:
    """A valid, at most 31-character sheet name ending with `suffix`."""
    clean = _SHEET_NAME_FORBIDDEN.sub("-", text).strip("'")
    return clean[: SHEET_NAME_LIMIT - len(suffix)].rstrip() + suffix


class Book:
    """An open workbook with the shared formats; create it with `open_book`."""

    def __init__(self, workbook: Workbook) -> None:
        self.workbook = workbook
        self.header = workbook.add_format(
            {
                "bold": True,
                "text_wrap": True,
                "align": "center",
                "valign": "vcenter",
                "bg_color": _HEADER_FILL,
                "border": 1,
            }
        )
        self.title = workbook.add_format({"bold": True, "font_size": 13})
        self.wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        self._formats: dict[tuple[Kind, bool, bool, bool], Format | None] = {}

    def cell_format(
        self, kind: Kind, banded: bool = False, bold: bool = False, missing: bool = False
    ) -> Format | None:
        """The format of a cell of `kind`; `missing` is the text standing for a
        number that has no value, aligned as the numbers are."""
        key = (kind, banded and kind not in _INPUT_KINDS, bold, missing)
        if key not in self._formats:
            properties: dict[str, object] = {}
            if kind in _NUMBER_FORMATS:
                properties["num_format"] = _NUMBER_FORMATS[kind]
            if kind in _INPUT_KINDS:
                properties.update(
                    {
                        "bg_color": _INPUT_FILL,
                        "locked": False,
                        "border": 1,
                        "border_color": "#BFBFBF",
                    }
                )
            elif key[1]:
                properties["bg_color"] = _BAND_FILL
            if kind is Kind.SHEET_LINK:
                properties.update({"font_color": "#0563C1", "underline": 1})
            if bold:
                properties["bold"] = True
            if missing:
                properties["align"] = "right"
            self._formats[key] = self.workbook.add_format(properties) if properties else None
        return self._formats[key]

    def sheet(self, name: str, *, landscape: bool = True) -> Sheet:
        """A new sheet set up to print on A4 (landscape unless told), one page wide."""
        worksheet = self.workbook.add_worksheet(sheet_name(name))
        worksheet.set_paper(9)
        if landscape:
            worksheet.set_landscape()
        else:
            worksheet.set_portrait()
        worksheet.fit_to_pages(1, 0)
        worksheet.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        worksheet.set_header("&L&F&R&A")
        worksheet.set_footer("&CTrang &P/&N")
        return Sheet(self, worksheet)

    def table_sheet(
        self,
        name: str,
        columns: Sequence[Column],
        rows: Iterable[Sequence[Cell]],
        *,
        band_by: int | None = None,
        protect: bool = False,
        emphasize: Callable[[Sequence[Cell]], bool] | None = None,
    ) -> None:
        """A sheet holding one table, continued on "name (2)"… past Excel's row limit.

        `protect` locks everything but the INPUT cells (no password: it guards
        against slips, not people), keeping the filter usable.
        """
        remaining: Iterator[Sequence[Cell]] = iter(rows)
        part = 1
        while True:
            sheet = self.sheet(name if part == 1 else sheet_name(name, f" ({part})"))
            sheet.table(
                columns, remaining, band_by=band_by, limit=EXCEL_ROWS - 1, emphasize=emphasize
            )
            if protect:
                sheet.worksheet.protect("", _PROTECTION)
            following = next(remaining, None)
            if following is None:
                return
            remaining = chain([following], remaining)
            part += 1


class Sheet:
    """A worksheet written top to bottom, table after table."""

    def __init__(self, book: Book, worksheet: Worksheet) -> None:
        self.book = book
        self.worksheet = worksheet
        self.next_row = 0
        self._widths: dict[int, float] = {}
        self._has_table = False

    def heading(self, text: str) -> None:
        self.worksheet.write_string(self.next_row, 0, text, self.book.title)
        self.next_row += 1

    def skip_row(self) -> None:
        self.next_row += 1

    def notes(self, lines: Iterable[str], *, width: float | None = None) -> None:
        """Lines of text in the first column. With `width`, the column gets that
        width and the lines wrap; without, they overflow into the empty cells
        to their right and leave the table's column widths alone."""
        fmt = None
        if width is not None:
            self.worksheet.set_column(0, 0, width)
            fmt = self.book.wrap
        for line in lines:
            if width is not None:
                # As for headers: a wrapped row does not grow by itself when printed.
                wrapped = len(textwrap.wrap(line, _chars_per_line(width))) or 1
                self.worksheet.set_row(self.next_row, _LINE_HEIGHT * wrapped + 2)
            self.worksheet.write_string(self.next_row, 0, line, fmt)
            self.next_row += 1

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
        worksheet.set_row(header_row, _LINE_HEIGHT * lines + 3)
        for col, column in enumerate(columns):
            worksheet.write_string(header_row, col, column.header, self.book.header)

        kinds = [column.kind for column in columns]
        # Formats per (shaded, bold) row, looked up once per table, not per cell.
        styles: dict[tuple[bool, bool], list[Format | None]] = {}
        dropdowns: dict[tuple[int, tuple[str, ...]], list[list[int]]] = {}
        row = header_row
        banded, previous = True, object()
        for values in chain(sample, rows):
            row += 1
            if band_by is not None and values[band_by] != previous:
                banded, previous = not banded, values[band_by]
            style = (band_by is not None and banded, emphasize is not None and emphasize(values))
            formats = styles.get(style)
            if formats is None:
                formats = styles[style] = [self.book.cell_format(kind, *style) for kind in kinds]
            for col, value in enumerate(values):
                kind, fmt = kinds[col], formats[col]
                if kind is Kind.TEXT:
                    if value:
                        worksheet.write_string(row, col, str(value), fmt)
                    elif fmt is not None:
                        worksheet.write_blank(row, col, None, fmt)
                elif kind is Kind.SHEET_LINK:
                    target = f"internal:{quote_sheetname(str(value))}!A1"
                    worksheet.write_url(row, col, target, fmt, string=str(value))
                elif kind in _INPUT_KINDS:
                    if kind is Kind.INPUT_INTEGER and _is_number(value):
                        worksheet.write_number(row, col, value, fmt)
                    else:
                        worksheet.write_blank(row, col, None, fmt)
                    if isinstance(value, tuple) and value:
                        _extend_ranges(dropdowns.setdefault((col, value), []), row)
                elif _is_number(value):
                    worksheet.write_number(row, col, value, fmt)
                elif columns[col].missing and value != "":
                    missing = self.book.cell_format(kind, *style, missing=True)
                    worksheet.write_string(row, col, columns[col].missing, missing)
                elif fmt is not None:
                    worksheet.write_blank(row, col, None, fmt)

        for (col, choices), ranges in dropdowns.items():
            _add_dropdown(worksheet, col, choices, ranges)
        if row > header_row:
            for col, kind in enumerate(kinds):
                if kind is Kind.INPUT_INTEGER:
                    _add_whole_number_check(worksheet, col, header_row + 1, row)
        if not self._has_table:
            worksheet.freeze_panes(header_row + 1, 0)
            worksheet.autofilter(header_row, 0, max(row, header_row + 1), len(columns) - 1)
            worksheet.repeat_rows(header_row)
            self._has_table = True
        self.next_row = row + 1

    def _measure(self, columns: Sequence[Column], sample: list[Sequence[Cell]]) -> None:
        for col, column in enumerate(columns):
            if column.width is not None:
                width = column.width
            else:
                longest_word = max((len(word) for word in column.header.split()), default=0)
                longest_value = max((_shown_length(values[col]) for values in sample), default=0)
                width = min(max(longest_word + 2, longest_value * 1.1 + 2, _MIN_WIDTH), _MAX_WIDTH)
            self._widths[col] = max(width, self._widths.get(col, 0.0))
            self.worksheet.set_column(col, col, self._widths[col])


@contextmanager
def open_book(target: Path, title: str) -> Iterator[Book]:
    """Write a workbook to `target` atomically; the file appears only if the body succeeds."""
    # xlsxwriter keeps each sheet's rows in temporary files until close(); a
    # private folder makes sure they are removed even when the body fails.
    with (
        atomic_write(target) as temp,
        tempfile.TemporaryDirectory(prefix="bao-cao-", ignore_cleanup_errors=True) as scratch,
    ):
        workbook = Workbook(str(temp), {**WORKBOOK_OPTIONS, "tmpdir": scratch})
        workbook.set_properties({"title": title, "created": CREATED})
        yield Book(workbook)
        workbook.close()


def _chars_per_line(width: float, *, bold: bool = False) -> int:
    """About how many characters of 11-point text fit a column `width` wide
    (estimated on the wide side, so a wrapped row is rather too tall than cut)."""
    return max(int(width * (0.9 if bold else 1.1)) - 1, 1)


def _is_number(value: Cell) -> bool:
    # numbers.Real also covers numpy's scalars; NaN (and NA, not Real) is empty.
    return isinstance(value, Real) and not isinstance(value, bool) and value == value


def _add_whole_number_check(worksheet: Worksheet, col: int, first: int, last: int) -> None:
    worksheet.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "ignore_blank": True,
            "error_title": "Giá trị không hợp lệ",
            "error_message": "Nhập một số nguyên, không âm (ví dụ 1250), không ghi chữ.",
        },
    )


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
    # One validation per distinct list, over all its rows: a validation per
    # group would bloat the file and slow Excel down on large reviews.
    first, last = ranges[0]
    worksheet.data_validation(
        first,
        col,
        last,
        col,
        {
            "validate": "list",
            "source": list(choices),
            "multi_range": " ".join(xl_range(start, col, end, col) for start, end in ranges),
            "error_title": "Giá trị không hợp lệ",
            "error_message": "Chọn một giá trị trong danh sách thả xuống.",
        },
    )
