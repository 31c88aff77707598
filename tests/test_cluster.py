"""Clustering links into persons without chaining different people together."""

from __future__ import annotations

import pandas as pd

from pipeline.stages.cluster import cluster
from tests.record_builders import SETTINGS, normalized_records


def _pairs(rows: list[tuple[str, str, float, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        [(left, right, p, outcome, "bằng chứng") for left, right, p, outcome in rows],
        columns=["left", "right", "probability", "outcome", "evidence"],
    )


def test_links_chain_into_one_person_and_reviews_into_a_group() -> None:
    records = normalized_records([{"full_name": n, "birth_date": 1980} for n in "ABCDE"])
    a, b, c, d, _ = records["record_id"]
    result = cluster(
        records,
        _pairs([(a, b, 0.99, "link"), (b, c, 0.95, "link"), (c, d, 0.7, "review")]),
        SETTINGS,
    )
    persons = result.records["person_id"].tolist()
    assert persons[0] == persons[1] == persons[2]
    assert len(set(persons)) == 3  # {a,b,c}, {d}, {e}
    groups = result.records["review_group"].tolist()
    assert groups[0] == groups[3] != ""  # d may be the person a-b-c: one group
    assert groups[4] == ""


def test_link_between_two_citizen_ids_goes_to_review_instead() -> None:
    records = normalized_records(
        [
            {"full_name": "A", "birth_date": 1980, "citizen_id": "075080000001"},
            {"full_name": "A", "birth_date": 1980},
            {"full_name": "A", "birth_date": 1980, "citizen_id": "075080000002"},
        ]
    )
    a, b, c = records["record_id"]
    result = cluster(records, _pairs([(a, b, 0.99, "link"), (b, c, 0.98, "link")]), SETTINGS)
    persons = result.records["person_id"].tolist()
    assert persons[0] == persons[1] != persons[2]
    second = result.pairs.set_index("right").loc[c]
    assert second["outcome"] == "review"
    assert "hai số CCCD/CMND khác nhau" in second["evidence"]


def test_person_ids_do_not_depend_on_pair_order() -> None:
    records = normalized_records([{"full_name": n, "birth_date": 1980} for n in "ABC"])
    a, b, c = records["record_id"]
    forward = cluster(records, _pairs([(a, b, 0.99, "link"), (b, c, 0.99, "link")]), SETTINGS)
    backward = cluster(records, _pairs([(b, c, 0.99, "link"), (a, b, 0.99, "link")]), SETTINGS)
    assert forward.records["person_id"].tolist() == backward.records["person_id"].tolist()


def test_rejected_records_get_no_person() -> None:
    records = normalized_records([{"full_name": "", "birth_date": 1980}, {"full_name": "B"}])
    result = cluster(records, _pairs([]), SETTINGS)
    assert result.records["status"].tolist() == ["rejected", "rejected"]
    assert result.records["person_id"].tolist() == ["", ""]


def test_a_cmnd_and_a_cccd_of_one_person_do_not_conflict() -> None:
    records = normalized_records(
        [
            {"full_name": "A", "birth_date": 1980, "citizen_id": "075080000001"},
            {"full_name": "A", "birth_date": 1980, "citizen_id": "271234567"},
        ]
    )
    a, b = records["record_id"]
    result = cluster(records, _pairs([(a, b, 0.99, "link")]), SETTINGS)
    assert result.records["person_id"].nunique() == 1
    assert result.pairs["outcome"].tolist() == ["link"]


def test_birth_years_far_apart_are_never_chained_into_one_person() -> None:
    records = normalized_records(
        [
            {"full_name": "A", "birth_date": 1960},
            {"full_name": "A", "birth_date": 1961},
            {"full_name": "A", "birth_date": 1962},
        ]
    )
    a, b, c = records["record_id"]
    result = cluster(records, _pairs([(a, b, 0.99, "link"), (b, c, 0.98, "link")]), SETTINGS)
    persons = result.records["person_id"].tolist()
    assert persons[0] == persons[1] != persons[2]
    assert "năm sinh cách nhau quá xa" in result.pairs.set_index("right").loc[c, "evidence"]
