"""Pairwise accuracy of a clustering against the truth, by counting pairs.

Every figure counts record pairs, but no pair is ever enumerated: the pairs two
rows share by being in one group number n(n-1)/2 per group, so the true pairs
(same person), the predicted pairs (same cluster) and the correct pairs (both)
come from three group-bys. A million rows with large clusters stay cheap.

Inputs are pandas Series indexed by row (record id): the true person of each
row, the predicted cluster, and optionally a value that two rows must NOT share
for their pair to count (the organization, for cross-organization pairs).
Empty strings and missing values mean "in no group": such a row forms no pair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Scores:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        # No predicted pair makes no wrong claim.
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0


def _grouping(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna() & (series.astype(str) != ""))


def count_pairs(keys: Sequence[pd.Series], exclude_same: pd.Series | None = None) -> int:
    """Pairs of rows that agree on every key (all non-empty) and, with
    `exclude_same`, differ on it."""
    frame = pd.DataFrame({f"k{i}": _grouping(key) for i, key in enumerate(keys)})
    columns = list(frame.columns)
    frame = frame.dropna()

    def within(by: list[str]) -> int:
        sizes = frame.groupby(by, sort=False).size().to_numpy(dtype="int64")
        return int((sizes * (sizes - 1) // 2).sum())

    total = within(columns)
    if exclude_same is not None:
        frame["same"] = _grouping(exclude_same).reindex(frame.index).fillna("")
        total -= within([*columns, "same"])
    return total


def pairwise_scores(
    truth: pd.Series, predicted: pd.Series, exclude_same: pd.Series | None = None
) -> Scores:
    """Precision, recall and F1 of the predicted clusters over the truth's pairs."""
    predicted = predicted.reindex(truth.index)
    return Scores(
        true_pairs=count_pairs([truth], exclude_same),
        predicted_pairs=count_pairs([predicted], exclude_same),
        correct_pairs=count_pairs([truth, predicted], exclude_same),
    )


def linked_or_review_recall(
    truth: pd.Series,
    predicted: pd.Series,
    review_group: pd.Series,
    exclude_same: pd.Series | None = None,
) -> float:
    """Share of true pairs that a reviewer gets to see: the two rows share the
    predicted cluster or a review group (inclusion-exclusion over the two)."""
    predicted = predicted.reindex(truth.index)
    review_group = review_group.reindex(truth.index)
    true_pairs = count_pairs([truth], exclude_same)
    if not true_pairs:
        return 1.0
    found = (
        count_pairs([truth, predicted], exclude_same)
        + count_pairs([truth, review_group], exclude_same)
        - count_pairs([truth, predicted, review_group], exclude_same)
    )
    return found / true_pairs


def pair_completeness(
    truth: pd.Series,
    left: Sequence[object] | np.ndarray,
    right: Sequence[object] | np.ndarray,
    exclude_same: pd.Series | None = None,
) -> float:
    """Share of true pairs among the candidate pairs (left[i], right[i]), which
    must be distinct unordered pairs of rows of `truth`'s index (a blocking
    stage's output). Rows outside `truth` (filtered out) never count."""
    true_pairs = count_pairs([truth], exclude_same)
    if not true_pairs:
        return 1.0
    keys = _grouping(truth)
    left_keys = keys.reindex(pd.Index(left)).to_numpy()
    right_keys = keys.reindex(pd.Index(right)).to_numpy()
    hit = pd.notna(left_keys) & (left_keys == right_keys)
    if exclude_same is not None:
        same = exclude_same.astype(object)
        hit &= same.reindex(pd.Index(left)).to_numpy() != same.reindex(pd.Index(right)).to_numpy()
    return int(hit.sum()) / true_pairs
