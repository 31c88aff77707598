"""The directive's indicators per province, district and commune.

One pure function computes them so that indicators.csv and the summary
workbook always show the same figures.

Two views are reported side by side:
- "before": each organization's figures as its rosters report them (a person
  on two rosters is counted by both);
- "after": distinct persons once records are linked into persons
  (`person_id`). A person who is core in several organizations has no reviewer
  decision yet, so their organizations cannot keep them as core: they appear in
  `core_undecided` of each of those organizations and are counted once as core
  in the `all` row.

Person-level counts must add up from communes to districts to the province, so
each person is placed in exactly one commune: the commune of their first record
(lowest load order) in the organization for organization rows, and of their
first record overall for `all` rows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pandas as pd

from pipeline.settings import Settings
from pipeline.text import fold

ALL_ORGANIZATIONS = "all"
UNKNOWN_UNIT = "Chưa xác định"
LEVELS = ("province", "district", "commune")

BEFORE_COLUMNS = ("members", "core_members", "core_regular", "core_away")
AFTER_COLUMNS = ("members_after", "core_members_after", "core_regular_after", "core_undecided")
COUNT_COLUMNS = BEFORE_COLUMNS + AFTER_COLUMNS
# rate column -> (numerator, denominator)
RATES = {
    "core_share": ("core_members", "members"),
    "regular_share": ("core_regular", "core_members"),
    "core_share_after": ("core_members_after", "members_after"),
    "regular_share_after": ("core_regular_after", "core_members_after"),
}
INDICATOR_COLUMNS = ("level", "unit", "district", "organization", *COUNT_COLUMNS, *RATES)

_PLACE = ["district", "commune"]
_DIGITS = re.compile(r"(\d+)")


def compute_indicators(records: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Indicators for every (level, unit, organization), sorted for reading.

    Columns: INDICATOR_COLUMNS. Counts are int64; rates are floats rounded to 4
    places, NaN when the denominator is 0 (a rate that does not exist, not 0).
    Organizations are every code present in `records`, in settings order, then
    `all`.
    """
    organizations = organization_order(records["organization"].unique(), settings)
    accepted = records.loc[records["status"] == "accepted"]
    frame = _facts(accepted)

    communes = pd.concat([_per_organization(frame), _all_organizations(frame)])
    units = frame[_PLACE].drop_duplicates()
    full_index = pd.MultiIndex.from_tuples(
        [(*unit, org) for unit in units.itertuples(index=False) for org in organizations]
        + [(*unit, ALL_ORGANIZATIONS) for unit in units.itertuples(index=False)],
        names=[*_PLACE, "organization"],
    )
    communes = communes.reindex(full_index, fill_value=0).reset_index()
    districts = communes.groupby(["district", "organization"], as_index=False)[
        list(COUNT_COLUMNS)
    ].sum()
    province = (
        communes.groupby("organization")[list(COUNT_COLUMNS)]
        .sum()
        .reindex([*organizations, ALL_ORGANIZATIONS], fill_value=0)
        .reset_index()
    )
    province_name = settings.default_province or _most_common(accepted["province_name"])

    table = pd.concat(
        [
            province.assign(level="province", unit=province_name or UNKNOWN_UNIT, district=""),
            districts.assign(level="district", unit=districts["district"]),
            communes.rename(columns={"commune": "unit"}).assign(level="commune"),
        ],
        ignore_index=True,
    )
    for rate, (numerator, denominator) in RATES.items():
        table[rate] = (table[numerator] / table[denominator].where(table[denominator] > 0)).round(4)
    return _sorted(table, organizations)[list(INDICATOR_COLUMNS)]


def organization_order(codes: Iterable[str], settings: Settings) -> list[str]:
    """`codes` in settings order; codes unknown to settings follow, sorted."""
    present = set(codes)
    known = [code for code in settings.organization_codes if code in present]
    return known + sorted(present - set(known))


def _unit_sort_key(name: str) -> tuple[bool, list[str | int], str]:
    """Order place names as a reader expects: "Phường 2" before "Phường 10",
    "Đồng" among the D's, and the unknown unit last."""
    parts: list[str | int] = [
        int(part) if index % 2 else part for index, part in enumerate(_DIGITS.split(fold(name)))
    ]
    return (name == UNKNOWN_UNIT, parts, name)


def _facts(accepted: pd.DataFrame) -> pd.DataFrame:
    """One row per accepted record with only what the counts need, in load order."""
    core = accepted["is_core"].astype(bool)
    person = accepted["person_id"].astype(str)
    return pd.DataFrame(
        {
            "district": _unit_names(accepted["district_name"]),
            "commune": _unit_names(accepted["commune_name"]),
            "organization": accepted["organization"],
            # A record not yet linked to a person is a person of its own.
            "person": person.where(person != "", "record:" + accepted["record_id"].astype(str)),
            "core": core,
            "core_regular": core & accepted["is_regular"].astype(bool),
            "core_away": core & accepted["is_away"].astype(bool),
        }
    ).reset_index(drop=True)


def _per_organization(frame: pd.DataFrame) -> pd.DataFrame:
    """Commune-level counts of each organization, indexed by (district, commune, org)."""
    keys = [*_PLACE, "organization"]
    before = frame.groupby(keys).agg(
        members=("core", "size"),
        core_members=("core", "sum"),
        core_regular=("core_regular", "sum"),
        core_away=("core_away", "sum"),
    )
    # `first` keeps load order within each group: the person is placed where
    # the organization first lists them.
    memberships = (
        frame.groupby(["person", "organization"], sort=False)
        .agg(
            district=("district", "first"),
            commune=("commune", "first"),
            core=("core", "any"),
            core_regular=("core_regular", "any"),
        )
        .reset_index()
    )
    core_organizations = memberships.groupby("person")["core"].transform("sum")
    sole_core = memberships["core"] & (core_organizations == 1)
    after = (
        memberships[keys]
        .assign(
            members_after=1,
            core_members_after=sole_core,
            core_regular_after=sole_core & memberships["core_regular"],
            core_undecided=memberships["core"] & (core_organizations > 1),
        )
        .groupby(keys)
        .sum()
    )
    return before.join(after, how="outer").fillna(0).astype("int64")


def _all_organizations(frame: pd.DataFrame) -> pd.DataFrame:
    """Commune-level `all` counts, indexed like _per_organization."""
    before = frame.groupby(_PLACE).agg(
        members=("core", "size"),
        core_members=("core", "sum"),
        core_regular=("core_regular", "sum"),
        core_away=("core_away", "sum"),
    )
    core_organizations = (
        frame.loc[frame["core"], ["person", "organization"]]
        .drop_duplicates()
        .groupby("person")
        .size()
    )
    persons = frame.groupby("person", sort=False).agg(
        district=("district", "first"),
        commune=("commune", "first"),
        core=("core", "any"),
        core_regular=("core_regular", "any"),
    )
    after = (
        pd.DataFrame(
            {
                "district": persons["district"],
                "commune": persons["commune"],
                "members_after": 1,
                "core_members_after": persons["core"],
                "core_regular_after": persons["core_regular"],
                "core_undecided": core_organizations.reindex(persons.index, fill_value=0) > 1,
            }
        )
        .groupby(_PLACE)
        .sum()
    )
    counts = before.join(after, how="outer").fillna(0).astype("int64")
    counts["organization"] = ALL_ORGANIZATIONS
    return counts.set_index("organization", append=True)


def _unit_names(names: pd.Series) -> pd.Series:
    text = names.fillna("").astype(str)
    return text.where(text != "", UNKNOWN_UNIT)


def _most_common(names: pd.Series) -> str:
    counts = names[names.fillna("").astype(str) != ""].value_counts()
    return str(counts.index[0]) if len(counts) else ""


def _sorted(table: pd.DataFrame, organizations: list[str]) -> pd.DataFrame:
    names = sorted(set(table["district"]) | set(table["unit"]), key=_unit_sort_key)
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
