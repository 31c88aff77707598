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
from pipeline.models import MatchResult
from pipeline.progress import Progress
from pipeline.settings import Settings

PAIR_COLUMNS = ("left", "right", "probability", "outcome", "evidence", "contributions")

# Pairs are compared in chunks so progress shows and memory stays flat.
_CHUNK = 500_000


def _compare_in_chunks(
    arrays: RecordArrays, left: np.ndarray, right: np.ndarray, progress: Progress
) -> dict[str, Levels]:
    progress.start("So khớp", len(left))
    chunks: dict[str, list[Levels]] = {field: [] for field in FIELD_LEVELS}
    for start in range(0, len(left), _CHUNK):
        stop = start + _CHUNK
        for field, levels in compare_all(arrays, left[start:stop], right[start:stop]).items():
            chunks[field].append(levels)
        progress.advance(min(stop, len(left)) - start)
    progress.finish()
    return {
        field: np.concatenate(parts) if parts else np.zeros(0, dtype=np.int8)
        for field, parts in chunks.items()
    }


def score(
    arrays: RecordArrays, model: FittedModel, levels: dict[str, Levels], left: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Match probability of each pair and each field's contribution (log2 units)."""
    contributions = {field: model.level_weights(field)[levels[field]] for field in FIELD_LEVELS}
    contributions["name"] = contributions["name"] + name_frequency_adjustment(
        arrays, levels["name"], left
    )
    log2_odds = model.prior_log2_odds + sum(contributions.values())
    probability = 1.0 / (1.0 + np.exp2(-np.clip(log2_odds, -60, 60)))
    return probability, contributions


def match(records: pd.DataFrame, settings: Settings, progress: Progress) -> MatchResult:
    """Scored pairs among accepted records: linked, or sent to review."""
    accepted = records[records["status"] == "accepted"].reset_index(drop=True)
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
    probability, contributions = score(arrays, model, levels, candidates.left)

    kept = probability >= thresholds.review_threshold
    left, right = candidates.left[kept], candidates.right[kept]
    kept_levels = {field: values[kept] for field, values in levels.items()}
    kept_contributions = {field: values[kept] for field, values in contributions.items()}
    evidence, contribution_texts = explain(accepted, left, right, kept_levels, kept_contributions)
    record_ids = accepted["record_id"].to_numpy(dtype=object)
    linked = (probability[kept] >= thresholds.link_threshold) & auto_link_allowed(kept_levels)
    pairs = pd.DataFrame(
        {
            "left": record_ids[left],
            "right": record_ids[right],
            "probability": probability[kept],
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
