"""Blocking: the candidate pairs worth comparing, from several rules combined.

Each rule pairs records that agree on all of its key columns; the union of the
rules is compared. The rules are chosen so that every kind of roster noise is
caught by at least one rule that does not depend on the noisy field: a typo in
the name (birth date + commune), a year typed alone (name + commune), a dropped
middle name (surname + given name + birth date, or + year and commune), a typo
in the given name (surname + middle name + year + commune), a move (name +
birth year), an ID. No rule pairs on a common name alone across the province:
at a million rows such a rule yields tens of millions of pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

BLOCKING_RULES: dict[str, tuple[str, ...]] = {
    "cccd": ("citizen_id_norm",),
    "ho_ten_nam_sinh": ("name_key", "birth_year"),
    "ho_ten_xa": ("name_key", "commune_key"),
    "ho_ten_goi_ngay_sinh": ("surname_key", "given_key", "birth_day_iso"),
    "ho_ten_goi_nam_sinh_xa": ("surname_key", "given_key", "birth_year", "commune_key"),
    "ho_dem_nam_sinh_xa": ("surname_key", "middle_key", "birth_year", "commune_key"),
    "ngay_sinh_xa": ("birth_day_iso", "commune_key"),
    "ten_goi_nam_sinh_xa": ("given_key", "birth_year", "commune_key"),
}


@dataclass(frozen=True)
class Candidates:
    left: np.ndarray  # record positions, left < right
    right: np.ndarray
    # Bit k set when rule k of BLOCKING_RULES produced the pair: which fields
    # a pair was chosen for agreeing on, so the model can learn around them.
    rules: np.ndarray
    pairs_per_rule: dict[str, int]
    # Blocks larger than the cap are not expanded (their pairs would swamp the
    # comparison); how many records such blocks held, per rule.
    records_in_skipped_blocks: dict[str, int]


def _rule_pairs(keys: pd.DataFrame, max_block: int, n: int) -> tuple[np.ndarray, int]:
    """Pair codes (left * n + right) of records sharing every key column."""
    usable = keys[(keys != "").all(axis=1) & (keys != 0).all(axis=1)]
    group = usable.groupby(list(usable.columns), sort=False).ngroup().to_numpy()
    positions = usable.index.to_numpy()
    sizes = np.bincount(group) if len(group) else np.zeros(0, dtype=np.int64)
    too_big = sizes[group] > max_block
    skipped = int(too_big.sum())
    keep = (sizes[group] >= 2) & ~too_big
    group, positions = group[keep], positions[keep]
    order = np.argsort(group, kind="stable")
    group, positions = group[order], positions[order]
    # Expand each block into its pairs: for block sizes s, s*(s-1)/2 pairs.
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    ends = np.r_[starts[1:], len(group)]
    codes = []
    for size in np.unique(ends - starts):
        blocks = starts[(ends - starts) == size]
        first, second = np.triu_indices(int(size), k=1)
        left = positions[blocks[:, None] + first[None, :]].ravel()
        right = positions[blocks[:, None] + second[None, :]].ravel()
        low, high = np.minimum(left, right), np.maximum(left, right)
        codes.append(low.astype(np.int64) * n + high)
    if not codes:
        return np.zeros(0, dtype=np.int64), skipped
    return np.concatenate(codes), skipped


def candidate_pairs(records: pd.DataFrame, max_block: int) -> Candidates:
    """Union of the pairs of every rule, over records indexed 0..n-1."""
    keyed = records.assign(
        # A year alone shared with a given name would make huge blocks.
        birth_day_iso=records["birth_iso"].where(records["birth_precision"] == "day", ""),
    ).reset_index(drop=True)
    n = len(keyed)
    per_rule: dict[str, int] = {}
    skipped: dict[str, int] = {}
    all_codes, all_bits = [], []
    for bit, (rule, columns) in enumerate(BLOCKING_RULES.items()):
        codes, skipped[rule] = _rule_pairs(keyed[list(columns)], max_block, n)
        per_rule[rule] = len(codes)
        all_codes.append(codes)
        all_bits.append(np.full(len(codes), 1 << bit, dtype=np.int64))
    codes = np.concatenate(all_codes)
    bits = np.concatenate(all_bits)
    order = np.argsort(codes, kind="stable")
    codes, bits = codes[order], bits[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
    union = codes[starts]
    rules = np.bitwise_or.reduceat(bits, starts) if len(codes) else bits
    return Candidates(
        left=union // max(n, 1),
        right=union % max(n, 1),
        rules=rules,
        pairs_per_rule=per_rule,
        records_in_skipped_blocks=skipped,
    )
