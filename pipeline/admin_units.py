"""Canonical communes and the 2025 old→new mapping, from the vietnamadminunits dataset.

Rosters name communes the old way (63 provinces, with districts), the new way
(34 provinces, no districts, since 1 July 2025) or both. `AdminUnits` places a
commune written either way in its province's legacy and 2025 units, so records
written with an old and a new name for the same place compare equal.

The package's own converter is never used: it geocodes addresses over the
network for wards split by the reform, and importing it loads geopy and
shapely. Its data files (`dataset.db`, `converter_2025.json`) are read directly.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

from pipeline.text import clean, fold

Status = Literal["old", "new", "ambiguous", "unknown"]
T = TypeVar("T")

# Tone marks, numbered so "hoà" and "hòa" (old and new tone placement) give the
# same key while "Thạnh" and "Thành" stay apart.
_TONES = {"\u0300": "1", "\u0301": "2", "\u0303": "3", "\u0309": "4", "\u0323": "5"}
_ETH = str.maketrans({"ð": "đ", "Ð": "Đ"})
_WORD = re.compile(r"\w+")

# Type words as rosters write them, with their canonical form. A prefix counts
# only spelled exactly ("xã", "xa", "x."), so "Xà Bang" keeps its first word;
# "Xa Bang" is tried both ways (see _readings).
_COMMUNE_TYPES = {
    "thị trấn": "Thị trấn",
    "thi tran": "Thị trấn",
    "tt": "Thị trấn",
    "phường": "Phường",
    "phuong": "Phường",
    "p": "Phường",
    "xã": "Xã",
    "xa": "Xã",
    "x": "Xã",
    "đặc khu": "Đặc khu",
    "dac khu": "Đặc khu",
}
_DISTRICT_TYPES = {
    "huyện": "Huyện",
    "huyen": "Huyện",
    "h": "Huyện",
    "thị xã": "Thị xã",
    "thi xa": "Thị xã",
    "tx": "Thị xã",
    "thành phố": "Thành phố",
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
    "quận": "Quận",
    "quan": "Quận",
    "q": "Quận",
}
_PROVINCE_TYPES = {
    "tỉnh": "Tỉnh",
    "tinh": "Tỉnh",
    "thành phố": "Thành phố",
    "thanh pho": "Thành phố",
    "tp": "Thành phố",
}
# Folded type prefixes of the dataset's alias keys ("xatienthanh").
_ALIAS_TYPE_PREFIXES = ("thitran", "phuong", "xa")


def _prefix_pattern(types: dict[str, str]) -> re.Pattern[str]:
    spellings = sorted(types, key=len, reverse=True)
    words = "|".join(re.escape(s).replace(r"\ ", r"\s+") for s in spellings)
    # A type word is followed by a separator, or directly by a number ("P3").
    return re.compile(rf"^({words})(?:[\s.:]+|(?=\d))(.+)$", re.IGNORECASE)


_COMMUNE_PREFIX = _prefix_pattern(_COMMUNE_TYPES)
_DISTRICT_PREFIX = _prefix_pattern(_DISTRICT_TYPES)
_PROVINCE_PREFIX = _prefix_pattern(_PROVINCE_TYPES)
_DISPLAY_TYPES = sorted(
    {*_COMMUNE_TYPES.values(), *_DISTRICT_TYPES.values(), *_PROVINCE_TYPES.values()},
    key=len,
    reverse=True,
)


class AdminUnitsError(Exception):
    """The dataset is not installed, or a province is not in it."""


def _number_word(word: str) -> str:
    # "Phường 03" and "Phường 3" are one ward.
    return str(int(word)) if word.isdigit() else word


def accent_key(text: str) -> str:
    """Comparison key that keeps diacritics but not where the tone mark sits."""
    parts = []
    for word in _WORD.findall(clean(text).translate(_ETH).lower()):
        decomposed = unicodedata.normalize("NFD", _number_word(word))
        tone = "".join(_TONES.get(ch, "") for ch in decomposed)
        base = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONES))
        parts.append(base + tone)
    return "".join(parts)


def loose_key(text: str) -> str:
    """Comparison key without diacritics, spaces or punctuation, as the dataset's keys."""
    return "".join(_number_word(word) for word in re.findall(r"[a-z0-9]+", fold(text)))


def _has_diacritics(text: str) -> bool:
    return fold(text) != clean(text).lower()


def _readings(text: str, pattern: re.Pattern[str], types: dict[str, str]) -> list[tuple[str, str]]:
    """(canonical type or "", name) readings of a unit as written, most likely first.

    A leading type word is read as such first; the whole text is the fallback
    reading, since a name may begin with what looks like a type word.
    """
    text = clean(text)
    readings = []
    match = pattern.match(text)
    if match:
        spelled = re.sub(r"\s+", " ", match.group(1).lower())
        readings.append((types[spelled], match.group(2).strip(" .:-")))
    readings.append(("", text))
    return readings


def short_name(display_name: str) -> str:
    """'Xã Phước Thiền' -> 'Phước Thiền', the form normalize keeps; 'Phường 3' is kept whole."""
    for unit_type in _DISPLAY_TYPES:
        rest = display_name[len(unit_type) + 1 :]
        if display_name.startswith(unit_type + " ") and rest and not rest.isdigit():
            return rest
    return display_name


@dataclass(frozen=True)
class Placement:
    """Where a commune as written in a roster lies, in the legacy and the 2025 units."""

    status: Status
    old_commune: str = ""
    old_district: str = ""
    new_communes: tuple[str, ...] = ()
    # Equal for two records in the same place, written with old or new names:
    # "<new province key>_<new ward key>" when the 2025 commune is known,
    # "<old province key>_<old district key>_<old ward key>" for a split ward,
    # "<new province key>_?_<name key>[_<district key>]" when unresolved (equal
    # only when written alike), "" when nothing is written.
    match_key: str = ""
    note: str = ""

    @property
    def new_commune(self) -> str:
        """The 2025 commune when exactly one is known, else ""."""
        return self.new_communes[0] if len(self.new_communes) == 1 else ""


@dataclass(frozen=True)
class _Written:
    """A commune as a roster wrote it, read with or without a leading type word."""

    commune: str
    unit_type: str
    name: str
    district: str


@dataclass(frozen=True)
class _LegacyWard:
    key: str
    name: str
    unit_type: str
    district: str
    district_loose: str
    district_accent: str
    old_province_key: str
    # 2025 ward keys this ward went into, the dataset's default first.
    new_keys: tuple[str, ...]


@dataclass(frozen=True)
class _NewWard:
    key: str
    name: str
    unit_type: str
    # Old districts of its constituent old wards, most wards first.
    districts: tuple[str, ...]


@dataclass
class _Index(Generic[T]):
    accent: dict[str, list[T]] = field(default_factory=dict)
    loose: dict[str, list[T]] = field(default_factory=dict)
    alias: dict[str, list[T]] = field(default_factory=dict)

    def add(self, item: T, name: str, aliases: Iterable[str] = ()) -> None:
        self.accent.setdefault(accent_key(name), []).append(item)
        self.loose.setdefault(loose_key(name), []).append(item)
        for alias in aliases:
            self.alias.setdefault(alias, []).append(item)


def _data_dir() -> Path:
    # find_spec locates the package without running its __init__, which would
    # import the geocoding converter.
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise AdminUnitsError(
            "Chưa cài gói vietnamadminunits (danh mục đơn vị hành chính); "
            "hãy cài theo requirements.txt."
        )
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _query(sql: str, params: Iterable[str] = ()) -> list[sqlite3.Row]:
    database = _data_dir() / "dataset.db"
    uri = database.as_uri() + "?mode=ro&immutable=1"
    with sqlite3.connect(uri, uri=True) as connection:
        connection.row_factory = sqlite3.Row
        return connection.execute(sql, tuple(params)).fetchall()


def unit_names() -> list[str]:
    """Every province, district and commune name of the dataset, legacy and 2025."""
    rows = _query(
        "SELECT province FROM admin_units_legacy UNION SELECT district FROM admin_units_legacy"
        " UNION SELECT ward FROM admin_units_legacy UNION SELECT province FROM admin_units"
        " UNION SELECT ward FROM admin_units"
    )
    return [row[0] for row in rows if row[0]]


@functools.cache
def _converter() -> dict[str, Any]:
    with (_data_dir() / "converter_2025.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


@dataclass(frozen=True)
class _Province:
    key: str
    name: str


@functools.cache
def _province_index() -> tuple[dict[str, _Province], dict[str, _Province]]:
    """(name key -> new province, name key -> old province), keyed by loose_key."""
    indexes: list[dict[str, _Province]] = []
    for table in ("admin_units", "admin_units_legacy"):
        index: dict[str, _Province] = {}
        for row in _query(
            f"SELECT DISTINCT provinceKey, province, provinceShort, provinceAlias FROM {table}"
        ):
            province = _Province(row["provinceKey"], row["province"])
            # Aliases are what rosters abbreviate: "TP.HCM", "HN".
            for key in [loose_key(row["provinceShort"]), *_aliases(row["provinceAlias"])]:
                index.setdefault(key, province)
        indexes.append(index)
    return indexes[0], indexes[1]


def _province_name_key(name: str) -> str:
    return loose_key(_readings(name, _PROVINCE_PREFIX, _PROVINCE_TYPES)[0][1])


def _new_province_key(name: str) -> str:
    new, old = _province_index()
    key = _province_name_key(name)
    if key in new:
        return new[key].key
    if key in old:
        merged = [
            new_key
            for new_key, old_keys in _converter()["DICT_PROVINCE"].items()
            if old[key].key in old_keys
        ]
        if merged:
            return str(merged[0])
    raise AdminUnitsError(f"Không có tỉnh '{clean(name)}' trong danh mục đơn vị hành chính.")


def _typed(legacy: list[_LegacyWard], unit_type: str) -> list[_LegacyWard]:
    """The wards of the written type, if any has it; else all of them."""
    return [ward for ward in legacy if ward.unit_type == unit_type] or legacy


def _aliases(raw: str | None) -> list[str]:
    """Name keys of the other names the dataset records for a unit, without a commune type."""
    keys: dict[str, None] = {}
    for alias in json.loads(raw) if raw else []:
        prefix = next((p for p in _ALIAS_TYPE_PREFIXES if alias.startswith(p)), "")
        keys[alias[len(prefix) :] if len(alias) > len(prefix) else alias] = None
    # The dataset lists an alias with and without its type ("xanuituong", "nuituong").
    return list(keys)


class AdminUnits:
    """The legacy and 2025 communes of one (new) province, and the mapping between them."""

    def __init__(self, province_key: str) -> None:
        converter = _converter()
        old_province_keys = list(converter["DICT_PROVINCE"][province_key])
        not_divided: dict[str, list[str]] = converter["DICT_PROVINCE_WARD_NO_DIVIDED"].get(
            province_key, {}
        )
        divided: dict[str, list[dict[str, Any]]] = converter["DICT_PROVINCE_WARD_DIVIDED"].get(
            province_key, {}
        )

        new_keys_of: dict[str, list[str]] = {}
        for new_key, old_keys in not_divided.items():
            for old_key in old_keys:
                new_keys_of.setdefault(old_key, []).append(new_key)
        for old_key, parts in divided.items():
            ordered = sorted(parts, key=lambda part: not part["isDefaultNewWard"])
            new_keys_of.setdefault(old_key, []).extend(part["newWardKey"] for part in ordered)

        self.key = province_key
        province = next(p for p in _province_index()[0].values() if p.key == province_key)
        self.name = province.name
        # "tỉnh Đồng Nai", as it reads inside a sentence.
        self.name_in_sentence = province.name[:1].lower() + province.name[1:]
        self._short_key = _province_name_key(province.name)
        self._legacy = _Index[_LegacyWard]()
        self._districts: dict[str, list[str]] = {}
        self._old_provinces: dict[str, _Province] = {}
        district_of: dict[str, str] = {}
        marks = ",".join("?" * len(old_province_keys))
        for row in _query(
            "SELECT provinceKey, province, provinceShort, districtKey, district, districtShort,"
            " wardKey, ward, wardShort, wardType, wardAlias FROM admin_units_legacy"
            f" WHERE provinceKey IN ({marks})",
            old_province_keys,
        ):
            # Island districts had no communes; the converter keys them "<province>_<district>_".
            key = f"{row['provinceKey']}_{row['districtKey']}_{row['wardKey'] or ''}"
            district_of[key] = row["district"]
            self._old_provinces[loose_key(row["provinceShort"])] = _Province(
                row["provinceKey"], row["province"]
            )
            district_loose = loose_key(row["districtShort"])
            names = self._districts.setdefault(district_loose, [])
            if row["district"] not in names:
                names.append(row["district"])
            if row["wardKey"] is None:
                continue
            ward = _LegacyWard(
                key=key,
                name=row["ward"],
                unit_type=row["wardType"],
                district=row["district"],
                district_loose=district_loose,
                district_accent=accent_key(row["districtShort"]),
                old_province_key=row["provinceKey"],
                new_keys=tuple(new_keys_of.get(key, ())),
            )
            self._legacy.add(ward, row["wardShort"], _aliases(row["wardAlias"]))

        constituents: dict[str, list[str]] = {k: list(v) for k, v in not_divided.items()}
        for old_key, parts in divided.items():
            for part in parts:
                constituents.setdefault(part["newWardKey"], []).append(old_key)

        self._new = _Index[_NewWard]()
        self._new_names: dict[str, str] = {}
        for row in _query(
            "SELECT wardKey, ward, wardShort, wardType FROM admin_units WHERE provinceKey = ?",
            [province_key],
        ):
            votes = Counter(district_of[k] for k in constituents.get(row["wardKey"], []))
            # Ties go to the district named first alphabetically, so runs agree.
            districts = tuple(sorted(votes, key=lambda d: (-votes[d], d)))
            ward_new = _NewWard(row["wardKey"], row["ward"], row["wardType"], districts)
            self._new.add(ward_new, row["wardShort"])
            self._new_names[row["wardKey"]] = row["ward"]
        self._cache: dict[tuple[str, str, str, bool | None], Placement] = {}

    @classmethod
    def for_province(cls, name: str) -> AdminUnits:
        """The units of the new province `name`, or of the one old province `name` merged into."""
        return _load(_new_province_key(name))

    def display_district(self, name: str) -> str:
        """The canonical old district ('Huyện Nhơn Trạch') for a name as written, else the name."""
        for _, text in _readings(name, _DISTRICT_PREFIX, _DISTRICT_TYPES):
            names = self._districts.get(loose_key(text), [])
            if len(names) == 1:
                return names[0]
        return clean(name)

    def place_many(
        self, triples: Iterable[tuple[str, str, str]], *, post_reform: bool | None = None
    ) -> list[Placement]:
        """`place` for (commune, district, province) triples, placing each distinct one once."""
        cache: dict[tuple[str, str, str], Placement] = {}
        placements = []
        for triple in triples:
            placement = cache.get(triple)
            if placement is None:
                placement = cache[triple] = self.place(*triple, post_reform=post_reform)
            placements.append(placement)
        return placements

    def place(
        self,
        commune: str,
        district: str = "",
        province: str = "",
        *,
        post_reform: bool | None = None,
    ) -> Placement:
        """Place a commune as a roster writes it (type word, diacritics and district optional).

        `post_reform` says the roster is known to use the 2025 names (True) or
        the legacy ones (False); None when unknown.
        """
        cache_key = (commune, district, province, post_reform)
        placement = self._cache.get(cache_key)
        if placement is None:
            placement = self._cache[cache_key] = self._place(
                clean(commune), clean(district), clean(province), post_reform
            )
        return placement

    def _place(
        self, commune: str, district: str, province: str, post_reform: bool | None
    ) -> Placement:
        if not commune:
            return Placement("unknown", note="Không ghi xã/phường.")
        readings = [
            _Written(commune, unit_type, name, district)
            for unit_type, name in _readings(commune, _COMMUNE_PREFIX, _COMMUNE_TYPES)
        ]
        old_provinces = {p.key for p in self._old_provinces.values()}
        scope = self.name_in_sentence
        if province:
            named = self._old_provinces.get(_province_name_key(province))
            if named is None and _province_name_key(province) != self._short_key:
                outside = f"; tỉnh '{province}' không thuộc {scope} (sau sắp xếp 2025)"
                return self._unknown(readings[0], scope, outside)
            if named is not None and named.key != self.key:
                # An old province that no longer exists: the roster predates the reform.
                old_provinces = {named.key}
                scope = f"{named.name[:1].lower()}{named.name[1:]} (cũ)"
                post_reform = False if post_reform is None else post_reform

        for written in readings:
            legacy, new = self._candidates(written.name, old_provinces)
            if legacy or new:
                return self._resolve(written, legacy, new, post_reform)
        return self._unknown(readings[0], scope)

    def _candidates(
        self, name: str, old_provinces: set[str]
    ) -> tuple[list[_LegacyWard], list[_NewWard]]:
        """Units named `name`: by exact diacritics when written with them, else loosely.

        Diacritics tell apart old communes such as Phước Thiền (Nhơn Trạch) and
        Phước Thiện (Bù Đốp); without them both match. Older names recorded in
        the dataset count only when no current name matches.
        """
        lookups = [(self._legacy.loose, self._new.loose, loose_key(name))]
        if _has_diacritics(name):
            lookups.insert(0, (self._legacy.accent, self._new.accent, accent_key(name)))
        lookups.append((self._legacy.alias, {}, loose_key(name)))
        for legacy_index, new_index, key in lookups:
            legacy = [
                ward for ward in legacy_index.get(key, []) if ward.old_province_key in old_provinces
            ]
            new = new_index.get(key, [])
            if legacy or new:
                return legacy, new
        return [], []

    def _resolve(
        self,
        written: _Written,
        legacy: list[_LegacyWard],
        new: list[_NewWard],
        post_reform: bool | None,
    ) -> Placement:
        # The district outranks the type word, which rosters often get wrong
        # (Biên Hòa's phường were xã until a few years before the reform).
        district_note = ""
        if written.district and not (post_reform and new):
            in_district = self._in_district(legacy, written.district)
            if in_district:
                return self._legacy_placement(written, _typed(in_district, written.unit_type))
            district_note = (
                f"; quận/huyện '{written.district}' ghi trong danh sách không có xã/phường này"
            )

        if written.unit_type:
            # A type word narrows the candidates only when some have it; so
            # "thị trấn", a type the reform abolished, says legacy.
            typed_legacy = [ward for ward in legacy if ward.unit_type == written.unit_type]
            typed_new = [ward for ward in new if ward.unit_type == written.unit_type]
            if typed_legacy or typed_new:
                legacy, new = typed_legacy, typed_new

        # A name that is both an old and a new unit (many 2025 communes kept an
        # old name) is read as the new unit unless the district named above
        # matched the old one: a post-reform roster names no district, while a
        # pre-reform one usually does. A roster marked pre-reform reads it as old.
        if new and (post_reform is not False or not legacy):
            if len(new) == 1:
                return self._new_placement(new[0], written.district)
            names = ", ".join(ward.name for ward in new)
            return Placement(
                "ambiguous",
                new_communes=tuple(ward.name for ward in new),
                match_key=self._unresolved_key(written),
                note=f"'{written.commune}' khớp nhiều xã/phường mới: {names}; "
                "không tự quyết định được, cần ghi đúng dấu.",
            )
        return self._legacy_placement(written, legacy, district_note)

    def _in_district(self, legacy: list[_LegacyWard], district: str) -> list[_LegacyWard]:
        for _, name in _readings(district, _DISTRICT_PREFIX, _DISTRICT_TYPES):
            if _has_diacritics(name):
                accent = accent_key(name)
                found = [ward for ward in legacy if ward.district_accent == accent]
                if found:
                    return found
            loose = loose_key(name)
            found = [ward for ward in legacy if ward.district_loose == loose]
            if found:
                return found
        return []

    def _legacy_placement(
        self, written: _Written, legacy: list[_LegacyWard], note: str = ""
    ) -> Placement:
        if len(legacy) > 1:
            return self._ambiguous_legacy(written, legacy)
        ward = legacy[0]
        new_communes = tuple(self._new_names[key] for key in ward.new_keys)
        if len(new_communes) > 1:
            others = " và ".join(new_communes)
            return Placement(
                "ambiguous",
                old_commune=ward.name,
                old_district=ward.district,
                new_communes=new_communes,
                match_key=ward.key,
                note=f"{ward.name} (cũ, {ward.district}) đã được chia cho {others}; "
                f"không tự quyết định được (danh mục mặc định là {new_communes[0]}), "
                "cần xem ấp/khu phố của người này" + note + ".",
            )
        new_key = self._new_key(ward.new_keys[0]) if ward.new_keys else ward.key
        if note:
            note = f"Đã xếp vào {ward.name} ({ward.district} cũ){note}."
        return Placement("old", ward.name, ward.district, new_communes, new_key, note)

    def _ambiguous_legacy(self, written: _Written, legacy: list[_LegacyWard]) -> Placement:
        new_communes = tuple(
            dict.fromkeys(self._new_names[key] for ward in legacy for key in ward.new_keys)
        )
        districts = {ward.district for ward in legacy}
        places = ", ".join(f"{ward.name} ({ward.district})" for ward in legacy)
        if len(new_communes) == 1:
            # Every candidate went into the same 2025 commune: the place is known.
            match_key = self._new_key(legacy[0].new_keys[0])
        else:
            match_key = self._unresolved_key(written)
        return Placement(
            "ambiguous",
            old_district=districts.pop() if len(districts) == 1 else "",
            new_communes=new_communes,
            match_key=match_key,
            note=f"'{written.commune}' có ở nhiều nơi trước sắp xếp 2025: {places}; "
            "không tự quyết định được, cần ghi rõ quận/huyện (cũ) hoặc tên xã/phường mới.",
        )

    def _new_placement(self, ward: _NewWard, district: str) -> Placement:
        written_district = self.display_district(district) if district else ""
        notes = []
        if written_district in ward.districts:
            # The roster's own district says which part of the new commune it is.
            old_district = written_district
            reason = "theo quận/huyện ghi trong danh sách"
        else:
            old_district = ward.districts[0] if ward.districts else ""
            reason = "nơi có nhiều xã/phường cũ nhất"
            if district:
                notes.append(
                    f"quận/huyện '{district}' ghi trong danh sách không thuộc {ward.name} (mới)"
                )
        if len(ward.districts) > 1:
            notes.insert(
                0,
                f"{ward.name} (mới) gồm xã/phường cũ của {' và '.join(ward.districts)}; "
                f"tính vào {old_district}, {reason}",
            )
        note = "; ".join(notes)
        return Placement(
            "new",
            old_district=old_district,
            new_communes=(ward.name,),
            match_key=self._new_key(ward.key),
            note=note[:1].upper() + note[1:] + "." if note else "",
        )

    def _unknown(self, written: _Written, scope: str, reason: str = "") -> Placement:
        return Placement(
            "unknown",
            match_key=self._unresolved_key(written),
            note=f"Không tìm thấy xã/phường '{written.commune}' trong danh mục đơn vị hành chính "
            f"{scope}{reason}.",
        )

    def _new_key(self, ward_key: str) -> str:
        return f"{self.key}_{ward_key}"

    def _unresolved_key(self, written: _Written) -> str:
        # Unresolved places compare equal only when written alike; the type word
        # is left out, since rosters write it or not at random.
        parts = [loose_key(written.name)]
        if written.district:
            district = _readings(written.district, _DISTRICT_PREFIX, _DISTRICT_TYPES)[0][1]
            parts.append(loose_key(district))
        return f"{self.key}_?_{'_'.join(parts)}"


@functools.cache
def _load(province_key: str) -> AdminUnits:
    return AdminUnits(province_key)
