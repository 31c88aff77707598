"""Fellegi–Sunter scoring with parameters estimated from the rosters themselves.

u (how often a level occurs between different people) comes from random record
pairs; m (how often it occurs between records of one person) and the share of
matches among candidate pairs come from expectation–maximisation over the
candidate pairs, with u held fixed. Agreement on a name is weighted by how
common that name is (term-frequency adjustment): two "Nguyễn Thị Lan" agree far
more often by chance than two "Âu Dương Phụng".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.matching.comparisons import FIELD_LEVELS, MISSING, Levels, RecordArrays, compare_all

# Where the records of one person usually fall, from experience with rosters.
# EM starts here and treats these as a prior worth PRIOR_PAIRS pairs, so a
# small run (a few hundred rows, a few dozen candidate pairs) cannot drift to a
# degenerate solution, while a large one is governed by its own data.
EXPERT_M: dict[str, dict[str, float]] = {
    "name": {
        "exact": 0.85,
        "no_middle": 0.04,
        "close": 0.06,
        "given_typo": 0.02,
        "different": 0.03,
    },
    "birth": {
        "exact": 0.70,
        "swapped": 0.01,
        "one_digit": 0.02,
        "year_only": 0.15,
        "same_year": 0.02,
        "near_year": 0.02,
        "different": 0.07,
        "far": 0.01,
    },
    "citizen_id": {"same": 0.97, "one_digit": 0.025, "different": 0.005},
    "commune": {"same": 0.88, "merged": 0.02, "different": 0.10},
    "hamlet": {"same": 0.85, "different": 0.15},
    "sex": {"same": 0.98, "different": 0.02},
}
PRIOR_PAIRS = 100.0
_INITIAL_MATCH_SHARE = 0.1
_SMOOTHING = 1.0  # pseudo-count per level of u, so no level gets probability 0


@dataclass(frozen=True)
class FittedModel:
    m: dict[str, np.ndarray]  # per field, probability of each level among matches
    u: dict[str, np.ndarray]  # ... among non-matches
    match_share: float  # share of true matches among candidate pairs (EM's lambda)
    # Probability that two records drawn at random are one person: the prior of
    # the score, since u (and so every weight) is measured against random pairs.
    random_match_probability: float
    em_iterations: int

    def level_weights(self, field: str) -> np.ndarray:
        """log2(m/u) of each level; 0 for "missing", which says nothing."""
        weights = np.log2(self.m[field] / self.u[field])
        if MISSING in FIELD_LEVELS[field]:
            weights[FIELD_LEVELS[field].index(MISSING)] = 0.0
        return weights

    @property
    def prior_log2_odds(self) -> float:
        p = self.random_match_probability
        return float(np.log2(p / (1.0 - p)))


def _probabilities(counts: np.ndarray, field: str, pseudo_counts: np.ndarray | float) -> np.ndarray:
    """Smoothed level probabilities among the pairs where the field is present."""
    smoothed = counts.astype(float) + pseudo_counts
    if MISSING in FIELD_LEVELS[field]:
        smoothed[FIELD_LEVELS[field].index(MISSING)] = 0.0
    probabilities = smoothed / smoothed.sum()
    if MISSING in FIELD_LEVELS[field]:
        probabilities[FIELD_LEVELS[field].index(MISSING)] = 1.0
    return probabilities


def estimate_u(
    arrays: RecordArrays, record_count: int, sample_pairs: int, seed: int
) -> dict[str, np.ndarray]:
    """Level probabilities among random pairs, nearly all of different people."""
    rng = np.random.default_rng(seed)
    left = rng.integers(0, record_count, size=sample_pairs)
    right = rng.integers(0, record_count, size=sample_pairs)
    distinct = left != right
    levels = compare_all(arrays, left[distinct], right[distinct])
    return {
        field: _probabilities(np.bincount(levels[field], minlength=len(names)), field, _SMOOTHING)
        for field, names in FIELD_LEVELS.items()
    }


def _expert_m(field: str) -> np.ndarray:
    return np.array([EXPERT_M[field].get(level, 1.0) for level in FIELD_LEVELS[field]])


def estimate_m(
    levels: dict[str, Levels],
    u: dict[str, np.ndarray],
    max_iterations: int,
    tolerance: float,
) -> tuple[dict[str, np.ndarray], float, int]:
    """EM over candidate pairs with u fixed: (m per field, match share, iterations)."""
    fields = list(FIELD_LEVELS)
    matrix = np.stack([levels[field] for field in fields], axis=1)
    if len(matrix) == 0:
        return {f: _expert_m(f) for f in fields}, _INITIAL_MATCH_SHARE, 0
    # Pairs with one comparison pattern behave alike: iterate over patterns.
    patterns, counts = np.unique(matrix, axis=0, return_counts=True)
    m = {field: _expert_m(field) for field in fields}
    prior = {field: PRIOR_PAIRS * _expert_m(field) for field in fields}
    share = _INITIAL_MATCH_SHARE
    log_u = sum(np.log(u[f][patterns[:, k]]) for k, f in enumerate(fields))
    iterations = 0
    while iterations < max_iterations:
        iterations += 1
        log_m = sum(np.log(m[f][patterns[:, k]]) for k, f in enumerate(fields))
        log_match = np.log(share) + log_m
        log_non_match = np.log(1 - share) + log_u
        posterior = 1.0 / (1.0 + np.exp(np.clip(log_non_match - log_match, -700, 700)))
        weighted = counts * posterior
        new_share = float(weighted.sum() / counts.sum())
        new_m = {
            field: _probabilities(
                np.bincount(patterns[:, k], weights=weighted, minlength=len(FIELD_LEVELS[field])),
                field,
                prior[field],
            )
            for k, field in enumerate(fields)
        }
        change = max(
            abs(new_share - share),
            *(float(np.abs(new_m[f] - m[f]).max()) for f in fields),
        )
        m, share = new_m, min(max(new_share, 1e-6), 1 - 1e-6)
        if change < tolerance:
            break
    return m, share, iterations


def fit(
    arrays: RecordArrays,
    record_count: int,
    candidate_levels: dict[str, Levels],
    sample_pairs: int,
    max_iterations: int,
    tolerance: float,
    seed: int,
) -> FittedModel:
    u = estimate_u(arrays, record_count, sample_pairs, seed)
    m, share, iterations = estimate_m(candidate_levels, u, max_iterations, tolerance)
    # Nearly every true pair is a candidate, so the expected number of true
    # pairs among candidates over all pairs is the chance of a random match.
    candidate_count = len(next(iter(candidate_levels.values()), []))
    all_pairs = max(record_count * (record_count - 1) / 2, 1.0)
    random_match = min(max(share * candidate_count / all_pairs, 1e-12), 0.5)
    return FittedModel(
        m=m, u=u, match_share=share, random_match_probability=random_match, em_iterations=iterations
    )


def name_frequency_adjustment(arrays: RecordArrays, levels: Levels, left: np.ndarray) -> np.ndarray:
    """Extra log2 weight of a name agreement, by how common the agreeing name is.

    A level's weight averages over all names: two records agree by chance on a
    name v with probability freq(v), against sum(freq²) on average. So an
    agreement on v gains log2(sum(freq²) / freq(v)): positive for a rare name,
    negative for "Nguyễn Thị Lan".
    """
    adjustment = np.zeros(len(levels))
    names = FIELD_LEVELS["name"]
    for level, codes in (
        ("exact", arrays.name_code),
        ("no_middle", arrays.surname_given_code),
    ):
        agree = levels == names.index(level)
        if not agree.any():
            continue
        known = codes[codes >= 0]
        frequency = np.bincount(known) / max(len(known), 1)
        average = float((frequency**2).sum())
        adjustment[agree] = np.log2(average / frequency[codes[left[agree]]])
    return adjustment
