"""pandera schemas of a member record: its canonical typed form, and the rules.

`MemberSchema` is the canonical record every roster row is parsed into
(pipeline.stages.validate builds it). The rule models below check it: each
check's name is a rule code, whose Vietnamese wording and severity live in
`pipeline.stages.validate.RULES`. Organization-specific limits (ages, sex)
arrive as columns, one value per row, so every check stays vectorised.

The rules are split into small models because pandera reports a failed
dataframe check once per column of the frame it validated: narrow frames keep
a million-row run's failure cases few.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from pipeline.text import fold
from pipeline.values import CITIZEN_ID_PATTERN, PHONE_PATTERN

EARLIEST_BIRTH_YEAR = 1900
SEXES = ("M", "F", "")
PRECISIONS = ("day", "year", "")
_ISO_DATE = r"^(\d{4}(-\d{2}-\d{2})?)?$"
CCCD_LENGTH = 12


class MemberSchema(pa.DataFrameModel):
    """The canonical member record; text fields hold "" when the roster has none."""

    full_name: Series[str]
    sex: Series[str] = pa.Field(isin=SEXES)
    birth_iso: Series[str] = pa.Field(str_matches=_ISO_DATE)  # "YYYY-MM-DD", "YYYY" or ""
    birth_year: Series[int] = pa.Field(ge=0)  # 0 when unknown
    birth_precision: Series[str] = pa.Field(isin=PRECISIONS)  # "year": a year alone
    house_number: Series[str]
    address: Series[str]  # the address as one text, when the roster writes it so
    hamlet: Series[str]  # ấp, khu phố, thôn, tổ
    commune: Series[str]  # xã, phường, thị trấn
    district: Series[str]
    province: Series[str]
    citizen_id: Series[str] = pa.Field(str_matches=f"^({CITIZEN_ID_PATTERN})?$")
    phone: Series[str] = pa.Field(str_matches=f"^({PHONE_PATTERN})?$")
    position: Series[str]  # chức vụ, vị trí
    branch: Series[str]  # chi đoàn, chi hội, tổ
    join_iso: Series[str] = pa.Field(str_matches=_ISO_DATE)
    is_core: Series[bool]
    is_regular: Series[bool]
    is_away: Series[bool]
    ethnicity: Series[str]
    religion: Series[str]
    note: Series[str]

    class Config:
        strict = False  # the frame also carries the rules' inputs


class _Rules(pa.DataFrameModel):
    class Config:
        strict = False


def _today() -> datetime.date:
    return datetime.date.today()


def _ymd(day: datetime.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day


def plausible_birth_year(years: pd.Series) -> pd.Series:
    """Birth years the cross-field rules can rely on (the others are rejected)."""
    return (years >= EARLIEST_BIRTH_YEAR) & (years <= _today().year)


def age_in_roster_year(df: pd.DataFrame) -> pd.Series:
    """The age reached in the roster's year, as organizations count members' ages."""
    return df["roster_year"] - df["birth_year"]


def age_at_joining(df: pd.DataFrame) -> pd.Series:
    """Completed years at the join date; from the years alone when either date is partial."""
    full = (df["join_ymd"] > 0) & (df["birth_ymd"] > 0)
    exact = (df["join_ymd"] - df["birth_ymd"]) // 10_000
    return exact.where(full, df["join_year"] - df["birth_year"])


def _cccd(ids: pd.Series) -> pd.Series:
    return ids.str.len() == CCCD_LENGTH


def citizen_id_birth_year(ids: pd.Series) -> pd.Series:
    """The birth year a CCCD encodes (0 for a CMND or no ID).

    Digit 4 gives the century (0/1: 1900s, 2/3: 2000s), digits 5-6 the year.
    """
    cccd = ids[_cccd(ids)]
    years = pd.Series(0, index=ids.index, dtype="int64")
    century = cccd.str[3].astype("int64") // 2
    years[cccd.index] = 1900 + century * 100 + cccd.str[4:6].astype("int64")
    return years


def citizen_id_sex(ids: pd.Series) -> pd.Series:
    """ "M" or "F" as a CCCD encodes it (digit 4 even or odd), "" for a CMND or no ID."""
    cccd = ids[_cccd(ids)]
    sexes = pd.Series("", index=ids.index, dtype=object)
    sexes[cccd.index] = (cccd.str[3].astype("int64") % 2).map({0: "M", 1: "F"})
    return sexes


class IdentityRules(_Rules):
    """What matching needs: a name, and a birth year or a citizen ID."""

    full_name: Series[str]
    birth_year: Series[int]
    birth_ymd: Series[int]  # year*10000 + month*100 + day, 0 unless a full date
    birth_precision: Series[str]
    birth_unreadable: Series[bool]
    citizen_id: Series[str]

    @pa.check("full_name", name="name_missing")
    def name_present(cls, names: pd.Series) -> pd.Series:
        return names != ""

    @pa.check("birth_unreadable", name="birth_unreadable")
    def birth_readable(cls, unreadable: pd.Series) -> pd.Series:
        return ~unreadable

    @pa.dataframe_check(name="birth_in_future", ignore_na=False)
    def born_by_today(cls, df: pd.DataFrame) -> pd.Series:
        today = _today()
        return (df["birth_year"] <= today.year) & (df["birth_ymd"] <= _ymd(today))

    @pa.check("birth_year", name="birth_before_1900")
    def born_since_1900(cls, years: pd.Series) -> pd.Series:
        return (years == 0) | (years >= EARLIEST_BIRTH_YEAR)

    @pa.dataframe_check(name="no_birth_year_no_id", ignore_na=False)
    def birth_year_or_id(cls, df: pd.DataFrame) -> pd.Series:
        # An unreadable birth date is reported by its own rule.
        return (df["birth_year"] > 0) | (df["citizen_id"] != "") | df["birth_unreadable"]

    @pa.check("birth_precision", name="birth_year_only")
    def full_birth_date(cls, precision: pd.Series) -> pd.Series:
        return precision != "year"


class CoreRules(_Rules):
    """The directive: a core member has a position, and is present to take part."""

    is_core: Series[bool]
    position: Series[str]
    is_away: Series[bool]

    @pa.dataframe_check(name="core_without_position", ignore_na=False)
    def core_has_position(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["is_core"] | (df["position"] != "")

    @pa.dataframe_check(name="core_away", ignore_na=False)
    def core_not_away(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["is_core"] & df["is_away"])


class CoreAddressRules(_Rules):
    """The directive: a core member has an address."""

    is_core: Series[bool]
    house_number: Series[str]
    address: Series[str]
    hamlet: Series[str]
    commune: Series[str]
    district: Series[str]

    @pa.dataframe_check(name="core_without_address", ignore_na=False)
    def core_has_address(cls, df: pd.DataFrame) -> pd.Series:
        parts = ("house_number", "address", "hamlet", "commune", "district")
        return ~df["is_core"] | (df[list(parts)] != "").any(axis=1)


class AgeRules(_Rules):
    """The organization's age limits (0: no limit), in the roster's year."""

    birth_year: Series[int]
    roster_year: Series[int]
    min_age: Series[int]
    max_age: Series[int]
    min_service_age: Series[int]

    @pa.dataframe_check(name="age_out_of_range", ignore_na=False)
    def age_in_range(cls, df: pd.DataFrame) -> pd.Series:
        age = age_in_roster_year(df)
        too_young = (df["min_age"] > 0) & (age < df["min_age"])
        too_old = (df["max_age"] > 0) & (age > df["max_age"])
        return ~plausible_birth_year(df["birth_year"]) | ~(too_young | too_old)

    @pa.dataframe_check(name="veteran_too_young", ignore_na=False)
    def old_enough_to_have_served(cls, df: pd.DataFrame) -> pd.Series:
        age = age_in_roster_year(df)
        too_young = (df["min_service_age"] > 0) & (age < df["min_service_age"])
        return ~plausible_birth_year(df["birth_year"]) | ~too_young


class SexRules(_Rules):
    """The sex column: readable, accepted by the organization, and agreeing
    with the "Nam"/"Nữ" birth-date column when the roster has both."""

    sex: Series[str]
    sex_text: Series[str]  # the sex cell as typed
    accepted_sex: Series[str]  # "M"/"F" when the organization admits only that sex
    birth_column_sex: Series[str]  # "M"/"F" from the birth date's "Nam"/"Nữ" column

    @pa.dataframe_check(name="sex_unreadable", ignore_na=False)
    def sex_readable(cls, df: pd.DataFrame) -> pd.Series:
        return (df["sex_text"] == "") | (df["sex"] != "")

    @pa.dataframe_check(name="sex_not_accepted", ignore_na=False)
    def sex_accepted(cls, df: pd.DataFrame) -> pd.Series:
        unknown = (df["accepted_sex"] == "") | (df["sex"] == "")
        return unknown | (df["sex"] == df["accepted_sex"])

    @pa.dataframe_check(name="sex_conflict", ignore_na=False)
    def sex_agrees_with_birth_column(cls, df: pd.DataFrame) -> pd.Series:
        unknown = (df["birth_column_sex"] == "") | (df["sex"] == "")
        return unknown | (df["sex"] == df["birth_column_sex"])


class CitizenIdRules(_Rules):
    """A CCCD's structure: its length, province code, century, year and sex digits."""

    citizen_id_digits: Series[str]  # digits as typed (a lost leading zero restored)
    citizen_id: Series[str]  # the same when well formed, else ""
    citizen_id_province: Series[str]  # province name of a CCCD's first three digits
    birth_year: Series[int]
    sex: Series[str]

    @pa.check("citizen_id_digits", name="citizen_id_malformed")
    def well_formed(cls, digits: pd.Series) -> pd.Series:
        return (digits == "") | digits.str.fullmatch(CITIZEN_ID_PATTERN)

    @pa.dataframe_check(name="citizen_id_province", ignore_na=False)
    def known_province(cls, df: pd.DataFrame) -> pd.Series:
        return ~_cccd(df["citizen_id"]) | (df["citizen_id_province"] != "")

    @pa.dataframe_check(name="citizen_id_birth_year", ignore_na=False)
    def agrees_with_birth_year(cls, df: pd.DataFrame) -> pd.Series:
        encoded = citizen_id_birth_year(df["citizen_id"])
        unknown = (encoded == 0) | ~plausible_birth_year(df["birth_year"])
        return unknown | (encoded == df["birth_year"])

    @pa.dataframe_check(name="citizen_id_sex", ignore_na=False)
    def agrees_with_sex(cls, df: pd.DataFrame) -> pd.Series:
        encoded = citizen_id_sex(df["citizen_id"])
        return (encoded == "") | (df["sex"] == "") | (encoded == df["sex"])


class SharedIdRules(_Rules):
    """One citizen ID belongs to one person: within a roster file, one name."""

    source_file: Series[str]
    citizen_id: Series[str]
    full_name: Series[str]

    @pa.dataframe_check(name="citizen_id_shared", ignore_na=False)
    def one_name_per_id(cls, df: pd.DataFrame) -> pd.Series:
        keys = df.loc[df["citizen_id"] != "", ["source_file", "citizen_id"]]
        repeated = keys[keys.duplicated(keep=False)]
        # Names are folded only where an ID repeats: "NGUYỄN THỊ LAN" and
        # "Nguyen Thi Lan" are one name. A missing name is rejected elsewhere.
        names = df.loc[repeated.index, "full_name"].map(fold)
        names = names.where(names != "")
        distinct = names.groupby([repeated["source_file"], repeated["citizen_id"]]).transform(
            "nunique"
        )
        passed = pd.Series(True, index=df.index)
        passed[repeated.index] = distinct <= 1
        return passed


class PhoneRules(_Rules):
    phone_digits: Series[str]  # digits as dialled in Vietnam (see values.normalize_phone)

    @pa.check("phone_digits", name="phone_invalid")
    def vietnamese_number(cls, digits: pd.Series) -> pd.Series:
        return (digits == "") | digits.str.fullmatch(PHONE_PATTERN)


class JoinRules(_Rules):
    """The join date: readable, not in the future, after birth, at an accepted age."""

    join_unreadable: Series[bool]
    join_year: Series[int]
    join_ymd: Series[int]
    birth_year: Series[int]
    birth_ymd: Series[int]
    min_age: Series[int]

    @pa.check("join_unreadable", name="join_date_unreadable")
    def join_readable(cls, unreadable: pd.Series) -> pd.Series:
        return ~unreadable

    @pa.dataframe_check(name="join_in_future", ignore_na=False)
    def joined_by_today(cls, df: pd.DataFrame) -> pd.Series:
        today = _today()
        return (df["join_year"] <= today.year) & (df["join_ymd"] <= _ymd(today))

    @pa.dataframe_check(name="join_before_birth", ignore_na=False)
    def joined_after_birth(cls, df: pd.DataFrame) -> pd.Series:
        known = (df["join_year"] > 0) & plausible_birth_year(df["birth_year"])
        return ~known | (age_at_joining(df) >= 0)

    @pa.dataframe_check(name="join_too_young", ignore_na=False)
    def joined_old_enough(cls, df: pd.DataFrame) -> pd.Series:
        known = (df["join_year"] > 0) & plausible_birth_year(df["birth_year"])
        age = age_at_joining(df)
        # A join before birth is reported by its own rule.
        return ~known | (age < 0) | (df["min_age"] == 0) | (age >= df["min_age"])


RULE_MODELS: tuple[type[pa.DataFrameModel], ...] = (
    IdentityRules,
    CoreRules,
    CoreAddressRules,
    AgeRules,
    SexRules,
    CitizenIdRules,
    SharedIdRules,
    PhoneRules,
    JoinRules,
)
