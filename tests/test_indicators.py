"""Indicators of the hand-made records of test_report, counted by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.indicators import (
    ALL_ORGANIZATIONS,
    COUNT_COLUMNS,
    INDICATOR_COLUMNS,
    UNKNOWN_UNIT,
    Reconciliation,
    compute_indicators,
)
from tests.test_report import AN_PHUOC, LONG_DUC, LONG_THANH, NHON_TRACH, SETTINGS, build_records

# Accepted records (r09 is rejected and never counted), as
# record: organization, commune, person, flags
#   r01 doan    An Phước  P1 core regular, address, position
#   r02 phunu   An Phước  P2 core regular, address
#   r03 nongdan Long Đức  P2 core, address
#   r04 doan    An Phước  P3 core regular
#   r05 doan    Long Đức  P3 core
#   r06 phunu   Long Đức  P4
#   r07 nongdan Long Đức  P5 core regular away, address, position
#   r08 nongdan An Phước  P6
#   r10 doan    (unknown, Nhơn Trạch) P7 core regular
#   r11 phunu   Long Đức  P8 core regular
#   r12 nongdan Long Đức  P9
# P2 is core in two organizations: undecided in both, core once in `all`,
# placed by their first core record (r02, An Phước).
# P3 is listed twice by Đoàn: placed in An Phước, where Đoàn first lists them.
BASIC = ("members", "core_members", "core_regular", "core_away",
         "members_after", "core_members_after", "core_regular_after", "core_undecided")  # fmt: skip
EXPECTED = {
    ("commune", AN_PHUOC, "doan"): (2, 2, 2, 0, 2, 2, 2, 0),  # r01 r04; P1 P3
    ("commune", AN_PHUOC, "phunu"): (1, 1, 1, 0, 1, 0, 0, 1),  # r02; P2 undecided
    ("commune", AN_PHUOC, "nongdan"): (1, 0, 0, 0, 1, 0, 0, 0),  # r08; P6
    # Placed here: P1 r01, P2 r02, P3 r04, P6 r08; core P1 P2 P3, all regular.
    ("commune", AN_PHUOC, "all"): (4, 3, 3, 0, 4, 3, 3, 1),
    ("commune", LONG_DUC, "doan"): (1, 1, 0, 0, 0, 0, 0, 0),  # r05: P3 counted in An Phước
    ("commune", LONG_DUC, "phunu"): (2, 1, 1, 0, 2, 1, 1, 0),  # r06 r11; P4 P8
    ("commune", LONG_DUC, "nongdan"): (3, 2, 1, 1, 3, 1, 1, 1),  # r03 r07 r12; P2 undecided, P5
    ("commune", LONG_DUC, "all"): (6, 4, 2, 1, 4, 2, 2, 0),  # P4 P5 P8 P9
    ("commune", UNKNOWN_UNIT, "doan"): (1, 1, 1, 0, 1, 1, 1, 0),  # r10; P7
    ("commune", UNKNOWN_UNIT, "phunu"): (0, 0, 0, 0, 0, 0, 0, 0),
    ("commune", UNKNOWN_UNIT, "all"): (1, 1, 1, 0, 1, 1, 1, 0),
    ("district", LONG_THANH, "doan"): (3, 3, 2, 0, 2, 2, 2, 0),
    ("district", LONG_THANH, "all"): (10, 7, 5, 1, 8, 5, 5, 1),
    ("district", NHON_TRACH, "nongdan"): (0, 0, 0, 0, 0, 0, 0, 0),
    ("province", "Đồng Nai", "doan"): (4, 4, 3, 0, 3, 3, 3, 0),
    ("province", "Đồng Nai", "phunu"): (3, 2, 2, 0, 3, 1, 1, 1),
    ("province", "Đồng Nai", "nongdan"): (4, 2, 1, 1, 4, 1, 1, 1),
    # 9 persons; core: P1 P2 P3 P5 P7 P8, each once.
    ("province", "Đồng Nai", "all"): (11, 8, 6, 1, 9, 6, 6, 1),
}
CRITERIA = ("core_missing_address", "core_missing_position", "core_away_after",
            "core_missing_address_after", "core_missing_position_after",
            "core_shared", "core_three_plus")  # fmt: skip
# No address: r04 r05 r10 r11 (P3 P7 P8); positions only on r01 and r07.
# After: P1 and P5 meet both criteria; P2 (undecided) has an address in a core
# listing but no position; P5 is away.
EXPECTED_CRITERIA = {
    ("province", "Đồng Nai", "doan"): (3, 3, 0, 2, 2, 0, 0),
    ("province", "Đồng Nai", "phunu"): (1, 2, 0, 1, 1, 1, 0),
    ("province", "Đồng Nai", "nongdan"): (0, 1, 1, 0, 0, 1, 0),
    ("province", "Đồng Nai", "all"): (4, 6, 1, 3, 4, 1, 0),
    ("commune", AN_PHUOC, "all"): (1, 2, 0, 1, 2, 1, 0),
}


def _by_key(table: pd.DataFrame) -> pd.DataFrame:
    return table.set_index(["level", "unit", "organization"])


def _values(table: pd.DataFrame, key: tuple[str, str, str], columns: tuple[str, ...]) -> tuple:
    row = _by_key(table).loc[key, list(columns)]
    return tuple(None if pd.isna(value) else value for value in row)


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return compute_indicators(build_records(), SETTINGS)


def test_counts_match_hand_counts(indicators: pd.DataFrame) -> None:
    for key, expected in EXPECTED.items():
        assert _values(indicators, key, BASIC) == expected, key
    for key, expected in EXPECTED_CRITERIA.items():
        assert _values(indicators, key, CRITERIA) == expected, key


def test_rates(indicators: pd.DataFrame) -> None:
    province = _by_key(indicators).loc[("province", "Đồng Nai", "all")]
    assert province["core_share"] == 0.7273  # 8 / 11
    assert province["regular_share"] == 0.75  # 6 / 8
    assert province["core_share_after"] == 0.6667  # 6 / 9
    assert province["regular_share_after"] == 1.0  # 6 / 6
    # No Phụ nữ member in Nhơn Trạch: the rate does not exist, it is not 0.
    assert math.isnan(_by_key(indicators).loc[("district", NHON_TRACH, "phunu"), "core_share"])


def test_without_a_population_table_the_mass_share_is_not_available(
    indicators: pd.DataFrame,
) -> None:
    assert indicators["population"].isna().all()
    assert indicators["mass_share"].isna().all()
    assert indicators["mass_share_after"].isna().all()


def test_rows_are_ordered_for_reading(indicators: pd.DataFrame) -> None:
    assert tuple(indicators.columns) == INDICATOR_COLUMNS
    units = indicators[["level", "unit", "district"]].drop_duplicates()
    assert [tuple(row) for row in units.itertuples(index=False)] == [
        ("province", "Đồng Nai", ""),
        ("district", LONG_THANH, LONG_THANH),
        ("district", NHON_TRACH, NHON_TRACH),
        ("commune", AN_PHUOC, LONG_THANH),
        ("commune", LONG_DUC, LONG_THANH),
        ("commune", UNKNOWN_UNIT, NHON_TRACH),
    ]
    per_unit = indicators.loc[indicators["unit"] == AN_PHUOC, "organization"].tolist()
    assert per_unit == ["doan", "phunu", "nongdan", ALL_ORGANIZATIONS]


def assert_levels_add_up(indicators: pd.DataFrame) -> None:
    """Communes sum to their district and districts to the province.

    A table figure (population, members of a core-only roster) is not available
    for an unplaced commune, which adds nothing to the sums above it: those
    sums are checked by the tests of the tables.
    """
    counts = list(COUNT_COLUMNS)
    communes = indicators[indicators["level"] == "commune"]
    unplaced = (communes["unit"] == UNKNOWN_UNIT).to_numpy()[:, None]
    gaps = communes[counts].isna() & unplaced
    for keys, level in ((["district", "organization"], "district"), (["organization"], "province")):
        groups = [communes[key] for key in keys]
        sums = communes[counts].groupby(groups).sum(skipna=False)
        skipped = gaps.groupby(groups).any()
        totals = indicators[indicators["level"] == level].set_index(keys).loc[sums.index, counts]
        pd.testing.assert_frame_equal(
            sums.mask(skipped), totals.mask(skipped), check_names=False, check_dtype=False
        )


def assert_no_person_is_core_twice(indicators: pd.DataFrame) -> None:
    """In every unit, the organizations' core members after reconciliation and
    the undecided (counted once, in the `all` row) make the `all` figure."""
    for _, unit in indicators.groupby(["level", "district", "unit"]):
        organizations = unit[unit["organization"] != ALL_ORGANIZATIONS]
        everyone = unit[unit["organization"] == ALL_ORGANIZATIONS].iloc[0]
        kept = organizations["core_members_after"].sum() + everyone["core_undecided"]
        assert kept == everyone["core_members_after"], unit


def test_communes_add_up_to_districts_and_districts_to_the_province(
    indicators: pd.DataFrame,
) -> None:
    assert_levels_add_up(indicators)


def test_no_person_is_core_twice_after_reconciliation(indicators: pd.DataFrame) -> None:
    records = build_records()
    accepted = records[records["status"] == "accepted"]
    core_persons = accepted.loc[accepted["is_core"].eq(True), "person_id"].nunique()
    everyone = _by_key(indicators).loc[("province", "Đồng Nai", ALL_ORGANIZATIONS)]
    assert everyone["core_members_after"] == core_persons == 6
    assert_no_person_is_core_twice(indicators)


def test_a_reviewer_s_decision_keeps_the_person_in_one_organization() -> None:
    records = build_records()
    records["core_kept_by"] = ""
    records.loc[records["person_id"] == "P2", "core_kept_by"] = "nongdan"
    table = compute_indicators(records, SETTINGS)
    after = ("core_members_after", "core_regular_after", "core_undecided")
    assert _values(table, ("province", "Đồng Nai", "phunu"), after) == (1, 1, 0)
    # P2 is not marked regular in Nông dân's roster.
    assert _values(table, ("province", "Đồng Nai", "nongdan"), after) == (2, 1, 0)
    assert _values(table, ("province", "Đồng Nai", "all"), after) == (6, 5, 0)
    # P2 is now placed where Nông dân lists them.
    assert _values(table, ("commune", AN_PHUOC, "all"), ("core_members_after",)) == (2,)
    assert _values(table, ("commune", LONG_DUC, "all"), ("core_members_after",)) == (3,)
    assert_no_person_is_core_twice(table)
    assert_levels_add_up(table)


def test_a_decision_naming_an_organization_that_does_not_list_the_person_is_ignored() -> None:
    records = build_records()
    records["core_kept_by"] = ""
    records.loc[records["person_id"] == "P2", "core_kept_by"] = "ccb"
    assert compute_indicators(records, SETTINGS).equals(
        compute_indicators(build_records(), SETTINGS)
    )


def _core_only_phunu() -> pd.DataFrame:
    records = build_records()
    phunu = records["organization"] == "phunu"
    records.loc[phunu, "core_column_present"] = False
    records.loc[phunu, "is_core"] = True  # validate makes every row of a core list core
    return records


def test_a_core_only_roster_has_no_member_count_without_the_totals_table() -> None:
    table = compute_indicators(_core_only_phunu(), SETTINGS)
    by_key = _by_key(table)
    for level, unit in (("commune", AN_PHUOC), ("district", LONG_THANH), ("province", "Đồng Nai")):
        phunu = by_key.loc[(level, unit, "phunu")]
        assert pd.isna(phunu["members"]) and pd.isna(phunu["members_after"]), unit
        assert math.isnan(phunu["core_share"])
        assert pd.isna(by_key.loc[(level, unit, ALL_ORGANIZATIONS), "members"])
    # Not a member count: the core members are still counted.
    assert by_key.loc[("province", "Đồng Nai", "phunu"), "core_members"] == 3
    # Đoàn sent its full roster.
    assert by_key.loc[("province", "Đồng Nai", "doan"), "members"] == 4


def test_a_core_only_roster_takes_its_members_from_the_totals_table() -> None:
    totals = pd.DataFrame(
        [(LONG_THANH, AN_PHUOC, "phunu", 40), (LONG_THANH, LONG_DUC, "phunu", 30),
         # Đoàn sent a full roster: its count stays the roster's.
         (LONG_THANH, AN_PHUOC, "doan", 99)],
        columns=["district", "commune", "organization", "value"],
    )  # fmt: skip
    table = compute_indicators(_core_only_phunu(), SETTINGS, totals=totals)
    members = ("members", "members_after")
    assert _values(table, ("commune", AN_PHUOC, "phunu"), members) == (40, 40)
    assert _values(table, ("commune", AN_PHUOC, "doan"), members) == (2, 2)
    # P1, P2, P3, P6 are placed in An Phước; Phụ nữ lists 1 of its 40 members there.
    assert _values(table, ("commune", AN_PHUOC, "all"), members) == (43, 4 + 39)
    # Phụ nữ has no member count for the unplaced commune, nor for Nhơn Trạch,
    # which has no other commune; the province is the sum of the placed communes.
    assert _values(table, ("commune", UNKNOWN_UNIT, "phunu"), members) == (None, None)
    assert _values(table, ("district", NHON_TRACH, "phunu"), members) == (None, None)
    assert _values(table, ("district", LONG_THANH, "phunu"), members) == (70, 70)
    assert _values(table, ("province", "Đồng Nai", "phunu"), members) == (70, 70)
    # Đoàn's unplaced member still counts in the province. After: the 9 persons
    # listed, and Phụ nữ's unlisted members (39 in An Phước, 30 - 2 in Long Đức).
    assert _values(table, ("province", "Đồng Nai", ALL_ORGANIZATIONS), members) == (78, 76)
    assert _by_key(table).loc[("province", "Đồng Nai", "phunu"), "core_share"] == round(3 / 70, 4)
    assert_levels_add_up(table)


def test_the_population_table_gives_the_mass_share() -> None:
    population = pd.DataFrame(
        [(LONG_THANH, AN_PHUOC, "doan", 10), (LONG_THANH, AN_PHUOC, "phunu", 20),
         (LONG_THANH, AN_PHUOC, "nongdan", 30), (LONG_THANH, AN_PHUOC, ALL_ORGANIZATIONS, 50),
         (LONG_THANH, LONG_DUC, "doan", 5), (LONG_THANH, LONG_DUC, "phunu", 8),
         (LONG_THANH, LONG_DUC, "nongdan", 12)],
        columns=["district", "commune", "organization", "value"],
    )  # fmt: skip
    table = compute_indicators(build_records(), SETTINGS, population=population)
    rates = ("population", "mass_share", "mass_share_after")
    assert _values(table, ("commune", AN_PHUOC, "doan"), rates) == (10, 0.2, 0.2)
    # A figure for all organizations together is used as given, else their sum.
    assert _values(table, ("commune", AN_PHUOC, ALL_ORGANIZATIONS), rates) == (50, 0.08, 0.08)
    assert _values(table, ("commune", LONG_DUC, ALL_ORGANIZATIONS), rates) == (25, 0.24, 0.16)
    assert _values(table, ("commune", UNKNOWN_UNIT, "doan"), rates) == (None, None, None)
    assert _values(table, ("district", NHON_TRACH, "doan"), rates) == (None, None, None)
    # Đoàn's 4 members, one unplaced, among the 15 of eligible age in Long Thành.
    assert _values(table, ("province", "Đồng Nai", "doan"), rates) == (15, 0.2667, 0.2)
    assert_levels_add_up(table)


def test_overlap_counts_persons_core_in_both_organizations() -> None:
    records = build_records()
    # P1 is also core in Nông dân, P2 in Đoàn too: P2 is core in three organizations.
    extra = records[records["record_id"].isin(["r01", "r02"])].copy()
    extra["record_id"] = ["x01", "x02"]
    extra["organization"] = ["nongdan", "doan"]
    records = pd.concat([records, extra], ignore_index=True)
    reconciliation = Reconciliation(records, SETTINGS)
    overlap = reconciliation.overlap()
    assert overlap.index.tolist() == overlap.columns.tolist() == ["doan", "phunu", "nongdan"]
    assert overlap.loc["doan"].tolist() == [4, 1, 2]  # P1 P2 P3 P7; P2; P1 P2
    assert overlap.loc["phunu"].tolist() == [1, 2, 1]
    assert overlap.loc["nongdan"].tolist() == [2, 1, 3]  # P1 P2 P5
    table = reconciliation.indicators()
    overlap_columns = ("core_shared", "core_three_plus", "core_undecided")
    assert _values(table, ("province", "Đồng Nai", "all"), overlap_columns) == (2, 1, 2)
    assert _values(table, ("province", "Đồng Nai", "doan"), overlap_columns) == (2, 1, 2)


def test_persons_name_the_keeper_and_place_each_person_once() -> None:
    records = build_records()
    persons = Reconciliation(records, SETTINGS).persons()
    assert persons.index.tolist() == records.index[records["status"] == "accepted"].tolist()
    by_record = persons.set_axis(records.loc[persons.index, "record_id"])
    assert by_record.loc["r01", ["person", "keeper", "undecided", "core_after"]].tolist() == [
        "P1",
        "doan",
        False,
        True,
    ]
    assert by_record.loc[["r02", "r03"], "keeper"].tolist() == ["", ""]
    assert by_record.loc[["r02", "r03"], "undecided"].tolist() == [True, True]
    assert by_record.loc[["r06", "r12"], "core_after"].tolist() == [False, False]
    anchors = by_record[by_record["anchor"]]
    assert anchors["person"].is_unique and len(anchors) == 9
    assert anchors.loc["r02", "commune"] == AN_PHUOC  # P2's first core record
    assert "r05" not in anchors.index  # P3 is placed by r04


def test_no_accepted_record_still_gives_a_province_row() -> None:
    records = build_records()
    records["status"] = "rejected"
    table = compute_indicators(records, SETTINGS)
    assert table["level"].tolist() == ["province"] * 4
    assert table["members"].sum() == 0
    assert table["core_share"].isna().all()
