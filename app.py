"""The server: Streamlit's pages (router.py) plus the live room's own routes, as one ASGI app.

`streamlit run app.py` finds `app` and serves it with uvicorn; `uvicorn app:app` works too. A
participant's phone talks only to the /join routes (web/live.py), never to a Streamlit session, so a
room of hundreds costs the server one open connection per phone while it waits.
"""

import streamlit as st

from web import live

app = st.App("router.py", routes=live.routes(), lifespan=live.lifespan)
