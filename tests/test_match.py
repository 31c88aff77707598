"""Comparison of two records: (left, right, expected levels) with the reason for each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.matching.blocking import candidate_pairs
from pipeline.matching.comparisons import FIELD_LEVELS, RecordArrays, compare_all
from pipeline.progress import NoProgress
from pipeline.stages.match import match
from pipeline.synthetic import generate_rosters
from tests.record_builders import SETTINGS, normalized_records

LAN = {"full_name": "Nguyễn Thị Lan", "birth_date": "12/03/1985", "sex": "Nữ"}
HOME = "Ấp 3, xã Phước Thiền, huyện Nhơn Trạch"


def _levels(left: dict[str, Any], right: dict[str, Any]) -> dict[str, str]:
    frame = normalized_records([left, right])
    arrays = RecordArrays.from_records(frame)
    levels = compare_all(arrays, np.array([0]), np.array([1]))
    return {field: FIELD_LEVELS[field][int(values[0])] for field, values in levels.items()}


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
    # A one-letter slip in the given name has its own level.
    (LAN, {**LAN, "full_name": "Nguyễn Thị Lann"}, "name", "given_typo"),
    # A slip in the surname, the given name agreeing.
    (LAN, {**LAN, "full_name": "Nguyễm Thị Lan"}, "name", "close"),
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
    # Another year, another day: not a slip.
    (LAN, {**LAN, "birth_date": "02/07/1987"}, "birth", "different"),
    # An abbreviated address names the same commune.
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "ấp 3, X. Phước Thiền, H. Nhơn Trạch"},
        "commune",
        "same",
    ),
    # Phước Thiền and Long Tân were merged into Xã Nhơn Trạch in 2025: near, not same.
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "Ấp 1, xã Long Tân, huyện Nhơn Trạch"},
        "commune",
        "merged",
    ),
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "Ấp 1, xã An Phước, huyện Long Thành"},
        "commune",
        "different",
    ),
    # A post-reform roster names the new commune: the same place as the old one.
    ({**LAN, "address": HOME}, {**LAN, "address": "Ấp 3, xã Nhơn Trạch"}, "commune", "same"),
    # An ID typed as a number lost its leading zero; it is still the same ID.
    (
        {**LAN, "citizen_id": "075185001234"},
        {**LAN, "citizen_id": 75185001234},
        "citizen_id",
        "same",
    ),
    (
        {**LAN, "citizen_id": "075185001234"},
        {**LAN, "citizen_id": "075185009999"},
        "citizen_id",
        "different",
    ),
]


@pytest.mark.parametrize(("left", "right", "field", "expected"), CASES)
def test_comparison_levels(left: dict, right: dict, field: str, expected: str) -> None:
    assert _levels(left, right)[field] == expected


@pytest.fixture(scope="module")
def population() -> list[dict[str, Any]]:
    """The example rosters' people, as the background a model is estimated on."""
    truth = generate_rosters(Path(tempfile.mkdtemp()))
    return [
        {
            "full_name": person.full_name,
            "birth_date": person.birth_date.strftime("%d/%m/%Y"),
            "sex": "Nữ" if person.sex == "F" else "Nam",
            "address": f"{person.hamlet}, {person.commune}, {person.district}",
            "citizen_id": person.citizen_id,
        }
        for person in truth.people
    ]


def _outcome(population: list[dict], left: dict, right: dict) -> str:
    """ "link", "review" or "none" for the last two records among the population."""
    frame = normalized_records([*population, left, right])
    pairs = match(frame, SETTINGS, NoProgress()).pairs
    ids = frame["record_id"].tolist()[-2:]
    found = pairs[(pairs["left"] == ids[0]) & (pairs["right"] == ids[1])]
    return str(found["outcome"].iloc[0]) if len(found) else "none"


LAN_AT_HOME = {**LAN, "address": HOME}


@pytest.mark.parametrize(
    "right",
    [
        # Uppercase without diacritics, a year alone and an abbreviated address.
        {"full_name": "NGUYEN THI LAN", "birth_date": 1985, "address": "Ấp 3, X. Phước Thiền"},
        # The same ID and date; the name typed with a slip.
        {**LAN_AT_HOME, "full_name": "Nguyễn Thị Lann", "citizen_id": "075185001234"},
        # Day and month swapped.
        {**LAN_AT_HOME, "birth_date": "03/12/1985"},
        # A baptismal name in front.
        {**LAN_AT_HOME, "full_name": "Maria Nguyễn Thị Lan"},
    ],
)
def test_same_person_with_noise_is_linked_or_reviewed(population: list, right: dict) -> None:
    left = {**LAN_AT_HOME, "citizen_id": "075185001234"}
    assert _outcome(population, left, right) in ("link", "review")


@pytest.mark.parametrize(
    "right",
    [
        # Namesake in another commune, same year, another day: a different woman.
        {**LAN, "birth_date": "28/09/1985", "address": "Ấp 1, xã Long Tân, huyện Nhơn Trạch"},
        # Twin sister at the same address.
        {**LAN_AT_HOME, "full_name": "Nguyễn Thị Liên"},
        # Mother at the same address, same name, born a generation earlier.
        {**LAN_AT_HOME, "birth_date": "02/01/1960"},
        # Same name and date but a different citizen ID.
        {**LAN_AT_HOME, "citizen_id": "075185009999"},
    ],
)
def test_hard_negatives_are_not_linked(population: list, right: dict) -> None:
    left = {**LAN_AT_HOME, "citizen_id": "075185001234"}
    assert _outcome(population, left, right) != "link"


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
    candidates = candidate_pairs(frame, max_block=100)
    found = set(zip(candidates.left.tolist(), candidates.right.tolist(), strict=True))
    assert found == {(0, 1), (0, 2)}
    assert candidates.pairs_per_rule["cccd"] == 1
    assert candidates.pairs_per_rule["ho_ten_nam_sinh"] == 1


def test_blocks_over_the_cap_are_skipped_and_counted() -> None:
    frame = normalized_records([{**LAN, "birth_date": 1985} for _ in range(5)])
    candidates = candidate_pairs(frame, max_block=4)
    assert candidates.pairs_per_rule["ho_ten_nam_sinh"] == 0
    assert candidates.records_in_skipped_blocks["ho_ten_nam_sinh"] == 5


def test_match_outputs_links_with_vietnamese_evidence_and_contributions(population: list) -> None:
    frame = normalized_records(
        [
            *population,
            {**LAN_AT_HOME, "organization": "doan"},
            {**LAN_AT_HOME, "organization": "phunu"},
        ]
    )
    pairs = match(frame, SETTINGS, NoProgress()).pairs
    ids = frame["record_id"].tolist()[-2:]
    pair = pairs[(pairs["left"] == ids[0]) & (pairs["right"] == ids[1])].iloc[0]
    assert pair["outcome"] == "link"
    assert pair["evidence"] == "Trùng họ tên, trùng ngày sinh, cùng xã Phước Thiền, cùng Ấp 3"
    assert pair["contributions"].startswith("họ tên +")
