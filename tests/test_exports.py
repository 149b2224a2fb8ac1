"""Downloads are neutralised against spreadsheet formula injection without changing what people read."""

import pandas as pd
import pytest

from checklist.exports import csv_bytes, neutralise


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+44 1234", "'+44 1234"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("Ashby Vale", "Ashby Vale"), (2.5, 2.5), (None, None)],
)  # fmt: skip
def test_neutralise(value, expected):
    assert neutralise(value) == expected


def test_csv_is_formula_safe_and_keeps_numbers():
    frame = pd.DataFrame({"place": ["=cmd|' /C calc'!A0", "Dunmere"], "score": [-1.5, 2.0]}, index=["=x", "y"])
    text = csv_bytes(frame).decode("utf-8-sig")
    assert "'=cmd" in text and "'=x" in text
    assert "-1.5" in text and "'-1.5" not in text  # numbers stay numbers
