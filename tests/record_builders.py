"""Build loader-shaped record frames by hand, for stage tests below the loader."""

from __future__ import annotations

from typing import Any

import pandas as pd

from pipeline.models import LOAD_COLUMNS, PROVENANCE_COLUMNS, RAW_FIELDS
from pipeline.settings import load_settings
from pipeline.stages.normalize import normalize
from pipeline.stages.validate import validate

SETTINGS = load_settings()


def raw_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Records as `load` returns them; unspecified fields are empty."""
    built = []
    for number, row in enumerate(rows, start=5):
        record: dict[str, Any] = {column: None for column in (*PROVENANCE_COLUMNS, *RAW_FIELDS)}
        record.update(
            source_file=row.get("source_file", "test.xlsx"),
            sheet=row.get("sheet", "DS"),
            row=number,
            organization=row.get("organization", "doan"),
            source_values=(),
            core_column_present=row.get("core_column_present", True),
            sheet_title="",
        )
        record.update({k: v for k, v in row.items() if k in RAW_FIELDS or k == "row"})
        record["record_id"] = f"{record['source_file']}|{record['sheet']}|{record['row']}"
        built.append(record)
    columns = [*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS]
    return pd.DataFrame(built, columns=columns, dtype=object)


def normalized_records(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Records through validate and normalize, as `match` receives them."""
    return normalize(validate(raw_records(rows), SETTINGS).records, SETTINGS).records
