"""The summary workbook and the mobilization book, read back and compared with
indicators.csv: what people read and what tools read must be the same figures."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.indicators import ALL_ORGANIZATIONS, RATES
from pipeline.stages.report import RunFacts, report
from pipeline.synthetic import generate_rosters
from pipeline.tables import (
    COMMUNE_HEADER,
    POPULATION_FILE,
    TOTALS_FILE,
    write_population_template,
    write_totals_template,
)
from pipeline.workbooks import mobilization, summary
from pipeline.workbooks.display import UNDECIDED, organization_names
from pipeline.workbooks.style import VIETNAMESE
from tests.test_report import PROBLEMS, SETTINGS, SHEETS, build_pairs, build_records

NAMES = {**organization_names(SETTINGS), ALL_ORGANIZATIONS: summary.ALL_LABEL}


def _core_only_phunu() -> pd.DataFrame:
    records = build_records()
    phunu = records["organization"] == "phunu"
    records.loc[phunu, "core_column_present"] = False
    records.loc[phunu, "is_core"] = True
    return records


def _fill(path: Path, values: dict[str, int]) -> None:
    """Fill a template as an analyst does: a figure in each yellow cell of the
    named organizations' columns."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.active
    header = next(c.row for row in sheet.iter_rows() for c in row if c.value == COMMUNE_HEADER)
    columns = {c.value: c.column for c in sheet[header]}
    for row in range(header + 1, sheet.max_row + 1):
        for name, value in values.items():
            sheet.cell(row, columns[name], value + row)
    workbook.save(path)


@pytest.fixture(scope="module")
def with_tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """report() on the hand-made records, Phụ nữ sending only its core list,
    with both optional tables filled in from the templates."""
    folder = tmp_path_factory.mktemp("tables")
    communes = [("Huyện Long Thành", "Xã An Phước"), ("Huyện Long Thành", "Xã Long Đức")]
    population, totals = folder / POPULATION_FILE, folder / TOTALS_FILE
    write_population_template(population, SETTINGS, communes)
    _fill(population, {NAMES["doan"]: 1000, NAMES["phunu"]: 2000, NAMES["nongdan"]: 3000})
    write_totals_template(totals, SETTINGS, communes, ["phunu"])
    _fill(totals, {NAMES["phunu"]: 1500})
    output = folder / "output"
    report(
        _core_only_phunu(),
        build_pairs(),
        PROBLEMS,
        SHEETS,
        SETTINGS,
        output,
        population_table=population,
        totals_table=totals,
        run=RunFacts(stage_seconds={"Đọc danh sách": 1.5, "So khớp": 1234.25}, decisions_applied=3),
    )
    return output


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CLI run on the example rosters."""
    input_dir = tmp_path_factory.mktemp("input")
    generate_rosters(input_dir)
    output = tmp_path_factory.mktemp("output")
    result = CliRunner().invoke(main, ["run", "--input", str(input_dir), "--output", str(output)])
    assert result.exit_code == 0, result.output
    return output


def _indicators(output: Path) -> pd.DataFrame:
    return pd.read_csv(
        output / "indicators.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )


def _shown(value: str, column: str) -> object:
    """A CSV value as the workbook shows it."""
    if value == "":
        return summary.NOT_AVAILABLE
    return float(value) if column in RATES else int(value)


def _sheet(output: Path, name: str) -> list[tuple[Any, ...]]:
    workbook = openpyxl.load_workbook(output / summary.FILE_NAME)
    return [tuple(row) for row in workbook[name].iter_rows(values_only=True)]


def _level_rows(output: Path) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """Every row of the two level sheets, keyed like the CSV rows they show."""
    csv = _indicators(output)
    province = csv.loc[csv["level"] == "province", "unit"].iloc[0]
    found: dict[tuple[str, ...], tuple[Any, ...]] = {}
    for row in _sheet(output, summary.DISTRICT_SHEET)[1:]:
        district, organization, *values = row
        key = (
            ("province", province) if district == summary.PROVINCE_TOTAL else ("district", district)
        )
        found[(*key, organization)] = tuple(values)
    for row in _sheet(output, summary.COMMUNE_SHEET)[1:]:
        district, commune, organization, *values = row
        if district == summary.PROVINCE_TOTAL:
            key: tuple[str, ...] = ("province", province)
        elif commune == summary.DISTRICT_TOTAL:
            key = ("district", district)
        else:
            key = ("commune", district, commune)
        assert found.setdefault((*key, organization), tuple(values)) == tuple(values), key
    return found


def assert_workbooks_agree_with_the_csv(output: Path) -> None:
    csv = _indicators(output)
    rows = _level_rows(output)
    expected_keys = set()
    for record in csv.to_dict("records"):
        place = (
            (record["unit"],)
            if record["level"] != "commune"
            else (
                record["district"],
                record["unit"],
            )
        )
        key = (record["level"], *place, NAMES.get(record["organization"], record["organization"]))
        expected_keys.add(key)
        shown = tuple(_shown(record[name], name) for name, _ in summary.DETAIL_COLUMNS)
        assert rows[key] == shown, key
    assert set(rows) == expected_keys

    province = csv[csv["level"] == "province"].set_index("organization")
    everyone = province.loc[ALL_ORGANIZATIONS]
    body = _sheet(output, summary.SUMMARY_SHEET)
    by_label = {row[0]: row for row in body if row[0]}
    for label, before, after in summary.PROVINCE_COUNTS:
        first, second = _shown(everyone[before], before), _shown(everyone[after], after)
        change = second - first if isinstance(first, int) and isinstance(second, int) else "—"
        assert by_label[label][:4] == (label, first, second, change), label
    for label, before, after in summary.PROVINCE_RATES:
        first, second = _shown(everyone[before], before), _shown(everyone[after], after)
        points = (
            round((second - first) * 100, 2)
            if isinstance(first, float) and isinstance(second, float)
            else "—"
        )
        assert by_label[label][:4] == (label, first, second, points), label
    for code, record in province.iterrows():
        row = by_label[NAMES.get(str(code), str(code))]
        for (_, column, _), value in zip(summary.ORGANIZATION_COLUMNS, row[1:], strict=False):
            if isinstance(column, str):
                assert value == _shown(record[column], column), (code, column)
    undecided = by_label[summary.UNDECIDED_LABEL]
    columns = [column for _, column, _ in summary.ORGANIZATION_COLUMNS]
    assert undecided[1 + columns.index("core_members_after")] == int(everyone["core_undecided"])

    overlap = _sheet(output, summary.OVERLAP_SHEET)
    three = next(
        row[0] for row in overlap if str(row[0]).startswith("Số người là nòng cốt của từ ba")
    )
    assert three.endswith(f": {int(everyone['core_three_plus'])}.")


def assert_the_mobilization_book_matches_the_indicators(output: Path) -> None:
    csv = _indicators(output)
    communes = csv[(csv["level"] == "commune") & (csv["organization"] == ALL_ORGANIZATIONS)]
    expected = {
        (d, u): (int(core), int(undecided))
        for d, u, core, undecided in communes[
            ["district", "unit", "core_members_after", "core_undecided"]
        ].itertuples(index=False)
        if int(core)
    }
    workbook = openpyxl.load_workbook(output / mobilization.FILE_NAME)
    index = [tuple(row) for row in workbook[mobilization.INDEX_SHEET].iter_rows(values_only=True)]
    header = next(n for n, row in enumerate(index) if row[0] == "Huyện")
    listed = {(row[0], row[1]): (row[2], row[3]) for row in index[header + 1 :]}
    assert listed == expected
    persons: list[str] = []
    for row in index[header + 1 :]:
        sheet = [tuple(r) for r in workbook[row[4]].iter_rows(values_only=True)]
        top = next(n for n, r in enumerate(sheet) if r[0] == "STT")
        members = sheet[top + 1 :]
        assert len(members) == row[2]
        assert sum(member[1] == UNDECIDED for member in members) == row[3]
        persons += [member[-1] for member in members if member[-1]]
    assert len(persons) == len(set(persons)), "a person listed twice"


def test_the_summary_workbook_agrees_with_indicators_csv(with_tables: Path, examples: Path) -> None:
    for output in (with_tables, examples):
        assert_workbooks_agree_with_the_csv(output)


def test_the_mobilization_book_lists_each_core_member_once_where_counted(
    with_tables: Path, examples: Path
) -> None:
    for output in (with_tables, examples):
        assert_the_mobilization_book_matches_the_indicators(output)


def test_the_tables_feed_the_figures(with_tables: Path) -> None:
    csv = _indicators(with_tables).set_index(["level", "unit", "organization"])
    # Template rows are numbered from the header: the filled figure is value + Excel row.
    an_phuoc = csv.loc[("commune", "Xã An Phước", "phunu")]
    assert int(an_phuoc["members"]) > 1500
    assert an_phuoc["population"] != "" and an_phuoc["mass_share"] != ""
    run = _sheet(with_tables, summary.RUN_SHEET)
    tables = [row[0] for row in run if row[0] and "đã dùng số liệu của 2 xã" in str(row[0])]
    assert len(tables) == 2


def test_the_summary_workbook_has_its_sheets_charts_and_print_setup(with_tables: Path) -> None:
    path = with_tables / summary.FILE_NAME
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == [
        summary.SUMMARY_SHEET,
        summary.DISTRICT_SHEET,
        summary.COMMUNE_SHEET,
        summary.OVERLAP_SHEET,
        summary.RUN_SHEET,
    ]
    for sheet in workbook.worksheets:
        assert sheet.page_setup.paperSize == 9, sheet.title  # A4
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # One page wide (1 is the default, left unwritten), as many pages tall as needed.
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet.print_title_rows, sheet.title  # header repeated on every page
    assert workbook[summary.COMMUNE_SHEET].page_setup.orientation == "landscape"
    with zipfile.ZipFile(path) as archive:
        charts = [archive.read(n).decode() for n in archive.namelist() if "charts/chart" in n]
    assert len(charts) == 2
    assert any("'Tổng hợp'!" in chart for chart in charts)
    assert any("'Trùng nòng cốt'!" in chart for chart in charts)


def test_numbers_are_formatted_the_vietnamese_way(with_tables: Path) -> None:
    workbook = openpyxl.load_workbook(with_tables / summary.FILE_NAME)
    sheet = workbook[summary.COMMUNE_SHEET]
    header = [c.value for c in sheet[1]]
    members = sheet.cell(2, header.index("Đoàn viên, hội viên") + 1)
    share = sheet.cell(2, header.index("Tỷ lệ nòng cốt") + 1)
    assert members.number_format == f"{VIETNAMESE}#,##0"
    assert share.number_format == f"{VIETNAMESE}0.0%"
    formats = {c.number_format for row in workbook[summary.SUMMARY_SHEET].iter_rows() for c in row}
    assert f'{VIETNAMESE}+0.0" điểm %";-0.0" điểm %";0.0" điểm %"' in formats
    assert f"{VIETNAMESE}+#,##0;-#,##0;0" in formats
    stages = {row[0]: row for row in _sheet(with_tables, summary.RUN_SHEET) if row[0]}
    assert stages["So khớp"][1] == 1234.25


def test_every_cell_from_input_text_is_text_never_a_formula(tmp_path: Path) -> None:
    records = build_records()
    tricky = {
        "r10": {"commune_name": "=1+1"},  # a commune name
        "r11": {"position": "@SUM(A1)", "branch": "+Chi hội 3", "address": "-Ấp 5"},
        "r07": {"phone_norm": "", "phone": "=HYPERLINK(1)"},
    }
    for record_id, values in tricky.items():
        for column, value in values.items():
            records.loc[records["record_id"] == record_id, column] = value
    report(records, build_pairs(), PROBLEMS, SHEETS, SETTINGS, tmp_path)
    found = set()
    for path in tmp_path.rglob("*.xlsx"):
        for sheet in openpyxl.load_workbook(path).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (path.name, sheet.title, cell.coordinate)
                    if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                        found.add(cell.value)
    assert {"=Phạm Thị Dung", "=1+1", "@SUM(A1)", "+Chi hội 3"} <= found
