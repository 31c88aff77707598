"""pandera schemas of a parsed member record.

Two schemas, because pandera has no notion of severity: a failure of
`BlockingSchema` rejects the row, a failure of `WarningSchema` keeps it and
asks its organization to fix the roster. Check names are rule codes; their
Vietnamese wording lives in `pipeline.stages.validate.RULES`.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

EARLIEST_BIRTH_YEAR = 1900


class BlockingSchema(pa.DataFrameModel):
    """A row failing any of these checks cannot be matched and is rejected."""

    full_name_text: Series[str]
    birth_year: Series[int]
    birth_unreadable: Series[bool]
    citizen_id_norm: Series[str]

    @pa.check("full_name_text", name="name_missing")
    def name_present(cls, names: pd.Series) -> pd.Series:
        return names.str.len() > 0

    @pa.check("birth_year", name="birth_in_future")
    def birth_not_in_future(cls, years: pd.Series) -> pd.Series:
        return years <= pd.Timestamp.today().year

    @pa.check("birth_year", name="birth_before_1900")
    def birth_not_too_old(cls, years: pd.Series) -> pd.Series:
        return (years == 0) | (years >= EARLIEST_BIRTH_YEAR)

    @pa.dataframe_check(name="no_birth_year_no_id")
    def birth_year_or_id(cls, df: pd.DataFrame) -> pd.Series:
        # An unreadable birth date is reported by its own rule.
        has_id = df["citizen_id_norm"].str.len() > 0
        return (df["birth_year"] > 0) | has_id | df["birth_unreadable"]

    @pa.check("birth_unreadable", name="birth_unreadable")
    def birth_readable(cls, unreadable: pd.Series) -> pd.Series:
        return ~unreadable

    class Config:
        strict = False


class WarningSchema(pa.DataFrameModel):
    """A row failing these checks is used, but its organization should fix it."""

    is_core: Series[bool]
    address_present: Series[bool]
    position_present: Series[bool]
    is_away: Series[bool]
    birth_precision: Series[str]

    @pa.dataframe_check(name="core_without_address")
    def core_has_address(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["is_core"] | df["address_present"]

    @pa.dataframe_check(name="core_without_position")
    def core_has_position(cls, df: pd.DataFrame) -> pd.Series:
        return ~df["is_core"] | df["position_present"]

    @pa.dataframe_check(name="core_away")
    def core_not_away(cls, df: pd.DataFrame) -> pd.Series:
        return ~(df["is_core"] & df["is_away"])

    @pa.check("birth_precision", name="birth_year_only")
    def full_birth_date(cls, precision: pd.Series) -> pd.Series:
        return precision != "year"

    class Config:
        strict = False
