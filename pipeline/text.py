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


# Rosters repeat the same communes, hamlets, names and marks over and over.
@functools.lru_cache(maxsize=1 << 18)
def fold(text: str) -> str:
    """Lower-case, diacritic-free, single-spaced form used for comparisons."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_LETTERS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.lower()).strip()


def header_key(text: str) -> str:
    """Key for header matching: folded, with every non-alphanumeric removed."""
    return re.sub(r"[^0-9a-z]", "", fold(text))


def display_value(value: object) -> str:
    """A cell value as a person reads it in a roster (dates as dd/mm/yyyy)."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, bool):
        return "x" if value else ""
    return clean(str(value))
