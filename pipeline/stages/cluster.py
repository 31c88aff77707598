"""cluster: group linked records into persons, and possible matches into review groups.

Links are applied strongest first. A link that would put two different
citizen IDs, or birth years more than a slip apart, into one person is not
applied but sent to review, so that one wrong link cannot chain unrelated
people together.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pipeline.identity import FINGERPRINT, assign_person_ids, group_id, record_identities
from pipeline.settings import Settings

CONFLICT_NOTE = "không tự động gộp vì trong nhóm có hai số CCCD/CMND khác nhau"
BIRTH_CONFLICT_NOTE = "không tự động gộp vì trong nhóm có năm sinh cách nhau quá xa"
# Birth years of one person's records may differ by a typing slip, not more.
MAX_BIRTH_YEAR_SPREAD = 1


@dataclass(frozen=True)
class ClusterResult:
    records: pd.DataFrame  # with person_id and review_group
    pairs: pd.DataFrame  # with review_group; conflicting links turned into reviews


class _Persons:
    """Union–find over record ids that remembers each person's IDs and birth years."""

    def __init__(self, record_ids: list[str], citizen_ids: list[str], years: list[int]) -> None:
        self.parent = {record_id: record_id for record_id in record_ids}
        self.ids = {
            record_id: ({citizen_id} if citizen_id else set())
            for record_id, citizen_id in zip(record_ids, citizen_ids, strict=True)
        }
        self.years = {
            record_id: (year, year) if year else None
            for record_id, year in zip(record_ids, years, strict=True)
        }

    def find(self, record_id: str) -> str:
        root = record_id
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[record_id] != root:
            self.parent[record_id], record_id = root, self.parent[record_id]
        return root

    def conflict(self, left: str, right: str) -> str:
        """Why the two persons cannot be one ("" when they can)."""
        a, b = self.find(left), self.find(right)
        if a == b:
            return ""
        # A person may hold an old 9-digit CMND and a 12-digit CCCD: only IDs
        # of one kind can contradict each other.
        for length in (9, 12):
            ids_a = {i for i in self.ids[a] if len(i) == length}
            ids_b = {i for i in self.ids[b] if len(i) == length}
            if ids_a and ids_b and ids_a != ids_b:
                return CONFLICT_NOTE
        span_a, span_b = self.years[a], self.years[b]
        if span_a and span_b:
            spread = max(span_a[1], span_b[1]) - min(span_a[0], span_b[0])
            if spread > MAX_BIRTH_YEAR_SPREAD:
                return BIRTH_CONFLICT_NOTE
        return ""

    def link(self, left: str, right: str) -> None:
        a, b = self.find(left), self.find(right)
        if a == b:
            return
        a, b = min(a, b), max(a, b)
        self.parent[b] = a
        self.ids[a] |= self.ids.pop(b)
        span_a, span_b = self.years[a], self.years.pop(b)
        if span_a and span_b:
            self.years[a] = (min(span_a[0], span_b[0]), max(span_a[1], span_b[1]))
        else:
            self.years[a] = span_a or span_b


def cluster(records: pd.DataFrame, pairs: pd.DataFrame, settings: Settings) -> ClusterResult:
    accepted = records["status"] == "accepted"
    record_ids = records.loc[accepted, "record_id"].tolist()
    persons = _Persons(
        record_ids,
        records.loc[accepted, "citizen_id_norm"].tolist(),
        records.loc[accepted, "birth_year"].astype(int).tolist(),
    )

    pairs = pairs.sort_values(
        ["probability", "left", "right"], ascending=[False, True, True], ignore_index=True
    )
    outcomes = pairs["outcome"].tolist()
    evidence = pairs["evidence"].tolist()
    for position, (left, right) in enumerate(zip(pairs["left"], pairs["right"], strict=True)):
        if outcomes[position] != "link":
            continue
        if reason := persons.conflict(left, right):
            outcomes[position] = "review"
            evidence[position] = f"{evidence[position]}; {reason}"
        else:
            persons.link(left, right)

    members: dict[str, list[str]] = {}
    for record_id in record_ids:
        members.setdefault(persons.find(record_id), []).append(record_id)
    person_of, fingerprint_of = _person_ids(records, members)

    # Review groups: persons joined by review pairs, as connected components.
    groups = _Persons(sorted(members), [""] * len(members), [0] * len(members))
    for left, right, outcome in zip(pairs["left"], pairs["right"], outcomes, strict=True):
        if outcome == "review":
            groups.link(persons.find(left), persons.find(right))
    group_members: dict[str, list[str]] = {}
    for root in members:
        group_members.setdefault(groups.find(root), []).append(root)
    group_of_person: dict[str, str] = {}
    for roots in group_members.values():
        if len(roots) > 1:
            group = group_id(
                fingerprint_of[record_id] for root in roots for record_id in members[root]
            )
            for root in roots:
                group_of_person[root] = group

    out = records.copy()
    out["person_id"] = [person_of.get(record_id, "") for record_id in records["record_id"]]
    out["review_group"] = [
        group_of_person.get(persons.find(record_id), "") if record_id in person_of else ""
        for record_id in records["record_id"]
    ]
    pairs = pairs.assign(outcome=outcomes, evidence=evidence)
    pairs["review_group"] = [
        group_of_person.get(persons.find(left), "") if outcome == "review" else ""
        for left, outcome in zip(pairs["left"], outcomes, strict=True)
    ]
    return ClusterResult(records=out, pairs=pairs)


def _person_ids(
    records: pd.DataFrame, members: dict[str, list[str]]
) -> tuple[dict[str, str], dict[str, str]]:
    """record_id -> person id, and record_id -> fingerprint, for accepted records.

    Ids come from the records' fingerprints (pipeline.identity), not their rows,
    so re-sorting a roster does not rename its people; `decide` then keeps
    the ids of earlier runs.
    """
    identities = record_identities(records)
    fingerprint_of = dict(zip(records["record_id"], identities[FINGERPRINT], strict=True))
    groups = list(members.values())
    ids = assign_person_ids([[fingerprint_of[r] for r in group] for group in groups])
    person_of = {
        record_id: pid for group, pid in zip(groups, ids, strict=True) for record_id in group
    }
    return person_of, fingerprint_of
