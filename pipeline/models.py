"""Data passed between the stages.

Records travel as one pandas DataFrame whose columns are listed here; everything
else (files, sheets, problems) travels as small typed records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from pipeline.matching.model import FittedModel

# Provenance columns every record carries from `load` to `report`.
PROVENANCE_COLUMNS = ("record_id", "source_file", "sheet", "row", "organization")

# Fields the loader maps headers onto (schemas/headers.toml). Values are kept as
# read: str (NFC, single-spaced), int, float, datetime.date/datetime or None.
RAW_FIELDS = (
    "full_name",
    "sex",
    "birth_date",
    "address",
    "house_number",
    "hamlet",
    "commune",
    "district",
    "province",
    "citizen_id",
    "phone",
    "position",
    "branch",
    "join_date",
    "core",
    "regular",
    "away",
    "ethnicity",
    "religion",
    "note",
)


class Severity(StrEnum):
    """How a problem affects a row or a file."""

    BLOCKING = "blocking"  # the row is rejected
    WARNING = "warning"  # the row is used; its organization should fix it
    SET_ASIDE = "set_aside"  # a non-empty row that is not a record (subtotal, footer)
    FILE = "file"  # a file or sheet could not be read and was skipped
    NOTE = "note"  # information: a skipped lock file, an unknown column kept


@dataclass(frozen=True)
class Problem:
    """One problem, located precisely enough to find the cell in Excel."""

    source_file: str
    sheet: str
    row: int | None
    column: str
    value: str
    rule: str
    message: str
    severity: Severity
    organization: str | None = None


@dataclass(frozen=True)
class Organization:
    code: str
    name: str
    member_word: str
    aliases: tuple[str, ...]
    # Membership rules ([organization.rules] in schemas/organizations.toml).
    # Ages are those reached in the roster's year; None means no limit.
    min_age: int | None = None
    max_age: int | None = None
    sex: str = ""  # "M" or "F" when only that sex can be a member
    # Youngest age at which someone can have served in the army (veterans).
    min_service_age: int | None = None
    # Warning rules this organization does not apply (codes of validate.RULES).
    disabled_rules: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SourceFile:
    """A roster file found by `discover`."""

    path: Path
    relative_path: str  # posix separators, relative to the input folder
    organization: str | None  # decided from mapping, folder or file name
    organization_reason: str  # Vietnamese: how the organization was decided


@dataclass(frozen=True)
class SheetAccount:
    """Row accounting of one sheet (a CSV file is one sheet named "")."""

    source_file: str
    sheet: str
    organization: str
    header_row: int  # 1-based Excel row of the (last) header row
    rows_in: int  # non-empty rows below the header
    records: int  # rows that became records
    set_aside: int  # rows reported as not records
    columns: tuple[str, ...]  # the headers as the organization wrote them
    # (field, header as written, Excel column letter) of each recognised column,
    # so a problem can point at the exact cell ("Ngày sinh", column "D").
    field_columns: tuple[tuple[str, str, str], ...] = ()


@dataclass
class LoadResult:
    """Output of `load`: the records and the accounting of what was read."""

    records: pd.DataFrame
    sheets: list[SheetAccount] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files_read: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)


@dataclass
class MatchResult:
    """Output of `match`: scored candidate pairs, one row per pair.

    Columns: left, right (record_id, left before right in load order),
    probability (0..1), outcome ("link" or "review"), evidence (Vietnamese
    text), contributions (each field's share of the score, Vietnamese text).
    """

    pairs: pd.DataFrame
    blocking_counts: dict[str, int] = field(default_factory=dict)
    model: FittedModel | None = None  # the fitted weights, for reports and benchmarks


# Columns the records DataFrame gains after `load` (besides PROVENANCE_COLUMNS and
# RAW_FIELDS): `source_values` (tuple of the row's cells as displayed, in the
# order of SheetAccount.columns), `core_column_present` (bool: False for a
# core-only roster, whose rows are all core), `sheet_title` (the title rows
# above the header, joined by " | "), `birth_column_sex` ("Nam"/"Nữ" when the
# birth date was written under a Nam or Nữ column, else None).
LOAD_COLUMNS = ("source_values", "core_column_present", "sheet_title", "birth_column_sex")

# Columns added by `validate`: whether the row can be used, and typed values
# (schemas/member.py's MemberSchema describes the canonical record they come from).
VALIDATE_COLUMNS = (
    "status",  # "accepted" or "rejected"
    "reason",  # Vietnamese reason for rejection, "" when accepted
    "sex_code",  # "M", "F" or ""
    "birth_year",  # int, 0 when unknown
    "birth_iso",  # "YYYY-MM-DD", "YYYY" (year only) or ""
    "birth_precision",  # "day", "year" or ""
    "citizen_id_norm",  # 12-digit CCCD or 9-digit CMND, digits only, or "" (also when malformed)
    "citizen_id_province",  # province whose code starts the CCCD, e.g. "Đồng Nai", or ""
    "phone_norm",  # Vietnamese phone number, digits only ("0912345678"), or ""
    "join_iso",  # date of joining the organization, like birth_iso
    "roster_year",  # int: the year ages are counted in (the title's year, else configured)
    "is_core",  # bool
    "is_regular",  # bool
    "is_away",  # bool
)

# Columns added by `normalize`: canonical forms used for matching and reports.
NORMALIZE_COLUMNS = (
    "name_display",  # NFC, each word capitalised
    "name_key",  # folded (no diacritics, đ -> d), e.g. "nguyen thi lan"
    "surname_key",
    "middle_key",
    "given_key",
    "hamlet_name",  # e.g. "Ấp 3", "Khu phố 5", or ""
    "commune_name",  # e.g. "Phước Thiền" (no type word), or ""
    "district_name",  # e.g. "Nhơn Trạch", or ""
    "province_name",
    "commune_key",  # the commune since the 2025 reform, whether written old or new
    "old_commune_key",  # the commune before the reform, when the roster names it
    "hamlet_key",
    # "M", "F" or "": as written, else as the organization, the CCCD or the
    # middle name (Thị, Văn) implies
    "sex_key",
)

# Columns added by `cluster` (and possibly changed by `decide`).
CLUSTER_COLUMNS = (
    "person_id",  # shared by records treated as one person; "" when rejected
    "review_group",  # group awaiting review, or ""
    "fingerprint",  # pipeline.identity's FINGERPRINT, what decisions name a record by
)

# Columns added by `decide`, after reviewers' decisions are applied.
DECIDE_COLUMNS = (
    # Organization code that keeps the person as core by a reviewer's decision;
    # "" when no decision names one (the person may still be core in several).
    "core_kept_by",
    # "" (nothing to review), "pending", "decided" or "needs_rereview" (an
    # earlier decision whose records changed or disappeared).
    "review_state",
)
