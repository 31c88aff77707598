"""Validation: each rule with a passing and a failing row, and the severity split."""

from __future__ import annotations

import pytest

from pipeline.models import Severity
from pipeline.stages.validate import validate
from tests.record_builders import SETTINGS, raw_records

GOOD = {
    "full_name": "Nguyễn Thị Lan",
    "birth_date": "12/03/1985",
    "address": "Ấp 3, xã Phước Thiền",
    "position": "Chi hội trưởng",
    "core": "x",
}


@pytest.mark.parametrize(
    ("row", "rule", "severity"),
    [
        ({**GOOD, "full_name": None}, "name_missing", Severity.BLOCKING),
        ({**GOOD, "birth_date": "12/03/2099"}, "birth_in_future", Severity.BLOCKING),
        ({**GOOD, "birth_date": "12/03/1850"}, "birth_before_1900", Severity.BLOCKING),
        ({**GOOD, "birth_date": "ngày 12"}, "birth_unreadable", Severity.BLOCKING),
        ({**GOOD, "birth_date": None}, "no_birth_year_no_id", Severity.BLOCKING),
        ({**GOOD, "address": None}, "core_without_address", Severity.WARNING),
        ({**GOOD, "position": ""}, "core_without_position", Severity.WARNING),
        ({**GOOD, "note": "Đi làm ăn xa"}, "core_away", Severity.WARNING),
        ({**GOOD, "birth_date": 1985}, "birth_year_only", Severity.WARNING),
    ],
)
def test_each_rule_fails_its_row_only(row: dict, rule: str, severity: Severity) -> None:
    result = validate(raw_records([GOOD, row]), SETTINGS)
    assert [(p.row, p.rule, p.severity) for p in result.problems] == [(6, rule, severity)]
    expected_status = "rejected" if severity is Severity.BLOCKING else "accepted"
    assert result.records["status"].tolist() == ["accepted", expected_status]
    assert (result.records["reason"].iloc[1] != "") == (severity is Severity.BLOCKING)


def test_problem_carries_provenance_and_value_as_typed() -> None:
    row = {**GOOD, "birth_date": "31/02/1985", "source_file": "doan/ds.xlsx", "sheet": "Xã A"}
    problem = validate(raw_records([row]), SETTINGS).problems[0]
    assert (problem.source_file, problem.sheet, problem.row) == ("doan/ds.xlsx", "Xã A", 5)
    assert (problem.column, problem.value, problem.organization) == (
        "birth_date",
        "31/02/1985",
        "doan",
    )
    assert "ngày/tháng/năm" in problem.message


def test_citizen_id_stands_in_for_a_missing_birth_year() -> None:
    row = {**GOOD, "birth_date": None, "citizen_id": "075185001234"}
    assert validate(raw_records([row]), SETTINGS).records["status"].tolist() == ["accepted"]


def test_rows_of_a_core_only_roster_are_core() -> None:
    rows = [{**GOOD, "core": None, "core_column_present": False}, {**GOOD, "core": None}]
    records = validate(raw_records(rows), SETTINGS).records
    assert records["is_core"].tolist() == [True, False]


def test_non_core_member_needs_no_position() -> None:
    row = {**GOOD, "core": None, "position": None}
    assert validate(raw_records([row]), SETTINGS).problems == []
