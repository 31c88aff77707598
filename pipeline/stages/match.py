"""match: blocking, field comparison and scoring of candidate pairs.

Scoring is Fellegi–Sunter in form: each field's comparison level adds a log2
Bayes factor to a prior, and the sum becomes a match probability. The factors
below are fixed, provisional values chosen for Vietnamese rosters; estimating
them from the data (EM, term frequencies) replaces this table later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
from rapidfuzz.distance import Levenshtein
from rapidfuzz.fuzz import ratio

from pipeline.models import MatchResult
from pipeline.progress import Progress
from pipeline.settings import Settings
from pipeline.text import fold

Record = Mapping[str, Any]

PAIR_COLUMNS = ("left", "right", "probability", "outcome", "evidence")

# Each rule lists the columns that must agree for two records to be compared.
BLOCKING_RULES: dict[str, tuple[str, ...]] = {
    "cccd": ("citizen_id_norm",),
    "ho_ten_nam_sinh": ("name_key", "birth_year"),
    "ten_ngay_sinh": ("given_key", "birth_day_iso"),
    "ho_ten_xa": ("surname_key", "given_key", "commune_key"),
}

# Share of candidate pairs that are true matches, as log2 odds.
PRIOR_LOG2_ODDS = -10.0

# log2 Bayes factor of each comparison level.
WEIGHTS: dict[str, dict[str, float]] = {
    "cccd": {"same": 14.0, "different": -14.0, "missing": 0.0},
    "name": {"exact": 8.0, "no_middle": 4.0, "close": 4.0, "different": -8.0},
    "birth": {
        "exact": 9.0,
        "year_only": 3.0,
        "swapped": 4.0,
        "one_digit": 2.0,
        "same_year": -6.0,
        "different": -10.0,
        "missing": 0.0,
    },
    "commune": {"same": 3.0, "different": -3.0, "missing": 0.0},
    "hamlet": {"same": 1.0, "different": -0.5, "missing": 0.0},
    "sex": {"same": 0.0, "different": -6.0, "missing": 0.0},
}

_BIRTH_EVIDENCE = {
    "exact": "trùng ngày sinh",
    "year_only": "cùng năm sinh (một bên chỉ ghi năm)",
    "swapped": "ngày sinh đảo ngày và tháng",
    "one_digit": "ngày sinh lệch một chữ số",
    "same_year": "cùng năm sinh nhưng khác ngày",
    "different": "khác năm sinh",
}


@dataclass(frozen=True)
class Comparison:
    levels: dict[str, str]
    log2_odds: float
    evidence: str


def _compare_names(left: Record, right: Record) -> str:
    if left["name_key"] == right["name_key"]:
        return "exact"
    if (
        left["surname_key"] == right["surname_key"]
        and left["given_key"] == right["given_key"]
        and min(left["name_key"].count(" "), right["name_key"].count(" ")) < 2
    ):
        return "no_middle"
    if ratio(left["name_key"], right["name_key"]) >= 90:
        return "close"
    return "different"


def _compare_births(left: Record, right: Record) -> str:
    if not left["birth_year"] or not right["birth_year"]:
        return "missing"
    if "year" in (left["birth_precision"], right["birth_precision"]):
        return "year_only" if left["birth_year"] == right["birth_year"] else "different"
    a, b = left["birth_iso"], right["birth_iso"]
    if a == b:
        return "exact"
    if a[:4] != b[:4]:
        return "different"
    if a[5:7] == b[8:10] and a[8:10] == b[5:7]:
        return "swapped"
    # A typo in the day or month; a year typed differently is not trusted,
    # since relatives often share a name and a birthday pattern.
    return "one_digit" if Levenshtein.distance(a, b) == 1 else "same_year"


def _compare_values(a: str, b: str) -> str:
    if not a or not b:
        return "missing"
    return "same" if fold(a) == fold(b) else "different"


def compare(left: Record, right: Record) -> Comparison:
    """Comparison levels of two normalized records, their score and evidence."""
    levels = {
        "cccd": _compare_values(left["citizen_id_norm"], right["citizen_id_norm"]),
        "name": _compare_names(left, right),
        "birth": _compare_births(left, right),
        "commune": _compare_values(left["commune_name"], right["commune_name"]),
        "hamlet": _compare_values(left["hamlet_name"], right["hamlet_name"]),
        "sex": _compare_values(left["sex_code"], right["sex_code"]),
    }
    log2_odds = PRIOR_LOG2_ODDS + sum(WEIGHTS[field][level] for field, level in levels.items())
    return Comparison(levels, log2_odds, _evidence(levels, left, right))


def _evidence(levels: dict[str, str], left: Record, right: Record) -> str:
    parts = []
    if levels["cccd"] == "same":
        parts.append("trùng số CCCD/CMND")
    elif levels["cccd"] == "different":
        parts.append("khác số CCCD/CMND")
    name_level = levels["name"]
    if name_level == "exact":
        same_script = left["name_display"] == right["name_display"]
        parts.append("trùng họ tên" if same_script else "trùng họ tên (không dấu)")
    else:
        parts.append(
            {
                "no_middle": "trùng họ và tên, khác tên đệm",
                "close": "họ tên gần giống",
                "different": "khác họ tên",
            }[name_level]
        )
    if levels["birth"] in _BIRTH_EVIDENCE:
        parts.append(_BIRTH_EVIDENCE[levels["birth"]])
    if levels["commune"] == "same":
        parts.append(f"cùng xã {left['commune_name']}")
    elif levels["commune"] == "different":
        parts.append(f"khác xã ({left['commune_name']} / {right['commune_name']})")
    if levels["hamlet"] == "same":
        parts.append(f"cùng {left['hamlet_name']}")
    elif levels["hamlet"] == "different":
        parts.append(f"khác ấp ({left['hamlet_name']} / {right['hamlet_name']})")
    if levels["sex"] == "different":
        parts.append("khác giới tính")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def candidate_pairs(records: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Union of the pairs produced by every blocking rule, as record positions."""
    keyed = records.assign(
        _position=range(len(records)),
        commune_key=records["commune_name"].map(fold),
        # A year alone shared with a given name would make huge blocks.
        birth_day_iso=records["birth_iso"].where(records["birth_precision"] == "day", ""),
    )
    found = []
    counts: dict[str, int] = {}
    for rule, columns in BLOCKING_RULES.items():
        usable = keyed
        for column in columns:
            usable = usable[(usable[column] != "") & (usable[column] != 0)]
        side = usable[[*columns, "_position"]]
        pairs = side.merge(side, on=list(columns), suffixes=("_l", "_r"))
        pairs = pairs[pairs["_position_l"] < pairs["_position_r"]]
        counts[rule] = len(pairs)
        found.append(pairs[["_position_l", "_position_r"]])
    union = pd.concat(found, ignore_index=True).drop_duplicates()
    return union.sort_values(["_position_l", "_position_r"], ignore_index=True), counts


def match(records: pd.DataFrame, settings: Settings, progress: Progress) -> MatchResult:
    """Scored pairs among accepted records: linked, or sent to review."""
    accepted = records[records["status"] == "accepted"].reset_index(drop=True)
    positions, counts = candidate_pairs(accepted)
    by_position = accepted.to_dict("records")
    rows = []
    progress.start("So khớp", len(positions))
    for left_position, right_position in positions.itertuples(index=False):
        left, right = by_position[left_position], by_position[right_position]
        comparison = compare(left, right)
        probability = 1.0 / (1.0 + math.pow(2.0, -comparison.log2_odds))
        progress.advance()
        if probability < settings.match.review_threshold:
            continue
        outcome = "link" if probability >= settings.match.link_threshold else "review"
        rows.append(
            (left["record_id"], right["record_id"], probability, outcome, comparison.evidence)
        )
    progress.finish()
    pairs = pd.DataFrame(rows, columns=list(PAIR_COLUMNS))
    return MatchResult(pairs=pairs, blocking_counts=counts)
