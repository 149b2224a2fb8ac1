"""The framework: every domain and item with its level descriptors, Easy Read, and the evidence behind it."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from checklist.framework import LEVEL_VALUES, change_log, registry
from ui.common import ensure_router, framework
from ui.local_view import local_items_section

ensure_router()

fw = framework()


def _counted(counted: str) -> str:
    """What an item counts, said once: its own words when it is not counted by share."""
    if counted.lower().startswith("not counted"):
        return counted
    words = [f"'{t.word}'" for t in fw.scale.terms] if fw.scale else []
    said = ", ".join(words[:-1]) + f" and {words[-1]}" if len(words) > 1 else "".join(words)
    return f"What {said} count: {counted}" if said else f"What is counted: {counted}"


st.title("The framework")
st.markdown(fw.summary)
st.caption(f"Version {fw.version}. Source: {fw.source.citation}. {fw.source.note}")
if fw.caveat:
    st.info(fw.caveat, icon=":material/info:")

# The Easy Read switch lives in the address too, so a reload or a shared link keeps it.
if "framework_easy" not in st.session_state:
    st.session_state["framework_easy"] = st.query_params.get("easy") == "1"
easy = st.toggle("Easy Read wording", key="framework_easy")
if easy:
    st.query_params["easy"] = "1"
elif "easy" in st.query_params:
    del st.query_params["easy"]

older = [v for v in registry().versions if v != fw.version]
if older:
    previous = registry().get(older[-1])
    log = change_log(previous, fw)
    with st.expander(f"What changed since version {previous.version} ({len(log)} items)"):
        if fw.changes:
            st.markdown(fw.changes)
        st.caption(
            f"Rounds made with version {previous.version} keep its wording and are scored with it; when rounds "
            "of different versions are set side by side, the items below are named as changed."
        )
        st.table(
            pd.DataFrame(
                {
                    "Item": [c.title for c in log],
                    "Change": [c.kind for c in log],
                    "What changed": [c.note or "—" for c in log],
                }
            ),
            hide_index=True,
        )


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
    if fw.scale:
        st.markdown(f"**How to choose a level:** {fw.scale.easy_rule if easy else fw.scale.rule}")
        if not easy:
            st.markdown(fw.scale.counting)
        st.table(
            pd.DataFrame(
                {
                    "Word": [t.word for t in fw.scale.terms],
                    "What it means": [t.easy_read if easy else t.meaning for t in fw.scale.terms],
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
    if module.documents:
        st.markdown("**Sources of this module (outside the report):**")
        st.markdown("\n".join(f"- {d.citation}. {d.note}" for d in module.documents))
    elif module.sources:
        st.caption("Draws on: " + "; ".join(module.sources))
    for domain in (d for d in fw.domains if d.module == module.id):
        if domain.title != module.title:  # a one-domain module is not headed twice
            st.subheader(domain.title)
        st.write(domain.easy_read if easy else domain.description)
        for item in fw.items_in(domain.id):
            point = f" (checklist point {item.checklist_point})" if item.checklist_point else ""
            with st.expander(f"{item.title}{point}"):
                st.markdown(f"**What good looks like:** {item.easy_statement if easy else item.statement}")
                if item.unit:
                    unit = fw.unit(item.unit)
                    st.caption(f"Judged for: {unit.easy_read if easy else unit.name.lower()}")
                if item.counted and not easy:
                    st.caption(_counted(item.counted))
                levels = {
                    "Level": [f"{v} · {fw.level_name(v)}" for v in LEVEL_VALUES],
                    "Descriptor": [item.descriptor(v, easy_read=easy) for v in LEVEL_VALUES],
                }
                if item.evidence_examples and not easy:
                    levels["Example of evidence"] = [item.evidence_example(v) for v in LEVEL_VALUES]
                st.table(pd.DataFrame(levels), hide_index=True)
                prompt = item.easy_evidence_prompt if easy and item.easy_evidence_prompt else item.evidence_prompt
                st.markdown(f"**Evidence to look for:** {prompt}")
                st.markdown(f"**Why it matters:** {item.why_it_matters}")
                st.markdown(f"**What works:** {item.learn_from}")
                for label in dict.fromkeys(r.label for r in item.references):
                    refs = [fw.cite(r) for r in item.references if r.label == label]
                    st.markdown(f"**{label}:** " + "; ".join(refs))
                if item.change_note and older:
                    st.caption(f"Changed in version {fw.version}: {item.change_note}")

local_items_section(easy)  # the local items of the systems this person may read, after the national ones
