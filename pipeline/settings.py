"""All tunable settings in one typed place.

Thresholds are named constants here; organization definitions and header
synonyms live in editable TOML files under `schemas/`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.models import Organization
from pipeline.text import header_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = PROJECT_ROOT / "schemas"
EXAMPLES_DIR = PROJECT_ROOT / "examples"

ROSTER_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


class SettingsError(Exception):
    """A definition file under schemas/ is missing or malformed."""


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

    def organization(self, code: str) -> Organization:
        for org in self.organizations:
            if org.code == code:
                return org
        raise KeyError(code)

    @property
    def organization_codes(self) -> tuple[str, ...]:
        return tuple(org.code for org in self.organizations)


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise SettingsError(f"Không tìm thấy tệp định nghĩa {path}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"Tệp định nghĩa {path} viết sai cú pháp: {exc}.") from exc


def load_organizations(path: Path) -> tuple[Organization, ...]:
    entries = _read_toml(path).get("organization", [])
    organizations = []
    for entry in entries:
        try:
            organizations.append(
                Organization(
                    code=str(entry["code"]),
                    name=str(entry["name"]),
                    member_word=str(entry.get("member_word", "hội viên")),
                    aliases=tuple(str(a) for a in entry.get("aliases", [])),
                )
            )
        except KeyError as exc:
            raise SettingsError(f"Một tổ chức trong {path} thiếu mục {exc}.") from exc
    if not organizations:
        raise SettingsError(f"Tệp {path} chưa định nghĩa tổ chức nào.")
    return tuple(organizations)


def load_header_synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    fields = _read_toml(path).get("fields", {})
    return {name: tuple(header_key(s) for s in synonyms) for name, synonyms in fields.items()}


def load_settings(schemas_dir: Path = SCHEMAS_DIR) -> Settings:
    return Settings(
        organizations=load_organizations(schemas_dir / "organizations.toml"),
        header_synonyms=load_header_synonyms(schemas_dir / "headers.toml"),
    )
