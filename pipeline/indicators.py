"""The directive's indicators per province, district and commune.

One computation (`Reconciliation`) feeds indicators.csv, the summary workbook,
the reconciled roster and the mobilization book, so they always agree.

Two views are reported side by side:
- "before": each organization's figures as its rosters report them (a record
  is counted where it is listed; a person on two rosters is counted by both);
- "after": distinct persons once records are linked into persons
  (`person_id`). A person counted as core by several organizations is core
  after reconciliation in exactly one place: the organization a reviewer chose
  (`core_kept_by`), or, without a decision, nowhere but the `core_undecided`
  column. Per organization, `core_undecided` counts its core members awaiting a
  decision; in the `all` row each of them is counted once, as core.

Person-level counts must add up from communes to districts to the province, so
each person is placed in exactly one commune. In an organization's rows that
is where the organization first lists them (load order). In the `all` rows it
is where the organization keeping them as core first lists them (for the
undecided, their first core record; for the others, their first record), so
that in every unit the organizations' core members after reconciliation plus
the undecided make the `all` figure.

An organization may send only its core list (`core_column_present` False): its
member count is then not in the rosters. It comes from the optional totals
table (members by commune), else it is not available (NA), never the core count
and never 0. The eligible population comes from the optional population table,
else the rates needing it are NA. A commune that cannot be placed ("Chưa xác
định") has no row in such tables: its own figure is NA, and it adds nothing to
its district and province, whose people the tables already count where they live.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.settings import Settings
from pipeline.text import fold

ALL_ORGANIZATIONS = "all"
UNKNOWN_UNIT = "Chưa xác định"
LEVELS = ("province", "district", "commune")
# Raw fields any of which gives a core member an address (as validate's rule).
ADDRESS_FIELDS = ("house_number", "address", "hamlet", "commune", "district")

# Counted on the records as the rosters list them.
BEFORE_COLUMNS = ("members", "core_members", "core_regular", "core_away")
# Counted on persons after reconciliation.
AFTER_COLUMNS = ("members_after", "core_members_after", "core_regular_after", "core_undecided")
# The directive's criteria for a core member: an address, a position, present.
CRITERIA_COLUMNS = (
    "core_missing_address",
    "core_missing_position",
    "core_away_after",
    "core_missing_address_after",
    "core_missing_position_after",
)
# Persons core in several organizations, whatever the decisions.
OVERLAP_COLUMNS = ("core_shared", "core_three_plus")
POPULATION_COLUMN = "population"
# rate column -> (numerator, denominator)
RATES = {
    "core_share": ("core_members", "members"),
    "regular_share": ("core_regular", "core_members"),
    "core_share_after": ("core_members_after", "members_after"),
    "regular_share_after": ("core_regular_after", "core_members_after"),
    "mass_share": ("members", POPULATION_COLUMN),
    "mass_share_after": ("members_after", POPULATION_COLUMN),
}
_FIRST_RATES = ("core_share", "regular_share", "core_share_after", "regular_share_after")
COUNT_COLUMNS = (
    *BEFORE_COLUMNS,
    *AFTER_COLUMNS,
    *CRITERIA_COLUMNS,
    *OVERLAP_COLUMNS,
    POPULATION_COLUMN,
)
# indicators.csv's columns: the first sixteen are the original ones, in order.
INDICATOR_COLUMNS = (
    "level",
    "unit",
    "district",
    "organization",
    *BEFORE_COLUMNS,
    *AFTER_COLUMNS,
    *_FIRST_RATES,
    *CRITERIA_COLUMNS,
    *OVERLAP_COLUMNS,
    POPULATION_COLUMN,
    "mass_share",
    "mass_share_after",
)
# Columns of a unit table (population, member totals) as compute_indicators takes it.
UNIT_TABLE_COLUMNS = ("district", "commune", "organization", "value")

_PLACE = ["district", "commune"]
_TEXT_COLUMNS = ["level", "unit", "district", "organization"]
_DIGITS = re.compile(r"(\d+)")
_NO_ORGANIZATION = -1


def compute_indicators(
    records: pd.DataFrame,
    settings: Settings,
    *,
    population: pd.DataFrame | None = None,
    totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Indicators for every (level, unit, organization); see Reconciliation.indicators."""
    return Reconciliation(records, settings).indicators(population=population, totals=totals)


def organization_order(codes: Iterable[str], settings: Settings) -> list[str]:
    """`codes` in settings order; codes unknown to settings follow, sorted."""
    present = set(codes)
    known = [code for code in settings.organization_codes if code in present]
    return known + sorted(present - set(known))


def unit_names(names: pd.Series) -> pd.Series:
    """District or commune names as the indicators show them: "" is UNKNOWN_UNIT."""
    # Plain object arrays: converting a million names to pandas' string type
    # costs more than all the counting.
    text = names.fillna("").to_numpy(dtype=object)
    return pd.Series(np.where(text == "", UNKNOWN_UNIT, text), index=names.index, dtype=object)


def unit_sort_key(name: str) -> tuple[bool, list[str | int], str]:
    """Order place names as a reader expects: "Phường 2" before "Phường 10",
    "Đồng" among the D's, and the unknown unit last."""
    parts: list[str | int] = [
        int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(fold(name)))
    ]
    return (name == UNKNOWN_UNIT, parts, name)


@dataclass(frozen=True)
class _Memberships:
    """One entry per (person, organization) listing, sorted by person then organization."""

    person: np.ndarray
    organization: np.ndarray
    first: np.ndarray  # position of the first record (load order)
    unit: np.ndarray  # unit of that record
    core: np.ndarray
    regular: np.ndarray
    away: np.ndarray
    has_address: np.ndarray
    has_position: np.ndarray


class Reconciliation:
    """Who is core where after reconciliation, computed once for all outputs.

    Works on integer codes with numpy (bincount, unique) rather than grouping
    strings, so a million records take a couple of seconds.
    """

    def __init__(self, records: pd.DataFrame, settings: Settings) -> None:
        self.organizations = organization_order(records["organization"].unique(), settings)
        accepted = records.loc[records["status"] == "accepted"]
        self.accepted_index = accepted.index
        self.province = settings.default_province or _most_common(accepted["province_name"])
        self._n_org = len(self.organizations)

        # Factorized apart then combined: far cheaper than factorizing pairs of strings.
        district_codes, district_names = pd.factorize(unit_names(accepted["district_name"]))
        commune_codes, commune_names = pd.factorize(unit_names(accepted["commune_name"]))
        width = max(len(commune_names), 1)
        unit_codes, pairs = pd.factorize(district_codes * width + commune_codes)
        self.units = pd.DataFrame(
            {
                "district": np.asarray(district_names, dtype=object).take(pairs // width),
                "commune": np.asarray(commune_names, dtype=object).take(pairs % width),
            }
        )
        self._unit = unit_codes.astype(np.int64)
        codes = pd.Index(self.organizations)
        self._org = codes.get_indexer(pd.Index(accepted["organization"])).astype(np.int64)
        person = accepted["person_id"].fillna("").to_numpy(dtype=object, copy=True)
        # A record not yet linked to a person is a person of its own.
        alone = np.flatnonzero(person == "")
        record_ids = accepted["record_id"].to_numpy(dtype=object)[alone]
        person[alone] = [f"record:{record_id}" for record_id in record_ids]
        person_codes, self.person_keys = pd.factorize(person)
        self._person = person_codes.astype(np.int64)
        self._core = accepted["is_core"].eq(True).to_numpy()
        self._regular = accepted["is_regular"].eq(True).to_numpy()
        self._away = accepted["is_away"].eq(True).to_numpy()
        self._core_only = accepted["core_column_present"].eq(False).to_numpy()
        self._has_address = np.zeros(len(accepted), dtype=bool)
        for name in ADDRESS_FIELDS:
            self._has_address |= _filled(accepted[name])
        self._has_position = _filled(accepted["position"])
        # Filled by the decide stage; absent until reviewers' decisions exist.
        kept = (
            accepted["core_kept_by"]
            if "core_kept_by" in accepted.columns
            else pd.Series(None, index=accepted.index, dtype=object)
        )
        self._kept = codes.get_indexer(pd.Index(kept.fillna(""))).astype(np.int64)

        self._memberships = self._build_memberships()
        self._decide_keepers()

    # --- persons -------------------------------------------------------------

    def _build_memberships(self) -> _Memberships:
        key = self._person * self._n_org + self._org
        unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        size = len(unique)

        def any_of(flags: np.ndarray) -> np.ndarray:
            return np.bincount(inverse, weights=flags, minlength=size) > 0

        return _Memberships(
            person=unique // self._n_org,
            organization=unique % self._n_org,
            first=first,
            unit=self._unit[first],
            core=any_of(self._core),
            regular=any_of(self._regular),
            away=any_of(self._away),
            has_address=any_of(self._has_address),
            has_position=any_of(self._has_position),
        )

    def _decide_keepers(self) -> None:
        """Per person: the organization keeping them as core after reconciliation."""
        m = self._memberships
        persons = len(self.person_keys)
        self._core_count = np.bincount(m.person, weights=m.core, minlength=persons)
        # A reviewer's decision: the first record naming a keeper speaks for the person.
        decided = np.flatnonzero(self._kept != _NO_ORGANIZATION)
        kept = np.full(persons, _NO_ORGANIZATION, dtype=np.int64)
        decided_persons, first = np.unique(self._person[decided], return_index=True)
        kept[decided_persons] = self._kept[decided[first]]
        # A decision naming an organization that does not list the person cannot be applied.
        listed = (kept != _NO_ORGANIZATION) & np.isin(
            np.arange(persons) * self._n_org + kept, m.person * self._n_org + m.organization
        )
        kept[~listed] = _NO_ORGANIZATION
        sole = np.full(persons, _NO_ORGANIZATION, dtype=np.int64)
        alone = m.core & (self._core_count[m.person] == 1)
        sole[m.person[alone]] = m.organization[alone]
        self._keeper = np.where(kept != _NO_ORGANIZATION, kept, sole)
        self._undecided = (self._keeper == _NO_ORGANIZATION) & (self._core_count >= 2)
        self._kept_here = m.organization == self._keeper[m.person]

        # The membership that places the person in the `all` rows: the keeping
        # organization's, else (undecided) the first core one, else the first.
        undecided_core = m.core & self._undecided[m.person]
        rank = np.where(self._kept_here, 0, np.where(undecided_core, 1, 2))
        order = np.lexsort((m.first, rank, m.person))
        starts = np.flatnonzero(np.diff(m.person[order], prepend=-1) != 0)
        self._anchor = order[starts]  # membership index per person code
        self._core_after = (self._keeper != _NO_ORGANIZATION) | self._undecided

    def _person_flag(self, membership: np.ndarray) -> np.ndarray:
        """Per person core after reconciliation: a membership flag (regular,
        away…) in the keeping organization; for the undecided, in any core listing."""
        m = self._memberships
        any_core = np.bincount(
            m.person, weights=m.core & membership, minlength=len(self.person_keys)
        )
        return self._core_after & np.where(self._undecided, any_core > 0, membership[self._anchor])

    def persons(self) -> pd.DataFrame:
        """Per accepted record (indexed like the records): `person` (its key),
        `keeper` (code of the organization keeping the person as core, "" when
        none or undecided), `undecided`, `core_after` (the person is core after
        reconciliation), `regular` and `away` (that core member takes part
        regularly, is away: as counted in the `all` rows), `anchor` (this record
        places the person in the `all` figures; one per person), `district` and
        `commune` (the record's unit)."""
        m = self._memberships
        # _NO_ORGANIZATION (-1) picks the trailing "".
        codes = np.array([*self.organizations, ""], dtype=object)
        anchor = np.zeros(len(self._person), dtype=bool)
        anchor[m.first[self._anchor]] = True
        return pd.DataFrame(
            {
                "person": np.asarray(self.person_keys, dtype=object)[self._person],
                "keeper": codes[self._keeper][self._person],
                "undecided": self._undecided[self._person],
                "core_after": self._core_after[self._person],
                "regular": self._person_flag(m.regular)[self._person],
                "away": self._person_flag(m.away)[self._person],
                "anchor": anchor,
                "district": self.units["district"].to_numpy()[self._unit],
                "commune": self.units["commune"].to_numpy()[self._unit],
            },
            index=self.accepted_index,
        )

    def overlap(self) -> pd.DataFrame:
        """Persons core in both organizations of each pair (rows and columns in
        organization order); the diagonal holds each organization's core persons.
        Counted on the rosters, before reviewers' decisions."""
        m = self._memberships
        n_org = self._n_org
        shared = m.core & (self._core_count[m.person] >= 2)
        persons, rows = np.unique(m.person[shared], return_inverse=True)
        matrix = np.zeros((len(persons), n_org), dtype=np.int64)
        matrix[rows, m.organization[shared]] = 1
        counts = matrix.T @ matrix
        np.fill_diagonal(counts, np.bincount(m.organization[m.core], minlength=n_org))
        return pd.DataFrame(counts, index=self.organizations, columns=self.organizations)

    # --- indicators ------------------------------------------------------------

    def indicators(
        self, *, population: pd.DataFrame | None = None, totals: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Indicators for every (level, unit, organization), sorted for reading.

        `population` and `totals` are unit tables (UNIT_TABLE_COLUMNS; units
        named as in the records; `organization` a code, or ALL_ORGANIZATIONS
        for an eligible population of all organizations together).

        Columns: INDICATOR_COLUMNS. Counts are Int64, NA where not available;
        rates are floats rounded to 4 places, NaN when they cannot be computed
        (a rate that does not exist, not 0). Organizations are every code in
        the records, in settings order, then `all`.
        """
        counts = list(COUNT_COLUMNS)
        unknown = (self.units["commune"] == UNKNOWN_UNIT).to_numpy()
        shown_totals = self._table(totals, all_column=False)
        shown_population = self._table(population, all_column=True)
        # Tables name no unplaced unit: NA there, and 0 in the sums above it,
        # unless nothing but unplaced units make the sum.
        summed_totals, summed_population = shown_totals.copy(), shown_population.copy()
        summed_totals[unknown] = 0
        summed_population[unknown] = 0
        shown = self._commune_counts(shown_totals, shown_population)
        summed = self._commune_counts(summed_totals, summed_population)
        placed = shown["commune"] != UNKNOWN_UNIT

        def total(keys: list[str]) -> pd.DataFrame:
            with_placed = placed.groupby([shown[key] for key in keys]).transform("any")
            chosen = summed[counts].where(with_placed, shown[counts])
            return chosen.groupby([shown[key] for key in keys], sort=False).sum(skipna=False)

        districts = total(["district", "organization"]).reset_index()
        province = (
            total(["organization"])
            .reindex([*self.organizations, ALL_ORGANIZATIONS], fill_value=0)
            .reset_index()
        )
        table = pd.concat(
            [
                province.assign(level="province", unit=self.province or UNKNOWN_UNIT, district=""),
                districts.assign(level="district", unit=districts["district"]),
                shown.rename(columns={"commune": "unit"}).assign(level="commune"),
            ],
            ignore_index=True,
        )
        table[counts] = table[counts].astype("Int64")
        table[_TEXT_COLUMNS] = table[_TEXT_COLUMNS].astype(str)
        for rate, (numerator, denominator) in RATES.items():
            below = table[denominator].astype(float)
            table[rate] = (table[numerator].astype(float) / below.where(below > 0)).round(4)
        return _sorted(table, self.organizations)[list(INDICATOR_COLUMNS)]

    def _table(self, table: pd.DataFrame | None, *, all_column: bool) -> np.ndarray:
        """A unit table as a units x (organizations [+ all]) float matrix, NaN where absent."""
        width = self._n_org + (1 if all_column else 0)
        matrix = np.full((len(self.units), width), np.nan)
        if table is None or table.empty:
            return matrix
        unit_index = pd.MultiIndex.from_frame(self.units).get_indexer(
            pd.MultiIndex.from_frame(table[_PLACE].astype(object))
        )
        columns = [*self.organizations, ALL_ORGANIZATIONS][:width]
        org_index = pd.Index(columns).get_indexer(pd.Index(table["organization"]))
        known = (unit_index >= 0) & (org_index >= 0)
        matrix[unit_index[known], org_index[known]] = table["value"].to_numpy(dtype=float)[known]
        return matrix

    def _commune_counts(self, totals: np.ndarray, population: np.ndarray) -> pd.DataFrame:
        """Commune-level counts: one row per (unit, organization) then (unit, all)."""
        n_units, n_org = len(self.units), self._n_org
        m = self._memberships
        cells = n_units * n_org

        def per_cell(units: np.ndarray, orgs: np.ndarray, flags: np.ndarray | None) -> np.ndarray:
            counted = np.bincount(units * n_org + orgs, weights=flags, minlength=cells)
            return counted.reshape(n_units, n_org)

        def per_unit(units: np.ndarray, flags: np.ndarray | None) -> np.ndarray:
            return np.bincount(units, weights=flags, minlength=n_units)

        unit, org, core = self._unit, self._org, self._core
        org_columns: dict[str, np.ndarray] = {
            "members": per_cell(unit, org, None),
            "core_members": per_cell(unit, org, core),
            "core_regular": per_cell(unit, org, core & self._regular),
            "core_away": per_cell(unit, org, core & self._away),
            "core_missing_address": per_cell(unit, org, core & ~self._has_address),
            "core_missing_position": per_cell(unit, org, core & ~self._has_position),
        }
        kept = self._kept_here
        n_core = self._core_count[m.person]
        org_columns |= {
            "members_after": per_cell(m.unit, m.organization, None),
            "core_members_after": per_cell(m.unit, m.organization, kept),
            "core_regular_after": per_cell(m.unit, m.organization, kept & m.regular),
            "core_undecided": per_cell(m.unit, m.organization, m.core & self._undecided[m.person]),
            "core_away_after": per_cell(m.unit, m.organization, kept & m.away),
            "core_missing_address_after": per_cell(m.unit, m.organization, kept & ~m.has_address),
            "core_missing_position_after": per_cell(m.unit, m.organization, kept & ~m.has_position),
            "core_shared": per_cell(m.unit, m.organization, m.core & (n_core >= 2)),
            "core_three_plus": per_cell(m.unit, m.organization, m.core & (n_core >= 3)),
            POPULATION_COLUMN: population[:, :n_org],
        }

        # Core-only rosters: members from the totals table. An organization with
        # no record in a unit is core-only there if any of its rosters is.
        core_only_org = np.bincount(org, weights=self._core_only, minlength=n_org) > 0
        core_only = (per_cell(unit, org, self._core_only) > 0) | (
            (org_columns["members"] == 0) & core_only_org
        )
        listed = org_columns["members_after"]
        org_columns["members"] = np.where(core_only, totals, org_columns["members"])
        org_columns["members_after"] = np.where(core_only, totals, listed)
        # Members not listed by name cannot be matched: each is a distinct person.
        unlisted = np.where(core_only, np.maximum(totals - listed, 0), 0).sum(axis=1)

        person_unit = m.unit[self._anchor]
        core_after, person_flag = self._core_after, self._person_flag
        everyone: dict[str, np.ndarray] = {
            name: values.sum(axis=1) for name, values in org_columns.items()
        }
        everyone |= {
            "members_after": per_unit(person_unit, None) + unlisted,
            "core_members_after": per_unit(person_unit, core_after),
            "core_regular_after": per_unit(person_unit, person_flag(m.regular)),
            "core_undecided": per_unit(person_unit, self._undecided),
            "core_away_after": per_unit(person_unit, person_flag(m.away)),
            "core_missing_address_after": per_unit(
                person_unit, core_after & ~person_flag(m.has_address)
            ),
            "core_missing_position_after": per_unit(
                person_unit, core_after & ~person_flag(m.has_position)
            ),
            "core_shared": per_unit(person_unit, self._core_count >= 2),
            "core_three_plus": per_unit(person_unit, self._core_count >= 3),
            # Without a figure for all organizations, the sum of theirs (NA if one is missing).
            POPULATION_COLUMN: np.where(
                np.isnan(population[:, n_org]),
                population[:, :n_org].sum(axis=1),
                population[:, n_org],
            ),
        }

        places = self.units.loc[self.units.index.repeat(n_org + 1)].reset_index(drop=True)
        frame = pd.DataFrame(
            {
                name: np.column_stack([org_columns[name], everyone[name]]).ravel()
                for name in COUNT_COLUMNS
            }
        )
        frame.insert(0, "organization", np.tile([*self.organizations, ALL_ORGANIZATIONS], n_units))
        return pd.concat([places, frame], axis=1)


def _filled(values: pd.Series) -> np.ndarray:
    """Whether each cell holds a value (the loader stores an empty cell as None)."""
    cells = values.to_numpy(dtype=object)
    return pd.notna(cells) & (cells != "")


def _most_common(names: pd.Series) -> str:
    counts = names[names.fillna("").astype(str) != ""].value_counts()
    return str(counts.index[0]) if len(counts) else ""


def _sorted(table: pd.DataFrame, organizations: Sequence[str]) -> pd.DataFrame:
    names = sorted(set(table["district"]) | set(table["unit"]), key=unit_sort_key)
    name_rank = {name: rank for rank, name in enumerate(names)}
    org_rank = {org: rank for rank, org in enumerate([*organizations, ALL_ORGANIZATIONS])}
    keys = pd.DataFrame(
        {
            "level": table["level"].map({level: rank for rank, level in enumerate(LEVELS)}),
            "district": table["district"].map(name_rank),
            "unit": table["unit"].map(name_rank),
            "organization": table["organization"].map(org_rank),
        }
    )
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return table.loc[order].reset_index(drop=True)
