"""The framework: every domain and item with its level descriptors, Easy Read, and the evidence behind it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist.framework import LEVEL_VALUES
from ui.common import ensure_router, framework

ensure_router()

fw = framework()
st.title("The framework")
st.markdown(fw.summary)
st.caption(f"Version {fw.version}. Source: {fw.source.citation}. {fw.source.note}")

easy = st.toggle("Easy Read wording", key="framework_easy")

with st.expander("The maturity scale", expanded=True):
    st.table(
        pd.DataFrame(
            {
                "Level": [f"{lv.value} · {lv.name}" for lv in fw.levels],
                "What it means": [lv.easy_read if easy else lv.summary for lv in fw.levels],
            }
        ),
        hide_index=True,
    )
    st.markdown(
        "Two more answers are possible for any item: **Don't know** (recorded as an evidence gap and left "
        "out of the scores) and **Not applicable** (needs a reason; left out of the scores)."
    )

for module in fw.modules:
    st.header(module.title + (" (optional)" if module.optional else ""))
    st.write(module.description)
    if module.sources:
        st.caption("Draws on: " + "; ".join(module.sources))
    for domain in (d for d in fw.domains if d.module == module.id):
        st.subheader(domain.title)
        st.write(domain.easy_read if easy else domain.description)
        for item in fw.items_in(domain.id):
            point = f" (checklist point {item.checklist_point})" if item.checklist_point else ""
            with st.expander(f"{item.title}{point}"):
                st.markdown(f"**What good looks like:** {item.easy_statement if easy else item.statement}")
                st.table(
                    pd.DataFrame(
                        {
                            "Level": [f"{v} · {fw.level_name(v)}" for v in LEVEL_VALUES],
                            "Descriptor": [item.descriptor(v, easy_read=easy) for v in LEVEL_VALUES],
                        }
                    ),
                    hide_index=True,
                )
                st.markdown(f"**Evidence to look for:** {item.evidence_prompt}")
                st.markdown(f"**Why it matters:** {item.why_it_matters}")
                st.markdown(f"**What works:** {item.learn_from}")
                if item.references:
                    st.markdown("**In the report:** " + "; ".join(f"{r.section} — {r.note}" for r in item.references))
