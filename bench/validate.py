"""Validation benchmark: `validate()` on a million loader-shaped records.

The records are built in memory, vectorised, in the shape `load` returns
(tests/record_builders.py, in bulk): 200 roster files of 5,000 rows across
the five organizations, values typed as offices type them (Excel dates and
text dates, bare years, CCCDs as text and as numbers, phones with and without
their leading zero, tick marks) with a few percent of bad values, so every
rule has failures to report. Each run happens in its own subprocess under GNU
time: seconds are measured around `validate()` alone; peak MiB is the
subprocess's maximum resident set size (building the records included), and
validate peak MiB the largest resident size while `validate()` ran (the
records it was given included), read from the kernel's high-water mark after
resetting it.

    python -m bench.validate --rows 1000000 --repeats 3
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bench.gnu_time import run_timed
from bench.table import OUT_DIR, write_table
from pipeline.models import LOAD_COLUMNS, PROVENANCE_COLUMNS, RAW_FIELDS
from pipeline.settings import load_settings
from pipeline.stages.validate import validate
from pipeline.synthetic import (
    AWAY_NOTES,
    COMMUNES,
    FEMALE_GIVEN,
    FEMALE_MIDDLES,
    MALE_GIVEN,
    MALE_MIDDLES,
    PHONE_PREFIXES,
    SURNAMES,
)

ROWS_PER_FILE = 5_000
ORGANIZATIONS = ("doan", "phunu", "nongdan", "ccb", "congdoan")
# Birth years per organization, mostly inside its age range in 2025.
BIRTH_YEARS = {
    "doan": (1993, 2010),
    "phunu": (1950, 2008),
    "nongdan": (1950, 2008),
    "ccb": (1945, 2006),
    "congdoan": (1962, 2010),
}
POSITIONS = ("Hội viên", "Đoàn viên", "Chi hội trưởng", "Chi hội phó", "Tổ trưởng", "Bí thư")
BAD_BIRTH_DATES = ("31/02/1985", "không rõ", "12/03/2099", "12/03/1850")


@dataclass(frozen=True)
class Row:
    rows: int
    repeats: int
    build_seconds: float
    median_seconds: float
    rows_per_second: int
    peak_mib: float
    validate_peak_mib: float
    records_mib: float
    problems: int
    rejected: int


def _pick(rng: np.random.Generator, choices: np.ndarray, size: int) -> np.ndarray:
    return choices[rng.integers(0, len(choices), size)]


def _objects(values: object) -> np.ndarray:
    """An object array of Python values, as the loader's cells are."""
    array = np.asarray(values)
    return array.astype(object) if array.dtype != object else array


def _blank(rng: np.random.Generator, values: np.ndarray, share: float) -> np.ndarray:
    """`values` with about `share` of them emptied (None), as rosters leave cells."""
    values = _objects(values).copy()
    values[rng.random(len(values)) < share] = None
    return values


def _no_cells(rows: int) -> np.ndarray:
    empty = np.empty(rows, dtype=object)
    empty.fill(())
    return empty


def build_records(rows: int, seed: int = 2018) -> pd.DataFrame:
    """`rows` loader-shaped records (PROVENANCE_COLUMNS, RAW_FIELDS, LOAD_COLUMNS).

    Text is built as numpy unicode arrays (numpy.strings works on them in C)
    and turned into Python strings once, at the end.
    """
    rng = np.random.default_rng(seed)
    position = np.arange(rows)
    file_number = position // ROWS_PER_FILE
    org_number = file_number % len(ORGANIZATIONS)
    organization = np.array(ORGANIZATIONS)[org_number]
    file_names = np.array([f"ds_{n:03d}.xlsx" for n in range(file_number.max(initial=0) + 1)])
    files = file_names[file_number]
    row = position % ROWS_PER_FILE + 6

    female = rng.random(rows) < np.where(organization == "phunu", 1.0, 0.5)
    middle = np.where(
        female,
        _pick(rng, np.array([m for m, _ in FEMALE_MIDDLES]), rows),
        _pick(rng, np.array([m for m, _ in MALE_MIDDLES]), rows),
    )
    given = np.where(
        female, _pick(rng, np.array(FEMALE_GIVEN), rows), _pick(rng, np.array(MALE_GIVEN), rows)
    )
    surname = _pick(rng, np.array([s for s, _ in SURNAMES]), rows)
    full_name = np.strings.add(np.strings.add(np.strings.add(surname, " "), middle), " ")
    full_name = np.strings.add(full_name, given)

    low = np.array([BIRTH_YEARS[o][0] for o in ORGANIZATIONS])[org_number]
    high = np.array([BIRTH_YEARS[o][1] for o in ORGANIZATIONS])[org_number]
    birth_year = rng.integers(low, high + 1)
    births = (birth_year - 1970).astype("datetime64[Y]").astype("datetime64[D]") + rng.integers(
        0, 365, rows
    )
    # calamine gives Excel dates as datetime; other offices type text or a bare year.
    birth_date = births.astype("datetime64[us]").astype(object)
    day_first = np.datetime_as_string(births).astype("U10")
    as_text = np.strings.add(
        np.strings.add(np.strings.slice(day_first, 8, 10), "/"),
        np.strings.add(
            np.strings.add(np.strings.slice(day_first, 5, 7), "/"), birth_year.astype("U4")
        ),
    )
    kind = rng.random(rows)
    text = kind < 0.25
    birth_date[text] = as_text[text].astype(object)
    year_only = (kind >= 0.25) & (kind < 0.33)
    birth_date[year_only] = birth_year[year_only].astype(object)
    bad = kind > 0.995
    birth_date[bad] = _pick(rng, _objects(BAD_BIRTH_DATES), int(bad.sum()))
    birth_date[(kind >= 0.33) & (kind < 0.34)] = None

    sex = np.where(female, "Nữ", "Nam").astype(object)
    sex[org_number == ORGANIZATIONS.index("phunu")] = None  # the women's roster has no column

    province = _pick(rng, np.array([75, 75, 75, 70, 79, 38]), rows)
    century_sex = (birth_year >= 2000) * 2 + female
    number = ((province * 10 + century_sex) * 100 + birth_year % 100) * 1_000_000 + rng.integers(
        0, 1_000_000, rows
    )
    citizen_id = np.strings.zfill(number.astype("U12"), 12).astype(object)
    as_number = rng.random(rows) < 0.2  # typed as numbers: the leading zero is lost
    citizen_id[as_number] = number[as_number].astype(object)
    citizen_id[rng.random(rows) >= 0.6] = None

    prefixes = np.array(PHONE_PREFIXES)
    phone_number = _pick(rng, prefixes.astype(np.int64), rows) * 10_000_000 + rng.integers(
        0, 10_000_000, rows
    )
    phone = np.strings.zfill(phone_number.astype("U10"), 10).astype(object)
    phone_kind = rng.random(rows)
    phone[phone_kind < 0.1] = phone_number[phone_kind < 0.1].astype(object)
    phone[(phone_kind >= 0.1) & (phone_kind < 0.12)] = "123456"
    phone[phone_kind > 0.85] = None

    communes = np.array([f"Xã {c.name}" for c in COMMUNES])
    hamlets = np.array([hamlet for c in COMMUNES for hamlet in c.hamlets])
    address = np.strings.add(
        np.strings.add(_pick(rng, hamlets, rows), ", "), _pick(rng, communes, rows)
    )
    join_year = np.clip(birth_year + rng.integers(14, 30, rows), None, 2025)
    titles = np.array([f"DANH SÁCH {o.upper()} NĂM 2025" for o in ORGANIZATIONS])

    def share(fraction: float, value: object) -> np.ndarray:
        return np.where(rng.random(rows) < fraction, value, None).astype(object)

    empty = np.full(rows, None, dtype=object)
    columns: dict[str, object] = {name: empty for name in (*PROVENANCE_COLUMNS, *RAW_FIELDS)}
    columns.update(
        record_id=np.strings.add(np.strings.add(files, "|DS|"), row.astype("U7")),
        source_file=files,
        sheet="DS",
        row=row.astype(object),
        organization=organization,
        full_name=_blank(rng, full_name, 0.002),
        sex=sex,
        birth_date=birth_date,
        address=_blank(rng, address, 0.03),
        citizen_id=citizen_id,
        phone=phone,
        position=_blank(rng, _pick(rng, np.array(POSITIONS), rows), 0.05),
        branch=_pick(rng, hamlets, rows),
        join_date=np.where(rng.random(rows) < 0.3, join_year.astype(object), None),
        core=share(0.7, "x"),
        regular=share(0.6, "x"),
        ethnicity=share(0.5, "Kinh"),
        note=np.where(rng.random(rows) < 0.05, _pick(rng, _objects(AWAY_NOTES), rows), None),
        source_values=_no_cells(rows),
        core_column_present=org_number != ORGANIZATIONS.index("ccb"),
        sheet_title=titles[org_number],
        birth_column_sex=None,
    )
    index = pd.RangeIndex(rows)
    # Object columns throughout, as `load` builds them.
    return pd.DataFrame(
        {
            name: pd.Series(
                _objects(columns[name]) if isinstance(columns[name], np.ndarray) else columns[name],
                index=index,
                dtype=object,
            )
            for name in (*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS)
        }
    )


def _memory_mib(field: str) -> float:
    """VmRSS (resident now) or VmHWM (the high-water mark) of this process."""
    status = Path("/proc/self/status").read_text()
    found = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    assert found, status
    return int(found.group(1)) / 1024


def _child(rows: int, seed: int) -> None:
    """Build the records, validate them, print the figures as JSON."""
    settings = load_settings()
    started = time.perf_counter()
    records = build_records(rows, seed)
    built = time.perf_counter() - started
    gc.collect()
    records_mib = _memory_mib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current size
    started = time.perf_counter()
    result = validate(records, settings)
    seconds = time.perf_counter() - started
    figures = {
        "build": built,
        "seconds": seconds,
        "validate_peak_mib": _memory_mib("VmHWM"),
        "records_mib": records_mib,
        "problems": len(result.problems),
        "rejected": int((result.records["status"] == "rejected").sum()),
    }
    print(json.dumps(figures))


def _timed_run(rows: int, seed: int) -> tuple[dict[str, float], float]:
    command = [sys.executable, "-m", "bench.validate", "--child"]
    command += ["--rows", str(rows), "--seed", str(seed)]
    timed = run_timed(command)
    return json.loads(timed.stdout.strip().splitlines()[-1]), timed.peak_mib


def measure(rows: int, repeats: int, seed: int) -> Row:
    runs = [_timed_run(rows, seed) for _ in range(repeats)]
    seconds = statistics.median(figures["seconds"] for figures, _ in runs)
    figures = runs[0][0]
    return Row(
        rows=rows,
        repeats=repeats,
        build_seconds=round(statistics.median(f["build"] for f, _ in runs), 2),
        median_seconds=round(seconds, 2),
        rows_per_second=round(rows / seconds),
        peak_mib=round(max(peak for _, peak in runs), 1),
        validate_peak_mib=round(max(f["validate_peak_mib"] for f, _ in runs), 1),
        records_mib=round(figures["records_mib"], 1),
        problems=int(figures["problems"]),
        rejected=int(figures["rejected"]),
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.rows[0], args.seed)
        return []
    OUT_DIR.mkdir(exist_ok=True)
    results = [measure(rows, args.repeats, args.seed) for rows in args.rows]
    write_table(results, "validate")
    return results


if __name__ == "__main__":
    main()
