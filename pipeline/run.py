"""The run: discover → load → validate → normalize → match → cluster → decide → report.

Each stage is timed; the result is a `RunReport` the CLI turns into a summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.models import Problem
from pipeline.progress import NoProgress, Progress
from pipeline.settings import EXAMPLES_DIR, Settings
from pipeline.stages.cluster import cluster
from pipeline.stages.decide import DecisionStore, NoDecisions, decide
from pipeline.stages.discover import discover
from pipeline.stages.load import load
from pipeline.stages.match import match
from pipeline.stages.normalize import normalize
from pipeline.stages.report import report
from pipeline.stages.validate import validate


class InputFolderError(Exception):
    """The input folder cannot be used at all (missing, or not a folder)."""


@dataclass
class RunReport:
    input_dir: Path
    output_dir: Path
    used_examples: bool
    files_read: list[str]
    files_skipped: list[str]
    rows_in: int
    accepted: int
    rejected: int
    set_aside: int
    multi_org_core_people: int
    pending_review_groups: int
    decisions_applied: int
    outputs: list[Path]
    problems: list[Problem]
    stage_seconds: dict[str, float] = field(default_factory=dict)


def multi_org_core_people(records: pd.DataFrame) -> int:
    """People counted as core by two or more organizations."""
    core = records[(records["status"] == "accepted") & records["is_core"].astype(bool)]
    organizations_per_person = core.groupby("person_id")["organization"].nunique()
    return int((organizations_per_person >= 2).sum())


class _Timer:
    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, label: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        elapsed = time.perf_counter() - started
        self.seconds[label] = elapsed
        self.progress.stage_done(label, elapsed)


def run_pipeline(
    input_dir: Path,
    output_dir: Path,
    settings: Settings,
    progress: Progress | None = None,
    examples_dir: Path | None = EXAMPLES_DIR,
    decisions: DecisionStore | None = None,
    on_examples: Callable[[Path], None] | None = None,
) -> RunReport:
    """Reconcile the rosters in `input_dir` and write every output to `output_dir`.

    When `input_dir` holds no roster and `examples_dir` is given, the bundled
    example rosters are used instead (`on_examples` is told before the run).
    """
    progress = progress or NoProgress()
    if not input_dir.is_dir():
        raise InputFolderError(f"Không tìm thấy thư mục đầu vào '{input_dir}'.")
    timer = _Timer(progress)

    with timer.stage("Tìm tệp"):
        files, problems = discover(input_dir, settings)
        used_examples = not files and examples_dir is not None
        if used_examples:
            assert examples_dir is not None
            if on_examples:
                on_examples(examples_dir)
            files, problems = discover(examples_dir, settings)
    with timer.stage("Đọc danh sách"):
        loaded = load(files, settings, progress)
    with timer.stage("Kiểm tra dữ liệu"):
        validated = validate(loaded.records, settings)
    with timer.stage("Chuẩn hóa"):
        normalized = normalize(validated.records, settings)
    with timer.stage("So khớp"):
        matched = match(normalized.records, settings, progress)
    with timer.stage("Gom nhóm"):
        clustered = cluster(normalized.records, matched.pairs, settings)
    with timer.stage("Áp dụng quyết định"):
        decided = decide(clustered.records, clustered.pairs, decisions or NoDecisions(), settings)
    all_problems = problems + loaded.problems + validated.problems + normalized.problems
    with timer.stage("Ghi kết quả"):
        outputs = report(
            decided.records, decided.pairs, all_problems, loaded.sheets, settings, output_dir
        )

    records = decided.records
    accepted = int((records["status"] == "accepted").sum())
    return RunReport(
        input_dir=examples_dir if used_examples and examples_dir else input_dir,
        output_dir=output_dir,
        used_examples=used_examples,
        files_read=loaded.files_read,
        files_skipped=loaded.files_skipped,
        rows_in=sum(sheet.rows_in for sheet in loaded.sheets),
        accepted=accepted,
        rejected=len(records) - accepted,
        set_aside=sum(sheet.set_aside for sheet in loaded.sheets),
        multi_org_core_people=multi_org_core_people(records),
        pending_review_groups=records.loc[records["review_group"] != "", "review_group"].nunique(),
        decisions_applied=decided.applied,
        outputs=outputs,
        problems=all_problems,
        stage_seconds=timer.seconds,
    )
