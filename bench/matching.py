"""Matching benchmark: accuracy, time and memory of our engine and of Splink.

Records come from `pipeline.synthetic.generate_records` (no workbooks, so the
loader is not measured); columns typed in a legacy encoding (the hard
profile's TCVN3 branch lists) are converted sheet by sheet as the loader
converts them (`as_loaded`), for both engines. Each configuration runs in a worker process under GNU
time: the worker reads the records, runs the engine in-process
(validate, normalize, match, cluster; see `run_engine`) or the Splink reference
(`bench.splink_reference`, after our validate and normalize), scores the
result against the truth and reports. Seconds are the median over the runs of
the time from loader-shaped records to clusters, cleaning included for both
engines; peak memory is the worker's maximum resident set size (records,
engine and scoring together).

Scores (pairwise, see bench/metrics.py), over accepted rows:
- cross-org core: pairs of core rows of one person in different organizations
  (the directive's concern); all: every pair of rows of one person;
- seen: recall when a pair counts as found if its rows share person_id OR a
  review group (what reviewers get to see);
- completeness: the share of true pairs among the blocking stage's candidates.

    python -m bench.matching                  # the full table (about 8 minutes)
    python -m bench.matching --sizes 10000    # the 10,000-row profiles only
"""

from __future__ import annotations

import argparse
import json
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.gnu_time import run_timed
from bench.metrics import linked_or_review_recall, pair_completeness, pairwise_scores
from bench.table import OUT_DIR, write_csv
from pipeline.legacy import convert_grid
from pipeline.matching.blocking import candidate_pairs
from pipeline.models import RAW_FIELDS
from pipeline.progress import NoProgress
from pipeline.settings import Settings, load_settings
from pipeline.stages.cluster import cluster
from pipeline.stages.match import match
from pipeline.stages.normalize import normalize
from pipeline.stages.validate import validate
from pipeline.synthetic import generate_records

# Rows per generated person (measured): turns a wanted row count into people.
ROWS_PER_PERSON = 1.26
# (profile, rows): the three profiles at one size, then realistic at scale.
CONFIGS = (
    ("clean", 10_000),
    ("realistic", 10_000),
    ("hard", 10_000),
    ("realistic", 100_000),
    ("realistic", 1_000_000),
)
SEED = 2018
REPEATS = 3  # runs per configuration up to REPEAT_MAX_ROWS rows, one beyond
REPEAT_MAX_ROWS = 100_000
# Splink runs at every size by default (a million rows: about two minutes and
# 6 GiB); --splink-max-rows skips it above a size.
SPLINK_MAX_ROWS = 1_000_000
WORKER_TIMEOUT = 1500  # seconds; a slower run is reported as timed out


@dataclass
class Row:
    engine: str  # "ours" or "splink"
    dataset: str  # profile, or "febrl4"
    rows: int
    accepted: int
    runs: int
    seconds: float  # median wall time of the matching itself
    process_seconds: float  # median wall time of the worker (load, run, scoring)
    peak_mib: float
    cross_core_precision: float
    cross_core_recall: float
    cross_core_f1: float
    all_precision: float
    all_recall: float
    all_f1: float
    cross_core_seen_recall: float  # linked or in one review group
    all_seen_recall: float
    linked_pairs: int
    review_pairs: int
    completeness_cross_core: float
    completeness_all: float
    blocking: str  # candidate pairs per blocking rule
    note: str = ""


def run_engine(
    records: pd.DataFrame, settings: Settings
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, int]]:
    """Our stages as `pipeline.run` calls them: (clustered records, pairs,
    candidate pairs per blocking rule). The one place to adapt when the stage
    signatures change."""
    validated = validate(records, settings)
    normalized = normalize(validated.records, settings).records
    matched = match(normalized, settings, NoProgress())
    clustered = cluster(normalized, matched.pairs, settings)
    return clustered.records, clustered.pairs, matched.blocking_counts


def engine_candidates(clustered: pd.DataFrame, settings: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Record ids of the candidate pairs the blocking stage produces (as
    `match` calls it, on the accepted records)."""
    accepted = clustered[clustered["status"] == "accepted"].reset_index(drop=True)
    candidates = candidate_pairs(accepted, settings.match.max_block_size)
    ids = accepted["record_id"].to_numpy(dtype=object)
    return ids[candidates.left], ids[candidates.right]


# --- Worker side ------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """What a worker process reads: the records and how to score them."""

    engine: str
    records: pd.DataFrame
    truth: pd.Series  # person key by record id
    core: pd.Series  # bool by record id: core in the truth
    link_type: str = "dedupe_only"  # for Splink: "link_only" across organizations


def _score(
    job: Job,
    clustered: pd.DataFrame,
    candidates: tuple[np.ndarray, np.ndarray] | None,
) -> dict[str, float]:
    """Scores of a clustering (record_id, status, person_id, review_group)."""
    accepted = clustered[clustered["status"] == "accepted"].set_index("record_id")
    truth = job.truth.reindex(accepted.index)
    core = job.core.reindex(accepted.index).astype(bool)
    orgs = accepted["organization"]
    result: dict[str, float] = {"accepted": len(accepted)}
    for label, rows, exclude_same in (
        ("cross_core", core[core].index, orgs[core]),
        ("all", accepted.index, None),
    ):
        scores = pairwise_scores(truth[rows], accepted.loc[rows, "person_id"], exclude_same)
        result |= {
            f"{label}_precision": scores.precision,
            f"{label}_recall": scores.recall,
            f"{label}_f1": scores.f1,
            f"{label}_seen_recall": linked_or_review_recall(
                truth[rows],
                accepted.loc[rows, "person_id"],
                accepted.loc[rows, "review_group"],
                exclude_same,
            ),
        }
        if candidates is not None:
            result[f"completeness_{label}"] = pair_completeness(
                truth[rows], *candidates, exclude_same=exclude_same
            )
    return result


def _work(job_path: Path, result_path: Path) -> None:
    with job_path.open("rb") as handle:
        job: Job = pickle.load(handle)
    settings = load_settings()
    result: dict[str, Any] = {}
    if job.engine == "ours":
        started = time.perf_counter()
        clustered, pairs, blocking = run_engine(job.records, settings)
        result["seconds"] = time.perf_counter() - started
        result |= _score(job, clustered, engine_candidates(clustered, settings))
        outcomes = pairs["outcome"].value_counts()
        result["linked_pairs"] = int(outcomes.get("link", 0))
        result["review_pairs"] = int(outcomes.get("review", 0))
        result["blocking"] = "; ".join(f"{rule}={count}" for rule, count in blocking.items())
    else:
        from bench.splink_reference import splink_clusters

        # Timed from the same cleaning as our engine, so the two times compare.
        started = time.perf_counter()
        normalized = normalize(validate(job.records, settings).records, settings).records
        clusters, details = splink_clusters(normalized, job.link_type)
        result["seconds"] = time.perf_counter() - started
        scored = normalized[["record_id", "status", "organization"]].assign(
            person_id=normalized["record_id"].map(clusters).fillna("").astype(str),
            review_group="",
        )
        result |= _score(job, scored, None)
        result |= details
    result_path.write_text(json.dumps(result), encoding="utf-8")


# --- Parent side ------------------------------------------------------------------


def _timed_worker(job_path: Path, timeout: float) -> tuple[dict[str, Any], float, float]:
    """(worker's result, wall seconds, peak MiB) of one worker run under GNU time."""
    result_path = job_path.with_suffix(".json")
    result_path.unlink(missing_ok=True)
    command = [sys.executable, "-m", "bench.matching", "--worker", str(job_path), str(result_path)]
    timed = run_timed(command, timeout=timeout)
    return json.loads(result_path.read_text(encoding="utf-8")), timed.wall_seconds, timed.peak_mib


def measure(job: Job, job_path: Path, dataset: str, repeats: int, timeout: float) -> Row:
    with job_path.open("wb") as handle:
        pickle.dump(job, handle, protocol=pickle.HIGHEST_PROTOCOL)
    runs = []
    try:
        for _ in range(repeats):
            runs.append(_timed_worker(job_path, timeout))
    except subprocess.TimeoutExpired:
        if not runs:
            return _failed_row(job, dataset, f"timed out after {timeout:.0f} s")
    result = runs[0][0]
    return Row(
        engine=job.engine,
        dataset=dataset,
        rows=len(job.records),
        accepted=int(result["accepted"]),
        runs=len(runs),
        seconds=round(statistics.median(r["seconds"] for r, _, _ in runs), 2),
        process_seconds=round(statistics.median(t for _, t, _ in runs), 2),
        peak_mib=round(max(m for _, _, m in runs), 1),
        cross_core_precision=round(result["cross_core_precision"], 4),
        cross_core_recall=round(result["cross_core_recall"], 4),
        cross_core_f1=round(result["cross_core_f1"], 4),
        all_precision=round(result["all_precision"], 4),
        all_recall=round(result["all_recall"], 4),
        all_f1=round(result["all_f1"], 4),
        cross_core_seen_recall=round(result["cross_core_seen_recall"], 4),
        all_seen_recall=round(result["all_seen_recall"], 4),
        linked_pairs=int(result.get("linked_pairs", result.get("predicted_pairs", 0))),
        review_pairs=int(result.get("review_pairs", 0)),
        completeness_cross_core=round(result.get("completeness_cross_core", float("nan")), 4),
        completeness_all=round(result.get("completeness_all", float("nan")), 4),
        blocking=str(result.get("blocking", "")),
        note=str(result.get("note", "")),
    )


def _failed_row(job: Job, dataset: str, note: str) -> Row:
    nan = float("nan")
    return Row(
        job.engine, dataset, len(job.records), 0, 0, nan, nan, nan,
        nan, nan, nan, nan, nan, nan, nan, nan, 0, 0, nan, nan, "", note,
    )  # fmt: skip


def as_loaded(records: pd.DataFrame) -> pd.DataFrame:
    """The records with their legacy-encoded text converted as `load` converts
    it: column by column over each sheet's grid (pipeline.legacy.convert_grid).
    Title and header rows, absent here, do not change the outcome on generated
    rosters. Fonts are not known, so no uppercase TCVN3 font is assumed."""
    fields = list(RAW_FIELDS)
    converted = records.copy()
    for positions in records.groupby(["source_file", "sheet"], sort=False).indices.values():
        grid, conversions = convert_grid(records.iloc[positions][fields].to_numpy().tolist())
        if conversions:
            converted.iloc[positions, converted.columns.get_indexer(fields)] = grid
    return converted


def synthetic_job(engine: str, profile: str, rows: int) -> Job:
    records, truth = generate_records(SEED, people=round(rows / ROWS_PER_PERSON), profile=profile)
    records = as_loaded(records)
    record_ids = records["record_id"]
    return Job(
        engine=engine,
        records=records,
        truth=pd.Series([row.person_key for row in truth.rows], index=record_ids),
        core=pd.Series([row.is_core for row in truth.rows], index=record_ids),
    )


COLUMNS = (
    ("engine", "engine"), ("dataset", "dataset"), ("rows", "rows"), ("s", "seconds"),
    ("MiB", "peak_mib"), ("xcore P", "cross_core_precision"), ("R", "cross_core_recall"),
    ("F1", "cross_core_f1"), ("all P", "all_precision"), ("R", "all_recall"), ("F1", "all_f1"),
    ("seen xcore", "cross_core_seen_recall"), ("seen all", "all_seen_recall"),
    ("review", "review_pairs"), ("compl xcore", "completeness_cross_core"),
    ("compl all", "completeness_all"),
)  # fmt: skip


def write_table(rows: Sequence[Row], name: str) -> None:
    """Print the table and write bench/out/<name>.csv."""
    records = [asdict(row) for row in rows]
    write_csv(records, name)
    cells = [[label for label, _ in COLUMNS]]
    cells += [[str(record[key]) for _, key in COLUMNS] for record in records]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    for line in cells:
        print(" | ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)))
    for record in records:
        if record["blocking"] or record["note"]:
            label = f"{record['engine']} {record['dataset']} {record['rows']}"
            print(f"  {label}: {record['blocking']} {record['note']}".rstrip())
    print(f"(written to {OUT_DIR / f'{name}.csv'})")


def main(argv: list[str] | None = None) -> list[Row]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="only configurations of these sizes")
    parser.add_argument("--splink-max-rows", type=int, default=SPLINK_MAX_ROWS)
    parser.add_argument("--no-splink", action="store_true")
    parser.add_argument("--timeout", type=float, default=WORKER_TIMEOUT)
    parser.add_argument("--worker", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _work(*args.worker)
        return []
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as workdir:
        for profile, size in CONFIGS:
            if args.sizes and size not in args.sizes:
                continue
            repeats = REPEATS if size <= REPEAT_MAX_ROWS else 1
            engines = ["ours"]
            if not args.no_splink and size <= args.splink_max_rows:
                engines.append("splink")
            job = synthetic_job("ours", profile, size)
            for engine in engines:
                job_path = Path(workdir) / f"{engine}_{profile}_{size}.pkl"
                rows.append(
                    measure(replace(job, engine=engine), job_path, profile, repeats, args.timeout)
                )
                print(f"  done: {engine} {profile} {size} ({rows[-1].seconds} s)", flush=True)
    write_table(rows, "matching")
    return rows


if __name__ == "__main__":
    main()
