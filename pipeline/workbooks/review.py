"""Rà soát trùng lặp.xlsx: the groups of records people must look at.

A group is a review group (pairs the matcher was unsure about) or, for records
linked automatically, the person. Each group goes to one sheet:
- "Trùng nòng cốt giữa tổ chức": review groups spanning several organizations,
  and persons who are core in several organizations (what the directive forbids);
- "Trùng trong một tổ chức": the remaining groups with two or more records of
  one organization (the same member listed twice).
Persons in several organizations but core in at most one are legitimate and
are not listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.indicators import organization_order
from pipeline.settings import Settings
from pipeline.workbooks.display import (
    address_column,
    display_column,
    organization_names,
    yes_no,
)
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book

FILE_NAME = "Rà soát trùng lặp.xlsx"
GUIDE_SHEET = "Hướng dẫn"
ACROSS_SHEET = "Trùng nòng cốt giữa tổ chức"
WITHIN_SHEET = "Trùng trong một tổ chức"
DECISIONS = ("Cùng một người", "Khác người", "Chưa rõ")

COLUMNS = (
    Column("Nhóm"),
    Column("Tổ chức"),
    Column("Tệp"),
    Column("Trang tính"),
    Column("Dòng", Kind.INTEGER, width=8),
    Column("Họ và tên"),
    Column("Ngày sinh", width=12),
    Column("Giới tính", width=9),
    Column("Địa chỉ"),
    Column("Số CCCD", width=15),
    Column("Chức vụ"),
    Column("Chi hội/Chi đoàn"),
    Column("Nòng cốt", width=9),
    Column("SHTX", width=8),
    Column("Bằng chứng", width=50),
    Column("Điểm từng trường", width=36),
    Column("Xác suất", Kind.PERCENT, width=9),
    Column("Quyết định", Kind.INPUT, width=16),
    Column("Tổ chức giữ nòng cốt", Kind.INPUT, width=24),
    Column("Ghi chú", Kind.INPUT, width=30),
    Column("Người rà soát", Kind.INPUT, width=18),
    Column("Ngày rà soát", Kind.INPUT_DATE, width=12),
)

GUIDE = (
    "Mỗi nhóm là những dòng có thể cùng là một người. Các nhóm được tô màu xen kẽ để dễ phân biệt.",
    f"Trang “{ACROSS_SHEET}”: một người có thể đang là nòng cốt của nhiều tổ chức. "
    "Theo hướng dẫn, mỗi người chỉ là nòng cốt của một tổ chức.",
    f"Trang “{WITHIN_SHEET}”: một người có thể được ghi hai lần "
    "trong danh sách của cùng một tổ chức.",
    "Cách ghi quyết định: chỉ điền vào các ô màu vàng, chọn giá trị trong danh sách thả xuống.",
    "- Quyết định: “Cùng một người”, “Khác người” hoặc “Chưa rõ” (khi cần xác minh thêm). "
    "Ghi quyết định ở mọi dòng của nhóm.",
    "- Tổ chức giữ nòng cốt: khi là cùng một người và người đó là nòng cốt ở nhiều tổ chức, "
    "chọn tổ chức sẽ quản lý người đó là nòng cốt.",
    "- Ghi chú, Người rà soát, Ngày rà soát (ngày/tháng/năm): để biết ai đã xác minh, khi nào.",
    "Cột “Bằng chứng”, “Điểm từng trường” (mỗi trường cộng hay trừ bao nhiêu điểm; "
    "điểm càng cao càng giống) và “Xác suất” cho biết vì sao các dòng được xếp vào nhóm; "
    "“Tệp”, “Trang tính”, “Dòng” chỉ ra dòng gốc trong danh sách của tổ chức.",
    "Các ô khác được khóa để tránh sửa nhầm (Review → Unprotect Sheet nếu thật sự cần sửa). "
    "Không đổi tên trang, không xóa hoặc chèn cột.",
)


def write_review(
    records: pd.DataFrame, pairs: pd.DataFrame, settings: Settings, target: Path
) -> None:
    accepted = records.loc[records["status"] == "accepted"].reset_index(drop=True)
    groups = _groups(accepted)
    grouped = groups["group"] != ""
    evidence = _best_pairs(
        pairs,
        pd.Series(groups.loc[grouped, "group"].values, index=accepted.loc[grouped, "record_id"]),
    )
    names = organization_names(settings)
    with open_book(target, "Rà soát trùng lặp") as book:
        guide = book.sheet(GUIDE_SHEET)
        guide.heading("Hướng dẫn rà soát trùng lặp")
        guide.notes(GUIDE, width=110)
        for sheet, chosen in ((ACROSS_SHEET, groups["across"]), (WITHIN_SHEET, groups["within"])):
            _write_groups(
                book,
                sheet,
                accepted.loc[chosen],
                groups.loc[chosen, "group"],
                evidence,
                names,
                settings,
            )


def _groups(accepted: pd.DataFrame) -> pd.DataFrame:
    """Per record: its group, and whether the group belongs on each sheet."""
    review = accepted["review_group"].fillna("").astype(str)
    group = review.where(review != "", accepted["person_id"].astype(str))
    facts = pd.DataFrame(
        {
            "group": group,
            "review": review != "",
            "organization": accepted["organization"],
            "core_organization": accepted["organization"].where(accepted["is_core"].eq(True)),
        }
    )
    by_group = facts.groupby("group")
    organizations = by_group["organization"].transform("nunique")
    core_organizations = by_group["core_organization"].transform("nunique")
    largest_in_one = facts.groupby(["group", "organization"])["group"].transform("size")
    largest_in_one = largest_in_one.groupby(facts["group"]).transform("max")
    across = (facts["review"] & (organizations > 1)) | (~facts["review"] & (core_organizations > 1))
    # A record with no person (should not happen once `cluster` has run) is no group.
    grouped = group != ""
    return pd.DataFrame(
        {
            "group": group,
            "across": grouped & across,
            "within": grouped & ~across & (largest_in_one > 1),
        }
    )


def _best_pairs(pairs: pd.DataFrame, group_of: pd.Series) -> pd.DataFrame:
    """Per record_id, the most probable pair joining it to another record of its
    group: the evidence shown next to it. Indexed by record_id."""
    both = pd.concat(
        [
            pairs.rename(columns={"left": "record", "right": "other"}),
            pairs.rename(columns={"right": "record", "left": "other"}),
        ],
        ignore_index=True,
    )
    same_group = both["record"].map(group_of) == both["other"].map(group_of)
    return (
        both.loc[same_group]
        .sort_values(["probability", "other"], ascending=[False, True], kind="stable")
        .drop_duplicates("record")
        .set_index("record")[["evidence", "contributions", "probability"]]
    )


def _write_groups(
    book: Book,
    sheet: str,
    chosen: pd.DataFrame,
    group: pd.Series,
    evidence: pd.DataFrame,
    names: dict[str, str],
    settings: Settings,
) -> None:
    # Groups in the order their first record was loaded, records in load order
    # (the index is the load position).
    position = group.index.to_series()
    first = position.groupby(group).transform("min")
    order = pd.DataFrame({"first": first, "position": position}).sort_values(["first", "position"])
    chosen, group = chosen.loc[order.index], group.loc[order.index]
    book.table_sheet(
        sheet,
        COLUMNS,
        _rows(
            chosen,
            group,
            evidence.reindex(chosen["record_id"]),
            _organization_choices(group, chosen, names, settings),
            names,
        ),
        band_by=0,
        protect=True,
    )


def _organization_choices(
    group: pd.Series, chosen: pd.DataFrame, names: dict[str, str], settings: Settings
) -> dict[str, tuple[str, ...]]:
    """group -> names of the organizations in it, in settings order."""
    present = pd.DataFrame(
        {"group": group, "organization": chosen["organization"]}
    ).drop_duplicates()
    rank = {
        code: index
        for index, code in enumerate(organization_order(present["organization"].unique(), settings))
    }
    choices: dict[str, list[str]] = {}
    for key, org in zip(present["group"].tolist(), present["organization"].tolist(), strict=True):
        choices.setdefault(key, []).append(org)
    return {
        key: tuple(names.get(org, org) for org in sorted(orgs, key=rank.__getitem__))
        for key, orgs in choices.items()
    }


def _rows(
    chosen: pd.DataFrame,
    group: pd.Series,
    shown: pd.DataFrame,
    group_organizations: dict[str, tuple[str, ...]],
    names: dict[str, str],
) -> Iterator[list[Cell]]:
    sex = chosen["sex_code"].map({"M": "Nam", "F": "Nữ"}).fillna("")
    sex_written = display_column(chosen["sex"])
    citizen_id = chosen["citizen_id_norm"].fillna("").astype(str)
    citizen_written = display_column(chosen["citizen_id"])
    for values in zip(
        group.tolist(),
        [names.get(org, org) for org in chosen["organization"].tolist()],
        chosen["source_file"].tolist(),
        chosen["sheet"].tolist(),
        chosen["row"].tolist(),
        display_column(chosen["full_name"]),
        display_column(chosen["birth_date"]),
        [code or written for code, written in zip(sex.tolist(), sex_written, strict=True)],
        address_column(chosen),
        [
            norm or written
            for norm, written in zip(citizen_id.tolist(), citizen_written, strict=True)
        ],
        display_column(chosen["position"]),
        display_column(chosen["branch"]),
        yes_no(chosen["is_core"].eq(True)),
        yes_no(chosen["is_regular"].eq(True)),
        shown["evidence"].fillna("").tolist(),
        shown["contributions"].fillna("").tolist(),
        shown["probability"].tolist(),
        strict=True,
    ):
        yield [*values, DECISIONS, group_organizations[values[0]], None, None, None]
