"""Assess: a round's results and its board report."""

from __future__ import annotations

import streamlit as st

from checklist import (
    analysis,
    clock,
    formatting,
    presentation,
    reports,
    store,
    summary,
)
from checklist.framework import Framework
from ui.common import (
    headline,
    open_db,
    open_fresh,
    plain,
)


def results_panel(assessment: dict, fw: Framework) -> None:
    current, previous, comparison = analysis.rounds_around(open_db(), assessment["id"])
    result = current.result
    if assessment["status"] == store.DRAFT:
        st.info("Provisional: this assessment is still a draft. Scores will change as answers are added.")
    headline(  # with the spread of levels by the band
        fw, result, comparison, previous.label if previous else None, provisional=assessment["status"] == store.DRAFT
    )
    r1, r3, r2 = st.columns(3)
    aid = assessment["id"]
    name = f"report-{assessment['unit_name']}-{assessment['round_label']}".replace(" ", "-")
    r1.download_button(
        "Board report (PDF)",
        lambda: reports.pdf_bytes(reports.assessment_html(open_fresh(), aid, clock.today())),
        file_name=f"{name}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key=f"assess_report_pdf_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    r3.download_button(
        "Board report (Word)",
        lambda: reports.file_bytes(reports.assessment_html(open_fresh(), aid, clock.today()), "docx"),
        file_name=f"{name}.docx",
        mime="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        icon=":material/article:",
        key=f"assess_report_docx_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    r2.download_button(
        "Board report (HTML)",
        lambda: reports.assessment_html(open_fresh(), aid, clock.today()),
        file_name=f"{name}.html",
        mime="text/html",
        icon=":material/description:",
        key=f"assess_report_html_{aid}",
        on_click="ignore",  # a download changes nothing: no rerun
    )
    st.markdown("**Domain scores**")
    domains = summary.domain_table(fw, result, comparison)
    domains["Domain"] = domains["Domain"].map(plain)  # st.table renders Markdown; a local domain's title is user text
    # The one number rule (checklist.formatting): two decimals, a sign on changes, a dash where there is none.
    st.table(
        domains.style.format(
            {"Score (0–4)": formatting.score, "Change since last round": formatting.delta}, na_rep=formatting.NONE
        ).hide(axis="index")
    )
    left, right = st.columns(2)
    with left:
        st.markdown("**Strengths**")
        for h in summary.strengths(fw, result):
            st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))
    with right:
        st.markdown("**Priorities**")
        for h in summary.priorities(fw, result):
            st.markdown("- " + presentation.highlight(h.title, h.domain, h.why))
