"""Evidence for reviewers: why two records were linked or sent to review, in Vietnamese."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.matching.comparisons import FIELD_LEVELS, Levels

FIELD_LABELS = {
    "name": "họ tên",
    "birth": "ngày sinh",
    "citizen_id": "CCCD/CMND",
    "commune": "xã",
    "hamlet": "ấp",
    "sex": "giới tính",
}

_PHRASES: dict[str, dict[str, str]] = {
    "name": {
        "exact": "trùng họ tên{script}",
        "no_middle": "trùng họ và tên, một bên không có tên đệm",
        "close": "họ tên gần giống (họ hoặc tên đệm lệch một chữ cái)",
        "given_typo": "tên gần giống (lệch một chữ cái)",
        "typos": "họ và tên đều lệch một chữ cái",
        "swapped": "cùng các chữ của họ tên nhưng khác thứ tự",
        "alike": "trùng tên, họ và tên đệm gần giống (có thể là hai người)",
        "different": "khác họ tên",
    },
    "birth": {
        "exact": "trùng ngày sinh",
        "swapped": "ngày sinh đảo ngày và tháng",
        "one_digit": "ngày sinh lệch một chữ số",
        "year_only": "cùng năm sinh (một bên chỉ ghi năm)",
        "same_year": "cùng năm sinh nhưng khác ngày",
        "near_year": "cùng ngày tháng sinh, năm lệch một",
        "different": "khác năm sinh",
        "far": "năm sinh cách xa (có thể là cha mẹ và con cùng tên)",
    },
    "citizen_id": {
        "same": "trùng số CCCD/CMND",
        "one_digit": "số CCCD/CMND lệch một chữ số",
        "different": "khác số CCCD/CMND",
    },
    "commune": {
        "same": "cùng xã {left}",
        "merged": "hai xã cũ nay đã nhập làm một ({left} / {right})",
        "different": "khác xã ({left} / {right})",
    },
    "hamlet": {"same": "cùng {left}", "different": "khác ấp ({left} / {right})"},
    "sex": {"different": "khác giới tính"},
}

_PLACE_COLUMNS = {"commune": "commune_name", "hamlet": "hamlet_name"}


def _signed(weight: float) -> str:
    return f"{weight:+.1f}".replace(".", ",").replace("-", "−")


def explain(
    records: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    levels: dict[str, Levels],
    contributions: dict[str, np.ndarray],
) -> tuple[list[str], list[str]]:
    """(evidence, contributions) texts for each pair (left[k], right[k]).

    Evidence reads like "Trùng họ tên (không dấu), trùng ngày sinh, cùng xã
    Phước Thiền, khác ấp (Ấp 1 / Ấp 3)"; contributions list each field's share
    of the score in log2 units, like "họ tên +6,1; ngày sinh +8,4; xã +1,9".
    """
    names = records["name_display"].to_numpy(dtype=object)
    places = {
        field: records[column].to_numpy(dtype=object) for field, column in _PLACE_COLUMNS.items()
    }
    evidence, weights = [], []
    for k, (i, j) in enumerate(zip(left, right, strict=True)):
        phrases, parts = [], []
        for field, field_levels in FIELD_LEVELS.items():
            level = field_levels[levels[field][k]]
            template = _PHRASES[field].get(level)
            # Hamlets are compared within a commune; another commune says it all.
            if field == "hamlet" and FIELD_LEVELS["commune"][levels["commune"][k]] != "same":
                template = None
            if template:
                script = "" if names[i] == names[j] else " (khác cách viết)"
                place_l = places[field][i] if field in places else ""
                place_r = places[field][j] if field in places else ""
                phrases.append(template.format(script=script, left=place_l, right=place_r))
            if contributions[field][k]:
                parts.append(f"{FIELD_LABELS[field]} {_signed(contributions[field][k])}")
        text = ", ".join(phrases)
        evidence.append(text[:1].upper() + text[1:])
        weights.append("; ".join(parts))
    return evidence, weights
