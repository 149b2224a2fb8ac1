"""Streamlit helpers shared by the pages. Domain logic stays in checklist/."""
