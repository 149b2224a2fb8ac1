"""The framework page's last part: the local items of the systems a person may read, each shown as written."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist import access, store
from checklist.framework import LEVEL_NAMES, LEVEL_VALUES
from checklist.local_items import LEVEL_KEYS
from ui.common import actor, open_db, plain, text_table


def local_items_section(easy: bool) -> None:
    """Each readable system's newest local items: what they ask at each level (Easy Read when chosen and given)."""
    db = open_db()
    user = actor()
    systems = store.list_systems(db)
    readable = [int(s) for s in systems["id"] if access.can_read_any_of(user, int(s))]
    found = store.local_modules.newest_of_systems(db, readable)
    if not found:
        return
    st.header("Systems' own local items")
    st.write(
        "Besides the national items, a system may add its own for local priorities, written in the same shape. "
        "They are scored as their own domain and never counted in the overall score or in comparisons between "
        "places or systems."
    )
    for _, system_name, module in found:
        st.subheader(f"{plain(system_name)}: {plain(module.title)} (version {module.version})", anchor=False)
        if module.description:
            st.write(plain(module.description))
        for item in module.items:
            with st.expander(plain(item.title)):
                words = item["easy_statement"] if easy and item.has_easy_read else item["statement"]
                st.markdown(f"**What good looks like:** {plain(words)}")
                if item["unit"]:
                    st.caption(f"Judged for: {item['unit']}")
                keys = [f"easy_{k}" for k in LEVEL_KEYS] if easy and item.has_easy_read else list(LEVEL_KEYS)
                text_table(
                    pd.DataFrame(
                        {
                            "Level": [f"{v} · {LEVEL_NAMES[v]}" for v in LEVEL_VALUES],
                            "Descriptor": [item[k] for k in keys],
                        }
                    )
                )
                st.markdown(f"**Evidence to look for:** {plain(item['evidence_prompt'])}")
                if item["why_it_matters"]:
                    st.markdown(f"**Why it matters:** {plain(item['why_it_matters'])}")
