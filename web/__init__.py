"""The app's own HTTP routes beside Streamlit: the participant's voting page and the live room's streams."""
