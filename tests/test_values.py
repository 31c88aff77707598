"""Parsing of cell values as offices type them: (value, expected) tables."""

from __future__ import annotations

import datetime

import pytest

from pipeline.values import (
    UnreadableDate,
    mentions_away,
    normalize_citizen_id,
    parse_date,
    parse_mark,
    parse_sex,
)


@pytest.mark.parametrize(
    ("value", "expected_iso"),
    [
        (datetime.date(1985, 3, 12), "1985-03-12"),  # a real Excel date
        (datetime.datetime(1985, 3, 12), "1985-03-12"),  # calamine gives datetimes
        ("12/03/1985", "1985-03-12"),  # day first, as Vietnamese write dates
        ("2/3/85", "1985-03-02"),  # two-digit year before the pivot: 1900s
        ("2/3/05", "2005-03-02"),  # two-digit year up to the pivot: 2000s
        ("12.03.1985", "1985-03-12"),
        ("12-03-1985", "1985-03-12"),
        ("1985-03-12", "1985-03-12"),  # ISO text from a CSV export
        (1985, "1985"),  # a birth year alone
        (1985.0, "1985"),  # the same year read as a float
        ("1985", "1985"),  # year typed as text
        (31118, "1985-03-12"),  # an Excel serial whose date format was lost
    ],
)
def test_parse_date_reads_common_forms(value: object, expected_iso: str) -> None:
    parsed = parse_date(value)
    assert parsed is not None
    assert parsed.iso == expected_iso


@pytest.mark.parametrize("value", ["31/02/1985", "không rõ", "12/1985/03", 3.5, True])
def test_parse_date_refuses_what_is_not_a_date(value: object) -> None:
    with pytest.raises(UnreadableDate):
        parse_date(value)


def test_parse_date_empty_is_none() -> None:
    assert parse_date(None) is None
    assert parse_date("") is None


def test_year_only_has_year_precision() -> None:
    parsed = parse_date(1978)
    assert parsed is not None and parsed.precision == "year"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        *[("x", True), ("X", True), ("có", True), ("Co", True), (1, True), ("✓", True)],
        *[(None, False), ("", False), ("không", False), (0, False)],
    ],
)
def test_parse_mark(value: object, expected: bool) -> None:
    assert parse_mark(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Nam", "M"), ("NAM", "M"), ("Nữ", "F"), ("nu", "F"), ("", ""), (None, ""), ("?", "")],
)
def test_parse_sex(value: object, expected: str) -> None:
    assert parse_sex(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("075085001234", "075085001234"),  # typed as text: kept
        (75085001234, "075085001234"),  # typed as a number: the leading zero restored
        (75085001234.0, "075085001234"),  # the same number read as a float
        ("075 085 001 234", "075085001234"),  # spaces removed
        (271234567, "271234567"),  # old 9-digit CMND
        (None, ""),
    ],
)
def test_normalize_citizen_id(value: object, expected: str) -> None:
    assert normalize_citizen_id(value) == expected


def test_mentions_away_reads_free_text_notes() -> None:
    assert mentions_away("Đi làm ăn xa (Bình Dương)")
    assert mentions_away(None, "TẠM VẮNG")
    assert not mentions_away("Chi hội trưởng", None)
