"""Router: page config and navigation (the Streamlit script app.py serves). Each page is a thin script in pages/."""

import streamlit as st

st.set_page_config(
    page_title="ICS physical activity maturity",
    page_icon="♿",  # an emoji needs no network; a :material: favicon is fetched from a font CDN
    layout="wide",
)

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/assess.py", title="Assess", icon=":material/checklist:", url_path="assess"),
    st.Page("pages/dashboard.py", title="Dashboard", icon=":material/monitoring:", url_path="dashboard"),
    st.Page("pages/compare.py", title="Compare places", icon=":material/compare_arrows:", url_path="compare"),
    st.Page("pages/workshop.py", title="Workshop", icon=":material/co_present:", url_path="workshop"),
    st.Page("pages/framework.py", title="The framework", icon=":material/menu_book:", url_path="framework"),
    st.Page("pages/manage.py", title="Manage", icon=":material/settings:", url_path="manage"),
]

st.navigation(PAGES).run()
