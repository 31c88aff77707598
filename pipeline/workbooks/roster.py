"""Danh sách đã đối soát.xlsx: each organization's accepted records, in its own
columns, with what reconciliation found about each person.

The organization's columns come first, in its order and wording, so it
recognizes its roster; then, per record: the person, whether they are core
here and where else, the review state, who keeps them as core, and the
directive's criteria the row fails (the validate stage's warnings).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.indicators import organization_order
from pipeline.models import Problem, Severity, SheetAccount
from pipeline.settings import Settings
from pipeline.stages.validate import rule_for
from pipeline.text import header_key
from pipeline.workbooks.display import (
    AUTO_LINKED,
    REVIEW_STATES,
    UNDECIDED,
    core_organizations,
    organization_names,
    review_states,
)
from pipeline.workbooks.style import Cell, Column, Kind, open_book

FILE_NAME = "Danh sách đã đối soát.xlsx"

RECONCILIATION_COLUMNS = (
    Column("Mã người"),
    Column("Nòng cốt ở đây", width=10),
    Column("Cũng là nòng cốt ở"),
    Column("Trạng thái rà soát", width=20),
    Column("Tổ chức giữ nòng cốt", width=22),
    Column("Cảnh báo tiêu chí", width=40),
    Column("Tệp"),
    Column("Trang tính"),
    Column("Dòng", Kind.INTEGER, width=8),
)

Location = tuple[str, str, int]  # source file, sheet, Excel row
_TEXT = frozenset({str, type(None)})


def write_roster(
    records: pd.DataFrame,
    persons: pd.DataFrame,
    sheets: Sequence[SheetAccount],
    problems: Sequence[Problem],
    settings: Settings,
    target: Path,
) -> None:
    """`persons` is pipeline.indicators.Reconciliation.persons() of `records`."""
    accepted = records.loc[records["status"] == "accepted"]
    names = organization_names(settings)
    person_ids = accepted["person_id"].fillna("").astype(str)
    counts = person_ids[person_ids != ""].value_counts()
    several_records = set(counts.index[counts > 1])
    elsewhere = core_organizations(accepted.loc[person_ids != ""], settings)
    sheet_columns = {(sheet.source_file, sheet.sheet): sheet.columns for sheet in sheets}
    warnings = _warnings(problems)
    keepers = [
        UNDECIDED if undecided else names.get(keeper, keeper)
        for keeper, undecided in zip(
            persons["keeper"].tolist(), persons["undecided"].tolist(), strict=True
        )
    ]
    shown = pd.DataFrame(
        {
            "person": person_ids,
            "keeper": pd.Series(keepers, index=persons.index).reindex(accepted.index),
            "state": review_states(accepted),
        }
    )
    parts = {str(code): part for code, part in accepted.groupby("organization", sort=False)}

    with open_book(target, "Danh sách đã đối soát") as book:
        for code in organization_order(parts, settings):
            own = next((s.columns for s in sheets if s.organization == code), ())
            part = parts[code]
            rows = _rows(
                part,
                shown.loc[part.index],
                own,
                sheet_columns,
                _Lookups(elsewhere, several_records, warnings, names),
            )
            columns = [Column(header) for header in own] + list(RECONCILIATION_COLUMNS)
            book.table_sheet(names.get(code, code), columns, rows)


@dataclass(frozen=True)
class _Lookups:
    """What a row's reconciliation columns are looked up in."""

    elsewhere: dict[str, tuple[str, ...]]  # person -> organizations where core
    several_records: set[str]  # persons linked from several records
    warnings: dict[Location, str]
    names: dict[str, str]


def _warnings(problems: Sequence[Problem]) -> dict[Location, str]:
    """The criteria each row fails, as short titles in the rules' order."""
    titles: dict[Location, list[str]] = {}
    for problem in problems:
        if problem.severity == Severity.WARNING and problem.row is not None:
            found = titles.setdefault((problem.source_file, problem.sheet, problem.row), [])
            title = rule_for(problem.rule).title
            if title not in found:
                found.append(title)
    return {location: "; ".join(found) for location, found in titles.items()}


def _rows(
    part: pd.DataFrame,
    shown: pd.DataFrame,
    own: tuple[str, ...],
    sheet_columns: dict[tuple[str, str], tuple[str, ...]],
    lookups: _Lookups,
) -> Iterator[list[Cell]]:
    positions: dict[tuple[str, str], list[int]] = {}
    for values, source_file, sheet, row, org, is_core, person, keeper, state in zip(
        part["source_values"].tolist(),
        part["source_file"].tolist(),
        part["sheet"].tolist(),
        part["row"].tolist(),
        part["organization"].tolist(),
        part["is_core"].eq(True).tolist(),
        shown["person"].tolist(),
        shown["keeper"].tolist(),
        shown["state"].tolist(),
        strict=True,
    ):
        key = (source_file, sheet)
        if key not in positions:
            positions[key] = _positions(own, sheet_columns.get(key, ()))
        cells = _own_cells(values, positions[key])
        status = REVIEW_STATES.get(state, state)
        if not status and person in lookups.several_records:
            status = AUTO_LINKED
        also_core = ", ".join(
            lookups.names.get(other, other)
            for other in lookups.elsewhere.get(person, ())
            if other != org
        )
        cells += [
            person,
            "Có" if is_core else "Không",
            also_core,
            status,
            keeper,
            lookups.warnings.get((source_file, sheet, int(row)), ""),
            source_file,
            sheet,
            row,
        ]
        yield cells


def _positions(own: tuple[str, ...], source: tuple[str, ...]) -> list[int]:
    """For each of the organization's columns, the index of the same header in
    another sheet's columns (compared like header matching, so "HỌ VÀ TÊN"
    fills "Họ và tên"); the n-th repeat of a header maps to its n-th repeat;
    -1 where the sheet has no such column."""
    if source == own:
        return list(range(len(own)))
    indexes: dict[str, list[int]] = {}
    for index, header in enumerate(source):
        indexes.setdefault(header_key(header) or header, []).append(index)
    seen: Counter[str] = Counter()
    positions: list[int] = []
    for header in own:
        key = header_key(header) or header
        matches = indexes.get(key, [])
        positions.append(matches[seen[key]] if seen[key] < len(matches) else -1)
        seen[key] += 1
    return positions


def _own_cells(values: object, positions: list[int]) -> list[Cell]:
    """The row's values in the organization's columns, as text (None when absent)."""
    if not isinstance(values, tuple):
        return [None] * len(positions)
    # A missing column (-1) or a short row reads the None past the row's end.
    padded = (*values, *[None] * (max(positions, default=0) + 1 - len(values)), None)
    cells: list[Cell] = [padded[position] for position in positions]
    if _TEXT.issuperset(map(type, cells)):
        return cells
    return [None if value is None else str(value) for value in cells]
