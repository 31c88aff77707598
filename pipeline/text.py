"""Vietnamese text helpers shared by every stage.

Folding maps đ/Đ (and the look-alike eth Ð) to d before stripping marks:
NFKD alone would delete the letter instead of mapping it.
"""

from __future__ import annotations

import datetime
import functools
import re
import unicodedata

_D_LETTERS = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "Ð": "D"})
_SPACES = re.compile(r"\s+")


def clean(text: str) -> str:
    """NFC, no line breaks or repeated spaces, no outer spaces."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()


def _strip_marks_slowly(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.translate(_D_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _markless_table() -> dict[int, str]:
    """Per character, itself without marks when that is ASCII (possibly empty).

    Covers the Latin letters with marks (all of Vietnamese) and the combining
    marks: each loses its marks on its own exactly as inside a text.
    """
    blocks = (range(0xC0, 0x250), range(0x300, 0x370), range(0x1E00, 0x1F00))
    table: dict[int, str] = {}
    for code in (code for block in blocks for code in block):
        markless = _strip_marks_slowly(chr(code))
        if markless.isascii() and not chr(code).isspace():
            table[code] = markless
    return table


_MARKLESS = _markless_table()


def strip_marks(text: str) -> str:
    """Text without diacritics, đ written d, case kept (typing without a
    Vietnamese keyboard). One str.translate for Vietnamese text; anything the
    table does not cover takes the decomposing path."""
    stripped = text.translate(_MARKLESS)
    return stripped if stripped.isascii() else _strip_marks_slowly(text)


# Rosters repeat the same communes, hamlets, names and marks over and over.
@functools.lru_cache(maxsize=1 << 18)
def fold(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced form used for comparisons."""
    return _SPACES.sub(" ", strip_marks(text).lower()).strip()


def header_key(text: str) -> str:
    """Key for header matching: folded, with every non-alphanumeric removed."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def display_value(value: object) -> str:
    """A cell value as a person reads it in a roster (dates as dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return _day_month_year(value)
        return f"{_day_month_year(value)} {value.hour:02}:{value.minute:02}"
    if isinstance(value, datetime.date):
        return _day_month_year(value)
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "x" if value else ""
    return clean(str(value))


def _day_month_year(value: datetime.date) -> str:
    # strftime("%d/%m/%Y") costs four times as much (a roster holds tens of
    # thousands of distinct dates). The year is not padded, as glibc's %Y
    # leaves it: year 5 is "5".
    return f"{value.day:02}/{value.month:02}/{value.year}"
