"""The run: collect decisions → discover → load → validate → normalize → match
→ cluster → decide → report.

Before anything else the decisions written in review workbooks are recorded
in the decision ledger (pipeline.ledger), so that the run may overwrite the
workbook they were written in. Each stage is timed; the result is a
`RunReport` the CLI turns into a summary. `review_status` runs the same stages
up to `decide` without writing anything, to tell reviewers where they stand.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.indicators import UNKNOWN_UNIT, organization_order
from pipeline.ledger import Ledger, default_folders, read_reviews, review_files
from pipeline.models import Problem, SheetAccount
from pipeline.progress import NoProgress, Progress
from pipeline.settings import EXAMPLES_DIR, Settings
from pipeline.stages.cluster import cluster
from pipeline.stages.decide import DECIDED, NEEDS_REREVIEW, PENDING, DecideResult, decide
from pipeline.stages.discover import discover
from pipeline.stages.load import load
from pipeline.stages.match import match
from pipeline.stages.normalize import normalize
from pipeline.stages.report import RunFacts, report
from pipeline.stages.validate import validate
from pipeline.tables import find_tables
from pipeline.text import fold

REVIEW_STATES = (DECIDED, PENDING, NEEDS_REREVIEW)


class InputFolderError(Exception):
    """The input folder cannot be used at all (missing, or not a folder)."""


@dataclass(frozen=True)
class Folders:
    """Where a run reads and writes."""

    input_dir: Path
    output_dir: Path
    # The decision ledger and the folder of filled review workbooks; None:
    # next to the input folder (pipeline.ledger.default_folders).
    decisions_dir: Path | None = None
    review_dir: Path | None = None

    @property
    def ledger_dir(self) -> Path:
        return self.decisions_dir or default_folders(self.input_dir)[0]

    @property
    def reviews_dir(self) -> Path:
        return self.review_dir or default_folders(self.input_dir)[1]


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
    ledger_path: Path
    decisions_recorded: int  # new decisions read from review workbooks this run
    review_workbooks: list[Path]  # review workbooks decisions were read from
    # "Nhóm G…: why" for each group whose earlier decision must be looked at again.
    rereview: list[str]
    # Review workbooks or ledger lines that could not be used (also in `problems`).
    review_problems: list[Problem]
    stage_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class ReviewStatus:
    """Review groups by state (REVIEW_STATES), overall and per organization and commune."""

    used_examples: bool
    ledger_path: Path
    decisions: int  # in the ledger
    unrecorded: int  # in review workbooks, recorded at the next run
    totals: dict[str, int]
    by_organization: list[tuple[str, dict[str, int]]]  # (organization code, counts)
    by_commune: list[tuple[str, dict[str, int]]]  # ("Commune, District", counts)
    rereview: list[str]
    problems: list[Problem]


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


@dataclass
class _Reconciled:
    """Everything up to `decide`, for a run or a status."""

    input_dir: Path
    used_examples: bool
    ledger: Ledger
    recorded: int
    review_workbooks: list[Path]
    review_problems: list[Problem]
    problems: list[Problem]
    sheets: list[SheetAccount]
    files_read: list[str]
    files_skipped: list[str]
    decided: DecideResult


def _reconcile(
    folders: Folders,
    settings: Settings,
    timer: _Timer,
    examples_dir: Path | None,
    on_examples: Callable[[Path], None] | None,
    *,
    record: bool,
) -> _Reconciled:
    """Collect decisions (into the ledger when `record`), then run the stages to `decide`."""
    input_dir = folders.input_dir
    if not input_dir.is_dir():
        raise InputFolderError(f"Không tìm thấy thư mục đầu vào '{input_dir}'.")
    progress = timer.progress

    with timer.stage("Đọc quyết định rà soát"):
        ledger = Ledger(folders.ledger_dir)
        harvest = read_reviews(review_files(folders.output_dir, folders.reviews_dir), settings)
        recorded = ledger.append(ledger.unseen(harvest.decisions), persist=record)
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
        decided = decide(clustered.records, clustered.pairs, ledger, settings)
    review_problems = ledger.problems + harvest.problems
    return _Reconciled(
        input_dir=examples_dir if used_examples and examples_dir else input_dir,
        used_examples=used_examples,
        ledger=ledger,
        recorded=len(recorded),
        review_workbooks=harvest.workbooks,
        review_problems=review_problems,
        problems=problems
        + loaded.problems
        + validated.problems
        + normalized.problems
        + review_problems,
        sheets=loaded.sheets,
        files_read=loaded.files_read,
        files_skipped=loaded.files_skipped,
        decided=decided,
    )


def run_pipeline(
    input_dir: Path,
    output_dir: Path,
    settings: Settings,
    progress: Progress | None = None,
    examples_dir: Path | None = EXAMPLES_DIR,
    on_examples: Callable[[Path], None] | None = None,
    *,
    decisions_dir: Path | None = None,
    review_dir: Path | None = None,
) -> RunReport:
    """Reconcile the rosters in `input_dir` and write every output to `output_dir`.

    When `input_dir` holds no roster and `examples_dir` is given, the bundled
    example rosters are used instead (`on_examples` is told before the run).
    Decisions are read from review workbooks in `output_dir` and `review_dir`
    and kept in the ledger in `decisions_dir` (both default to folders next
    to `input_dir`).
    """
    timer = _Timer(progress or NoProgress())
    folders = Folders(input_dir, output_dir, decisions_dir, review_dir)
    run = _reconcile(folders, settings, timer, examples_dir, on_examples, record=True)
    decided = run.decided
    with timer.stage("Ghi kết quả"):
        population_table, totals_table = find_tables(run.input_dir)
        outputs = report(
            decided.records,
            decided.pairs,
            run.problems,
            run.sheets,
            settings,
            output_dir,
            population_table=population_table,
            totals_table=totals_table,
            run=RunFacts(
                stage_seconds=dict(timer.seconds),
                decisions_applied=decided.applied,
                files_read=run.files_read,
                files_skipped=run.files_skipped,
            ),
        )
    run.ledger.save_person_ids(decided.person_ids)

    records = decided.records
    accepted = int((records["status"] == "accepted").sum())
    return RunReport(
        input_dir=run.input_dir,
        output_dir=output_dir,
        used_examples=run.used_examples,
        files_read=run.files_read,
        files_skipped=run.files_skipped,
        rows_in=sum(sheet.rows_in for sheet in run.sheets),
        accepted=accepted,
        rejected=len(records) - accepted,
        set_aside=sum(sheet.set_aside for sheet in run.sheets),
        multi_org_core_people=multi_org_core_people(records),
        pending_review_groups=int(_review_groups(records)["state"].eq(PENDING).sum()),
        decisions_applied=decided.applied,
        outputs=outputs,
        problems=run.problems,
        ledger_path=run.ledger.path,
        decisions_recorded=run.recorded,
        review_workbooks=run.review_workbooks,
        rereview=decided.rereview,
        review_problems=run.review_problems,
        stage_seconds=timer.seconds,
    )


def review_status(
    input_dir: Path,
    output_dir: Path,
    settings: Settings,
    examples_dir: Path | None = EXAMPLES_DIR,
    *,
    decisions_dir: Path | None = None,
    review_dir: Path | None = None,
) -> ReviewStatus:
    """Where the review stands if the rosters were reconciled now, counting the
    decisions not yet recorded too; writes nothing, not even the ledger."""
    folders = Folders(input_dir, output_dir, decisions_dir, review_dir)
    run = _reconcile(folders, settings, _Timer(NoProgress()), examples_dir, None, record=False)
    groups = _review_groups(run.decided.records)
    organizations = groups.explode("organizations")
    return ReviewStatus(
        used_examples=run.used_examples,
        ledger_path=run.ledger.path,
        decisions=len(run.ledger.decisions()) - run.recorded,
        unrecorded=run.recorded,
        totals=_counts(groups),
        by_organization=[
            (code, _counts(organizations[organizations["organizations"] == code]))
            for code in organization_order(organizations["organizations"].dropna(), settings)
        ],
        by_commune=[
            (str(place), _counts(part))
            for place, part in sorted(groups.groupby("place"), key=lambda item: fold(str(item[0])))
        ],
        rereview=run.decided.rereview,
        problems=run.review_problems,
    )


def _review_groups(records: pd.DataFrame) -> pd.DataFrame:
    """One row per group with a review state: group, state, organizations (a
    list), place ("Commune, District" of its first record in load order)."""
    reviewed = records.loc[(records["status"] == "accepted") & (records["review_state"] != "")]
    key = reviewed["review_group"].where(reviewed["review_group"] != "", reviewed["person_id"])
    commune = reviewed["commune_name"].fillna("").astype(str).replace("", UNKNOWN_UNIT)
    district = reviewed["district_name"].fillna("").astype(str)
    place = commune.where(district == "", commune + ", " + district)
    by_group = pd.DataFrame(
        {
            "state": reviewed["review_state"],
            "organization": reviewed["organization"],
            "place": place,
        }
    ).groupby(key, sort=True)
    return pd.DataFrame(
        {
            "state": by_group["state"].first(),
            "organizations": by_group["organization"].unique().map(list),
            "place": by_group["place"].first(),
        }
    )


def _counts(groups: pd.DataFrame) -> dict[str, int]:
    counts = groups["state"].value_counts()
    return {state: int(counts.get(state, 0)) for state in REVIEW_STATES}
