"""Parsers for cell values as offices type them.

Each parser reads one cell. `map_distinct` and `parse_dates` apply them to a
whole column, calling the parser once per distinct value: rosters repeat
dates, tick marks and place names thousands of times.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from pipeline.text import display_value, fold

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
# "năm 2025" with its breve: without it "Việt Nam 2025" would read as a year.
_TITLE_YEAR = re.compile(r"\bnăm\s*((?:19|20)\d\d)\b", re.IGNORECASE)

# A CCCD is 12 digits whose 4th digit (century and sex) is 0-3 for anyone born
# 1900-2099; a CMND, the older card, is 9 digits without structure.
CITIZEN_ID_PATTERN = r"\d{9}|\d{3}[0-3]\d{8}"
# Vietnamese numbers as dialled at home: 10-digit mobiles (03, 05, 07, 08, 09),
# 11-digit mobiles from before the 2018 renumbering (01…) and 11-digit landlines (02…).
PHONE_PATTERN = r"0[35789]\d{8}|0[12]\d{9}"
_PHONE_SEPARATORS = re.compile(r"[,;/]|\s[-–]\s")
_COUNTRY_CODE = "84"
_NON_DIGITS = re.compile(r"\D")


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


def _digits_only(value: object) -> str | None:
    """The digits of a number, or of a text holding nothing else; None otherwise.

    Excel drops the leading zero of an identifier typed as a number, and a CSV
    exported from such a cell keeps the shortened digits as text.
    """
    if isinstance(value, str):
        return value if value.isascii() and value.isdigit() else None
    if isinstance(value, bool):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    return None


def normalize_citizen_id(value: object) -> str:
    """Digits of a CCCD (12) or CMND (9), restoring a leading zero lost by Excel.

    A CCCD starts with a province code 001–096, so an 11-digit number is a CCCD
    typed as a number; likewise an 8-digit number is a CMND that lost its zero.
    The result may still be malformed: see CITIZEN_ID_PATTERN.
    """
    if value is None:
        return ""
    digits = _digits_only(value)
    if digits is not None:
        return "0" + digits if len(digits) in (11, 8) else digits
    return _NON_DIGITS.sub("", display_value(value))


def normalize_phone(value: object) -> str:
    """The digits of a phone number as dialled inside Vietnam, or "" for an empty cell.

    "+84 912…" and "84912…" become "0912…"; a leading zero lost by a number
    cell is restored; of several numbers in one cell ("0912… / 0987…") the
    first is kept. The result may still be malformed: see PHONE_PATTERN.
    """
    if value is None:
        return ""
    digits = _digits_only(value)
    if digits is None:
        first = _PHONE_SEPARATORS.split(display_value(value), maxsplit=1)[0]
        digits = _NON_DIGITS.sub("", first)
    elif not digits.startswith("0") and (
        len(digits) == 9 or (len(digits) == 10 and digits[0] in "12")
    ):
        # A 10-digit mobile without its zero has 9 digits; an 11-digit landline
        # (02…) or pre-2018 mobile (01…) has 10.
        digits = "0" + digits
    if digits.startswith(_COUNTRY_CODE) and len(digits) in (11, 12):
        digits = "0" + digits[len(_COUNTRY_CODE) :]
    return digits


def year_in_title(title: str) -> int | None:
    """The year a roster's title rows state ("… NÒNG CỐT NĂM 2025"), the latest if several."""
    years = [int(year) for year in _TITLE_YEAR.findall(title)]
    return max(years) if years else None


def display_text(value: object) -> str:
    """display_value, skipping strings: the loader has already cleaned them."""
    return value if type(value) is str else display_value(value)


def factorize_cells(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Codes into a list of the distinct values; code -1 marks an empty cell.

    pandas treats True, 1 and 1.0 (and False, 0, 0.0) as one value, but a
    cell's type matters here (False shows as "", 0 as "0"), so cells equal to
    0 or 1 are told apart by type.
    """
    cells = values.to_numpy(dtype=object)
    codes, uniques = pd.factorize(cells)
    distinct: list[object] = list(uniques)
    # At most two distinct values equal 0 or 1: factorize merged the others.
    ambiguous = np.flatnonzero((uniques == 0) | (uniques == 1))
    if len(ambiguous):
        by_type: dict[tuple[type, object], int] = {}
        for position in np.flatnonzero(np.isin(codes, ambiguous)):
            cell = cells[position]
            key = (type(cell), cell)
            code = by_type.get(key)
            if code is None:
                code = by_type[key] = len(distinct)
                distinct.append(cell)
            codes[position] = code
    return codes, distinct


def map_distinct(values: pd.Series, parse: Callable[[object], Any]) -> np.ndarray:
    """`parse` of every cell (an object array), computed once per distinct value."""
    codes, distinct = factorize_cells(values)
    # The extra last slot is what code -1 (an empty cell) picks.
    results = np.empty(len(distinct) + 1, dtype=object)
    for code, value in enumerate(distinct):
        results[code] = parse(value)
    results[-1] = parse(None)
    return results[codes]


def map_distinct_text(
    values: pd.Series, parse: Callable[[object], str] = display_text
) -> pd.Series:
    """`parse` of every cell as pandas' string type, computed once per distinct value.

    Whole-column comparisons and matches are fast on the string type (pandera
    also recognises it without scanning every value); building it from the
    distinct texts keeps the conversion cheap.
    """
    codes, distinct = factorize_cells(values)
    return _take_text([*(parse(value) for value in distinct), parse(None)], codes, values.index)


def _take_text(texts: list[str], codes: np.ndarray, index: pd.Index) -> pd.Series:
    """texts[code] for every code, as pandas' string type; code -1 takes the last text."""
    return pd.Series(pd.array(texts, dtype="str").take(codes), index=index)


def parse_dates(values: pd.Series, pivot_year: int = 2025) -> pd.DataFrame:
    """parse_date of every cell, as columns with the values' index.

    year (0 when unknown), ymd (year*10000 + month*100 + day for a full date,
    else 0, so dates compare as integers), iso, precision ("day", "year", ""),
    unreadable (a value that is neither a date nor a year).
    """
    codes, distinct = factorize_cells(values)
    size = len(distinct) + 1  # the last slot stands for an empty cell
    year = np.zeros(size, dtype=np.int64)
    ymd = np.zeros(size, dtype=np.int64)
    iso = [""] * size
    precision = [""] * size
    unreadable = np.zeros(size, dtype=bool)
    for code, value in enumerate(distinct):
        try:
            parsed = parse_date(value, pivot_year)
        except UnreadableDate:
            unreadable[code] = True
            continue
        if parsed is None:
            continue
        year[code] = parsed.year
        ymd[code] = parsed.year * 10_000 + parsed.month * 100 + parsed.day if parsed.day else 0
        iso[code] = parsed.iso
        precision[code] = parsed.precision
    return pd.DataFrame(
        {
            "year": year[codes],
            "ymd": ymd[codes],
            "iso": _take_text(iso, codes, values.index),
            "precision": _take_text(precision, codes, values.index),
            "unreadable": unreadable[codes],
        },
        index=values.index,
    )
