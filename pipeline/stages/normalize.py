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

import pandas as pd

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


def _preferred_spellings(names: list[str]) -> dict[str, str]:
    """For each folded name, the spelling to show: with diacritics, then most frequent.

    "Long Tan" typed without diacritics in one roster is the same commune as
    "Long Tân" in another, and must be one unit in the indicators.
    """
    counts = Counter(name for name in names if name)

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
def _baptismal_names() -> tuple[tuple[str, ...], ...]:
    """Baptismal names as word tuples, longest first (schemas/names.toml)."""
    with (SCHEMAS_DIR / "names.toml").open("rb") as handle:
        names = tomllib.load(handle)["baptismal"]["names"]
    words = {tuple(_NAME_WORD.findall(fold(name))) for name in names}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


@dataclass(frozen=True)
class NameParts:
    key: str  # folded, baptismal name removed, i/y unified: "nguyen thi qui"
    surname: str
    middle: str
    given: str


def name_parts(full_name: str) -> NameParts:
    words = _NAME_WORD.findall(fold(full_name))
    for baptismal in _baptismal_names():
        # Only a name in front, and only when a full Vietnamese name remains.
        if tuple(words[: len(baptismal)]) == baptismal and len(words) - len(baptismal) >= 2:
            words = words[len(baptismal) :]
            break
    words = [_FINAL_Y.sub(r"\1i", word) for word in words]
    if not words:
        return NameParts("", "", "", "")
    return NameParts(" ".join(words), words[0], " ".join(words[1:-1]), words[-1])


@dataclass(frozen=True)
class NormalizeResult:
    records: pd.DataFrame
    problems: list[Problem]


class _Places:
    """Placement of written (commune, district, province) names in the dataset."""

    def __init__(self) -> None:
        self._units: dict[str, AdminUnits | None] = {}
        self._placed: dict[tuple[str, str, str], Placement | None] = {}

    def units(self, province: str) -> AdminUnits | None:
        if province not in self._units:
            try:
                self._units[province] = AdminUnits.for_province(province)
            except AdminUnitsError:
                self._units[province] = None
        return self._units[province]

    def place(self, commune: str, district: str, province: str) -> Placement | None:
        key = (commune, district, province)
        if key not in self._placed:
            units = self.units(province)
            self._placed[key] = (
                units.place(commune, district, province) if units and commune else None
            )
        return self._placed[key]


def _placement_problems(records: pd.DataFrame, placements: list[Placement | None]) -> list[Problem]:
    """One note per sheet and reason a commune could not be placed with certainty."""
    # (file, sheet, note) -> [first row, rows, organization]
    unplaced: dict[tuple[str, str, str], list] = {}
    for placement, source_file, sheet, row, organization in zip(
        placements,
        records["source_file"],
        records["sheet"],
        records["row"],
        records["organization"],
        strict=True,
    ):
        if placement is not None and placement.status not in ("old", "new"):
            entry = unplaced.setdefault(
                (source_file, sheet, placement.note), [int(row), 0, organization]
            )
            entry[1] += 1
    return [
        Problem(
            source_file=source_file,
            sheet=sheet,
            row=row,
            column="commune",
            value="",
            rule="ADDRESS_UNPLACED",
            message=f"{note} ({count} dòng, dòng đầu tiên là dòng {row}).",
            severity=Severity.NOTE,
            organization=organization,
        )
        for (source_file, sheet, note), (row, count, organization) in sorted(unplaced.items())
    ]


def normalize(records: pd.DataFrame, settings: Settings) -> NormalizeResult:
    """The records with NORMALIZE_COLUMNS added, and notes on unplaced communes."""
    out = records.copy()
    names = records["full_name"].map(display_value)
    out["name_display"] = names.map(lambda n: title_case(n) if n else "")
    # Rosters repeat names and addresses: parse each distinct one once.
    parts_of = {name: name_parts(name) for name in pd.unique(names)}
    parts = names.map(parts_of)
    out["name_key"] = parts.map(lambda p: p.key)
    out["surname_key"] = parts.map(lambda p: p.surname)
    out["middle_key"] = parts.map(lambda p: p.middle)
    out["given_key"] = parts.map(lambda p: p.given)

    addresses = records["address"].map(display_value)
    parsed_of = {address: parse_address(address) for address in pd.unique(addresses)}
    hamlets: list[str] = []
    communes: list[str] = []
    districts: list[str] = []
    for address, hamlet, commune, district in zip(
        addresses,
        records["hamlet"].map(display_value),
        records["commune"].map(display_value),
        records["district"].map(display_value),
        strict=True,
    ):
        parsed = parsed_of[address]
        hamlets.append((parse_address(hamlet)[0] or f"Ấp {hamlet}") if hamlet else parsed[0])
        communes.append(strip_unit_type(commune) if commune else parsed[1])
        districts.append(strip_unit_type(district) if district else parsed[2])
    provinces = [
        strip_unit_type(p) if p else settings.default_province
        for p in records["province"].map(display_value)
    ]

    places = _Places()
    known_communes = {fold(c): c for c in sorted(set(communes)) if c}
    for position, (commune, sheet) in enumerate(zip(communes, records["sheet"], strict=True)):
        if commune:
            continue
        sheet_name = strip_unit_type(str(sheet))
        placed = places.place(sheet_name, "", provinces[position])
        if placed is not None and placed.status in ("old", "new"):
            communes[position] = sheet_name
        elif fold(sheet_name) in known_communes:
            communes[position] = known_communes[fold(sheet_name)]

    district_votes: dict[str, Counter[str]] = {}
    for commune, district in zip(communes, districts, strict=True):
        if commune and district:
            district_votes.setdefault(fold(commune), Counter())[district] += 1
    for position, commune in enumerate(communes):
        if commune and not districts[position] and fold(commune) in district_votes:
            # Ties broken by name so the choice is deterministic.
            votes = district_votes[fold(commune)]
            districts[position] = min(votes, key=lambda d: (-votes[d], d))

    for units in (hamlets, communes, districts):
        spelling = _preferred_spellings(units)
        units[:] = [spelling[fold(name)] if name else "" for name in units]

    placements = [
        places.place(commune, district, province)
        for commune, district, province in zip(communes, districts, provinces, strict=True)
    ]
    commune_keys, old_commune_keys = [], []
    for position, placement in enumerate(placements):
        if placement is not None and placement.status in ("old", "new"):
            communes[position] = short_name(placement.old_commune or placement.new_commune)
        if placement is not None and placement.old_district:
            districts[position] = short_name(placement.old_district)
        matched = placement.match_key if placement is not None else ""
        commune_keys.append(matched or fold(communes[position]))
        old_commune_keys.append(
            f"{fold(placement.old_district)}|{fold(placement.old_commune)}"
            if placement is not None and placement.old_commune
            else ""
        )

    out["hamlet_name"] = hamlets
    out["commune_name"] = communes
    out["district_name"] = districts
    out["province_name"] = provinces
    out["commune_key"] = commune_keys
    out["old_commune_key"] = old_commune_keys
    # "Ấp 3" exists in many communes: a hamlet is only the same within a commune.
    out["hamlet_key"] = [
        f"{commune_key}|{fold(hamlet)}" if hamlet else ""
        for commune_key, hamlet in zip(commune_keys, hamlets, strict=True)
    ]
    return NormalizeResult(records=out, problems=_placement_problems(records, placements))
