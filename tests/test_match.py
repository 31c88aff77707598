"""Comparison of two records: (left, right, expected levels) with the reason for each."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pipeline.matching.blocking import candidate_pairs
from pipeline.matching.comparisons import FIELD_LEVELS, RecordArrays, compare_all
from pipeline.matching.explain import _PHRASES
from pipeline.progress import NoProgress
from pipeline.stages.match import match
from pipeline.synthetic import generate_rosters
from tests.record_builders import SETTINGS, normalized_records

LAN = {"full_name": "Nguyễn Thị Lan", "birth_date": "12/03/1985", "sex": "Nữ"}
HOME = "Ấp 3, xã Phước Thiền, huyện Nhơn Trạch"


def _levels(
    left: dict[str, Any], right: dict[str, Any], background: list[dict[str, Any]] | None = None
) -> dict[str, str]:
    """Levels of the pair (left, right), compared among `background` records
    (word rarity, which tells a slip from another name, is counted over all)."""
    frame = normalized_records([*(background or []), left, right])
    arrays = RecordArrays.from_records(frame)
    last = len(frame) - 1
    levels = compare_all(arrays, np.array([last - 1]), np.array([last]))
    return {field: FIELD_LEVELS[field][int(values[0])] for field, values in levels.items()}


def _many(*names: str, copies: int = 30) -> list[dict[str, Any]]:
    """Background records that make these names common in the run."""
    return [
        {"full_name": name, "birth_date": 1950 + number, "address": "Ấp 9, xã Long Tân"}
        for name in names
        for number in range(copies)
    ]


LAN_1985 = {**LAN, "birth_date": "12/03/1985"}
TAN_PHONG = "Khu phố 5, phường Tân Phong, thành phố Biên Hòa"

# (left, right, expected level) per field; every case says why.
NAME_CASES = [
    # Folding removes diacritics and case: the same name typed without marks.
    (LAN, {**LAN, "full_name": "NGUYEN THI LAN"}, "exact"),
    # NFD input (some input methods) is the same name once normalized.
    (LAN, {**LAN, "full_name": "Nguye\u0302\u0303n Thi\u0323 Lan"}, "exact"),
    # Đ written as D is the same letter after folding.
    ({**LAN, "full_name": "Đỗ Văn Đức"}, {**LAN, "full_name": "Do Van Duc"}, "exact"),
    # Old and new tone placement (Hoà, Hòa) and i for y (Quí, Quý) spell one name.
    ({**LAN, "full_name": "Lê Thị Hoà"}, {**LAN, "full_name": "Lê Thị Hòa"}, "exact"),
    ({**LAN, "full_name": "Trần Văn Quý"}, {**LAN, "full_name": "Trần Văn Quí"}, "exact"),
    # A baptismal name in front is set aside.
    (LAN, {**LAN, "full_name": "Maria Nguyễn Thị Lan"}, "exact"),
    (LAN, {**LAN, "full_name": "Têrêsa Nguyễn Thị Lan"}, "exact"),
    # A dropped middle name keeps surname and given name.
    (LAN, {**LAN, "full_name": "Nguyễn Lan"}, "no_middle"),
    # A one-letter slip in the given name has its own level.
    (LAN, {**LAN, "full_name": "Nguyễn Thị Lann"}, "given_typo"),
    # A slip in the surname, the given name agreeing.
    (LAN, {**LAN, "full_name": "Nguyễm Thị Lan"}, "close"),
    # A slip in the middle name: a doubled letter.
    (LAN, {**LAN, "full_name": "Nguyễn Thịi Lan"}, "close"),
    # Slips in both surname and given name (FEBRL-like typing).
    ({**LAN, "full_name": "Bishop Charlotte"}, {**LAN, "full_name": "Bishdop Charlotute"}, "typos"),
    # A given name written first: the same words in another order.
    ({**LAN, "full_name": "Pringle Samara"}, {**LAN, "full_name": "Samara Pringle"}, "swapped"),
    # Twins: same surname, same birth date, different given name.
    (LAN, {**LAN, "full_name": "Nguyễn Thị Liên"}, "different"),
    # Siblings at one address: surnames agree, given names do not.
    ({**LAN, "full_name": "Trần Văn Hùng"}, {**LAN, "full_name": "Trần Thị Mai"}, "different"),
]

# Cases that need the rest of the run: whether a word is a slip depends on
# how often each spelling is written. (left, right, background, expected level)
NAME_CASES_AMONG_OTHERS = [
    # Twin sisters Hương and Phương: two common names a letter apart are two
    # names, not a slip.
    (
        {**LAN, "full_name": "Nguyễn Thị Hương"},
        {**LAN, "full_name": "Nguyễn Thị Phương"},
        _many("Nguyễn Thị Hương", "Nguyễn Thị Phương"),
        "different",
    ),
    # Brothers Tâm and Tân at one address: the same.
    (
        {**LAN, "full_name": "Trần Văn Tâm"},
        {**LAN, "full_name": "Trần Văn Tân"},
        _many("Lê Văn Tâm", "Lê Văn Tân"),
        "different",
    ),
    # Brothers Hùng and Dũng: common names one letter apart.
    (
        {**LAN, "full_name": "Trần Văn Hùng"},
        {**LAN, "full_name": "Trần Văn Dũng"},
        _many("Lê Văn Hùng", "Lê Văn Dũng"),
        "different",
    ),
    # "Hùtg" written once beside many Hùng: a slip.
    (
        {**LAN, "full_name": "Trần Văn Hùng"},
        {**LAN, "full_name": "Trần Văn Hùtg"},
        _many("Lê Văn Hùng"),
        "given_typo",
    ),
    # Vũ and Võ are both common surnames: not a slip, but the given and
    # middle names agree, so the pair stays worth a reviewer's look.
    (
        {**LAN, "full_name": "Vũ Thị Lan"},
        {**LAN, "full_name": "Võ Thị Lan"},
        _many("Vũ Văn An", "Võ Văn An"),
        "alike",
    ),
]

BIRTH_CASES = [
    # The same full date.
    (LAN_1985, LAN_1985, "exact"),
    # A year alone agrees with a full date of that year, weakly.
    (LAN_1985, {**LAN, "birth_date": 1985}, "year_only"),
    # Day and month swapped by the typist.
    (LAN_1985, {**LAN, "birth_date": "03/12/1985"}, "swapped"),
    # One digit mistyped in the day, or in the month.
    (LAN_1985, {**LAN, "birth_date": "13/03/1985"}, "one_digit"),
    (LAN_1985, {**LAN, "birth_date": "12/08/1985"}, "one_digit"),
    # Namesakes of the same year, born on clearly different days.
    (LAN_1985, {**LAN, "birth_date": "28/09/1985"}, "same_year"),
    # Same day and month one year apart: more often a slip in the year.
    (LAN_1985, {**LAN, "birth_date": "12/03/1986"}, "near_year"),
    # Another year, another day: not a slip.
    (LAN_1985, {**LAN, "birth_date": "02/07/1987"}, "different"),
    # Parent and child sharing a full name: a generation apart.
    (LAN_1985, {**LAN, "birth_date": "02/01/1960"}, "far"),
    # Twins: the same date, whatever the names say.
    (LAN_1985, {**LAN_1985, "full_name": "Nguyễn Thị Liên"}, "exact"),
    # No readable birth date on one side.
    (LAN_1985, {**LAN, "birth_date": None}, "missing"),
]

CITIZEN_ID_CASES = [
    # An ID typed as a number lost its leading zero; it is still the same ID.
    ({**LAN, "citizen_id": "075185001234"}, {**LAN, "citizen_id": 75185001234}, "same"),
    # One digit mistyped.
    ({**LAN, "citizen_id": "075185001234"}, {**LAN, "citizen_id": "075185001284"}, "one_digit"),
    # Two people (twins, namesakes) with their own IDs.
    ({**LAN, "citizen_id": "075185001234"}, {**LAN, "citizen_id": "075185009999"}, "different"),
    # One roster has no ID: nothing to compare.
    ({**LAN, "citizen_id": "075185001234"}, LAN, "missing"),
    # An old 9-digit CMND and a 12-digit CCCD share nothing, even for one person.
    ({**LAN, "citizen_id": "271234567"}, {**LAN, "citizen_id": "075185001234"}, "missing"),
]

COMMUNE_CASES = [
    # An abbreviated address names the same commune.
    ({**LAN, "address": HOME}, {**LAN, "address": "ấp 3, X. Phước Thiền, H. Nhơn Trạch"}, "same"),
    # Phước Thiền and Long Tân were merged into Xã Nhơn Trạch in 2025: near, not same.
    ({**LAN, "address": HOME}, {**LAN, "address": "Ấp 1, xã Long Tân, huyện Nhơn Trạch"}, "merged"),
    # Communes of two districts.
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "Ấp 1, xã An Phước, huyện Long Thành"},
        "different",
    ),
    # A post-reform roster names the new commune: the same place as the old one.
    ({**LAN, "address": HOME}, {**LAN, "address": "Ấp 3, xã Nhơn Trạch"}, "same"),
    # An address without a commune tells nothing.
    ({**LAN, "address": HOME}, {**LAN, "address": "Ấp 3"}, "missing"),
]

HAMLET_CASES = [
    # "ấp 3" and "Ấp 3" of one commune: one hamlet.
    ({**LAN, "address": HOME}, {**LAN, "address": "ấp 3, X. Phước Thiền"}, "same"),
    # "KP 5" is how a hurried roster writes Khu phố 5.
    (
        {**LAN, "address": TAN_PHONG},
        {**LAN, "address": "KP 5, P. Tân Phong, TP. Biên Hòa"},
        "same",
    ),
    # A move to another hamlet of the commune (or a namesake neighbour).
    ({**LAN, "address": HOME}, {**LAN, "address": "Ấp 1, xã Phước Thiền"}, "different"),
    # Ấp 3 of another commune is another hamlet.
    (
        {**LAN, "address": HOME},
        {**LAN, "address": "Ấp 3, xã An Phước, huyện Long Thành"},
        "different",
    ),
    # No hamlet written on one side.
    ({**LAN, "address": HOME}, {**LAN, "address": "xã Phước Thiền"}, "missing"),
]

SEX_CASES = [
    ({**LAN, "sex": "Nữ"}, {**LAN, "sex": "nữ"}, "same"),
    # Twin brother and sister.
    ({**LAN, "sex": "Nữ"}, {**LAN, "sex": "Nam", "full_name": "Nguyễn Văn Long"}, "different"),
    # A Phụ nữ roster has no sex column: its members are women.
    (
        {**LAN, "sex": None, "full_name": "Nguyễn Diễm Hoa", "organization": "phunu"},
        {**LAN, "sex": "Nam", "full_name": "Nguyễn Hòa"},
        "different",
    ),
    # The middle name Thị is a woman's, Văn a man's.
    (
        {**LAN, "sex": None, "full_name": "Nguyễn Thị Hòa"},
        {**LAN, "sex": None, "full_name": "Nguyễn Văn Hòa"},
        "different",
    ),
    # The 12-digit CCCD carries the sex (fourth digit 1: a woman born in the 1900s).
    (
        {**LAN, "sex": None, "full_name": "Nguyễn Hòa", "citizen_id": "075185001234"},
        {**LAN, "sex": "Nữ", "full_name": "Nguyễn Hòa"},
        "same",
    ),
    # Nothing tells on one side.
    ({**LAN, "sex": "Nữ"}, {**LAN, "sex": None, "full_name": "Nguyễn Hòa"}, "missing"),
]

CASES = [
    *[(left, right, "name", level) for left, right, level in NAME_CASES],
    *[(left, right, "birth", level) for left, right, level in BIRTH_CASES],
    *[(left, right, "citizen_id", level) for left, right, level in CITIZEN_ID_CASES],
    *[(left, right, "commune", level) for left, right, level in COMMUNE_CASES],
    *[(left, right, "hamlet", level) for left, right, level in HAMLET_CASES],
    *[(left, right, "sex", level) for left, right, level in SEX_CASES],
]


def test_every_level_of_every_field_has_a_case() -> None:
    covered = {(field, level) for _, _, field, level in CASES}
    covered |= {("name", level) for *_, level in NAME_CASES_AMONG_OTHERS}
    every = {(field, level) for field, levels in FIELD_LEVELS.items() for level in levels}
    assert covered == every


@pytest.mark.parametrize(("left", "right", "field", "expected"), CASES)
def test_comparison_levels(left: dict, right: dict, field: str, expected: str) -> None:
    assert _levels(left, right)[field] == expected


@pytest.mark.parametrize(("left", "right", "background", "expected"), NAME_CASES_AMONG_OTHERS)
def test_name_levels_among_other_records(
    left: dict, right: dict, background: list, expected: str
) -> None:
    assert _levels(left, right, background)["name"] == expected


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


def test_every_level_reads_as_evidence_in_vietnamese() -> None:
    # A level without a phrase would leave reviewers without the reason; only
    # "missing" and an agreeing sex are silent on purpose.
    silent = {(field, "missing") for field in FIELD_LEVELS} | {("sex", "same")}
    for field, levels in FIELD_LEVELS.items():
        for level in levels:
            phrase = _PHRASES[field].get(level)
            assert (phrase is None) == ((field, level) in silent), (field, level)
