"""Address and name normalization: (text, expected) tables."""

from __future__ import annotations

import pytest

from pipeline.stages.normalize import normalize, parse_address, strip_unit_type
from pipeline.stages.validate import validate
from tests.record_builders import SETTINGS, normalized_records, raw_records


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        # Full words, as most rosters write them.
        ("Ấp 3, xã Phước Thiền, huyện Nhơn Trạch", ("Ấp 3", "Phước Thiền", "Nhơn Trạch")),
        # Abbreviations with dots: X., H., P., TP.
        ("ấp 3, X. Phước Thiền, H. Nhơn Trạch", ("Ấp 3", "Phước Thiền", "Nhơn Trạch")),
        ("KP5, P. Tân Phong, TP. Biên Hòa", ("Khu phố 5", "Tân Phong", "Biên Hòa")),
        # No commas and no diacritics: type words alone separate the units.
        ("Ap 2 xa Long Tan huyen Nhon Trach", ("Ấp 2", "Long Tan", "Nhon Trach")),
        # A group (tổ) inside a hamlet: the hamlet is kept.
        ("Tổ 5, ấp Bến Cam", ("Ấp Bến Cam", "", "")),
        # A house number and a street-level group before the neighbourhood.
        (
            "số 12, tổ 12, khu phố 3, phường Tân Phong, thành phố Biên Hòa",
            ("Khu phố 3", "Tân Phong", "Biên Hòa"),
        ),
        # A numbered ward keeps its type word, or "3" would mean nothing.
        ("A.3 P3 Q.1", ("Ấp 3", "Phường 3", "Quận 1")),
        ("TT. Hiệp Phước, H. Nhơn Trạch", ("", "Hiệp Phước", "Nhơn Trạch")),
        # Untyped parts after a hamlet name the next units, in order.
        ("Ấp 1, Phước Thiền, Nhơn Trạch, Đồng Nai", ("Ấp 1", "Phước Thiền", "Nhơn Trạch")),
        # An untyped part before any unit is a house or street: ignored.
        ("12 Nguyễn Trãi, P. Tân Phong", ("", "Tân Phong", "")),
        ("", ("", "", "")),
    ],
)
def test_parse_address(address: str, expected: tuple[str, str, str]) -> None:
    assert parse_address(address) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("xã Phước Thiền", "Phước Thiền"),
        ("PHƯỚC THIỀN", "Phước Thiền"),
        ("Phường 3", "Phường 3"),
        ("H. Nhơn Trạch", "Nhơn Trạch"),
    ],
)
def test_strip_unit_type(text: str, expected: str) -> None:
    assert strip_unit_type(text) == expected


def test_commune_from_sheet_name_and_district_learned_from_other_rows() -> None:
    frame = normalized_records(
        [
            {
                "full_name": "A",
                "birth_date": 1980,
                "address": "Ấp 1, xã Long Tân, huyện Nhơn Trạch",
            },
            # One sheet per commune: the address names only the hamlet.
            {"full_name": "B", "birth_date": 1980, "address": "Ấp 2", "sheet": "Long Tân"},
            # Typed without diacritics: shown with the spelling that has them.
            {"full_name": "C", "birth_date": 1980, "address": "ap 4 xa long tan"},
        ]
    )
    assert frame["commune_name"].tolist() == ["Long Tân", "Long Tân", "Long Tân"]
    assert frame["district_name"].tolist() == ["Nhơn Trạch"] * 3
    assert frame["hamlet_name"].tolist() == ["Ấp 1", "Ấp 2", "Ấp 4"]


def test_name_keys() -> None:
    frame = normalized_records([{"full_name": "  ĐỖ   thị\nHOA ", "birth_date": 1990}])
    row = frame.iloc[0]
    assert (row["name_display"], row["name_key"]) == ("Đỗ Thị Hoa", "do thi hoa")
    assert (row["surname_key"], row["given_key"]) == ("do", "hoa")


def test_communes_are_placed_in_the_administrative_units_dataset() -> None:
    frame = normalized_records(
        [
            # An old commune, named without its type word or district.
            {"full_name": "A", "birth_date": 1980, "address": "Ấp 2, Phước Thiền"},
            # The commune it became in 2025, as a post-reform roster writes it.
            {"full_name": "B", "birth_date": 1980, "address": "Ấp 2, xã Nhơn Trạch"},
        ]
    )
    assert frame["commune_name"].tolist() == ["Phước Thiền", "Nhơn Trạch"]
    # The new commune is placed in the district most of its parts came from.
    assert frame["district_name"].tolist() == ["Nhơn Trạch", "Nhơn Trạch"]
    assert frame["commune_key"].iloc[0] == frame["commune_key"].iloc[1]
    assert frame["old_commune_key"].iloc[1] == ""


def test_a_split_or_unknown_commune_is_reported_not_guessed() -> None:
    records = validate(
        raw_records(
            [
                # Xuân Tâm was split between two new communes in 2025.
                {"full_name": "A", "birth_date": 1980, "address": "xã Xuân Tâm, huyện Xuân Lộc"},
                {"full_name": "B", "birth_date": 1980, "address": "xã Xuân Tâm, huyện Xuân Lộc"},
                {"full_name": "C", "birth_date": 1980, "address": "xã Không Có Thật"},
            ]
        ),
        SETTINGS,
    ).records
    result = normalize(records, SETTINGS)
    notes = {(p.row, p.rule): p.message for p in result.problems}
    assert set(notes) == {(5, "ADDRESS_UNPLACED"), (7, "ADDRESS_UNPLACED")}
    assert "2 dòng" in notes[(5, "ADDRESS_UNPLACED")]
    assert "Xuân Tâm" in notes[(5, "ADDRESS_UNPLACED")]
    # Unplaced communes still compare by their written name.
    assert result.records["commune_key"].iloc[0] == result.records["commune_key"].iloc[1] != ""


@pytest.mark.parametrize(
    ("full_name", "expected_key"),
    [
        # A listed baptismal name in front is set aside.
        ("Maria Nguyễn Thị Hoa", "nguyen thi hoa"),
        # An unlisted one too, when a surname follows it.
        ("Vincentê Lê Văn Quý", "le van qui"),
        # A surname mistyped by one letter is the surname, not a baptismal name.
        ("Đặnng Hoàng Nhật Vĩnh", "danng hoang nhat vinh"),
    ],
)
def test_baptismal_names_are_set_aside(full_name: str, expected_key: str) -> None:
    frame = normalized_records([{"full_name": full_name, "birth_date": 1990}])
    assert frame["name_key"].iloc[0] == expected_key


def test_sex_key_from_the_row_the_organization_the_citizen_id_or_the_middle_name() -> None:
    frame = normalized_records(
        [
            # Written on the row.
            {"full_name": "Lê Thị Hoa", "birth_date": 1990, "sex": "Nam"},
            # A Phụ nữ roster admits women only.
            {"full_name": "Lê Hoa", "birth_date": 1990, "organization": "phunu"},
            # The CCCD's fourth digit: 0 is a man born in the 1900s.
            {"full_name": "Lê Hoa", "birth_date": 1990, "citizen_id": "075090001234"},
            # The middle name Thị is a woman's.
            {"full_name": "Lê Thị Hoa", "birth_date": 1990},
            # Nothing tells.
            {"full_name": "Lê Hoa", "birth_date": 1990},
        ]
    )
    assert frame["sex_key"].tolist() == ["M", "F", "M", "F", ""]
