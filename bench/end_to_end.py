"""End-to-end benchmark: `python -m pipeline run` on generated rosters.

For each scale of the example generator it reports the median wall time and
peak memory (GNU time's maximum resident set size) over several runs, and the
pairwise accuracy of `person_id` against the generator's ground truth: for all
duplicate pairs, and for pairs of core records in different organizations
(the directive's concern).

    python -m bench.end_to_end --scales 10 100 --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bench.gnu_time import run_timed
from bench.metrics import pairwise_scores
from bench.table import OUT_DIR, write_table
from pipeline.synthetic import GroundTruth, generate_rosters


@dataclass(frozen=True)
class Row:
    scale: int
    rows: int
    median_seconds: float
    peak_mib: float
    repeats: int
    precision_all: float
    recall_all: float
    f1_all: float
    precision_cross_core: float
    recall_cross_core: float
    f1_cross_core: float


def accuracy(truth: GroundTruth, records_csv: Path) -> dict[str, float]:
    records = pd.read_csv(records_csv, dtype=str, keep_default_na=False)
    keys = {(r.source_file, r.sheet, str(r.row)): r.person_key for r in truth.rows}
    records["person_key"] = [
        keys[located]
        for located in zip(records["source_file"], records["sheet"], records["row"], strict=True)
    ]
    accepted = records[records["status"] == "accepted"]
    core = accepted[accepted["is_core"] == "true"]
    result: dict[str, float] = {}
    for label, frame, exclude_same in (
        ("all", accepted, None),
        ("cross_core", core, core["organization"]),
    ):
        scores = pairwise_scores(frame["person_key"], frame["person_id"], exclude_same)
        result |= {
            f"precision_{label}": scores.precision,
            f"recall_{label}": scores.recall,
            f"f1_{label}": scores.f1,
        }
    return result


def _timed_run(input_dir: Path, output_dir: Path) -> tuple[float, float]:
    command = [sys.executable, "-m", "pipeline", "run"]
    command += ["--input", str(input_dir), "--output", str(output_dir), "--no-examples"]
    timed = run_timed(command, ok_codes=(0, 3))
    return timed.wall_seconds, timed.peak_mib


def measure(scale: int, repeats: int, workdir: Path) -> Row:
    input_dir = workdir / f"rosters_{scale}"
    truth = generate_rosters(input_dir, scale=scale)
    timings = [_timed_run(input_dir, workdir / f"output_{scale}") for _ in range(repeats)]
    quality = accuracy(truth, workdir / f"output_{scale}" / "records.csv")
    return Row(
        scale=scale,
        rows=len(truth.rows),
        median_seconds=round(statistics.median(t for t, _ in timings), 2),
        peak_mib=round(max(m for _, m in timings), 1),
        repeats=repeats,
        **{name: round(value, 4) for name, value in quality.items()},
    )


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=int, nargs="+", default=[1, 100, 1000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    OUT_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        rows = [measure(scale, args.repeats, Path(workdir)) for scale in args.scales]
    write_table(rows, "end_to_end")
    return rows


if __name__ == "__main__":
    main()
