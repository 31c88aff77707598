"""validate: parse each row's values into typed columns and check them.

Parsing (dates, tick marks, IDs) happens here because the checks need typed
values; pandera schemas in `schemas/member.py` do the checking, lazily, so all
problems of all rows are collected in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa

from pipeline.models import Problem, Severity
from pipeline.settings import Settings
from pipeline.text import display_value
from pipeline.values import (
    UnreadableDate,
    mentions_away,
    normalize_citizen_id,
    parse_date,
    parse_mark,
    parse_sex,
)
from schemas.member import BlockingSchema, WarningSchema


@dataclass(frozen=True)
class Rule:
    severity: Severity
    column: str  # the raw field whose value is shown with the problem
    message: str  # Vietnamese: what is wrong and what to do


RULES: dict[str, Rule] = {
    "name_missing": Rule(
        Severity.BLOCKING, "full_name", "Thiếu họ và tên. Bổ sung họ và tên cho dòng này."
    ),
    "birth_in_future": Rule(
        Severity.BLOCKING,
        "birth_date",
        "Ngày sinh ở tương lai. Kiểm tra lại ngày sinh (có thể gõ nhầm năm).",
    ),
    "birth_before_1900": Rule(
        Severity.BLOCKING,
        "birth_date",
        "Năm sinh trước 1900. Kiểm tra lại ngày sinh (có thể gõ nhầm năm).",
    ),
    "birth_unreadable": Rule(
        Severity.BLOCKING,
        "birth_date",
        "Không đọc được ngày sinh. Ghi theo dạng ngày/tháng/năm (ví dụ 05/09/1985) hoặc chỉ năm.",
    ),
    "no_birth_year_no_id": Rule(
        Severity.BLOCKING,
        "birth_date",
        "Không có năm sinh và không có số CCCD/CMND nên không thể đối chiếu. Bổ sung ít nhất một.",
    ),
    "core_without_address": Rule(
        Severity.WARNING,
        "address",
        "Nòng cốt chưa có địa chỉ. Theo chỉ đạo, nòng cốt phải có địa chỉ cụ thể.",
    ),
    "core_without_position": Rule(
        Severity.WARNING,
        "position",
        "Nòng cốt chưa có chức vụ/vị trí trong tổ chức. Bổ sung chức vụ hoặc vị trí.",
    ),
    "core_away": Rule(
        Severity.WARNING,
        "note",
        "Nòng cốt đang đi làm ăn xa. Xem xét lại việc công nhận là nòng cốt.",
    ),
    "birth_year_only": Rule(
        Severity.WARNING,
        "birth_date",
        "Chỉ có năm sinh. Bổ sung ngày, tháng sinh để đối chiếu chính xác hơn.",
    ),
}

ADDRESS_FIELDS = ("address", "house_number", "hamlet", "commune", "district")


@dataclass(frozen=True)
class ValidateResult:
    records: pd.DataFrame
    problems: list[Problem]


def _present(series: pd.Series) -> pd.Series:
    return series.map(lambda value: display_value(value) != "")


def _parse_births(values: pd.Series) -> tuple[list[int], list[str], list[str], list[bool]]:
    years, isos, precisions, unreadable = [], [], [], []
    for value in values:
        try:
            parsed = parse_date(value)
        except UnreadableDate:
            parsed, failed = None, True
        else:
            failed = False
        years.append(parsed.year if parsed else 0)
        isos.append(parsed.iso if parsed else "")
        precisions.append(parsed.precision if parsed else "")
        unreadable.append(failed)
    return years, isos, precisions, unreadable


def parse_records(records: pd.DataFrame) -> pd.DataFrame:
    """The records with typed columns (VALIDATE_COLUMNS minus status/reason)."""
    typed = records.copy()
    years, isos, precisions, unreadable = _parse_births(records["birth_date"])
    typed["birth_year"] = pd.Series(years, index=records.index, dtype="int64")
    typed["birth_iso"] = pd.Series(isos, index=records.index, dtype=object)
    typed["birth_precision"] = pd.Series(precisions, index=records.index, dtype=object)
    typed["birth_unreadable"] = pd.Series(unreadable, index=records.index, dtype=bool)
    typed["sex_code"] = records["sex"].map(parse_sex).astype(object)
    typed["citizen_id_norm"] = records["citizen_id"].map(normalize_citizen_id).astype(object)
    core_listed = records["core"].map(parse_mark).astype(bool)
    typed["is_core"] = core_listed | ~records["core_column_present"].astype(bool)
    typed["is_regular"] = records["regular"].map(parse_mark).astype(bool)
    typed["is_away"] = records["away"].map(parse_mark).astype(bool) | pd.Series(
        [mentions_away(n) for n in records["note"]], index=records.index, dtype=bool
    )
    typed["full_name_text"] = records["full_name"].map(display_value).astype(object)
    address_present = pd.Series(False, index=records.index)
    for field in ADDRESS_FIELDS:
        address_present |= _present(records[field])
    typed["address_present"] = address_present
    typed["position_present"] = _present(records["position"])
    return typed


def _failures(schema: type[pa.DataFrameModel], frame: pd.DataFrame) -> pd.DataFrame:
    """(index, rule) of every failed check, one row per failing record and rule."""
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna() & cases["check"].isin(RULES)]
        return cases[["index", "check"]].drop_duplicates()
    return pd.DataFrame({"index": [], "check": []})


def validate(records: pd.DataFrame, settings: Settings) -> ValidateResult:
    """Typed records with status/reason, and one Problem per broken rule."""
    typed = parse_records(records)
    problems: list[Problem] = []
    reasons: dict[object, list[str]] = {}
    for schema in (BlockingSchema, WarningSchema):
        failures = _failures(schema, typed)
        for rule_code, failing in failures.groupby("check", sort=True):
            rule = RULES[str(rule_code)]
            located = typed.loc[failing["index"], ["source_file", "sheet", "row", "organization"]]
            values = typed.loc[failing["index"], rule.column].map(display_value)
            for index, (source_file, sheet, row, organization), value in zip(
                failing["index"], located.itertuples(index=False), values, strict=True
            ):
                problems.append(
                    Problem(
                        source_file=source_file,
                        sheet=sheet,
                        row=int(row),
                        column=rule.column,
                        value=value,
                        rule=str(rule_code),
                        message=rule.message,
                        severity=rule.severity,
                        organization=organization,
                    )
                )
                if rule.severity is Severity.BLOCKING:
                    reasons.setdefault(index, []).append(rule.message)
    typed["reason"] = [" ".join(reasons.get(index, [])) for index in typed.index]
    typed["status"] = ["rejected" if index in reasons else "accepted" for index in typed.index]
    problems.sort(key=lambda p: (p.source_file, p.sheet, p.row or 0, p.rule))
    return ValidateResult(records=typed, problems=problems)
