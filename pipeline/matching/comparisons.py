"""Field comparisons of record pairs, vectorised over arrays of pair positions.

Each comparison maps a pair to one level of an ordered list; the last level of
every field is "missing" (one side has no value), which carries no weight.
Levels are chosen for how Vietnamese rosters differ: a year written alone,
day and month swapped, a dropped middle name, an ID that lost a digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import cpdist

Levels = np.ndarray  # int8 level index per pair

# Ordered levels of each field; weights are learned per level (model.py).
FIELD_LEVELS: dict[str, tuple[str, ...]] = {
    "name": ("exact", "no_middle", "close", "given_typo", "different"),
    "birth": (
        "exact",
        "swapped",
        "one_digit",
        "year_only",
        "same_year",
        "near_year",
        "different",
        "far",
        "missing",
    ),
    "citizen_id": ("same", "one_digit", "different", "missing"),
    # "merged": two old communes that the 2025 reform made one.
    "commune": ("same", "merged", "different", "missing"),
    "hamlet": ("same", "different", "missing"),
    "sex": ("same", "different", "missing"),
}
MISSING = "missing"

# rapidfuzz ratio (0..100) of whole folded names above which a name that is
# not equal is a typo of the other ("Lann" for "Lan", "Nguyen" for "Nguyên").
CLOSE_NAME_RATIO = 88.0
# Birth years further apart than this are not a typing slip.
FAR_YEARS = 5


def _codes(values: pd.Series) -> np.ndarray:
    """Integer code per distinct non-empty value; -1 for empty."""
    codes, _ = pd.factorize(values.where(values != "", None), use_na_sentinel=True)
    return codes.astype(np.int64)


@dataclass(frozen=True)
class RecordArrays:
    """Columns of the accepted records as arrays, indexed by record position."""

    name_key: np.ndarray  # object array of str
    name_code: np.ndarray
    surname_given_code: np.ndarray
    given_key: np.ndarray  # object array of str
    given_code: np.ndarray
    family_code: np.ndarray  # surname and middle names together
    word_count: np.ndarray
    birth_year: np.ndarray
    birth_month: np.ndarray
    birth_day: np.ndarray
    citizen_id: np.ndarray  # object array of str
    citizen_id_code: np.ndarray
    citizen_id_length: np.ndarray
    commune_code: np.ndarray
    old_commune_code: np.ndarray
    hamlet_code: np.ndarray
    sex_code: np.ndarray

    @classmethod
    def from_records(cls, records: pd.DataFrame) -> RecordArrays:
        iso = records["birth_iso"].astype(str)
        full = records["birth_precision"] == "day"
        month = pd.to_numeric(iso.str.slice(5, 7).where(full, "0"), errors="coerce")
        day = pd.to_numeric(iso.str.slice(8, 10).where(full, "0"), errors="coerce")
        surname_given = records["surname_key"] + "|" + records["given_key"]
        return cls(
            name_key=records["name_key"].to_numpy(dtype=object),
            name_code=_codes(records["name_key"]),
            surname_given_code=_codes(surname_given.where(records["name_key"] != "", "")),
            given_key=records["given_key"].to_numpy(dtype=object),
            given_code=_codes(records["given_key"]),
            family_code=_codes(records["surname_key"] + "|" + records["middle_key"]),
            word_count=records["name_key"].str.count(" ").to_numpy() + 1,
            birth_year=records["birth_year"].to_numpy(dtype=np.int64),
            birth_month=month.fillna(0).to_numpy(dtype=np.int64),
            birth_day=day.fillna(0).to_numpy(dtype=np.int64),
            citizen_id=records["citizen_id_norm"].to_numpy(dtype=object),
            citizen_id_code=_codes(records["citizen_id_norm"]),
            citizen_id_length=records["citizen_id_norm"].str.len().to_numpy(dtype=np.int64),
            commune_code=_codes(records["commune_key"]),
            old_commune_code=_codes(records["old_commune_key"]),
            hamlet_code=_codes(records["hamlet_key"]),
            sex_code=_codes(records["sex_code"]),
        )


def _select(field: str, conditions: list[tuple[str, np.ndarray]], default: str) -> Levels:
    """The first level whose condition holds for each pair, as an if/elif chain."""
    levels = FIELD_LEVELS[field]
    return np.select(
        [condition for _, condition in conditions],
        [np.int8(levels.index(name)) for name, _ in conditions],
        np.int8(levels.index(default)),
    ).astype(np.int8)


def compare_names(a: RecordArrays, left: np.ndarray, right: np.ndarray) -> Levels:
    exact = a.name_code[left] == a.name_code[right]
    same_ends = (a.surname_given_code[left] == a.surname_given_code[right]) & (
        a.surname_given_code[left] >= 0
    )
    one_lacks_middle = np.minimum(a.word_count[left], a.word_count[right]) == 2
    no_middle = same_ends & one_lacks_middle & ~exact
    same_given = a.given_code[left] == a.given_code[right]
    # A slip in the surname or middle name; the given name is what tells
    # relatives apart, so it must agree.
    close = np.zeros(len(left), dtype=bool)
    candidates = ~exact & ~no_middle & same_given
    if candidates.any():
        ratios = cpdist(
            a.name_key[left[candidates]], a.name_key[right[candidates]], scorer=fuzz.ratio
        )
        close[candidates] = ratios >= CLOSE_NAME_RATIO
    # A slip in the given name alone ("Lann"): a level of its own, because
    # one letter also separates real names (Hùng, Hằng) of siblings.
    given_typo = np.zeros(len(left), dtype=bool)
    candidates = ~exact & (a.family_code[left] == a.family_code[right]) & ~same_given
    if candidates.any():
        distances = cpdist(
            a.given_key[left[candidates]],
            a.given_key[right[candidates]],
            scorer=Levenshtein.distance,
        )
        given_typo[candidates] = distances == 1
    return _select(
        "name",
        [("exact", exact), ("no_middle", no_middle), ("close", close), ("given_typo", given_typo)],
        "different",
    )


def _one_digit_apart(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Two-digit numbers that differ in exactly one digit (a typing slip)."""
    return (x != y) & ((x // 10 == y // 10) | (x % 10 == y % 10))


def compare_births(a: RecordArrays, left: np.ndarray, right: np.ndarray) -> Levels:
    year_l, year_r = a.birth_year[left], a.birth_year[right]
    month_l, month_r = a.birth_month[left], a.birth_month[right]
    day_l, day_r = a.birth_day[left], a.birth_day[right]
    missing = (year_l == 0) | (year_r == 0)
    both_full = (day_l > 0) & (day_r > 0)
    same_year = year_l == year_r
    same_month, same_day = month_l == month_r, day_l == day_r
    exact = both_full & same_year & same_month & same_day
    swapped = both_full & same_year & (month_l == day_r) & (day_l == month_r)
    one_digit = (
        both_full
        & same_year
        & (
            (same_month & _one_digit_apart(day_l, day_r))
            | (same_day & _one_digit_apart(month_l, month_r))
        )
    )
    year_only = ~both_full & same_year
    gap = np.abs(year_l - year_r)
    # The same day and month one year apart: more often a typo than a relative.
    near_year = both_full & same_month & same_day & (gap == 1)
    # A generation apart: a parent and child who share a full name.
    far = gap > FAR_YEARS
    return _select(
        "birth",
        [
            (MISSING, missing),
            ("exact", exact),
            ("swapped", swapped),
            ("one_digit", one_digit),
            ("year_only", year_only),
            ("same_year", both_full & same_year),
            ("near_year", near_year),
            ("far", far),
        ],
        "different",
    )


def _differ_in_one_digit(x: np.ndarray, y: np.ndarray, length: int) -> np.ndarray:
    """IDs of one length that differ in exactly one character."""
    xs = np.frombuffer("".join(x).encode("ascii"), dtype=np.uint8).reshape(-1, length)
    ys = np.frombuffer("".join(y).encode("ascii"), dtype=np.uint8).reshape(-1, length)
    return (xs != ys).sum(axis=1) == 1


def compare_citizen_ids(a: RecordArrays, left: np.ndarray, right: np.ndarray) -> Levels:
    code_l, code_r = a.citizen_id_code[left], a.citizen_id_code[right]
    length_l, length_r = a.citizen_id_length[left], a.citizen_id_length[right]
    # A 9-digit CMND and a 12-digit CCCD of one person share nothing.
    missing = (code_l < 0) | (code_r < 0) | (length_l != length_r)
    same = code_l == code_r
    one_digit = np.zeros(len(left), dtype=bool)
    unequal = ~same & ~missing
    for length in np.unique(length_l[unequal]):
        rows = unequal & (length_l == length)
        one_digit[rows] = _differ_in_one_digit(
            a.citizen_id[left[rows]], a.citizen_id[right[rows]], int(length)
        )
    return _select(
        "citizen_id", [(MISSING, missing), ("same", same), ("one_digit", one_digit)], "different"
    )


def _compare_codes(codes: np.ndarray, field: str, left: np.ndarray, right: np.ndarray) -> Levels:
    levels_of = FIELD_LEVELS[field]
    code_l, code_r = codes[left], codes[right]
    levels = np.where(code_l == code_r, levels_of.index("same"), levels_of.index("different"))
    levels[(code_l < 0) | (code_r < 0)] = levels_of.index(MISSING)
    return levels.astype(np.int8)


def compare_communes(a: RecordArrays, left: np.ndarray, right: np.ndarray) -> Levels:
    new_l, new_r = a.commune_code[left], a.commune_code[right]
    old_l, old_r = a.old_commune_code[left], a.old_commune_code[right]
    both_old = (old_l >= 0) & (old_r >= 0)
    same_new = new_l == new_r
    return _select(
        "commune",
        [
            (MISSING, (new_l < 0) | (new_r < 0)),
            ("same", (both_old & (old_l == old_r)) | (~both_old & same_new)),
            ("merged", both_old & same_new),
        ],
        "different",
    )


def compare_all(a: RecordArrays, left: np.ndarray, right: np.ndarray) -> dict[str, Levels]:
    """Level of every field for each pair (left[k], right[k])."""
    return {
        "name": compare_names(a, left, right),
        "birth": compare_births(a, left, right),
        "citizen_id": compare_citizen_ids(a, left, right),
        "commune": compare_communes(a, left, right),
        "hamlet": _compare_codes(a.hamlet_code, "hamlet", left, right),
        "sex": _compare_codes(a.sex_code, "sex", left, right),
    }
