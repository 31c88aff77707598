"""The optional tables an analyst puts next to the rosters, and their templates.

Two tables, each a workbook with one row per commune and one column per
organization, kept in the input folder's `bang_so_lieu` subfolder (which
`discover` must not read as rosters):
- `dan_so_trong_do_tuoi.xlsx`: the population of eligible age, by commune and
  organization (and, optionally, for all organizations together), for the
  directive's "tỷ lệ tập hợp quần chúng trong độ tuổi";
- `tong_so_hoi_vien.xlsx`: the member totals by commune of the organizations
  that send only their core list, whose rosters cannot give them.

Every run writes both templates, listing the communes found in the run and
filled with the figures of the current tables, into the output folder's
`mau_bang_so_lieu` subfolder under the same names: the analyst completes them
and copies them into `bang_so_lieu`.

Rows are matched to the run's units by name, compared folded and without the
type word ("Xã Phước Thiền" is "Phước Thiền"); a row naming no district is
matched by its commune when the name is unique. Whatever cannot be used (an
unknown commune, a value that is not a whole number) is reported in notes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.indicators import (
    ALL_ORGANIZATIONS,
    UNIT_TABLE_COLUMNS,
    UNKNOWN_UNIT,
    organization_order,
)
from pipeline.readers import Row, UnreadableFileError, read_roster
from pipeline.safety import inspect_file
from pipeline.settings import ROSTER_SUFFIXES, Settings
from pipeline.stages.discover import TABLES_FOLDER, find_organizations
from pipeline.stages.normalize import strip_unit_type
from pipeline.text import display_value, fold, header_key
from pipeline.workbooks.display import organization_names
from pipeline.workbooks.style import Cell, Column, Kind, open_book

POPULATION_FILE = "dan_so_trong_do_tuoi.xlsx"
TOTALS_FILE = "tong_so_hoi_vien.xlsx"
TEMPLATES_FOLDER = "mau_bang_so_lieu"

POPULATION_TITLE = "Dân số trong độ tuổi"
TOTALS_TITLE = "Tổng số hội viên"
DISTRICT_HEADER = "Huyện (trước 7/2025)"
COMMUNE_HEADER = "Xã, phường"
ALL_HEADER = "Tất cả tổ chức"
# Header keys (pipeline.text.header_key) starting a commune or district column.
_COMMUNE_KEYS = ("xa", "phuong", "thitran", "donvi")
_DISTRICT_KEYS = ("huyen", "quan", "thixa", "thanhpho")
_ALL_KEYS = ("tatca", "chung", "tongcong")
_HEADER_SEARCH_ROWS = 30
_NOTES_SHOWN = 20
_WHOLE_NUMBER = re.compile(r"\d{1,3}(?:[.,  ]\d{3})+|\d+")


@dataclass(frozen=True)
class UnitTable:
    """A table's figures matched to the run's units, and what could not be used."""

    values: pd.DataFrame  # pipeline.indicators.UNIT_TABLE_COLUMNS
    notes: tuple[str, ...]  # Vietnamese, for the run report


def find_tables(input_dir: Path) -> tuple[Path | None, Path | None]:
    """The population and member-totals tables of an input folder, when present.

    Besides the .xlsx names, the same names with another roster suffix
    (.ods, .xls, .csv …) are accepted.
    """

    def find(name: str) -> Path | None:
        stem = Path(name).stem
        for suffix in ROSTER_SUFFIXES:
            path = input_dir / TABLES_FOLDER / f"{stem}{suffix}"
            if path.is_file():
                return path
        return None

    return find(POPULATION_FILE), find(TOTALS_FILE)


def read_unit_table(
    path: Path, settings: Settings, units: pd.DataFrame, *, title: str, all_column: bool
) -> UnitTable:
    """Read a table by commune and organization; `units` are the run's
    (district, commune) pairs as the indicators name them."""
    shown = f"{TABLES_FOLDER}/{path.name}"
    try:
        inspect_file(path)
        grid = next(
            (
                layout
                for sheet in read_roster(path)
                if (layout := _table_grid(sheet.rows, settings))
            ),
            None,
        )
    except UnreadableFileError as error:
        return _empty([f"{title} ({shown}): không đọc được tệp – {error}."])
    if grid is None:
        return _empty(
            [
                f"{title} ({shown}): không tìm thấy dòng tên cột có cột “{COMMUNE_HEADER}” và "
                "các cột tên tổ chức; hãy dùng mẫu trong thư mục kết quả."
            ]
        )
    organizations = {
        code for code in grid.organizations.values() if all_column or code != ALL_ORGANIZATIONS
    }
    matcher = _UnitMatcher(units)
    found: dict[tuple[str, str, str], int] = {}
    seen: set[tuple[str, str]] = set()
    problems: list[str] = []
    for excel_row, cells in enumerate(grid.rows, start=grid.header_row + 1):
        problems.extend(_read_row(excel_row, cells, grid, organizations, matcher, seen, found))
    values = pd.DataFrame(
        [(*key, value) for key, value in found.items()], columns=list(UNIT_TABLE_COLUMNS)
    )
    communes = len({key[:2] for key in found})
    names = {**organization_names(settings), ALL_ORGANIZATIONS: ALL_HEADER.lower()}
    given = organization_order(set(values["organization"]) - {ALL_ORGANIZATIONS}, settings)
    given += [ALL_ORGANIZATIONS] if ALL_ORGANIZATIONS in set(values["organization"]) else []
    summary = f"{title} ({shown}): đã dùng số liệu của {communes} xã, phường" + (
        f" cho {', '.join(names.get(code, code) for code in given)}." if given else "."
    )
    return UnitTable(values, (summary, *_shortened(problems)))


def write_population_template(
    path: Path,
    settings: Settings,
    communes: Sequence[tuple[str, str]],
    values: pd.DataFrame | None = None,
) -> None:
    """The population template: the run's communes, a column per organization
    and one for all organizations together, filled with `values` if given."""
    _write_template(
        path,
        settings,
        communes,
        values,
        title=f"{POPULATION_TITLE} theo xã, phường và tổ chức",
        guide=(
            "Điền số người trong độ tuổi của từng tổ chức (thanh niên cho Đoàn, phụ nữ cho Hội "
            "Phụ nữ…) ở mỗi xã, phường; dùng để tính tỷ lệ tập hợp quần chúng trong độ tuổi.",
            f"Cột “{ALL_HEADER}”: số người trong độ tuổi của ít nhất một tổ chức, nếu biết; để "
            "trống thì lấy tổng các cột tổ chức.",
        ),
        organizations=list(settings.organization_codes),
        all_column=True,
        file_name=POPULATION_FILE,
    )


def write_totals_template(
    path: Path,
    settings: Settings,
    communes: Sequence[tuple[str, str]],
    core_only: Sequence[str],
    values: pd.DataFrame | None = None,
) -> None:
    """The member-totals template: the run's communes, a column per
    organization; `core_only` names the organizations that need it."""
    names = organization_names(settings)
    needed = ", ".join(names.get(code, code) for code in core_only) or "không có tổ chức nào"
    _write_template(
        path,
        settings,
        communes,
        values,
        title=f"{TOTALS_TITLE} theo xã, phường",
        guide=(
            "Chỉ cần cho tổ chức chỉ gửi danh sách nòng cốt (lần chạy này: "
            f"{needed}): điền tổng số đoàn viên, hội viên của tổ chức ở mỗi xã, phường.",
            "Tổ chức gửi danh sách đầy đủ được đếm theo danh sách; số điền cho tổ chức đó "
            "không được dùng.",
        ),
        organizations=list(settings.organization_codes),
        all_column=False,
        file_name=TOTALS_FILE,
    )


def _write_template(
    path: Path,
    settings: Settings,
    communes: Sequence[tuple[str, str]],
    values: pd.DataFrame | None,
    *,
    title: str,
    guide: Sequence[str],
    organizations: list[str],
    all_column: bool,
    file_name: str,
) -> None:
    names = organization_names(settings)
    codes = [*organizations, *([ALL_ORGANIZATIONS] if all_column else [])]
    headers = [names.get(code, code) for code in organizations]
    headers += [ALL_HEADER] if all_column else []
    given: dict[tuple[str, str, str], object] = {}
    if values is not None:
        given = {
            (str(d), str(c), str(o)): v
            for d, c, o, v in values[list(UNIT_TABLE_COLUMNS)].itertuples(index=False)
        }
    placed = sorted(
        (unit for unit in set(communes) if UNKNOWN_UNIT not in unit),
        key=lambda unit: (fold(unit[0]), fold(unit[1])),
    )

    def rows() -> Iterator[list[Cell]]:
        for district, commune in placed:
            filled: list[Cell] = [district, commune]
            for code in codes:
                value = given.get((district, commune, code))
                filled.append(int(value) if isinstance(value, int | float) else None)
            yield filled

    with open_book(path, title) as book:
        sheet = book.sheet(title.split(" theo ")[0])
        sheet.heading(title)
        sheet.notes(
            [
                *guide,
                "Chỉ điền vào các ô màu vàng, mỗi ô một số nguyên (không ghi chữ, không dùng "
                "công thức). Có thể thêm dòng cho xã, phường còn thiếu.",
                f"Điền xong, chép tệp vào thư mục “{TABLES_FOLDER}” trong thư mục đầu vào, giữ "
                f"tên tệp “{file_name}”, rồi chạy lại.",
            ]
        )
        sheet.skip_row()
        sheet.table(
            [
                Column(DISTRICT_HEADER, width=20),
                Column(COMMUNE_HEADER, width=22),
                *(Column(header, Kind.INPUT_INTEGER, width=14) for header in headers),
            ],
            rows(),
        )


def _empty(notes: list[str]) -> UnitTable:
    return UnitTable(pd.DataFrame(columns=list(UNIT_TABLE_COLUMNS)), tuple(notes))


def _shortened(notes: list[str]) -> list[str]:
    if len(notes) <= _NOTES_SHOWN:
        return notes
    return [*notes[:_NOTES_SHOWN], f"… và {len(notes) - _NOTES_SHOWN} vấn đề khác."]


@dataclass(frozen=True)
class _Grid:
    """Where a table's figures are in a sheet."""

    header_row: int  # Excel row of the header
    rows: list[Row]  # the rows below it
    commune: int  # column indexes
    district: int | None
    organizations: dict[int, str]  # column -> organization code or ALL_ORGANIZATIONS


def _table_grid(rows: list[Row], settings: Settings) -> _Grid | None:
    """The first row naming a commune column and at least one organization column."""
    for index, cells in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        keys = [header_key(display_value(cell)) for cell in cells]
        communes = [col for col, key in enumerate(keys) if key.startswith(_COMMUNE_KEYS)]
        if not communes:
            continue
        organizations: dict[int, str] = {}
        for col, cell in enumerate(cells):
            found = find_organizations(display_value(cell), settings.organizations)
            if keys[col].startswith(_ALL_KEYS):
                organizations[col] = ALL_ORGANIZATIONS
            elif len(found) == 1 and col not in communes:
                organizations[col] = next(iter(found))
        if not organizations:
            continue
        districts = [col for col, key in enumerate(keys) if key.startswith(_DISTRICT_KEYS)]
        return _Grid(
            header_row=index + 1,
            rows=rows[index + 1 :],
            commune=communes[0],
            district=districts[0] if districts else None,
            organizations=organizations,
        )
    return None


class _UnitMatcher:
    """Finds the run's unit a table row names."""

    def __init__(self, units: pd.DataFrame) -> None:
        self._pairs: dict[tuple[str, str], tuple[str, str]] = {}
        by_commune: dict[str, list[tuple[str, str]]] = {}
        for district, commune in units[["district", "commune"]].itertuples(index=False):
            if commune == UNKNOWN_UNIT:
                continue
            key = (_unit_key(district), _unit_key(commune))
            self._pairs[key] = (district, commune)
            by_commune.setdefault(key[1], []).append((district, commune))
        self._unique = {key: found[0] for key, found in by_commune.items() if len(found) == 1}

    def match(self, district: str, commune: str) -> tuple[str, str] | None:
        pair = self._pairs.get((_unit_key(district), _unit_key(commune)))
        if pair is None and not district:
            pair = self._unique.get(_unit_key(commune))
        return pair


def _unit_key(name: str) -> str:
    return fold(strip_unit_type(name)) if name else ""


def _read_row(
    excel_row: int,
    cells: Row,
    grid: _Grid,
    organizations: set[str],
    matcher: _UnitMatcher,
    seen: set[tuple[str, str]],
    found: dict[tuple[str, str, str], int],
) -> Iterator[str]:
    """Store one row's figures in `found`; yield a note for what cannot be used."""

    def cell(col: int | None) -> object:
        return cells[col] if col is not None and col < len(cells) else None

    commune = display_value(cell(grid.commune))
    district = display_value(cell(grid.district))
    # Totals rows ("Tổng cộng", "Cộng") are the sums of the rows above.
    if not commune or fold(commune).startswith(("tong", "cong")):
        return
    unit = matcher.match(district, commune)
    place = f"{commune}, {district}" if district else commune
    if unit is None:
        yield f"Dòng {excel_row}: không có xã, phường “{place}” trong các danh sách; bỏ qua dòng."
        return
    if unit in seen:
        yield f"Dòng {excel_row}: xã, phường “{place}” đã có ở dòng trên; bỏ qua dòng này."
        return
    seen.add(unit)
    for col, code in grid.organizations.items():
        if code not in organizations:
            continue
        value = _whole_number(cell(col))
        if value is not None:
            found[(*unit, code)] = value
        elif display_value(cell(col)):
            yield (
                f"Dòng {excel_row}: “{display_value(cell(col))}” không phải số nguyên không âm; "
                "bỏ qua ô này."
            )


def _whole_number(value: object) -> int | None:
    """A cell's whole number from 0 up ("1.250" written as text too), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float):
        return int(value) if value.is_integer() and value >= 0 else None
    text = display_value(value)
    if _WHOLE_NUMBER.fullmatch(text):
        return int(re.sub(r"\D", "", text))
    return None
