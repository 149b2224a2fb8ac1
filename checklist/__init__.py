"""ICS physical activity maturity framework: the domain package (never imports streamlit)."""
