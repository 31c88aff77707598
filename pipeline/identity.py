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
from collections.abc import Iterable, Mapping

import numpy as np
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


def _joined(*parts: pd.Series) -> pd.Series:
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + _SEPARATOR + part
    return joined


def record_fingerprints(records: pd.DataFrame) -> pd.Series:
    """The FINGERPRINT of every record, indexed like `records`; "" for rejected ones.

    Needs the columns of `validate` and `normalize` (name_key, birth_iso,
    citizen_id_norm).
    """
    fingerprints = pd.Series("", index=records.index, dtype=object)
    keys = ("organization", "name_key", "birth_iso", "citizen_id_norm")
    # Only the columns used: a copy of every column would cost more than the hashing.
    accepted = records.loc[records["status"] == "accepted", [*keys, *_TIE_BREAKERS, "row"]]
    if accepted.empty:
        return fingerprints
    base = _joined(*(_text(accepted[column]) for column in keys))
    repeat = _repeats(accepted, base)
    key = base.where(repeat == 0, base + _SEPARATOR + repeat.astype(str))
    fingerprints.loc[accepted.index] = np.array(_hashes("R", key, 16), dtype=object)
    return fingerprints


def record_identities(records: pd.DataFrame) -> pd.DataFrame:
    """IDENTITY_COLUMNS for every record, indexed like `records`; "" for rejected ones.

    Needs the columns of `validate` and `normalize` (name_key, birth_iso,
    citizen_id_norm, sex_code, hamlet_key).
    """
    identities = pd.DataFrame("", index=records.index, columns=list(IDENTITY_COLUMNS))
    # Records past cluster carry their fingerprints: hashing them again would
    # cost a second pass over every record.
    carried = FINGERPRINT in records and records[FINGERPRINT].notna().all()
    fingerprints = records[FINGERPRINT] if carried else record_fingerprints(records)
    identities[FINGERPRINT] = fingerprints.to_numpy(dtype=object)
    accepted = records.loc[records["status"] == "accepted"]
    if accepted.empty:
        return identities
    organization = _text(accepted["organization"])
    name = _text(accepted["name_key"])
    birth = _text(accepted["birth_iso"])
    source_file = _text(accepted["source_file"])
    sheet = _text(accepted["sheet"])
    place = _joined(organization, source_file, sheet)
    identities.loc[accepted.index, LOOSE_NAME] = _hashes("N", _joined(place, name), 12)
    loose_birth = _joined(
        place,
        birth,
        _text(accepted["sex_code"]),
        _text(accepted["hamlet_key"]),
        _folded(accepted["branch"]),
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


def _smallest(labels: np.ndarray, fingerprints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct labels (ascending) and the smallest fingerprint of each."""
    order = np.argsort(labels, kind="stable")
    ordered = labels[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]][: len(ordered)])
    sizes = np.diff(np.r_[starts, len(order)])
    seeds = fingerprints[order[starts]]
    # Most persons have one record: only the others need their fingerprints sorted.
    shared = np.repeat(sizes > 1, sizes)
    if shared.any():
        records, record_labels = order[shared], ordered[shared]
        by_fingerprint = np.argsort(fingerprints[records].astype(str), kind="stable")
        by_label = by_fingerprint[np.argsort(record_labels[by_fingerprint], kind="stable")]
        first = np.flatnonzero(np.r_[True, np.diff(record_labels[by_label]) != 0])
        seeds[sizes > 1] = fingerprints[records[by_label[first]]]
    return ordered[starts], seeds


def group_ids(groups: np.ndarray, fingerprints: np.ndarray) -> np.ndarray:
    """The id of each record's review group (`groups`: one label per record),
    named by the group's smallest fingerprint."""
    distinct, seeds = _smallest(groups, np.asarray(fingerprints, dtype=object))
    ids = np.array(_hashes("G", pd.Series(seeds, dtype=object), 12), dtype=object)
    return ids[np.searchsorted(distinct, groups)]


def _new_person_id(seed: str, taken: set[str]) -> str:
    """A new person's id from their smallest fingerprint, so it does not depend
    on history; rehashed in the rare case the id is already someone's."""
    candidate = _digest("P", (seed,), 12)
    attempt = 0
    while candidate in taken:
        attempt += 1
        candidate = _digest("P", (seed, attempt), 12)
    return candidate


def person_ids(
    persons: np.ndarray, fingerprints: np.ndarray, registry: Mapping[str, str] | None = None
) -> np.ndarray:
    """The id of each record's person (`persons`: one label per record).

    An old id goes, in increasing order, to the person holding most of its
    records (ties: the person with the smallest fingerprint), so two old
    persons that merged keep the smaller id and a person that split keeps
    their id in the larger part. Persons left without an old id get new ones,
    in the order of their smallest fingerprints.
    """
    fingerprints = np.asarray(fingerprints, dtype=object)
    labels, seeds = _smallest(persons, fingerprints)
    person_of = np.searchsorted(labels, persons)
    ids = np.full(len(labels), "", dtype=object)
    if registry:
        _keep_old_ids(ids, person_of, seeds, fingerprints, registry)
    fresh = np.flatnonzero(ids == "")
    candidates = _hashes("P", pd.Series(seeds[fresh], dtype=object), 12)
    taken = set(registry.values()) if registry else set()
    taken.update(ids[ids != ""])
    if len(set(candidates)) == len(candidates) and taken.isdisjoint(candidates):
        ids[fresh] = candidates
    else:
        for person in fresh[np.argsort(seeds[fresh].astype(str), kind="stable")]:
            ids[person] = _new_person_id(str(seeds[person]), taken)
            taken.add(ids[person])
    return ids[person_of]


def _keep_old_ids(
    ids: np.ndarray,
    person_of: np.ndarray,
    seeds: np.ndarray,
    fingerprints: np.ndarray,
    registry: Mapping[str, str],
) -> None:
    """Give old ids to the persons holding most of their records (see person_ids)."""
    old = np.array([registry.get(fp) for fp in fingerprints.tolist()], dtype=object)
    held = pd.notna(old)
    claims = (
        pd.DataFrame({"old": old[held], "person": person_of[held]})
        .value_counts(sort=False)
        .rename("count")
        .reset_index()
    )
    # A person claiming one id that nobody else claims simply keeps it; only
    # the others need the claims weighed in order.
    alone = (claims.groupby("old")["person"].transform("size") == 1) & (
        claims.groupby("person")["old"].transform("size") == 1
    )
    ids[claims.loc[alone, "person"].to_numpy()] = claims.loc[alone, "old"].to_numpy()
    weighed = claims.loc[~alone].assign(seed=lambda c: seeds[c["person"].to_numpy()])
    weighed = weighed.sort_values(["old", "count", "seed"], ascending=[True, False, True])
    given: set[str] = set()
    for old_id, person in zip(weighed["old"].tolist(), weighed["person"].tolist(), strict=True):
        if old_id not in given and ids[person] == "":
            ids[person] = old_id
            given.add(old_id)
