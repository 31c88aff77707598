"""cluster: group linked records into persons, and possible matches into review groups.

Links are applied strongest first. A link that would put two different
citizen IDs, or birth years more than a slip apart, into one person is not
applied but sent to review, so that one wrong link cannot chain unrelated
people together.

Records are handled by position among the accepted records: at a province's
million rows, per-record Python objects would cost more than the matching.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pipeline.identity import FINGERPRINT, group_ids, person_ids, record_fingerprints
from pipeline.settings import Settings

CONFLICT_NOTE = "không tự động gộp vì trong nhóm có hai số CCCD/CMND khác nhau"
BIRTH_CONFLICT_NOTE = "không tự động gộp vì trong nhóm có năm sinh cách nhau quá xa"
# Birth years of one person's records may differ by a typing slip, not more.
MAX_BIRTH_YEAR_SPREAD = 1
# A person may hold an old 9-digit CMND and a 12-digit CCCD: only IDs of one
# kind can contradict each other.
_ID_LENGTHS = (9, 12)


@dataclass(frozen=True)
class ClusterResult:
    records: pd.DataFrame  # with person_id, review_group and the record's fingerprint
    pairs: pd.DataFrame  # with review_group; conflicting links turned into reviews


class UnionFind:
    """Union–find over positions 0..size-1; the smaller root becomes the root."""

    def __init__(self, size: int) -> None:
        self.parent = list(range(size))

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        """Join the sets of a and b."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self.join(root_a, root_b)

    def join(self, a: int, b: int) -> int:
        """Make roots a and b one set; its root."""
        root, other = min(a, b), max(a, b)
        self.parent[other] = root
        return root

    def roots(self) -> np.ndarray:
        """The root of every position."""
        parent = np.array(self.parent, dtype=np.int64)
        while True:
            grandparent = parent[parent]
            if np.array_equal(grandparent, parent):
                return parent
            parent = grandparent


class _Persons(UnionFind):
    """Persons, remembering each one's citizen IDs and birth years."""

    def __init__(self, citizen_ids: list[str], years: list[int]) -> None:
        super().__init__(len(years))
        # Per root: the citizen ID of each kind ("" when none), and the span
        # of birth years (0 when unknown).
        self.ids = {
            length: [i if len(i) == length else "" for i in citizen_ids] for length in _ID_LENGTHS
        }
        self.low = list(years)
        self.high = list(years)

    def conflict(self, a: int, b: int) -> str:
        """Why the persons of roots a and b cannot be one ("" when they can)."""
        for ids in self.ids.values():
            if ids[a] and ids[b] and ids[a] != ids[b]:
                return CONFLICT_NOTE
        if self.low[a] and self.low[b]:
            spread = max(self.high[a], self.high[b]) - min(self.low[a], self.low[b])
            if spread > MAX_BIRTH_YEAR_SPREAD:
                return BIRTH_CONFLICT_NOTE
        return ""

    def join(self, a: int, b: int) -> int:
        root = super().join(a, b)
        other = a + b - root
        for ids in self.ids.values():
            ids[root] = ids[root] or ids[other]
        if not self.low[root]:
            self.low[root], self.high[root] = self.low[other], self.high[other]
        elif self.low[other]:
            self.low[root] = min(self.low[root], self.low[other])
            self.high[root] = max(self.high[root], self.high[other])
        return root


def cluster(records: pd.DataFrame, pairs: pd.DataFrame, settings: Settings) -> ClusterResult:
    accepted = (records["status"] == "accepted").to_numpy()
    chosen = records.loc[accepted, ["record_id", "citizen_id_norm", "birth_year"]]
    # Object indexes: pandas' string type would convert every record id first.
    positions = pd.Index(chosen["record_id"].to_numpy(dtype=object), dtype=object)
    pairs = pairs.sort_values(
        ["probability", "left", "right"], ascending=[False, True, True], ignore_index=True
    )
    left = positions.get_indexer(pd.Index(pairs["left"], dtype=object))
    right = positions.get_indexer(pd.Index(pairs["right"], dtype=object))
    outcomes = pairs["outcome"].to_numpy(dtype=object).copy()
    evidence = pairs["evidence"].to_numpy(dtype=object).copy()

    persons = _Persons(
        chosen["citizen_id_norm"].tolist(), chosen["birth_year"].astype(int).tolist()
    )
    for k in np.flatnonzero(outcomes == "link").tolist():
        a, b = persons.find(int(left[k])), persons.find(int(right[k]))
        if a == b:
            continue
        if reason := persons.conflict(a, b):
            outcomes[k] = "review"
            evidence[k] = f"{evidence[k]}; {reason}"
        else:
            persons.join(a, b)
    person = persons.roots()

    # Review groups: persons joined by review pairs, as connected components.
    reviewed = np.flatnonzero(outcomes == "review")
    groups = UnionFind(len(person))
    for a, b in zip(person[left[reviewed]].tolist(), person[right[reviewed]].tolist(), strict=True):
        groups.union(a, b)
    group = groups.roots()[person]
    in_group = pd.Series(person).groupby(group).transform("nunique").to_numpy() > 1

    fingerprints = record_fingerprints(records)
    accepted_fingerprints = fingerprints.to_numpy(dtype=object)[accepted]
    review_group = np.full(len(person), "", dtype=object)
    review_group[in_group] = group_ids(group[in_group], accepted_fingerprints[in_group])
    person_id = np.full(len(records), "", dtype=object)
    person_id[accepted] = person_ids(person, accepted_fingerprints)
    group_of_record = np.full(len(records), "", dtype=object)
    group_of_record[accepted] = review_group
    out = records.assign(
        person_id=person_id, review_group=group_of_record, **{FINGERPRINT: fingerprints}
    )
    pairs = pairs.assign(
        outcome=outcomes,
        evidence=evidence,
        review_group=np.where(outcomes == "review", review_group[left], ""),
    )
    return ClusterResult(records=out, pairs=pairs)
