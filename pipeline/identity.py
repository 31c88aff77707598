"""Record fingerprints and person ids that survive from one run to the next.

A reviewer's decision names records, and rosters change between runs: rows
are re-sorted, inserted and deleted, columns nobody matches on are edited. So
a record is named by what identifies the member, never by its row:

- the *fingerprint*: organization, folded name, birth date (as precise as the
  roster gives it) and citizen ID. Two rows of one organization alike in all
  four (the same member listed twice) are told apart by their order on the
  rest of the row, so every accepted record has its own fingerprint;
- two *loose keys* (same organization, file and sheet, plus the name; or plus
  the birth date and the place): a decided record whose fingerprint is gone
  but that one loose key still finds is "the same row, materially changed"
  (its name or birth date corrected), not a row that disappeared.

Person ids are kept in a registry (fingerprint -> person id) from run to run:
a person keeps their id as long as any of their records remains. Ids of new
persons are derived from their records alone, so a run without a registry
gives the same ids for the same rosters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from pipeline.text import fold

FINGERPRINT = "fingerprint"
LOOSE_NAME = "loose_name"
LOOSE_BIRTH = "loose_birth"
IDENTITY_COLUMNS = (FINGERPRINT, LOOSE_NAME, LOOSE_BIRTH)

_SEPARATOR = "\x1f"  # cannot occur in a cleaned cell value
# Columns that order records sharing one fingerprint key: everything on the
# row that is neither an identity field nor the row number, then the row.
_TIE_BREAKERS = ("source_file", "sheet", "branch", "position", "address", "hamlet", "phone")


def _digest(prefix: str, parts: Iterable[object], length: int) -> str:
    text = _SEPARATOR.join(str(part) for part in parts)
    return prefix + hashlib.sha1(text.encode("utf-8")).hexdigest()[:length].upper()


def _hashes(prefix: str, keys: pd.Series, length: int) -> list[str]:
    # The same digest as _digest, on keys already joined: this runs three
    # times per record, and a million records is the design size.
    sha1 = hashlib.sha1
    return [
        prefix + sha1(key.encode("utf-8")).hexdigest()[:length].upper() for key in keys.tolist()
    ]


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("").astype(str)


def record_identities(records: pd.DataFrame) -> pd.DataFrame:
    """IDENTITY_COLUMNS for every record, indexed like `records`; "" for rejected ones.

    Needs the columns of `validate` and `normalize` (name_key, birth_iso,
    citizen_id_norm, sex_code, hamlet_key).
    """
    identities = pd.DataFrame("", index=records.index, columns=list(IDENTITY_COLUMNS))
    accepted = records.loc[records["status"] == "accepted"]
    if accepted.empty:
        return identities
    organization = _text(accepted["organization"])
    name = _text(accepted["name_key"])
    birth = _text(accepted["birth_iso"])
    citizen_id = _text(accepted["citizen_id_norm"])
    source_file = _text(accepted["source_file"])
    sheet = _text(accepted["sheet"])
    base = organization + _SEPARATOR + name + _SEPARATOR + birth + _SEPARATOR + citizen_id

    repeat = _repeats(accepted, base)
    key = base.where(repeat == 0, base + _SEPARATOR + repeat.astype(str))
    identities.loc[accepted.index, FINGERPRINT] = _hashes("R", key, 16)
    place = organization + _SEPARATOR + source_file + _SEPARATOR + sheet
    identities.loc[accepted.index, LOOSE_NAME] = _hashes("N", place + _SEPARATOR + name, 12)
    loose_birth = (
        place
        + _SEPARATOR
        + birth
        + _SEPARATOR
        + _text(accepted["sex_code"])
        + _SEPARATOR
        + _text(accepted["hamlet_key"])
        + _SEPARATOR
        + _folded(accepted["branch"])
    )
    identities.loc[accepted.index, LOOSE_BIRTH] = _hashes("B", loose_birth, 12)
    return identities


def _folded(values: pd.Series) -> pd.Series:
    # Folded once per distinct value: rosters repeat branches and hamlets a lot.
    text = _text(values)
    return text.map({value: fold(value) for value in text.unique()})


def _repeats(accepted: pd.DataFrame, base: pd.Series) -> pd.Series:
    """0 for the first record of each fingerprint key, 1, 2… for the others,
    ordered by the rest of the row so that re-sorting the roster keeps them."""
    repeat = pd.Series(0, index=accepted.index)
    shared = base.duplicated(keep=False)
    if not shared.any():
        return repeat
    order = pd.DataFrame({"base": base[shared]})
    for column in _TIE_BREAKERS:
        order[column] = _folded(accepted.loc[shared, column])
    order["row"] = pd.to_numeric(accepted.loc[shared, "row"], errors="coerce").fillna(0)
    order = order.sort_values(["base", *_TIE_BREAKERS, "row"], kind="stable")
    repeat.loc[order.index] = order.groupby("base", sort=False).cumcount()
    return repeat


def group_id(fingerprints: Iterable[str]) -> str:
    """Id of a review group: named by its smallest fingerprint."""
    return _digest("G", (min(fingerprints),), 12)


def _new_person_id(fingerprints: Sequence[str], taken: set[str]) -> str:
    """A new person's id from their smallest fingerprint, so it does not depend
    on history; rehashed in the rare case the id is already someone's."""
    seed = min(fingerprints)
    candidate = _digest("P", (seed,), 12)
    attempt = 0
    while candidate in taken:
        attempt += 1
        candidate = _digest("P", (seed, attempt), 12)
    return candidate


def assign_person_ids(
    persons: Sequence[Sequence[str]], registry: Mapping[str, str] | None = None
) -> list[str]:
    """One id per person (a person is given by their records' fingerprints).

    An old id goes, in increasing order, to the person holding most of its
    records (ties: the person with the smallest fingerprint), so two old
    persons that merged keep the smaller id and a person that split keeps
    their id in the larger part. Persons left without an old id get new ones.
    """
    registry = registry or {}
    claims: dict[str, list[tuple[int, str, int]]] = {}
    for index, fingerprints in enumerate(persons):
        held: dict[str, int] = {}
        for fingerprint in fingerprints:
            old = registry.get(fingerprint)
            if old is not None:
                held[old] = held.get(old, 0) + 1
        for old, count in held.items():
            claims.setdefault(old, []).append((-count, min(fingerprints), index))

    ids: list[str | None] = [None] * len(persons)
    for old in sorted(claims):
        for _, _, index in sorted(claims[old]):
            if ids[index] is None:
                ids[index] = old
                break
    taken = set(registry.values()) | {pid for pid in ids if pid is not None}
    assigned = []
    for fingerprints, pid in zip(persons, ids, strict=True):
        if pid is None:
            pid = _new_person_id(fingerprints, taken)
            taken.add(pid)
        assigned.append(pid)
    return assigned
