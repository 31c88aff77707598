"""Comparison of two records: (left, right, expected levels) with the reason for each."""

from __future__ import annotations

from typing import Any

import pytest

from pipeline.progress import NoProgress
from pipeline.stages.match import candidate_pairs, compare, match
from tests.record_builders import SETTINGS, normalized_records

LAN = {"full_name": "Nguyễn Thị Lan", "birth_date": "12/03/1985", "sex": "Nữ"}
HOME = "Ấp 3, xã Phước Thiền, huyện Nhơn Trạch"


def _pair(left: dict[str, Any], right: dict[str, Any]) -> tuple[dict, dict]:
    frame = normalized_records([left, right])
    first, second = frame.to_dict("records")
    return first, second


CASES = [
    # (left, right, field, expected level)
    # Folding removes diacritics and case: the same name typed without marks.
    (LAN, {**LAN, "full_name": "NGUYEN THI LAN"}, "name", "exact"),
    # NFD input (some input methods) is the same name once normalized.
    (LAN, {**LAN, "full_name": "Nguye\u0302\u0303n Thi\u0323 Lan"}, "name", "exact"),
    # Đ written as D is the same letter after folding.
    (
        {**LAN, "full_name": "Đỗ Văn Đức"},
        {**LAN, "full_name": "Do Van Duc"},
        "name",
        "exact",
    ),
    # A dropped middle name keeps surname and given name.
    (LAN, {**LAN, "full_name": "Nguyễn Lan"}, "name", "no_middle"),
    # A one-letter typo is close, not different.
    (LAN, {**LAN, "full_name": "Nguyễn Thị Lann"}, "name", "close"),
    # Twins: same surname, same birth date, different given name.
    (LAN, {**LAN, "full_name": "Nguyễn Thị Liên"}, "name", "different"),
    # A year alone agrees with a full date of that year, weakly.
    (LAN, {**LAN, "birth_date": 1985}, "birth", "year_only"),
    # Day and month swapped by the typist.
    (LAN, {**LAN, "birth_date": "03/12/1985"}, "birth", "swapped"),
    # One digit mistyped in the day.
    (LAN, {**LAN, "birth_date": "13/03/1985"}, "birth", "one_digit"),
    # Namesakes of the same year, born on clearly different days.
    (LAN, {**LAN, "birth_date": "28/09/1985"}, "birth", "same_year"),
    # A different year is a different person.
    (LAN, {**LAN, "birth_date": "12/03/1987"}, "birth", "different"),
    # An abbreviated address names the same commune.
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "ấp 3, X. Phước Thiền, H. Nhơn Trạch"},
        "commune",
        "same",
    ),
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "Ấp 1, xã Long Tân, huyện Nhơn Trạch"},
        "commune",
        "different",
    ),
    # An ID typed as a number lost its leading zero; it is still the same ID.
    (
        {**LAN, "citizen_id": "075185001234"},
        {**LAN, "citizen_id": 75185001234},
        "cccd",
        "same",
    ),
    (
        {**LAN, "citizen_id": "075185001234"},
        {**LAN, "citizen_id": "075185009999"},
        "cccd",
        "different",
    ),
]


@pytest.mark.parametrize(("left", "right", "field", "expected"), CASES)
def test_comparison_levels(left: dict, right: dict, field: str, expected: str) -> None:
    first, second = _pair(left, right)
    assert compare(first, second).levels[field] == expected


def _probability(left: dict, right: dict) -> float:
    first, second = _pair(left, right)
    log2_odds = compare(first, second).log2_odds
    return 1 / (1 + 2**-log2_odds)


def test_same_person_with_noise_is_linked() -> None:
    left = {**LAN, "address": HOME}
    right = {"full_name": "NGUYEN THI LAN", "birth_date": 1985, "address": "Ấp 3, X. Phước Thiền"}
    assert _probability(left, right) >= SETTINGS.match.link_threshold


@pytest.mark.parametrize(
    "right",
    [
        # Namesake in another commune, same year, another day: a different woman.
        {**LAN, "birth_date": "28/09/1985", "address": "Ấp 1, xã Long Tân"},
        # Twin sister at the same address.
        {**LAN, "full_name": "Nguyễn Thị Liên", "address": HOME},
        # Mother at the same address, same name, born a generation earlier.
        {**LAN, "birth_date": "02/01/1960", "address": HOME},
        # Same name and date but a different citizen ID.
        {**LAN, "address": HOME, "citizen_id": "075185009999"},
    ],
)
def test_hard_negatives_are_not_linked(right: dict) -> None:
    left = {**LAN, "address": HOME, "citizen_id": "075185001234"}
    assert _probability(left, right) < SETTINGS.match.review_threshold


def test_blocking_finds_pairs_by_each_rule_and_counts_them() -> None:
    frame = normalized_records(
        [
            {**LAN, "citizen_id": "075185001234"},
            # Found only by the ID: the name was typed very differently.
            {"full_name": "Ng. T. Lan", "birth_date": "1985", "citizen_id": "075185001234"},
            # Found by name and birth year.
            {**LAN, "birth_date": 1985},
            # Unrelated: no pair with anyone.
            {"full_name": "Trần Văn Hùng", "birth_date": "01/01/1970"},
        ]
    )
    pairs, counts = candidate_pairs(frame)
    found = set(pairs.itertuples(index=False, name=None))
    assert found == {(0, 1), (0, 2)}
    assert counts["cccd"] == 1
    assert counts["ho_ten_nam_sinh"] == 1


def test_match_outputs_links_with_vietnamese_evidence() -> None:
    frame = normalized_records(
        [
            {**LAN, "address": HOME, "organization": "doan"},
            {**LAN, "address": HOME, "organization": "phunu"},
        ]
    )
    result = match(frame, SETTINGS, NoProgress())
    assert result.pairs["outcome"].tolist() == ["link"]
    assert result.pairs.loc[0, "evidence"] == (
        "Trùng họ tên, trùng ngày sinh, cùng xã Phước Thiền, cùng Ấp 3"
    )
