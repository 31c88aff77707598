"""Seeded synthetic rosters for the examples, the tests and the benchmarks.

Two kinds of output, chosen by `profile`:
- "example" (the default): the five laid-out rosters described below;
- "clean", "realistic", "hard": large Đồng Nai-like populations with roster
  noise, as loader-shaped records (`generate_records`, fast enough for a
  million rows) or written as simple rosters (`generate_rosters(...,
  profile=...)`); see "Benchmark profiles" further down.

`generate_rosters(output_dir, seed)` writes five roster workbooks, one per
organization, laid out the way district and commune offices keep them, and
returns the ground truth: the synthetic person behind every data row, every row
that has content but is not a record, and the cases planted to test matching.
The committed `examples/` folder is `generate_rosters(Path("examples"))`; it
holds nothing but the five workbooks, because anything else there could be
read as input. Regenerate it after changing this module with `make examples`
(`python -m pipeline examples`); a test checks the committed bytes.

Population: people of five communes of old (pre-July 2025) Đồng Nai: Phước
Thiền, Long Tân and Hiệp Phước (Huyện Nhơn Trạch), An Phước and Long Phước
(Huyện Long Thành). Surnames follow the commonly cited shares; birth years fit
each organization's age range in the roster year 2025; about 60% of people have
a 12-digit CCCD consistent with sex and birth year (a few older women in the
Phụ nữ roster a 9-digit CMND instead); about 6% work away ("Đi làm ăn xa").

Planted cases (counts at scale 1):
- 10 people counted as core by two organizations, 2 of them by three
  (CROSS_ORG_CORE). The first listing is clean and each later one carries one
  light variant: UPPERCASE name, name without diacritics, bare birth year among
  full dates (once the reverse: the Phụ nữ listing has the bare year, the later
  Nông dân one the full date), abbreviated address ("ấp 3, X. Phước Thiền,
  H. Nhơn Trạch") or no CCCD. The birth year and the commune never change.
- 3 people who belong to two organizations but are core in only one
  (LEGIT_OVERLAPS): legitimate, must not be flagged.
- 2 people listed twice in one organization: in two commune sheets of the Phụ nữ
  workbook, and in two chi đoàn of the Đoàn roster.
- 4 namesake pairs: different people with the same full name in different
  organizations and different birth dates; two pairs share the birth year but
  live in different communes. Apart from these no two people share a name.

Files (all headers in row order as offices write them; rows are 1-based):
- doan_thanh_nien_nhon_trach.xlsx, sheet "DS đoàn viên": 3 merged title rows,
  a blank row, header in row 5, data from row 6. Birth dates are Excel dates,
  CCCD and phone are text, "Nòng cốt"/"SHTX" hold "x" or nothing. A signature
  block ("NGƯỜI LẬP BIỂU" in the name column, "BÍ THƯ", the signers' names)
  follows one blank row.
- hoi_lhpn_nhon_trach.xlsx: sheets "Phước Thiền", "Long Tân", "Hiệp Phước"
  (2 title rows, header in row 3, data from row 4, "Năm sinh" is text
  "dd/mm/yyyy" or a bare year number, "Địa chỉ" is hamlet-level), "Tổng hợp"
  (a count per commune, no names) and an empty "Sheet2".
- hoi_nong_dan_long_thanh_nhon_trach.xlsx, sheet "Danh sách": 3 title rows, a
  two-row merged header in rows 4-5 whose "Nam"/"Nữ" columns carry the birth
  date (text "dd.mm.yyyy" or "dd-mm-yyyy") and thereby the sex, data from row 6,
  then a "Tổng cộng" row with the core and SHTX counts, then a signature block.
  No CCCD column.
- hoi_ccb_nhon_trach.xlsx, sheet "CCB": core-only roster of Xã Phước Thiền with
  no "Nòng cốt" column; 2 title rows, a blank row, header in row 4, data from
  row 5; the name split into "Họ và tên đệm" and "Tên"; "Số định danh" stored
  as a number, so a CCCD loses its leading zero.
- cong_doan_nhon_trach.xlsx, sheet "Đoàn viên CĐ": 3 title rows, a blank row,
  header in row 5, data from row 6 with one bordered blank spacer row in the
  middle; "Nòng cốt"/"SHTX" hold "X" or nothing.
"""

from __future__ import annotations

import calendar
import importlib
import random
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache, cached_property, partial
from pathlib import Path

import pandas as pd
import xlsxwriter

from pipeline.admin_units import AdminUnits, AdminUnitsError, short_name
from pipeline.models import LOAD_COLUMNS, PROVENANCE_COLUMNS, RAW_FIELDS
from pipeline.text import fold, strip_marks

ROSTER_YEAR = 2025
# xlsxwriter already writes fixed zip timestamps; fixing the creation date in
# docProps/core.xml as well makes one seed reproduce byte-identical files.
CREATED = datetime(ROSTER_YEAR, 1, 1)


# --- Ground truth -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TruthPerson:
    """A synthetic person as they really are (before any roster's variant)."""

    person_key: str
    full_name: str
    sex: str  # "M" or "F"
    birth_date: date
    hamlet: str  # e.g. "Ấp 3", "Ấp Bến Cam"
    commune: str  # e.g. "Xã Phước Thiền"
    district: str  # e.g. "Huyện Nhơn Trạch"
    citizen_id: str | None  # 12-digit CCCD, 9-digit CMND or None
    phone: str | None
    away: bool
    # People of one household (generate_records): a couple and their children
    # share an address, and the children the father's surname.
    household: str = ""


@dataclass(frozen=True, slots=True)
class TruthRow:
    """One data row written to a roster."""

    source_file: str  # relative to output_dir, posix separators
    sheet: str
    row: int  # 1-based Excel row
    organization: str
    person_key: str
    is_core: bool
    is_regular: bool
    # How this row departs from a clean rendering of the person (NOISE_KINDS).
    noise: tuple[str, ...] = ()


@dataclass(frozen=True)
class GroundTruth:
    rows: tuple[TruthRow, ...]  # every data row, in file, sheet and row order
    # (source_file, sheet, row) of every non-empty row that is not a record:
    # titles, headers, subtotals, signature blocks, summary sheets.
    non_data_rows: tuple[tuple[str, str, int], ...]
    cross_org_core_duplicates: tuple[str, ...]  # core in two or more organizations
    within_org_duplicates: tuple[str, ...]  # listed twice by one organization
    # Different people with the same full name, written by different organizations
    # (generate_records: with the same birth year too and living in one commune,
    # whatever their organizations: the pairs that name, year and place cannot
    # tell apart; all pairs of namesakes would not fit in memory at a million rows).
    namesakes: tuple[tuple[str, str], ...]
    people: tuple[TruthPerson, ...]  # everyone with at least one row
    # Siblings born on one day: one surname, one address, other given names.
    twins: tuple[tuple[str, str], ...] = ()

    def person(self, person_key: str) -> TruthPerson:
        return self._people_by_key[person_key]

    @cached_property
    def _people_by_key(self) -> dict[str, TruthPerson]:
        return {person.person_key: person for person in self.people}


# --- Geography and names ----------------------------------------------------


@dataclass(frozen=True)
class Commune:
    name: str  # without "Xã"
    district: str  # without "Huyện"
    hamlets: tuple[str, ...]


COMMUNES = (
    Commune("Phước Thiền", "Nhơn Trạch", ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp Bến Cam", "Ấp Chợ")),
    Commune("Long Tân", "Nhơn Trạch", ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4", "Ấp Bàu Bông")),
    Commune("Hiệp Phước", "Nhơn Trạch", ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4", "Ấp 5")),
    Commune("An Phước", "Long Thành", ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp 4", "Ấp Thành Công")),
    Commune("Long Phước", "Long Thành", ("Ấp 1", "Ấp 2", "Ấp 3", "Ấp Phước Hòa", "Ấp Phước Lý")),
)
_COMMUNE_BY_NAME = {commune.name: commune for commune in COMMUNES}
NHON_TRACH = ("Phước Thiền", "Long Tân", "Hiệp Phước")
ALL_COMMUNES = tuple(commune.name for commune in COMMUNES)

# Commonly cited shares (see the project's domain notes). Hoàng/Huỳnh and Vũ/Võ
# lean to the southern reading; the remaining ~12% is spread over other common
# surnames.
SURNAMES = (
    ("Nguyễn", 38.0),
    ("Trần", 11.0),
    ("Lê", 9.5),
    ("Phạm", 7.0),
    ("Huỳnh", 3.0),
    ("Hoàng", 2.0),
    ("Phan", 4.5),
    ("Võ", 2.5),
    ("Vũ", 1.4),
    ("Đặng", 2.1),
    ("Bùi", 2.0),
    ("Đỗ", 1.4),
    ("Hồ", 1.3),
    ("Ngô", 1.3),
    ("Dương", 1.0),
    ("Lý", 0.5),
    ("Trương", 1.6),
    ("Đinh", 1.2),
    ("Mai", 1.0),
    ("Lâm", 1.0),
    ("Đoàn", 1.0),
    ("Cao", 0.8),
    ("Lương", 0.7),
    ("Châu", 0.7),
    ("Thái", 0.5),
)
FEMALE_MIDDLES = (
    ("Thị", 60.0),
    ("Ngọc", 7.0),
    ("Thanh", 6.0),
    ("Kim", 5.0),
    ("Mỹ", 4.0),
    ("Thu", 4.0),
    ("Hồng", 4.0),
    ("Bích", 3.0),
    ("Phương", 3.0),
    ("Bảo", 2.0),
)
MALE_MIDDLES = (
    ("Văn", 45.0),
    ("Minh", 10.0),
    ("Hữu", 8.0),
    ("Đức", 7.0),
    ("Quốc", 6.0),
    ("Thanh", 6.0),
    ("Hoàng", 5.0),
    ("Công", 5.0),
    ("Tấn", 5.0),
    ("Ngọc", 3.0),
)
# "Thị" and "Văn" went out of fashion: people born since 1995 get them less often.
_OLD_FASHIONED_MIDDLES = ("Thị", "Văn")
_FASHION_YEAR = 1995
# A second middle name follows the first ("Thị Ngọc", "Hoàng Minh"), never "Thị".
_TWO_MIDDLES_SHARE = 0.15
FEMALE_SECOND_MIDDLES = ("Ngọc", "Thanh", "Kim", "Mỹ", "Thu", "Hồng", "Bích", "Phương", "Diễm")
MALE_SECOND_MIDDLES = ("Minh", "Hoàng", "Quốc", "Thanh", "Anh", "Gia", "Nhật", "Trung")
FEMALE_GIVEN = (
    "Lan", "Hoa", "Hương", "Mai", "Hạnh", "Thảo", "Trang", "Linh", "Ngọc", "Hằng",
    "Thủy", "Nga", "Yến", "Phương", "Nhung", "Dung", "Loan", "Tuyết", "Liên", "Hồng",
    "Vân", "Oanh", "Diễm", "Trinh", "Nhi", "Vy", "My", "Thư", "Hiền", "Huyền",
    "Xuân", "Thu", "Cúc", "Đào", "Ánh", "Quyên", "Giang", "Tâm", "Hòa", "Thúy",
)  # fmt: skip
MALE_GIVEN = (
    "Hùng", "Dũng", "Tuấn", "Minh", "Hải", "Long", "Nam", "Phúc", "Tài", "Thành",
    "Trung", "Cường", "Hưng", "Sơn", "Tâm", "Bình", "Khoa", "Phong", "Quang", "Toàn",
    "Thắng", "Lợi", "Hiếu", "Nghĩa", "Đạt", "Hòa", "Tín", "Vinh", "Lâm", "Hậu",
    "Tùng", "Duy", "Khánh", "Bảo", "Huy", "Kiệt", "Thịnh", "Lộc", "Phát", "Tú",
)  # fmt: skip

CITIZEN_ID_SHARE = 0.6
HOME_PROVINCE = "075"  # Đồng Nai
# Birth registered elsewhere: Thanh Hóa, Nghệ An, Nam Định, Thái Bình, TP.HCM, Bình Dương.
OTHER_PROVINCES = ("038", "040", "036", "034", "079", "074")
OTHER_PROVINCE_SHARE = 0.1
# Older women in the Phụ nữ roster sometimes still give their 9-digit CMND
# (Đồng Nai numbers start with 27).
CMND_SHARE = 0.25
CMND_BEFORE = 1975
PHONE_SHARE = 0.85
PHONE_PREFIXES = (
    "032", "033", "034", "035", "036", "037", "038", "039", "070", "076", "077", "078",
    "079", "081", "082", "083", "084", "085", "088", "090", "091", "093", "094", "096",
    "097", "098",
)  # fmt: skip
GROUP_SHARE = 0.35  # addresses that name the tổ (group) inside the hamlet
AWAY_SHARE = 0.06
AWAY_NOTES = (
    "Đi làm ăn xa",
    "Đi làm ăn xa",
    "Đi làm ăn xa (Bình Dương)",
    "Tạm vắng - đi làm ăn xa",
)


# --- Organizations ----------------------------------------------------------


@dataclass(frozen=True)
class OrgRule:
    birth_years: tuple[int, int]  # inclusive, for the roster year 2025
    typical_year: int  # mode of the birth-year draw
    female_share: float
    communes: tuple[str, ...]  # where its members live
    branch_prefix: str  # "Chi đoàn Ấp 3"; "" when branches are UNION_TEAMS
    leader: str
    deputy: str
    officer: str  # the position some other core members hold
    officer_share: float
    member: str
    core_share: float
    file_name: str


UNION_TEAMS = (
    "Tổ công đoàn Phân xưởng May 1",
    "Tổ công đoàn Phân xưởng May 2",
    "Tổ công đoàn Phân xưởng Cắt",
    "Tổ công đoàn Kho vận",
    "Tổ công đoàn Văn phòng",
)

ORG_RULES = {
    "doan": OrgRule(
        birth_years=(1995, 2009),
        typical_year=2002,
        female_share=0.5,
        communes=NHON_TRACH,
        branch_prefix="Chi đoàn",
        leader="Bí thư",
        deputy="Phó bí thư",
        officer="Ủy viên BCH",
        officer_share=0.3,
        member="Đoàn viên",
        core_share=0.8,
        file_name="doan_thanh_nien_nhon_trach.xlsx",
    ),
    "phunu": OrgRule(
        birth_years=(1955, 2007),
        typical_year=1978,
        female_share=1.0,
        communes=NHON_TRACH,
        branch_prefix="Chi hội",
        leader="Chi hội trưởng",
        deputy="Chi hội phó",
        officer="Tổ trưởng",
        officer_share=0.25,
        member="Hội viên",
        core_share=0.8,
        file_name="hoi_lhpn_nhon_trach.xlsx",
    ),
    "nongdan": OrgRule(
        birth_years=(1955, 2000),
        typical_year=1970,
        female_share=0.4,
        communes=ALL_COMMUNES,
        branch_prefix="Chi hội",
        leader="Chi hội trưởng",
        deputy="Chi hội phó",
        officer="Tổ trưởng",
        officer_share=0.25,
        member="Hội viên",
        core_share=0.8,
        file_name="hoi_nong_dan_long_thanh_nhon_trach.xlsx",
    ),
    # The roster is one commune's, and a core-only list.
    "ccb": OrgRule(
        birth_years=(1948, 1992),
        typical_year=1958,
        female_share=0.05,
        communes=("Phước Thiền",),
        branch_prefix="Chi hội",
        leader="Chi hội trưởng",
        deputy="Chi hội phó",
        officer="Tổ trưởng",
        officer_share=0.2,
        member="Hội viên",
        core_share=1.0,
        file_name="hoi_ccb_nhon_trach.xlsx",
    ),
    # A garment company's union: mostly women, living in both districts.
    "congdoan": OrgRule(
        birth_years=(1966, 2007),
        typical_year=1992,
        female_share=0.6,
        communes=ALL_COMMUNES,
        branch_prefix="",
        leader="Tổ trưởng",
        deputy="Tổ phó",
        officer="Ủy viên BCH",
        officer_share=0.15,
        member="Đoàn viên",
        core_share=0.8,
        file_name="cong_doan_nhon_trach.xlsx",
    ),
}

# Ordinary (unplanted) people per organization at scale 1.
BASE_MEMBERS = {"doan": 52, "phunu": 62, "nongdan": 50, "ccb": 36, "congdoan": 48}
REGULAR_SHARE_CORE = 0.85
REGULAR_SHARE_OTHER = 0.55
# Phụ nữ offices often know only the birth year of older members.
PHUNU_YEAR_ONLY_SHARE = 0.25


# --- Planted cases ------------------------------------------------------------

# Each planted listing is (organization, variant): how the row departs from a
# clean rendering of the person (see VARIANTS). A variant may only be one the
# roster can show: "short_address" needs a free-text address column,
# "missing_id" an ID column (the person is then given an ID to leave out).
Listing = tuple[str, str | None]

# People counted as core by every organization listing them. The Phụ nữ/Nông
# dân case is the reverse precision: a bare year in Phụ nữ, a full date in Nông
# dân.
CROSS_ORG_CORE: tuple[tuple[Listing, ...], ...] = (
    (("doan", None), ("phunu", "upper")),
    (("doan", None), ("congdoan", "missing_id")),
    (("doan", None), ("phunu", "no_diacritics"), ("congdoan", "short_address")),
    (("phunu", "year_only"), ("nongdan", None)),
    (("phunu", None), ("congdoan", "missing_id")),
    (("nongdan", None), ("ccb", "short_address")),
    (("ccb", None), ("congdoan", "upper")),
    (("nongdan", None), ("congdoan", "year_only")),
    (("doan", None), ("nongdan", "no_diacritics")),
    (("ccb", None), ("nongdan", "year_only"), ("congdoan", "missing_id")),
)
# Members of two organizations, core only in the first: legitimate.
LEGIT_OVERLAPS: tuple[tuple[Listing, Listing], ...] = (
    (("doan", None), ("congdoan", "upper")),
    (("phunu", None), ("nongdan", None)),
    (("ccb", None), ("nongdan", "no_diacritics")),
)
# (organization, listed again under another commune rather than another branch)
WITHIN_ORG_REPEATS = (("phunu", True), ("doan", False))
# (organization of the first, of the second, same birth year and other commune)
NAMESAKE_PAIRS = (
    ("phunu", "congdoan", True),
    ("doan", "congdoan", False),
    ("nongdan", "ccb", False),
    ("phunu", "nongdan", True),
)

# Light, realistic departures of one listing from another; none changes the
# birth year or the commune.
VARIANTS = ("upper", "no_diacritics", "year_only", "short_address", "missing_id")
# Name draws give up avoiding a collision after this many tries, so a large
# scale still terminates (and then gets the accidental namesakes real data has).
_NAME_ATTEMPTS = 60
SIGNER_BIRTH_YEAR = 1975  # officials who sign rosters are rarely young


# --- Population ---------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    key: str
    surname: str
    middles: tuple[str, ...]
    given: str
    sex: str
    birth: date
    commune: Commune
    hamlet: str
    group: int | None
    citizen_id: str | None
    phone: str | None
    away_note: str | None

    @property
    def family_part(self) -> str:
        return " ".join((self.surname, *self.middles))

    @property
    def full_name(self) -> str:
        return f"{self.family_part} {self.given}"

    def truth(self) -> TruthPerson:
        return TruthPerson(
            person_key=self.key,
            full_name=self.full_name,
            sex=self.sex,
            birth_date=self.birth,
            hamlet=self.hamlet,
            commune=f"Xã {self.commune.name}",
            district=f"Huyện {self.commune.district}",
            citizen_id=self.citizen_id,
            phone=self.phone,
            away=self.away_note is not None,
        )


@dataclass(frozen=True)
class _Entry:
    """One listing of a person in one organization's roster."""

    person: _Person
    org: str
    commune: Commune  # whose list holds the row (the sheet, for Phụ nữ)
    branch: str
    is_core: bool
    is_regular: bool
    variant: str | None
    order: float  # random tie-break that mixes planted rows among ordinary ones
    position: str = ""


def _weighted(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([item for item, _ in table], [weight for _, weight in table])[0]


def _branches(org: str, commune: Commune) -> tuple[str, ...]:
    rule = ORG_RULES[org]
    if not rule.branch_prefix:
        return UNION_TEAMS
    return tuple(f"{rule.branch_prefix} {hamlet}" for hamlet in commune.hamlets)


class _Population:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[_Person] = []
        self.entries: list[_Entry] = []
        self._names: set[str] = set()
        self._ids: set[str] = set()

    def fresh_name(self, org: str) -> str:
        """A name nobody in the population has, for a signature block of `org`'s
        roster (a Phụ nữ official is a woman, a CCB one almost always a man)."""
        sex = self._draw_sex((org,))
        surname, middles, given = self._draw_name(sex, SIGNER_BIRTH_YEAR)
        return " ".join((surname, *middles, given))

    def _draw_name(self, sex: str, birth_year: int) -> tuple[str, tuple[str, ...], str]:
        rng = self.rng
        middles_table: Sequence[tuple[str, float]] = FEMALE_MIDDLES if sex == "F" else MALE_MIDDLES
        if birth_year >= _FASHION_YEAR:
            middles_table = tuple(
                (m, w / 3 if m in _OLD_FASHIONED_MIDDLES else w) for m, w in middles_table
            )
        givens = FEMALE_GIVEN if sex == "F" else MALE_GIVEN
        seconds = FEMALE_SECOND_MIDDLES if sex == "F" else MALE_SECOND_MIDDLES
        for _ in range(_NAME_ATTEMPTS):
            surname = _weighted(rng, SURNAMES)
            middles = [_weighted(rng, middles_table)]
            if rng.random() < _TWO_MIDDLES_SHARE:
                middles.append(rng.choice([m for m in seconds if m != middles[0]]))
            given = rng.choice([g for g in givens if g not in middles])
            key = fold(" ".join((surname, *middles, given)))
            if key not in self._names:
                break
        self._names.add(key)
        return surname, tuple(middles), given

    def _draw_year(self, orgs: Sequence[str]) -> int:
        rules = [ORG_RULES[org] for org in orgs]
        low = max(rule.birth_years[0] for rule in rules)
        high = min(rule.birth_years[1] for rule in rules)
        if len(rules) == 1:
            return round(self.rng.triangular(low, high, rules[0].typical_year))
        return self.rng.randint(low, high)

    def _draw_birth(self, year: int) -> date:
        month = self.rng.randint(1, 12)
        return date(year, month, self.rng.randint(1, calendar.monthrange(year, month)[1]))

    def _draw_sex(self, orgs: Sequence[str]) -> str:
        shares = [ORG_RULES[org].female_share for org in orgs]
        female_share = 1.0 if 1.0 in shares else min(shares)
        return "F" if self.rng.random() < female_share else "M"

    def _draw_citizen_id(
        self, sex: str, birth: date, orgs: Sequence[str], with_id: bool | None
    ) -> str | None:
        rng = self.rng
        if not (with_id if with_id is not None else rng.random() < CITIZEN_ID_SHARE):
            return None
        while True:
            if orgs == ("phunu",) and birth.year < CMND_BEFORE and rng.random() < CMND_SHARE:
                number = "27" + "".join(rng.choices("0123456789", k=7))
            else:
                province = HOME_PROVINCE
                if rng.random() < OTHER_PROVINCE_SHARE:
                    province = rng.choice(OTHER_PROVINCES)
                # 4th digit: century and sex; 5th-6th: birth year.
                century_sex = (0 if birth.year < 2000 else 2) + (1 if sex == "F" else 0)
                serial = "".join(rng.choices("0123456789", k=6))
                number = f"{province}{century_sex}{birth.year % 100:02d}{serial}"
            if number not in self._ids:
                self._ids.add(number)
                return number

    def new_person(
        self,
        orgs: Sequence[str],
        *,
        like: _Person | None = None,
        same_year: bool = False,
        with_id: bool | None = None,
    ) -> _Person:
        """A person eligible for all `orgs`; with `like`, a namesake of that person
        with another birth date (and, when `same_year`, the same year but another
        commune). `with_id` forces having a citizen ID or not; None draws it."""
        rng = self.rng
        communes = [c for c in ALL_COMMUNES if all(c in ORG_RULES[o].communes for o in orgs)]
        if like is None:
            sex = self._draw_sex(orgs)
            birth = self._draw_birth(self._draw_year(orgs))
            surname, middles, given = self._draw_name(sex, birth.year)
        else:
            sex, surname, middles, given = like.sex, like.surname, like.middles, like.given
            birth = like.birth
            while birth == like.birth or (birth.year == like.birth.year) != same_year:
                birth = self._draw_birth(like.birth.year if same_year else self._draw_year(orgs))
            if same_year:
                communes.remove(like.commune.name)
        commune = _COMMUNE_BY_NAME[rng.choice(communes)]
        person = _Person(
            key=f"P{len(self.people) + 1:04d}",
            surname=surname,
            middles=middles,
            given=given,
            sex=sex,
            birth=birth,
            commune=commune,
            hamlet=rng.choice(commune.hamlets),
            group=rng.randint(1, 12) if rng.random() < GROUP_SHARE else None,
            citizen_id=self._draw_citizen_id(sex, birth, orgs, with_id),
            phone=(
                rng.choice(PHONE_PREFIXES) + "".join(rng.choices("0123456789", k=7))
                if rng.random() < PHONE_SHARE
                else None
            ),
            away_note=rng.choice(AWAY_NOTES) if rng.random() < AWAY_SHARE else None,
        )
        self.people.append(person)
        return person

    def enlist(
        self,
        person: _Person,
        org: str,
        *,
        core: bool,
        variant: str | None = None,
        commune: Commune | None = None,
        avoid_branch: str | None = None,
    ) -> _Entry:
        rng = self.rng
        listed_in = commune or person.commune
        branches = _branches(org, listed_in)
        if ORG_RULES[org].branch_prefix and listed_in == person.commune:
            branch = branches[person.commune.hamlets.index(person.hamlet)]
        else:
            branch = rng.choice(branches)
        if branch == avoid_branch:
            branch = rng.choice([b for b in branches if b != avoid_branch])
        if person.away_note is not None:
            regular = False
        else:
            regular = rng.random() < (REGULAR_SHARE_CORE if core else REGULAR_SHARE_OTHER)
        entry = _Entry(person, org, listed_in, branch, core, regular, variant, rng.random())
        self.entries.append(entry)
        return entry


def _build_population(rng: random.Random, scale: int) -> _Population:
    population = _Population(rng)
    for org, count in BASE_MEMBERS.items():
        rule = ORG_RULES[org]
        for _ in range(count * scale):
            person = population.new_person((org,))
            variant = None
            if org == "phunu" and rng.random() < PHUNU_YEAR_ONLY_SHARE:
                variant = "year_only"
            population.enlist(person, org, core=rng.random() < rule.core_share, variant=variant)

    for _ in range(scale):
        for listings in CROSS_ORG_CORE:
            _plant(population, listings, core=(True,) * len(listings))
        for listings in LEGIT_OVERLAPS:
            _plant(population, listings, core=(True, False))
        for org, other_commune in WITHIN_ORG_REPEATS:
            person = population.new_person((org,))
            entry = population.enlist(person, org, core=True)
            elsewhere = None
            if other_commune:
                others = [c for c in ORG_RULES[org].communes if c != person.commune.name]
                elsewhere = _COMMUNE_BY_NAME[rng.choice(others)]
            population.enlist(person, org, core=True, commune=elsewhere, avoid_branch=entry.branch)
        for first, second, same_year in NAMESAKE_PAIRS:
            person = population.new_person((first, second))
            population.enlist(person, first, core=True)
            namesake = population.new_person((second,), like=person, same_year=same_year)
            population.enlist(namesake, second, core=True)
    population.entries = _assign_positions(population.entries, rng)
    return population


def _plant(population: _Population, listings: Sequence[Listing], core: Sequence[bool]) -> None:
    orgs = [org for org, _ in listings]
    needs_id = any(variant == "missing_id" for _, variant in listings)
    person = population.new_person(orgs, with_id=True if needs_id else None)
    for (org, variant), is_core in zip(listings, core, strict=True):
        population.enlist(person, org, core=is_core, variant=variant)


def _assign_positions(entries: list[_Entry], rng: random.Random) -> list[_Entry]:
    """Each branch gets one leader and one deputy among its core members, like a
    real branch, instead of positions drawn row by row."""
    branches: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for index, entry in enumerate(entries):
        branches[(entry.org, entry.commune.name, entry.branch)].append(index)
    result = list(entries)
    for indexes in branches.values():
        core_seen = 0
        for index in sorted(indexes, key=lambda i: entries[i].order):
            entry = entries[index]
            rule = ORG_RULES[entry.org]
            if not entry.is_core:
                position = rule.member
            elif core_seen == 0:
                position = rule.leader
            elif core_seen == 1:
                position = rule.deputy
            elif rng.random() < rule.officer_share:
                position = rule.officer
            else:
                position = rule.member
            core_seen += entry.is_core
            result[index] = replace(entry, position=position)
    return result


def _roster(entries: Sequence[_Entry], org: str) -> list[_Entry]:
    """The organization's rows in roster order: by commune, branch, then leaders
    first."""
    rule = ORG_RULES[org]
    ranks = {rule.leader: 0, rule.deputy: 1, rule.officer: 2, rule.member: 3}

    def sort_key(entry: _Entry) -> tuple[int, int, int, float]:
        # A union lists its teams, wherever the members live.
        return (
            ALL_COMMUNES.index(entry.commune.name) if rule.branch_prefix else 0,
            _branches(org, entry.commune).index(entry.branch),
            ranks[entry.position],
            entry.order,
        )

    return sorted((e for e in entries if e.org == org), key=sort_key)


# --- Rendering one entry --------------------------------------------------------

ADDRESS_FORMATS = {
    "doan": "{local}, xã {commune}, huyện {district}",
    "ccb": "{local}, {commune}, {district}, Đồng Nai",
    "congdoan": "{local}, Xã {commune}, Huyện {district}, Tỉnh Đồng Nai",
}
SHORT_ADDRESS_FORMAT = "{local_lower}, X. {commune}, H. {district}"

Cell = str | int | date | None


def _name(entry: _Entry, text: str) -> str:
    if entry.variant == "upper":
        return text.upper()
    if entry.variant == "no_diacritics":
        return strip_marks(text)
    return text


def _birth(entry: _Entry, text_format: str | None = None) -> Cell:
    """The birth date as an Excel date or, with `text_format`, as text; a bare
    year number for the year-only variant."""
    birth = entry.person.birth
    if entry.variant == "year_only":
        return birth.year
    return birth.strftime(text_format) if text_format else birth


def _local_address(person: _Person) -> str:
    if person.group is None:
        return person.hamlet
    return f"Tổ {person.group}, {person.hamlet[0].lower()}{person.hamlet[1:]}"


def _address(entry: _Entry) -> str:
    person = entry.person
    local = _local_address(person)
    template = ADDRESS_FORMATS[entry.org]
    if entry.variant == "short_address":
        template = SHORT_ADDRESS_FORMAT
    return template.format(
        local=local,
        local_lower=local[0].lower() + local[1:],
        commune=person.commune.name,
        district=person.commune.district,
    )


def _citizen_id(entry: _Entry) -> str | None:
    return None if entry.variant == "missing_id" else entry.person.citizen_id


def _sex(entry: _Entry) -> str:
    return "Nữ" if entry.person.sex == "F" else "Nam"


def _mark(flag: bool, mark: str = "x") -> str | None:
    return mark if flag else None


# --- Writing workbooks ----------------------------------------------------------


class _Book:
    """A workbook being written: its shared formats, where the signers' names and
    presentation choices come from, and the truth it produces."""

    def __init__(
        self, output_dir: Path, org: str, signer: Callable[[], str], rng: random.Random
    ) -> None:
        self.file_name = ORG_RULES[org].file_name
        self.org = org
        self.signer = signer
        self.rng = rng
        self.workbook = xlsxwriter.Workbook(str(output_dir / self.file_name))
        self.workbook.set_properties({"created": CREATED, "author": "pipeline.synthetic"})
        add = self.workbook.add_format
        cell = {"border": 1, "valign": "vcenter", "font_name": "Times New Roman"}
        self.formats = {
            "title": add({"bold": True, "align": "center", "font_name": "Times New Roman"}),
            "header": add({**cell, "bold": True, "align": "center", "text_wrap": True}),
            "cell": add(cell),
            "center": add({**cell, "align": "center"}),
            "date": add({**cell, "align": "center", "num_format": "dd/mm/yyyy"}),
            "place": add({"italic": True, "align": "center", "font_name": "Times New Roman"}),
            "signature": add({"bold": True, "align": "center", "font_name": "Times New Roman"}),
        }
        self.rows: list[TruthRow] = []
        self.non_data: list[tuple[str, str, int]] = []

    def close(self) -> None:
        self.workbook.close()


class _Sheet:
    def __init__(
        self, book: _Book, name: str, widths: Sequence[int], centered: Sequence[int] = ()
    ) -> None:
        self.book = book
        self.name = name
        self.ws = book.workbook.add_worksheet(name)
        for col, width in enumerate(widths):
            self.ws.set_column(col, col, width)
        self.width = len(widths)
        self.centered = frozenset(centered)
        self.row = 0  # next row to write, 0-based as xlsxwriter counts

    def close_non_data_row(self) -> None:
        """Record the current row, written by hand or by a helper, as not a record."""
        self.book.non_data.append((self.book.file_name, self.name, self.row + 1))
        self.row += 1

    def _span(self, first: int, last: int, text: str, fmt: str) -> None:
        if first == last:
            self.ws.write_string(self.row, first, text, self.book.formats[fmt])
        else:
            self.ws.merge_range(self.row, first, self.row, last, text, self.book.formats[fmt])

    def _put(self, col: int, value: Cell) -> None:
        formats = self.book.formats
        plain = formats["center"] if col in self.centered else formats["cell"]
        if value is None or value == "":
            self.ws.write_blank(self.row, col, None, plain)
        elif isinstance(value, str):
            self.ws.write_string(self.row, col, value, plain)
        elif isinstance(value, date):
            moment = datetime(value.year, value.month, value.day)
            self.ws.write_datetime(self.row, col, moment, formats["date"])
        else:
            self.ws.write_number(self.row, col, value, plain)

    def skip(self, rows: int = 1) -> None:
        self.row += rows

    def title(self, text: str) -> None:
        self._span(0, self.width - 1, text, "title")
        self.close_non_data_row()

    def header(self, labels: Sequence[str]) -> None:
        for col, label in enumerate(labels):
            self.ws.write_string(self.row, col, label, self.book.formats["header"])
        self.close_non_data_row()

    def cells(self, values: Sequence[Cell]) -> None:
        """A non-record row inside the table (subtotal, summary line)."""
        for col, value in enumerate(values):
            self._put(col, value)
        self.close_non_data_row()

    def blank_table_row(self) -> None:
        for col in range(self.width):
            self._put(col, None)
        self.row += 1

    def record(self, entry: _Entry, values: Sequence[Cell]) -> None:
        for col, value in enumerate(values):
            self._put(col, value)
        self.book.rows.append(
            TruthRow(
                source_file=self.book.file_name,
                sheet=self.name,
                row=self.row + 1,
                organization=self.book.org,
                person_key=entry.person.key,
                is_core=entry.is_core,
                is_regular=entry.is_regular,
            )
        )
        self.row += 1

    def signature(
        self,
        place: str,
        roles: tuple[str, str],
        left: tuple[int, int],
        right: tuple[int, int],
    ) -> None:
        """Place and date, the two roles side by side, room to sign, the signers'
        names."""
        self.skip()
        self._span(*right, place, "place")
        self.close_non_data_row()
        self._span(*left, roles[0], "signature")
        self._span(*right, roles[1], "signature")
        self.close_non_data_row()
        self.skip(3)
        self._span(*left, self.book.signer(), "signature")
        self._span(*right, self.book.signer(), "signature")
        self.close_non_data_row()


def _write_doan(book: _Book, entries: Sequence[_Entry]) -> None:
    sheet = _Sheet(
        book, "DS đoàn viên", (5, 24, 12, 8, 38, 15, 13, 18, 12, 9, 7, 20), (0, 3, 9, 10)
    )
    sheet.title("ĐOÀN TNCS HỒ CHÍ MINH")
    sheet.title("BCH ĐOÀN HUYỆN NHƠN TRẠCH")
    sheet.title(f"DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM {ROSTER_YEAR}")
    sheet.skip()
    sheet.header(
        ("STT", "Họ và tên", "Ngày sinh", "Giới tính", "Chỗ ở hiện nay", "Số CCCD",
         "Số điện thoại", "Chi đoàn", "Chức vụ", "Nòng cốt", "SHTX", "Ghi chú")
    )  # fmt: skip
    for number, entry in enumerate(entries, start=1):
        person = entry.person
        sheet.record(
            entry,
            (number, _name(entry, person.full_name), _birth(entry), _sex(entry), _address(entry),
             _citizen_id(entry), person.phone, entry.branch, entry.position,
             _mark(entry.is_core), _mark(entry.is_regular), person.away_note),
        )  # fmt: skip
    sheet.signature(
        f"Nhơn Trạch, ngày 15 tháng 3 năm {ROSTER_YEAR}",
        ("NGƯỜI LẬP BIỂU", "BÍ THƯ"),
        left=(1, 2),
        right=(8, 11),
    )


def _write_phunu(book: _Book, entries: Sequence[_Entry]) -> None:
    counts: list[tuple[str, int]] = []
    for commune_name in NHON_TRACH:
        rows = [e for e in entries if e.commune.name == commune_name]
        counts.append((commune_name, len(rows)))
        sheet = _Sheet(book, commune_name, (5, 24, 12, 22, 15, 18, 15, 9, 12, 20), (0, 2, 7, 8))
        sheet.title(f"HỘI LHPN XÃ {commune_name.upper()}")
        sheet.title("DANH SÁCH HỘI VIÊN")
        sheet.header(
            ("TT", "Họ tên hội viên", "Năm sinh", "Địa chỉ", "CCCD/CMND", "Chi hội", "Chức danh",
             "Nòng cốt", "Sinh hoạt thường xuyên", "Ghi chú")
        )  # fmt: skip
        for number, entry in enumerate(rows, start=1):
            person = entry.person
            sheet.record(
                entry,
                (number, _name(entry, person.full_name), _birth(entry, "%d/%m/%Y"),
                 _local_address(person), _citizen_id(entry), entry.branch, entry.position,
                 _mark(entry.is_core), _mark(entry.is_regular), person.away_note),
            )  # fmt: skip
        sheet.signature(
            f"{commune_name}, ngày 10 tháng 3 năm {ROSTER_YEAR}",
            ("Người lập biểu", "CHỦ TỊCH"),
            left=(1, 1),
            right=(6, 9),
        )
    summary = _Sheet(book, "Tổng hợp", (18, 14), (1,))
    summary.title(f"TỔNG HỢP HỘI VIÊN NĂM {ROSTER_YEAR}")
    summary.skip()
    summary.header(("Xã", "Số hội viên"))
    for commune_name, count in counts:
        summary.cells((commune_name, count))
    summary.cells(("Tổng cộng", sum(count for _, count in counts)))
    book.workbook.add_worksheet("Sheet2")


def _write_nongdan(book: _Book, entries: Sequence[_Entry]) -> None:
    sheet = _Sheet(book, "Danh sách", (5, 24, 12, 12, 14, 14, 15, 18, 9, 7), (0, 2, 3, 8, 9))
    sheet.title("HỘI NÔNG DÂN VIỆT NAM")
    sheet.title("DANH SÁCH HỘI VIÊN NÒNG CỐT")
    sheet.title(f"Năm {ROSTER_YEAR}")
    header = book.formats["header"]
    top = sheet.row
    for col, label in ((0, "STT"), (1, "Họ và tên"), (6, "Chức vụ"), (7, "Chi hội"),
                       (8, "Nòng cốt"), (9, "SHTX")):  # fmt: skip
        sheet.ws.merge_range(top, col, top + 1, col, label, header)
    sheet.ws.merge_range(top, 2, top, 3, "Ngày sinh", header)
    sheet.ws.merge_range(top, 4, top, 5, "Địa chỉ", header)
    sheet.close_non_data_row()
    for col, label in ((2, "Nam"), (3, "Nữ"), (4, "Ấp/KP"), (5, "Xã/Phường")):
        sheet.ws.write_string(sheet.row, col, label, header)
    sheet.close_non_data_row()
    for number, entry in enumerate(entries, start=1):
        person = entry.person
        # Offices mix separators depending on who typed the row.
        birth = _birth(entry, book.rng.choice(("%d.%m.%Y", "%d-%m-%Y")))
        male, female = (None, birth) if person.sex == "F" else (birth, None)
        sheet.record(
            entry,
            (number, _name(entry, person.full_name), male, female, person.hamlet,
             person.commune.name, entry.position, entry.branch, _mark(entry.is_core),
             _mark(entry.is_regular)),
        )  # fmt: skip
    core = sum(entry.is_core for entry in entries)
    regular = sum(entry.is_regular for entry in entries)
    sheet.cells((None, "Tổng cộng", None, None, None, None, None, None, core, regular))
    sheet.signature(
        f"Nhơn Trạch, ngày 20 tháng 3 năm {ROSTER_YEAR}",
        ("Người lập biểu", "CHỦ TỊCH HỘI"),
        left=(1, 1),
        right=(6, 9),
    )


def _write_ccb(book: _Book, entries: Sequence[_Entry]) -> None:
    sheet = _Sheet(book, "CCB", (5, 18, 9, 12, 36, 15, 15, 18, 7, 20), (0, 8))
    sheet.title("HỘI CCB HUYỆN NHƠN TRẠCH")
    sheet.title("DANH SÁCH HỘI VIÊN NÒNG CỐT HỘI CỰU CHIẾN BINH XÃ PHƯỚC THIỀN")
    sheet.skip()
    sheet.header(
        ("STT", "Họ và tên đệm", "Tên", "Ngày tháng năm sinh", "Thường trú", "Số định danh",
         "Chức vụ", "Chi hội", "SHTX", "Ghi chú")
    )  # fmt: skip
    for number, entry in enumerate(entries, start=1):
        person = entry.person
        # Typed as a number, so Excel drops the CCCD's leading zero.
        citizen_id = _citizen_id(entry)
        sheet.record(
            entry,
            (number, _name(entry, person.family_part), _name(entry, person.given),
             _birth(entry), _address(entry), int(citizen_id) if citizen_id else None,
             entry.position, entry.branch, _mark(entry.is_regular), person.away_note),
        )  # fmt: skip
    sheet.signature(
        f"Phước Thiền, ngày 12 tháng 3 năm {ROSTER_YEAR}",
        ("NGƯỜI LẬP BIỂU", "CHỦ TỊCH"),
        left=(1, 2),
        right=(6, 9),
    )


def _write_congdoan(book: _Book, entries: Sequence[_Entry]) -> None:
    sheet = _Sheet(book, "Đoàn viên CĐ", (5, 24, 12, 8, 42, 15, 28, 12, 9, 7), (0, 3, 8, 9))
    sheet.title("LIÊN ĐOÀN LAO ĐỘNG HUYỆN NHƠN TRẠCH")
    sheet.title("CÔNG ĐOÀN CƠ SỞ CÔNG TY TNHH MAY MẶC PHƯỚC THIỀN")
    sheet.title("DANH SÁCH ĐOÀN VIÊN CÔNG ĐOÀN")
    sheet.skip()
    sheet.header(
        ("STT", "Họ tên", "Ngày tháng năm sinh", "Giới tính", "Nơi cư trú", "Số CCCD",
         "Tổ công đoàn", "Vị trí", "Nòng cốt", "SHTX")
    )  # fmt: skip
    spacer_after = len(entries) // 2
    for number, entry in enumerate(entries, start=1):
        person = entry.person
        sheet.record(
            entry,
            (number, _name(entry, person.full_name), _birth(entry), _sex(entry), _address(entry),
             _citizen_id(entry), entry.branch, entry.position, _mark(entry.is_core, "X"),
             _mark(entry.is_regular, "X")),
        )  # fmt: skip
        if number == spacer_after:
            sheet.blank_table_row()
    sheet.signature(
        f"Nhơn Trạch, ngày 18 tháng 3 năm {ROSTER_YEAR}",
        ("NGƯỜI LẬP BIỂU", "CHỦ TỊCH CÔNG ĐOÀN"),
        left=(1, 2),
        right=(6, 9),
    )


Writer = Callable[[_Book, Sequence[_Entry]], None]
WRITERS: dict[str, Writer] = {
    "doan": _write_doan,
    "phunu": _write_phunu,
    "nongdan": _write_nongdan,
    "ccb": _write_ccb,
    "congdoan": _write_congdoan,
}


# --- Ground truth ---------------------------------------------------------------


def _ground_truth(
    population: _Population, rows: list[TruthRow], non_data: list[tuple[str, str, int]]
) -> GroundTruth:
    core_orgs: dict[str, set[str]] = defaultdict(set)
    orgs_of: dict[str, set[str]] = defaultdict(set)
    listings = Counter((row.person_key, row.organization) for row in rows)
    for row in rows:
        orgs_of[row.person_key].add(row.organization)
        if row.is_core:
            core_orgs[row.person_key].add(row.organization)
    listed = [p for p in population.people if p.key in orgs_of]
    by_name: dict[str, list[str]] = defaultdict(list)
    for person in listed:
        by_name[fold(person.full_name)].append(person.key)
    namesakes = sorted(
        (a, b)
        for keys in by_name.values()
        for i, a in enumerate(keys)
        for b in keys[i + 1 :]
        if any(x != y for x in orgs_of[a] for y in orgs_of[b])
    )
    return GroundTruth(
        rows=tuple(rows),
        non_data_rows=tuple(non_data),
        cross_org_core_duplicates=tuple(sorted(k for k, v in core_orgs.items() if len(v) >= 2)),
        within_org_duplicates=tuple(sorted({key for (key, _), n in listings.items() if n >= 2})),
        namesakes=tuple(namesakes),
        people=tuple(person.truth() for person in listed),
    )


def generate_rosters(
    output_dir: Path, seed: int = 2018, *, scale: int = 1, profile: str = "example"
) -> GroundTruth:
    """Write roster workbooks into `output_dir` and return the truth.

    The "example" profile writes the five laid-out rosters; `scale` multiplies
    the ordinary members and the planted cases, and the default gives the
    committed example set (about 290 data rows). Other profiles write
    `generate_records(seed, people=PEOPLE_PER_SCALE * scale, profile=profile)`
    as simple rosters, one file per organization and district, one sheet per
    commune. Files already in `output_dir` other than the rosters are left alone.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
    if profile != "example":
        records, truth = generate_records(seed, people=PEOPLE_PER_SCALE * scale, profile=profile)
        output_dir.mkdir(parents=True, exist_ok=True)
        if "nfd" in {kind for row in truth.rows for kind in row.noise}:
            records = _with_nfd_names(records, truth)
        return replace(truth, non_data_rows=tuple(_write_profile_rosters(output_dir, records)))
    population = _build_population(random.Random(seed), scale)
    output_dir.mkdir(parents=True, exist_ok=True)
    rows: list[TruthRow] = []
    non_data: list[tuple[str, str, int]] = []
    for org, writer in WRITERS.items():
        # A generator of its own per layout, so changing one layout's presentation
        # leaves the other files unchanged.
        layout_rng = random.Random(f"{seed}/{org}")
        book = _Book(output_dir, org, partial(population.fresh_name, org), layout_rng)
        writer(book, _roster(population.entries, org))
        book.close()
        rows.extend(book.rows)
        non_data.extend(book.non_data)
    return _ground_truth(population, rows, non_data)


# --- Benchmark profiles: large populations with realistic noise -----------------
#
# `generate_records(seed, people=..., profile=...)` builds loader-shaped records
# directly (no workbook), fast enough for a million rows; `generate_rosters` with
# a profile other than "example" writes the same records as simple workbooks.
# Profiles share one population for a seed and size, so "clean", "realistic" and
# "hard" differ only in how the rows are typed:
# - clean: every row a faithful rendering (full date, full address, NFC name);
# - realistic: noise at rates plausible for Đồng Nai rosters (see NOISES);
# - hard: more of each, typos meeting year-only dates, and rosters typed in TCVN3.
#
# Population: households in the communes of old Đồng Nai (DONG_NAI), about
# PEOPLE_PER_COMMUNE listed people per commune, so that common names repeat
# by frequency alone. A household is one person, or a couple and their
# children who share the father's surname and the address; some children are
# twins (one birth date, other given names) and some sons carry the father's
# full name. Everyone has a CCCD; some born before 1980 also have an old CMND,
# which some rosters give instead. Each person belongs to one to three
# organizations they are eligible for; each listing is core or not on its own.

PROFILES = ("example", "clean", "realistic", "hard")
# Listed people per commune (a real one has 10-20,000 inhabitants).
PEOPLE_PER_COMMUNE = 5000
# generate_rosters(profile=...) lists this many people per unit of scale.
PEOPLE_PER_SCALE = 300


@dataclass(frozen=True)
class District:
    name: str
    kind: str  # "Huyện" or "Thành phố"
    commune_kind: str  # "Xã" or "Phường"
    communes: tuple[str, ...]


# Pre-July-2025 units of Đồng Nai, used as place names (populations are synthetic).
DONG_NAI = (
    District("Nhơn Trạch", "Huyện", "Xã", (
        "Phước Thiền", "Long Tân", "Hiệp Phước", "Phú Hội", "Phú Hữu", "Phú Đông", "Phú Thạnh",
        "Đại Phước", "Phước An", "Phước Khánh", "Vĩnh Thanh", "Long Thọ")),
    District("Biên Hòa", "Thành phố", "Phường", (
        "Tân Phong", "Tân Biên", "Tân Hiệp", "Hố Nai", "Trảng Dài", "Long Bình", "Tam Hiệp",
        "Quyết Thắng", "Thống Nhất", "Bửu Long")),
    District("Vĩnh Cửu", "Huyện", "Xã", (
        "Bình Lợi", "Thạnh Phú", "Tân Bình", "Thiện Tân", "Tân An", "Trị An", "Phú Lý",
        "Mã Đà", "Hiếu Liêm")),
    District("Long Thành", "Huyện", "Xã", (
        "An Phước", "Long Phước", "Tam An", "Long An", "Bình Sơn", "Bình An", "Cẩm Đường",
        "Lộc An", "Long Đức", "Phước Bình", "Phước Thái", "Tân Hiệp", "Bàu Cạn", "Suối Trầu")),
    District("Trảng Bom", "Huyện", "Xã", (
        "Bắc Sơn", "Bình Minh", "Quảng Tiến", "Sông Trầu", "Giang Điền", "An Viễn", "Đồi 61",
        "Hố Nai 3", "Tây Hòa", "Trung Hòa", "Đông Hòa", "Sông Thao", "Bàu Hàm", "Thanh Bình",
        "Cây Gáo")),
    District("Thống Nhất", "Huyện", "Xã", (
        "Gia Tân 1", "Gia Tân 2", "Gia Tân 3", "Gia Kiệm", "Quang Trung", "Bàu Hàm 2",
        "Hưng Lộc", "Lộ 25", "Xuân Thiện", "Xuân Thạnh")),
    District("Cẩm Mỹ", "Huyện", "Xã", (
        "Long Giao", "Nhân Nghĩa", "Xuân Mỹ", "Sông Nhạn", "Xuân Đường", "Thừa Đức", "Xuân Quế",
        "Sông Ray", "Lâm San", "Xuân Tây", "Xuân Đông", "Xuân Bảo")),
    District("Xuân Lộc", "Huyện", "Xã", (
        "Xuân Hiệp", "Xuân Thọ", "Xuân Bắc", "Suối Cát", "Xuân Trường", "Xuân Định", "Xuân Phú",
        "Bảo Hòa", "Lang Minh", "Xuân Tâm", "Xuân Hưng", "Xuân Hòa", "Suối Cao", "Xuân Thành")),
    District("Định Quán", "Huyện", "Xã", (
        "Phú Ngọc", "Gia Canh", "Ngọc Định", "Phú Lợi", "Phú Tân", "Phú Vinh", "La Ngà",
        "Túc Trưng", "Suối Nho", "Thanh Sơn")),
    District("Tân Phú", "Huyện", "Xã", (
        "Phú Lâm", "Phú Sơn", "Phú Thịnh", "Phú Xuân", "Phú Bình", "Phú Trung", "Trà Cổ",
        "Nam Cát Tiên", "Tà Lài", "Phú Lập", "Đắk Lua")),
    District("Long Khánh", "Thành phố", "Phường", (
        "Xuân An", "Xuân Bình", "Xuân Trung", "Xuân Thanh", "Phú Bình", "Bảo Vinh", "Suối Tre",
        "Xuân Lập", "Bàu Sen", "Xuân Tân")),
)  # fmt: skip
# The July 2025 merger comes from the official units (pipeline.admin_units:
# "Phước Thiền" and "Long Tân" became "Xã Nhơn Trạch", "Tân Phong" and "Bình
# Lợi" "Phường Tân Triều"…). A commune it does not know (the synthetic names,
# or no dataset) is merged synthetically: each run of REFORM_GROUP communes of
# a district takes its first one's name.
REFORM_GROUP = 3
NAMED_HAMLETS = (
    "Ấp Bến Cam", "Ấp Chợ", "Ấp Bàu Bông", "Ấp Thành Công", "Ấp Phước Hòa", "Ấp Phước Lý",
    "Ấp Xóm Gò", "Ấp Bến Đò", "Ấp Cây Dầu", "Ấp Đồng Tâm", "Ấp Tân Thủy", "Ấp Quý Thạnh",
)  # fmt: skip
NAMED_HAMLET_SHARE = 0.25
HAMLETS_PER_COMMUNE = (5, 12)
# When a run needs more communes than DONG_NAI lists, further ones are named
# from these syllables (synthetic, but shaped like the real names).
_SYNTHETIC_SYLLABLES = (
    "An", "Bình", "Phước", "Long", "Tân", "Hòa", "Xuân", "Phú", "Thạnh", "Hưng", "Lộc", "Thọ",
    "Vĩnh", "Hiệp", "Gia", "Trung", "Đông", "Tây", "Nam", "Bắc", "Thuận", "Lợi",
)  # fmt: skip

# Catholics (households) write a baptismal name in front on some rosters.
CATHOLIC_SHARE = 0.2
MALE_BAPTISMAL = ("Giuse", "Phêrô", "Gioan", "Phaolô", "Antôn", "Đaminh", "Micae", "Vincentê")
FEMALE_BAPTISMAL = ("Maria", "Anna", "Têrêsa", "Catarina", "Rosa", "Anê", "Martha", "Lucia")
# Household kinds and sizes: a single person, or a couple and 0-3 listed children.
SINGLE_SHARE = 0.35
CHILDREN_WEIGHTS = (0.35, 0.3, 0.25, 0.1)
TWIN_SHARE = 0.1  # of second children: born on the first child's day
JUNIOR_SHARE = 0.03  # of couples with a son: he gets his father's full name
CMND_HOLDER_SHARE = 0.4  # of people born before CMND_HOLDER_BEFORE
CMND_HOLDER_BEFORE = 1980
VETERAN_SHARE = 0.25  # of men born 1948-1992 (may join CCB)
EMPLOYEE_SHARE = 0.45  # of people born 1966-2007 (may join Công đoàn)
# Memberships per person (1, 2, 3), capped by the organizations they may join.
MEMBERSHIP_WEIGHTS = (0.68, 0.25, 0.07)
MEMBERSHIP_ATTRACTION = {"doan": 6.0, "phunu": 4.0, "nongdan": 1.0, "ccb": 3.0, "congdoan": 2.0}
# CCB keeps a core-only roster (no "Nòng cốt" column): every listing is core.
CORE_SHARE = {"doan": 0.45, "phunu": 0.4, "nongdan": 0.35, "ccb": 1.0, "congdoan": 0.35}
WITHIN_ORG_REPEAT_SHARE = 0.01  # listings written twice by one organization
# Roster file name prefixes; one file per organization and district.
FILE_PREFIX = {
    "doan": "doan_thanh_nien",
    "phunu": "hoi_lhpn",
    "nongdan": "hoi_nong_dan",
    "ccb": "hoi_ccb",
    "congdoan": "cong_doan",
}
# Listed people are born in these years (aged 16 to 85 in the roster year);
# each has at least one organization to join.
BIRTH_YEARS = (1940, 2009)
_JANUARY_FIRST = {
    year: date(year, 1, 1).toordinal() for year in range(BIRTH_YEARS[0] - 2, BIRTH_YEARS[1] + 1)
}
# Birth years each organization accepts, for these larger populations.
ELIGIBLE_YEARS = {
    "doan": (1995, 2009),
    "phunu": (1940, 2007),
    "nongdan": (1940, 2000),
    "ccb": (1940, 1992),
    "congdoan": (1966, 2007),
}
FIRST_DATA_ROW = 4  # title, blank, header, then data (generate_rosters' layout)

# More given names than the example set, most common first; a name's weight
# falls with its rank, so Lan, Hương, Hùng, Dũng repeat often.
FEMALE_GIVEN_BENCH = (
    *FEMALE_GIVEN,
    "Hạnh", "Diệu", "Châu", "Ngân", "Tiên", "Kiều", "Hậu", "Thoa", "Thanh", "Bích", "Uyên",
    "Vy", "Trâm", "Nhàn", "Tuyền", "Sương", "Lệ", "Duyên", "Nguyệt", "Quỳnh", "Khuê", "Hoà",
)  # fmt: skip
MALE_GIVEN_BENCH = (
    *MALE_GIVEN,
    "Quý", "Sỹ", "Thủy", "Khoa", "Hoàng", "Nhân", "Trí", "Đức", "Thông", "Hoà", "Kỳ", "Vĩnh",
    "Sang", "Toàn", "Dương", "Hoan", "Chiến", "Công", "Danh", "Hải", "Luân", "Phước",
)  # fmt: skip
GIVEN_RANK_EXPONENT = 0.6


@dataclass(frozen=True)
class Noise:
    """How often each departure from a clean rendering happens: shares of rows,
    unless the field says otherwise. The tags they leave on TruthRow.noise are
    NOISE_KINDS."""

    baptismal: float = 0.0  # of a Catholic's rows: baptismal name in front
    no_diacritics: float = 0.0
    upper: float = 0.0
    nfd: float = 0.0  # decomposed Unicode (the reader normalizes it back)
    old_tone: float = 0.0  # "Hoà", "Thuỷ", where the name allows it
    i_y: float = 0.0  # "Quí" for "Quý", "Mĩ" for "Mỹ"…, where the name allows it
    no_middle: float = 0.0
    name_typo: float = 0.0  # one letter changed, added or dropped
    typo_on_year_only: float = 0.0  # extra typo chance on a year-only row
    year_only: float = 0.0  # in Phụ nữ and Nông dân rosters, a quarter of it elsewhere
    day_month_swap: float = 0.0
    day_typo: float = 0.0  # one digit of the day mistyped
    short_address: float = 0.0  # "ấp 3, X. Phước Thiền, H. Nhơn Trạch"
    moved: float = 0.0  # of people listed twice or more: a later listing in another hamlet
    id_shown: float = 0.5  # of rows whose roster has an ID column
    id_lost_zero: float = 0.0  # typed as a number, losing a leading zero
    ccb_numeric_ids: bool = False  # CCB stores every ID as a number (as in the examples)
    id_typo: float = 0.0
    cmnd: float = 0.0  # of a CMND holder's rows showing an ID: the old CMND
    new_commune: float = 0.0  # of branch lists: post-2025 commune names, no district
    tcvn3: float = 0.0  # of branch lists: typed in TCVN3 (needs pipeline.legacy)


NOISES = {
    "clean": Noise(),
    "realistic": Noise(
        baptismal=0.5, no_diacritics=0.04, upper=0.05, nfd=0.05, old_tone=0.3, i_y=0.15,
        no_middle=0.02, name_typo=0.015, year_only=0.15, day_month_swap=0.01, day_typo=0.01,
        short_address=0.25, moved=0.03, id_lost_zero=0.05, ccb_numeric_ids=True, id_typo=0.005,
        cmnd=0.3, new_commune=0.1,
    ),
    "hard": Noise(
        baptismal=0.7, no_diacritics=0.1, upper=0.1, nfd=0.1, old_tone=0.5, i_y=0.3,
        no_middle=0.05, name_typo=0.04, typo_on_year_only=0.1, year_only=0.35,
        day_month_swap=0.03, day_typo=0.03, short_address=0.4, moved=0.1, id_shown=0.4,
        id_lost_zero=0.1, ccb_numeric_ids=True, id_typo=0.015, cmnd=0.5, new_commune=0.25,
        tcvn3=0.1,
    ),
}  # fmt: skip
NOISE_KINDS = (
    "baptismal", "no_diacritics", "upper", "nfd", "old_tone", "i_y", "no_middle", "name_typo",
    "year_only", "day_month_swap", "day_typo", "short_address", "moved", "id_lost_zero",
    "id_typo", "cmnd", "new_commune", "tcvn3",
)  # fmt: skip
# Where pipeline/legacy.py (written separately) provides `from_unicode(text,
# encoding)`; without it the "tcvn3" noise is not applied.
LEGACY_MODULE = "pipeline.legacy"


# Compared and hashed by identity: each place exists once, and hashing its
# fields (a district's commune list) would dominate the roster lookups.
@dataclass(frozen=True, eq=False)
class _Place:
    district: District
    commune: str
    new_commune: str  # after the July 2025 merger
    new_kind: str  # "Xã", "Phường" or "" when the name says it ("Phường 3")
    hamlets: tuple[str, ...]


@dataclass(slots=True)
class _Member:
    """A listed person while the population is drawn (mutable: households are
    filled in several passes)."""

    key: str
    surname: str
    middles: tuple[str, ...]
    given: str
    sex: str
    birth: date
    place: _Place
    hamlet: str
    group: int | None
    household: str
    baptismal: str | None
    citizen_id: str
    cmnd: str | None
    phone: str | None
    away_note: str | None

    @property
    def full_name(self) -> str:
        return " ".join((self.surname, *self.middles, self.given))

    def truth(self) -> TruthPerson:
        return TruthPerson(
            person_key=self.key,
            full_name=self.full_name,
            sex=self.sex,
            birth_date=self.birth,
            hamlet=self.hamlet,
            commune=f"{self.place.district.commune_kind} {self.place.commune}",
            district=f"{self.place.district.kind} {self.place.district.name}",
            citizen_id=self.citizen_id,
            phone=self.phone,
            away=self.away_note is not None,
            household=self.household,
        )


class _Draw:
    """Weighted draws by bisection on cumulative weights: random.choices would
    rebuild them on every call, which dominates at a million rows."""

    def __init__(self, rng: random.Random, table: Sequence[tuple[str, float]]) -> None:
        self.rng = rng
        self.items = [item for item, _ in table]
        total = 0.0
        self.cumulative: list[float] = []
        for _, weight in table:
            total += weight
            self.cumulative.append(total)

    def __call__(self) -> str:
        point = self.rng.random() * self.cumulative[-1]
        return self.items[bisect_right(self.cumulative, point)]


def _pick(rng: random.Random, weights: Sequence[float]) -> int:
    """Index drawn with the given weights (random.choices is slow for one draw)."""
    point = rng.random() * sum(weights)
    for index, weight in enumerate(weights):
        point -= weight
        if point < 0:
            return index
    return len(weights) - 1


def _ranked(names: Sequence[str]) -> tuple[tuple[str, float], ...]:
    unique = list(dict.fromkeys(names))
    return tuple(
        (name, 1.0 / (rank + 1) ** GIVEN_RANK_EXPONENT) for rank, name in enumerate(unique)
    )


def _places(count: int, rng: random.Random) -> list[_Place]:
    """`count` communes, taken from the districts in turn so a small run still
    spans several districts, with their hamlets and post-2025 names."""
    names: list[tuple[District, str]] = []
    longest = max(len(d.communes) for d in DONG_NAI)
    for index in range(longest):
        names.extend((d, d.communes[index]) for d in DONG_NAI if index < len(d.communes))
    taken = {fold(name) for _, name in names}
    synthetic = (
        f"{first} {second}"
        for first in _SYNTHETIC_SYLLABLES
        for second in _SYNTHETIC_SYLLABLES
        if first != second and fold(f"{first} {second}") not in taken
    )
    while len(names) < count:
        names.append((DONG_NAI[len(names) % len(DONG_NAI)], next(synthetic)))
    names = names[:count]
    used_in: dict[str, list[str]] = defaultdict(list)
    for district, commune in names:
        used_in[district.name].append(commune)
    try:
        units: AdminUnits | None = AdminUnits.for_province("Đồng Nai")
    except AdminUnitsError:
        units = None
    places = []
    for district, commune in names:
        placement = units.place(commune, district.name) if units else None
        if placement is not None and placement.new_commune:
            new_name = short_name(placement.new_commune)
            new_kind = placement.new_commune.removesuffix(new_name).strip()
        else:
            siblings = used_in[district.name]
            new_name = siblings[siblings.index(commune) // REFORM_GROUP * REFORM_GROUP]
            new_kind = district.commune_kind
        word = "Khu phố" if district.commune_kind == "Phường" else "Ấp"
        hamlets = []
        for number in range(1, rng.randint(*HAMLETS_PER_COMMUNE) + 1):
            named = word == "Ấp" and rng.random() < NAMED_HAMLET_SHARE
            hamlets.append(rng.choice(NAMED_HAMLETS) if named else f"{word} {number}")
        places.append(
            _Place(
                district=district,
                commune=commune,
                new_commune=new_name,
                new_kind=new_kind,
                hamlets=tuple(dict.fromkeys(hamlets)),
            )
        )
    return places


class _Households:
    """Draws the listed people household by household."""

    def __init__(self, rng: random.Random, places: Sequence[_Place]) -> None:
        self.rng = rng
        self.places = places
        self.members: list[_Member] = []
        self.twins: list[tuple[str, str]] = []
        self.surname = _Draw(rng, SURNAMES)
        self.middles = {
            (sex, modern): _Draw(rng, _middle_table(sex, modern))
            for sex in "MF"
            for modern in (False, True)
        }
        self.given = {
            "F": _Draw(rng, _ranked(FEMALE_GIVEN_BENCH)),
            "M": _Draw(rng, _ranked(MALE_GIVEN_BENCH)),
        }
        self._ids: set[str] = set()
        self._households = 0

    def draw(self, people: int) -> None:
        while len(self.members) < people:
            self._household(people - len(self.members))

    def _household(self, room: int) -> None:
        rng = self.rng
        self._households += 1
        household = f"H{self._households:07d}"
        place = self.places[int(rng.random() * len(self.places))]
        hamlet = place.hamlets[int(rng.random() * len(place.hamlets))]
        group = 1 + int(rng.random() * 15) if rng.random() < GROUP_SHARE else None
        catholic = rng.random() < CATHOLIC_SHARE
        address = (place, hamlet, group, household, catholic)
        if room == 1 or rng.random() < SINGLE_SHARE:
            sex = "F" if rng.random() < 0.55 else "M"
            self._add(address, sex, self.surname(), round(rng.triangular(*BIRTH_YEARS, 1990)))
            return
        father_year = round(rng.triangular(BIRTH_YEARS[0], 1985, 1965))
        father = self._add(address, "M", self.surname(), father_year)
        mother_year = min(max(father_year - 2 + int(rng.random() * 9), BIRTH_YEARS[0]), 2007)
        self._add(address, "F", self.surname(), mother_year)
        children = _pick(rng, CHILDREN_WEIGHTS)
        born: list[_Member] = []
        for _ in range(min(children, room - 2)):
            year = father_year + 22 + int(rng.random() * 17)
            if year > BIRTH_YEARS[1]:
                continue
            sex = "F" if rng.random() < 0.5 else "M"
            if len(born) == 1 and rng.random() < TWIN_SHARE:
                twin = self._add(
                    address, sex, father.surname, 0, birth=born[0].birth, avoid=born[0].given
                )
                self.twins.append((born[0].key, twin.key))
            else:
                child = self._add(address, sex, father.surname, year)
                born.append(child)
                if sex == "M" and rng.random() < JUNIOR_SHARE:
                    child.middles, child.given = father.middles, father.given

    def _add(
        self,
        address: tuple[_Place, str, int | None, str, bool],
        sex: str,
        surname: str,
        year: int,
        birth: date | None = None,
        avoid: str = "",  # a twin's given name: never the sibling's
    ) -> _Member:
        rng = self.rng
        place, hamlet, group, household, catholic = address
        if birth is None:
            birth = date.fromordinal(_JANUARY_FIRST[year] + int(rng.random() * 365))
        middles = [self.middles[(sex, birth.year >= _FASHION_YEAR)]()]
        seconds = FEMALE_SECOND_MIDDLES if sex == "F" else MALE_SECOND_MIDDLES
        if rng.random() < _TWO_MIDDLES_SHARE:
            second = seconds[int(rng.random() * len(seconds))]
            if second != middles[0]:
                middles.append(second)
        given = self.given[sex]()
        while given in middles or given == avoid:
            given = self.given[sex]()
        baptismal = None
        if catholic:
            names = FEMALE_BAPTISMAL if sex == "F" else MALE_BAPTISMAL
            baptismal = names[int(rng.random() * len(names))]
        cmnd = phone = away_note = None
        if birth.year < CMND_HOLDER_BEFORE and rng.random() < CMND_HOLDER_SHARE:
            cmnd = f"27{int(rng.random() * 10**7):07d}"
        if rng.random() < PHONE_SHARE:
            prefix = PHONE_PREFIXES[int(rng.random() * len(PHONE_PREFIXES))]
            phone = f"{prefix}{int(rng.random() * 10**7):07d}"
        if rng.random() < AWAY_SHARE:
            away_note = AWAY_NOTES[int(rng.random() * len(AWAY_NOTES))]
        # Positional: a million keyword constructions cost seconds.
        member = _Member(
            f"P{len(self.members) + 1:07d}", surname, tuple(middles), given, sex, birth, place,
            hamlet, group, household, baptismal, self._cccd(sex, birth), cmnd, phone, away_note,
        )  # fmt: skip
        self.members.append(member)
        return member

    def _cccd(self, sex: str, birth: date) -> str:
        rng = self.rng
        province = HOME_PROVINCE
        if rng.random() < OTHER_PROVINCE_SHARE:
            province = OTHER_PROVINCES[int(rng.random() * len(OTHER_PROVINCES))]
        century_sex = (0 if birth.year < 2000 else 2) + (1 if sex == "F" else 0)
        while True:
            number = f"{province}{century_sex}{birth.year % 100:02d}{int(rng.random() * 10**6):06d}"
            if number not in self._ids:
                self._ids.add(number)
                return number


def _middle_table(sex: str, modern: bool) -> tuple[tuple[str, float], ...]:
    table: Sequence[tuple[str, float]] = FEMALE_MIDDLES if sex == "F" else MALE_MIDDLES
    if modern:
        return tuple((m, w / 3 if m in _OLD_FASHIONED_MIDDLES else w) for m, w in table)
    return tuple(table)


@dataclass(frozen=True, slots=True)
class _Listing:
    member: _Member
    org: str
    is_core: bool
    is_regular: bool
    later: bool  # not the person's first listing (a move shows on such a one)


@cache
def _eligible(sex: str, year: int, veteran: bool, employee: bool) -> tuple[str, ...]:
    orgs = []
    for org, (low, high) in ELIGIBLE_YEARS.items():
        if not low <= year <= high:
            continue
        if (org == "phunu" and sex != "F") or (org == "ccb" and not veteran):
            continue
        if org == "congdoan" and not employee:
            continue
        orgs.append(org)
    return tuple(orgs)


def _listings(members: Sequence[_Member], rng: random.Random) -> list[_Listing]:
    listings = []
    for member in members:
        veteran = member.sex == "M" and rng.random() < VETERAN_SHARE
        employee = rng.random() < EMPLOYEE_SHARE
        orgs = list(_eligible(member.sex, member.birth.year, veteran, employee))
        wanted = 1 + _pick(rng, MEMBERSHIP_WEIGHTS)
        chosen: list[str] = []
        while orgs and len(chosen) < wanted:
            org = orgs.pop(_pick(rng, [MEMBERSHIP_ATTRACTION[o] for o in orgs]))
            chosen.append(org)
        if rng.random() < WITHIN_ORG_REPEAT_SHARE:
            chosen.append(chosen[0])
        for number, org in enumerate(chosen):
            core = rng.random() < CORE_SHARE[org]
            regular = member.away_note is None and rng.random() < (
                REGULAR_SHARE_CORE if core else REGULAR_SHARE_OTHER
            )
            listings.append(_Listing(member, org, core, regular, number > 0))
    return listings


# --- Rendering a listing as typed, with noise ------------------------------------

_TONE_MARKS = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")


def _tone_pairs() -> dict[str, str]:
    """New-style <-> old-style tone placement at the end of a syllable: "òa" <->
    "oà", "úy" <-> "uý" (both in lower and title case)."""
    pairs: dict[str, str] = {}
    for first, second in (("o", "a"), ("o", "e"), ("u", "y")):
        for mark in _TONE_MARKS:
            new = unicodedata.normalize("NFC", first + mark) + second
            old = first + unicodedata.normalize("NFC", second + mark)
            for a, b in ((new, old), (new.capitalize(), old.capitalize())):
                pairs[a], pairs[b] = b, a
    return pairs


_TONE_SWAP = _tone_pairs()
# Not after "q": in "Quý" the "u" belongs to the consonant and the mark stays put.
_TONE_ENDING = re.compile(r"(?<![qQ])(" + "|".join(_TONE_SWAP) + r")\b")
# Spellings that differ by i/y only; "uy" and "ay" never change.
_I_Y = {"Quý": "Quí", "Mỹ": "Mĩ", "Lý": "Lí", "Kỳ": "Kì", "Sỹ": "Sĩ"}
_I_Y_SWAP = {**_I_Y, **{b: a for a, b in _I_Y.items()}}
_TYPO_LETTERS = "abcdeghiklmnopqrstuvxy"
# Abbreviations of unit words in a hurried address.
_SHORT_UNITS = {"Xã": "X.", "Phường": "P.", "Huyện": "H.", "Thành phố": "TP."}
# Fields every profile row fills, per organization, in roster column order.
ROSTER_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "doan": (
        ("STT", "row_number"), ("Họ và tên", "full_name"), ("Ngày sinh", "birth_date"),
        ("Giới tính", "sex"), ("Chỗ ở hiện nay", "address"), ("Số CCCD", "citizen_id"),
        ("Số điện thoại", "phone"), ("Chi đoàn", "branch"), ("Chức vụ", "position"),
        ("Nòng cốt", "core"), ("SHTX", "regular"), ("Ghi chú", "note"),
    ),
    "phunu": (
        ("TT", "row_number"), ("Họ tên hội viên", "full_name"), ("Năm sinh", "birth_date"),
        ("Địa chỉ", "address"), ("CCCD/CMND", "citizen_id"), ("Chi hội", "branch"),
        ("Chức danh", "position"), ("Nòng cốt", "core"), ("Sinh hoạt thường xuyên", "regular"),
        ("Ghi chú", "note"),
    ),
    "nongdan": (
        ("STT", "row_number"), ("Họ và tên", "full_name"), ("Ngày sinh", "birth_date"),
        ("Giới tính", "sex"), ("Ấp/KP", "hamlet"), ("Xã/Phường", "commune"),
        ("Chức vụ", "position"), ("Chi hội", "branch"), ("Nòng cốt", "core"),
        ("SHTX", "regular"),
    ),
    # A core-only roster: no "Nòng cốt" column.
    "ccb": (
        ("STT", "row_number"), ("Họ và tên", "full_name"),
        ("Ngày tháng năm sinh", "birth_date"), ("Thường trú", "address"),
        ("Số định danh", "citizen_id"), ("Chức vụ", "position"), ("Chi hội", "branch"),
        ("SHTX", "regular"), ("Ghi chú", "note"),
    ),
    "congdoan": (
        ("STT", "row_number"), ("Họ tên", "full_name"), ("Ngày tháng năm sinh", "birth_date"),
        ("Giới tính", "sex"), ("Nơi cư trú", "address"), ("Số CCCD", "citizen_id"),
        ("Tổ công đoàn", "branch"), ("Vị trí", "position"), ("Nòng cốt", "core"),
        ("SHTX", "regular"),
    ),
}  # fmt: skip
_ROSTER_FIELDS = {
    org: frozenset(field for _, field in layout) for org, layout in ROSTER_COLUMNS.items()
}
_CORE_POSITIONS = (("leader", 0.15), ("deputy", 0.15), ("officer", 0.3), ("member", 0.4))


def legacy_encoder() -> Callable[[str, str], str] | None:
    """`from_unicode(text, encoding)` of pipeline/legacy.py, or None while that
    module does not exist (the "tcvn3" noise is then not applied)."""
    try:
        module = importlib.import_module(LEGACY_MODULE)
    except ModuleNotFoundError:
        return None
    encoder: Callable[[str, str], str] = module.from_unicode
    return encoder


@dataclass(frozen=True)
class _Roster:
    """How one branch typed its list (a branch per hamlet; the union's members
    by where they live): its rows go to the sheet of the commune as the branch
    names it, in the organization's file for the district."""

    source_file: str
    sheet: str
    new_names: bool  # written after the July 2025 merger
    tcvn3: bool


class _Renderer:
    def __init__(self, noise: Noise, rng: random.Random) -> None:
        self.noise = noise
        self.rng = rng
        self.encode = legacy_encoder() if noise.tcvn3 else None
        self.rosters: dict[tuple[str, _Place, str], _Roster] = {}

    def roster(self, org: str, place: _Place, hamlet: str) -> _Roster:
        key = (org, place, hamlet)
        if key not in self.rosters:
            rng, noise = self.rng, self.noise
            new_names = rng.random() < noise.new_commune
            tcvn3 = self.encode is not None and rng.random() < noise.tcvn3
            district = fold(place.district.name).replace(" ", "_")
            self.rosters[key] = _Roster(
                source_file=f"{FILE_PREFIX[org]}_{district}.xlsx",
                sheet=place.new_commune if new_names else place.commune,
                new_names=new_names,
                tcvn3=tcvn3,
            )
        return self.rosters[key]

    def name(self, member: _Member, year_only: bool, tags: list[str]) -> str:
        rng, noise = self.rng, self.noise
        words = [member.surname, *member.middles, member.given]
        if member.middles and rng.random() < noise.no_middle:
            words = [member.surname, member.given]
            tags.append("no_middle")
        typo_chance = noise.name_typo + (noise.typo_on_year_only if year_only else 0.0)
        if rng.random() < typo_chance:
            position = rng.randrange(len(words))
            words[position] = self._typo(words[position])
            tags.append("name_typo")
        if member.baptismal and rng.random() < noise.baptismal:
            words.insert(0, member.baptismal)
            tags.append("baptismal")
        if rng.random() < noise.i_y:
            swapped = [_I_Y_SWAP.get(word, word) for word in words]
            if swapped != words:
                words = swapped
                tags.append("i_y")
        text = " ".join(words)
        if rng.random() < noise.old_tone:
            toned = _TONE_ENDING.sub(lambda m: _TONE_SWAP[m.group(1)], text)
            if toned != text:
                text = toned
                tags.append("old_tone")
        script = rng.random()
        if script < noise.upper:
            text = text.upper()
            tags.append("upper")
        elif script < noise.upper + noise.no_diacritics:
            text = strip_marks(text)
            tags.append("no_diacritics")
        elif script < noise.upper + noise.no_diacritics + noise.nfd:
            decomposed = unicodedata.normalize("NFD", text)
            if decomposed != text:
                text = decomposed
                tags.append("nfd")
        return text

    def _typo(self, word: str) -> str:
        rng = self.rng
        at = rng.randrange(len(word))
        letter = _TYPO_LETTERS[rng.randrange(len(_TYPO_LETTERS))]
        letter = letter.upper() if word[at].isupper() else letter
        operation = rng.randrange(3)
        if operation == 0 and len(word) > 2:
            return word[:at] + word[at + 1 :]
        if operation == 1:
            return word[: at + 1] + word[at:]  # a doubled letter: "Lann"
        changed = word[:at] + letter + word[at + 1 :]
        return changed if changed != word else word + letter

    def birth(self, member: _Member, org: str, tags: list[str]) -> Cell:
        """The birth date as the organization types it: an Excel date, or text."""
        rng, noise = self.rng, self.noise
        year_only_share = noise.year_only if org in ("phunu", "nongdan") else noise.year_only / 4
        if rng.random() < year_only_share:
            tags.append("year_only")
            return member.birth.year
        birth = member.birth
        if rng.random() < noise.day_month_swap and birth.day <= 12 and birth.day != birth.month:
            birth = date(birth.year, birth.day, birth.month)
            tags.append("day_month_swap")
        elif rng.random() < noise.day_typo:
            birth = birth.replace(day=self._mistyped_day(birth))
            tags.append("day_typo")
        if org == "phunu":
            return f"{birth.day:02d}/{birth.month:02d}/{birth.year}"
        if org == "nongdan":
            separator = "." if rng.random() < 0.5 else "-"
            return f"{birth.day:02d}{separator}{birth.month:02d}{separator}{birth.year}"
        return birth

    def _mistyped_day(self, birth: date) -> int:
        typed = f"{birth.day:02d}"
        last = calendar.monthrange(birth.year, birth.month)[1]
        options = [
            day
            for day in range(1, last + 1)
            if sum(a != b for a, b in zip(f"{day:02d}", typed, strict=True)) == 1
        ]
        return options[self.rng.randrange(len(options))]

    def address(self, listing: _Listing, roster: _Roster, tags: list[str]) -> dict[str, str | None]:
        """The address fields the organization's roster has."""
        rng, noise = self.rng, self.noise
        member, org = listing.member, listing.org
        place, district = member.place, member.place.district
        hamlet = member.hamlet
        if listing.later and rng.random() < noise.moved and len(place.hamlets) > 1:
            hamlet = rng.choice([h for h in place.hamlets if h != member.hamlet])
            tags.append("moved")
        short = rng.random() < noise.short_address
        local_hamlet = hamlet
        inner = hamlet[0].lower() + hamlet[1:]  # "Tổ 5, ấp 3"
        if short and hamlet.startswith("Khu phố "):
            local_hamlet = inner = "KP " + hamlet.removeprefix("Khu phố ")
        elif short:
            local_hamlet = inner
        local = local_hamlet if member.group is None else f"Tổ {member.group}, {inner}"
        commune = place.new_commune if roster.new_names else place.commune
        if roster.new_names and (commune != place.commune or org not in ("phunu", "nongdan")):
            tags.append("new_commune")
        if org == "phunu":
            if short and local_hamlet != hamlet:
                tags.append("short_address")
            return {"address": local}
        if org == "nongdan":
            if short and local_hamlet != hamlet:
                tags.append("short_address")
            return {"hamlet": local_hamlet, "commune": commune}
        commune_kind = place.new_kind if roster.new_names else district.commune_kind
        district_kind = district.kind
        if short:
            tags.append("short_address")
            text = f"{local}, {_SHORT_UNITS.get(commune_kind, '')} {commune}".replace("  ", " ")
            if not roster.new_names:
                text += f", {_SHORT_UNITS[district_kind]} {district.name}"
            return {"address": text}
        if roster.new_names:
            unit = f"{commune_kind.lower()} {commune}".strip()
            return {"address": f"{local}, {unit}, tỉnh Đồng Nai"}
        if org == "doan":
            text = f"{local}, {commune_kind.lower()} {commune}, "
            text += f"{district_kind.lower()} {district.name}"
        elif org == "ccb":
            text = f"{local}, {commune}, {district.name}, Đồng Nai"
        else:
            text = (
                f"{local}, {commune_kind} {commune}, {district_kind} {district.name}, Tỉnh Đồng Nai"
            )
        return {"address": text}

    def citizen_id(self, member: _Member, org: str, tags: list[str]) -> str | int | None:
        rng, noise = self.rng, self.noise
        if rng.random() >= noise.id_shown:
            return None
        number = member.citizen_id
        if member.cmnd and rng.random() < noise.cmnd:
            number = member.cmnd
            tags.append("cmnd")
        if rng.random() < noise.id_typo:
            at = rng.randrange(3, len(number))  # the province code is rarely mistyped
            digit = str((int(number[at]) + rng.randint(1, 9)) % 10)
            number = number[:at] + digit + number[at + 1 :]
            tags.append("id_typo")
        if (org == "ccb" and noise.ccb_numeric_ids) or rng.random() < noise.id_lost_zero:
            if number.startswith("0"):
                tags.append("id_lost_zero")
            return int(number)
        return number

    def position(self, org: str, core: bool) -> str:
        rule = ORG_RULES[org]
        if not core:
            return rule.member
        point, total = self.rng.random(), 0.0
        for role, share in _CORE_POSITIONS:
            total += share
            if point < total:
                return str(getattr(rule, role))
        return rule.member

    def branch(self, org: str, hamlet: str) -> str:
        prefix = ORG_RULES[org].branch_prefix
        return (
            f"{prefix} {hamlet}"
            if prefix
            else UNION_TEAMS[int(self.rng.random() * len(UNION_TEAMS))]
        )

    def row(self, listing: _Listing, roster: _Roster) -> tuple[dict[str, object], list[str]]:
        """The raw fields of one listing as typed, and the noise tags it got."""
        member, org = listing.member, listing.org
        tags: list[str] = []
        birth = self.birth(member, org, tags)
        fields: dict[str, object] = {
            "full_name": self.name(member, isinstance(birth, int), tags),
            "birth_date": birth,
            **self.address(listing, roster, tags),
            "position": self.position(org, listing.is_core),
            "branch": self.branch(org, member.hamlet),
            "core": ("X" if org == "congdoan" else "x") if listing.is_core else None,
            "regular": ("X" if org == "congdoan" else "x") if listing.is_regular else None,
        }
        columns = _ROSTER_FIELDS[org]
        if "sex" in columns:
            fields["sex"] = "Nữ" if member.sex == "F" else "Nam"
        if "citizen_id" in columns:
            fields["citizen_id"] = self.citizen_id(member, org, tags)
        if "phone" in columns:
            fields["phone"] = member.phone
        if "note" in columns:
            fields["note"] = member.away_note
        if "core" not in columns:
            fields["core"] = None
        if roster.tcvn3 and self.encode is not None:
            encode = self.encode
            for field, value in fields.items():
                if isinstance(value, str):
                    fields[field] = encode(value, "tcvn3")
            tags.append("tcvn3")
        return fields, tags


# --- Records and rosters of a profile --------------------------------------------


def _noise(profile: str) -> Noise:
    if profile not in NOISES:
        choices = ", ".join(NOISES)
        raise ValueError(f"profile must be one of {choices} here, got {profile!r}")
    return NOISES[profile]


def generate_records(
    seed: int = 2018, *, people: int, profile: str = "realistic"
) -> tuple[pd.DataFrame, GroundTruth]:
    """Loader-shaped records of `people` synthetic people, and the truth.

    The frame has exactly the columns `load` returns (PROVENANCE_COLUMNS,
    RAW_FIELDS, LOAD_COLUMNS; dtype object), one row per listing (about 1.4 per
    person), with synthetic provenance: one file per organization and district,
    one sheet per commune, data from row FIRST_DATA_ROW. Text is as the reader
    delivers it (NFC), so "nfd" noise shows only in written workbooks. The truth
    names the person behind every row and the noise each row carries.
    """
    if people < 1:
        raise ValueError(f"people must be at least 1, got {people}")
    noise = _noise(profile)
    # The population has a generator of its own, so every profile of one seed
    # and size lists the same people in the same organizations.
    population_rng = random.Random(f"{seed}/people")
    places = _places(max(2, -(-people // PEOPLE_PER_COMMUNE)), population_rng)
    households = _Households(population_rng, places)
    households.draw(people)
    listings = _listings(households.members, population_rng)

    renderer = _Renderer(noise, random.Random(f"{seed}/{profile}"))
    by_sheet: dict[tuple[str, str], list[tuple[_Listing, _Roster]]] = defaultdict(list)
    for listing in listings:
        member = listing.member
        roster = renderer.roster(listing.org, member.place, member.hamlet)
        by_sheet[(roster.source_file, roster.sheet)].append((listing, roster))

    # Whole rows as tuples: pandas turns a list of tuples into its object block
    # in one pass, where a dict of column lists would be copied twice.
    rows: list[tuple[object, ...]] = []
    truth_rows: list[TruthRow] = []
    for (source_file, sheet), entries in sorted(by_sheet.items()):
        prefix = f"{source_file}|{sheet}|"
        for number, (listing, roster) in enumerate(entries, start=FIRST_DATA_ROW):
            fields, tags = renderer.row(listing, roster)
            if "nfd" in tags:  # the reader normalizes every string to NFC
                fields["full_name"] = unicodedata.normalize("NFC", str(fields["full_name"]))
            org = listing.org
            rows.append(
                (f"{prefix}{number}", source_file, sheet, number, org,
                 *map(fields.get, RAW_FIELDS), (), org != "ccb", "", None)
            )  # fmt: skip
            truth_rows.append(
                TruthRow(
                    source_file, sheet, number, org, listing.member.key,
                    listing.is_core, listing.is_regular, tuple(tags),
                )
            )  # fmt: skip
    columns = [*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS]
    records = pd.DataFrame(rows, columns=columns, dtype=object)
    del rows
    return records, _profile_truth(households, truth_rows)


def _with_nfd_names(records: pd.DataFrame, truth: GroundTruth) -> pd.DataFrame:
    """The records with the names of "nfd" rows decomposed again, as typed."""
    names = [
        unicodedata.normalize("NFD", name) if "nfd" in row.noise else name
        for name, row in zip(records["full_name"], truth.rows, strict=True)
    ]
    return records.assign(full_name=pd.Series(names, index=records.index, dtype=object))


def _profile_truth(households: _Households, rows: list[TruthRow]) -> GroundTruth:
    listings = pd.DataFrame(
        {
            "person": [row.person_key for row in rows],
            "org": [row.organization for row in rows],
            "core": [row.is_core for row in rows],
        }
    )
    core_orgs = listings[listings["core"]].groupby("person")["org"].nunique()
    repeated = listings.groupby(["person", "org"]).size()
    people = tuple(member.truth() for member in households.members)
    alike: dict[tuple[str, int, str, str], list[str]] = defaultdict(list)
    folded: dict[str, str] = {}  # names repeat: fold each once
    for person in people:
        name = person.full_name
        key = folded.get(name) or folded.setdefault(name, fold(name))
        place = (person.commune, person.district)
        alike[(key, person.birth_date.year, *place)].append(person.person_key)
    namesakes = tuple(
        (first, second)
        for keys in alike.values()
        if len(keys) > 1
        for i, first in enumerate(keys)
        for second in keys[i + 1 :]
    )
    return GroundTruth(
        rows=tuple(rows),
        non_data_rows=(),
        cross_org_core_duplicates=tuple(sorted(core_orgs.index[core_orgs >= 2])),
        within_org_duplicates=tuple(
            sorted(set(repeated.index[repeated >= 2].get_level_values("person")))
        ),
        namesakes=namesakes,
        people=people,
        twins=tuple(households.twins),
    )


def _write_profile_rosters(output_dir: Path, records: pd.DataFrame) -> list[tuple[str, str, int]]:
    """Write the records as simple rosters (a title, a blank row, the header,
    the data) and return the title and header rows, which are not records."""
    non_data: list[tuple[str, str, int]] = []
    for source_file, in_file in records.groupby("source_file", sort=True):
        org = str(in_file["organization"].iloc[0])
        workbook = xlsxwriter.Workbook(str(output_dir / str(source_file)))
        workbook.set_properties({"created": CREATED, "author": "pipeline.synthetic"})
        cell = workbook.add_format({"border": 1, "font_name": "Times New Roman"})
        when = workbook.add_format(
            {"border": 1, "font_name": "Times New Roman", "num_format": "dd/mm/yyyy"}
        )
        bold = workbook.add_format({"bold": True, "font_name": "Times New Roman"})
        layout = ROSTER_COLUMNS[org]
        for sheet, rows in in_file.groupby("sheet", sort=True):
            ws = workbook.add_worksheet(str(sheet))
            ws.write_string(0, 0, f"DANH SÁCH {org.upper()} - {str(sheet).upper()}", bold)
            for col, (header, _) in enumerate(layout):
                ws.write_string(FIRST_DATA_ROW - 2, col, header, bold)
            non_data += [(str(source_file), str(sheet), 1), (str(source_file), str(sheet), 3)]
            for number, (_, record) in enumerate(rows.iterrows(), start=1):
                excel_row = int(record["row"]) - 1
                for col, (_, field) in enumerate(layout):
                    value = number if field == "row_number" else record[field]
                    if value is None:
                        ws.write_blank(excel_row, col, None, cell)
                    elif isinstance(value, str):
                        ws.write_string(excel_row, col, value, cell)
                    elif isinstance(value, date):
                        moment = datetime(value.year, value.month, value.day)
                        ws.write_datetime(excel_row, col, moment, when)
                    else:
                        ws.write_number(excel_row, col, value, cell)
        workbook.close()
    return non_data
