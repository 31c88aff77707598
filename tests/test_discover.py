"""discover: which files are rosters, and which organization each belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.models import Severity
from pipeline.settings import load_settings
from pipeline.stages.discover import discover, find_organizations

SETTINGS = load_settings()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hoi LHPN", {"phunu"}),
        ("HỘI LIÊN HIỆP PHỤ NỮ XÃ PHƯỚC THIỀN", {"phunu"}),
        ("doan_thanh_nien_nhon_trach", {"doan"}),
        ("ĐOÀN TNCS HỒ CHÍ MINH", {"doan"}),
        ("DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025", {"doan"}),
        ("hoi nong dan long thanh", {"nongdan"}),
        ("HỘI CCB HUYỆN NHƠN TRẠCH", {"ccb"}),
        # The Công đoàn trap: "đoàn" inside a longer Công đoàn phrase.
        ("cong_doan_nhon_trach", {"congdoan"}),
        ("LIÊN ĐOÀN LAO ĐỘNG HUYỆN NHƠN TRẠCH", {"congdoan"}),
        ("DANH SÁCH ĐOÀN VIÊN CÔNG ĐOÀN", {"congdoan"}),
        ("CÔNG ĐOÀN CƠ SỞ CÔNG TY TNHH MAY MẶC", {"congdoan"}),
        # Whole words only: "doanh" is not "đoàn".
        ("Doanh nghiệp tư nhân", set()),
        ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", set()),
        ("Sheet1", set()),
        # Two organizations named side by side: a conflict.
        ("Doan va Hoi PN", {"doan", "phunu"}),
    ],
)
def test_find_organizations(text: str, expected: set[str]) -> None:
    assert find_organizations(text, SETTINGS.organizations) == expected


def _touch(root: Path, relative: str, content: str = "x") -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")


def test_discover_skips_non_rosters_with_notes(tmp_path: Path) -> None:
    for name in (
        "HUONG_DAN.txt",
        "~$doan_xa.xlsx",
        ".~lock.ds.ods#",
        ".hidden/doan.xlsx",
        "bien_ban.docx",
        "Hoi LHPN/ds.XLSX",
    ):
        _touch(tmp_path, name)

    files, problems = discover(tmp_path, SETTINGS)

    assert [f.relative_path for f in files] == ["Hoi LHPN/ds.XLSX"]
    rules = {p.source_file: p.rule for p in problems}
    assert rules == {
        "~$doan_xa.xlsx": "DISCOVER_LOCK_FILE",
        ".~lock.ds.ods#": "DISCOVER_HIDDEN",
        ".hidden": "DISCOVER_HIDDEN",
        "bien_ban.docx": "DISCOVER_NOT_ROSTER",
    }
    assert all(p.severity is Severity.NOTE for p in problems)
    lock_note = next(p for p in problems if p.rule == "DISCOVER_LOCK_FILE")
    assert "tệp khóa của Excel" in lock_note.message


def test_discover_decides_organization_from_folders_then_file_name(tmp_path: Path) -> None:
    for name in (
        "Hoi LHPN/Xa Phuoc Thien/danh_sach.xlsx",
        "Hoi LHPN/Cong doan/ds.xlsx",
        "Tong hop/cong_doan_nhon_trach.csv",
        "Doan - Hoi PN/ds.xlsx",
        "danh_sach_2025.xlsx",
    ):
        _touch(tmp_path, name)

    files, _ = discover(tmp_path, SETTINGS)
    by_path = {f.relative_path: f for f in files}

    # Deterministic: files of a folder, then its subfolders, each sorted.
    assert list(by_path) == [
        "danh_sach_2025.xlsx",
        "Doan - Hoi PN/ds.xlsx",
        "Hoi LHPN/Cong doan/ds.xlsx",
        "Hoi LHPN/Xa Phuoc Thien/danh_sach.xlsx",
        "Tong hop/cong_doan_nhon_trach.csv",
    ]
    phunu = by_path["Hoi LHPN/Xa Phuoc Thien/danh_sach.xlsx"]
    assert (phunu.organization, phunu.organization_reason) == (
        "phunu",
        "theo tên thư mục 'Hoi LHPN'",
    )
    assert by_path["Hoi LHPN/Cong doan/ds.xlsx"].organization == "congdoan"  # nearest folder
    by_name = by_path["Tong hop/cong_doan_nhon_trach.csv"]
    assert (by_name.organization, by_name.organization_reason) == ("congdoan", "theo tên tệp")
    conflict = by_path["Doan - Hoi PN/ds.xlsx"]
    assert conflict.organization is None
    assert "Đoàn TNCS Hồ Chí Minh" in conflict.organization_reason
    assert "Hội Liên hiệp Phụ nữ" in conflict.organization_reason
    assert by_path["danh_sach_2025.xlsx"].organization is None


def test_mapping_file_wins_over_folder(tmp_path: Path) -> None:
    _touch(tmp_path, "to_chuc.toml", '[tep]\n"nhan/*.xlsx" = "ccb"\n"khac/*" = "khong_co"\n')
    _touch(tmp_path, "nhan/HOI_LHPN_cu.xlsx")
    _touch(tmp_path, "Hoi Nong dan/ds.xlsx")

    files, problems = discover(tmp_path, SETTINGS)
    by_path = {f.relative_path: f for f in files}

    mapped = by_path["nhan/HOI_LHPN_cu.xlsx"]
    assert (mapped.organization, mapped.organization_reason) == (
        "ccb",
        "theo tệp to_chuc.toml",
    )
    assert by_path["Hoi Nong dan/ds.xlsx"].organization == "nongdan"
    assert "to_chuc.toml" not in by_path  # read as configuration, never as a roster
    rules = sorted((p.rule, p.severity) for p in problems)
    assert rules == [
        # The file name says Phụ nữ: the mapping wins, but the analyst is told.
        ("DISCOVER_MAPPING_UNKNOWN_CODE", Severity.FILE),
        ("DISCOVER_ORG_DISAGREE", Severity.NOTE),
    ]


def test_invalid_mapping_file_is_reported_and_folders_still_work(tmp_path: Path) -> None:
    _touch(tmp_path, "to_chuc.toml", "[tep\n")
    _touch(tmp_path, "Hoi CCB/ds.xlsx")

    files, problems = discover(tmp_path, SETTINGS)

    assert [(f.relative_path, f.organization) for f in files] == [("Hoi CCB/ds.xlsx", "ccb")]
    assert [(p.rule, p.severity) for p in problems] == [("DISCOVER_MAPPING_INVALID", Severity.FILE)]


def test_missing_input_folder_is_one_problem(tmp_path: Path) -> None:
    files, problems = discover(tmp_path / "khong_co", SETTINGS)
    assert files == []
    assert [p.rule for p in problems] == ["DISCOVER_NO_INPUT_DIR"]
