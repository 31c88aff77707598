"""Lỗi dữ liệu.xlsx: every problem found, for the organizations to fix at the source.

Each organization gets its own sheet so it can be sent just its part; problems
that belong to no organization (an unreadable file) have a sheet of their own.
Every line leads to one cell of the original workbook: file, sheet, Excel row,
the column's header as the organization wrote it and its Excel letter. The
rule is named in plain words with what to do about it (pipeline.stages.validate
.RULES); its code stays in the last column for whoever maintains the rules.
Problem cells are written as text: they show values exactly as found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from pipeline.indicators import organization_order
from pipeline.models import Problem, Severity, SheetAccount
from pipeline.settings import Settings
from pipeline.stages.validate import RULE_ORDER, rule_for
from pipeline.text import header_key
from pipeline.workbooks.display import organization_names
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book

FILE_NAME = "Lỗi dữ liệu.xlsx"
SUMMARY_SHEET = "Tổng hợp"
NO_ORGANIZATION_SHEET = "Tệp không đọc được"
RULES_HEADING = "Số vấn đề theo tổ chức và quy tắc"
ACCOUNTING_HEADING = "Số dòng theo tệp và trang tính"

SEVERITY_LABELS = {
    Severity.BLOCKING: "Loại bỏ",
    Severity.WARNING: "Cảnh báo",
    Severity.SET_ASIDE: "Không phải dòng dữ liệu",
    Severity.FILE: "Tệp bị bỏ qua",
    Severity.NOTE: "Ghi chú",
}
# Field names stand in for a column when the roster has no such column.
FIELD_LABELS = {
    "full_name": "Họ và tên",
    "sex": "Giới tính",
    "birth_date": "Ngày sinh",
    "address": "Địa chỉ",
    "house_number": "Số nhà",
    "hamlet": "Ấp, khu phố",
    "commune": "Xã, phường",
    "district": "Huyện",
    "province": "Tỉnh",
    "citizen_id": "Số CCCD",
    "phone": "Số điện thoại",
    "position": "Chức vụ",
    "branch": "Chi hội/Chi đoàn",
    "join_date": "Ngày vào tổ chức",
    "core": "Nòng cốt",
    "regular": "SHTX",
    "away": "Đi làm ăn xa",
    "ethnicity": "Dân tộc",
    "religion": "Tôn giáo",
    "note": "Ghi chú",
}
# Where a field's value comes from when the roster has no column for it: the
# birth date (and so the sex) from the "Nam"/"Nữ" columns, the name from two
# columns, the address from its parts.
FIELD_FALLBACKS = {
    "birth_date": (
        "birth_date_male",
        "birth_date_female",
        "birth_day",
        "birth_month",
        "birth_year",
    ),
    "sex": ("birth_date_male", "birth_date_female"),
    "full_name": ("surname_middle", "given_name"),
    "address": ("house_number", "hamlet", "commune", "district"),
}

PROBLEM_COLUMNS = (
    Column("Tệp"),
    Column("Trang tính"),
    Column("Dòng", width=7),
    Column("Cột"),
    Column("Cột Excel", width=8),
    Column("Giá trị", width=30),
    Column("Mức độ", width=14),
    Column("Quy tắc", width=30),
    Column("Nội dung", width=60),
    Column("Cách khắc phục", width=50),
    Column("Mã quy tắc"),
)
RULE_COLUMNS = (
    Column("Tổ chức"),
    Column("Mức độ", width=14),
    Column("Quy tắc", width=34),
    Column("Mã quy tắc"),
    Column("Số lượng", Kind.INTEGER, width=10),
    Column("Cách khắc phục", width=60),
)
SHEET_COLUMNS = (
    Column("Tệp"),
    Column("Trang tính"),
    Column("Tổ chức"),
    Column("Dòng tiêu đề", Kind.INTEGER, width=10),
    Column("Số dòng đọc", Kind.INTEGER, width=10),
    Column("Được dùng", Kind.INTEGER, width=10),
    Column("Bị loại", Kind.INTEGER, width=10),
    Column("Không phải dòng dữ liệu", Kind.INTEGER, width=12),
)


def write_problems(
    records: pd.DataFrame,
    problems: Sequence[Problem],
    sheets: Sequence[SheetAccount],
    settings: Settings,
    target: Path,
) -> None:
    names = organization_names(settings)
    codes = organization_order(
        {s.organization for s in sheets}
        | {p.organization for p in problems if p.organization}
        | set(records["organization"].unique()),
        settings,
    )
    # The stages report problems stage by stage; people fix them file by file.
    ordered = sorted(problems, key=lambda p: (p.source_file, p.sheet, p.row or 0))
    by_organization: dict[str | None, list[Problem]] = {}
    for problem in ordered:
        key = problem.organization if problem.organization in codes else None
        by_organization.setdefault(key, []).append(problem)

    with open_book(target, "Lỗi dữ liệu") as book:
        _write_summary(book, records, ordered, sheets, codes, names)
        locator = _Locator(sheets, settings)
        for code in codes:
            book.table_sheet(
                names.get(code, code),
                PROBLEM_COLUMNS,
                _problem_rows(by_organization.get(code, []), locator),
            )
        book.table_sheet(
            NO_ORGANIZATION_SHEET,
            PROBLEM_COLUMNS,
            _problem_rows(by_organization.get(None, []), locator),
        )


def _write_summary(
    book: Book,
    records: pd.DataFrame,
    problems: list[Problem],
    sheets: Sequence[SheetAccount],
    codes: list[str],
    names: dict[str, str],
) -> None:
    summary = book.sheet(SUMMARY_SHEET)
    summary.heading(RULES_HEADING)
    summary.table(RULE_COLUMNS, _rule_rows(problems, codes, names))
    summary.skip_row()
    summary.heading(ACCOUNTING_HEADING)
    counted = records.groupby(["source_file", "sheet", "status"]).size().to_dict()
    rows: list[list[Cell]] = [
        [
            sheet.source_file,
            sheet.sheet,
            names.get(sheet.organization, sheet.organization),
            sheet.header_row,
            sheet.rows_in,
            counted.get((sheet.source_file, sheet.sheet, "accepted"), 0),
            counted.get((sheet.source_file, sheet.sheet, "rejected"), 0),
            sheet.set_aside,
        ]
        for sheet in sheets
    ]
    summary.table(SHEET_COLUMNS, rows)


def _rule_rows(
    problems: list[Problem], codes: list[str], names: dict[str, str]
) -> Iterator[list[Cell]]:
    counts: dict[tuple[str | None, Severity, str], int] = {}
    for problem in problems:
        org = problem.organization if problem.organization in codes else None
        key = (org, problem.severity, problem.rule)
        counts[key] = counts.get(key, 0) + 1
    org_rank = {code: index for index, code in enumerate(codes)}
    severity_rank = {severity: index for index, severity in enumerate(SEVERITY_LABELS)}
    for org, severity, code in sorted(
        counts,
        key=lambda k: (
            org_rank.get(k[0] or "", len(codes)),
            severity_rank[k[1]],
            RULE_ORDER.get(k[2], len(RULE_ORDER)),
            k[2],
        ),
    ):
        rule = rule_for(code)
        yield [
            names.get(org, org) if org else NO_ORGANIZATION_SHEET,
            SEVERITY_LABELS[severity],
            rule.title,
            code,
            counts[(org, severity, code)],
            rule.fix,
        ]


Place = tuple[str, str]  # (header as the organization wrote it, Excel column letter)


class _Locator:
    """Finds the column a problem points at in its sheet.

    Validation problems name a field ("birth_date"); the loader's name a
    header as written. The sheet's field columns come from the loader when it
    gives them, else from matching its headers against the synonyms.
    """

    def __init__(self, sheets: Sequence[SheetAccount], settings: Settings) -> None:
        field_of: dict[str, str] = {}
        for name, synonyms in settings.header_synonyms.items():
            for synonym in synonyms:
                field_of.setdefault(synonym, name)
        self._fields: dict[tuple[str, str], dict[str, Place]] = {}
        self._headers: dict[tuple[str, str], dict[str, str]] = {}
        for sheet in sheets:
            key = (sheet.source_file, sheet.sheet)
            headers = self._headers[key] = {}
            for j, header in enumerate(sheet.columns):
                if header:
                    headers.setdefault(header, xl_col_to_name(j))
            fields = self._fields[key] = {}
            for name, header, letter in sheet.field_columns or _matched(sheet, field_of):
                fields.setdefault(name, (header, letter))

    def locate(self, problem: Problem) -> Place:
        if not problem.column:
            return "", ""
        key = (problem.source_file, problem.sheet)
        fields = self._fields.get(key, {})
        if problem.column in fields:
            return fields[problem.column]
        found = [fields[name] for name in FIELD_FALLBACKS.get(problem.column, ()) if name in fields]
        if found:
            return "; ".join(h for h, _ in found), "; ".join(letter for _, letter in found)
        letter = self._headers.get(key, {}).get(problem.column)
        if letter is not None:
            return problem.column, letter
        return FIELD_LABELS.get(problem.column, problem.column), ""


def _matched(sheet: SheetAccount, field_of: dict[str, str]) -> Iterator[tuple[str, str, str]]:
    """(field, header, letter) of the sheet's headers that name a field. A
    two-row header reads "Ngày sinh / Nam"; its lower label is the specific one."""
    for j, header in enumerate(sheet.columns):
        labels = header.split(" / ")
        for label in (*reversed(labels), header):
            name = field_of.get(header_key(label))
            if name is not None:
                yield name, header, xl_col_to_name(j)
                break


def _problem_rows(problems: list[Problem], locator: _Locator) -> Iterator[list[Cell]]:
    for problem in problems:
        header, letter = locator.locate(problem)
        rule = rule_for(problem.rule)
        yield [
            problem.source_file,
            problem.sheet,
            "" if problem.row is None else str(problem.row),
            header,
            letter,
            problem.value,
            SEVERITY_LABELS[problem.severity],
            rule.title,
            problem.message,
            rule.fix,
            problem.rule,
        ]
