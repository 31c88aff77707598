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
from rapidfuzz.distance import OSA
from rapidfuzz.process import cpdist

Levels = np.ndarray  # int8 level index per pair

# Ordered levels of each field; weights are learned per level (model.py).
FIELD_LEVELS: dict[str, tuple[str, ...]] = {
    "name": (
        "exact",
        "no_middle",
        "close",
        "given_typo",
        "typos",
        "swapped",
        "alike",
        "different",
    ),
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
# A word one edit (or one swap of neighbours) from another is a slip only when
# it is rare beside it: "Hùtg" (once) for "Hùng" (hundreds of times). Two
# common names a letter apart are two names: Hương and Phương, Tâm and Tân
# (sisters, twins). Rare: written by at most SLIP_MAX_RECORDS records, or by
# at most SLIP_MAX_SHARE of the records writing the other word.
SLIP_MAX_RECORDS = 2
SLIP_MAX_SHARE = 0.02
# Birth years further apart than this are not a typing slip.
FAR_YEARS = 5


def _codes(values: pd.Series) -> np.ndarray:
    """Integer code per distinct non-empty value; -1 for empty."""
    codes, _ = pd.factorize(values.where(values != "", None), use_na_sentinel=True)
    return codes.astype(np.int64)


@dataclass(frozen=True)
class NameWords:
    """The words of each record's name key, as codes into one vocabulary."""

    codes: np.ndarray  # (records, longest name) word codes, -1 past the name's end
    text: np.ndarray  # object array: the word of each code
    records: np.ndarray  # per code, how many records' names hold the word
    sorted_code: np.ndarray  # per record, a code of its words in alphabetical order

    @classmethod
    def of(cls, name_keys: pd.Series, name_code: np.ndarray) -> NameWords:
        # Names repeat: split each distinct one once.
        distinct = pd.unique(name_keys[name_code >= 0])
        split = [str(name).split(" ") for name in distinct]
        width = max(map(len, split), default=1)
        vocabulary: dict[str, int] = {}
        table = np.full((len(distinct) + 1, width), -1, dtype=np.int64)
        for row, words in enumerate(split):
            table[row, : len(words)] = [vocabulary.setdefault(w, len(vocabulary)) for w in words]
        sorted_names = [" ".join(sorted(words)) for words in split]
        sorted_table = np.append(pd.factorize(np.array(sorted_names, dtype=object))[0], -1)
        # Distinct names in order of first appearance are numbered as
        # name_code numbers them; the empty name takes the last row.
        rows = np.where(name_code >= 0, name_code, len(distinct))
        codes = table[rows]
        present = codes[codes >= 0]
        # A word counts once per record even when a name repeats it ("Mỹ My" aside).
        records = np.bincount(present, minlength=len(vocabulary))
        return cls(
            codes=codes,
            text=np.array(list(vocabulary), dtype=object),
            records=records,
            sorted_code=sorted_table[rows].astype(np.int64),
        )

    def slips(self, code_l: np.ndarray, code_r: np.ndarray) -> np.ndarray:
        """Whether each pair of distinct words is one slip of a typist apart:
        one edit or one swap of neighbouring letters, the rarer word rare
        beside the other."""
        rarer = np.minimum(self.records[code_l], self.records[code_r])
        commoner = np.maximum(self.records[code_l], self.records[code_r])
        slips = rarer <= np.maximum(SLIP_MAX_RECORDS, SLIP_MAX_SHARE * commoner)
        # Most differing words are two common names: rarity rules them out
        # before any string is compared.
        rare = np.flatnonzero(slips)
        if len(rare):
            words_l, words_r = self.text[code_l[rare]], self.text[code_r[rare]]
            slips[rare] = cpdist(words_l, words_r, scorer=OSA.distance) == 1
        return slips


@dataclass(frozen=True)
class RecordArrays:
    """Columns of the accepted records as arrays, indexed by record position."""

    name_key: np.ndarray  # object array of str
    name_code: np.ndarray
    surname_given_code: np.ndarray
    given_code: np.ndarray
    family_code: np.ndarray  # surname and middle names together
    sorted_words_code: np.ndarray  # the name's words in alphabetical order
    word_count: np.ndarray
    words: NameWords
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
        name_code = _codes(records["name_key"])
        words = NameWords.of(records["name_key"], name_code)
        return cls(
            name_key=records["name_key"].to_numpy(dtype=object),
            name_code=name_code,
            surname_given_code=_codes(surname_given.where(records["name_key"] != "", "")),
            given_code=_codes(records["given_key"]),
            family_code=_codes(records["surname_key"] + "|" + records["middle_key"]),
            sorted_words_code=words.sorted_code,
            word_count=records["name_key"].str.count(" ").to_numpy() + 1,
            words=words,
            birth_year=records["birth_year"].to_numpy(dtype=np.int64),
            birth_month=month.fillna(0).to_numpy(dtype=np.int64),
            birth_day=day.fillna(0).to_numpy(dtype=np.int64),
            citizen_id=records["citizen_id_norm"].to_numpy(dtype=object),
            citizen_id_code=_codes(records["citizen_id_norm"]),
            citizen_id_length=records["citizen_id_norm"].str.len().to_numpy(dtype=np.int64),
            commune_code=_codes(records["commune_key"]),
            old_commune_code=_codes(records["old_commune_key"]),
            hamlet_code=_codes(records["hamlet_key"]),
            sex_code=_codes(records["sex_key"]),
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
    # Names of as many words that differ in one word, or in the surname and
    # the given name: are those slips?
    words_l, words_r = a.words.codes[left], a.words.codes[right]
    differ = words_l != words_r
    differing = differ.sum(axis=1)
    first = np.argmax(differ, axis=1)
    given_position = a.word_count[left] - 1
    aligned = (a.word_count[left] == a.word_count[right]) & ~exact
    one = np.flatnonzero(aligned & (differing == 1))
    one_slip = np.zeros(len(left), dtype=bool)
    one_slip[one] = a.words.slips(words_l[one, first[one]], words_r[one, first[one]])
    # A slip in the given name alone ("Lann"): its own level, because the
    # given name is what tells relatives apart.
    given_typo = one_slip & (first == given_position)
    # A slip in the surname or a middle name, the given name agreeing.
    close = one_slip & (first != given_position)
    # Slips in both the surname and the given name ("Bishdop Charlotute").
    two = np.flatnonzero(aligned & (differing == 2) & differ[:, 0])
    two = two[differ[two, given_position[two]]]
    typos = np.zeros(len(left), dtype=bool)
    surname_slip = a.words.slips(words_l[two, 0], words_r[two, 0])
    given_l, given_r = words_l[two, given_position[two]], words_r[two, given_position[two]]
    typos[two] = surname_slip & a.words.slips(given_l, given_r)
    # The same words in another order: a given name written first.
    swapped = (a.sorted_words_code[left] == a.sorted_words_code[right]) & (
        a.sorted_words_code[left] >= 0
    )
    # The same given name, the rest alike but not by one slip: another middle
    # name, a middle name missing of two, two slips, or two real surnames a
    # letter apart (Vũ, Võ) that may be two people.
    same_given = a.given_code[left] == a.given_code[right]
    alike = np.zeros(len(left), dtype=bool)
    candidates = ~exact & ~no_middle & ~close & same_given
    if candidates.any():
        ratios = cpdist(
            a.name_key[left[candidates]], a.name_key[right[candidates]], scorer=fuzz.ratio
        )
        alike[candidates] = ratios >= CLOSE_NAME_RATIO
    return _select(
        "name",
        [
            ("exact", exact),
            ("no_middle", no_middle),
            ("close", close),
            ("given_typo", given_typo),
            ("typos", typos),
            ("swapped", swapped),
            ("alike", alike),
        ],
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
