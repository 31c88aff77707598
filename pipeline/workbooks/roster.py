"""Danh sách đã đối soát.xlsx: each organization's accepted records, in its own
columns, with what reconciliation found about each person."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from pipeline.indicators import organization_order
from pipeline.models import SheetAccount
from pipeline.settings import Settings
from pipeline.text import header_key
from pipeline.workbooks.display import organization_names
from pipeline.workbooks.style import Cell, Column, Kind, open_book

FILE_NAME = "Danh sách đã đối soát.xlsx"

AWAITING_REVIEW = "Chờ rà soát"
AUTO_LINKED = "Đã tự động đối chiếu"
RECONCILIATION_COLUMNS = (
    Column("Mã người"),
    Column("Nòng cốt ở đây", width=10),
    Column("Cũng là nòng cốt ở"),
    Column("Trạng thái rà soát", width=20),
    Column("Tệp"),
    Column("Trang tính"),
    Column("Dòng", Kind.INTEGER, width=8),
)


def write_roster(
    records: pd.DataFrame, sheets: Sequence[SheetAccount], settings: Settings, target: Path
) -> None:
    accepted = records.loc[records["status"] == "accepted"]
    names = organization_names(settings)
    persons = accepted["person_id"].astype(str)
    counts = persons[persons != ""].value_counts()
    several_records = set(counts.index[counts > 1])
    core_organizations = _core_organizations(accepted.loc[persons != ""], settings)
    sheet_columns = {(sheet.source_file, sheet.sheet): sheet.columns for sheet in sheets}
    parts = {str(code): part for code, part in accepted.groupby("organization", sort=False)}

    with open_book(target, "Danh sách đã đối soát") as book:
        for code in organization_order(parts, settings):
            own = next((s.columns for s in sheets if s.organization == code), ())
            rows = _rows(
                parts[code], own, sheet_columns, core_organizations, several_records, names
            )
            columns = [Column(header) for header in own] + list(RECONCILIATION_COLUMNS)
            book.table_sheet(names.get(code, code), columns, rows)


def _rows(
    part: pd.DataFrame,
    own: tuple[str, ...],
    sheet_columns: dict[tuple[str, str], tuple[str, ...]],
    core_organizations: dict[str, tuple[str, ...]],
    several_records: set[str],
    names: dict[str, str],
) -> Iterator[list[Cell]]:
    positions: dict[tuple[str, str], list[int | None]] = {}
    for values, source_file, sheet, row, person, org, is_core, group in zip(
        part["source_values"].tolist(),
        part["source_file"].tolist(),
        part["sheet"].tolist(),
        part["row"].tolist(),
        part["person_id"].astype(str).tolist(),
        part["organization"].tolist(),
        part["is_core"].eq(True).tolist(),
        part["review_group"].fillna("").astype(str).tolist(),
        strict=True,
    ):
        key = (source_file, sheet)
        if key not in positions:
            positions[key] = _positions(own, sheet_columns.get(key, ()))
        cells: list[Cell] = [_cell(values, position) for position in positions[key]]
        if group:
            status = AWAITING_REVIEW
        elif person in several_records:
            status = AUTO_LINKED
        else:
            status = ""
        also_core = ", ".join(
            names.get(other, other) for other in core_organizations.get(person, ()) if other != org
        )
        cells += [
            person,
            "Có" if is_core else "Không",
            also_core,
            status,
            source_file,
            sheet,
            row,
        ]
        yield cells


def _core_organizations(linked: pd.DataFrame, settings: Settings) -> dict[str, tuple[str, ...]]:
    """person_id -> codes of the organizations where the person is core, in settings order."""
    core = linked.loc[linked["is_core"].eq(True), ["person_id", "organization"]].drop_duplicates()
    rank = {
        code: index
        for index, code in enumerate(organization_order(core["organization"].unique(), settings))
    }
    grouped: dict[str, list[str]] = {}
    for person, org in zip(core["person_id"].tolist(), core["organization"].tolist(), strict=True):
        grouped.setdefault(str(person), []).append(str(org))
    return {person: tuple(sorted(orgs, key=rank.__getitem__)) for person, orgs in grouped.items()}


def _positions(own: tuple[str, ...], source: tuple[str, ...]) -> list[int | None]:
    """For each of the organization's columns, the index of the same header in
    another sheet's columns (compared like header matching, so "HỌ VÀ TÊN"
    fills "Họ và tên"); the n-th repeat of a header maps to its n-th repeat."""
    if source == own:
        return list(range(len(own)))
    indexes: dict[str, list[int]] = {}
    for index, header in enumerate(source):
        indexes.setdefault(header_key(header) or header, []).append(index)
    seen: Counter[str] = Counter()
    positions: list[int | None] = []
    for header in own:
        key = header_key(header) or header
        matches = indexes.get(key, [])
        positions.append(matches[seen[key]] if seen[key] < len(matches) else None)
        seen[key] += 1
    return positions


def _cell(values: object, position: int | None) -> str:
    if position is None or not isinstance(values, tuple) or position >= len(values):
        return ""
    value = values[position]
    return "" if value is None else str(value)
