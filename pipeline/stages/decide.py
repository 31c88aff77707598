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

import numpy as np
import pandas as pd

from pipeline.identity import (
    FINGERPRINT,
    LOOSE_BIRTH,
    LOOSE_NAME,
    group_ids,
    person_ids,
    record_identities,
)
from pipeline.settings import Settings
from pipeline.stages.cluster import UnionFind
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
    ids as earlier runs gave them (the store's registry).

    Needs the records as `cluster` returns them (with their fingerprints)."""
    accepted = (records["status"] == "accepted").to_numpy()
    decisions = sorted(store.decisions(), key=lambda d: d.batch)
    world = _World(records, accepted, settings)
    known = {ref.fingerprint for decision in decisions for ref in decision.records}
    resolved = [world.resolve(d, known) for d in decisions]
    verdicts = _latest_verdicts(decisions)

    flags = _Flags()
    must, cannot, unsure = _applicable(decisions, resolved, verdicts, world, flags)
    engine = _Pairs(pairs, world)
    person = world.persons(engine, must, cannot)
    keepers, claimed = _keepers(decisions, resolved, must, person, world, flags)
    group = world.groups(person, engine, cannot, unsure, flags)

    in_force = claimed | {i for pair in (*must, *cannot) for i in verdicts[pair].decisions}
    shown = _shown_decision(decisions, resolved, verdicts, in_force)
    table = world.table(person, group, engine, keepers, cannot, unsure, set(shown), flags)
    notes = np.full(len(person), "", dtype=object)
    for position in set(flags.reasons) | set(shown):
        notes[position] = flags.note(position) or _describe(decisions, shown.get(position), world)
    table[REVIEW_NOTE] = notes

    review_group = table["review_group"]
    left, right = engine.left, engine.right
    same_group = (engine.outcome == "review") & (review_group[left] == review_group[right])
    registry = store.person_ids()
    if registry or must or cannot:
        ids = person_ids(person, world.fingerprints, registry)
    else:
        ids = world.engine_person_ids  # the engine's persons, and no earlier ids to keep
    table["person_id"] = ids
    columns = {}
    for column, values in table.items():
        full = (
            records["person_id"].to_numpy(dtype=object).copy()
            if column == "person_id"
            else np.full(len(records), "", dtype=object)
        )
        full[accepted] = values
        columns[column] = full
    return DecideResult(
        records=records.assign(**columns),
        pairs=pairs.assign(review_group=np.where(same_group, review_group[left], "")),
        applied=len(in_force),
        rereview=flags.summary(review_group),
        person_ids=dict(zip(world.fingerprints.tolist(), ids.tolist(), strict=True)),
    )


Pair = frozenset[str]  # two fingerprints


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
    """Where a decision's records are now: fingerprint -> current record position."""

    found: dict[str, int]
    changed: dict[str, int]  # old fingerprint -> the record it became; the rest vanished

    def present(self, fingerprint: str) -> int | None:
        position = self.found.get(fingerprint)
        return position if position is not None else self.changed.get(fingerprint)


class _Flags:
    """Records whose group must be reviewed again, and why."""

    def __init__(self) -> None:
        self.reasons: dict[int, list[str]] = {}  # record position -> reasons
        self.together: list[set[int]] = []  # record sets to show as one group

    def add(self, positions: Iterable[int], reason: str) -> None:
        chosen = set(positions)
        if not chosen:
            return
        self.together.append(chosen)
        for position in sorted(chosen):
            known = self.reasons.setdefault(position, [])
            if reason not in known:
                known.append(reason)

    def note(self, position: int) -> str:
        reasons = self.reasons.get(position)
        return "Cần xem lại: " + " ".join(reasons) if reasons else ""

    def summary(self, group_of: np.ndarray) -> list[str]:
        """One line per group, `group_of` giving each record position's group."""
        lines: dict[str, list[str]] = {}
        for position, reasons in self.reasons.items():
            known = lines.setdefault(group_of[position], [])
            known += [reason for reason in reasons if reason not in known]
        return [f"Nhóm {group}: {' '.join(reasons)}" for group, reasons in sorted(lines.items())]


class _World:
    """The accepted records of this run, by position, looked up the ways decisions need."""

    def __init__(self, records: pd.DataFrame, accepted: np.ndarray, settings: Settings):
        self.records = records
        self.rows = np.flatnonzero(accepted)  # record position -> row in `records`
        self.fingerprints = records[FINGERPRINT].to_numpy(dtype=object)[accepted]
        self.organization = records["organization"].astype(str).to_numpy(dtype=object)[accepted]
        self.org_names = {org.code: org.name for org in settings.organizations}

    @functools.cached_property
    def _record_positions(self) -> pd.Index:
        return pd.Index(self.records["record_id"].to_numpy(dtype=object)[self.rows], dtype=object)

    @functools.cached_property
    def engine_person_ids(self) -> np.ndarray:
        return self.records["person_id"].to_numpy(dtype=object)[self.rows]

    @functools.cached_property
    def _fingerprint_positions(self) -> dict[str, int]:
        return {fp: position for position, fp in enumerate(self.fingerprints.tolist())}

    def positions(self, record_ids: pd.Series) -> np.ndarray:
        return self._record_positions.get_indexer(pd.Index(record_ids, dtype=object))

    def at(self, fingerprint: str) -> int:
        """The position of the record with that fingerprint."""
        return self._fingerprint_positions[fingerprint]

    @functools.cached_property
    def loose(self) -> dict[str, list[int]]:
        """Loose key -> record positions; built only when a decided record has vanished."""
        identities = record_identities(self.records).iloc[self.rows]
        index: dict[str, list[int]] = {}
        for column in (LOOSE_NAME, LOOSE_BIRTH):
            for position, key in enumerate(identities[column].tolist()):
                index.setdefault(key, []).append(position)
        return index

    def shown(self, position: int, field: str) -> str:
        """A field of a record as the review workbook shows it."""
        record = self.records.iloc[self.rows[position]]
        if field == "citizen_id":
            # Normalized, else as written.
            return display_value(record["citizen_id_norm"]) or display_value(record["citizen_id"])
        return display_value(record[field])

    def name(self, position: int) -> str:
        return self.shown(position, "full_name")

    def org_name(self, code: str) -> str:
        return self.org_names.get(code, code)

    def resolve(self, decision: Decision, known: set[str]) -> _Resolved:
        """Find the decision's records; `known` are the fingerprints any decision
        names, which cannot be a new version of another record."""
        found: dict[str, int] = {}
        changed: dict[str, int] = {}
        for ref in decision.records:
            position = self._fingerprint_positions.get(ref.fingerprint)
            if position is not None:
                found[ref.fingerprint] = position
            elif (successor := self._successor(ref, known)) is not None:
                changed[ref.fingerprint] = successor
        return _Resolved(found, changed)

    def _successor(self, ref: RecordRef, known: set[str]) -> int | None:
        """The one current record a vanished record became, if its loose keys tell."""
        for key in ref.loose_keys:
            candidates = [
                position
                for position in self.loose.get(key, ())
                if self.fingerprints[position] not in known
            ]
            if len(candidates) == 1:
                return candidates[0]
        return None

    def where(self, ref: RecordRef) -> str:
        row = f", dòng {ref.row}" if ref.row is not None else ""
        return f"“{ref.full_name}” ({self.org_name(ref.organization)}, {ref.source_file}{row})"

    def change(self, ref: RecordRef, position: int) -> str:
        parts = []
        name, birth, citizen_id = (
            self.shown(position, field) for field in ("full_name", "birth_date", "citizen_id")
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

    def persons(self, engine: _Pairs, must: Sequence[Pair], cannot: Sequence[Pair]) -> np.ndarray:
        """Each record's person (the position of its first record) after
        decisions: "same" first, then the engine's links unless they would join
        records declared different."""
        if not must and not cannot:
            codes, _ = pd.factorize(self.engine_person_ids)
            _, first = np.unique(codes, return_index=True)
            return first[codes]
        persons = _Apart(len(self.rows))
        for pair in cannot:
            persons.forbid(*(self.at(fp) for fp in pair))
        for pair in must:
            persons.union(*(self.at(fp) for fp in pair))
        left, right = engine.between("link", strongest_first=True)
        for a, b in zip(left.tolist(), right.tolist(), strict=True):
            persons.union(a, b)
        return persons.roots()

    def groups(
        self,
        person: np.ndarray,
        engine: _Pairs,
        cannot: Sequence[Pair],
        unsure: Sequence[Pair],
        flags: _Flags,
    ) -> np.ndarray:
        """Each record's group (a position in it): records reviewed together,
        persons joined by the engine's doubts, by decisions between them, and
        by decisions to look at again."""
        groups = UnionFind(len(person))
        groups.parent = person.tolist()
        left, right = engine.between("review")
        joined = [*zip(left.tolist(), right.tolist(), strict=True)]
        for pair in (*cannot, *unsure):
            a, b = pair
            joined.append((self.at(a), self.at(b)))
        for together in flags.together:
            first, *rest = together
            joined += [(first, position) for position in rest]
        for a, b in joined:
            groups.union(a, b)
        return groups.roots()

    def table(
        self,
        person: np.ndarray,
        group: np.ndarray,
        engine: _Pairs,
        keepers: Mapping[int, str],
        cannot: Sequence[Pair],
        unsure: Sequence[Pair],
        decided: set[int],
        flags: _Flags,
    ) -> dict[str, np.ndarray]:
        """review_group, core_kept_by and review_state of every accepted record.

        A group is pending while a doubt (the engine's, or a reviewer's "not
        sure") between two of its persons is not settled by a "different"
        decision, or while a person in it is core in several organizations
        with none chosen to keep them; decided when a decision in force
        covers a record of it."""
        settled = {frozenset(int(person[self.at(fp)]) for fp in pair) for pair in cannot}
        left, right = engine.between("review")
        unsure_positions = [[self.at(fp) for fp in sorted(pair)] for pair in unsure]
        left = np.concatenate([left, [a for a, _ in unsure_positions]]).astype(np.int64)
        right = np.concatenate([right, [b for _, b in unsure_positions]]).astype(np.int64)
        doubt = person[left] != person[right]
        if settled:
            doubt &= np.array(
                [
                    frozenset((a, b)) not in settled
                    for a, b in zip(person[left].tolist(), person[right].tolist(), strict=True)
                ],
                dtype=bool,
            )
        is_open = np.zeros(len(person), dtype=bool)
        is_open[group[left[doubt]]] = True
        core = self.records["is_core"].eq(True).to_numpy()[self.rows]
        core_persons = (
            pd.Series(self.organization[core]).groupby(person[core]).nunique().loc[lambda n: n > 1]
        )
        undecided = np.setdiff1d(core_persons.index.to_numpy(), list(keepers))
        is_open[group[np.isin(person, undecided)]] = True

        def of_group(positions: Iterable[int]) -> np.ndarray:
            chosen = np.zeros(len(person), dtype=bool)
            chosen[group[list(positions)]] = True
            return chosen[group]

        flagged, pending = of_group(flags.reasons), is_open[group]
        several = pd.Series(person).groupby(group).transform("nunique").to_numpy() > 1
        named = several | flagged
        review_group = np.full(len(person), "", dtype=object)
        review_group[named] = group_ids(group[named], self.fingerprints[named])
        core_kept_by = np.full(len(person), "", dtype=object)
        if keepers:
            kept = pd.Series(person).map(keepers)
            core_kept_by[kept.notna().to_numpy()] = kept.dropna().to_numpy()
        state = np.select(
            [flagged, pending, of_group(decided)],
            np.array([NEEDS_REREVIEW, PENDING, DECIDED], dtype=object),
            "",
        )
        return {"review_group": review_group, "core_kept_by": core_kept_by, "review_state": state}


class _Pairs:
    """The engine's pairs, by record position."""

    def __init__(self, pairs: pd.DataFrame, world: _World) -> None:
        self.frame = pairs
        self.left = world.positions(pairs["left"])
        self.right = world.positions(pairs["right"])
        self.outcome = pairs["outcome"].to_numpy(dtype=object)

    def between(
        self, outcome: str, *, strongest_first: bool = False
    ) -> tuple[np.ndarray, np.ndarray]:
        """(left, right) of the pairs with that outcome, in the frame's order or
        in the order `cluster` applies links in."""
        order = np.arange(len(self.outcome))
        if strongest_first:
            ranked = self.frame.reset_index(drop=True).sort_values(
                ["probability", "left", "right"], ascending=[False, True, True]
            )
            order = ranked.index.to_numpy()
        order = order[self.outcome[order] == outcome]
        return self.left[order], self.right[order]


class _Apart(UnionFind):
    """Union–find over record positions; `forbid` marks pairs that must stay apart."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.apart: dict[int, set[int]] = {}

    def forbid(self, a: int, b: int) -> None:
        self.apart.setdefault(a, set()).add(b)
        self.apart.setdefault(b, set()).add(a)

    def union(self, a: int, b: int) -> None:
        """Join the sets of a and b unless a forbidden pair would end up in one."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        apart_a, apart_b = self.apart.get(ra, set()), self.apart.get(rb, set())
        if any(self.find(x) == rb for x in apart_a) or any(self.find(x) == ra for x in apart_b):
            return
        root = self.join(ra, rb)
        if apart_a or apart_b:
            self.apart[root] = apart_a | apart_b
            self.apart.pop(ra + rb - root, None)


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
    chained = sorted({fp for pair in same for fp in pair})
    link_of = {fp: link for link, fp in enumerate(chained)}
    chains = UnionFind(len(chained))
    for pair in same:
        chains.union(*(link_of[fp] for fp in pair))
    broken: set[int] = set()
    for pair in different:
        roots = {chains.find(link_of[fp]) if fp in link_of else -1 - n for n, fp in enumerate(pair)}
        if len(roots) > 1:
            continue
        (root,) = roots
        broken.add(root)
        a, b = (world.at(fp) for fp in sorted(pair))
        flags.add(
            (world.at(fp) for fp in chained if chains.find(link_of[fp]) == root),
            f"Các quyết định mâu thuẫn nhau: {world.name(a)} và {world.name(b)} được ghi là "
            "khác người, nhưng các quyết định “Cùng một người” lại nối hai dòng này với nhau. "
            "Hãy quyết định lại cả nhóm.",
        )
    in_broken = {fp for fp in chained if chains.find(link_of[fp]) in broken}
    same = [pair for pair in same if not pair & in_broken]
    different = [pair for pair in different if not pair & in_broken]
    return same, different, unsure


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
    remaining = {position for fp in pair if (position := where.present(fp)) is not None}
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
    a, b = (world.at(fp) for fp in sorted(pair))
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
    person: np.ndarray,
    world: _World,
    flags: _Flags,
) -> tuple[dict[int, str], set[int]]:
    """person -> organization keeping them as core, and the decisions whose
    choice is in force. A choice counts for the records its decision joined;
    two choices of one batch that differ are a conflict."""
    joined = set(must)
    claims: dict[int, dict[int, set[str]]] = {}  # person -> batch -> organizations
    claimants: dict[int, dict[int, list[int]]] = {}
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
        for root in {int(person[position]) for position in kept}:
            claims.setdefault(root, {}).setdefault(decision.batch, set()).add(decision.keeps_core)
            claimants.setdefault(root, {}).setdefault(decision.batch, []).append(index)

    claimed = np.flatnonzero(np.isin(person, list(claims)))
    members = pd.Series(claimed).groupby(person[claimed]).agg(list).to_dict()
    keepers: dict[int, str] = {}
    in_force: set[int] = set()
    for root, by_batch in claims.items():
        batch = max(by_batch)
        chosen = by_batch[batch]
        organizations = {world.organization[position] for position in members[root]}
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
) -> dict[int, tuple[int, RecordRef]]:
    """Record position -> the latest decision to show next to it: one in
    force, or one that left the record open ("not sure")."""
    open_decisions = {
        i
        for entry in verdicts.values()
        if entry.verdicts == {Verdict.UNSURE}
        for i in entry.decisions
    }
    shown: dict[int, tuple[int, RecordRef]] = {}
    for index, decision in enumerate(decisions):
        if index not in in_force and index not in open_decisions:
            continue
        for ref in decision.records:
            position = resolved[index].found.get(ref.fingerprint)
            if position is not None:
                shown[position] = (index, ref)
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
