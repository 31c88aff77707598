"""Seeded synthetic rosters for the examples, the tests and later benchmarks.

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
import random
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property, partial
from pathlib import Path

import xlsxwriter

from pipeline.text import fold

ROSTER_YEAR = 2025
# xlsxwriter already writes fixed zip timestamps; fixing the creation date in
# docProps/core.xml as well makes one seed reproduce byte-identical files.
CREATED = datetime(ROSTER_YEAR, 1, 1)


# --- Ground truth -----------------------------------------------------------


@dataclass(frozen=True)
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


@dataclass(frozen=True)
class TruthRow:
    """One data row written to a roster."""

    source_file: str  # relative to output_dir, posix separators
    sheet: str
    row: int  # 1-based Excel row
    organization: str
    person_key: str
    is_core: bool
    is_regular: bool


@dataclass(frozen=True)
class GroundTruth:
    rows: tuple[TruthRow, ...]  # every data row, in file, sheet and row order
    # (source_file, sheet, row) of every non-empty row that is not a record:
    # titles, headers, subtotals, signature blocks, summary sheets.
    non_data_rows: tuple[tuple[str, str, int], ...]
    cross_org_core_duplicates: tuple[str, ...]  # core in two or more organizations
    within_org_duplicates: tuple[str, ...]  # listed twice by one organization
    # Different people with the same full name, written by different organizations.
    namesakes: tuple[tuple[str, str], ...]
    people: tuple[TruthPerson, ...]  # everyone with at least one row

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

_D_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})
ADDRESS_FORMATS = {
    "doan": "{local}, xã {commune}, huyện {district}",
    "ccb": "{local}, {commune}, {district}, Đồng Nai",
    "congdoan": "{local}, Xã {commune}, Huyện {district}, Tỉnh Đồng Nai",
}
SHORT_ADDRESS_FORMAT = "{local_lower}, X. {commune}, H. {district}"

Cell = str | int | date | None


def _without_diacritics(text: str) -> str:
    """Like typing without a Vietnamese keyboard: marks gone, case kept."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _name(entry: _Entry, text: str) -> str:
    if entry.variant == "upper":
        return text.upper()
    if entry.variant == "no_diacritics":
        return _without_diacritics(text)
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


def generate_rosters(output_dir: Path, seed: int = 2018, *, scale: int = 1) -> GroundTruth:
    """Write the five roster workbooks into `output_dir` and return the truth.

    `scale` multiplies the ordinary members and the planted cases; the default
    gives the committed example set (about 290 data rows). Files already in
    `output_dir` other than the five rosters are left alone.
    """
    if scale < 1:
        raise ValueError(f"scale must be at least 1, got {scale}")
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
