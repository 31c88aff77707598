"""Splink 5 (DuckDB backend) on our cleaned records: the reference to beat.

Splink gets the fields our validate and normalize stages produce, so both
engines start from the same cleaning: the folded name, surname and given name,
the birth date (day precision) and year, the commune and hamlet, the CCCD/CMND.
The model is a reasonable textbook configuration, not tuned on the test data:
- blocking: (name + birth year), (citizen ID), (given name + birth date),
  (surname + given name + commune);
- comparisons: the folded name by Jaro-Winkler levels, surname and given name
  exact, all three with term-frequency adjustments; the birth date graded
  (exact, one character apart, same year); commune, hamlet and citizen ID exact;
- u from random sampling, m by EM over two blocking rules, the prior from a
  deterministic rule;
- pairs at or above CLUSTER_THRESHOLD are clustered (connected components).
CLUSTER_THRESHOLD is Splink's customary 0.9, fixed in advance for every data set.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from pipeline.text import fold

CLUSTER_THRESHOLD = 0.9
U_SAMPLE_PAIRS = 5e6
PRIOR_RECALL = 0.6  # share of true pairs the deterministic prior rule is assumed to find


def splink_input(normalized: pd.DataFrame) -> pd.DataFrame:
    """Accepted records in Splink's shape, empty values as nulls."""
    accepted = normalized[normalized["status"] == "accepted"]

    def nullable(values: pd.Series) -> pd.Series:
        return values.astype(object).where(values.astype(str) != "", None)

    day = accepted["birth_precision"] == "day"
    year = accepted["birth_year"].astype("int64")
    return pd.DataFrame(
        {
            "unique_id": accepted["record_id"].astype(str),
            "organization": accepted["organization"].astype(str),
            "name_key": nullable(accepted["name_key"]),
            "surname_key": nullable(accepted["surname_key"]),
            "given_key": nullable(accepted["given_key"]),
            "birth_day": accepted["birth_iso"].astype(object).where(day, None),
            "birth_year": year.astype("Int64").mask(year <= 0),
            "commune_key": nullable(accepted["commune_name"].map(fold)),
            "hamlet_key": nullable(accepted["hamlet_name"].map(fold)),
            "citizen_id": nullable(accepted["citizen_id_norm"]),
        }
    ).reset_index(drop=True)


def settings(link_type: str) -> SettingsCreator:
    birth = cl.CustomComparison(
        output_column_name="birth",
        comparison_levels=[
            cll.NullLevel("birth_year"),
            cll.ExactMatchLevel("birth_day"),
            cll.LevenshteinLevel("birth_day", 1),
            cll.ExactMatchLevel("birth_year"),
            cll.ElseLevel(),
        ],
        comparison_description="birth date: exact, one character apart, same year",
    )
    return SettingsCreator(
        link_type=link_type,  # type: ignore[arg-type]
        comparisons=[
            cl.JaroWinklerAtThresholds("name_key", [0.95, 0.88]).configure(
                term_frequency_adjustments=True
            ),
            cl.ExactMatch("surname_key").configure(term_frequency_adjustments=True),
            cl.ExactMatch("given_key").configure(term_frequency_adjustments=True),
            birth,
            cl.ExactMatch("commune_key"),
            cl.ExactMatch("hamlet_key"),
            cl.ExactMatch("citizen_id"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("name_key", "birth_year"),
            block_on("citizen_id"),
            block_on("given_key", "birth_day"),
            block_on("surname_key", "given_key", "commune_key"),
        ],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )


def splink_clusters(normalized: pd.DataFrame, link_type: str) -> tuple[pd.Series, dict[str, Any]]:
    """Cluster id by record id, and figures about the run.

    With link_type "link_only" the organizations are the data sets to link
    (FEBRL's two files); "dedupe_only" finds duplicates among all records.
    """
    logging.getLogger("splink").setLevel(logging.WARNING)
    frame = splink_input(normalized)
    db_api = DuckDBAPI()
    if link_type == "link_only":
        tables = [
            db_api.register(part.reset_index(drop=True), dataset_display_name=f"org_{org}")
            for org, part in frame.groupby("organization", sort=True)
        ]
        linker = Linker(tables, settings(link_type))
    else:
        linker = Linker(db_api.register(frame), settings(link_type))
    training = linker.training
    training.estimate_probability_two_random_records_match(
        [block_on("name_key", "birth_day")], recall=PRIOR_RECALL
    )
    training.estimate_u_using_random_sampling(max_pairs=U_SAMPLE_PAIRS, seed=1)
    training.estimate_parameters_using_expectation_maximisation(block_on("name_key", "birth_year"))
    training.estimate_parameters_using_expectation_maximisation(
        block_on("birth_day", "commune_key")
    )
    predictions = linker.inference.predict(threshold_match_probability=CLUSTER_THRESHOLD)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=CLUSTER_THRESHOLD
    ).as_pandas_dataframe()
    linked = len(predictions.as_pandas_dataframe())
    assigned = pd.Series(
        clusters["cluster_id"].astype(str).to_numpy(), index=clusters["unique_id"].astype(str)
    )
    return assigned, {"predicted_pairs": linked}
