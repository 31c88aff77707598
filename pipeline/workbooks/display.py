"""Record columns as people read them, shared by records.csv and the workbooks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.indicators import organization_order
from pipeline.settings import Settings
from pipeline.text import display_value, fold

# Address parts, smallest first, as they are joined when a roster splits them.
ADDRESS_PARTS = ("house_number", "address", "hamlet", "commune", "district")

AWAITING_REVIEW = "Chờ rà soát"
AUTO_LINKED = "Đã tự động đối chiếu"
UNDECIDED = "Chưa quyết định"
# The decide stage's review_state, as people read it.
REVIEW_STATES = {
    "pending": AWAITING_REVIEW,
    "decided": "Đã quyết định",
    "needs_rereview": "Cần xem lại",
}


def display_column(values: pd.Series) -> list[str]:
    """display_value of every cell, computed once per distinct value.

    Rosters repeat dates, hamlets and communes many times. A column of text
    is looked up by value in C (pandas.factorize); any other column through a
    cache keyed by type too, because 1, 1.0 and True are equal keys but
    display differently.
    """
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        codes, distinct = pd.factorize(values)
        # A missing value has code -1: the last entry, shown empty.
        shown = np.array([*(display_value(text) for text in distinct), ""], dtype=object)
        return shown[codes].tolist()
    cache: dict[tuple[type, object], str] = {}
    result = []
    for value in values.tolist():
        key = (type(value), value)
        text = cache.get(key)
        if text is None:
            text = cache[key] = display_value(value)
        result.append(text)
    return result


def address_column(records: pd.DataFrame) -> list[str]:
    """The address as written: the address cell, or the roster's address parts
    joined with ", ". A part already contained in the text so far (a commune
    written both in the address and in its own column) is not repeated."""
    columns = [display_column(records[field]) for field in ADDRESS_PARTS]
    addresses = []
    for parts in zip(*columns, strict=True):
        present = [part for part in parts if part]
        if len(present) < 2:
            addresses.append(present[0] if present else "")
            continue
        kept = [present[0]]
        folded = fold(present[0])
        for part in present[1:]:
            folded_part = fold(part)
            if folded_part not in folded:
                kept.append(part)
                folded = f"{folded}, {folded_part}"
        addresses.append(", ".join(kept))
    return addresses


def vi_number(value: float, decimals: int = 0) -> str:
    """12345.6 -> '12.345,6': Vietnamese separators, for numbers inside text."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def yes_no(flags: pd.Series) -> list[str]:
    return ["Có" if flag else "Không" for flag in flags.tolist()]


def organization_names(settings: Settings) -> dict[str, str]:
    """Code -> name shown to people; look up with .get(code, code) so a code
    missing from settings still shows as itself."""
    return {org.code: org.name for org in settings.organizations}


def optional_column(records: pd.DataFrame, name: str) -> pd.Series:
    """A text column a later stage may not have added yet: "" where absent."""
    if name not in records.columns:
        return pd.Series("", index=records.index, dtype=object)
    return records[name].fillna("").astype(str)


def review_states(records: pd.DataFrame) -> pd.Series:
    """The decide stage's review_state; without it, a record in a review group
    is awaiting review (the engine was unsure) and the others have nothing to review."""
    if "review_state" in records.columns:
        return optional_column(records, "review_state")
    groups = optional_column(records, "review_group")
    return groups.where(groups == "", "pending")


def core_organizations(linked: pd.DataFrame, settings: Settings) -> dict[str, tuple[str, ...]]:
    """person_id -> codes of the organizations where the person is core, in settings order."""
    core = linked.loc[linked["is_core"].eq(True), ["person_id", "organization"]].drop_duplicates()
    rank = {
        code: index
        for index, code in enumerate(organization_order(core["organization"].unique(), settings))
    }
    grouped: dict[str, list[str]] = {}
    for person, org in zip(core["person_id"].tolist(), core["organization"].tolist(), strict=True):
        grouped.setdefault(str(person), []).append(str(org))
    return {person: tuple(sorted(orgs, key=rank.__getitem__)) for person, orgs in grouped.items()}
