"""decide: apply reviewers' decisions to the engine's persons and review groups.

A decision is what a reviewer wrote for one group of the review workbook: for
each record "same person" (as the others marked so), "different person" (from
every other record of the group) or "not sure", and optionally the
organization that keeps the person as core. Records are named by fingerprint
(pipeline.identity), so decisions outlive re-sorted and edited rosters.

Decisions override the engine: "same" records are joined first, then the
engine's links are replayed, skipping any link that would put two records
declared different into one person. Between two records the latest
decision counts (decisions come in batches, one per run that collected them);
two decisions of one batch that disagree are a conflict, and so is a chain of
"same" decisions joining two records declared different. A conflict is never
settled here: its records are shown for re-review and the engine's proposal
stands meanwhile. So is a decision whose records changed materially or
disappeared, until a later decision covers the records that remain.

Records gain DECIDE_COLUMNS (pipeline.models) and REVIEW_NOTE: the decision
in force, or why the group must be reviewed again, for the review workbook.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import combinations
from typing import Protocol

import pandas as pd

from pipeline.identity import (
    FINGERPRINT,
    LOOSE_BIRTH,
    LOOSE_NAME,
    assign_person_ids,
    group_id,
    record_identities,
)
from pipeline.settings import Settings
from pipeline.text import display_value

# review_state values (pipeline.models.DECIDE_COLUMNS).
PENDING = "pending"
DECIDED = "decided"
NEEDS_REREVIEW = "needs_rereview"
# Vietnamese text shown next to a record in the review workbook: the decision
# in force, or why its group needs another look ("" when neither).
REVIEW_NOTE = "review_note"


class Verdict(StrEnum):
    SAME = "same"
    DIFFERENT = "different"
    UNSURE = "unsure"


VERDICT_LABELS = {
    Verdict.SAME: "Cùng một người",
    Verdict.DIFFERENT: "Khác người",
    Verdict.UNSURE: "Chưa rõ",
}


@dataclass(frozen=True)
class RecordRef:
    """A record as the reviewer saw it, with the verdict written next to it."""

    fingerprint: str
    loose_keys: tuple[str, ...]  # pipeline.identity's loose keys, to recognise it changed
    verdict: Verdict
    organization: str
    source_file: str
    sheet: str
    row: int | None
    full_name: str
    birth_date: str  # as displayed
    citizen_id: str


@dataclass(frozen=True)
class Decision:
    """A reviewer's verdict on one group of records."""

    decision_id: str
    records: tuple[RecordRef, ...]
    keeps_core: str  # organization code that keeps the person as core, or ""
    note: str
    reviewer: str
    decided_on: str  # ISO date, "" when unknown
    group: str  # the group as the workbook showed it
    source: str  # the workbook (and sheet) it was read from
    batch: int = 0  # collection order: a later batch supersedes an earlier one


class DecisionStore(Protocol):
    def decisions(self) -> Sequence[Decision]: ...

    def person_ids(self) -> Mapping[str, str]:
        """fingerprint -> person id given in earlier runs."""
        ...


@dataclass(frozen=True)
class DecideResult:
    records: pd.DataFrame
    pairs: pd.DataFrame
    applied: int  # decisions in force this run
    # "Nhóm G…: why" for every group needing re-review, in Vietnamese.
    rereview: list[str] = field(default_factory=list)
    # fingerprint -> person id of every accepted record, for the registry.
    person_ids: dict[str, str] = field(default_factory=dict)


@dataclass
class _PairEntry:
    """The latest verdicts on one pair of fingerprints."""

    batch: int
    verdicts: set[Verdict]
    decisions: list[int]  # indexes into the decision list


def decide(
    records: pd.DataFrame, pairs: pd.DataFrame, store: DecisionStore, settings: Settings
) -> DecideResult:
    """Persons, review groups and states after the store's decisions; person
    ids as earlier runs gave them (the store's registry)."""
    identities = record_identities(records)
    accepted = records["status"] == "accepted"
    decisions = sorted(store.decisions(), key=lambda d: d.batch)
    world = _World(records.loc[accepted], identities.loc[accepted], settings)
    known = {ref.fingerprint for decision in decisions for ref in decision.records}
    resolved = [world.resolve(d, known) for d in decisions]
    verdicts = _latest_verdicts(decisions)

    flags = _Flags()
    must, cannot, unsure = _applicable(decisions, resolved, verdicts, world, flags)
    persons = world.persons(pairs, must, cannot)
    keepers, claimed = _keepers(decisions, resolved, must, persons, world, flags)
    groups = world.groups(persons, pairs, cannot, unsure, flags)

    in_force = claimed | {i for pair in (*must, *cannot) for i in verdicts[pair].decisions}
    shown = _shown_decision(decisions, resolved, verdicts, in_force)
    doubts = [*_between(pairs, "review"), *((world.rid_of[a], world.rid_of[b]) for a, b in unsure)]
    out = records.copy()
    table = world.table(persons, groups, keepers, cannot, doubts, set(shown), flags)
    for column in table.columns:
        out[column] = ""
        out.loc[accepted, column] = table[column].to_numpy()
    out.loc[accepted, REVIEW_NOTE] = [
        flags.note(rid) or _describe(decisions, shown.get(rid), world) for rid in world.record_ids
    ]

    group_of = dict(zip(world.record_ids, table["review_group"], strict=True))
    pairs = pairs.copy()
    pairs["review_group"] = [
        group_of.get(left, "")
        if outcome == "review" and group_of.get(left) == group_of.get(right)
        else ""
        for left, right, outcome in zip(
            pairs["left"], pairs["right"], pairs["outcome"], strict=True
        )
    ]
    registry = world.registered_ids(persons, store.person_ids())
    out.loc[accepted, "person_id"] = [registry[fp] for fp in world.fingerprints]
    return DecideResult(
        records=out,
        pairs=pairs,
        applied=len(in_force),
        rereview=flags.summary(group_of),
        person_ids=registry,
    )


Pair = frozenset[str]  # two fingerprints


def _between(pairs: pd.DataFrame, outcome: str) -> list[tuple[str, str]]:
    """(left, right) of the pairs with that outcome, in the frame's order."""
    chosen = pairs.loc[pairs["outcome"] == outcome]
    return list(zip(chosen["left"].tolist(), chosen["right"].tolist(), strict=True))


def _pair_verdicts(decision: Decision) -> Iterator[tuple[Pair, Verdict]]:
    """The verdicts a decision implies between its records, pair by pair."""
    for a, b in combinations(decision.records, 2):
        if a.fingerprint == b.fingerprint:
            continue
        kinds = {a.verdict, b.verdict}
        if Verdict.UNSURE in kinds:
            verdict = Verdict.UNSURE
        elif Verdict.DIFFERENT in kinds:
            verdict = Verdict.DIFFERENT
        else:
            verdict = Verdict.SAME
        yield frozenset((a.fingerprint, b.fingerprint)), verdict


def _latest_verdicts(decisions: Sequence[Decision]) -> dict[Pair, _PairEntry]:
    latest: dict[Pair, _PairEntry] = {}
    for index, decision in enumerate(decisions):
        for pair, verdict in _pair_verdicts(decision):
            entry = latest.get(pair)
            if entry is None or decision.batch > entry.batch:
                latest[pair] = _PairEntry(decision.batch, {verdict}, [index])
            else:
                entry.verdicts.add(verdict)
                entry.decisions.append(index)
    return latest


@dataclass(frozen=True)
class _Resolved:
    """Where a decision's records are now: fingerprint -> current record_id."""

    found: dict[str, str]
    changed: dict[str, str]  # old fingerprint -> the record it became; the rest vanished

    def present(self, fingerprint: str) -> str | None:
        return self.found.get(fingerprint) or self.changed.get(fingerprint)


class _Flags:
    """Records whose group must be reviewed again, and why."""

    def __init__(self) -> None:
        self.reasons: dict[str, list[str]] = {}
        self.together: list[set[str]] = []  # record sets to show as one group

    def add(self, record_ids: Iterable[str], reason: str) -> None:
        chosen = set(record_ids)
        if not chosen:
            return
        self.together.append(chosen)
        for rid in chosen:
            known = self.reasons.setdefault(rid, [])
            if reason not in known:
                known.append(reason)

    def note(self, rid: str) -> str:
        reasons = self.reasons.get(rid)
        return "Cần xem lại: " + " ".join(reasons) if reasons else ""

    def summary(self, group_of: Mapping[str, str]) -> list[str]:
        lines: dict[str, list[str]] = {}
        for rid, reasons in self.reasons.items():
            known = lines.setdefault(group_of.get(rid, ""), [])
            known += [reason for reason in reasons if reason not in known]
        return [f"Nhóm {group}: {' '.join(reasons)}" for group, reasons in sorted(lines.items())]


class _World:
    """The accepted records of this run, looked up the ways decisions need."""

    def __init__(self, accepted: pd.DataFrame, identities: pd.DataFrame, settings: Settings):
        self.records = accepted
        self.identities = identities
        self.record_ids: list[str] = accepted["record_id"].astype(str).tolist()
        self.fingerprints: list[str] = identities[FINGERPRINT].tolist()
        self.rid_of = dict(zip(self.fingerprints, self.record_ids, strict=True))
        self.fingerprint_of = dict(zip(self.record_ids, self.fingerprints, strict=True))
        self.position = {rid: position for position, rid in enumerate(self.record_ids)}
        self.organization = dict(
            zip(self.record_ids, accepted["organization"].astype(str).tolist(), strict=True)
        )
        self.core = dict(zip(self.record_ids, accepted["is_core"].eq(True).tolist(), strict=True))
        self.org_names = {org.code: org.name for org in settings.organizations}

    @functools.cached_property
    def loose(self) -> dict[str, list[str]]:
        """Loose key -> record ids; built only when a decided record has vanished."""
        index: dict[str, list[str]] = {}
        for column in (LOOSE_NAME, LOOSE_BIRTH):
            for rid, key in zip(self.record_ids, self.identities[column].tolist(), strict=True):
                index.setdefault(key, []).append(rid)
        return index

    def shown(self, rid: str, field: str) -> str:
        """A field of a record as the review workbook shows it."""
        record = self.records.iloc[self.position[rid]]
        if field == "citizen_id":
            # Normalized, else as written.
            return display_value(record["citizen_id_norm"]) or display_value(record["citizen_id"])
        return display_value(record[field])

    def name(self, rid: str) -> str:
        return self.shown(rid, "full_name")

    def org_name(self, code: str) -> str:
        return self.org_names.get(code, code)

    def resolve(self, decision: Decision, known: set[str]) -> _Resolved:
        """Find the decision's records; `known` are the fingerprints any decision
        names, which cannot be a new version of another record."""
        found: dict[str, str] = {}
        changed: dict[str, str] = {}
        for ref in decision.records:
            rid = self.rid_of.get(ref.fingerprint)
            if rid is not None:
                found[ref.fingerprint] = rid
            elif (successor := self._successor(ref, known)) is not None:
                changed[ref.fingerprint] = successor
        return _Resolved(found, changed)

    def _successor(self, ref: RecordRef, known: set[str]) -> str | None:
        """The one current record a vanished record became, if its loose keys tell."""
        for key in ref.loose_keys:
            candidates = [
                rid for rid in self.loose.get(key, ()) if self.fingerprint_of[rid] not in known
            ]
            if len(candidates) == 1:
                return candidates[0]
        return None

    def where(self, ref: RecordRef) -> str:
        row = f", dòng {ref.row}" if ref.row is not None else ""
        return f"“{ref.full_name}” ({self.org_name(ref.organization)}, {ref.source_file}{row})"

    def change(self, ref: RecordRef, rid: str) -> str:
        parts = []
        name, birth, citizen_id = (
            self.shown(rid, field) for field in ("full_name", "birth_date", "citizen_id")
        )
        if name != ref.full_name:
            parts.append(f"họ tên đã sửa từ “{ref.full_name}” thành “{name}”")
        if birth != ref.birth_date:
            parts.append(f"ngày sinh đã sửa từ “{ref.birth_date}” thành “{birth}”")
        if citizen_id != ref.citizen_id:
            before, after = ref.citizen_id or "trống", citizen_id or "trống"
            parts.append(f"số CCCD đã đổi từ “{before}” thành “{after}”")
        what = ", ".join(parts) or "thông tin nhận dạng (họ tên, ngày sinh, số CCCD) đã thay đổi"
        return f"dòng {self.where(ref)}: {what}."

    def persons(
        self, pairs: pd.DataFrame, must: Sequence[Pair], cannot: Sequence[Pair]
    ) -> _UnionFind:
        """Persons after decisions: "same" first, then the engine's links unless
        they would join records declared different."""
        persons = _UnionFind(self.record_ids)
        if not must and not cannot:
            engine = dict(zip(self.record_ids, self.records["person_id"].astype(str), strict=True))
            first: dict[str, str] = {}
            for rid in self.record_ids:
                persons.union(first.setdefault(engine[rid], rid), rid)
            return persons
        for pair in cannot:
            a, b = (self.rid_of[fp] for fp in pair)
            persons.forbid(a, b)
        for pair in must:
            a, b = (self.rid_of[fp] for fp in pair)
            persons.union(a, b)
        # The engine's order (pipeline.stages.cluster): strongest links first.
        links = pairs.sort_values(["probability", "left", "right"], ascending=[False, True, True])
        for left, right in _between(links, "link"):
            persons.union(left, right)
        return persons

    def groups(
        self,
        persons: _UnionFind,
        pairs: pd.DataFrame,
        cannot: Sequence[Pair],
        unsure: Sequence[Pair],
        flags: _Flags,
    ) -> _UnionFind:
        """Records reviewed together: persons joined by the engine's doubts,
        by decisions between them, and by decisions to look at again."""
        groups = _UnionFind(self.record_ids)
        for rid in self.record_ids:
            groups.union(persons.find(rid), rid)
        for left, right in _between(pairs, "review"):
            groups.union(left, right)
        for pair in (*cannot, *unsure):
            a, b = (self.rid_of[fp] for fp in pair)
            groups.union(a, b)
        for together in flags.together:
            first, *rest = together
            for rid in rest:
                groups.union(first, rid)
        return groups

    def table(
        self,
        persons: _UnionFind,
        groups: _UnionFind,
        keepers: Mapping[str, str],
        cannot: Sequence[Pair],
        doubts: Sequence[tuple[str, str]],
        decided: set[str],
        flags: _Flags,
    ) -> pd.DataFrame:
        """review_group, core_kept_by and review_state of every accepted record.

        A group is pending while a doubt (the engine's, or a reviewer's "not
        sure") between two of its persons is not settled by a "different"
        decision, or while a person in it is core in several organizations
        with none chosen to keep them; decided when a decision in force
        covers a record of it."""
        person = [persons.find(rid) for rid in self.record_ids]
        group = [groups.find(rid) for rid in self.record_ids]
        members: dict[str, list[int]] = {}
        for position, root in enumerate(group):
            members.setdefault(root, []).append(position)

        settled = {frozenset(persons.find(self.rid_of[fp]) for fp in pair) for pair in cannot}
        open_groups = set()
        for left, right in doubts:
            between = frozenset((persons.find(left), persons.find(right)))
            if len(between) == 2 and between not in settled:
                open_groups.add(groups.find(left))
        core_organizations: dict[str, set[str]] = {}
        for rid, root in zip(self.record_ids, person, strict=True):
            if self.core[rid]:
                core_organizations.setdefault(root, set()).add(self.organization[rid])
        for rid, root in zip(self.record_ids, person, strict=True):
            if len(core_organizations.get(root, ())) > 1 and root not in keepers:
                open_groups.add(groups.find(rid))

        review_group: dict[str, str] = {}
        state: dict[str, str] = {}
        for root, positions in members.items():
            rids = [self.record_ids[p] for p in positions]
            several = len({person[p] for p in positions}) > 1
            flagged = any(rid in flags.reasons for rid in rids)
            review_group[root] = (
                group_id(self.fingerprint_of[rid] for rid in rids) if several or flagged else ""
            )
            if flagged:
                state[root] = NEEDS_REREVIEW
            elif root in open_groups:
                state[root] = PENDING
            elif decided.intersection(rids):
                state[root] = DECIDED
            else:
                state[root] = ""
        return pd.DataFrame(
            {
                "review_group": [review_group[root] for root in group],
                "core_kept_by": [keepers.get(root, "") for root in person],
                "review_state": [state[root] for root in group],
            }
        )

    def registered_ids(self, persons: _UnionFind, registry: Mapping[str, str]) -> dict[str, str]:
        """fingerprint -> person id, keeping earlier runs' ids (pipeline.identity)."""
        members: dict[str, list[str]] = {}
        for rid, fingerprint in zip(self.record_ids, self.fingerprints, strict=True):
            members.setdefault(persons.find(rid), []).append(fingerprint)
        ordered = sorted(members.values(), key=min)
        ids = assign_person_ids(ordered, registry)
        return {fp: pid for group, pid in zip(ordered, ids, strict=True) for fp in group}


class _UnionFind:
    """Union–find over record ids; `forbid` marks pairs that must stay apart."""

    def __init__(self, items: Iterable[str]) -> None:
        self.parent = {item: item for item in items}
        self.apart: dict[str, set[str]] = {}

    def find(self, item: str) -> str:
        root = item
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[item] != root:
            self.parent[item], item = root, self.parent[item]
        return root

    def forbid(self, a: str, b: str) -> None:
        self.apart.setdefault(a, set()).add(b)
        self.apart.setdefault(b, set()).add(a)

    def union(self, a: str, b: str) -> bool:
        """Join the sets of a and b unless a forbidden pair would end up in one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        apart_a, apart_b = self.apart.get(ra, set()), self.apart.get(rb, set())
        if any(self.find(x) == rb for x in apart_a) or any(self.find(x) == ra for x in apart_b):
            return False
        ra, rb = min(ra, rb), max(ra, rb)
        self.parent[rb] = ra
        if apart_a or apart_b:
            self.apart[ra] = apart_a | apart_b
            self.apart.pop(rb, None)
        return True


def _applicable(
    decisions: Sequence[Decision],
    resolved: Sequence[_Resolved],
    verdicts: Mapping[Pair, _PairEntry],
    world: _World,
    flags: _Flags,
) -> tuple[list[Pair], list[Pair], list[Pair]]:
    """The pairs to apply ("same", "different") and to leave open ("not sure");
    flags stale decisions and conflicts instead of applying them."""
    same: list[Pair] = []
    different: list[Pair] = []
    unsure: list[Pair] = []
    for pair, entry in sorted(verdicts.items(), key=lambda item: sorted(item[0])):
        index = entry.decisions[0]
        if not all(fp in resolved[index].found for fp in pair):
            _flag_stale(pair, entry, decisions, resolved, world, flags)
            continue
        if len(entry.verdicts) > 1:
            _flag_disagreement(pair, entry, decisions, world, flags)
            continue
        (verdict,) = entry.verdicts
        {Verdict.SAME: same, Verdict.DIFFERENT: different, Verdict.UNSURE: unsure}[verdict].append(
            pair
        )

    # A chain of "same" joining two records declared different: none of the
    # decisions involved is applied, all are shown again.
    chains = _UnionFind(fp for pair in same for fp in pair)
    for pair in same:
        chains.union(*pair)
    broken: set[str] = set()
    for pair in different:
        if not _one_chain(chains, pair):
            continue
        root = chains.find(next(iter(pair)))
        broken.add(root)
        a, b = (world.rid_of[fp] for fp in sorted(pair))
        flags.add(
            (world.rid_of[fp] for fp in chains.parent if chains.find(fp) == root),
            f"Các quyết định mâu thuẫn nhau: {world.name(a)} và {world.name(b)} được ghi là "
            "khác người, nhưng các quyết định “Cùng một người” lại nối hai dòng này với nhau. "
            "Hãy quyết định lại cả nhóm.",
        )
    in_broken = {fp for fp in chains.parent if chains.find(fp) in broken}
    same = [pair for pair in same if not pair & in_broken]
    different = [pair for pair in different if not pair & in_broken]
    return same, different, unsure


def _one_chain(chains: _UnionFind, pair: Pair) -> bool:
    a, b = pair
    return a in chains.parent and b in chains.parent and chains.find(a) == chains.find(b)


def _flag_stale(
    pair: Pair,
    entry: _PairEntry,
    decisions: Sequence[Decision],
    resolved: Sequence[_Resolved],
    world: _World,
    flags: _Flags,
) -> None:
    """A verdict whose records changed or vanished, unless a later decision
    already covers the records that remain."""
    index = entry.decisions[0]
    where = resolved[index]
    remaining = {rid for fp in pair if (rid := where.present(fp)) is not None}
    if not remaining:
        return  # both records are gone: nothing left to decide
    for later, decision in zip(resolved, decisions, strict=True):
        if decision.batch > entry.batch and remaining <= set(later.found.values()):
            return
    decision = decisions[index]
    refs = {ref.fingerprint: ref for ref in decision.records}
    reasons = []
    for fp in sorted(pair):
        if fp in where.changed:
            reasons.append(world.change(refs[fp], where.changed[fp]))
        elif fp not in where.found:
            reasons.append(f"dòng {world.where(refs[fp])} không còn trong danh sách.")
    flags.add(remaining, " ".join(reasons) + f" Quyết định trước: {_summary(decision, world)}.")


def _flag_disagreement(
    pair: Pair,
    entry: _PairEntry,
    decisions: Sequence[Decision],
    world: _World,
    flags: _Flags,
) -> None:
    a, b = (world.rid_of[fp] for fp in sorted(pair))
    written = "; ".join(
        f"{decisions[i].source}: {_summary(decisions[i], world)}" for i in entry.decisions
    )
    flags.add(
        (a, b),
        f"Hai quyết định ghi khác nhau cho {world.name(a)} và {world.name(b)} ({written}). "
        "Hãy quyết định lại nhóm này.",
    )


def _keepers(
    decisions: Sequence[Decision],
    resolved: Sequence[_Resolved],
    must: Sequence[Pair],
    persons: _UnionFind,
    world: _World,
    flags: _Flags,
) -> tuple[dict[str, str], set[int]]:
    """person root -> organization keeping them as core, and the decisions
    whose choice is in force. A choice counts for the records its decision
    joined; two choices of one batch that differ are a conflict."""
    joined = set(must)
    claims: dict[str, dict[int, set[str]]] = {}  # root -> batch -> organizations
    claimants: dict[str, dict[int, list[int]]] = {}
    for index, (decision, where) in enumerate(zip(decisions, resolved, strict=True)):
        if not decision.keeps_core:
            continue
        same = [ref.fingerprint for ref in decision.records if ref.verdict is Verdict.SAME]
        kept = {
            where.found[fp]
            for pair in combinations(same, 2)
            if frozenset(pair) in joined
            for fp in pair
        }
        for root in {persons.find(rid) for rid in kept}:
            claims.setdefault(root, {}).setdefault(decision.batch, set()).add(decision.keeps_core)
            claimants.setdefault(root, {}).setdefault(decision.batch, []).append(index)

    members: dict[str, list[str]] = {root: [] for root in claims}
    for rid in world.record_ids if claims else ():
        root = persons.find(rid)
        if root in members:
            members[root].append(rid)
    keepers: dict[str, str] = {}
    in_force: set[int] = set()
    for root, by_batch in claims.items():
        batch = max(by_batch)
        chosen = by_batch[batch]
        organizations = {world.organization[rid] for rid in members[root]}
        if len(chosen) > 1:
            names = ", ".join(sorted(world.org_name(org) for org in chosen))
            flags.add(
                members[root],
                f"Các quyết định chọn những tổ chức khác nhau giữ nòng cốt ({names}). "
                "Hãy chọn một tổ chức.",
            )
        elif (organization := next(iter(chosen))) not in organizations:
            flags.add(
                members[root],
                f"{world.org_name(organization)}, tổ chức được chọn giữ nòng cốt, không còn dòng "
                "nào của người này.",
            )
        else:
            keepers[root] = organization
            in_force.update(claimants[root][batch])
    return keepers, in_force


def _shown_decision(
    decisions: Sequence[Decision],
    resolved: Sequence[_Resolved],
    verdicts: Mapping[Pair, _PairEntry],
    in_force: set[int],
) -> dict[str, tuple[int, RecordRef]]:
    """record_id -> the latest decision to show next to it: one in force, or
    one that left the record open ("not sure")."""
    open_decisions = {
        i
        for entry in verdicts.values()
        if entry.verdicts == {Verdict.UNSURE}
        for i in entry.decisions
    }
    shown: dict[str, tuple[int, RecordRef]] = {}
    for index, decision in enumerate(decisions):
        if index not in in_force and index not in open_decisions:
            continue
        for ref in decision.records:
            rid = resolved[index].found.get(ref.fingerprint)
            if rid is not None:
                shown[rid] = (index, ref)
    return shown


def _summary(decision: Decision, world: _World) -> str:
    """One line for a whole decision: its verdicts, who decided and when."""
    kinds = {ref.verdict for ref in decision.records}
    if len(kinds) == 1:
        verdicts = VERDICT_LABELS[next(iter(kinds))]
    else:
        verdicts = ", ".join(
            f"{ref.full_name} ({world.org_name(ref.organization)}): {VERDICT_LABELS[ref.verdict]}"
            for ref in decision.records
        )
    return verdicts + _signature(decision, world)


def _signature(decision: Decision, world: _World, *, keeper: bool = True) -> str:
    parts = []
    if decision.keeps_core and keeper:
        parts.append(f"giữ nòng cốt: {world.org_name(decision.keeps_core)}")
    who = decision.reviewer or "không ghi người rà soát"
    if decision.decided_on:
        year, month, day = decision.decided_on.split("-")
        who += f", {day}/{month}/{year}"
    parts.append(who)
    if decision.note:
        parts.append(f"ghi chú: {decision.note}")
    return "; " + "; ".join(parts)


def _describe(
    decisions: Sequence[Decision], shown: tuple[int, RecordRef] | None, world: _World
) -> str:
    if shown is None:
        return ""
    index, ref = shown
    keeper = ref.verdict is Verdict.SAME
    return VERDICT_LABELS[ref.verdict] + _signature(decisions[index], world, keeper=keeper)
