"""Files people download: every text cell neutralised against spreadsheet formula injection."""

from __future__ import annotations

import pandas as pd

# A spreadsheet treats a cell starting with these as a formula (tab and carriage return too).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Prefix a text value that a spreadsheet would run as a formula with an apostrophe; leave others alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(lambda v: neutralise(v) if isinstance(v, str) else v)
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads accents), formula-safe."""
    keep_index = not isinstance(frame.index, pd.RangeIndex)
    return neutralise_frame(frame).to_csv(index=keep_index).encode("utf-8-sig")
