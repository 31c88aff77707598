"""report: write every output of a run into the output folder.

Machine-readable CSVs for other tools and five Vietnamese workbooks for people:
- records.csv: one row per input data row, with its status and person;
- indicators.csv: the directive's indicators per province, district, commune;
- Danh sách đã đối soát.xlsx, Rà soát trùng lặp.xlsx, Lỗi dữ liệu.xlsx,
  Tổng hợp chỉ tiêu.xlsx, Sổ theo dõi nòng cốt.xlsx (see pipeline.workbooks);
- the templates of the optional tables (pipeline.tables), in mau_bang_so_lieu/.

The CSVs are UTF-8 with a byte-order mark: without it Excel, which analysts
use to open them, reads UTF-8 as the local code page and garbles Vietnamese.
Values are written as found (a name beginning with "=" stays "="), because
the CSVs are data for tools; people should read the workbooks, where such
values are safely stored as text.

Every file is written atomically, so an interrupted run leaves the previous
outputs whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline.atomic import atomic_write
from pipeline.indicators import ALL_ORGANIZATIONS, UNKNOWN_UNIT, Reconciliation
from pipeline.models import Problem, Severity, SheetAccount
from pipeline.settings import Settings
from pipeline.tables import (
    POPULATION_FILE,
    POPULATION_TITLE,
    TABLES_FOLDER,
    TEMPLATES_FOLDER,
    TOTALS_FILE,
    TOTALS_TITLE,
    UnitTable,
    read_unit_table,
    write_population_template,
    write_totals_template,
)
from pipeline.workbooks import mobilization, review, roster, summary
from pipeline.workbooks import problems as problems_workbook
from pipeline.workbooks.display import (
    address_column,
    display_column,
    optional_column,
    organization_names,
    review_states,
    vi_number,
)
from pipeline.workbooks.style import Cell, saving_in_background

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
    "core_kept_by",
    "review_state",
)
POPULATION_TEMPLATE = f"{TEMPLATES_FOLDER}/{POPULATION_FILE}"
TOTALS_TEMPLATE = f"{TEMPLATES_FOLDER}/{TOTALS_FILE}"
# Every file `report` writes (paths relative to the output folder), in order.
OUTPUT_NAMES = (
    RECORDS_CSV,
    INDICATORS_CSV,
    roster.FILE_NAME,
    review.FILE_NAME,
    problems_workbook.FILE_NAME,
    summary.FILE_NAME,
    mobilization.FILE_NAME,
    POPULATION_TEMPLATE,
    TOTALS_TEMPLATE,
)


@dataclass(frozen=True)
class RunFacts:
    """What only the run knows, for the run report sheet of the summary workbook."""

    stage_seconds: Mapping[str, float] = field(default_factory=dict)
    decisions_applied: int | None = None
    files_read: Sequence[str] | None = None  # None: the files sheets were read from
    files_skipped: Sequence[str] | None = None  # None: the files with a FILE problem


def report(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    problems: list[Problem],
    sheets: list[SheetAccount],
    settings: Settings,
    output_dir: Path,
    *,
    population_table: Path | None = None,
    totals_table: Path | None = None,
    run: RunFacts | None = None,
) -> list[Path]:
    """Write all outputs into `output_dir` (created if missing); return their paths, sorted.

    `population_table` and `totals_table` are the optional tables
    (pipeline.tables.find_tables); `run` fills the run report sheet.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    reconciliation = Reconciliation(records, settings)
    population = _read_table(population_table, reconciliation, settings, POPULATION_TITLE)
    totals = _read_table(totals_table, reconciliation, settings, TOTALS_TITLE)
    indicators = reconciliation.indicators(
        population=population.values if population is not None else None,
        totals=totals.values if totals is not None else None,
    )
    persons = reconciliation.persons()
    core_only = _core_only_organizations(records, reconciliation)
    targets = {name: output_dir / name for name in OUTPUT_NAMES}

    # Each workbook is compressed and moved into place in the background while
    # the next one is written; the CSVs come last, alongside the last saves.
    with saving_in_background():
        roster.write_roster(records, persons, sheets, problems, settings, targets[roster.FILE_NAME])
        review.write_review(records, pairs, settings, targets[review.FILE_NAME])
        problems_workbook.write_problems(
            records, problems, sheets, settings, targets[problems_workbook.FILE_NAME]
        )
        summary.write_summary(
            indicators,
            reconciliation.overlap(),
            settings,
            targets[summary.FILE_NAME],
            notes=_summary_notes(persons, core_only, population, settings),
            run=_run_sheet(
                records,
                problems,
                sheets,
                indicators,
                run,
                (population, totals),
                _totals_below_core(indicators, core_only, settings),
            ),
        )
        mobilization.write_mobilization(records, persons, settings, targets[mobilization.FILE_NAME])
        communes = list(reconciliation.units.itertuples(index=False, name=None))
        write_population_template(
            targets[POPULATION_TEMPLATE],
            settings,
            communes,
            population.values if population is not None else None,
        )
        write_totals_template(
            targets[TOTALS_TEMPLATE],
            settings,
            communes,
            core_only,
            totals.values if totals is not None else None,
        )
        _write_csv(records_table(records), targets[RECORDS_CSV])
        _write_csv(indicators, targets[INDICATORS_CSV])
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
            # Filled by the decide stage; "" until it adds them.
            "core_kept_by": optional_column(records, "core_kept_by"),
            "review_state": optional_column(records, "review_state"),
        },
        index=records.index,
    )
    return table.reset_index(drop=True)


def _read_table(
    path: Path | None, reconciliation: Reconciliation, settings: Settings, title: str
) -> UnitTable | None:
    if path is None:
        return None
    return read_unit_table(
        path,
        settings,
        reconciliation.units,
        title=title,
        all_column=title == POPULATION_TITLE,
    )


def _core_only_organizations(records: pd.DataFrame, reconciliation: Reconciliation) -> list[str]:
    """Organizations that sent a roster of core members only, in organization order."""
    accepted = records[records["status"] == "accepted"]
    sent = set(accepted.loc[accepted["core_column_present"].eq(False), "organization"])
    return [code for code in reconciliation.organizations if code in sent]


def _summary_notes(
    persons: pd.DataFrame,
    core_only: list[str],
    population: UnitTable | None,
    settings: Settings,
) -> list[str]:
    """Explanations that depend on the run: missing tables, unplaced units."""
    names = organization_names(settings)
    notes = []
    where = f"thư mục “{TABLES_FOLDER}” của thư mục đầu vào"
    template = f"mẫu trong thư mục “{TEMPLATES_FOLDER}” của thư mục kết quả"
    if core_only:
        notes.append(
            f"{', '.join(names.get(code, code) for code in core_only)} chỉ gửi danh sách nòng "
            f"cốt: số đoàn viên, hội viên lấy từ bảng {TOTALS_FILE} trong {where} ({template}); "
            "xã, phường chưa có trong bảng thì không có số liệu."
        )
    if population is None:
        notes.append(
            "Chưa có bảng dân số trong độ tuổi nên chưa tính được tỷ lệ tập hợp quần chúng "
            f"trong độ tuổi: điền {template} ({POPULATION_FILE}) rồi chép vào {where}."
        )
    unplaced = int((persons["commune"] == UNKNOWN_UNIT).sum())
    if unplaced:
        no_district = int((persons["district"] == UNKNOWN_UNIT).sum())
        districts = f" ({vi_number(no_district)} dòng chưa xác định được cả huyện)"
        notes.append(
            f"{vi_number(unplaced)} dòng chưa xác định được xã, phường"
            + (districts if no_district else "")
            + f" được tính ở đơn vị “{UNKNOWN_UNIT}”; xem Lỗi dữ liệu.xlsx."
        )
    return notes


def _totals_below_core(
    indicators: pd.DataFrame, core_only: list[str], settings: Settings
) -> list[str]:
    """A member total smaller than the core list it contains is a mistake in the table."""
    communes = indicators[
        (indicators["level"] == "commune") & indicators["organization"].isin(core_only)
    ]
    wrong = communes[communes["members"].lt(communes["core_members"]).fillna(False)]
    names = organization_names(settings)
    return [
        f"Tổng số hội viên của {names.get(org, org)} ở {unit} ({vi_number(members)}) nhỏ hơn "
        f"số nòng cốt trong danh sách ({vi_number(core)}): kiểm tra lại bảng {TOTALS_FILE}."
        for unit, org, members, core in wrong[
            ["unit", "organization", "members", "core_members"]
        ].itertuples(index=False)
    ]


def _run_sheet(
    records: pd.DataFrame,
    problems: Sequence[Problem],
    sheets: Sequence[SheetAccount],
    indicators: pd.DataFrame,
    run: RunFacts | None,
    tables: tuple[UnitTable | None, UnitTable | None],
    checks: list[str],
) -> summary.RunSheet:
    run = run or RunFacts()
    read = (
        list(run.files_read)
        if run.files_read is not None
        else sorted({sheet.source_file for sheet in sheets})
    )
    skipped = (
        list(run.files_skipped)
        if run.files_skipped is not None
        else sorted({p.source_file for p in problems if p.severity == Severity.FILE} - set(read))
    )
    accepted = records[records["status"] == "accepted"]
    person_ids = accepted["person_id"].fillna("").astype(str)
    linked = accepted[person_ids != ""]
    records_per_person = linked.groupby("person_id").size()
    listed_twice = linked.groupby(["person_id", "organization"]).size()
    states = review_states(accepted)
    groups = optional_column(accepted, "review_group")
    groups = groups.where(groups != "", person_ids)
    province = indicators[
        (indicators["level"] == "province") & (indicators["organization"] == ALL_ORGANIZATIONS)
    ]

    def province_figure(column: str) -> int | None:
        return int(province[column].iloc[0]) if len(province) else None

    figures: list[tuple[str, Cell]] = [
        ("Tệp đã đọc", len(read)),
        ("Tệp bị bỏ qua (xem Lỗi dữ liệu.xlsx)", len(skipped)),
        ("Dòng dữ liệu đã đọc", sum(sheet.rows_in for sheet in sheets)),
        ("Dòng hợp lệ", len(accepted)),
        ("Dòng bị loại", len(records) - len(accepted)),
        ("Dòng không phải đoàn viên, hội viên (tổng, chữ ký…)", sum(s.set_aside for s in sheets)),
        ("Người có tên ở từ hai dòng trở lên", int((records_per_person > 1).sum())),
        (
            "Trong đó được ghi hai lần trong danh sách của một tổ chức",
            int(listed_twice[listed_twice > 1].index.get_level_values(0).nunique()),
        ),
        ("Người là nòng cốt của từ hai tổ chức trở lên", province_figure("core_shared")),
        ("Người là nòng cốt của từ ba tổ chức trở lên", province_figure("core_three_plus")),
        ("Quyết định rà soát đã áp dụng", run.decisions_applied),
        ("Nhóm chờ rà soát", int(groups[states == "pending"].nunique())),
        (
            "Nhóm cần xem lại (quyết định cũ không còn khớp)",
            int(groups[states == "needs_rereview"].nunique()),
        ),
        ("Nòng cốt chưa quyết định tổ chức giữ", province_figure("core_undecided")),
    ]
    table_notes = [
        note
        for table, title, name in zip(
            tables, (POPULATION_TITLE, TOTALS_TITLE), (POPULATION_FILE, TOTALS_FILE), strict=True
        )
        for note in (table.notes if table else [f"{title}: không có bảng {TABLES_FOLDER}/{name}."])
    ]
    return summary.RunSheet(
        figures=figures,
        files=[(name, "Đã đọc") for name in read] + [(name, "Bỏ qua") for name in skipped],
        stages=list(run.stage_seconds.items()),
        tables=table_notes + checks,
    )


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
