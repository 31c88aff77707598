"""File readers: a roster file becomes a list of sheets of cell rows.

Every format detail lives here, so the loader sees one shape whatever the
file: each sheet is a rectangular grid anchored at cell A1 (list index + 1 is
the Excel row and column), and each cell is None (empty), a cleaned string,
an int (integral numbers: calamine returns every number as float), a float,
a bool, or a date/time value exactly as the workbook stores it.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

from python_calamine import (
    CalamineError,
    CalamineSheet,
    CalamineWorkbook,
    PasswordError,
    SheetTypeEnum,
)

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

# Magic numbers: every xlsx/xlsm/ods is a zip; xls (and an encrypted xlsx) is
# an OLE2 compound file.
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CSV_DELIMITERS = (",", ";", "\t")
_CSV_SNIFF_LINES = 50
_CSV_SNIFF_CHARS = 64 * 1024


class UnreadableFileError(Exception):
    """A file that cannot be read as a roster; str(error) is a Vietnamese hint.

    The original exception, when there is one, is chained as __cause__.
    """


@dataclass(frozen=True)
class Sheet:
    name: str  # "" for a CSV file
    rows: list[Row]


def read_roster(path: Path) -> list[Sheet]:
    """Read a workbook (xlsx, xlsm, xls, ods) or a CSV file.

    Raises UnreadableFileError for every failure that is the file's fault.
    """
    try:
        if path.suffix.lower() == ".csv":
            return [read_csv(path)]
        return read_workbook(path)
    except OSError as exc:
        raise UnreadableFileError(
            "không mở được tệp (tệp đang bị chương trình khác khóa hoặc không có quyền đọc); "
            "hãy đóng tệp rồi chạy lại"
        ) from exc


def read_workbook(path: Path) -> list[Sheet]:
    with path.open("rb") as handle:
        magic = handle.read(len(_OLE2_MAGIC))
        if not magic:
            raise UnreadableFileError("tệp trống (0 byte)")
        handle.seek(0)
        try:
            # from_filelike detects the format from the content rather than
            # the suffix, so a .xls saved under the name .xlsx still opens.
            with CalamineWorkbook.from_filelike(handle) as workbook:
                return [
                    Sheet(meta.name, _convert_grid(workbook.get_sheet_by_name(meta.name)))
                    for meta in workbook.sheets_metadata
                    # Chart and dialog sheets hold no cells.
                    if meta.typ == SheetTypeEnum.WorkSheet
                ]
        except PasswordError as exc:
            raise UnreadableFileError(f"tệp được đặt mật khẩu mở tệp; {_REMOVE_PASSWORD}") from exc
        except CalamineError as exc:
            raise UnreadableFileError(_open_failure_hint(path, magic)) from exc


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


def _convert_grid(sheet: CalamineSheet) -> list[Row]:
    # skip_empty_area=False anchors the grid at A1 so indexes are Excel rows.
    return [[_convert(value) for value in row] for row in sheet.to_python(skip_empty_area=False)]


def _convert(value: Cell) -> Cell | None:
    if isinstance(value, str):
        return clean(value) or None
    if isinstance(value, float) and value.is_integer():
        # An identifier typed as a number must not display as "75...0.0".
        return int(value)
    return value


def read_csv(path: Path) -> Sheet:
    text = _decode(path.read_bytes())
    if "\x00" in text:
        raise UnreadableFileError(
            "tệp CSV chứa ký tự NUL (có thể là UTF-16 không có BOM hoặc không phải tệp văn bản); "
            "hãy mở bằng Excel và lưu lại dạng 'CSV UTF-8'"
        )
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_guess_delimiter(text))
    rows: list[Row] = [[clean(cell) or None for cell in record] for record in reader]
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
