"""Validation: each rule with a passing and a failing row, the severity split,
the organizations' rules from the definition file, and problem provenance."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from pipeline.models import VALIDATE_COLUMNS, Severity
from pipeline.progress import NoProgress
from pipeline.settings import (
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_organizations,
    load_roster_year,
)
from pipeline.stages.load import load
from pipeline.stages.validate import RULES, VALIDATE_RULES, ValidateResult, rule_for, validate
from schemas.member import RULE_MODELS
from tests.record_builders import SETTINGS, raw_records
from tests.workbook_builders import source, write_xlsx

TITLE = "ĐOÀN TNCS HỒ CHÍ MINH | DANH SÁCH ĐOÀN VIÊN NÒNG CỐT NĂM 2025"
# A 25-year-old woman in 2025, core, complete: she breaks no rule in any organization.
GOOD: dict[str, Any] = {
    "full_name": "Nguyễn Thị Lan",
    "sex": "Nữ",
    "birth_date": "12/03/2000",
    "address": "Ấp 3, xã Phước Thiền",
    "citizen_id": "075300123456",  # Đồng Nai, a woman born in the 2000s, year 00
    "phone": "0912345678",
    "position": "Bí thư",
    "core": "x",
}
ORGANIZATIONS = ("doan", "phunu", "nongdan", "ccb", "congdoan")


def run(
    rows: list[dict[str, Any]],
    title: str = TITLE,
    settings: Settings = SETTINGS,
    **columns: list[object],
) -> ValidateResult:
    """validate() on loader-shaped records under `title`, with extra loader columns."""
    records = raw_records(rows)
    records["sheet_title"] = title
    for name, values in columns.items():
        records[name] = pd.Series(values, dtype=object)
    return validate(records, settings)


def found(result: ValidateResult) -> list[tuple[int | None, str, Severity]]:
    return [(p.row, p.rule, p.severity) for p in result.problems]


@pytest.mark.parametrize("organization", ORGANIZATIONS)
def test_the_good_row_passes_every_rule(organization: str) -> None:
    result = run([{**GOOD, "organization": organization}])
    assert result.problems == []
    assert result.records["status"].tolist() == ["accepted"]


@pytest.mark.parametrize(
    ("changes", "rule", "severity"),
    [
        ({"full_name": None}, "name_missing", Severity.BLOCKING),
        ({"birth_date": "12/03/2099"}, "birth_in_future", Severity.BLOCKING),
        ({"birth_date": "12/03/1850"}, "birth_before_1900", Severity.BLOCKING),
        ({"birth_date": "ngày 12"}, "birth_unreadable", Severity.BLOCKING),
        ({"birth_date": "31/02/2000"}, "birth_unreadable", Severity.BLOCKING),
        ({"birth_date": None, "citizen_id": None}, "no_birth_year_no_id", Severity.BLOCKING),
        ({"birth_date": 2000}, "birth_year_only", Severity.WARNING),
        ({"address": None}, "core_without_address", Severity.WARNING),
        ({"position": ""}, "core_without_position", Severity.WARNING),
        ({"note": "Đi làm ăn xa"}, "core_away", Severity.WARNING),
        ({"away": "x"}, "core_away", Severity.WARNING),
        ({"sex": "?"}, "sex_unreadable", Severity.WARNING),
        ({"citizen_id": "0753001234"}, "citizen_id_malformed", Severity.WARNING),
        ({"citizen_id": "075900123456"}, "citizen_id_malformed", Severity.WARNING),  # century 9
        ({"citizen_id": "099300123456"}, "citizen_id_province", Severity.WARNING),
        ({"citizen_id": "075301123456"}, "citizen_id_birth_year", Severity.WARNING),
        ({"citizen_id": "075100123456"}, "citizen_id_birth_year", Severity.WARNING),  # 1900
        ({"citizen_id": "075200123456"}, "citizen_id_sex", Severity.WARNING),
        ({"phone": "12345"}, "phone_invalid", Severity.WARNING),
        ({"phone": "0412345678"}, "phone_invalid", Severity.WARNING),
        ({"join_date": "mùa xuân"}, "join_date_unreadable", Severity.WARNING),
        ({"join_date": "26/03/2099"}, "join_in_future", Severity.WARNING),
        ({"join_date": "26/03/1999"}, "join_before_birth", Severity.WARNING),
        ({"join_date": "26/03/2015"}, "join_too_young", Severity.WARNING),  # 15, Đoàn: 16
    ],
)
def test_each_rule_fails_its_row_only(
    changes: dict[str, Any], rule: str, severity: Severity
) -> None:
    result = run([GOOD, {**GOOD, **changes}])
    assert found(result) == [(6, rule, severity)]
    expected_status = "rejected" if severity is Severity.BLOCKING else "accepted"
    assert result.records["status"].tolist() == ["accepted", expected_status]
    assert (result.records["reason"].iloc[1] != "") == (severity is Severity.BLOCKING)


@pytest.mark.parametrize(
    ("organization", "changes", "rule"),
    [
        ("doan", {"birth_date": "12/03/1990", "citizen_id": None}, "age_out_of_range"),  # 35
        ("doan", {"birth_date": "12/03/2010", "citizen_id": None}, "age_out_of_range"),  # 15
        ("phunu", {"birth_date": "12/03/2008", "citizen_id": None}, "age_out_of_range"),  # 17
        ("phunu", {"sex": "Nam", "citizen_id": None}, "sex_not_accepted"),
        ("nongdan", {"birth_date": "12/03/2008", "citizen_id": None}, "age_out_of_range"),
        ("ccb", {"birth_date": "12/03/2006", "citizen_id": None}, "veteran_too_young"),  # 19
        ("congdoan", {"birth_date": "12/03/2011", "citizen_id": None}, "age_out_of_range"),
        ("congdoan", {"birth_date": "12/03/1960", "citizen_id": None}, "age_out_of_range"),
    ],
)
def test_organization_rules(organization: str, changes: dict[str, Any], rule: str) -> None:
    good = {**GOOD, "organization": organization}
    result = run([good, {**good, **changes}])
    assert found(result) == [(6, rule, Severity.WARNING)]


@pytest.mark.parametrize(
    ("organization", "birth_date"),
    [
        ("doan", "12/03/2009"),  # 16
        ("doan", "12/03/1995"),  # 30
        ("phunu", "12/03/2007"),  # 18
        ("ccb", "12/03/2005"),  # 20
        ("congdoan", "12/03/1963"),  # 62
        ("nongdan", "12/03/1930"),  # 95: no upper limit
    ],
)
def test_organization_age_limits_are_inclusive(organization: str, birth_date: str) -> None:
    row = {**GOOD, "organization": organization, "birth_date": birth_date, "citizen_id": None}
    assert run([row]).problems == []


def test_the_sex_column_must_agree_with_the_birth_date_column() -> None:
    rows = [{**GOOD, "sex": "Nữ"}, {**GOOD, "sex": "Nam", "citizen_id": None}, GOOD]
    result = run(rows, birth_column_sex=["Nữ", "Nữ", None])
    assert found(result) == [(6, "sex_conflict", Severity.WARNING)]
    assert result.problems[0].message == (
        "Cột giới tính ghi nam, nhưng ngày sinh được ghi ở cột Nữ."
    )


def test_severity_split_rejects_blocking_rows_with_their_reasons() -> None:
    rows = [
        {**GOOD, "full_name": None, "birth_date": "31/02/2000"},  # two blocking problems
        {**GOOD, "birth_date": 2000, "phone": "123"},  # two warnings
    ]
    records = run(rows).records
    assert records["status"].tolist() == ["rejected", "accepted"]
    assert records["reason"].tolist() == [
        f"{RULES['name_missing'].message} {RULES['birth_unreadable'].message}",
        "",
    ]


def test_records_gain_the_typed_columns() -> None:
    row = {**GOOD, "citizen_id": 75300123456, "phone": 912345678, "join_date": 2016}
    records = run([row]).records
    assert set(VALIDATE_COLUMNS) <= set(records.columns)
    typed = records.iloc[0]
    assert (typed["citizen_id_norm"], typed["citizen_id_province"]) == ("075300123456", "Đồng Nai")
    assert (typed["phone_norm"], typed["join_iso"], typed["roster_year"]) == (
        "0912345678",
        "2016",
        2025,
    )
    assert (typed["sex_code"], typed["birth_iso"], typed["birth_precision"]) == (
        "F",
        "2000-03-12",
        "day",
    )
    assert (typed["is_core"], typed["is_regular"], typed["is_away"]) == (True, False, False)


def test_problem_carries_provenance_value_as_typed_title_and_fix() -> None:
    row = {**GOOD, "birth_date": "31/02/2000", "source_file": "doan/ds.xlsx", "sheet": "Xã A"}
    problem = run([row]).problems[0]
    assert (problem.source_file, problem.sheet, problem.row) == ("doan/ds.xlsx", "Xã A", 5)
    assert (problem.column, problem.value, problem.organization) == (
        "birth_date",
        "31/02/2000",
        "doan",
    )
    rule = rule_for(problem.rule)
    assert rule.title == "Không đọc được ngày sinh"
    assert "ngày/tháng/năm" in rule.fix


def test_a_problem_points_at_the_cell_holding_the_value() -> None:
    result = run([{**GOOD, "away": None, "note": "Tạm vắng - đi làm ăn xa"}, {**GOOD, "away": "x"}])
    assert [(p.column, p.value) for p in result.problems] == [
        ("note", "Tạm vắng - đi làm ăn xa"),
        ("away", "x"),
    ]


def test_messages_name_the_row_specific_facts() -> None:
    rows = [
        {**GOOD, "birth_date": "12/03/1990", "citizen_id": None},
        {**GOOD, "citizen_id": "075301123456"},
        {**GOOD, "citizen_id": "075200123456"},
        {**GOOD, "join_date": "26/03/2014"},
        {**GOOD, "citizen_id": "099300123456"},
    ]
    messages = [p.message for p in run(rows).problems]
    assert messages == [
        "35 tuổi trong năm 2025, trong khi Đoàn TNCS Hồ Chí Minh gồm đoàn viên từ 16 đến 30 tuổi.",
        "Số CCCD cho biết năm sinh 2001, nhưng danh sách ghi năm sinh 2000.",
        "Số CCCD cho biết giới tính nam, nhưng danh sách ghi nữ.",
        "Vào tổ chức khi 14 tuổi, trong khi Đoàn TNCS Hồ Chí Minh nhận đoàn viên từ 16 tuổi.",
        "Ba chữ số đầu của số CCCD (099) không phải mã tỉnh, thành phố nào.",
    ]


def test_a_citizen_id_used_by_two_names_in_one_file_is_flagged_on_both_rows() -> None:
    rows = [
        GOOD,
        {**GOOD, "full_name": "NGUYEN THI LAN"},  # the same name, typed otherwise: fine
        {**GOOD, "full_name": "Trần Thị Mai"},
        {**GOOD, "full_name": "Lê Thị Hoa", "source_file": "other.xlsx"},  # another roster
    ]
    result = run(rows)
    assert found(result) == [(r, "citizen_id_shared", Severity.WARNING) for r in (5, 6, 7)]
    assert result.problems[2].message == (
        "Cùng số này, trong cùng tệp, còn được ghi cho Nguyễn Thị Lan (trang tính 'DS', dòng 5); "
        "NGUYEN THI LAN (trang tính 'DS', dòng 6)."
    )
    assert result.records["status"].tolist() == ["accepted"] * 4


def test_citizen_id_stands_in_for_a_missing_birth_year() -> None:
    row = {**GOOD, "birth_date": None}
    result = run([row])
    assert result.records["status"].tolist() == ["accepted"]
    assert result.problems == []


def test_a_malformed_citizen_id_is_not_used_for_matching() -> None:
    row = {**GOOD, "birth_date": None, "citizen_id": "12345"}
    result = run([row])
    assert result.records["citizen_id_norm"].tolist() == [""]
    assert [p.rule for p in result.problems] == ["no_birth_year_no_id", "citizen_id_malformed"]


@pytest.mark.parametrize(
    ("phone", "shown"),
    [
        (912345678, "0912345678"),  # typed as a number: the zero restored
        ("+84 912 345 678", "0912345678"),
        ("0912.345.678 / 0987654321", "0912345678"),  # the first of two numbers
        ("02513822123", "02513822123"),  # a Đồng Nai landline
        ("01234567890", "01234567890"),  # an 11-digit mobile from before 2018
    ],
)
def test_vietnamese_phone_numbers_pass(phone: object, shown: str) -> None:
    result = run([{**GOOD, "phone": phone}])
    assert result.problems == []
    assert result.records["phone_norm"].tolist() == [shown]


def test_join_dates_known_by_year_only_are_compared_by_year() -> None:
    rows = [{**GOOD, "join_date": 2016}, {**GOOD, "join_date": 2015}]  # 16 and 15 that year
    assert found(run(rows)) == [(6, "join_too_young", Severity.WARNING)]


def test_rows_of_a_core_only_roster_are_core() -> None:
    rows = [{**GOOD, "core": None, "core_column_present": False}, {**GOOD, "core": None}]
    records = run(rows).records
    assert records["is_core"].tolist() == [True, False]


def test_non_core_member_needs_no_position_or_address() -> None:
    row = {**GOOD, "core": None, "position": None, "address": None, "note": "Đi làm ăn xa"}
    result = run([row])
    assert result.problems == []
    assert result.records["is_away"].tolist() == [True]


# --- the roster's year -------------------------------------------------------


def test_ages_count_in_the_year_of_the_title_else_the_configured_year() -> None:
    born_1995 = {**GOOD, "birth_date": "12/03/1995", "citizen_id": None}  # 30 in 2025
    assert run([born_1995], title="DANH SÁCH ĐOÀN VIÊN NĂM 2025").problems == []
    configured = dataclasses.replace(SETTINGS, roster_year=2026)
    assert run([born_1995], title="DANH SÁCH ĐOÀN VIÊN", settings=configured).problems[0].rule == (
        "age_out_of_range"
    )
    # The title wins over the configured year.
    result = run([born_1995], title="DANH SÁCH NĂM 2025", settings=configured)
    assert result.problems == []
    assert result.records["roster_year"].tolist() == [2025]


# --- rules switched off or changed by the definition file -------------------


def _with_rules(code: str, **changes: Any) -> Settings:
    organizations = tuple(
        dataclasses.replace(org, **changes) if org.code == code else org
        for org in SETTINGS.organizations
    )
    return dataclasses.replace(SETTINGS, organizations=organizations)


def test_an_organization_can_switch_a_warning_rule_off() -> None:
    settings = _with_rules("doan", disabled_rules=frozenset({"core_away"}))
    rows = [{**GOOD, "note": "Đi làm ăn xa"}, {**GOOD, "organization": "phunu", "away": "x"}]
    assert found(run(rows, settings=settings)) == [(6, "core_away", Severity.WARNING)]


def test_an_organization_can_change_its_age_limit() -> None:
    settings = _with_rules("doan", max_age=35)
    row = {**GOOD, "birth_date": "12/03/1990", "citizen_id": None}  # 35
    assert run([row], settings=settings).problems == []


def test_switching_off_an_unknown_or_blocking_rule_is_refused() -> None:
    for code in ("core_awya", "name_missing"):
        settings = _with_rules("doan", disabled_rules=frozenset({code}))
        with pytest.raises(SettingsError, match=code):
            run([GOOD], settings=settings)


def test_the_definition_file_gives_each_organization_its_rules() -> None:
    rules = {
        org.code: (org.min_age, org.max_age, org.sex, org.min_service_age, org.disabled_rules)
        for org in SETTINGS.organizations
    }
    assert rules == {
        "doan": (16, 30, "", None, frozenset()),
        "phunu": (18, None, "F", None, frozenset()),
        "nongdan": (18, None, "", None, frozenset()),
        "ccb": (18, None, "", 20, frozenset()),
        "congdoan": (15, 62, "", None, frozenset()),
    }
    assert SETTINGS.roster_year is None
    assert len(SETTINGS.citizen_id_provinces) == 63


def _definitions(tmp_path: Path, rules: str, top: str = "") -> Path:
    path = tmp_path / "organizations.toml"
    path.write_text(
        f'{top}\n[[organization]]\ncode = "doan"\nname = "Đoàn"\n\n[organization.rules]\n{rules}\n',
        encoding="utf-8",
    )
    return path


def test_rules_are_read_from_the_definition_file(tmp_path: Path) -> None:
    path = _definitions(tmp_path, 'min_age = 16\nsex = "nữ"\ndisabled = ["phone_invalid"]')
    (org,) = load_organizations(path)
    assert (org.min_age, org.max_age, org.sex, org.disabled_rules) == (
        16,
        None,
        "F",
        frozenset({"phone_invalid"}),
    )
    assert load_roster_year(_definitions(tmp_path, "", top="roster_year = 2024")) == 2024


@pytest.mark.parametrize(
    ("rules", "top", "complaint"),
    [
        ("max_agee = 35", "", "max_agee"),
        ('min_age = "16"', "", "min_age phải là số tuổi"),
        ("min_age = 30\nmax_age = 16", "", "max_age (16) nhỏ hơn min_age (30)"),
        ('sex = "women"', "", "sex phải là"),
        ('disabled = "core_away"', "", "disabled phải là danh sách"),
        ("", "roster_year = 25", "roster_year = 25"),
    ],
)
def test_mistakes_in_the_definition_file_are_explained(
    tmp_path: Path, rules: str, top: str, complaint: str
) -> None:
    path = _definitions(tmp_path, rules, top)
    with pytest.raises(SettingsError, match=re.escape(complaint)):
        load_organizations(path)
        load_roster_year(path)


# --- the rule table ---------------------------------------------------------


def _check_names() -> set[str]:
    names = set()
    for model in RULE_MODELS:
        schema = model.to_schema()
        names |= {check.name for check in schema.checks}
        names |= {check.name for column in schema.columns.values() for check in column.checks}
    return names


def test_every_check_is_a_rule_with_a_severity_title_fix_and_message() -> None:
    assert _check_names() == set(VALIDATE_RULES)
    for code, rule in VALIDATE_RULES.items():
        assert rule.title and rule.fix and rule.message and rule.fields, code


def test_every_code_the_loader_and_discover_emit_has_a_title() -> None:
    sources = [PROJECT_ROOT / "pipeline" / "stages" / f"{name}.py" for name in ("load", "discover")]
    codes = {
        code
        for path in sources
        for code in re.findall(r'"((?:LOAD|DISCOVER)_[A-Z_]*[A-Z])_?"', path.read_text("utf-8"))
    }
    assert codes
    assert {code for code in codes if rule_for(code).title == code} == set()
    assert rule_for("LOAD_FAILED_ValueError").title == "Lỗi không lường trước khi đọc tệp"


def test_records_keep_their_index() -> None:
    records = raw_records([GOOD, {**GOOD, "full_name": None}, GOOD])
    records["sheet_title"] = TITLE
    records.index = pd.Index([30, 10, 20])
    result = validate(records, SETTINGS)
    assert result.records["status"].to_dict() == {30: "accepted", 10: "rejected", 20: "accepted"}
    assert [p.row for p in result.problems] == [6]


def test_no_records_give_no_problems() -> None:
    result = run([])
    assert result.problems == []
    assert result.records.empty
    assert set(VALIDATE_COLUMNS) <= set(result.records.columns)


def test_a_sex_column_contradicting_the_nam_nu_birth_column_is_flagged_end_to_end(
    tmp_path: Path,
) -> None:
    rows = [["STT", "Họ và tên", "Giới tính", "Nam", "Nữ"], [1, "Lê Thị Hoa", "Nam", None, 1980]]
    path = write_xlsx(tmp_path / "nongdan.xlsx", {"DS": rows})
    loaded = load([source(path, tmp_path, "nongdan")], SETTINGS, NoProgress())
    problems = validate(loaded.records, SETTINGS).problems
    assert [p.rule for p in problems if p.rule == "sex_conflict"] == ["sex_conflict"]
