"""Placing communes written the old or the new way, on the real vietnamadminunits data.

Every expected unit below was read from the dataset (converter_2025.json and
dataset.db), not guessed; the first tests check those facts in the raw files.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from pipeline.admin_units import AdminUnits, AdminUnitsError, Placement, short_name
from pipeline.settings import PROJECT_ROOT

PHUOC_THIEN = "tinhdongnai_huyennhontrach_xaphuocthien"
XUAN_TAM = "tinhdongnai_huyenxuanloc_xaxuantam"


@pytest.fixture(scope="module")
def units() -> AdminUnits:
    return AdminUnits.for_province("Đồng Nai")


@pytest.fixture(scope="module")
def converter() -> dict[str, Any]:
    spec = importlib.util.find_spec("vietnamadminunits")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    with (folder / "data" / "converter_2025.json").open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


def test_dataset_facts_the_cases_rely_on(converter: dict[str, Any]) -> None:
    assert converter["DICT_PROVINCE"]["tinhdongnai"] == ["tinhbinhphuoc", "tinhdongnai"]
    merged = converter["DICT_PROVINCE_WARD_NO_DIVIDED"]["tinhdongnai"]
    assert PHUOC_THIEN in merged["xanhontrach"]
    assert "tinhbinhphuoc_huyenhonquan_xaphuocan" in merged["xatanquan"]
    split = converter["DICT_PROVINCE_WARD_DIVIDED"]["tinhdongnai"][XUAN_TAM]
    assert {(part["newWardKey"], part["isDefaultNewWard"]) for part in split} == {
        ("xaxuandong", False),
        ("xaxuanhoa", True),
    }


def test_old_commune_with_its_district(units: AdminUnits) -> None:
    assert units.place("Phước Thiền", "Nhơn Trạch") == Placement(
        status="old",
        old_commune="Xã Phước Thiền",
        old_district="Huyện Nhơn Trạch",
        new_communes=("Xã Nhơn Trạch",),
        match_key="tinhdongnai_xanhontrach",
    )


@pytest.mark.parametrize(
    ("commune", "district"),
    [
        ("phuoc thien", "nhon trach"),
        ("X. Phuoc Thien", "H. Nhơn Trạch"),
        ("xã Phước Thiền", "huyện Nhơn Trạch"),
        ("XÃ PHƯỚC THIỀN", "NHƠN TRẠCH"),
        ("X.Phước Thiền", ""),
        (unicodedata.normalize("NFD", "Phước Thiền"), unicodedata.normalize("NFD", "Nhơn Trạch")),
    ],
)
def test_spellings_of_the_old_commune(units: AdminUnits, commune: str, district: str) -> None:
    placement = units.place(commune, district)
    assert placement.status == "old"
    assert placement.old_commune == "Xã Phước Thiền"
    assert placement.match_key == "tinhdongnai_xanhontrach"


def test_new_name_alone_gives_the_same_key_as_the_old_one(units: AdminUnits) -> None:
    old = units.place("Phước Thiền", "Nhơn Trạch")
    for new in (units.place("Nhơn Trạch"), units.place("Xã Nhơn Trạch", post_reform=True)):
        assert new.status == "new"
        assert new.new_communes == ("Xã Nhơn Trạch",)
        assert new.new_commune == "Xã Nhơn Trạch"
        assert new.old_district == "Huyện Nhơn Trạch"
        assert new.match_key == old.match_key


def test_split_ward_is_never_resolved_silently(units: AdminUnits) -> None:
    for placement in (units.place("Xuân Tâm", "Xuân Lộc"), units.place("xa Xuan Tam")):
        assert placement.status == "ambiguous"
        assert placement.old_commune == "Xã Xuân Tâm"
        assert placement.old_district == "Huyện Xuân Lộc"
        # The dataset's default first.
        assert placement.new_communes == ("Xã Xuân Hòa", "Xã Xuân Đông")
        assert placement.new_commune == ""
        assert placement.match_key == XUAN_TAM
        assert "Xã Xuân Hòa và Xã Xuân Đông" in placement.note
        assert "không tự quyết định được" in placement.note


def test_old_name_in_two_districts_needs_the_district(units: AdminUnits) -> None:
    placement = units.place("Long Tân")
    assert placement.status == "ambiguous"
    assert placement.old_commune == ""
    assert placement.new_communes == ("Xã Long Hà", "Xã Nhơn Trạch")
    assert "Xã Long Tân (Huyện Phú Riềng)" in placement.note
    assert "Xã Long Tân (Huyện Nhơn Trạch)" in placement.note
    assert placement.match_key == units.place("xã Long Tân").match_key

    placed = units.place("Long Tân", "Phú Riềng")
    assert (placed.status, placed.old_district, placed.new_communes) == (
        "old",
        "Huyện Phú Riềng",
        ("Xã Long Hà",),
    )


def test_diacritics_tell_apart_names_that_fold_alike(units: AdminUnits) -> None:
    # Phước Thiền (Nhơn Trạch) and Phước Thiện (Bù Đốp) fold to one key.
    assert units.place("Phước Thiền").old_district == "Huyện Nhơn Trạch"
    assert units.place("Phước Thiện").old_district == "Huyện Bù Đốp"
    unmarked = units.place("Phuoc Thien")
    assert unmarked.status == "ambiguous"
    assert "Xã Phước Thiện (Huyện Bù Đốp)" in unmarked.note

    assert units.place("Lộc Thạnh").new_communes == ("Xã Lộc Thạnh",)
    assert units.place("Loc Thanh").new_communes == ("Xã Lộc Thạnh", "Xã Lộc Thành")


def test_old_tone_placement_is_the_same_name(units: AdminUnits) -> None:
    assert units.place("Xuân Hoà").new_communes == ("Xã Xuân Hòa",)


def test_unknown_commune(units: AdminUnits) -> None:
    placement = units.place("Không Có")
    assert placement.status == "unknown"
    assert placement.new_communes == ()
    assert placement.note == (
        "Không tìm thấy xã/phường 'Không Có' trong danh mục đơn vị hành chính tỉnh Đồng Nai."
    )
    assert units.place("") == Placement("unknown", note="Không ghi xã/phường.")


def test_commune_of_another_province_is_unknown(units: AdminUnits) -> None:
    placement = units.place("Tân Mai", "", "TP. Hồ Chí Minh")
    assert placement.status == "unknown"
    assert "tỉnh 'TP. Hồ Chí Minh' không thuộc tỉnh Đồng Nai" in placement.note


def test_binh_phuoc_units_are_in_the_new_dong_nai(units: AdminUnits) -> None:
    assert AdminUnits.for_province("Bình Phước") is units
    assert AdminUnits.for_province("tinh dong nai") is units
    placement = units.place("Phước An", "Hớn Quản")
    assert (placement.status, placement.old_commune, placement.new_communes) == (
        "old",
        "Xã Phước An",
        ("Xã Tân Quan",),
    )
    assert placement.match_key == units.place("Tân Quan").match_key
    # Naming the old province keeps only its communes (Phước Thiện, Bù Đốp).
    in_binh_phuoc = units.place("Phuoc Thien", "", "Bình Phước")
    assert (in_binh_phuoc.status, in_binh_phuoc.old_district) == ("old", "Huyện Bù Đốp")


def test_unknown_province_is_an_error() -> None:
    with pytest.raises(AdminUnitsError):
        AdminUnits.for_province("Atlantis")


def test_name_both_old_and_new(units: AdminUnits) -> None:
    # Xã Long Hưng (Phú Riềng, old) went into Xã Bình Tân; Phường Long Hưng is a 2025 unit.
    assert units.place("Long Hưng", "Phú Riềng").new_communes == ("Xã Bình Tân",)
    assert units.place("Long Hưng").new_communes == ("Phường Long Hưng",)
    assert units.place("Long Hưng").status == "new"
    post_reform = units.place("Long Hưng", "Phú Riềng", post_reform=True)
    assert post_reform.new_communes == ("Phường Long Hưng",)
    assert "'Phú Riềng'" in post_reform.note


def test_type_word_narrows_the_candidates(units: AdminUnits) -> None:
    assert units.place("Tân Phú").new_communes == ("Xã Tân Phú",)
    # No thị trấn survived the reform: two old ones are named so.
    town = units.place("Thị trấn Tân Phú")
    assert town.status == "ambiguous"
    assert "Thị trấn Tân Phú (Huyện Đồng Phú)" in town.note
    assert town.match_key == units.place("TT. Tân Phú").match_key == "tinhdongnai_?_tanphu"
    assert units.place("TT Tân Phú", "Đồng Phú").new_communes == ("Xã Đồng Phú",)


def test_district_outranks_the_type_word(units: AdminUnits) -> None:
    # Phú Riềng had a Xã Long Hưng; Phường Long Hưng is the 2025 unit (in old Biên Hòa).
    placement = units.place("Phường Long Hưng", "Phú Riềng")
    assert (placement.status, placement.old_commune, placement.old_district) == (
        "old",
        "Xã Long Hưng",
        "Huyện Phú Riềng",
    )


def test_new_commune_spanning_old_districts(units: AdminUnits) -> None:
    # Tân Triều: Tân Phong (Biên Hòa) with Bình Lợi, Thạnh Phú, Tân Bình (Vĩnh Cửu).
    alone = units.place("Tân Triều")
    assert alone.old_district == "Huyện Vĩnh Cửu"
    assert "Huyện Vĩnh Cửu và Thành phố Biên Hòa" in alone.note
    assert units.place("Tân Triều", "Biên Hòa").old_district == "Thành phố Biên Hòa"
    assert units.place("Tân Phong", "Biên Hòa").match_key == alone.match_key


def test_older_names_recorded_in_the_dataset(units: AdminUnits) -> None:
    placement = units.place("Núi Tượng")
    assert (placement.status, placement.old_commune) == ("old", "Xã Nam Cát Tiên")


def test_display_district_and_short_name(units: AdminUnits) -> None:
    assert units.display_district("h. nhon trach") == "Huyện Nhơn Trạch"
    assert units.display_district("TP Biên Hòa") == "Thành phố Biên Hòa"
    assert units.display_district("Huyện Không Có") == "Huyện Không Có"
    assert short_name("Xã Phước Thiền") == "Phước Thiền"
    assert short_name("Thị trấn Tân Phú") == "Tân Phú"
    assert short_name("Phường 3") == "Phường 3"


def test_place_many_matches_place(units: AdminUnits) -> None:
    triples = [("Phước Thiền", "Nhơn Trạch", ""), ("Nhơn Trạch", "", ""), ("Không Có", "", "")]
    assert units.place_many(triples * 2) == [units.place(*t) for t in triples * 2]


def test_load_never_imports_the_geocoder() -> None:
    script = (
        "import sys\n"
        "from pipeline.admin_units import AdminUnits\n"
        "AdminUnits.for_province('Đồng Nai')\n"
        "print(sorted(m for m in ('geopy', 'shapely', 'vietnamadminunits') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_place_many_on_a_million_rows(units: AdminUnits) -> None:
    communes = [f"Xã Không Có {n}" for n in range(190)] + [
        "Phước Thiền",
        "Nhơn Trạch",
        "Xuân Tâm",
        "Long Tân",
        "Tân Triều",
        "Phường Tân Phong",
        "Núi Tượng",
        "Tân Phú",
        "Phuoc Thien",
        "Long Hưng",
    ]
    distinct = [(commune, "", "") for commune in communes]
    triples = [distinct[n % len(distinct)] for n in range(1_000_000)]
    placements = units.place_many(triples)
    assert len(placements) == 1_000_000
    assert placements[190].match_key == "tinhdongnai_xanhontrach"
