"""normalize: canonical forms of names and addresses, used by matching and reports.

Addresses are parsed from free text ("Ấp 3, xã Phước Thiền, H. Nhơn Trạch") or
taken from address columns. Units keep their names without the type word
("Phước Thiền"), because rosters often omit it; where a roster gives no commune,
the sheet name is used if it names a commune seen elsewhere in the run (one
sheet per commune), and a commune's district is learned from the records that
name both.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA

from pipeline.admin_units import AdminUnits, AdminUnitsError, Placement, short_name
from pipeline.models import Problem, Severity
from pipeline.settings import SCHEMAS_DIR, Settings
from pipeline.text import clean, display_value, fold

_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]")
_UNIT_END = {",", ";", "(", ")"}

# Folded type words -> (level, how the type is written in full). A one-letter
# abbreviation counts only before "." or a digit ("P. Tân Phong", "P3", "A.3"),
# since such letters also occur inside names.
_UNIT_TYPES: dict[tuple[str, ...], tuple[str, str]] = {
    ("khu", "pho"): ("hamlet", "Khu phố"),
    ("kp",): ("hamlet", "Khu phố"),
    ("ap",): ("hamlet", "Ấp"),
    ("a",): ("hamlet", "Ấp"),
    ("thon",): ("hamlet", "Thôn"),
    ("xom",): ("hamlet", "Xóm"),
    ("khu",): ("hamlet", "Khu"),
    ("to",): ("group", "Tổ"),
    ("thi", "tran"): ("commune", "Thị trấn"),
    ("tt",): ("commune", "Thị trấn"),
    ("xa",): ("commune", "Xã"),
    ("x",): ("commune", "Xã"),
    ("phuong",): ("commune", "Phường"),
    ("p",): ("commune", "Phường"),
    ("thi", "xa"): ("district", "Thị xã"),
    ("tx",): ("district", "Thị xã"),
    ("thanh", "pho"): ("district", "Thành phố"),
    ("tp",): ("district", "Thành phố"),
    ("huyen",): ("district", "Huyện"),
    ("h",): ("district", "Huyện"),
    ("quan",): ("district", "Quận"),
    ("q",): ("district", "Quận"),
    ("tinh",): ("province", "Tỉnh"),
}


def title_case(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:].lower() for word in clean(text).split(" ") if word)


def _unit_type_at(folded: list[str], start: int) -> tuple[int, str, str] | None:
    """(tokens used, level, full type word) of a type word starting at `start`."""
    for length in (2, 1):
        words = tuple(folded[start : start + length])
        if len(words) < length or words not in _UNIT_TYPES:
            continue
        if len(words[0]) == 1:
            following = folded[start + 1] if start + 1 < len(folded) else ""
            if following != "." and not following.isdigit():
                continue
        level, full = _UNIT_TYPES[words]
        return length, level, full
    return None


# The unit an untyped comma-separated part names, after a part of this level
# ("Ấp 1, Phước Thiền, Nhơn Trạch, Đồng Nai": hamlet, then commune, district…).
_NEXT_LEVEL = {
    "group": "hamlet",
    "hamlet": "commune",
    "commune": "district",
    "district": "province",
}


def _units(text: str) -> list[tuple[str, str, str]]:
    """(level, full type word or "", name) of each administrative unit in `text`."""
    tokens = _TOKEN.findall(clean(text))
    folded = [fold(token) for token in tokens]
    units: list[tuple[str, str, str]] = []
    position = 0
    while position < len(tokens):
        found = _unit_type_at(folded, position)
        segment_start = position == 0 or tokens[position - 1] in _UNIT_END
        if found is not None:
            length, level, full = found
            position += length
        elif segment_start and units and units[-1][0] in _NEXT_LEVEL:
            level, full = _NEXT_LEVEL[units[-1][0]], ""
        else:
            position += 1
            continue
        while position < len(tokens) and tokens[position] in {".", ":"}:
            position += 1
        name_tokens = []
        while (
            position < len(tokens)
            and tokens[position] not in _UNIT_END
            and _unit_type_at(folded, position) is None
        ):
            if tokens[position] not in {".", "-"}:
                name_tokens.append(tokens[position])
            position += 1
        if name_tokens:
            units.append((level, full, title_case(" ".join(name_tokens))))
    return units


def _unit_label(level: str, full: str, name: str) -> str:
    # A hamlet or a numbered ward is meaningless without its type ("Ấp 3", "Phường 3").
    needs_type = full and (level in ("hamlet", "group") or name.isdigit())
    return f"{full} {name}" if needs_type else name


def strip_unit_type(text: str) -> str:
    """'xã Phước Thiền' -> 'Phước Thiền'; a bare name is returned title-cased."""
    folded_tokens = [fold(token) for token in _TOKEN.findall(clean(text))]
    if _unit_type_at(folded_tokens, 0) and (units := _units(text)):
        return _unit_label(*units[0])
    return title_case(text)


def _preferred_spellings(counts: Counter[str]) -> dict[str, str]:
    """For each folded name, the spelling to show: with diacritics, then most frequent.

    "Long Tan" typed without diacritics in one roster is the same commune as
    "Long Tân" in another, and must be one unit in the indicators.
    """
    counts = Counter({name: count for name, count in counts.items() if name})

    def rank(name: str) -> tuple[bool, int]:
        return fold(name) != name.lower(), counts[name]

    best: dict[str, str] = {}
    for name in sorted(counts):
        key = fold(name)
        if key not in best or rank(name) > rank(best[key]):
            best[key] = name
    return best


def parse_address(text: str) -> tuple[str, str, str]:
    """(hamlet, commune, district) named in a free-text address, "" where absent."""
    found: dict[str, str] = {}
    for level, full, name in _units(text):
        found.setdefault(level, _unit_label(level, full, name))
    hamlet = found.get("hamlet", found.get("group", ""))
    return hamlet, found.get("commune", ""), found.get("district", "")


_NAME_WORD = re.compile(r"[a-z]+")
# A syllable ending in "y" after a consonant (or "qu") is spelled with "i" too
# (Quý/Quí, Mỹ/Mĩ, Lý/Lí); "uy" and "ay" never change.
_FINAL_Y = re.compile(r"^(qu|[bcdghklmnprstvx]+)y$")


@functools.cache
def _name_lists() -> tuple[dict[str, list[tuple[str, ...]]], frozenset[str]]:
    """Baptismal names as word tuples by first word, longest first, and the
    first words of surnames (schemas/names.toml)."""
    with (SCHEMAS_DIR / "names.toml").open("rb") as handle:
        lists = tomllib.load(handle)
    baptismal: dict[str, list[tuple[str, ...]]] = {}
    for name in lists["baptismal"]["names"]:
        words = tuple(_NAME_WORD.findall(fold(name)))
        baptismal.setdefault(words[0], []).append(words)
    for variants in baptismal.values():
        variants.sort(key=lambda w: (-len(w), w))
    surnames = frozenset(_NAME_WORD.findall(fold(name))[0] for name in lists["surnames"]["names"])
    return baptismal, surnames


def _without_baptismal_name(words: list[str]) -> list[str]:
    if not words:
        return words
    baptismal_names, surnames = _name_lists()
    # Only a name in front, and only when a full Vietnamese name remains.
    for baptismal in baptismal_names.get(words[0], ()):
        if tuple(words[: len(baptismal)]) == baptismal and len(words) - len(baptismal) >= 2:
            return words[len(baptismal) :]
    if len(words) >= 4 and words[1] in surnames and not _near_surname(words[0], surnames):
        return words[1:]
    return words


@functools.lru_cache(maxsize=1 << 14)
def _near_surname(word: str, surnames: frozenset[str]) -> bool:
    """A surname, or one slip from one ("Đặnng"): not a baptismal name."""
    return any(OSA.distance(word, surname, score_cutoff=1) <= 1 for surname in surnames)


@dataclass(frozen=True)
class NameParts:
    key: str  # folded, baptismal name removed, i/y unified: "nguyen thi qui"
    surname: str
    middle: str
    given: str


def name_parts(full_name: str) -> NameParts:
    words = _without_baptismal_name(_NAME_WORD.findall(fold(full_name)))
    words = [_FINAL_Y.sub(r"\1i", word) for word in words]
    if not words:
        return NameParts("", "", "", "")
    return NameParts(" ".join(words), words[0], " ".join(words[1:-1]), words[-1])


# Middle names one sex alone carries.
_SEX_OF_MIDDLE = {"thi": "F", "van": "M"}


def _implied_sex(records: pd.DataFrame, settings: Settings) -> np.ndarray:
    """The sex as written, else as the organization admits only one (Phụ nữ),
    the 12-digit CCCD encodes it (its fourth digit: even for men), or the
    middle name carries it; "" when none tells."""
    organization_sex = {org.code: org.sex for org in settings.organizations}
    citizen_id = records["citizen_id_norm"].fillna("").astype(str)
    twelve_digits = (citizen_id.str.len() == 12) & citizen_id.str.isdigit()
    middle = records["middle_key"]
    choices = [
        records["sex_code"].fillna("").astype(str),
        records["organization"].map(organization_sex).fillna(""),
        np.where(citizen_id.str[3].isin(list("02468")), "M", "F"),
        middle.map(
            {
                name: next((_SEX_OF_MIDDLE[w] for w in name.split(" ") if w in _SEX_OF_MIDDLE), "")
                for name in middle.unique()
            }
        ),
    ]
    usable = [np.ones(len(records), dtype=bool), True, twelve_digits.to_numpy(), True]
    sex = np.full(len(records), "", dtype=object)
    for choice, known in zip(choices, usable, strict=True):
        sex = np.where((sex == "") & known, np.asarray(choice, dtype=object), sex)
    return sex


@dataclass(frozen=True)
class NormalizeResult:
    records: pd.DataFrame
    problems: list[Problem]


def _place(commune: str, district: str, province: str) -> Placement | None:
    """Where the written names sit in the administrative units dataset; None
    when no commune is written or the province is not in the dataset."""
    if not commune:
        return None
    try:
        units = AdminUnits.for_province(province)  # cached per province
    except AdminUnitsError:
        return None
    return units.place(commune, district, province)  # cached per names


def _placement_problems(
    records: pd.DataFrame, placements: list[Placement | None], place_of_row: np.ndarray
) -> list[Problem]:
    """One note per sheet and reason a commune could not be placed with certainty."""
    notes = {
        index: placement.note
        for index, placement in enumerate(placements)
        if placement is not None and placement.status not in ("old", "new")
    }
    rows = np.flatnonzero(np.isin(place_of_row, list(notes)))
    unplaced = pd.DataFrame(
        {
            column: records[column].to_numpy(dtype=object)[rows]
            for column in ("source_file", "sheet", "row", "organization")
        }
    )
    unplaced["note"] = [notes[index] for index in place_of_row[rows].tolist()]
    key = ["source_file", "sheet", "note"]
    counts = unplaced.groupby(key, sort=False, dropna=False).size().to_numpy()
    # The first row of each (file, sheet, note) tells the row and organization.
    firsts = unplaced.drop_duplicates(key)
    entries = zip(
        *(firsts[column].tolist() for column in (*key, "row", "organization")), counts, strict=True
    )
    return [
        Problem(
            source_file=source_file,
            sheet=sheet,
            row=int(row),
            column="commune",
            value="",
            rule="ADDRESS_UNPLACED",
            message=f"{note} ({count} dòng, dòng đầu tiên là dòng {int(row)}).",
            severity=Severity.NOTE,
            organization=organization,
        )
        for source_file, sheet, note, row, organization, count in sorted(entries)
    ]


PLACE_COLUMNS = ("address", "hamlet", "commune", "district", "province", "sheet")


def _distinct(values: pd.Series) -> tuple[np.ndarray, list[object]]:
    """Each row's index into the column's distinct values, in order of first
    appearance; every missing value is one of them."""
    codes, distinct = pd.factorize(values, use_na_sentinel=False)
    return codes.astype(np.int64), list(distinct)


@dataclass
class _Place:
    """One distinct combination of a row's place columns, parsed."""

    hamlet: str
    commune: str
    district: str
    province: str
    sheet: str
    rows: int  # how many rows write it so


def _written_places(records: pd.DataFrame, settings: Settings) -> tuple[list[_Place], np.ndarray]:
    """The distinct place combinations, parsed once each, and each row's index."""
    place_of_row = np.zeros(len(records), dtype=np.int64)
    for column in PLACE_COLUMNS:
        codes = _distinct(records[column])[0]
        place_of_row = pd.factorize(place_of_row * (int(codes.max(initial=0)) + 1) + codes)[0]
    # Numbered in order of first appearance, like the rows.
    first_rows = np.unique(place_of_row, return_index=True)[1]
    written = zip(
        *(records[column].to_numpy(dtype=object)[first_rows] for column in PLACE_COLUMNS),
        strict=True,
    )
    counts = np.bincount(place_of_row, minlength=len(first_rows))
    places = []
    for index, key in enumerate(written):
        address, hamlet, commune, district, province = (display_value(v) for v in key[:5])
        parsed = parse_address(address)
        places.append(
            _Place(
                hamlet=(parse_address(hamlet)[0] or f"Ấp {hamlet}") if hamlet else parsed[0],
                commune=strip_unit_type(commune) if commune else parsed[1],
                district=strip_unit_type(district) if district else parsed[2],
                province=strip_unit_type(province) if province else settings.default_province,
                sheet=strip_unit_type(str(key[5])),
                rows=int(counts[index]),
            )
        )
    return places, place_of_row


def _fill_from_context(places: list[_Place]) -> None:
    """Communes from sheet names (one sheet per commune) and districts learned
    from the rows that name both; one spelling per unit."""
    known_communes = {fold(place.commune): place.commune for place in places if place.commune}
    for place in places:
        if place.commune:
            continue
        placed = _place(place.sheet, "", place.province)
        if placed is not None and placed.status in ("old", "new"):
            place.commune = place.sheet
        elif fold(place.sheet) in known_communes:
            place.commune = known_communes[fold(place.sheet)]

    district_votes: dict[str, Counter[str]] = {}
    for place in places:
        if place.commune and place.district:
            district_votes.setdefault(fold(place.commune), Counter())[place.district] += place.rows
    for place in places:
        if place.commune and not place.district and fold(place.commune) in district_votes:
            # Ties broken by name so the choice is deterministic.
            votes = district_votes[fold(place.commune)]
            place.district = min(votes, key=lambda d: (-votes[d], d))

    for attribute in ("hamlet", "commune", "district"):
        written: Counter[str] = Counter()
        for place in places:
            written[getattr(place, attribute)] += place.rows
        spelling = _preferred_spellings(written)
        for place in places:
            name = getattr(place, attribute)
            setattr(place, attribute, spelling[fold(name)] if name else "")


def normalize(records: pd.DataFrame, settings: Settings) -> NormalizeResult:
    """The records with NORMALIZE_COLUMNS added, and notes on unplaced communes."""
    # Columns are added, never changed: the frame need not be copied.
    out = records.copy(deep=False)
    # Rosters repeat names and places: parse each distinct one once.
    name_of_row, written_names = _distinct(records["full_name"])
    names = [display_value(name) for name in written_names]
    parts_of = {name: name_parts(name) for name in names}
    parts = [parts_of[name] for name in names]

    def per_name(values: list[str]) -> np.ndarray:
        return np.array(values, dtype=object)[name_of_row]

    out["name_display"] = per_name([title_case(name) if name else "" for name in names])
    out["name_key"] = per_name([p.key for p in parts])
    out["surname_key"] = per_name([p.surname for p in parts])
    out["middle_key"] = per_name([p.middle for p in parts])
    out["given_key"] = per_name([p.given for p in parts])
    out["sex_key"] = _implied_sex(out, settings)

    places, place_of_row = _written_places(records, settings)
    _fill_from_context(places)
    placements = [_place(p.commune, p.district, p.province) for p in places]
    commune_keys, old_commune_keys, hamlet_keys = [], [], []
    for place, placement in zip(places, placements, strict=True):
        if placement is not None and placement.status in ("old", "new"):
            place.commune = short_name(placement.old_commune or placement.new_commune)
        if placement is not None and placement.old_district:
            place.district = short_name(placement.old_district)
        matched = placement.match_key if placement is not None else ""
        commune_key = matched or fold(place.commune)
        commune_keys.append(commune_key)
        old_commune_keys.append(
            f"{fold(placement.old_district)}|{fold(placement.old_commune)}"
            if placement is not None and placement.old_commune
            else ""
        )
        # "Ấp 3" exists in many communes: a hamlet is only the same within a commune.
        hamlet_keys.append(f"{commune_key}|{fold(place.hamlet)}" if place.hamlet else "")

    def per_row(values: list[str]) -> np.ndarray:
        return np.array(values, dtype=object)[place_of_row] if len(records) else np.array([])

    out["hamlet_name"] = per_row([p.hamlet for p in places])
    out["commune_name"] = per_row([p.commune for p in places])
    out["district_name"] = per_row([p.district for p in places])
    out["province_name"] = per_row([p.province for p in places])
    out["commune_key"] = per_row(commune_keys)
    out["old_commune_key"] = per_row(old_commune_keys)
    out["hamlet_key"] = per_row(hamlet_keys)
    return NormalizeResult(
        records=out, problems=_placement_problems(records, placements, place_of_row)
    )
