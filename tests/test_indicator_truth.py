"""indicators.csv against counts computed independently from the example
rosters' known truth (pipeline.synthetic), through the CLI.

The engine finds the planted duplicates of the examples exactly, so the
persons it forms are the truth's persons. Hội CCB sends only its core list: its
member count is not available without the totals table, then comes from it.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

import pipeline.run
from pipeline.cli import main
from pipeline.indicators import ALL_ORGANIZATIONS
from pipeline.stages.report import report
from pipeline.synthetic import GroundTruth, TruthRow, generate_rosters
from pipeline.tables import TOTALS_FILE

CORE_ONLY = "ccb"
UNLISTED = 5  # members of Hội CCB per commune that its core list does not name
NOT_AVAILABLE = ("members", "members_after")


def _run(input_dir: Path, output_dir: Path) -> pd.DataFrame:
    """The CLI run; the province rows of indicators.csv, by organization."""
    result = CliRunner().invoke(
        main, ["run", "--input", str(input_dir), "--output", str(output_dir)]
    )
    assert result.exit_code == 0, result.output
    table = pd.read_csv(
        output_dir / "indicators.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig"
    )
    return table[table["level"] == "province"].set_index("organization")


def _records(output_dir: Path) -> pd.DataFrame:
    records = pd.read_csv(output_dir / "records.csv", dtype=str, keep_default_na=False)
    return records[records["status"] == "accepted"]


def _accepted(truth: GroundTruth, output_dir: Path) -> list[TruthRow]:
    located = set(
        _records(output_dir)[["source_file", "sheet", "row"]].itertuples(index=False, name=None)
    )
    return [r for r in truth.rows if (r.source_file, r.sheet, str(r.row)) in located]


def expected_counts(rows: list[TruthRow]) -> dict[str, dict[str, int]]:
    """Province counts per organization and for all, from the truth alone.

    No reviewer has decided: a person core in one organization is its core
    member after reconciliation; a person core in several is undecided, core
    once in `all`. A listing (person, organization) is core, or regular, when
    any of its rows is.
    """
    listings: dict[tuple[str, str], list[TruthRow]] = defaultdict(list)
    for row in rows:
        listings[(row.person_key, row.organization)].append(row)
    core_in: dict[str, set[str]] = defaultdict(set)
    regular_in: dict[str, set[str]] = defaultdict(set)
    for (person, org), listed in listings.items():
        if any(r.is_core for r in listed):
            core_in[person].add(org)
        if any(r.is_regular for r in listed):
            regular_in[person].add(org)

    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        for key in (row.organization, ALL_ORGANIZATIONS):
            counts[key]["members"] += 1
            counts[key]["core_members"] += row.is_core
            counts[key]["core_regular"] += row.is_core and row.is_regular
    for person, org in listings:
        orgs = core_in[person]
        counts[org]["members_after"] += 1
        counts[org]["core_members_after"] += orgs == {org}
        counts[org]["core_regular_after"] += orgs == {org} and org in regular_in[person]
        counts[org]["core_undecided"] += org in orgs and len(orgs) >= 2
        counts[org]["core_shared"] += org in orgs and len(orgs) >= 2
    everyone = counts[ALL_ORGANIZATIONS]
    everyone["members_after"] = len({person for person, _ in listings})
    for person, orgs in core_in.items():
        if not orgs:
            continue
        everyone["core_members_after"] += 1
        # Regular in the organization keeping them; for the undecided, in any of theirs.
        everyone["core_regular_after"] += bool(orgs & regular_in[person])
        everyone["core_undecided"] += len(orgs) >= 2
        everyone["core_shared"] += len(orgs) >= 2
        everyone["core_three_plus"] += len(orgs) >= 3
    return counts


Example = tuple[GroundTruth, Path, Path, pd.DataFrame]  # truth, input, output, province rows


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Example:
    input_dir = tmp_path_factory.mktemp("input")
    truth = generate_rosters(input_dir)
    output_dir = tmp_path_factory.mktemp("output")
    return truth, input_dir, output_dir, _run(input_dir, output_dir)


def test_indicators_match_the_truth(example: Example) -> None:
    truth, _, output_dir, province = example
    rows = _accepted(truth, output_dir)
    assert len(rows) == len(truth.rows)  # the examples have no rejected row
    assert truth.cross_org_core_duplicates  # the case the indicators are about
    for org, figures in expected_counts(rows).items():
        for column, value in figures.items():
            shown = province.loc[org, column]
            if column in NOT_AVAILABLE and org in (CORE_ONLY, ALL_ORGANIZATIONS):
                assert shown == "", (org, column)  # never the core count, never 0
            else:
                assert shown == str(value), (org, column)


def test_no_person_is_core_twice_after_reconciliation(example: Example) -> None:
    truth, _, _, shown = example
    province = shown.map(lambda value: int(value) if value.isdigit() else value)
    core_persons = len({row.person_key for row in truth.rows if row.is_core})
    organizations = province.drop(index=ALL_ORGANIZATIONS)
    everyone = province.loc[ALL_ORGANIZATIONS]
    assert everyone["core_members_after"] == core_persons
    assert organizations["core_members_after"].sum() + everyone["core_undecided"] == core_persons


def test_the_totals_table_gives_the_core_only_roster_its_members(
    example: Example,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    truth, input_dir, first_output, _ = example
    records = _records(first_output)
    # Hội CCB has members wherever the run has units; its core list names some
    # of them (the template lists every unit too).
    units = records.loc[records["commune"] != "", ["district", "commune"]].drop_duplicates()
    core_only = records[records["organization"] == CORE_ONLY].drop_duplicates("person_id")
    listed = core_only.groupby(["district", "commune"]).size()
    table = tmp_path / TOTALS_FILE
    workbook = openpyxl.Workbook()
    workbook.active.append(["Huyện", "Xã, phường", "Hội Cựu chiến binh"])
    for district, commune in units.itertuples(index=False):
        workbook.active.append(
            [district, commune, int(listed.get((district, commune), 0)) + UNLISTED]
        )
    workbook.save(table)

    # The run hands report() the tables it finds in the input folder; this
    # test hands it its own.
    def with_totals(*args: Any, **kwargs: Any) -> list[Path]:
        return report(*args, **{**kwargs, "totals_table": table})

    monkeypatch.setattr(pipeline.run, "report", with_totals)
    province = _run(input_dir, tmp_path / "output")

    expected = expected_counts(_accepted(truth, first_output))
    unlisted = UNLISTED * len(units)
    ccb_members = expected[CORE_ONLY]["members"] + unlisted
    assert province.loc[CORE_ONLY, "members"] == str(ccb_members)
    assert province.loc[CORE_ONLY, "members_after"] == str(ccb_members)
    everyone = province.loc[ALL_ORGANIZATIONS]
    # Members the core list does not name cannot be matched: each is another person.
    assert everyone["members"] == str(expected[ALL_ORGANIZATIONS]["members"] + unlisted)
    assert everyone["members_after"] == str(expected[ALL_ORGANIZATIONS]["members_after"] + unlisted)
    assert float(province.loc[CORE_ONLY, "core_share"]) == round(
        expected[CORE_ONLY]["core_members"] / ccb_members, 4
    )
