"""Sổ theo dõi nòng cốt.xlsx: the management book the directive asks for, so a
commune can reach its core members quickly.

One sheet per commune (printed and handed out per commune), after an index
sheet linking to each. A sheet lists the commune's core members after
reconciliation, each person once: under the organization keeping them as core,
or "Chưa quyết định" (with the organizations counting them) until a reviewer
decides. A person is placed in the commune where the `all` indicators count
them (pipeline.indicators), so each sheet's count is the commune's figure in
Tổng hợp chỉ tiêu.xlsx. Their details come from that organization's record,
the phone number from any record of theirs when that one has none.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.indicators import UNKNOWN_UNIT, organization_order, unit_sort_key
from pipeline.settings import Settings
from pipeline.text import fold
from pipeline.workbooks.display import (
    UNDECIDED,
    address_column,
    core_organizations,
    display_column,
    organization_names,
    vi_number,
    yes_no,
)
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book, sheet_name

FILE_NAME = "Sổ theo dõi nòng cốt.xlsx"
INDEX_SHEET = "Mục lục"

INDEX_COLUMNS = (
    Column("Huyện", width=20),
    Column("Xã, phường", width=22),
    Column("Số nòng cốt", Kind.INTEGER, width=11),
    Column("Trong đó chưa quyết định tổ chức giữ", Kind.INTEGER, width=14),
    Column("Trang", Kind.SHEET_LINK, width=30),
)
COLUMNS = (
    Column("STT", Kind.INTEGER, width=5),
    Column("Tổ chức quản lý", width=23),
    Column("Họ và tên", width=24),
    Column("Ngày sinh", width=11),
    Column("Giới tính", width=7),
    Column("Chức vụ", width=16),
    Column("Chi hội, chi đoàn", width=16),
    Column("Ấp, khu phố", width=13),
    Column("Địa chỉ", width=40),
    Column("Số điện thoại", width=13),
    Column("SHTX", width=6),
    Column("Đi làm ăn xa", width=7),
    Column("Là nòng cốt ở", width=32),
    Column("Mã người", width=10),
)
_SEX = {"M": "Nam", "F": "Nữ"}


def write_mobilization(
    records: pd.DataFrame, persons: pd.DataFrame, settings: Settings, target: Path
) -> None:
    """`persons` is pipeline.indicators.Reconciliation.persons() of `records`."""
    names = organization_names(settings)
    chosen = persons[persons["anchor"] & persons["core_after"]]
    core = _core_members(records, persons, chosen, settings, names)
    units = sorted(
        set(zip(chosen["district"].tolist(), chosen["commune"].tolist(), strict=True)),
        key=lambda unit: (unit_sort_key(unit[0]), unit_sort_key(unit[1])),
    )
    sheets = _sheet_names(units)
    by_unit = {unit: part for unit, part in core.groupby(["district", "commune"], sort=False)}

    with open_book(target, "Sổ theo dõi nòng cốt") as book:
        index = book.sheet(INDEX_SHEET, landscape=False)
        index.heading("Sổ theo dõi lực lượng nòng cốt")
        index.notes(
            [
                "Mỗi xã, phường một trang: nòng cốt sau đối soát, mỗi người một lần, ở tổ chức "
                f"giữ người đó làm nòng cốt (“{UNDECIDED}” khi chưa rà soát quyết định).",
            ]
        )
        index.skip_row()
        index.table(
            INDEX_COLUMNS,
            (
                [
                    unit[0],
                    unit[1],
                    len(by_unit[unit]),
                    int((by_unit[unit]["organization"] == UNDECIDED).sum()),
                    sheets[unit],
                ]
                for unit in units
            ),
        )
        for unit in units:
            _write_commune(book, sheets[unit], unit, by_unit[unit])


def _core_members(
    records: pd.DataFrame,
    persons: pd.DataFrame,
    chosen: pd.DataFrame,
    settings: Settings,
    names: dict[str, str],
) -> pd.DataFrame:
    """One row per core person, sorted for reading: by organization (the
    undecided last), hamlet, then name."""
    anchors = records.loc[chosen.index]
    accepted = records.loc[persons.index]
    phones = accepted["phone_norm"].fillna("").astype(str)
    # The first number any record of the person gives.
    phone_of = (
        pd.DataFrame({"person": persons["person"], "phone": phones})
        .loc[phones != ""]
        .drop_duplicates("person")
        .set_index("person")["phone"]
    )
    own_phone = anchors["phone_norm"].fillna("").astype(str)
    fallback = chosen["person"].map(phone_of).fillna("")
    linked = accepted.loc[accepted["person_id"].fillna("").astype(str) != ""]
    everywhere = core_organizations(linked, settings)
    undecided = chosen["undecided"].tolist()
    keepers = chosen["keeper"].tolist()
    order = {code: rank for rank, code in enumerate(organization_order(names, settings))}
    table = pd.DataFrame(
        {
            "district": chosen["district"],
            "commune": chosen["commune"],
            "organization": [
                UNDECIDED if flag else names.get(code, code)
                for code, flag in zip(keepers, undecided, strict=True)
            ],
            "rank": [
                len(order) if flag else order.get(code, len(order))
                for code, flag in zip(keepers, undecided, strict=True)
            ],
            "name": anchors["name_display"].fillna("").astype(str),
            "birth": display_column(anchors["birth_date"]),
            "sex": anchors["sex_code"].map(_SEX).fillna(""),
            "position": display_column(anchors["position"]),
            "branch": display_column(anchors["branch"]),
            "hamlet": anchors["hamlet_name"].fillna("").astype(str),
            "address": address_column(anchors),
            "phone": own_phone.where(own_phone != "", fallback),
            "regular": yes_no(chosen["regular"]),
            "away": yes_no(chosen["away"]),
            "core_in": [
                ", ".join(names.get(code, code) for code in everywhere.get(person, ()))
                if flag
                else ""
                for person, flag in zip(chosen["person"].tolist(), undecided, strict=True)
            ],
            "person": anchors["person_id"].fillna("").astype(str),
        },
        index=chosen.index,
    )
    hamlets = sorted(set(table["hamlet"]), key=unit_sort_key)
    keys = pd.DataFrame(
        {
            "rank": table["rank"],
            "hamlet": table["hamlet"].map({hamlet: n for n, hamlet in enumerate(hamlets)}),
            "name": table["name"].map(fold),
        }
    )
    return table.loc[keys.sort_values(list(keys.columns), kind="stable").index]


def _sheet_names(units: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """A commune's sheet is named after it; a name found in several districts
    (or the unknown unit) gets its district too, and repeats a number."""
    communes = [commune for _, commune in units]
    names: dict[tuple[str, str], str] = {}
    taken = {INDEX_SHEET.casefold()}
    for district, commune in units:
        shared = communes.count(commune) > 1 or commune == UNKNOWN_UNIT
        name = sheet_name(f"{commune} ({district})" if shared else commune)
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = sheet_name(name, f" {number}")
        taken.add(candidate.casefold())
        names[(district, commune)] = candidate
    return names


def _write_commune(book: Book, name: str, unit: tuple[str, str], members: pd.DataFrame) -> None:
    district, commune = unit
    sheet = book.sheet(name)
    sheet.heading(f"Sổ theo dõi lực lượng nòng cốt – {commune}, {district}")
    undecided = int((members["organization"] == UNDECIDED).sum())
    waiting = f", trong đó {vi_number(undecided)} chưa quyết định tổ chức giữ"
    sheet.notes([f"{vi_number(len(members))} nòng cốt{waiting if undecided else ''}."])
    sheet.table(COLUMNS, _rows(members), band_by=1)


def _rows(members: pd.DataFrame) -> Iterator[list[Cell]]:
    fields = ["organization", "name", "birth", "sex", "position", "branch", "hamlet"]
    fields += ["address", "phone", "regular", "away", "core_in", "person"]
    # Column lists, not itertuples: a row at a time is slow on Arrow-backed text.
    columns = [members[field].tolist() for field in fields]
    for number, values in enumerate(zip(*columns, strict=True), start=1):
        yield [number, *values]
