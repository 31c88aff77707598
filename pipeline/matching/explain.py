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
    # Field by field over all pairs, level by level: a Python loop per pair and
    # field was most of the time of matching a province.
    same_script = names[left] == names[right]
    same_commune = levels["commune"] == FIELD_LEVELS["commune"].index("same")
    phrases, parts = [], []
    for field, field_levels in FIELD_LEVELS.items():
        phrase = np.full(len(left), "", dtype=object)
        for index, level in enumerate(field_levels):
            template = _PHRASES[field].get(level)
            at_level = levels[field] == index
            # Hamlets are compared within a commune; another commune says it all.
            if field == "hamlet":
                at_level &= same_commune
            rows = np.flatnonzero(at_level)
            if not template or not len(rows):
                continue
            if field in places:
                pairs = zip(places[field][left[rows]], places[field][right[rows]], strict=True)
                phrase[rows] = [template.format(left=a, right=b) for a, b in pairs]
            else:
                variants = [template.format(script=script) for script in ("", " (khác cách viết)")]
                phrase[rows] = np.where(same_script[rows], *variants)
        phrases.append(phrase)
        weights = contributions[field]
        part = np.full(len(left), "", dtype=object)
        rows = np.flatnonzero(weights != 0)
        values = weights[rows].tolist()
        shown = {weight: f"{FIELD_LABELS[field]} {_signed(weight)}" for weight in set(values)}
        part[rows] = [shown[weight] for weight in values]
        parts.append(part)
    evidence = [", ".join(filter(None, texts)) for texts in zip(*phrases, strict=True)]
    return (
        [text[:1].upper() + text[1:] for text in evidence],
        ["; ".join(filter(None, texts)) for texts in zip(*parts, strict=True)],
    )
