"""Indicators of the hand-made records of test_report, counted by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from pipeline.indicators import (
    ALL_ORGANIZATIONS,
    COUNT_COLUMNS,
    INDICATOR_COLUMNS,
    compute_indicators,
)
from tests.test_report import AN_PHUOC, LONG_DUC, LONG_THANH, NHON_TRACH, SETTINGS, build_records

# Accepted records (r09 is rejected and never counted), as
# record: organization, commune, person, flags
#   r01 doan    An Phước  P1 core regular
#   r02 phunu   An Phước  P2 core regular
#   r03 nongdan Long Đức  P2 core
#   r04 doan    An Phước  P3 core regular
#   r05 doan    Long Đức  P3 core
#   r06 phunu   Long Đức  P4
#   r07 nongdan Long Đức  P5 core regular away
#   r08 nongdan An Phước  P6
#   r10 doan    (unknown, Nhơn Trạch) P7 core regular
#   r11 phunu   Long Đức  P8 core regular
#   r12 nongdan Long Đức  P9
# P2 is core in two organizations: undecided in both, core once in `all`.
# P3 is listed twice by Đoàn: placed in An Phước, where Đoàn first lists them.
EXPECTED = {
    # (level, unit, organization):
    #     members, core_members, core_regular, core_away,
    #     members_after, core_members_after, core_regular_after, core_undecided
    ("commune", AN_PHUOC, "doan"): (2, 2, 2, 0, 2, 2, 2, 0),  # r01 r04; P1 P3
    ("commune", AN_PHUOC, "phunu"): (1, 1, 1, 0, 1, 0, 0, 1),  # r02; P2 undecided
    ("commune", AN_PHUOC, "nongdan"): (1, 0, 0, 0, 1, 0, 0, 0),  # r08; P6
    # First records: P1 r01, P2 r02, P3 r04, P6 r08; core P1 P2 P3, all regular somewhere.
    ("commune", AN_PHUOC, "all"): (4, 3, 3, 0, 4, 3, 3, 1),
    ("commune", LONG_DUC, "doan"): (1, 1, 0, 0, 0, 0, 0, 0),  # r05: P3 counted in An Phước
    ("commune", LONG_DUC, "phunu"): (2, 1, 1, 0, 2, 1, 1, 0),  # r06 r11; P4 P8
    ("commune", LONG_DUC, "nongdan"): (3, 2, 1, 1, 3, 1, 1, 1),  # r03 r07 r12; P2 undecided, P5
    ("commune", LONG_DUC, "all"): (6, 4, 2, 1, 4, 2, 2, 0),  # first records of P4 P5 P8 P9
    ("commune", "Chưa xác định", "doan"): (1, 1, 1, 0, 1, 1, 1, 0),  # r10; P7
    ("commune", "Chưa xác định", "phunu"): (0, 0, 0, 0, 0, 0, 0, 0),
    ("commune", "Chưa xác định", "all"): (1, 1, 1, 0, 1, 1, 1, 0),
    ("district", LONG_THANH, "doan"): (3, 3, 2, 0, 2, 2, 2, 0),
    ("district", LONG_THANH, "all"): (10, 7, 5, 1, 8, 5, 5, 1),
    ("district", NHON_TRACH, "nongdan"): (0, 0, 0, 0, 0, 0, 0, 0),
    ("province", "Đồng Nai", "doan"): (4, 4, 3, 0, 3, 3, 3, 0),
    ("province", "Đồng Nai", "phunu"): (3, 2, 2, 0, 3, 1, 1, 1),
    ("province", "Đồng Nai", "nongdan"): (4, 2, 1, 1, 4, 1, 1, 1),
    # 9 persons; core: P1 P2 P3 P5 P7 P8, each once.
    ("province", "Đồng Nai", "all"): (11, 8, 6, 1, 9, 6, 6, 1),
}


@pytest.fixture(scope="module")
def indicators() -> pd.DataFrame:
    return compute_indicators(build_records(), SETTINGS)


def test_counts_match_hand_counts(indicators: pd.DataFrame) -> None:
    by_key = indicators.set_index(["level", "unit", "organization"])
    for key, expected in EXPECTED.items():
        assert tuple(by_key.loc[key, list(COUNT_COLUMNS)]) == expected, key


def test_rates(indicators: pd.DataFrame) -> None:
    by_key = indicators.set_index(["level", "unit", "organization"])
    province = by_key.loc[("province", "Đồng Nai", "all")]
    assert province["core_share"] == 0.7273  # 8 / 11
    assert province["regular_share"] == 0.75  # 6 / 8
    assert province["core_share_after"] == 0.6667  # 6 / 9
    assert province["regular_share_after"] == 1.0  # 6 / 6
    # No Phụ nữ member in Nhơn Trạch: the rate does not exist, it is not 0.
    assert math.isnan(by_key.loc[("district", NHON_TRACH, "phunu"), "core_share"])


def test_rows_are_ordered_for_reading(indicators: pd.DataFrame) -> None:
    assert tuple(indicators.columns) == INDICATOR_COLUMNS
    units = indicators[["level", "unit", "district"]].drop_duplicates()
    assert [tuple(row) for row in units.itertuples(index=False)] == [
        ("province", "Đồng Nai", ""),
        ("district", LONG_THANH, LONG_THANH),
        ("district", NHON_TRACH, NHON_TRACH),
        ("commune", AN_PHUOC, LONG_THANH),
        ("commune", LONG_DUC, LONG_THANH),
        ("commune", "Chưa xác định", NHON_TRACH),
    ]
    per_unit = indicators.loc[indicators["unit"] == AN_PHUOC, "organization"].tolist()
    assert per_unit == ["doan", "phunu", "nongdan", ALL_ORGANIZATIONS]


def test_communes_add_up_to_districts_and_districts_to_the_province(
    indicators: pd.DataFrame,
) -> None:
    counts = list(COUNT_COLUMNS)
    communes = indicators[indicators["level"] == "commune"]
    districts = indicators[indicators["level"] == "district"].set_index(
        ["district", "organization"]
    )
    province = indicators[indicators["level"] == "province"].set_index("organization")
    commune_sums = communes.groupby(["district", "organization"])[counts].sum()
    pd.testing.assert_frame_equal(commune_sums, districts.loc[commune_sums.index, counts])
    district_sums = districts.groupby(level="organization")[counts].sum()
    pd.testing.assert_frame_equal(district_sums, province.loc[district_sums.index, counts])


def test_no_person_is_core_twice_after_reconciliation(indicators: pd.DataFrame) -> None:
    records = build_records()
    accepted = records[records["status"] == "accepted"]
    core_persons = accepted.loc[accepted["is_core"].eq(True), "person_id"].nunique()
    province = indicators[indicators["level"] == "province"].set_index("organization")
    everyone = province.loc[ALL_ORGANIZATIONS]
    assert everyone["core_members_after"] == core_persons == 6
    # Core of exactly one organization, plus the undecided counted once.
    organizations = province.drop(index=ALL_ORGANIZATIONS)
    assert organizations["core_members_after"].sum() + everyone["core_undecided"] == core_persons


def test_no_accepted_record_still_gives_a_province_row() -> None:
    records = build_records()
    records["status"] = "rejected"
    table = compute_indicators(records, SETTINGS)
    assert table["level"].tolist() == ["province"] * 4
    assert table["members"].sum() == 0
    assert table["core_share"].isna().all()
