"""The example-roster generator: reproducible bytes, and a ground truth that
agrees with what the workbooks really hold."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.workbook import Workbook

from pipeline.models import LOAD_COLUMNS, PROVENANCE_COLUMNS, RAW_FIELDS
from pipeline.settings import EXAMPLES_DIR
from pipeline.synthetic import (
    FEMALE_BAPTISMAL,
    MALE_BAPTISMAL,
    NOISE_KINDS,
    ORG_RULES,
    PEOPLE_PER_SCALE,
    ROSTER_YEAR,
    VARIANTS,
    GroundTruth,
    TruthPerson,
    TruthRow,
    generate_records,
    generate_rosters,
    legacy_encoder,
)
from pipeline.text import fold

FILES = sorted(rule.file_name for rule in ORG_RULES.values())


@dataclass(frozen=True)
class Layout:
    """Excel columns holding what the truth is checked against."""

    name: tuple[str, ...]  # joined with a space (CCB splits the name)
    birth: tuple[str, ...]  # Nông dân: the "Nam" then the "Nữ" column
    citizen_id: str | None
    core: str | None  # None: a core-only roster
    regular: str
    address: str | None  # free text naming the commune


LAYOUTS = {
    "doan": Layout(("B",), ("C",), "F", "J", "K", "E"),
    "phunu": Layout(("B",), ("C",), "E", "H", "I", None),
    "nongdan": Layout(("B",), ("C", "D"), None, "I", "J", None),
    "ccb": Layout(("B", "C"), ("D",), "F", None, "I", "E"),
    "congdoan": Layout(("B",), ("C",), "F", "I", "J", "E"),
}
_TEXT_DATE = re.compile(r"(\d{2})[./-](\d{2})[./-](\d{4})")


@dataclass(frozen=True)
class Generated:
    folder: Path
    truth: GroundTruth
    books: dict[str, Workbook]

    def cell(self, row: TruthRow, column: str) -> object:
        return self.books[row.source_file][row.sheet][f"{column}{row.row}"].value

    def name(self, row: TruthRow) -> str:
        return " ".join(str(self.cell(row, col)) for col in LAYOUTS[row.organization].name)

    def birth(self, row: TruthRow) -> object:
        values = [self.cell(row, col) for col in LAYOUTS[row.organization].birth]
        return next(value for value in values if value is not None)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    folder = tmp_path_factory.mktemp("rosters")
    truth = generate_rosters(folder)
    books = {name: openpyxl.load_workbook(folder / name) for name in FILES}
    return Generated(folder, truth, books)


def _as_date(value: object) -> date | int:
    """A birth cell as a date, or an int when only the year is written."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date | int):
        return value
    match = _TEXT_DATE.fullmatch(str(value))
    assert match, value
    day, month, year = (int(part) for part in match.groups())
    return date(year, month, day)


def _people(truth: GroundTruth) -> dict[str, TruthPerson]:
    return {person.person_key: person for person in truth.people}


def _rows_by_person(truth: GroundTruth) -> dict[str, list[TruthRow]]:
    rows: dict[str, list[TruthRow]] = defaultdict(list)
    for row in truth.rows:
        rows[row.person_key].append(row)
    return rows


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    generate_rosters(tmp_path / "a", seed=7)
    generate_rosters(tmp_path / "b", seed=7)
    assert sorted(path.name for path in (tmp_path / "a").iterdir()) == FILES
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_another_seed_gives_other_files(generated: Generated, tmp_path: Path) -> None:
    generate_rosters(tmp_path, seed=2019)
    for name in FILES:
        assert (tmp_path / name).read_bytes() != (generated.folder / name).read_bytes(), name


def test_committed_examples_are_exactly_the_default_output(generated: Generated) -> None:
    assert sorted(path.name for path in EXAMPLES_DIR.iterdir()) == FILES
    for name in FILES:
        assert (EXAMPLES_DIR / name).read_bytes() == (generated.folder / name).read_bytes(), name


def test_size_stays_small(generated: Generated) -> None:
    rows = generated.truth.rows
    assert 250 <= len(rows) <= 350
    for org in ORG_RULES:
        assert 40 <= sum(row.organization == org for row in rows) <= 90, org


def test_every_non_empty_row_is_either_data_or_non_data(generated: Generated) -> None:
    truth = generated.truth
    data = [(row.source_file, row.sheet, row.row) for row in truth.rows]
    assert len(data) == len(set(data))
    assert len(truth.non_data_rows) == len(set(truth.non_data_rows))
    assert set(data).isdisjoint(truth.non_data_rows)
    for name, book in generated.books.items():
        for sheet in book.worksheets:
            non_empty = {
                (name, sheet.title, number)
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(value not in (None, "") for value in values)
            }
            written = {
                key for key in [*data, *truth.non_data_rows] if key[:2] == (name, sheet.title)
            }
            assert non_empty == written, (name, sheet.title)


def test_rows_hold_their_persons_name(generated: Generated) -> None:
    people = _people(generated.truth)
    for row in generated.truth.rows:
        assert fold(generated.name(row)) == fold(people[row.person_key].full_name), row


def test_rows_agree_with_the_person_and_the_flags(generated: Generated) -> None:
    people = _people(generated.truth)
    for row in generated.truth.rows:
        person = people[row.person_key]
        layout = LAYOUTS[row.organization]
        birth = _as_date(generated.birth(row))
        assert birth in (person.birth_date, person.birth_date.year), row
        if row.organization == "nongdan":
            used = "D" if person.sex == "F" else "C"
            assert generated.cell(row, used) is not None, row
        if layout.citizen_id:
            written = generated.cell(row, layout.citizen_id)
            if written is not None:
                # CCB stores the number, which drops a CCCD's leading zero.
                expected = person.citizen_id
                assert str(written).zfill(len(expected or "")) == expected, row
        core = generated.cell(row, layout.core) is not None if layout.core else True
        assert core == row.is_core, row
        assert (generated.cell(row, layout.regular) is not None) == row.is_regular, row


def test_birth_dates_fit_each_organization(generated: Generated) -> None:
    people = _people(generated.truth)
    for row in generated.truth.rows:
        person = people[row.person_key]
        low, high = ORG_RULES[row.organization].birth_years
        assert low <= person.birth_date.year <= high, row
        if row.organization == "phunu":
            assert person.sex == "F", row
    ages = [ROSTER_YEAR - people[r.person_key].birth_date.year for r in generated.truth.rows]
    assert all(16 <= age <= 80 for age in ages)


def test_citizen_ids_follow_the_cccd_structure(generated: Generated) -> None:
    ids = [p.citizen_id for p in generated.truth.people if p.citizen_id]
    assert len(ids) == len(set(ids))
    assert 0.45 <= len(ids) / len(generated.truth.people) <= 0.75
    for person in generated.truth.people:
        number = person.citizen_id
        if number is None:
            continue
        assert number.isdigit() and len(number) in (9, 12), number
        if len(number) == 9:
            continue
        year = person.birth_date.year
        century_sex = (0 if year < 2000 else 2) + (person.sex == "F")
        assert number[3] == str(century_sex), person
        assert number[4:6] == f"{year % 100:02d}", person


def test_cross_org_core_duplicates_keep_birth_year_and_commune(generated: Generated) -> None:
    truth = generated.truth
    people = _people(truth)
    rows_of = _rows_by_person(truth)
    assert 8 <= len(truth.cross_org_core_duplicates) <= 10
    core_orgs = {
        key: {row.organization for row in rows if row.is_core} for key, rows in rows_of.items()
    }
    assert truth.cross_org_core_duplicates == tuple(
        sorted(key for key, orgs in core_orgs.items() if len(orgs) >= 2)
    )
    triples = [key for key in truth.cross_org_core_duplicates if len(core_orgs[key]) == 3]
    assert 1 <= len(triples) <= 2
    for key in truth.cross_org_core_duplicates:
        person = people[key]
        commune = fold(person.commune.removeprefix("Xã "))
        for row in rows_of[key]:
            birth = _as_date(generated.birth(row))
            assert (birth if isinstance(birth, int) else birth.year) == person.birth_date.year
            layout = LAYOUTS[row.organization]
            if layout.address:
                assert commune in fold(str(generated.cell(row, layout.address))), row
            elif row.organization == "nongdan":
                assert fold(str(generated.cell(row, "F"))) == commune, row
            else:
                assert fold(row.sheet) == commune, row


def test_each_variant_appears_among_the_planted_duplicates(generated: Generated) -> None:
    truth = generated.truth
    people = _people(truth)
    seen: set[str] = set()
    for key in truth.cross_org_core_duplicates:
        person = people[key]
        for row in _rows_by_person(truth)[key]:
            layout = LAYOUTS[row.organization]
            name = generated.name(row)
            if name != person.full_name and name == person.full_name.upper():
                seen.add("upper")
            if name != person.full_name and name.isascii():
                seen.add("no_diacritics")
            if isinstance(_as_date(generated.birth(row)), int):
                seen.add("year_only")
            if layout.address and "X. " in str(generated.cell(row, layout.address)):
                seen.add("short_address")
            id_column = layout.citizen_id
            if id_column and person.citizen_id and generated.cell(row, id_column) is None:
                seen.add("missing_id")
    assert seen == set(VARIANTS)


def test_within_org_duplicates_are_listed_twice_by_one_organization(generated: Generated) -> None:
    truth = generated.truth
    assert 1 <= len(truth.within_org_duplicates) <= 2
    for key in truth.within_org_duplicates:
        orgs = [row.organization for row in _rows_by_person(truth)[key]]
        assert len(orgs) == 2 and orgs[0] == orgs[1], key
        assert key not in truth.cross_org_core_duplicates


def test_namesakes_are_different_people_with_one_name(generated: Generated) -> None:
    truth = generated.truth
    people = _people(truth)
    rows_of = _rows_by_person(truth)
    assert len(truth.namesakes) == 4
    same_year_elsewhere = 0
    for first, second in truth.namesakes:
        a, b = people[first], people[second]
        assert first != second
        assert fold(a.full_name) == fold(b.full_name)
        assert a.birth_date != b.birth_date
        orgs_a = {row.organization for row in rows_of[first]}
        orgs_b = {row.organization for row in rows_of[second]}
        assert orgs_a != orgs_b
        if a.birth_date.year == b.birth_date.year and a.commune != b.commune:
            same_year_elsewhere += 1
    assert same_year_elsewhere >= 1
    # Nobody else shares a name, so the planted pairs are the only traps.
    names = {fold(person.full_name) for person in truth.people}
    assert len(names) == len(truth.people) - len(truth.namesakes)


def test_scale_multiplies_people_and_planted_cases(generated: Generated, tmp_path: Path) -> None:
    small = generated.truth
    large = generate_rosters(tmp_path, scale=2)
    assert 1.9 <= len(large.rows) / len(small.rows) <= 2.1
    assert len(large.cross_org_core_duplicates) == 2 * len(small.cross_org_core_duplicates)
    assert len(large.within_org_duplicates) == 2 * len(small.within_org_duplicates)
    assert len(large.namesakes) >= 2 * len(small.namesakes)


# --- Profiles: generate_records ------------------------------------------------


@pytest.fixture(scope="module")
def realistic() -> tuple[pd.DataFrame, GroundTruth]:
    return generate_records(5, people=3000, profile="realistic")


def test_records_have_the_loader_shape(realistic: tuple[pd.DataFrame, GroundTruth]) -> None:
    records, truth = realistic
    assert list(records.columns) == [*PROVENANCE_COLUMNS, *RAW_FIELDS, *LOAD_COLUMNS]
    assert all(pd.api.types.is_object_dtype(dtype) for dtype in records.dtypes)
    assert len(records) == len(truth.rows)
    assert 1.1 <= len(records) / 3000 <= 1.5
    assert records["record_id"].is_unique
    located = zip(records["source_file"], records["sheet"], records["row"], strict=True)
    assert [(r.source_file, r.sheet, r.row) for r in truth.rows] == list(located)
    assert list(records["organization"]) == [row.organization for row in truth.rows]
    for record_id, file, sheet, row in (
        records[["record_id", "source_file", "sheet", "row"]].head(50).itertuples(index=False)
    ):
        assert record_id == f"{file}|{sheet}|{row}"
    names = records["full_name"]
    assert all(unicodedata.is_normalized("NFC", name) for name in names)


def test_records_are_deterministic_for_a_seed() -> None:
    first, truth = generate_records(9, people=400, profile="hard")
    again, truth_again = generate_records(9, people=400, profile="hard")
    other, _ = generate_records(10, people=400, profile="hard")
    pd.testing.assert_frame_equal(first, again)
    assert truth == truth_again
    assert not first["full_name"].equals(other["full_name"])


def test_profiles_share_one_population() -> None:
    _, clean = generate_records(3, people=500, profile="clean")
    _, hard = generate_records(3, people=500, profile="hard")
    assert clean.people == hard.people

    # The same listings, though not in the same sheets (some use the new commune names).
    def listings(truth: GroundTruth) -> list[tuple[str, str, bool]]:
        return sorted((r.person_key, r.organization, r.is_core) for r in truth.rows)

    assert listings(clean) == listings(hard)


def test_clean_rows_render_their_person_faithfully() -> None:
    records, truth = generate_records(4, people=600, profile="clean")
    for row, name, birth in zip(
        truth.rows, records["full_name"], records["birth_date"], strict=True
    ):
        person = truth.person(row.person_key)
        assert row.noise == ()
        assert name == person.full_name
        assert _as_date(birth) == person.birth_date


def test_each_noise_kind_appears_and_shows(realistic: tuple[pd.DataFrame, GroundTruth]) -> None:
    records, truth = realistic
    seen = {kind for row in truth.rows for kind in row.noise}
    assert seen == set(NOISE_KINDS) - {"tcvn3"}  # TCVN3 rosters are the hard profile's
    for row, record in zip(truth.rows, records.itertuples(index=False), strict=True):
        person = truth.person(row.person_key)
        name, birth, citizen_id = record.full_name, record.birth_date, record.citizen_id
        if "year_only" in row.noise:
            assert birth == person.birth_date.year
        elif "day_month_swap" in row.noise or "day_typo" in row.noise:
            assert _as_date(birth) != person.birth_date
            assert _as_date(birth).year == person.birth_date.year
        else:
            assert _as_date(birth) == person.birth_date, row
        if "upper" in row.noise:
            assert name == name.upper()
        if "no_diacritics" in row.noise:
            assert name.isascii()
        if "baptismal" in row.noise:
            baptismal = {fold(n) for n in (*MALE_BAPTISMAL, *FEMALE_BAPTISMAL)}
            assert fold(name.split(" ")[0]) in baptismal
        if not {"no_middle", "name_typo", "baptismal", "i_y", "old_tone"} & set(row.noise):
            assert fold(name) == fold(person.full_name), row
        if "id_lost_zero" in row.noise:
            assert isinstance(citizen_id, int)
        if "cmnd" in row.noise:
            assert len(str(citizen_id)) == 9
        elif citizen_id is not None and "id_typo" not in row.noise:
            assert str(citizen_id).zfill(12) == person.citizen_id
        if "moved" in row.noise:
            hamlet = record.hamlet or record.address
            assert not re.search(rf"\b{fold(person.hamlet)}\b", fold(hamlet)), row


def test_hard_rosters_include_tcvn3_when_the_legacy_module_exists() -> None:
    if legacy_encoder() is None:
        pytest.skip("pipeline/legacy.py is not there")
    records, truth = generate_records(6, people=3000, profile="hard")
    typed = [name for name, row in zip(records["full_name"], truth.rows, strict=True)
             if "tcvn3" in row.noise]  # fmt: skip
    assert typed and any("Ô" in name or "Þ" in name or "§" in name for name in typed)


def test_twins_share_surname_birth_date_and_home(
    realistic: tuple[pd.DataFrame, GroundTruth],
) -> None:
    _, truth = realistic
    assert truth.twins
    for first, second in truth.twins:
        a, b = truth.person(first), truth.person(second)
        assert first != second
        assert a.birth_date == b.birth_date
        assert a.full_name.split(" ")[0] == b.full_name.split(" ")[0]
        assert (a.household, a.hamlet, a.commune) == (b.household, b.hamlet, b.commune)
        assert a.full_name.split(" ")[-1] != b.full_name.split(" ")[-1]


def test_households_and_namesakes_arise_by_frequency(
    realistic: tuple[pd.DataFrame, GroundTruth],
) -> None:
    _, truth = realistic
    households: dict[str, list[TruthPerson]] = defaultdict(list)
    for person in truth.people:
        households[person.household].append(person)
    families = [members for members in households.values() if len(members) >= 3]
    assert families
    # Some sons carry their father's full name.
    assert any(
        member.full_name == members[0].full_name for members in families for member in members[2:]
    )
    for members in families:
        father, children = members[0], members[2:]
        assert {c.full_name.split(" ")[0] for c in children} == {father.full_name.split(" ")[0]}
        assert {(m.hamlet, m.commune) for m in members} == {(father.hamlet, father.commune)}
    assert len(truth.namesakes) >= 5
    for first, second in truth.namesakes:
        a, b = truth.person(first), truth.person(second)
        assert fold(a.full_name) == fold(b.full_name)
        assert (a.birth_date.year, a.commune) == (b.birth_date.year, b.commune)
    assert truth.cross_org_core_duplicates


def test_profile_rosters_hold_the_records(tmp_path: Path) -> None:
    truth = generate_rosters(tmp_path, seed=3, profile="realistic")
    assert len(truth.rows) >= PEOPLE_PER_SCALE
    books: dict[str, Workbook] = {}
    for row in truth.rows:
        if row.source_file not in books:
            books[row.source_file] = openpyxl.load_workbook(tmp_path / row.source_file)
        written = books[row.source_file][row.sheet][f"B{row.row}"].value
        assert fold(str(written)) != "", row
        assert unicodedata.is_normalized("NFC", written) == ("nfd" not in row.noise), row
    for file, sheet, number in truth.non_data_rows:
        assert books[file][sheet][f"A{number}"].value, (file, sheet, number)
