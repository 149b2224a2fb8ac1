"""The accessibility statement, in the form the accessibility regulations ask of a public sector service.

Open to everyone, signed in or not: it is linked from every page and from the workshop join page.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ui.common import ensure_router, plain

ensure_router(public=True)

CONTACT_VAR = "CHECKLIST_ACCESSIBILITY_CONTACT"
DEFAULT_CONTACT = "the administrator who runs this tool for your organisation"
ANSWER_WORKING_DAYS = 10
# When the statement and the checks behind it were last gone through (updated with each review, not today's date).
PREPARED, REVIEWED, TESTED = "7 December 2026", "7 December 2026", "7 December 2026"

contact = os.environ.get(CONTACT_VAR, "").strip()
st.title("Accessibility statement")
st.markdown(
    (Path(__file__).resolve().parent.parent / "ui" / "accessibility.md")
    .read_text(encoding="utf-8")
    .format(
        contact=plain(contact) if contact else DEFAULT_CONTACT,  # an operator's setting: shown as typed
        days=ANSWER_WORKING_DAYS,
        prepared=PREPARED,
        reviewed=REVIEWED,
        tested=TESTED,
    )
)
