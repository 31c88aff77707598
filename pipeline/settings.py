"""All tunable settings in one typed place.

Thresholds are named constants here; organization definitions and header
synonyms live in editable TOML files under `schemas/`.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TypedDict

from pipeline.models import Organization
from pipeline.text import header_key
from pipeline.values import parse_sex

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
EXAMPLES_DIR = PROJECT_ROOT / "examples"

ROSTER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")
ORGANIZATIONS_FILE = "organizations.toml"
HEADERS_FILE = "headers.toml"
CITIZEN_ID_PROVINCES_FILE = "cccd_provinces.toml"

# Keys of an [organization.rules] table (documented in organizations.toml).
RULE_KEYS = ("min_age", "max_age", "sex", "min_service_age", "disabled")
_AGE_KEYS = ("min_age", "max_age", "min_service_age")
_OLDEST_AGE = 120
_ROSTER_YEARS = (1900, 2100)


class SettingsError(Exception):
    """A definition file under schemas/ is missing or malformed."""


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise SettingsError(f"Không tìm thấy tệp định nghĩa {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"Tệp định nghĩa {path} viết sai cú pháp: {exc}.") from exc


def load_citizen_id_provinces(path: Path) -> Mapping[str, str]:
    provinces = _read_toml(path).get("provinces", {})
    if not isinstance(provinces, dict) or not provinces:
        raise SettingsError(f'Tệp {path} cần một bảng [provinces] gồm các dòng "075" = "Đồng Nai".')
    for code, name in provinces.items():
        if not (len(code) == 3 and code.isdigit() and isinstance(name, str)):
            raise SettingsError(
                f"Trong {path}, dòng {code} = {name!r} sai dạng: mã tỉnh gồm 3 chữ số, "
                'ví dụ "075" = "Đồng Nai".'
            )
    return MappingProxyType(dict(provinces))


@functools.cache
def bundled_citizen_id_provinces() -> Mapping[str, str]:
    return load_citizen_id_provinces(SCHEMAS_DIR / CITIZEN_ID_PROVINCES_FILE)


@dataclass(frozen=True)
class MatchSettings:
    # Pairs at or above this probability are linked without review.
    link_threshold: float = 0.9
    # Pairs at or above this (and below link_threshold) go to reviewers.
    review_threshold: float = 0.5
    # A blocking key shared by more records than this is too common to pair
    # exhaustively (other rules still pair those records).
    max_block_size: int = 1000
    # Random record pairs sampled to estimate how often levels occur by chance.
    u_sample_pairs: int = 300_000
    em_max_iterations: int = 50
    em_tolerance: float = 1e-6
    # Seed of the random pair sample: the same input gives the same output.
    seed: int = 2018


@dataclass(frozen=True)
class Settings:
    organizations: tuple[Organization, ...]
    # field name -> header keys (see pipeline.text.header_key)
    header_synonyms: dict[str, tuple[str, ...]]
    # Province assumed when an address names none.
    default_province: str = "Đồng Nai"
    match: MatchSettings = field(default_factory=MatchSettings)
    # Year ages are counted in when a roster's title states none; None: the
    # current year.
    roster_year: int | None = None
    # CCCD province code ("075") -> province name (schemas/cccd_provinces.toml).
    citizen_id_provinces: Mapping[str, str] = field(default_factory=bundled_citizen_id_provinces)

    def organization(self, code: str) -> Organization:
        for org in self.organizations:
            if org.code == code:
                return org
        raise KeyError(code)

    @property
    def organization_codes(self) -> tuple[str, ...]:
        return tuple(org.code for org in self.organizations)


def load_organizations(path: Path) -> tuple[Organization, ...]:
    entries = _read_toml(path).get("organization", [])
    organizations = []
    for entry in entries:
        try:
            code = str(entry["code"])
            organizations.append(
                Organization(
                    code=code,
                    name=str(entry["name"]),
                    member_word=str(entry.get("member_word", "hội viên")),
                    aliases=tuple(str(a) for a in entry.get("aliases", [])),
                    **_membership_rules(entry.get("rules", {}), code, path),
                )
            )
        except KeyError as exc:
            raise SettingsError(f"Một tổ chức trong {path} thiếu mục {exc}.") from exc
    if not organizations:
        raise SettingsError(f"Tệp {path} chưa định nghĩa tổ chức nào.")
    return tuple(organizations)


class _MembershipRules(TypedDict):
    min_age: int | None
    max_age: int | None
    min_service_age: int | None
    sex: str
    disabled_rules: frozenset[str]


def _membership_rules(table: object, code: str, path: Path) -> _MembershipRules:
    """Organization keyword arguments from an [organization.rules] table.

    Unknown keys are refused rather than ignored: a misspelt "max_age" would
    otherwise silently switch a rule off. Rule codes in `disabled` are checked
    by `validate`, which owns them.
    """
    where = f"Mục [organization.rules] của tổ chức '{code}' trong {path}"
    if not isinstance(table, dict):
        raise SettingsError(f"{where} phải là một bảng (các dòng dạng khóa = giá trị).")
    unknown = sorted(set(table) - set(RULE_KEYS))
    if unknown:
        raise SettingsError(
            f"{where} có khóa không dùng được: {', '.join(unknown)}. "
            f"Các khóa dùng được: {', '.join(RULE_KEYS)}."
        )
    ages: dict[str, int | None] = {}
    for key in _AGE_KEYS:
        value = table.get(key)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _OLDEST_AGE
        ):
            raise SettingsError(
                f"{where}: {key} phải là số tuổi (số nguyên từ 0 đến {_OLDEST_AGE}), "
                f"không phải {value!r}."
            )
        ages[key] = value
    low, high = ages["min_age"], ages["max_age"]
    if low is not None and high is not None and high < low:
        raise SettingsError(f"{where}: max_age ({high}) nhỏ hơn min_age ({low}).")
    sex_text = table.get("sex", "")
    sex = parse_sex(sex_text)
    if sex_text != "" and not sex:
        raise SettingsError(f'{where}: sex phải là "Nam" hoặc "Nữ", không phải {sex_text!r}.')
    disabled = table.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(c, str) for c in disabled):
        raise SettingsError(f'{where}: disabled phải là danh sách mã quy tắc, ví dụ ["core_away"].')
    return _MembershipRules(
        min_age=ages["min_age"],
        max_age=ages["max_age"],
        min_service_age=ages["min_service_age"],
        sex=sex,
        disabled_rules=frozenset(disabled),
    )


def load_roster_year(path: Path) -> int | None:
    """The `roster_year` of the organization definitions, if set."""
    year = _read_toml(path).get("roster_year")
    if year is None:
        return None
    if isinstance(year, bool) or not isinstance(year, int):
        raise SettingsError(f"Trong {path}, roster_year phải là một năm, ví dụ 2025.")
    if not _ROSTER_YEARS[0] <= year <= _ROSTER_YEARS[1]:
        raise SettingsError(
            f"Trong {path}, roster_year = {year} nằm ngoài khoảng "
            f"{_ROSTER_YEARS[0]}–{_ROSTER_YEARS[1]}."
        )
    return year


def load_header_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    fields = _read_toml(path).get("fields", {})
    return {name: tuple(header_key(s) for s in synonyms) for name, synonyms in fields.items()}


def load_settings(schemas_dir: Path = SCHEMAS_DIR) -> Settings:
    return Settings(
        organizations=load_organizations(schemas_dir / ORGANIZATIONS_FILE),
        header_synonyms=load_header_synonyms(schemas_dir / HEADERS_FILE),
        roster_year=load_roster_year(schemas_dir / ORGANIZATIONS_FILE),
        citizen_id_provinces=load_citizen_id_provinces(schemas_dir / CITIZEN_ID_PROVINCES_FILE),
    )
