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


def _key_codes(values: pd.Series) -> np.ndarray:
    """An integer per distinct value of a key column; -1 where it is empty ("" or 0)."""
    codes, distinct = pd.factorize(values)
    empty = np.array([value == "" or value == 0 for value in distinct.tolist()], dtype=bool)
    codes[(codes >= 0) & empty[np.maximum(codes, 0)]] = -1
    return codes.astype(np.int64)


def _block_keys(columns: list[np.ndarray]) -> np.ndarray:
    """One integer per distinct combination of key codes; -1 where any key is empty."""
    key = columns[0].copy()
    usable = key >= 0
    for codes in columns[1:]:
        usable &= codes >= 0
        radix = int(codes.max(initial=-1)) + 1
        if int(key.max(initial=0)) * radix >= 2**62:
            key = pd.factorize(key)[0].astype(np.int64)  # renumbered so the product fits
        key = key * radix + codes
    key[~usable] = -1
    return key


def _rule_pairs(key: np.ndarray, max_block: int) -> tuple[np.ndarray, int]:
    """Pair codes (left * n + right) of records sharing a block key, and how many
    records were in blocks over the cap."""
    n = len(key)
    positions = np.flatnonzero(key >= 0)
    positions = positions[np.argsort(key[positions], kind="stable")]
    ordered = key[positions]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]][: len(ordered)])
    sizes = np.diff(np.r_[starts, len(ordered)])
    skipped = int(sizes[sizes > max_block].sum())
    codes = []
    # Expand each block into its pairs: for block sizes s, s*(s-1)/2 pairs.
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= max_block)]).tolist():
        blocks = starts[sizes == size]
        first, second = np.triu_indices(size, k=1)
        left = positions[blocks[:, None] + first[None, :]].ravel()
        right = positions[blocks[:, None] + second[None, :]].ravel()
        codes.append(np.minimum(left, right) * n + np.maximum(left, right))
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
    # Each key column is numbered once, whichever rules use it.
    codes_of = {
        column: _key_codes(keyed[column])
        for column in dict.fromkeys(column for rule in BLOCKING_RULES.values() for column in rule)
    }
    per_rule: dict[str, int] = {}
    skipped: dict[str, int] = {}
    tagged = []
    for bit, (rule, columns) in enumerate(BLOCKING_RULES.items()):
        codes, skipped[rule] = _rule_pairs(
            _block_keys([codes_of[column] for column in columns]), max_block
        )
        per_rule[rule] = len(codes)
        # The rule's bit in the low bits: one sort orders the pairs of all rules.
        tagged.append((codes << len(BLOCKING_RULES)) | (1 << bit))
    pairs = np.concatenate(tagged)
    del tagged
    pairs.sort()
    every_bit = (1 << len(BLOCKING_RULES)) - 1
    bits = (pairs & every_bit).astype(np.min_scalar_type(every_bit))
    pairs >>= len(BLOCKING_RULES)
    starts = np.flatnonzero(np.r_[True, pairs[1:] != pairs[:-1]][: len(pairs)])
    union = pairs[starts]
    del pairs
    # Positions fit 32 bits up to two billion records: half the memory of the pairs.
    position = np.int32 if n < 2**31 else np.int64
    return Candidates(
        left=(union // max(n, 1)).astype(position),
        right=(union % max(n, 1)).astype(position),
        rules=np.bitwise_or.reduceat(bits, starts) if len(bits) else bits,
        pairs_per_rule=per_rule,
        records_in_skipped_blocks=skipped,
    )
