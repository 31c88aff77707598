"""decide: apply reviewers' decisions to the engine's persons and review groups.

The seam for the decision ledger. `NoDecisions` is the store used until the
review loop exists: it holds no decision, so the engine's proposal stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import pandas as pd

from pipeline.settings import Settings


@dataclass(frozen=True)
class Decision:
    """A reviewer's verdict on two records (identified by record fingerprints)."""

    left: str
    right: str
    same_person: bool
    keeps_core: str  # organization code that keeps the person as core, or ""
    reviewer: str
    decided_on: str  # ISO date


class DecisionStore(Protocol):
    def decisions(self) -> list[Decision]: ...


class NoDecisions:
    def decisions(self) -> list[Decision]:
        return []


@dataclass(frozen=True)
class DecideResult:
    records: pd.DataFrame
    pairs: pd.DataFrame
    applied: int  # decisions applied in this run


def decide(
    records: pd.DataFrame, pairs: pd.DataFrame, store: DecisionStore, settings: Settings
) -> DecideResult:
    # Only NoDecisions exists so far: there is nothing to apply yet.
    assert not store.decisions(), "decision ledger not built yet"
    return DecideResult(records=records, pairs=pairs, applied=0)
