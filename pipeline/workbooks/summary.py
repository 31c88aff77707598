"""Tổng hợp chỉ tiêu.xlsx: the directive's indicators, before and after reconciliation.

Every figure comes from the indicators DataFrame (pipeline.indicators), the
same one written to indicators.csv.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import quote_sheetname, xl_range_abs

from pipeline.indicators import ALL_ORGANIZATIONS, COUNT_COLUMNS, RATES
from pipeline.settings import Settings
from pipeline.workbooks.display import organization_names
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book

FILE_NAME = "Tổng hợp chỉ tiêu.xlsx"
SUMMARY_SHEET = "Tổng hợp"
DISTRICT_SHEET = "Theo huyện"
COMMUNE_SHEET = "Theo xã"
ALL_LABEL = "Tất cả tổ chức"

LABELS = {
    "members": "Đoàn viên, hội viên",
    "core_members": "Nòng cốt",
    "core_regular": "Nòng cốt SHTX",
    "core_away": "Nòng cốt đi làm ăn xa",
    "members_after": "Đoàn viên, hội viên sau đối soát",
    "core_members_after": "Nòng cốt sau đối soát",
    "core_regular_after": "Nòng cốt SHTX sau đối soát",
    "core_undecided": "Nòng cốt chờ quyết định",
    "core_share": "Tỷ lệ nòng cốt",
    "regular_share": "Tỷ lệ nòng cốt SHTX",
    "core_share_after": "Tỷ lệ nòng cốt sau đối soát",
    "regular_share_after": "Tỷ lệ nòng cốt SHTX sau đối soát",
}
# Summary sheet: (before, after) column pairs shown as before / after / change.
COMPARED = (
    ("members", "members_after", "Đoàn viên, hội viên"),
    ("core_members", "core_members_after", "Nòng cốt"),
    ("core_regular", "core_regular_after", "Nòng cốt SHTX"),
    ("core_share", "core_share_after", "Tỷ lệ nòng cốt"),
    ("regular_share", "regular_share_after", "Tỷ lệ nòng cốt SHTX"),
)
SUMMARY_EXTRA = ("core_undecided", "core_away")
NOTES = (
    "Trước đối soát: số liệu như các tổ chức báo cáo; một người có tên trong danh sách của "
    "nhiều tổ chức được tính ở mỗi tổ chức.",
    "Sau đối soát: mỗi người được tính một lần. Người là nòng cốt của nhiều tổ chức chưa được "
    "tính là nòng cốt của tổ chức nào mà nằm ở cột “Nòng cốt chờ quyết định” của từng tổ chức đó; "
    f"ở dòng “{ALL_LABEL}” họ được tính một lần là nòng cốt.",
    "Tỷ lệ nòng cốt = nòng cốt / đoàn viên, hội viên; tỷ lệ nòng cốt SHTX = nòng cốt tham gia "
    "sinh hoạt thường xuyên / nòng cốt. Ô trống: không có số liệu để tính.",
)


def write_summary(indicators: pd.DataFrame, settings: Settings, target: Path) -> None:
    names = {**organization_names(settings), ALL_ORGANIZATIONS: ALL_LABEL}
    shown = indicators.assign(
        organization=[names.get(org, org) for org in indicators["organization"].tolist()]
    )
    by_level = {level: part for level, part in shown.groupby("level", sort=False)}
    empty = shown.iloc[0:0]
    with open_book(target, "Tổng hợp chỉ tiêu") as book:
        _write_province(book, by_level.get("province", empty))
        detail = [Column(LABELS[name], _kind(name), width=12) for name in (*COUNT_COLUMNS, *RATES)]
        book.table_sheet(
            DISTRICT_SHEET,
            [Column("Huyện"), Column("Tổ chức"), *detail],
            _detail_rows(by_level.get("district", empty), ("unit",)),
            band_by=0,
        )
        book.table_sheet(
            COMMUNE_SHEET,
            [Column("Huyện"), Column("Xã"), Column("Tổ chức"), *detail],
            _detail_rows(by_level.get("commune", empty), ("district", "unit")),
            band_by=1,
        )


def _write_province(book: Book, province: pd.DataFrame) -> None:
    sheet = book.sheet(SUMMARY_SHEET)
    unit = str(province["unit"].iloc[0]) if len(province) else ""
    sheet.heading(f"Tổng hợp chỉ tiêu lực lượng nòng cốt – {unit}")
    columns = [Column("Tổ chức")]
    for before, _after, label in COMPARED:
        kind = _kind(before)
        columns += [
            Column(f"{label} trước đối soát", kind, width=12),
            Column(f"{label} sau đối soát", kind, width=12),
            Column(f"{label}: chênh lệch", kind, width=12),
        ]
    columns += [Column(LABELS[name], Kind.INTEGER, width=12) for name in SUMMARY_EXTRA]

    header_row = sheet.next_row
    sheet.table(columns, _province_rows(province))
    sheet.skip_row()
    sheet.notes(NOTES)

    organizations = int((province["organization"] != ALL_LABEL).sum())
    if organizations:
        # After the organization column, each COMPARED entry takes three columns.
        before_col = 1 + 3 * [before for before, _, _ in COMPARED].index("core_members")
        chart = book.workbook.add_chart({"type": "column"})
        name = quote_sheetname(SUMMARY_SHEET)
        first, last = header_row + 1, header_row + organizations
        categories = f"={name}!{xl_range_abs(first, 0, last, 0)}"
        for col, label, colour in (
            (before_col, "Trước đối soát", "#9DC3E6"),
            (before_col + 1, "Sau đối soát", "#2E75B6"),
        ):
            chart.add_series(
                {
                    "name": label,
                    "categories": categories,
                    "values": f"={name}!{xl_range_abs(first, col, last, col)}",
                    "fill": {"color": colour},
                    "data_labels": {"value": True, "num_format": "#,##0"},
                }
            )
        chart.set_title({"name": "Nòng cốt theo tổ chức, trước và sau đối soát"})
        chart.set_y_axis({"num_format": "#,##0", "major_gridlines": {"visible": True}})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 760, "height": 360})
        sheet.worksheet.insert_chart(sheet.next_row + 1, 0, chart)


def _province_rows(province: pd.DataFrame) -> Iterator[list[Cell]]:
    for record in province.to_dict("records"):
        cells: list[Cell] = [record["organization"]]
        for before, after, _label in COMPARED:
            # Rounded like the rates themselves; NaN (a rate that does not exist)
            # propagates, so no change is shown.
            cells += [record[before], record[after], round(record[after] - record[before], 4)]
        cells += [record[name] for name in SUMMARY_EXTRA]
        yield cells


def _detail_rows(part: pd.DataFrame, place: tuple[str, ...]) -> Iterator[list[Cell]]:
    for record in part.to_dict("records"):
        yield [record[name] for name in (*place, "organization", *COUNT_COLUMNS, *RATES)]


def _kind(name: str) -> Kind:
    return Kind.PERCENT if name in RATES else Kind.INTEGER
