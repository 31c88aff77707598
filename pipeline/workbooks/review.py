"""Rà soát trùng lặp.xlsx: the groups of records people must look at, and
where they write their decisions.

A group is a review group (records of several persons the matcher was unsure
about, or that reviewers decided on) or, for records linked automatically,
the person. Each group goes to one sheet:
- "Trùng nòng cốt giữa tổ chức": review groups spanning several organizations,
  and persons who are core in several organizations (what the directive forbids);
- "Trùng trong một tổ chức": the remaining review groups, and persons listed
  twice by one organization (the same member listed twice);
- "Tự động gộp – kiểm tra": the other persons linked automatically (in several
  organizations, core in at most one: legitimate), for spot checks.
The first two sheets go by commune, then surest first; the spot checks by
commune, then least sure first.

Decisions are read back by pipeline.ledger from any copy of this workbook:
two hidden columns carry each row's group and record fingerprints
(pipeline.identity), so rows may be sorted, filtered or moved to another
sheet, and the file renamed, without losing which record a decision is about.
The decision cells are always written empty; the decision in force and any
reason to look again are shown beside them ("Tình trạng", "Quyết định trước").
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from pipeline.identity import FINGERPRINT, LOOSE_BIRTH, LOOSE_NAME, record_identities
from pipeline.indicators import organization_order
from pipeline.settings import Settings
from pipeline.stages.decide import DECIDED, NEEDS_REREVIEW, PENDING, REVIEW_NOTE, VERDICT_LABELS
from pipeline.text import fold
from pipeline.workbooks.display import (
    AUTO_LINKED,
    REVIEW_STATES,
    address_column,
    display_column,
    optional_column,
    organization_names,
    yes_no,
)
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book

FILE_NAME = "Rà soát trùng lặp.xlsx"
GUIDE_SHEET = "Hướng dẫn"
ACROSS_SHEET = "Trùng nòng cốt giữa tổ chức"
WITHIN_SHEET = "Trùng trong một tổ chức"
SPOT_CHECK_SHEET = "Tự động gộp – kiểm tra"
DECISIONS = tuple(VERDICT_LABELS.values())

# Headers pipeline.ledger reads decisions back by.
ORGANIZATION_HEADER = "Tổ chức"
FILE_HEADER = "Tệp"
SHEET_HEADER = "Trang tính"
ROW_HEADER = "Dòng"
NAME_HEADER = "Họ và tên"
BIRTH_HEADER = "Ngày sinh"
CITIZEN_ID_HEADER = "Số CCCD"
DECISION_HEADER = "Quyết định"
KEEPS_HEADER = "Tổ chức giữ nòng cốt"
NOTE_HEADER = "Ghi chú"
REVIEWER_HEADER = "Người rà soát"
DATE_HEADER = "Ngày rà soát"
STATE_HEADER = "Tình trạng"
PREVIOUS_HEADER = "Quyết định trước"
# The workbook's signature: a sheet with both is a review sheet, whatever its name.
GROUP_KEY_HEADER = "Mã nhóm (máy đọc)"
RECORD_KEY_HEADER = "Mã bản ghi (máy đọc)"

COLUMNS = (
    Column("Nhóm"),
    Column(ORGANIZATION_HEADER),
    Column(FILE_HEADER),
    Column(SHEET_HEADER),
    Column(ROW_HEADER, Kind.INTEGER, width=8),
    Column(NAME_HEADER),
    Column(BIRTH_HEADER, width=12),
    Column("Giới tính", width=9),
    Column("Địa chỉ"),
    Column(CITIZEN_ID_HEADER, width=15),
    Column("Chức vụ"),
    Column("Chi hội/Chi đoàn"),
    Column("Nòng cốt", width=9),
    Column("SHTX", width=8),
    Column("Bằng chứng", width=50),
    Column("Điểm từng trường", width=36),
    Column("Xác suất", Kind.PERCENT, width=9),
    Column(DECISION_HEADER, Kind.INPUT, width=16),
    Column(KEEPS_HEADER, Kind.INPUT, width=24),
    Column(NOTE_HEADER, Kind.INPUT, width=30),
    Column(REVIEWER_HEADER, Kind.INPUT, width=18),
    Column(DATE_HEADER, Kind.INPUT_DATE, width=12),
    Column(STATE_HEADER, width=21),
    Column(PREVIOUS_HEADER, width=60),
    Column(GROUP_KEY_HEADER, width=16),
    Column(RECORD_KEY_HEADER, width=16),
)
_HIDDEN = (len(COLUMNS) - 2, len(COLUMNS) - 1)
# Printed, the visible columns are some 600 characters wide: on one A4 page
# they would shrink to a quarter. Three pages across (read in that order, the
# group column repeated) keep the text about 70% of its size.
_PRINT_PAGES_WIDE = 3
_GUIDE_WIDTH = 110

# review_state as the other workbooks show it; "" is a person linked automatically.
STATE_LABELS = {**REVIEW_STATES, "": AUTO_LINKED}

GUIDE = (
    "Mỗi nhóm là những dòng có thể cùng là một người. Các nhóm được tô màu xen kẽ để dễ phân biệt; "
    "các dòng của một nhóm nằm liền nhau, cùng các cột để dễ so sánh.",
    f"Trang “{ACROSS_SHEET}”: một người có thể đang là nòng cốt của nhiều tổ chức. "
    "Theo hướng dẫn, mỗi người chỉ là nòng cốt của một tổ chức. Xếp theo xã, phường, "
    "trong mỗi xã nhóm chắc chắn nhất trước.",
    f"Trang “{WITHIN_SHEET}”: một người có thể được ghi hai lần "
    "trong danh sách của cùng một tổ chức, hoặc các nhóm nghi trùng khác.",
    f"Trang “{SPOT_CHECK_SHEET}” (khi có): những người chương trình đã tự động gộp "
    "(ở nhiều tổ chức nhưng chỉ là nòng cốt ở một tổ chức), để kiểm tra xác suất; "
    "nhóm kém chắc chắn nhất trước. Thấy gộp sai thì ghi “Khác người”.",
    "Cách ghi quyết định: chỉ điền vào các ô màu vàng, chọn giá trị trong danh sách thả xuống.",
    "- Quyết định: “Cùng một người”, “Khác người” hoặc “Chưa rõ” (khi cần xác minh thêm). "
    "Ghi ở một dòng là áp dụng cho cả nhóm. Khi chỉ một vài dòng là người khác, ghi "
    "“Khác người” ở các dòng đó và “Cùng một người” ở các dòng còn lại.",
    "- Tổ chức giữ nòng cốt: khi là cùng một người và người đó là nòng cốt ở nhiều tổ chức, "
    "chọn tổ chức sẽ quản lý người đó là nòng cốt; các tổ chức khác không tính người này là "
    "nòng cốt nữa.",
    "- Ghi chú, Người rà soát, Ngày rà soát (ngày/tháng/năm): để biết ai đã xác minh, khi nào.",
    f"Cột “{STATE_HEADER}”: “{STATE_LABELS[PENDING]}”, “{STATE_LABELS[DECIDED]}”, "
    f"“{STATE_LABELS[NEEDS_REREVIEW]}” (quyết định trước đây không còn áp dụng được vì dòng đã "
    "sửa họ tên, ngày sinh, số CCCD, đã bị xóa, hoặc các quyết định mâu thuẫn nhau) hoặc "
    f"“{STATE_LABELS['']}”. Dùng bộ lọc ở dòng tiêu đề để chỉ xem các nhóm cần làm.",
    f"Cột “{PREVIOUS_HEADER}”: quyết định đang áp dụng (ai, ngày nào) hoặc lý do cần xem lại. "
    "Nhóm đã quyết định thì để trống các ô màu vàng; chỉ ghi khi muốn đổi quyết định "
    "(quyết định mới thay quyết định cũ, quyết định cũ vẫn được lưu trong sổ).",
    "Lưu tệp: giữ nguyên tệp trong thư mục kết quả, hoặc lưu một bản (được đổi tên) vào thư "
    "mục ra_soat bên cạnh thư mục input. Lần chạy sau, chương trình đọc mọi quyết định, ghi vào "
    "sổ quyết định (thư mục quyet_dinh) rồi mới tạo tệp rà soát mới.",
    "Cột “Bằng chứng”, “Điểm từng trường” (mỗi trường cộng hay trừ bao nhiêu điểm; "
    "điểm càng cao càng giống) và “Xác suất” cho biết vì sao các dòng được xếp vào nhóm; "
    "“Tệp”, “Trang tính”, “Dòng” chỉ ra dòng gốc trong danh sách của tổ chức.",
    "Các ô khác được khóa để tránh sửa nhầm (Review → Unprotect Sheet nếu thật sự cần sửa). "
    "Không đổi tên trang, không xóa hoặc chèn cột; hai cột ẩn cuối bảng là mã để chương trình "
    "nhận ra từng dòng, không được sửa.",
)


def write_review(
    records: pd.DataFrame, pairs: pd.DataFrame, settings: Settings, target: Path
) -> None:
    """Write the workbook: the guide, then each sheet's groups (see the module doc)."""
    accepted = records.loc[records["status"] == "accepted"].reset_index(drop=True)
    groups = _groups(accepted)
    grouped = groups["group"] != ""
    evidence = _best_pairs(
        pairs,
        pd.Series(groups.loc[grouped, "group"].values, index=accepted.loc[grouped, "record_id"]),
    )
    probability = evidence["probability"].reindex(accepted["record_id"]).to_numpy()
    groups["confidence"] = (
        pd.Series(probability, index=groups.index).groupby(groups["group"]).transform("max")
    )
    identities = record_identities(accepted)
    keys = identities[FINGERPRINT] + " " + identities[LOOSE_NAME] + " " + identities[LOOSE_BIRTH]
    names = organization_names(settings)
    with open_book(target, "Rà soát trùng lặp") as book:
        _write_guide(book)
        for sheet, chosen, surest_first in (
            (ACROSS_SHEET, groups["across"], True),
            (WITHIN_SHEET, groups["within"], True),
            (SPOT_CHECK_SHEET, groups["spot_check"], False),
        ):
            if sheet == SPOT_CHECK_SHEET and not chosen.any():
                continue
            order = _order(groups.loc[chosen], surest_first)
            _write_groups(
                book,
                sheet,
                accepted.loc[order],
                groups.loc[order, "group"],
                keys.loc[order],
                evidence,
                names,
                settings,
            )


def _write_guide(book: Book) -> None:
    guide = book.sheet(GUIDE_SHEET)
    guide.heading("Hướng dẫn rà soát trùng lặp")
    guide.notes(GUIDE, width=_GUIDE_WIDTH)


def _groups(accepted: pd.DataFrame) -> pd.DataFrame:
    """Per record: its group, the group's commune, and the sheet it belongs on."""
    review = accepted["review_group"].fillna("").astype(str)
    group = review.where(review != "", accepted["person_id"].astype(str))
    facts = pd.DataFrame(
        {
            "group": group,
            "review": review != "",
            "organization": accepted["organization"],
            "core_organization": accepted["organization"].where(accepted["is_core"].eq(True)),
            "commune": [fold(name) for name in display_column(accepted["commune_name"])],
        }
    )
    by_group = facts.groupby("group")
    organizations = by_group["organization"].transform("nunique")
    core_organizations = by_group["core_organization"].transform("nunique")
    size = by_group["group"].transform("size")
    largest_in_one = facts.groupby(["group", "organization"])["group"].transform("size")
    largest_in_one = largest_in_one.groupby(facts["group"]).transform("max")
    # The unknown commune ("") sorts after every named one.
    known = facts["commune"].where(facts["commune"] != "", "\uffff")
    across = (facts["review"] & (organizations > 1)) | (~facts["review"] & (core_organizations > 1))
    within = ~across & (facts["review"] | (largest_in_one > 1))
    # A record with no person (should not happen once `cluster` has run) is no group.
    grouped = group != ""
    return pd.DataFrame(
        {
            "group": group,
            "commune": known.groupby(facts["group"]).transform("min"),
            "across": grouped & across,
            "within": grouped & within,
            "spot_check": grouped & ~across & ~within & (size > 1),
        }
    )


def _order(groups: pd.DataFrame, surest_first: bool) -> pd.Index:
    """Rows of the chosen groups: groups by commune, then by confidence (a group
    without a scored pair last), then as first loaded; records in load order
    (the index is the load position)."""
    keys = pd.DataFrame(
        {
            "commune": groups["commune"],
            "confidence": -groups["confidence"] if surest_first else groups["confidence"],
            "first": groups.index.to_series().groupby(groups["group"]).transform("min"),
            "position": groups.index,
        },
        index=groups.index,
    )
    return keys.sort_values(
        ["commune", "confidence", "first", "position"], na_position="last", kind="stable"
    ).index


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
    keys: pd.Series,
    evidence: pd.DataFrame,
    names: dict[str, str],
    settings: Settings,
) -> None:
    sheets = book.table_sheet(
        sheet,
        COLUMNS,
        _rows(
            chosen,
            group,
            keys,
            evidence.reindex(chosen["record_id"]),
            _organization_choices(group, chosen, names, settings),
            names,
        ),
        band_by=0,
        protect=True,
    )
    # The machine columns stay in the file but out of the reviewer's way; a
    # table past Excel's row limit continues on further sheets.
    for written in sheets:
        for col in _HIDDEN:
            written.hide_column(col, COLUMNS[col].width)
        written.print_across(_PRINT_PAGES_WIDE)


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
    keys: pd.Series,
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
        # Records that did not pass `decide` (report tests, tools) have no decision columns.
        optional_column(chosen, "review_state").map(STATE_LABELS).tolist(),
        optional_column(chosen, REVIEW_NOTE).tolist(),
        keys.tolist(),
        strict=True,
    ):
        *described, state, previous, key = values
        inputs: list[Cell] = [DECISIONS, group_organizations[described[0]], None, None, None]
        yield [*described, *inputs, state, previous, described[0], key]
