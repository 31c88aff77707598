"""The review loop through the CLI: run, decide in the workbook as a reviewer
would, change the rosters, run again; decisions carry over, changes are flagged."""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner, Result

from pipeline.cli import main
from pipeline.ledger import LEDGER_FILE, REGISTRY_FILE
from pipeline.settings import load_settings
from pipeline.synthetic import GroundTruth, TruthRow, generate_rosters
from pipeline.text import fold
from pipeline.workbooks import review

SETTINGS = load_settings()
PHUNU_FILE = "hoi_lhpn_nhon_trach.xlsx"
DOAN_FILE = "doan_thanh_nien_nhon_trach.xlsx"
CONGDOAN_FILE = "cong_doan_nhon_trach.xlsx"
NONGDAN_FILE = "hoi_nong_dan_long_thanh_nhon_trach.xlsx"
PHUNU = "Hội Liên hiệp Phụ nữ"
DOAN = "Đoàn TNCS Hồ Chí Minh"
CONGDOAN = "Công đoàn"
REVIEWER = "Nguyễn Văn Rà"
DECIDED_ON = datetime.datetime(2025, 8, 1)
DATA_SHEETS = (review.ACROSS_SHEET, review.WITHIN_SHEET, review.SPOT_CHECK_SHEET)


@dataclass(frozen=True)
class Folders:
    root: Path

    @property
    def input(self) -> Path:
        return self.root / "input"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def ledger(self) -> Path:
        return self.root / "quyet_dinh" / LEDGER_FILE

    @property
    def review_dir(self) -> Path:
        return self.root / "ra_soat"

    @property
    def workbook(self) -> Path:
        return self.output / review.FILE_NAME


def _run(folders: Folders, command: str = "run") -> Result:
    args = [*command.split(), "--input", str(folders.input), "--output", str(folders.output)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result


def _records(folders: Folders) -> pd.DataFrame:
    records = pd.read_csv(folders.output / "records.csv", dtype=str, keep_default_na=False)
    return records[records["status"] == "accepted"]


def _indicators(folders: Folders) -> pd.DataFrame:
    table = pd.read_csv(folders.output / "indicators.csv", dtype=str, keep_default_na=False)
    return table[table["level"] == "province"].set_index("organization")


def _review_rows(path: Path) -> list[dict[str, Any]]:
    """Every record row of the review sheets, by header, with its sheet."""
    workbook = openpyxl.load_workbook(path)
    rows = []
    for sheet in workbook.worksheets:
        if sheet.title not in DATA_SHEETS:
            continue
        header, *table = sheet.iter_rows(values_only=True)
        rows += [
            {"sheet": sheet.title, **dict(zip(header, values, strict=True))}
            for values in table
            if values[0] is not None
        ]
    return rows


def _group_of(rows: list[dict[str, Any]], name: str, organization: str) -> str:
    (group,) = {
        row["Nhóm"]
        for row in rows
        if row[review.NAME_HEADER].casefold() == name.casefold()
        and row[review.ORGANIZATION_HEADER] == organization
    }
    return str(group)


def _fill(
    source: Path,
    target: Path,
    decisions: dict[str, tuple[str, str]],
    *,
    reviewer: str = REVIEWER,
) -> None:
    """Write decisions as a reviewer does: group -> (decision, organization kept
    as core or ""), on the group's first row only (it counts for the group)."""
    workbook = openpyxl.load_workbook(source)
    for sheet in workbook.worksheets:
        if sheet.title not in DATA_SHEETS:
            continue
        header = [cell.value for cell in sheet[1]]
        column = {name: header.index(name) + 1 for name in header}
        seen = set()
        for row in range(2, sheet.max_row + 1):
            group = sheet.cell(row, 1).value
            if group not in decisions or group in seen:
                continue
            seen.add(group)
            decision, keeps = decisions[group]
            sheet.cell(row, column[review.DECISION_HEADER], decision)
            sheet.cell(row, column[review.KEEPS_HEADER], keeps or None)
            sheet.cell(row, column[review.REVIEWER_HEADER], reviewer)
            sheet.cell(row, column[review.DATE_HEADER], DECIDED_ON)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)


def _truth_rows(truth: GroundTruth, person_key: str) -> list[TruthRow]:
    return [row for row in truth.rows if row.person_key == person_key]


def _insert_row(path: Path, sheet: str, at: int, values: tuple[Any, ...]) -> None:
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook[sheet]
    worksheet.insert_rows(at)
    for col, value in enumerate(values, start=1):
        worksheet.cell(at, col, value)
    workbook.save(path)


def _rows_of(path: Path, sheet: str) -> Iterator[tuple[int, list[Any]]]:
    workbook = openpyxl.load_workbook(path)
    for row in workbook[sheet].iter_rows():
        yield row[0].row, [cell.value for cell in row]


@dataclass
class Scenario:
    folders: Folders
    truth: GroundTruth
    # Persons planted as core in two organizations, linked by the engine.
    kept: str  # in Đoàn and Công đoàn; decided "same", Đoàn keeps the core
    corrected: str  # in Đoàn and another; decided, then its Đoàn row's name is corrected
    corrected_other: str  # the other organization's name, chosen to keep the core
    removed: str  # in Công đoàn and another; decided, then its Công đoàn row is deleted
    removed_other: str  # the other organization's name
    first_run: pd.DataFrame
    first_rows: list[dict[str, Any]]


def _two_org_duplicates(truth: GroundTruth, *files: str) -> list[str]:
    """Planted core duplicates listed by exactly two files, among them `files`."""
    chosen = []
    for key in truth.cross_org_core_duplicates:
        listed = {row.source_file for row in _truth_rows(truth, key)}
        if len(listed) == 2 and listed >= set(files):
            chosen.append(key)
    return chosen


def _other_organization(truth: GroundTruth, key: str, file: str) -> str:
    (other,) = {row.organization for row in _truth_rows(truth, key) if row.source_file != file}
    return SETTINGS.organization(other).name


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folders = Folders(tmp_path_factory.mktemp("review_loop"))
    truth = _plant_near_namesakes(folders)
    kept = _two_org_duplicates(truth, DOAN_FILE, CONGDOAN_FILE)[0]
    corrected = next(key for key in _two_org_duplicates(truth, DOAN_FILE) if key != kept)
    removed = next(
        key for key in _two_org_duplicates(truth, CONGDOAN_FILE) if key not in (kept, corrected)
    )
    _run(folders)
    return Scenario(
        folders=folders,
        truth=truth,
        kept=kept,
        corrected=corrected,
        corrected_other=_other_organization(truth, corrected, DOAN_FILE),
        removed=removed,
        removed_other=_other_organization(truth, removed, CONGDOAN_FILE),
        first_run=_records(folders),
        first_rows=_review_rows(folders.workbook),
    )


def _name(truth: GroundTruth, key: str) -> str:
    return truth.person(key).full_name


@dataclass
class SecondRun:
    records: pd.DataFrame
    rows: list[dict[str, Any]]
    output: str
    groups: dict[str, str]  # label -> group id in the first workbook
    records_csv: bytes


@pytest.fixture(scope="module")
def second_run(scenario: Scenario) -> SecondRun:
    folders, truth, rows = scenario.folders, scenario.truth, scenario.first_rows
    spot_group = next(row["Nhóm"] for row in rows if row["sheet"] == review.SPOT_CHECK_SHEET)
    groups = {
        "same": _group_of(rows, "Vũ Phương Thu", PHUNU),
        "different": _group_of(rows, "Phan Thanh Thư", PHUNU),
        "kept": _group_of(rows, _name(truth, scenario.kept), DOAN),
        "corrected": _group_of(rows, _name(truth, scenario.corrected), DOAN),
        "removed": _group_of(rows, _name(truth, scenario.removed), scenario.removed_other),
        "spot": str(spot_group),
    }
    # One reviewer fills the workbook where the run left it...
    _fill(
        folders.workbook,
        folders.workbook,
        {
            groups["kept"]: ("Cùng một người", DOAN),
            groups["corrected"]: ("Cùng một người", scenario.corrected_other),
        },
    )
    # ...another saves a renamed copy in the review folder.
    _fill(
        folders.workbook,
        folders.review_dir / "Rà soát xã Phước Thiền - đã điền.xlsx",
        {
            groups["same"]: ("Cùng một người", PHUNU),
            groups["different"]: ("Khác người", ""),
            groups["removed"]: ("Cùng một người", scenario.removed_other),
            groups["spot"]: ("Khác người", ""),
        },
        reviewer="Trần Thị Soát",
    )

    # The rosters change: Công đoàn re-sorted, a new Nông dân member on top,
    # one decided Đoàn name corrected, one decided Công đoàn row deleted.
    _reverse_data_rows(folders.input / CONGDOAN_FILE, "Đoàn viên CĐ", truth)
    _insert_row(
        folders.input / NONGDAN_FILE,
        "Danh sách",
        6,
        (None, "Lâm Văn Mới", "01-01-1980", None, "Ấp 2", "Phước Thiền", "Hội viên",
         "Chi hội Ấp 2", None, None),
    )  # fmt: skip
    _rename(
        folders.input / DOAN_FILE,
        "DS đoàn viên",
        _name(truth, scenario.corrected),
        _corrected(_name(truth, scenario.corrected)),
    )
    _delete(folders.input / CONGDOAN_FILE, "Đoàn viên CĐ", _name(truth, scenario.removed))

    result = _run(folders)
    return SecondRun(
        records=_records(folders),
        rows=_review_rows(folders.workbook),
        output=result.output,
        groups=groups,
        records_csv=(folders.output / "records.csv").read_bytes(),
    )


def _corrected(name: str) -> str:
    """The name with its last letter retyped: a typo fixed at the source."""
    return name[:-1] + ("n" if name[-1] != "n" else "m")


def _reverse_data_rows(path: Path, sheet: str, truth: GroundTruth) -> None:
    numbers = [row.row for row in truth.rows if row.source_file == path.name and row.sheet == sheet]
    first, last = min(numbers), max(numbers)
    workbook = openpyxl.load_workbook(path)
    worksheet = workbook[sheet]
    cells = [
        [(cell.value, cell.number_format) for cell in row]
        for row in worksheet.iter_rows(first, last)
    ]
    for offset, row_cells in enumerate(reversed(cells)):
        for col, (value, number_format) in enumerate(row_cells, start=1):
            # .value, not cell(row, col, value): the latter leaves a cell alone for None;
            # the format moves too, or a year would turn into a date.
            target = worksheet.cell(first + offset, col)
            target.value, target.number_format = value, number_format
    workbook.save(path)


def _find(path: Path, sheet: str, name: str) -> int:
    (row,) = [number for number, values in _rows_of(path, sheet) if name in values]
    return row


def _rename(path: Path, sheet: str, old: str, new: str) -> None:
    row = _find(path, sheet, old)
    workbook = openpyxl.load_workbook(path)
    workbook[sheet].cell(row, 2, new)
    workbook.save(path)


def _delete(path: Path, sheet: str, name: str) -> None:
    row = _find(path, sheet, name)
    workbook = openpyxl.load_workbook(path)
    workbook[sheet].delete_rows(row)
    workbook.save(path)


def _persons(records: pd.DataFrame, name: str) -> set[str]:
    return set(records.loc[records["full_name"].str.casefold() == name.casefold(), "person_id"])


def _rows_named(rows: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [row for row in rows if row[review.NAME_HEADER].casefold() == name.casefold()]


def test_the_first_workbook_offers_groups_to_decide(scenario: Scenario) -> None:
    rows = scenario.first_rows
    assert {row["sheet"] for row in rows} == set(DATA_SHEETS)
    review_group = _rows_named(rows, "Vũ Phương Thu")
    assert len(review_group) == 2
    assert {row[review.STATE_HEADER] for row in review_group} == {"Chờ rà soát"}
    # Every row carries its group and record keys for reading decisions back.
    assert all(row[review.GROUP_KEY_HEADER] == row["Nhóm"] for row in rows)
    assert all(str(row[review.RECORD_KEY_HEADER]).startswith("R") for row in rows)
    workbook = openpyxl.load_workbook(scenario.folders.workbook)
    sheet = workbook[review.ACROSS_SHEET]
    hidden = [
        column
        for dimension in sheet.column_dimensions.values()
        if dimension.hidden
        for column in range(dimension.min, dimension.max + 1)
    ]
    assert [sheet.cell(1, column).value for column in hidden] == [
        review.GROUP_KEY_HEADER,
        review.RECORD_KEY_HEADER,
    ]


def test_cross_organization_groups_go_by_commune_then_confidence(scenario: Scenario) -> None:
    across = [row for row in scenario.first_rows if row["sheet"] == review.ACROSS_SHEET]
    records = scenario.first_run.set_index(["source_file", "sheet", "row"])
    keys = []
    for row in across:
        # The writer stores every number as a decimal ("23.0"): openpyxl reads a float.
        line = str(int(row["Dòng"]))
        commune = records.loc[(row["Tệp"], row["Trang tính"], line), "commune"]
        keys.append((row["Nhóm"], fold(str(commune)), row["Xác suất"]))
    first_of_group = list(dict.fromkeys(group for group, _, _ in keys))
    commune_of: dict[str, str] = {}
    confidence_of: dict[str, float] = {}
    for group, commune, probability in keys:
        commune_of[group] = min(commune_of.get(group, commune), commune)
        confidence_of[group] = max(confidence_of.get(group, 0.0), probability or 0.0)
    order = [(commune_of[g], -confidence_of[g]) for g in first_of_group]
    assert order == sorted(order)


def test_same_person_decision_links_and_keeps_core(
    scenario: Scenario, second_run: SecondRun
) -> None:
    records = second_run.records
    assert len(_persons(scenario.first_run, "Vũ Phương Thu")) == 2
    assert len(_persons(records, "Vũ Phương Thu")) == 1
    rows = _rows_named(second_run.rows, "Vũ Phương Thu")
    assert {row[review.STATE_HEADER] for row in rows} == {"Đã quyết định"}
    assert all(
        row[review.PREVIOUS_HEADER]
        == f"Cùng một người; giữ nòng cốt: {PHUNU}; Trần Thị Soát, 01/08/2025"
        for row in rows
    )
    # The decision cells are left empty: only a change is written there.
    assert all(row[review.DECISION_HEADER] is None for row in second_run.rows)


def test_different_person_decision_keeps_records_apart(second_run: SecondRun) -> None:
    records = second_run.records
    assert len(_persons(records, "Phan Thanh Thư")) == 2
    rows = _rows_named(second_run.rows, "Phan Thanh Thư")
    assert {row[review.STATE_HEADER] for row in rows} == {"Đã quyết định"}
    assert {row["Nhóm"] for row in rows} == {second_run.groups["different"]}


def test_different_person_decision_splits_an_automatic_link(
    scenario: Scenario, second_run: SecondRun
) -> None:
    spot = [row for row in scenario.first_rows if row["Nhóm"] == second_run.groups["spot"]]
    names = {row[review.NAME_HEADER] for row in spot}
    before = set().union(*(_persons(scenario.first_run, name) for name in names))
    after = set().union(*(_persons(second_run.records, name) for name in names))
    assert len(before) == 1
    assert len(after) == len(spot)


def test_the_organization_chosen_keeps_the_person_as_core(
    scenario: Scenario, second_run: SecondRun
) -> None:
    name = _name(scenario.truth, scenario.kept)
    assert len(_persons(second_run.records, name)) == 1
    rows = _rows_named(second_run.rows, name)
    assert len(rows) == 2
    assert all(f"giữ nòng cốt: {DOAN}" in row[review.PREVIOUS_HEADER] for row in rows)
    assert {row[review.STATE_HEADER] for row in rows} == {"Đã quyết định"}


def test_a_corrected_name_is_flagged_for_review_with_the_old_decision(
    scenario: Scenario, second_run: SecondRun
) -> None:
    old = _name(scenario.truth, scenario.corrected)
    new = _corrected(old)
    rows = _rows_named(second_run.rows, old) + _rows_named(second_run.rows, new)
    assert {row[review.STATE_HEADER] for row in rows} == {"Cần xem lại"}
    note = rows[0][review.PREVIOUS_HEADER]
    assert f"họ tên đã sửa từ “{old}” thành “{new}”" in note
    kept_by = scenario.corrected_other
    assert f"Quyết định trước: Cùng một người; giữ nòng cốt: {kept_by}; {REVIEWER}" in note
    assert "Nhóm cần xem lại" in second_run.output


def test_a_deleted_record_is_reported_and_its_partner_flagged(
    scenario: Scenario, second_run: SecondRun
) -> None:
    name = _name(scenario.truth, scenario.removed)
    rows = _rows_named(second_run.rows, name)
    assert [row[review.ORGANIZATION_HEADER] for row in rows] == [scenario.removed_other]
    assert rows[0][review.STATE_HEADER] == "Cần xem lại"
    assert f"“{name}” ({CONGDOAN}, {CONGDOAN_FILE}" in rows[0][review.PREVIOUS_HEADER]
    assert "không còn trong danh sách" in rows[0][review.PREVIOUS_HEADER]
    assert "không còn trong danh sách" in second_run.output


def test_undecided_groups_are_still_pending(scenario: Scenario, second_run: SecondRun) -> None:
    decided = set(second_run.groups.values())
    pending_before = {
        (row[review.NAME_HEADER], row[review.ORGANIZATION_HEADER])
        for row in scenario.first_rows
        if row[review.STATE_HEADER] == "Chờ rà soát" and row["Nhóm"] not in decided
    }
    pending_after = {
        (row[review.NAME_HEADER], row[review.ORGANIZATION_HEADER])
        for row in second_run.rows
        if row[review.STATE_HEADER] == "Chờ rà soát"
    }
    assert pending_before
    assert pending_before <= pending_after


def test_untouched_people_keep_their_person_ids(scenario: Scenario, second_run: SecondRun) -> None:
    def ids(records: pd.DataFrame) -> dict[tuple[str, str, str], str]:
        return dict(
            zip(
                zip(
                    records["organization"],
                    records["full_name"],
                    records["birth_date"],
                    strict=True,
                ),
                records["person_id"],
                strict=True,
            )
        )

    touched = {
        _name(scenario.truth, scenario.corrected),
        _name(scenario.truth, scenario.removed),
        "Vũ Phương Thu",
        *(row[review.NAME_HEADER] for row in scenario.first_rows
          if row["Nhóm"] == second_run.groups["spot"]),
    }  # fmt: skip
    before, after = ids(scenario.first_run), ids(second_run.records)
    common = [key for key in before if key in after and key[1] not in touched]
    assert len(common) > 250
    assert all(before[key] == after[key] for key in common)


def test_the_ledger_keeps_every_decision_with_who_and_when(
    scenario: Scenario, second_run: SecondRun
) -> None:
    entries = [json.loads(line) for line in scenario.folders.ledger.read_text("utf-8").splitlines()]
    assert len(entries) == 6
    assert {entry["reviewer"] for entry in entries} == {REVIEWER, "Trần Thị Soát"}
    assert {entry["decided_on"] for entry in entries} == {"2025-08-01"}
    assert len({entry["batch"] for entry in entries}) == 1
    assert all(ref["fingerprint"].startswith("R") for e in entries for ref in e["records"])
    assert (scenario.folders.root / "quyet_dinh" / REGISTRY_FILE).exists()
    assert "6 quyết định mới được ghi" in second_run.output


def test_a_later_decision_supersedes_and_history_is_kept(
    scenario: Scenario, second_run: SecondRun
) -> None:
    folders = scenario.folders
    before = folders.ledger.read_bytes()
    # Running again reads the same copies: nothing new is recorded, and the
    # same rosters and decisions give the same bytes.
    assert "0 quyết định mới được ghi" in _run(folders).output
    assert folders.ledger.read_bytes() == before
    assert (folders.output / "records.csv").read_bytes() == second_run.records_csv

    group = next(
        row["Nhóm"]
        for row in _review_rows(folders.workbook)
        if row[review.NAME_HEADER] == "Phan Thanh Thư"
    )
    _fill(
        folders.workbook,
        folders.workbook,
        {group: ("Cùng một người", PHUNU)},
        reviewer="Lê Văn Sau",
    )
    result = _run(folders)
    assert "1 quyết định mới được ghi" in result.output
    after = folders.ledger.read_bytes()
    assert after.startswith(before)  # appended, never rewritten
    assert len(_persons(_records(folders), "Phan Thanh Thư")) == 1
    entries = [json.loads(line) for line in after.decode("utf-8").splitlines()]
    about = [e for e in entries if any(r["full_name"] == "Phan Thanh Thư" for r in e["records"])]
    assert [e["records"][0]["verdict"] for e in about] == ["different", "same"]


def test_review_status_counts_groups_by_state(scenario: Scenario, second_run: SecondRun) -> None:
    result = _run(scenario.folders, "review status")
    assert "Cần xem lại: 2" in result.output
    assert "Theo tổ chức" in result.output and "Theo xã, phường" in result.output
    assert "Đoàn TNCS Hồ Chí Minh" in result.output


def _plant_near_namesakes(folders: Folders) -> GroundTruth:
    """Example rosters plus two Phụ nữ rows resembling Đoàn members: the birth
    year is one off, so the engine asks a reviewer instead of linking."""
    truth = generate_rosters(folders.input)
    for values in (
        (None, "Vũ Phương Thu", 2001, "Ấp 2", None, "Chi hội Ấp 2", "Tổ trưởng", "x", None, None),
        (None, "Phan Thanh Thư", 2005, "Ấp 3", None, "Chi hội Ấp 3", "Hội viên", "x", "x", None),
    ):
        _insert_row(folders.input / PHUNU_FILE, "Phước Thiền", 4, values)
    return truth


def test_indicators_count_a_kept_core_member_once_for_the_keeping_organization(
    tmp_path: Path,
) -> None:
    folders = Folders(tmp_path)
    truth = generate_rosters(folders.input)
    kept = _two_org_duplicates(truth, DOAN_FILE, CONGDOAN_FILE)[0]
    _run(folders)
    before = _indicators(folders)
    group = _group_of(_review_rows(folders.workbook), _name(truth, kept), DOAN)
    _fill(folders.workbook, folders.workbook, {group: ("Cùng một người", DOAN)})
    _run(folders)
    after = _indicators(folders)

    def change(organization: str, column: str) -> int:
        return int(str(after.loc[organization, column])) - int(
            str(before.loc[organization, column])
        )

    assert change("doan", "core_members_after") == 1
    assert change("congdoan", "core_members_after") == 0
    assert change("all", "core_undecided") == -1
    assert change("all", "core_members_after") == 0


def test_conflicting_copies_are_shown_for_resolution_not_settled(tmp_path: Path) -> None:
    folders = Folders(tmp_path)
    _plant_near_namesakes(folders)
    _run(folders)
    group = _group_of(_review_rows(folders.workbook), "Vũ Phương Thu", PHUNU)
    _fill(folders.workbook, folders.review_dir / "ban_a.xlsx", {group: ("Cùng một người", "")})
    _fill(
        folders.workbook,
        folders.review_dir / "ban_b.xlsx",
        {group: ("Khác người", "")},
        reviewer="B",
    )
    result = _run(folders)
    rows = _rows_named(_review_rows(folders.workbook), "Vũ Phương Thu")
    assert {row[review.STATE_HEADER] for row in rows} == {"Cần xem lại"}
    assert "Hai quyết định ghi khác nhau" in rows[0][review.PREVIOUS_HEADER]
    assert "ban_a.xlsx" in rows[0][review.PREVIOUS_HEADER]
    assert "Nhóm cần xem lại: 1" in result.output
    # Neither decision is applied: the engine's proposal (two persons) stands.
    assert len(_persons(_records(folders), "Vũ Phương Thu")) == 2

    # A decision in a later run settles it; both earlier ones stay in the ledger.
    group = rows[0]["Nhóm"]
    _fill(folders.workbook, folders.workbook, {group: ("Cùng một người", PHUNU)}, reviewer="C")
    _run(folders)
    rows = _rows_named(_review_rows(folders.workbook), "Vũ Phương Thu")
    assert {row[review.STATE_HEADER] for row in rows} == {"Đã quyết định"}
    assert len(_persons(_records(folders), "Vũ Phương Thu")) == 1
    assert len(folders.ledger.read_text("utf-8").splitlines()) == 3


def _write_cells(source: Path, target: Path, group: str, cells: dict[str, list[Any]]) -> None:
    """Write the given values, row after row, into the group's rows."""
    workbook = openpyxl.load_workbook(source)
    for sheet in workbook.worksheets:
        if sheet.title not in DATA_SHEETS:
            continue
        header = [cell.value for cell in sheet[1]]
        rows = [row for row in range(2, sheet.max_row + 1) if sheet.cell(row, 1).value == group]
        for name, values in cells.items():
            for row, value in zip(rows, values, strict=False):
                sheet.cell(row, header.index(name) + 1, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)


def test_a_corrupt_or_half_filled_workbook_loses_no_recorded_decision(tmp_path: Path) -> None:
    folders = Folders(tmp_path)
    truth = generate_rosters(folders.input)
    first, second, third = _two_org_duplicates(truth, DOAN_FILE)[:3]
    _run(folders)
    rows = _review_rows(folders.workbook)
    decided = _group_of(rows, _name(truth, first), DOAN)
    keeps = _other_organization(truth, first, DOAN_FILE)
    _fill(folders.workbook, folders.workbook, {decided: ("Cùng một người", keeps)})
    assert "1 quyết định mới được ghi" in _run(folders).output
    recorded = folders.ledger.read_bytes()

    half = folders.review_dir / "do_dang.xlsx"
    _write_cells(
        folders.workbook,
        half,
        _group_of(rows, _name(truth, second), DOAN),
        {review.KEEPS_HEADER: [DOAN]},
    )
    _write_cells(
        half, half, _group_of(rows, _name(truth, third), DOAN), {review.DECISION_HEADER: ["Có lẽ"]}
    )
    shutil.copy(folders.workbook, folders.review_dir / "ban_sao.xlsx")
    folders.workbook.write_bytes(bytes(range(256)) * 16)  # random bytes under the workbook's name

    result = _run(folders)
    assert f"Không đọc được tệp rà soát '{folders.workbook}'" in result.output
    assert "chưa chọn “Quyết định”" in result.output
    assert "không hiểu quyết định “Có lẽ”" in result.output
    assert "Traceback" not in result.output
    assert folders.ledger.read_bytes() == recorded  # nothing lost, nothing half-recorded
    rows = _rows_named(_review_rows(folders.workbook), _name(truth, first))
    assert {row[review.STATE_HEADER] for row in rows} == {"Đã quyết định"}
    problems = openpyxl.load_workbook(folders.output / "Lỗi dữ liệu.xlsx")["Tệp không đọc được"]
    messages = [row[8] for row in problems.iter_rows(min_row=2, values_only=True)]
    assert any(str(message).startswith("Không đọc được tệp rà soát") for message in messages)
