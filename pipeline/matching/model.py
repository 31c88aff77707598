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
        "close": 0.04,
        "given_typo": 0.02,
        "typos": 0.005,
        "swapped": 0.005,
        "alike": 0.02,
        "different": 0.02,
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


def _is(levels: dict[str, Levels], field: str, *names: str) -> np.ndarray:
    return np.isin(levels[field], [FIELD_LEVELS[field].index(name) for name in names])


def auto_link_allowed(levels: dict[str, Levels]) -> np.ndarray:
    """Pairs the engine may link without a reviewer, whatever their score.

    Some disagreements are for a person to weigh however alike the rest is:
    two different citizen IDs, entirely different names (twins, neighbours
    born the same day), birth dates that are not one date mistyped, and a
    year written alone next to a name that only looks alike.
    """
    return ~(
        _is(levels, "citizen_id", "different")
        | _is(levels, "name", "different")
        | _is(levels, "birth", "same_year", "different", "far")
        | (_is(levels, "birth", "year_only") & _is(levels, "name", "typos", "alike"))
    )


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


# EM sessions: each trains on the pairs one blocking rule produced, and
# estimates only fields that rule leaves free to vary and that the pairs it
# yields can tell about. Pairs sharing a citizen ID are nearly all one person:
# they teach how one person's records differ in name, birth date and address.
# Pairs sharing a birth date and commune, or a name and birth year, teach how
# often one person's IDs disagree. Estimating name or address weights from
# them instead would count twins, neighbours born the same day and namesakes
# as matches, and teach the model that a different name is common between one
# person's records.
@dataclass(frozen=True)
class Session:
    rule: str  # the blocking rule whose pairs the session trains on
    evidence: frozenset[str]  # fields that tell matches apart in those pairs
    estimated: frozenset[str]  # fields whose m the session learns (the rest stay fixed)


# In order: later sessions use what earlier ones learned.
TRAINING_SESSIONS = (
    Session(
        "cccd",
        evidence=frozenset({"name", "birth", "commune", "hamlet", "sex"}),
        estimated=frozenset({"name", "birth", "commune", "hamlet", "sex"}),
    ),
    Session(
        "ngay_sinh_xa",
        evidence=frozenset({"name", "hamlet", "sex", "citizen_id"}),
        estimated=frozenset({"citizen_id"}),
    ),
    Session(
        "ho_ten_nam_sinh",
        evidence=frozenset({"commune", "hamlet", "sex", "citizen_id"}),
        estimated=frozenset({"citizen_id"}),
    ),
)


@dataclass(frozen=True)
class _Patterns:
    """Distinct comparison patterns (one column per field) and how many pairs have each."""

    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def of(cls, levels: dict[str, Levels], mask: np.ndarray | None = None) -> _Patterns:
        # One integer per pattern (mixed radix): a 1-d unique is far faster
        # than a unique over rows of a matrix.
        radices = [len(names) for names in FIELD_LEVELS.values()]
        code = np.zeros(len(next(iter(levels.values()))), dtype=np.int64)
        for field, radix in zip(FIELD_LEVELS, radices, strict=True):
            code = code * radix + levels[field]
        if mask is not None:
            code = code[mask]
        unique, counts = np.unique(code, return_counts=True)
        values = np.zeros((len(unique), len(radices)), dtype=np.int64)
        remainder = unique
        for column in range(len(radices) - 1, -1, -1):
            values[:, column] = remainder % radices[column]
            remainder = remainder // radices[column]
        return cls(values, counts.astype(float))

    def log_likelihood(self, probabilities: dict[str, np.ndarray], fields: list[str]) -> np.ndarray:
        columns = list(FIELD_LEVELS)
        total = np.zeros(len(self.counts))
        for field in fields:
            total += np.log(probabilities[field][self.values[:, columns.index(field)]])
        return total


def _posterior(
    patterns: _Patterns,
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    share: float,
    fields: list[str],
) -> np.ndarray:
    log_match = np.log(share) + patterns.log_likelihood(m, fields)
    log_non_match = np.log(1 - share) + patterns.log_likelihood(u, fields)
    return 1.0 / (1.0 + np.exp(np.clip(log_non_match - log_match, -700, 700)))


def _em_session(
    patterns: _Patterns,
    session: Session,
    m_start: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    max_iterations: int,
    tolerance: float,
) -> tuple[dict[str, np.ndarray], int]:
    """Match-weighted level counts of the session's estimated fields, after EM
    over its pairs with the other evidence fields' m held fixed."""
    columns = list(FIELD_LEVELS)
    evidence = [field for field in FIELD_LEVELS if field in session.evidence]
    estimated = [field for field in FIELD_LEVELS if field in session.estimated]
    m = dict(m_start)
    share = _INITIAL_MATCH_SHARE
    weighted = np.zeros(len(patterns.counts))
    iterations = 0
    while iterations < max_iterations and len(patterns.counts):
        iterations += 1
        weighted = patterns.counts * _posterior(patterns, m, u, share, evidence)
        new_share = min(max(float(weighted.sum() / patterns.counts.sum()), 1e-6), 1 - 1e-6)
        new_m = {
            field: _probabilities(
                np.bincount(
                    patterns.values[:, columns.index(field)],
                    weights=weighted,
                    minlength=len(FIELD_LEVELS[field]),
                ),
                field,
                PRIOR_PAIRS * _expert_m(field),
            )
            for field in estimated
        }
        change = max(
            abs(new_share - share), *(float(np.abs(new_m[f] - m[f]).max()) for f in estimated)
        )
        m.update(new_m)
        share = new_share
        if change < tolerance:
            break
    counts = {
        field: np.bincount(
            patterns.values[:, columns.index(field)],
            weights=weighted,
            minlength=len(FIELD_LEVELS[field]),
        )
        for field in estimated
    }
    return counts, iterations


def estimate_m(
    levels: dict[str, Levels],
    rules: np.ndarray,
    rule_bits: dict[str, int],
    u: dict[str, np.ndarray],
    max_iterations: int,
    tolerance: float,
) -> tuple[dict[str, np.ndarray], int]:
    """m per field: expert prior plus what the training sessions learned."""
    pooled = {field: PRIOR_PAIRS * _expert_m(field) for field in FIELD_LEVELS}
    m = {field: _expert_m(field) for field in FIELD_LEVELS}
    iterations = 0
    for session in TRAINING_SESSIONS:
        chosen = (rules & (1 << rule_bits[session.rule])) != 0
        counts, used = _em_session(
            _Patterns.of(levels, chosen), session, m, u, max_iterations, tolerance
        )
        iterations += used
        for field, field_counts in counts.items():
            pooled[field] = pooled[field] + field_counts
            m[field] = _probabilities(np.zeros(len(field_counts)), field, pooled[field])
    return m, iterations


def estimate_match_share(
    levels: dict[str, Levels],
    m: dict[str, np.ndarray],
    u: dict[str, np.ndarray],
    max_iterations: int,
    tolerance: float,
) -> float:
    """Share of matches among all candidate pairs, with m and u held fixed."""
    patterns = _Patterns.of(levels)
    fields = list(FIELD_LEVELS)
    share = _INITIAL_MATCH_SHARE
    for _ in range(max_iterations):
        if not len(patterns.counts):
            break
        weighted = patterns.counts * _posterior(patterns, m, u, share, fields)
        new_share = min(max(float(weighted.sum() / patterns.counts.sum()), 1e-9), 1 - 1e-9)
        if abs(new_share - share) < tolerance:
            share = new_share
            break
        share = new_share
    return share


def fit(
    arrays: RecordArrays,
    record_count: int,
    candidate_levels: dict[str, Levels],
    candidate_rules: np.ndarray,
    rule_bits: dict[str, int],
    sample_pairs: int,
    max_iterations: int,
    tolerance: float,
    seed: int,
) -> FittedModel:
    u = estimate_u(arrays, record_count, sample_pairs, seed)
    m, iterations = estimate_m(
        candidate_levels, candidate_rules, rule_bits, u, max_iterations, tolerance
    )
    share = estimate_match_share(candidate_levels, m, u, max_iterations, tolerance)
    # Nearly every true pair is a candidate, so the expected number of true
    # pairs among candidates over all pairs is the chance of a random match.
    candidate_count = len(candidate_rules)
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
