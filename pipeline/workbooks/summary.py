"""Tổng hợp chỉ tiêu.xlsx: the directive's indicators, before and after reconciliation.

Every figure comes from the indicators DataFrame (pipeline.indicators), the
same one written to indicators.csv, and the overlap matrix computed with it.
Sheets: the province summary with charts, one sheet per level whose totals
add up (district totals after their communes, the province after the
districts), the overlap between organizations, and the run report.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import pandas as pd
from rvgsrust_xlsxwriter import Chart, ChartDataLabel, ChartFormat, ChartSeries
from xlsxwriter.utility import quote_sheetname, xl_range_abs

from pipeline.indicators import ALL_ORGANIZATIONS, RATES
from pipeline.settings import Settings
from pipeline.workbooks.display import organization_names, vi_number
from pipeline.workbooks.style import VIETNAMESE, Book, Cell, Column, Kind, Sheet, open_book

FILE_NAME = "Tổng hợp chỉ tiêu.xlsx"
SUMMARY_SHEET = "Tổng hợp"
DISTRICT_SHEET = "Theo huyện"
COMMUNE_SHEET = "Theo xã"
OVERLAP_SHEET = "Trùng nòng cốt"
RUN_SHEET = "Báo cáo lần chạy"
ALL_LABEL = "Tất cả tổ chức"
UNDECIDED_LABEL = "Chưa quyết định"
PROVINCE_TOTAL = "Toàn tỉnh"
DISTRICT_TOTAL = "Cộng huyện"
NOT_AVAILABLE = "—"

# Province, all organizations: (label, before column, after column).
PROVINCE_COUNTS = (
    ("Đoàn viên, hội viên", "members", "members_after"),
    ("Nòng cốt", "core_members", "core_members_after"),
    ("Nòng cốt sinh hoạt thường xuyên", "core_regular", "core_regular_after"),
    ("Nòng cốt đi làm ăn xa", "core_away", "core_away_after"),
    ("Nòng cốt chưa có địa chỉ", "core_missing_address", "core_missing_address_after"),
    ("Nòng cốt chưa có chức vụ, vị trí", "core_missing_position", "core_missing_position_after"),
    # Before: as the rosters say; after: those still awaiting a decision.
    ("Người là nòng cốt của từ hai tổ chức trở lên", "core_shared", "core_undecided"),
    ("Dân số trong độ tuổi", "population", "population"),
)
PROVINCE_RATES = (
    ("Tỷ lệ tập hợp quần chúng trong độ tuổi", "mass_share", "mass_share_after"),
    ("Tỷ lệ lực lượng nòng cốt", "core_share", "core_share_after"),
    ("Tỷ lệ nòng cốt sinh hoạt thường xuyên", "regular_share", "regular_share_after"),
)
# Per organization on the summary sheet: (header, indicator column, kind).
# A change column is ("…", (before, after), kind).
ORGANIZATION_COLUMNS: tuple[tuple[str, str | tuple[str, str], Kind], ...] = (
    ("Đoàn viên, hội viên trước đối soát", "members", Kind.INTEGER),
    ("Đoàn viên, hội viên sau đối soát", "members_after", Kind.INTEGER),
    ("Nòng cốt trước đối soát", "core_members", Kind.INTEGER),
    ("Nòng cốt sau đối soát", "core_members_after", Kind.INTEGER),
    ("Nòng cốt: chênh lệch", ("core_members", "core_members_after"), Kind.CHANGE),
    ("Nòng cốt chờ quyết định", "core_undecided", Kind.INTEGER),
    ("Nòng cốt SHTX trước đối soát", "core_regular", Kind.INTEGER),
    ("Nòng cốt SHTX sau đối soát", "core_regular_after", Kind.INTEGER),
    ("Tỷ lệ nòng cốt trước đối soát", "core_share", Kind.PERCENT),
    ("Tỷ lệ nòng cốt sau đối soát", "core_share_after", Kind.PERCENT),
    ("Tỷ lệ nòng cốt: chênh lệch", ("core_share", "core_share_after"), Kind.POINTS),
    ("Tỷ lệ SHTX trước đối soát", "regular_share", Kind.PERCENT),
    ("Tỷ lệ SHTX sau đối soát", "regular_share_after", Kind.PERCENT),
    ("Tỷ lệ SHTX: chênh lệch", ("regular_share", "regular_share_after"), Kind.POINTS),
    ("Tỷ lệ tập hợp trước đối soát", "mass_share", Kind.PERCENT),
    ("Tỷ lệ tập hợp sau đối soát", "mass_share_after", Kind.PERCENT),
)
# The level sheets: (indicator column, header); rates are the columns in RATE_HEADERS.
DETAIL_COLUMNS = (
    ("members", "Đoàn viên, hội viên"),
    ("members_after", "Đoàn viên, hội viên sau đối soát"),
    ("core_members", "Nòng cốt"),
    ("core_members_after", "Nòng cốt sau đối soát"),
    ("core_undecided", "Nòng cốt chờ quyết định"),
    ("core_regular", "Nòng cốt SHTX"),
    ("core_regular_after", "Nòng cốt SHTX sau đối soát"),
    ("core_away", "Nòng cốt đi làm ăn xa"),
    ("core_missing_address", "Nòng cốt chưa có địa chỉ"),
    ("core_missing_position", "Nòng cốt chưa có chức vụ"),
    ("core_shared", "Nòng cốt của từ 2 tổ chức"),
    ("population", "Dân số trong độ tuổi"),
    ("mass_share", "Tỷ lệ tập hợp"),
    ("core_share", "Tỷ lệ nòng cốt"),
    ("core_share_after", "Tỷ lệ nòng cốt sau đối soát"),
    ("regular_share", "Tỷ lệ SHTX"),
    ("regular_share_after", "Tỷ lệ SHTX sau đối soát"),
)
RATE_COLUMNS = frozenset(RATES) & {name for name, _ in DETAIL_COLUMNS}
CHART_COLOURS = ("#9DC3E6", "#2E75B6")
Record = Mapping[Hashable, Any]  # one row of the indicators, as DataFrame.to_dict gives it

NOTES = (
    "Trước đối soát: số liệu như các tổ chức báo cáo; một người có tên trong danh sách của "
    "nhiều tổ chức được tính ở mỗi tổ chức.",
    "Sau đối soát: mỗi người được tính một lần. Người là nòng cốt của nhiều tổ chức được tính là "
    "nòng cốt của tổ chức được chọn giữ khi rà soát; khi chưa có quyết định, người đó được tính "
    f"một lần ở dòng “{UNDECIDED_LABEL}” và ở cột “Nòng cốt chờ quyết định” của từng tổ chức đó.",
    "Tỷ lệ tập hợp quần chúng trong độ tuổi = đoàn viên, hội viên / dân số trong độ tuổi; "
    "tỷ lệ lực lượng nòng cốt = nòng cốt / đoàn viên, hội viên; tỷ lệ nòng cốt sinh hoạt "
    "thường xuyên (SHTX) = nòng cốt SHTX / nòng cốt. Chênh lệch của tỷ lệ tính bằng điểm "
    "phần trăm (điểm %).",
    f"Ô “{NOT_AVAILABLE}”: không có số liệu (chưa có bảng số liệu cần thiết, hoặc không có "
    "mẫu số để tính tỷ lệ); không phải số 0.",
)


@dataclass(frozen=True)
class RunSheet:
    """The run report, as `report` assembles it."""

    figures: Sequence[tuple[str, Cell]]  # (what, how many); None: not known
    files: Sequence[tuple[str, str]]  # (file, what happened to it)
    stages: Sequence[tuple[str, float]]  # (stage, seconds)
    tables: Sequence[str]  # one line per optional table: read, absent, problems


def write_summary(
    indicators: pd.DataFrame,
    overlap: pd.DataFrame,
    settings: Settings,
    target: Path,
    *,
    notes: Sequence[str] = (),
    run: RunSheet | None = None,
) -> None:
    """Write the summary workbook; `notes` add run-specific explanations
    (organizations sending core lists only, unplaced units)."""
    names = {**organization_names(settings), ALL_ORGANIZATIONS: ALL_LABEL}
    shown = indicators.assign(
        organization=[names.get(org, org) for org in indicators["organization"].tolist()]
    )
    levels = {level: part for level, part in shown.groupby("level", sort=False)}
    empty = shown.iloc[0:0]
    province = levels.get("province", empty)
    districts = levels.get("district", empty)
    with open_book(target, "Tổng hợp chỉ tiêu", stream=False) as book:
        _write_province(book, province, [*NOTES, *notes])
        detail = [
            Column(
                header, Kind.PERCENT if name in RATE_COLUMNS else Kind.INTEGER, 8.5, NOT_AVAILABLE
            )
            for name, header in DETAIL_COLUMNS
        ]
        book.table_sheet(
            DISTRICT_SHEET,
            [Column("Huyện", width=18), Column("Tổ chức", width=22), *detail],
            _district_rows(districts, province),
            band_by=0,
            emphasize=_is_total,
        )
        book.table_sheet(
            COMMUNE_SHEET,
            [
                Column("Huyện", width=16),
                Column("Xã", width=18),
                Column("Tổ chức", width=22),
                *detail,
            ],
            _commune_rows(levels.get("commune", empty), districts, province),
            band_by=1,
            emphasize=_is_total,
        )
        _write_overlap(book, overlap, province, names)
        if run is not None:
            _write_run(book, run)


def _value(record: Record, name: str) -> Cell:
    value = record[name]
    return None if value is None or pd.isna(value) else value


def _write_province(book: Book, province: pd.DataFrame, notes: Sequence[str]) -> None:
    sheet = book.sheet(SUMMARY_SHEET)
    unit = str(province["unit"].iloc[0]) if len(province) else ""
    sheet.heading(f"Tổng hợp chỉ tiêu lực lượng nòng cốt – {unit}")
    records = {str(r["organization"]): r for r in province.to_dict("records")}
    everyone = records.get(ALL_LABEL, {})

    def compared(rows: Sequence[tuple[str, str, str]], points: bool) -> Iterator[list[Cell]]:
        for label, before, after in rows:
            first, second = _value(everyone, before), _value(everyone, after)
            yield [label, first, second, _change(first, second, points=points)]

    sheet.table(
        [
            Column("Toàn tỉnh, tất cả tổ chức", width=44),
            Column("Trước đối soát", Kind.INTEGER, 13, NOT_AVAILABLE),
            Column("Sau đối soát", Kind.INTEGER, 13, NOT_AVAILABLE),
            Column("Chênh lệch", Kind.CHANGE, 13, NOT_AVAILABLE),
        ],
        compared(PROVINCE_COUNTS, points=False),
    )
    sheet.skip_row()
    sheet.table(
        [
            Column("Tỷ lệ", width=44),
            Column("Trước đối soát", Kind.PERCENT, 13, NOT_AVAILABLE),
            Column("Sau đối soát", Kind.PERCENT, 13, NOT_AVAILABLE),
            Column("Chênh lệch (điểm %)", Kind.POINTS, 13, NOT_AVAILABLE),
        ],
        compared(PROVINCE_RATES, points=True),
    )
    sheet.skip_row()
    sheet.heading("Theo tổ chức, toàn tỉnh")
    header_row = sheet.next_row
    organizations = [r for name, r in records.items() if name != ALL_LABEL]
    rows = [_organization_row(r) for r in organizations]
    if everyone:
        rows.append(_undecided_row(everyone))
        rows.append(_organization_row(everyone))
    sheet.table(
        [
            Column("Tổ chức", width=24),
            *(
                # A change of rate reads "+12,5 điểm %": wider than its neighbours.
                Column(header, kind, 12.5 if kind is Kind.POINTS else 10.5, NOT_AVAILABLE)
                for header, _, kind in ORGANIZATION_COLUMNS
            ),
        ],
        rows,
        emphasize=_is_total,
    )
    sheet.skip_row()
    sheet.notes(notes)
    if organizations:
        _core_chart(sheet, header_row, len(organizations))


def _organization_row(record: Record) -> list[Cell]:
    cells: list[Cell] = [str(record["organization"])]
    for _, column, kind in ORGANIZATION_COLUMNS:
        if isinstance(column, tuple):
            first, second = (_value(record, name) for name in column)
            cells.append(_change(first, second, points=kind is Kind.POINTS))
        else:
            cells.append(_value(record, column))
    return cells


def _undecided_row(everyone: Record) -> list[Cell]:
    """The undecided, counted once: only their number of core members is theirs."""
    cells: list[Cell] = [UNDECIDED_LABEL]
    for _, column, _kind in ORGANIZATION_COLUMNS:
        if column in ("core_members_after", "core_undecided"):
            cells.append(_value(everyone, "core_undecided"))
        else:
            cells.append("")  # not a missing figure: there is nothing to show
    return cells


def _change(before: Cell, after: Cell, *, points: bool) -> Cell:
    if not isinstance(before, int | float) or not isinstance(after, int | float):
        return None
    # Rates change in percentage points, rounded like the rates themselves.
    return round((after - before) * 100, 2) if points else after - before


def _core_chart(sheet: Sheet, header_row: int, organizations: int) -> None:
    """Core members by organization, before and after (the table's rows)."""
    first, last = header_row + 1, header_row + organizations
    columns = [column for _, column, _ in ORGANIZATION_COLUMNS]
    before = 1 + columns.index("core_members")
    chart = Chart("column")
    for col, label, colour in (
        (before, "Trước đối soát", CHART_COLOURS[0]),
        (before + 1, "Sau đối soát", CHART_COLOURS[1]),
    ):
        chart.push_series(_series(SUMMARY_SHEET, first, last, col, label, colour))
    chart.set_title_name("Nòng cốt theo tổ chức, trước và sau đối soát")
    # The binding has the axis methods but leaves them out of its type stubs.
    chart.set_y_axis_num_format(f"{VIETNAMESE}#,##0")  # type: ignore[attr-defined]
    chart.set_y_axis_major_gridlines(True)  # type: ignore[attr-defined]
    chart.set_legend_position("bottom")
    chart.set_width(760)
    chart.set_height(340)
    sheet.worksheet.insert_chart(sheet.next_row + 1, 0, chart)


def _series(sheet: str, first: int, last: int, col: int, label: str, colour: str) -> ChartSeries:
    """Rows first…last of column `col`, named by the first column, each bar labelled."""
    name = quote_sheetname(sheet)
    series = ChartSeries()
    series.set_name(label)
    series.set_categories(f"={name}!{xl_range_abs(first, 0, last, 0)}")
    series.set_values(f"={name}!{xl_range_abs(first, col, last, col)}")
    fill = ChartFormat()
    fill.set_fill_color(colour)
    series.set_format(fill)
    labels = ChartDataLabel()
    labels.show_value()
    labels.set_num_format(f"{VIETNAMESE}#,##0")
    series.set_data_label(labels)
    return series


def _is_total(cells: Sequence[Cell]) -> bool:
    return any(cell in (PROVINCE_TOTAL, DISTRICT_TOTAL, ALL_LABEL) for cell in cells[:3])


def _detail(record: Record) -> list[Cell]:
    return [str(record["organization"]), *(_value(record, name) for name, _ in DETAIL_COLUMNS)]


def _district_rows(districts: pd.DataFrame, province: pd.DataFrame) -> Iterator[list[Cell]]:
    for record in districts.to_dict("records"):
        yield [str(record["unit"]), *_detail(record)]
    for record in province.to_dict("records"):
        yield [PROVINCE_TOTAL, *_detail(record)]


def _commune_rows(
    communes: pd.DataFrame, districts: pd.DataFrame, province: pd.DataFrame
) -> Iterator[list[Cell]]:
    """Each district's communes, then the district's total; the province last."""
    totals = {name: part for name, part in districts.groupby("unit", sort=False)}
    for district, part in communes.groupby("district", sort=False):
        for record in part.to_dict("records"):
            yield [str(district), str(record["unit"]), *_detail(record)]
        for record in totals[district].to_dict("records"):
            yield [str(district), DISTRICT_TOTAL, *_detail(record)]
    for record in province.to_dict("records"):
        yield [PROVINCE_TOTAL, "", *_detail(record)]


def _write_overlap(
    book: Book, overlap: pd.DataFrame, province: pd.DataFrame, names: dict[str, str]
) -> None:
    sheet = book.sheet(OVERLAP_SHEET, landscape=False)
    sheet.heading("Người là nòng cốt của nhiều tổ chức (theo danh sách các tổ chức gửi)")
    codes = overlap.index.tolist()
    labels = [names.get(code, code) for code in codes]
    matrix: list[list[int]] = overlap.to_numpy().tolist()
    sheet.table(
        [Column("Tổ chức", width=40), *(Column(label, Kind.INTEGER, 12) for label in labels)],
        ([label, *counts] for label, counts in zip(labels, matrix, strict=True)),
    )
    everyone = province[province["organization"] == ALL_LABEL]
    three_plus = int(everyone["core_three_plus"].iloc[0]) if len(everyone) else 0
    sheet.notes(
        [
            "Mỗi ô: số người là nòng cốt của cả hai tổ chức (hàng và cột); ô trên đường chéo: "
            "số nòng cốt của tổ chức. Tính theo danh sách, trước khi rà soát quyết định.",
            f"Số người là nòng cốt của từ ba tổ chức trở lên: {vi_number(three_plus)}.",
        ]
    )
    sheet.skip_row()
    pairs = sorted(
        (
            (f"{labels[i]} – {labels[j]}", matrix[i][j])
            for i, j in combinations(range(len(codes)), 2)
            if matrix[i][j]
        ),
        key=lambda pair: -pair[1],
    )
    if not pairs:
        sheet.notes(["Không có người nào là nòng cốt của hai tổ chức."])
        return
    header_row = sheet.next_row
    sheet.table(
        [Column("Cặp tổ chức"), Column("Số người là nòng cốt của cả hai", Kind.INTEGER, 12)],
        ([label, count] for label, count in pairs),
    )
    first, last = header_row + 1, header_row + len(pairs)
    chart = Chart("bar")
    chart.push_series(
        _series(
            OVERLAP_SHEET,
            first,
            last,
            1,
            "Số người là nòng cốt của cả hai tổ chức",
            CHART_COLOURS[1],
        )
    )
    chart.set_title_name("Trùng nòng cốt giữa các cặp tổ chức")
    # Largest pair on top, as in the table, with the value axis still below.
    chart.set_y_axis_reverse()  # type: ignore[attr-defined]
    chart.set_y_axis_crossing("max")
    chart.set_x_axis_num_format(f"{VIETNAMESE}#,##0")  # type: ignore[attr-defined]
    chart.set_x_axis_major_gridlines(True)  # type: ignore[attr-defined]
    chart.set_legend_hidden()
    chart.set_width(700)
    chart.set_height(90 + 26 * len(pairs))
    sheet.worksheet.insert_chart(sheet.next_row + 1, 0, chart)


def _write_run(book: Book, run: RunSheet) -> None:
    sheet = book.sheet(RUN_SHEET, landscape=False)
    sheet.heading("Báo cáo lần chạy")
    sheet.table(
        [Column("Nội dung", width=60), Column("Số lượng", Kind.INTEGER, 14, NOT_AVAILABLE)],
        ([label, value] for label, value in run.figures),
    )
    sheet.skip_row()
    if run.stages:
        sheet.table(
            [Column("Bước", width=60), Column("Thời gian (giây)", Kind.DECIMAL, 14)],
            ([stage, seconds] for stage, seconds in run.stages),
        )
        sheet.skip_row()
    sheet.heading("Bảng số liệu")
    sheet.notes(run.tables, width=60)
    sheet.skip_row()
    sheet.table(
        [Column("Tệp", width=60), Column("Kết quả", width=14)],
        ([file, status] for file, status in run.files),
    )
