"""Benchmark tables: written to bench/out/<name>.csv and printed aligned."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

OUT_DIR = Path(__file__).resolve().parent / "out"


def write_csv(records: Sequence[Mapping[str, Any]], name: str) -> Path:
    OUT_DIR.mkdir(exist_ok=True)
    path = OUT_DIR / f"{name}.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)
    return path


def write_table(rows: Sequence[Any], name: str) -> Path:
    """Write dataclass rows as bench/out/<name>.csv and print them."""
    records = [asdict(row) for row in rows]
    path = write_csv(records, name)
    widths = {
        field: max(len(field), *(len(str(r[field])) for r in records)) for field in records[0]
    }
    print(" | ".join(field.rjust(width) for field, width in widths.items()))
    for record in records:
        print(" | ".join(str(record[field]).rjust(width) for field, width in widths.items()))
    print(f"(written to {path})")
    return path
