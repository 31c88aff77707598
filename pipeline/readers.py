"""File readers: a roster file becomes a sequence of sheets of cell rows.

Every format detail lives here, so the loader sees one shape whatever the
file: each sheet is a rectangular grid anchored at cell A1 (list index + 1 is
the Excel row and column), and each cell is None (empty), a cleaned string
(`pipeline.text.clean`), an int (integral numbers: calamine returns every
number as float), a float, a bool, or a date/time value exactly as the
workbook stores it. A formula cell holds the value Excel cached when the file
was last saved.

Sheets are read one at a time, so at most one sheet's grid is in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
    SheetVisibleEnum,
)

from pipeline import safety
from pipeline.text import clean

Cell = (
    str
    | int
    | float
    | bool
    | datetime.date
    | datetime.datetime
    | datetime.time
    | datetime.timedelta
)
Row = list[Cell | None]
Visibility = Literal["visible", "hidden", "very_hidden"]

# Magic numbers: every xlsx/xlsm/ods is a zip; xls (and an encrypted xlsx) is
# an OLE2 compound file.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CSV_DELIMITERS = (",", ";", "\t")
_CSV_SNIFF_LINES = 50
_CSV_SNIFF_CHARS = 64 * 1024
# Excel writes (and honours) a first line "sep=;" naming the delimiter; it
# hides that line, so the rows after it keep the numbers Excel shows.
_CSV_SEPARATOR_HINT = re.compile(r'"?sep=([^"\r\n])"?[ \t]*(?:\r\n|\r|\n|$)', re.IGNORECASE)


class UnreadableFileError(Exception):
    """A file that cannot be read as a roster; str(error) is a Vietnamese hint.

    The original exception, when there is one, is chained as __cause__.
    """


@dataclass(frozen=True)
class Sheet:
    name: str  # "" for a CSV file
    rows: list[Row]
    visibility: Visibility = "visible"


def read_roster(path: Path) -> Iterator[Sheet]:
    """Read a workbook (xlsx, xlsm, xls, ods) or a CSV file, one sheet at a time.

    Raises UnreadableFileError, while iterating, for every failure that is the
    file's fault.
    """
    try:
        # Hostile or broken files are refused before a reader opens them:
        # calamine aborts the whole process on some of them.
        safety.inspect_file(path)
        if path.suffix.lower() == ".csv":
            yield read_csv(path)
        else:
            yield from read_workbook(path)
    except OSError as exc:
        raise UnreadableFileError(
            "không mở được tệp (tệp đang bị chương trình khác khóa hoặc không có quyền đọc); "
            "hãy đóng tệp rồi chạy lại"
        ) from exc


def read_workbook(path: Path) -> Iterator[Sheet]:
    with path.open("rb") as handle:
        magic = handle.read(len(_OLE2_MAGIC))
        if not magic:
            raise UnreadableFileError("tệp trống (0 byte)")
        handle.seek(0)
        try:
            with _open_workbook(path, handle) as workbook:
                for meta in workbook.sheets_metadata:
                    # Chart and dialog sheets hold no cells.
                    if meta.typ != SheetTypeEnum.WorkSheet:
                        continue
                    # Built inside the yield: this frame keeps no grid (nor calamine's
                    # copy of the sheet) while the caller works or the next is read.
                    yield Sheet(
                        meta.name,
                        _grid(workbook.get_sheet_by_name(meta.name), meta.name),
                        _visibility(meta.visible),
                    )
        except PasswordError as exc:
            raise UnreadableFileError(f"tệp được đặt mật khẩu mở tệp; {_REMOVE_PASSWORD}") from exc
        except CalamineError as exc:
            raise UnreadableFileError(_open_failure_hint(path, magic)) from exc


def _open_workbook(path: Path, handle: BinaryIO) -> CalamineWorkbook:
    """The workbook, opened by its name when its suffix tells its format, else
    by its content, so that a .xls saved under the name .xlsx still opens.

    By name calamine reads the file itself; handed the file, it first copies
    all of it through Python (0.05 s for a 17 MB roster of 200,000 rows).
    Every mismatch of suffix and content fails to open by name.
    """
    try:
        return CalamineWorkbook.from_path(str(path))
    except CalamineError:
        return CalamineWorkbook.from_filelike(handle)


def _visibility(visible: SheetVisibleEnum) -> Visibility:
    # calamine's enum members are not hashable, so no dict lookup.
    if visible == SheetVisibleEnum.Hidden:
        return "hidden"
    if visible == SheetVisibleEnum.VeryHidden:
        return "very_hidden"
    return "visible"


_REMOVE_PASSWORD = (
    "hãy mở bằng Excel, gỡ mật khẩu (Tệp > Thông tin > Bảo vệ sổ làm việc > Mã hóa bằng "
    "mật khẩu, xóa trống) rồi lưu lại"
)


def _open_failure_hint(path: Path, magic: bytes) -> str:
    suffix = path.suffix.lower()
    if magic.startswith(_OLE2_MAGIC) and suffix in (".xlsx", ".xlsm"):
        # Excel stores a password-protected xlsx inside an OLE2 container.
        return (
            "tệp có thể đã được đặt mật khẩu mở tệp hoặc bị hỏng; nếu có mật khẩu, "
            + _REMOVE_PASSWORD
        )
    if magic.startswith(_ZIP_MAGIC):
        return (
            "tệp là tệp nén nhưng không chứa sổ tính (có thể là tệp Word hoặc tệp khác "
            f"bị đổi đuôi thành {suffix}); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
        )
    return (
        f"tệp không phải là sổ tính {suffix} thật hoặc đã bị hỏng (có thể là trang web hay "
        "tệp khác bị đổi đuôi); hãy mở bằng Excel và lưu lại dưới dạng .xlsx"
    )


def _grid(sheet: CalamineSheet, name: str) -> list[Row]:
    """The sheet's cells, converted row by row as calamine hands them over.

    iter_rows starts at row 1 but at the used range's first column, so rows
    are padded on the left to keep list indexes equal to Excel columns.
    Converting while iterating (rather than after to_python) means calamine's
    values and ours are never both held for the whole sheet.
    """
    end = sheet.end
    if end is not None:
        safety.sheet_size_guard(end[0] + 1, end[1] + 1, sheet=name)
    start = sheet.start
    if start is None or start[1] == 0:
        return [_convert_row(row) for row in sheet.iter_rows()]
    padding: Row = [None] * start[1]
    return [padding + _convert_row(row) for row in sheet.iter_rows()]


_is_nfc = unicodedata.is_normalized


def _convert_row(values: Iterable[Cell]) -> Row:
    """Cells as the loader sees them (module docstring).

    Every cell of every roster passes here, so the common cases are inlined
    rather than a call per cell: an empty cell ("" from calamine), text that
    is already clean, an integral number. Text is clean, as
    `pipeline.text.clean` would leave it, when it is printable (no tab, line
    break or other space than " "), without doubled or outer spaces, and NFC
    (ASCII always is).
    """
    return [
        (
            (
                value
                if "  " not in value
                and value.isprintable()
                and value.strip(" ") == value
                and (value.isascii() or _is_nfc("NFC", value))
                else (clean(value) or None)
            )
            if value
            else None
        )
        if type(value) is str
        # An identifier typed as a number must not display as "75...0.0".
        else (int(value) if type(value) is float and value.is_integer() else value)
        for value in values
    ]


def read_csv(path: Path) -> Sheet:
    text = _decode(path.read_bytes())
    if "\x00" in text:
        raise UnreadableFileError(
            "tệp CSV chứa ký tự NUL (có thể là UTF-16 không có BOM hoặc không phải tệp văn bản); "
            "hãy mở bằng Excel và lưu lại dạng 'CSV UTF-8'"
        )
    if hint := _CSV_SEPARATOR_HINT.match(text):
        delimiter, text = hint.group(1), text[hint.end() :]
    else:
        delimiter = _guess_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = [_convert_row(record) for record in reader]
    width = max((len(row) for row in rows), default=0)
    for row in rows:
        row.extend([None] * (width - len(row)))
    return Sheet("", rows)


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Vietnamese Windows saves "CSV" in the ANSI code page.
        return data.decode("cp1258")
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(
            "không nhận ra bảng mã của tệp CSV (không phải UTF-8, UTF-16 hay Windows-1258); "
            "hãy mở bằng Excel và lưu lại dạng 'CSV UTF-8'"
        ) from exc


def _guess_delimiter(text: str) -> str:
    """The candidate appearing most often on one line among the first lines.

    The header line holds one delimiter per column; a comma inside a quoted
    address rarely repeats that often. Ties go to the comma.
    """
    lines = text[:_CSV_SNIFF_CHARS].splitlines()[:_CSV_SNIFF_LINES]
    best, best_count = ",", 0
    for delimiter in _CSV_DELIMITERS:
        count = max((line.count(delimiter) for line in lines), default=0)
        if count > best_count:
            best, best_count = delimiter, count
    return best
