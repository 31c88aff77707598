"""Lỗi dữ liệu.xlsx: every problem found, for the organizations to fix at the source.

Each organization gets its own sheet so it can be sent just its part; problems
that belong to no organization (an unreadable file) have a sheet of their own.
Problem cells are written as text: they show values exactly as found.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from pipeline.indicators import organization_order
from pipeline.models import Problem, Severity, SheetAccount
from pipeline.settings import Settings
from pipeline.text import header_key
from pipeline.workbooks.display import organization_names
from pipeline.workbooks.style import Book, Cell, Column, Kind, open_book

FILE_NAME = "Lỗi dữ liệu.xlsx"
SUMMARY_SHEET = "Tổng hợp"
NO_ORGANIZATION_SHEET = "Tệp không đọc được"

SEVERITY_LABELS = {
    Severity.BLOCKING: "Loại bỏ",
    Severity.WARNING: "Cảnh báo",
    Severity.SET_ASIDE: "Không phải dòng dữ liệu",
    Severity.FILE: "Tệp bị bỏ qua",
    Severity.NOTE: "Ghi chú",
}
# Field names stand in for a column when the roster's own header is unknown.
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

PROBLEM_COLUMNS = (
    Column("Tệp"),
    Column("Trang tính"),
    Column("Dòng", width=8),
    Column("Cột"),
    Column("Giá trị", width=30),
    Column("Mức độ", width=22),
    Column("Quy tắc"),
    Column("Nội dung", width=60),
)
RULE_COLUMNS = (
    Column("Tổ chức"),
    Column("Mức độ", width=22),
    Column("Quy tắc"),
    Column("Nội dung", width=60),
    Column("Số lượng", Kind.INTEGER, width=10),
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
        labels = _column_labels(sheets, settings)
        for code in codes:
            book.table_sheet(
                names.get(code, code),
                PROBLEM_COLUMNS,
                _problem_rows(by_organization.get(code, []), labels),
            )
        book.table_sheet(
            NO_ORGANIZATION_SHEET,
            PROBLEM_COLUMNS,
            _problem_rows(by_organization.get(None, []), labels),
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
    summary.heading("Số vấn đề theo tổ chức và quy tắc")
    summary.table(RULE_COLUMNS, _rule_rows(problems, codes, names))
    summary.skip_row()
    summary.heading("Số dòng theo tệp và trang tính")
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
    messages: dict[tuple[str | None, Severity, str], str] = {}
    for problem in problems:
        org = problem.organization if problem.organization in codes else None
        key = (org, problem.severity, problem.rule)
        counts[key] = counts.get(key, 0) + 1
        messages.setdefault(key, problem.message)
    org_rank = {code: index for index, code in enumerate(codes)}
    severity_rank = {severity: index for index, severity in enumerate(SEVERITY_LABELS)}
    for key in sorted(
        counts, key=lambda k: (org_rank.get(k[0] or "", len(codes)), severity_rank[k[1]], k[2])
    ):
        org, severity, rule = key
        yield [
            names.get(org, org) if org else NO_ORGANIZATION_SHEET,
            SEVERITY_LABELS[severity],
            rule,
            messages[key],
            counts[key],
        ]


def _column_labels(
    sheets: Sequence[SheetAccount], settings: Settings
) -> dict[tuple[str, str, str], str]:
    """(file, sheet, field) -> the header the roster uses for that field, so a
    problem points at the column as the organization named it."""
    field_of: dict[str, str] = {}
    for field, synonyms in settings.header_synonyms.items():
        for synonym in synonyms:
            field_of.setdefault(synonym, field)
    labels: dict[tuple[str, str, str], str] = {}
    for sheet in sheets:
        for header in sheet.columns:
            matched = field_of.get(header_key(header))
            if matched:
                labels.setdefault((sheet.source_file, sheet.sheet, matched), header)
    return labels


def _problem_rows(
    problems: list[Problem], labels: dict[tuple[str, str, str], str]
) -> Iterator[list[Cell]]:
    for problem in problems:
        column = labels.get(
            (problem.source_file, problem.sheet, problem.column),
            FIELD_LABELS.get(problem.column, problem.column),
        )
        yield [
            problem.source_file,
            problem.sheet,
            "" if problem.row is None else str(problem.row),
            column,
            problem.value,
            SEVERITY_LABELS[problem.severity],
            problem.rule,
            problem.message,
        ]
