"""match: blocking, field comparison and scoring of candidate pairs.

The engine lives in `pipeline.matching`: blocking rules produce candidate
pairs, every field is compared into graded levels, a Fellegi–Sunter model
estimated from the rosters themselves (u from random pairs, m by EM, name
weights adjusted by name frequency) turns levels into a match probability, and
pairs above the review threshold get Vietnamese evidence.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.matching.blocking import BLOCKING_RULES, candidate_pairs
from pipeline.matching.comparisons import FIELD_LEVELS, Levels, RecordArrays, compare_all
from pipeline.matching.explain import explain
from pipeline.matching.model import (
    FittedModel,
    auto_link_allowed,
    fit,
    name_frequency_adjustment,
)
from pipeline.models import NORMALIZE_COLUMNS, VALIDATE_COLUMNS, MatchResult
from pipeline.progress import Progress
from pipeline.settings import Settings

PAIR_COLUMNS = ("left", "right", "probability", "outcome", "evidence", "contributions")
# The engine reads typed and normalized columns only: a copy of the accepted
# records' other columns would cost hundreds of megabytes at a province's scale.
_ENGINE_COLUMNS = ["record_id", *VALIDATE_COLUMNS, *NORMALIZE_COLUMNS]

# Pairs are compared and scored in chunks so progress shows and memory stays flat.
_CHUNK = 500_000


def _chunks(count: int) -> range:
    return range(0, count, _CHUNK)


def _compare_in_chunks(
    arrays: RecordArrays, left: np.ndarray, right: np.ndarray, progress: Progress
) -> dict[str, Levels]:
    progress.start("So khớp", len(left))
    levels = {field: np.zeros(len(left), dtype=np.int8) for field in FIELD_LEVELS}
    for start in _chunks(len(left)):
        stop = start + _CHUNK
        for field, chunk in compare_all(arrays, left[start:stop], right[start:stop]).items():
            levels[field][start:stop] = chunk
        progress.advance(min(stop, len(left)) - start)
    progress.finish()
    return levels


def contributions(
    arrays: RecordArrays, model: FittedModel, levels: dict[str, Levels], left: np.ndarray
) -> dict[str, np.ndarray]:
    """Each field's contribution (log2 units) to the score of each pair."""
    weights = {field: model.level_weights(field)[levels[field]] for field in FIELD_LEVELS}
    weights["name"] = weights["name"] + name_frequency_adjustment(arrays, levels["name"], left)
    return weights


def _probability(model: FittedModel, weights: dict[str, np.ndarray]) -> np.ndarray:
    log2_odds = model.prior_log2_odds + sum(weights.values())
    return 1.0 / (1.0 + np.exp2(-np.clip(log2_odds, -60, 60)))


def _likely_pairs(
    arrays: RecordArrays,
    model: FittedModel,
    levels: dict[str, Levels],
    left: np.ndarray,
    threshold: float,
) -> tuple[np.ndarray, np.ndarray]:
    """The pairs scoring at least `threshold` and their match probabilities;
    the many others are dropped chunk by chunk, never held together."""
    kept, probabilities = [np.zeros(0, dtype=np.int64)], [np.zeros(0)]
    for start in _chunks(len(left)):
        stop = start + _CHUNK
        chunk = {field: values[start:stop] for field, values in levels.items()}
        probability = _probability(model, contributions(arrays, model, chunk, left[start:stop]))
        likely = np.flatnonzero(probability >= threshold)
        kept.append(likely + start)
        probabilities.append(probability[likely])
    return np.concatenate(kept), np.concatenate(probabilities)


def match(records: pd.DataFrame, settings: Settings, progress: Progress) -> MatchResult:
    """Scored pairs among accepted records: linked, or sent to review."""
    accepted = records.loc[records["status"] == "accepted", _ENGINE_COLUMNS]
    accepted = accepted.reset_index(drop=True)
    if len(accepted) < 2:
        return MatchResult(pairs=pd.DataFrame(columns=list(PAIR_COLUMNS)))
    thresholds = settings.match
    arrays = RecordArrays.from_records(accepted)
    candidates = candidate_pairs(accepted, thresholds.max_block_size)
    levels = _compare_in_chunks(arrays, candidates.left, candidates.right, progress)
    model = fit(
        arrays,
        len(accepted),
        levels,
        candidates.rules,
        {rule: bit for bit, rule in enumerate(BLOCKING_RULES)},
        sample_pairs=thresholds.u_sample_pairs,
        max_iterations=thresholds.em_max_iterations,
        tolerance=thresholds.em_tolerance,
        seed=thresholds.seed,
    )
    kept, probability = _likely_pairs(
        arrays, model, levels, candidates.left, thresholds.review_threshold
    )
    left, right = candidates.left[kept], candidates.right[kept]
    kept_levels = {field: values[kept] for field, values in levels.items()}
    kept_contributions = contributions(arrays, model, kept_levels, left)
    evidence, contribution_texts = explain(accepted, left, right, kept_levels, kept_contributions)
    record_ids = accepted["record_id"].to_numpy(dtype=object)
    linked = (probability >= thresholds.link_threshold) & auto_link_allowed(kept_levels)
    pairs = pd.DataFrame(
        {
            "left": record_ids[left],
            "right": record_ids[right],
            "probability": probability,
            "outcome": np.where(linked, "link", "review"),
            "evidence": evidence,
            "contributions": contribution_texts,
        },
        columns=list(PAIR_COLUMNS),
    )
    return MatchResult(
        pairs=pairs,
        blocking_counts=candidates.pairs_per_rule,
        model=model,
    )
