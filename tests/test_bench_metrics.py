"""Pairwise metrics of the benchmarks, on mappings small enough to count by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from bench.metrics import count_pairs, linked_or_review_recall, pair_completeness, pairwise_scores

ROWS = ["r1", "r2", "r3", "r4", "r5", "r6"]
# True persons: A = {r1, r2, r3}, B = {r4, r5}, C = {r6}: 3 + 1 = 4 true pairs.
TRUTH = pd.Series(["A", "A", "A", "B", "B", "C"], index=ROWS)
# Predicted: {r1, r2}, {r3}, {r4, r5, r6}: pairs r1r2, r4r5, r4r6, r5r6.
PREDICTED = pd.Series(["x", "x", "y", "z", "z", "z"], index=ROWS)
# Organizations: r1, r3, r4 in "doan"; r2, r5, r6 in "phunu".
ORGS = pd.Series(["doan", "phunu", "doan", "doan", "phunu", "phunu"], index=ROWS)


def test_all_pairs() -> None:
    scores = pairwise_scores(TRUTH, PREDICTED)
    # Correct: r1r2 and r4r5, out of 4 predicted and 4 true pairs.
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (4, 4, 2)
    assert scores.precision == pytest.approx(0.5)
    assert scores.recall == pytest.approx(0.5)
    assert scores.f1 == pytest.approx(0.5)


def test_cross_organization_pairs_skip_pairs_inside_one_organization() -> None:
    # True cross-org pairs: r1r2, r2r3, r4r5 (r1r3 are both doan) = 3.
    # Predicted cross-org: r1r2, r4r5, r4r6 (r5r6 both phunu) = 3; correct r1r2, r4r5.
    scores = pairwise_scores(TRUTH, PREDICTED, exclude_same=ORGS)
    assert (scores.true_pairs, scores.predicted_pairs, scores.correct_pairs) == (3, 3, 2)
    assert scores.precision == pytest.approx(2 / 3)
    assert scores.f1 == pytest.approx(2 / 3)


def test_empty_and_missing_values_form_no_pair() -> None:
    predicted = pd.Series(["", "", None, "z", "z"], index=ROWS[:5])
    scores = pairwise_scores(TRUTH, predicted)
    # Only r4r5 is predicted (r6 is missing from the prediction).
    assert (scores.predicted_pairs, scores.correct_pairs) == (1, 1)
    assert scores.precision == 1.0
    assert scores.recall == pytest.approx(1 / 4)
    assert count_pairs([pd.Series(["", "", ""])]) == 0


def test_no_prediction_is_precise_but_recalls_nothing() -> None:
    scores = pairwise_scores(TRUTH, pd.Series(["a", "b", "c", "d", "e", "f"], index=ROWS))
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 0.0, 0.0)


def test_linked_or_review_recall_counts_a_pair_once() -> None:
    # r3 is not linked to r1/r2 but sits in their review group: r1r3, r2r3 are
    # found; r1r2 shares both cluster and group and counts once. r4r5 linked.
    review = pd.Series(["G1", "G1", "G1", "", "", ""], index=ROWS)
    assert linked_or_review_recall(TRUTH, PREDICTED, review) == pytest.approx(4 / 4)
    no_review = pd.Series([""] * 6, index=ROWS)
    assert linked_or_review_recall(TRUTH, PREDICTED, no_review) == pytest.approx(2 / 4)


def test_pair_completeness_of_candidate_pairs() -> None:
    # Candidates: r1r2 (true), r2r3 (true), r4r6 (false), r1r9 (unknown row).
    left, right = ["r1", "r2", "r4", "r1"], ["r2", "r3", "r6", "r9"]
    assert pair_completeness(TRUTH, left, right) == pytest.approx(2 / 4)
    # Cross-org: r1r2 and r2r3 are both cross-org, out of 3 true cross-org pairs.
    assert pair_completeness(TRUTH, left, right, exclude_same=ORGS) == pytest.approx(2 / 3)
