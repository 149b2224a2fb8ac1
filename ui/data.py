"""Cached reads for the dashboards, keyed on the database path and its data version.

The version changes with every write, so a cached answer is never stale, whoever wrote. Results are
bounded in number and age.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import analysis, national, store
from ui.common import db_path, framework, open_db


def version() -> tuple[str, int]:
    return str(db_path()), store.data_version(open_db())


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def unit_rounds(key: tuple[str, int], system_id: int, place_id: int | None) -> list[analysis.Round]:
    return analysis.unit_rounds(open_db(), system_id, place_id)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def place_levels(key: tuple[str, int], system_id: int, round_label: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    return analysis.place_levels(open_db(), system_id, round_label)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def submitted_round_labels(key: tuple[str, int], system_id: int) -> list[str]:
    frame = store.list_assessments(open_db(), system_id=system_id, status=store.SUBMITTED)
    frame = frame[frame["place_id"].notna()]
    return list(dict.fromkeys(frame.sort_values("assessment_date", ascending=False)["round_label"]))


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def latest_everywhere(key: tuple[str, int]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every place's latest submitted levels across the database, read once per data version for every page."""
    return analysis.latest_levels_everywhere(open_db())


def every_place_levels(key: tuple[str, int]) -> pd.DataFrame:
    return analysis.labelled_by_place(*latest_everywhere(key))


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def national_rounds(key: tuple[str, int]) -> pd.DataFrame:
    """Every place's submitted rounds with their overall scores, for the national view (read once per version)."""
    return national.place_rounds(open_db(), framework())
