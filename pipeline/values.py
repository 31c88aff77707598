"""Parsers for cell values as offices type them."""

from __future__ import annotations

import datetime
import math
import re
from dataclasses import dataclass

from pipeline.text import fold

# Excel stores dates as days since 1899-12-30; a bare number in this range in a
# birth-date column is such a serial whose cell lost its date format.
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_EXCEL_SERIAL_RANGE = (366, 80_000)
_YEAR_RANGE = (1000, 2999)

_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{2}|\d{4})$")
_YEAR_MONTH_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_YEAR_ONLY = re.compile(r"^(\d{4})$")
_TRUE_MARKS = frozenset({"x", "co", "1", "v", "yes", "true", "dung", "✓", "✔", "nc", "shtx"})
_AWAY_WORDS = ("di lam an xa", "tam vang", "lam an xa", "vang mat")


@dataclass(frozen=True)
class PartialDate:
    year: int
    month: int = 0
    day: int = 0

    @property
    def precision(self) -> str:
        return "day" if self.day else "year"

    @property
    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        return f"{self.year:04d}"


class UnreadableDate(ValueError):
    """A non-empty value that is not a date or a year."""


def _full_year(two_or_four_digits: str, pivot_year: int) -> int:
    if len(two_or_four_digits) == 4:
        return int(two_or_four_digits)
    year = 2000 + int(two_or_four_digits)
    return year if year <= pivot_year else year - 100


def _checked(year: int, month: int, day: int) -> PartialDate:
    try:
        datetime.date(year, month, day)
    except ValueError as exc:
        raise UnreadableDate(str(exc)) from exc
    return PartialDate(year, month, day)


def parse_date(value: object, pivot_year: int = 2025) -> PartialDate | None:
    """A date, a year alone, or None for an empty cell.

    Two-digit years are placed in the century that keeps them at or before
    `pivot_year` (a birth date is never in the future).
    """
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return PartialDate(value.year, value.month, value.day)
    if isinstance(value, bool):
        raise UnreadableDate(str(value))
    if isinstance(value, int | float):
        number = float(value)
        if not number.is_integer():
            raise UnreadableDate(str(value))
        if _YEAR_RANGE[0] <= number <= _YEAR_RANGE[1]:
            return PartialDate(int(number))
        if _EXCEL_SERIAL_RANGE[0] <= number <= _EXCEL_SERIAL_RANGE[1]:
            serial_date = _EXCEL_EPOCH + datetime.timedelta(days=int(number))
            return PartialDate(serial_date.year, serial_date.month, serial_date.day)
        raise UnreadableDate(str(value))
    text = str(value).strip()
    if match := _DAY_MONTH_YEAR.match(text):
        day_text, month_text, year_text = match.groups()
        return _checked(_full_year(year_text, pivot_year), int(month_text), int(day_text))
    if match := _YEAR_MONTH_DAY.match(text):
        year_text, month_text, day_text = match.groups()
        return _checked(int(year_text), int(month_text), int(day_text))
    if match := _YEAR_ONLY.match(text):
        return PartialDate(int(match.group(1)))
    raise UnreadableDate(text)


def parse_mark(value: object) -> bool:
    """A tick column: "x", "X", "có", "1", ✓ … mean yes; empty means no."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value == 1
    return fold(str(value)) in _TRUE_MARKS


def mentions_away(*values: object) -> bool:
    """Whether a note says the member works away from the locality."""
    return any(isinstance(v, str) and any(word in fold(v) for word in _AWAY_WORDS) for v in values)


def parse_sex(value: object) -> str:
    """ "M", "F" or "" from "Nam"/"Nữ" and common variants."""
    if not isinstance(value, str):
        return ""
    folded = fold(value)
    if folded in {"nam", "m", "male", "trai"}:
        return "M"
    if folded in {"nu", "f", "female", "gai"}:
        return "F"
    return ""


def normalize_citizen_id(value: object) -> str:
    """Digits of a CCCD (12) or CMND (9), restoring a leading zero lost by Excel.

    A CCCD starts with a province code 001–096, so an 11-digit number is a CCCD
    typed as a number; likewise an 8-digit number is a CMND that lost its zero.
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    digits = re.sub(r"\D", "", str(value))
    if len(digits) in (11, 8) and not isinstance(value, str):
        digits = "0" + digits
    return digits
