"""Parsing of cell values as offices type them: (value, expected) tables."""

from __future__ import annotations

import datetime
import re

import pandas as pd
import pytest

from pipeline.values import (
    CITIZEN_ID_PATTERN,
    PHONE_PATTERN,
    UnreadableDate,
    display_text,
    map_distinct,
    mentions_away,
    normalize_citizen_id,
    normalize_phone,
    parse_date,
    parse_dates,
    parse_mark,
    parse_sex,
    year_in_title,
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
        (27123456, "027123456"),  # a CMND typed as a number
        ("75085001234", "075085001234"),  # a number exported to CSV as text
        ("CCCD: 075085001234", "075085001234"),
        ("chưa có", ""),
        (None, ""),
    ],
)
def test_normalize_citizen_id(value: object, expected: str) -> None:
    assert normalize_citizen_id(value) == expected


@pytest.mark.parametrize(
    ("value", "well_formed"),
    [("075085001234", True), ("271234567", True), ("075985001234", False), ("07508500123", False)],
)
def test_citizen_id_pattern(value: str, well_formed: bool) -> None:
    assert bool(re.fullmatch(CITIZEN_ID_PATTERN, value)) is well_formed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("0912.345.678", "0912345678"),
        (912345678, "0912345678"),  # typed as a number: the leading zero restored
        (912345678.0, "0912345678"),
        ("912345678", "0912345678"),  # the same number exported to CSV
        (843456789, "0843456789"),  # a 08x mobile without its zero is no country code
        (2513822123, "02513822123"),  # an 11-digit landline typed as a number
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("0912345678 / 0987654321", "0912345678"),  # the first of two numbers
        ("0912345678 - 0987654321", "0912345678"),
        ("12345", "12345"),  # kept, to be reported
        (None, ""),
        ("", ""),
    ],
)
def test_normalize_phone(value: object, expected: str) -> None:
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("0912345678", True),
        ("0351234567", True),
        ("02513822123", True),  # landline
        ("01234567890", True),  # mobile before 2018
        ("0412345678", False),
        ("091234567", False),
        ("09123456789", False),
    ],
)
def test_phone_pattern(value: str, valid: bool) -> None:
    assert bool(re.fullmatch(PHONE_PATTERN, value)) is valid


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("ĐOÀN TNCS HỒ CHÍ MINH | DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025", 2025),
        ("HỘI NÔNG DÂN VIỆT NAM | DANH SÁCH HỘI VIÊN NÒNG CỐT | Năm 2024", 2024),
        ("Danh sách năm 2023 | cập nhật năm 2024", 2024),
        ("HỘI NÔNG DÂN VIỆT NAM 2025", None),  # "Nam" is not "năm"
        ("DANH SÁCH HỘI VIÊN", None),
        ("NHIỆM KỲ 2022 - 2027", None),
    ],
)
def test_year_in_title(title: str, year: int | None) -> None:
    assert year_in_title(title) == year


def test_map_distinct_parses_each_distinct_value_once() -> None:
    calls: list[object] = []

    def parse(value: object) -> str:
        calls.append(value)
        return display_text(value)

    values = pd.Series(["Ấp 1", "Ấp 1", None, "Ấp 2", "Ấp 1"], dtype=object)
    assert map_distinct(values, parse).tolist() == ["Ấp 1", "Ấp 1", "", "Ấp 2", "Ấp 1"]
    assert sorted(calls, key=str) == [None, "Ấp 1", "Ấp 2"]


def test_map_distinct_tells_true_and_false_from_one_and_zero() -> None:
    values = pd.Series([1, True, 1.0, 0, False, "x"], dtype=object)
    assert map_distinct(values, display_text).tolist() == ["1", "x", "1", "0", "", "x"]


def test_parse_dates_gives_typed_columns() -> None:
    values = pd.Series(["12/03/1985", 1978, None, "31/02/1985", datetime.date(2001, 1, 2)])
    parsed = parse_dates(values)
    assert parsed["year"].tolist() == [1985, 1978, 0, 0, 2001]
    assert parsed["ymd"].tolist() == [19850312, 0, 0, 0, 20010102]
    assert parsed["iso"].tolist() == ["1985-03-12", "1978", "", "", "2001-01-02"]
    assert parsed["precision"].tolist() == ["day", "year", "", "", "day"]
    assert parsed["unreadable"].tolist() == [False, False, False, True, False]


def test_mentions_away_reads_free_text_notes() -> None:
    assert mentions_away("Đi làm ăn xa (Bình Dương)")
    assert mentions_away(None, "TẠM VẮNG")
    assert not mentions_away("Chi hội trưởng", None)
