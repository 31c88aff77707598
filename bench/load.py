"""Load benchmark: our `load` against the fastest readers available to pandas.

Issue 3 asks that loading a roster be no slower than reading the same file with
the fastest reader pandas offers. This generates one large roster the way
offices keep them (title rows, a header, 15 columns of realistic Vietnamese
values, a signature block), cached under bench/out/, and measures each reader
in its own subprocess under GNU time, so peak memory is the reader's alone:

- `load`: `pipeline.stages.load.load` (reading, header detection, row
  classification and the records DataFrame);
- `pandas`: `pandas.read_excel(path, engine="calamine", header=None, dtype=object)`;
- `calamine`: python-calamine `iter_rows` over every sheet, values discarded.

Seconds (wall clock) and CPU seconds are measured inside the subprocess around
the read alone (interpreter start-up and imports excluded); CPU seconds stay
comparable when other programs share the machine. Peak MiB is the
subprocess's maximum resident set size, imports included.

    python -m bench.load --rows 200000 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import xlsxwriter

from bench.gnu_time import run_timed
from bench.table import OUT_DIR, write_table
from pipeline.synthetic import (
    AWAY_NOTES,
    COMMUNES,
    FEMALE_GIVEN,
    FEMALE_MIDDLES,
    PHONE_PREFIXES,
    SURNAMES,
)

READERS = ("load", "pandas", "calamine")
# Bump when the generated layout changes, so a stale cached file is not reused.
LAYOUT_VERSION = 1

TITLE_ROWS = (
    "HỘI LIÊN HIỆP PHỤ NỮ HUYỆN NHƠN TRẠCH",
    "DANH SÁCH HỘI VIÊN NÒNG CỐT NĂM 2025",
    "(Kèm theo Báo cáo số 12/BC-HPN của Ban Thường vụ Hội LHPN huyện)",
)
HEADER = (
    "STT",
    "Họ và tên",
    "Ngày sinh",
    "Dân tộc",
    "Số CCCD",
    "Số điện thoại",
    "Địa chỉ",
    "Ấp/KP",
    "Xã/Phường",
    "Chức vụ",
    "Chi hội",
    "Ngày vào hội",
    "Nòng cốt",
    "SHTX",
    "Ghi chú",
)
POSITIONS = (("Hội viên", 80.0), ("Chi hội trưởng", 6.0), ("Chi hội phó", 8.0), ("Tổ trưởng", 6.0))
ETHNICITIES = (("Kinh", 95.0), ("Hoa", 3.0), ("Khmer", 1.0), ("Tày", 1.0))
TEXT_DATE_SHARE = 0.2  # birth dates typed as text "dd/mm/yyyy" rather than Excel dates


@dataclass(frozen=True)
class Result:
    reader: str
    rows_returned: int  # load: records; the others: every row of the sheet
    median_seconds: float
    median_cpu_seconds: float
    rows_per_second: int  # data rows per wall-clock second
    peak_mib: float
    repeats: int


def roster_path(rows: int) -> Path:
    return OUT_DIR / f"load_roster_{rows}_v{LAYOUT_VERSION}.xlsx"


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([value for value, _ in table], [weight for _, weight in table])[0]


def generate(path: Path, rows: int, seed: int = 2018) -> None:
    """A Hội LHPN roster of `rows` members, written row by row in constant memory."""
    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    sheet = workbook.add_worksheet("Danh sách")
    for r, title in enumerate(TITLE_ROWS):
        sheet.write_string(r, 0, title)
    header_row = len(TITLE_ROWS)
    for c, label in enumerate(HEADER):
        sheet.write_string(header_row, c, label)
    first_birth = date(1955, 1, 1)
    for i in range(rows):
        r = header_row + 1 + i
        commune = rng.choice(COMMUNES)
        hamlet = rng.choice(commune.hamlets)
        birth = first_birth + timedelta(days=rng.randrange(52 * 365))
        name = f"{_pick(rng, SURNAMES)} {_pick(rng, FEMALE_MIDDLES)} {rng.choice(FEMALE_GIVEN)}"
        sheet.write_number(r, 0, i + 1)
        sheet.write_string(r, 1, name)
        if rng.random() < TEXT_DATE_SHARE:
            sheet.write_string(r, 2, birth.strftime("%d/%m/%Y"))
        else:
            sheet.write_datetime(r, 2, birth, date_format)
        sheet.write_string(r, 3, _pick(rng, ETHNICITIES))
        if rng.random() < 0.6:
            century = "1" if birth.year < 2000 else "3"
            cccd = f"075{century}{birth.year % 100:02d}{rng.randrange(10**6):06d}"
            sheet.write_string(r, 4, cccd)
        if rng.random() < 0.85:
            sheet.write_string(r, 5, f"{rng.choice(PHONE_PREFIXES)}{rng.randrange(10**7):07d}")
        house = f"Số {rng.randint(1, 300)}, Tổ {rng.randint(1, 12)}, "
        sheet.write_string(r, 6, f"{house}{hamlet}, Xã {commune.name}, Huyện {commune.district}")
        sheet.write_string(r, 7, hamlet)
        sheet.write_string(r, 8, commune.name)
        sheet.write_string(r, 9, _pick(rng, POSITIONS))
        sheet.write_string(r, 10, f"Chi hội {hamlet}")
        joined = birth + timedelta(days=365 * 18 + rng.randrange(20 * 365))
        sheet.write_datetime(r, 11, joined, date_format)
        if rng.random() < 0.35:
            sheet.write_string(r, 12, "x")
        if rng.random() < 0.7:
            sheet.write_string(r, 13, "x")
        if rng.random() < 0.06:
            sheet.write_string(r, 14, rng.choice(AWAY_NOTES))
    footer = header_row + rows + 2
    sheet.write_string(footer, 9, "Nhơn Trạch, ngày 15 tháng 3 năm 2025")
    sheet.write_string(footer + 1, 1, "NGƯỜI LẬP BIỂU")
    sheet.write_string(footer + 1, 9, "CHỦ TỊCH")
    sheet.write_string(footer + 5, 1, "Trần Thị Thu Hà")
    sheet.write_string(footer + 5, 9, "Nguyễn Thị Kim Loan")
    workbook.close()
    partial.replace(path)


def _read(reader: str, path: Path) -> int:
    """Read the file with one reader; the number of rows it returned."""
    if reader == "load":
        from pipeline.models import SourceFile
        from pipeline.progress import NoProgress
        from pipeline.settings import load_settings
        from pipeline.stages.load import load

        settings = load_settings()
        source = SourceFile(path, path.name, "phunu", "benchmark")
        result = load([source], settings, NoProgress())
        return len(result.records)
    if reader == "pandas":
        import pandas as pd

        frame = pd.read_excel(path, engine="calamine", header=None, dtype=object)
        return len(frame)
    from python_calamine import CalamineWorkbook

    count = 0
    with CalamineWorkbook.from_path(str(path)) as workbook:
        for name in workbook.sheet_names:
            for _ in workbook.get_sheet_by_name(name).iter_rows():
                count += 1
    return count


def _child(reader: str, path: Path) -> None:
    if reader == "load":  # import outside the timed region, as pandas is for the others
        import pipeline.stages.load  # noqa: F401
    else:
        import pandas  # noqa: F401
    start, start_cpu = time.perf_counter(), time.process_time()
    rows = _read(reader, path)
    seconds, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows": rows}))


@dataclass(frozen=True)
class _Run:
    seconds: float
    cpu_seconds: float
    peak_mib: float
    rows: int


def _timed_child(reader: str, path: Path) -> _Run:
    timed = run_timed([sys.executable, "-m", "bench.load", "--child", reader, str(path)])
    measured = json.loads(timed.stdout.strip().splitlines()[-1])
    return _Run(
        seconds=float(measured["seconds"]),
        cpu_seconds=float(measured["cpu_seconds"]),
        peak_mib=timed.peak_mib,
        rows=int(measured["rows"]),
    )


def summarize(reader: str, runs: list[_Run], rows: int) -> Result:
    seconds = statistics.median(run.seconds for run in runs)
    return Result(
        reader=reader,
        rows_returned=runs[0].rows,
        median_seconds=round(seconds, 2),
        median_cpu_seconds=round(statistics.median(run.cpu_seconds for run in runs), 2),
        rows_per_second=round(rows / seconds),
        peak_mib=round(max(run.peak_mib for run in runs), 1),
        repeats=len(runs),
    )


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000, help="data rows in the roster")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--readers", nargs="+", choices=READERS, default=list(READERS))
    parser.add_argument("--child", choices=READERS, help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.path)
        return []

    path = roster_path(args.rows)
    if not path.is_file():
        print(f"Generating {path.name} ({args.rows} rows)...", flush=True)
        generate(path, args.rows)
    # Round-robin, so a busy spell on the machine slows every reader alike.
    runs: dict[str, list[_Run]] = {reader: [] for reader in args.readers}
    for _ in range(args.repeats):
        for reader in args.readers:
            runs[reader].append(_timed_child(reader, path))
    results = [summarize(reader, reader_runs, args.rows) for reader, reader_runs in runs.items()]
    write_table(results, "load")
    return results


if __name__ == "__main__":
    main()
