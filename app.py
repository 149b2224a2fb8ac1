"""The server: Streamlit's pages (router.py) plus the live room's own routes, as one ASGI app.

`streamlit run app.py` finds `app` and serves it with uvicorn; `uvicorn app:app` works too. A
participant's phone talks only to the /join routes (web/live.py), never to a Streamlit session, so a
room of hundreds costs the server one open connection per phone while it waits.

Every request, Streamlit's own included (st.App puts user middleware outside Streamlit's and its router),
passes web/edge.py first: it decides who the client is and which scheme it used (believing forwarded headers
only from CHECKLIST_TRUSTED_PROXIES), adds the security headers, marks cookies Secure over https, and in
shared mode refuses /media files to anyone without a live sign-in.
"""

import streamlit as st
from starlette.middleware import Middleware

from ui import identity
from web import edge, live

# Shared mode never starts with a missing, short or published cookie secret: with it anyone could mint a
# sign-in cookie for any person. One line says why and how to make one; the server stops.
identity.refuse_unsafe_start()

# uvicorn imports this module and only then wraps it in its own proxy-header handling, which would replace the
# real peer with an address from X-Forwarded-For (trusted from 127.0.0.1 by default); this stops that, so the
# edge middleware sees the real peer and decides by the operator's list of proxies.
edge.keep_raw_peer()

app = st.App(
    "router.py",
    routes=live.routes(),
    middleware=[Middleware(edge.EdgeMiddleware)],
    lifespan=live.lifespan,
)
