"""Build tiny roster files in code, so no binary fixture is committed."""

from __future__ import annotations

import datetime
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

from pipeline.models import SourceFile

Cells = Sequence[Sequence[object]]


def write_xlsx(
    path: Path,
    sheets: dict[str, Cells],
    merges: dict[str, Sequence[str]] | None = None,
) -> Path:
    """One worksheet per entry; None leaves a cell empty, dates get a date format.

    `merges` maps a sheet name to ranges such as "C3:D3"; the merged value is
    the one written in the range's first cell, as Excel stores it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, rows in sheets.items():
        worksheet = workbook.add_worksheet(name)
        ranges = (merges or {}).get(name, ())
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, datetime.date):
                    as_datetime = datetime.datetime.combine(value, datetime.time())
                    worksheet.write_datetime(r, c, as_datetime, date_format)
                else:
                    worksheet.write(r, c, value)
        for cell_range in ranges:
            first = cell_range.split(":")[0]
            row_index, col_index = xlsxwriter.utility.xl_cell_to_rowcol(first)
            value = rows[row_index][col_index]
            worksheet.merge_range(cell_range, "" if value is None else value)
    workbook.close()
    return path


def write_csv(path: Path, lines: Sequence[Sequence[str]], encoding: str, sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as handle:
        for line in lines:
            handle.write(sep.join(line) + "\r\n")
    return path


def write_random_bytes(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(4096))
    return path


def write_docx_as_xlsx(path: Path) -> Path:
    """A Word document's zip layout under an Excel name: a zip without workbook parts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return path


def source(path: Path, root: Path, organization: str | None = "doan") -> SourceFile:
    """A SourceFile as `discover` would return it."""
    return SourceFile(
        path=path,
        relative_path=path.relative_to(root).as_posix(),
        organization=organization,
        organization_reason="theo tên thư mục 'test'" if organization else "chưa xác định",
    )
