"""report: write every output of a run into the output folder.

Machine-readable CSVs for other tools and four Vietnamese workbooks for people:
- records.csv: one row per input data row, with its status and person;
- indicators.csv: the directive's indicators per province, district, commune;
- Danh sách đã đối soát.xlsx, Rà soát trùng lặp.xlsx, Lỗi dữ liệu.xlsx,
  Tổng hợp chỉ tiêu.xlsx (see pipeline.workbooks).

The CSVs are UTF-8 with a byte-order mark: without it Excel, which analysts
use to open them, reads UTF-8 as the local code page and garbles Vietnamese.
Values are written as found (a name beginning with "=" stays "="), because
the CSVs are data for tools; people should read the workbooks, where such
values are safely stored as text.

Every file is written atomically, so an interrupted run leaves the previous
outputs whole.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.atomic import atomic_write
from pipeline.indicators import compute_indicators
from pipeline.models import Problem, SheetAccount
from pipeline.settings import Settings
from pipeline.workbooks import problems as problems_workbook
from pipeline.workbooks import review, roster, summary
from pipeline.workbooks.display import address_column, display_column

RECORDS_CSV = "records.csv"
INDICATORS_CSV = "indicators.csv"
CSV_ENCODING = "utf-8-sig"
RECORDS_CSV_COLUMNS = (
    "record_id",
    "source_file",
    "sheet",
    "row",
    "organization",
    "status",
    "reason",
    "person_id",
    "review_group",
    "is_core",
    "is_regular",
    "full_name",
    "birth_date",
    "address",
    "commune",
    "district",
)
# Every file `report` writes, in the order it writes them.
OUTPUT_NAMES = (
    RECORDS_CSV,
    INDICATORS_CSV,
    roster.FILE_NAME,
    review.FILE_NAME,
    problems_workbook.FILE_NAME,
    summary.FILE_NAME,
)


def report(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    problems: list[Problem],
    sheets: list[SheetAccount],
    settings: Settings,
    output_dir: Path,
) -> list[Path]:
    """Write all outputs into `output_dir` (created if missing); return their paths, sorted."""
    output_dir.mkdir(parents=True, exist_ok=True)
    indicators = compute_indicators(records, settings)
    targets = {name: output_dir / name for name in OUTPUT_NAMES}
    _write_csv(records_table(records), targets[RECORDS_CSV])
    _write_csv(indicators, targets[INDICATORS_CSV])
    roster.write_roster(records, sheets, settings, targets[roster.FILE_NAME])
    review.write_review(records, pairs, settings, targets[review.FILE_NAME])
    problems_workbook.write_problems(
        records, problems, sheets, settings, targets[problems_workbook.FILE_NAME]
    )
    summary.write_summary(indicators, settings, targets[summary.FILE_NAME])
    return sorted(targets.values())


def records_table(records: pd.DataFrame) -> pd.DataFrame:
    """The rows of records.csv: RECORDS_CSV_COLUMNS, every value a string."""
    flags = {True: "true", False: "false"}
    table = pd.DataFrame(
        {
            **{name: _text(records[name]) for name in RECORDS_CSV_COLUMNS[:9]},
            "is_core": records["is_core"].eq(True).map(flags),
            "is_regular": records["is_regular"].eq(True).map(flags),
            "full_name": display_column(records["full_name"]),
            "birth_date": display_column(records["birth_date"]),
            "address": address_column(records),
            "commune": _text(records["commune_name"]),
            "district": _text(records["district_name"]),
        },
        index=records.index,
    )
    return table.reset_index(drop=True)


def _text(values: pd.Series) -> pd.Series:
    # Row numbers arrive as int, or as float when some are missing; write "12", never "12.0".
    if pd.api.types.is_float_dtype(values):
        values = values.astype("Int64")
    return values.astype("string").fillna("")


def _write_csv(table: pd.DataFrame, target: Path) -> None:
    # float_format applies to the rates only (the counts are integers).
    with atomic_write(target) as temp:
        table.to_csv(
            temp, index=False, encoding=CSV_ENCODING, lineterminator="\n", float_format="%.4f"
        )
