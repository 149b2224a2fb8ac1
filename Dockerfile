# The app for one ICS: shared mode behind a TLS reverse proxy, the database on a volume, run as a non-root user.
#   docker build -t ics-maturity .
#   docker run -d -p 127.0.0.1:8501:8501 -v ics-maturity-data:/data \
#     -v /etc/ics-maturity/secrets.toml:/app/.streamlit/secrets.toml:ro \
#     -e CHECKLIST_TRUSTED_PROXIES=172.17.0.1 --ulimit nofile=65536:65536 ics-maturity
# CHECKLIST_TRUSTED_PROXIES is the address the host's nginx or Caddy reaches the container from (the bridge
# gateway, 172.17.0.1 by default): only its X-Forwarded-For is believed. The file limit lets one container hold
# a large workshop's event streams (docs/security.md). The secrets need a real [auth] cookie_secret: shared mode
# will not start without one.
FROM python:3.11-slim-bookworm

# Pango and fonts for the PDF reports (their charts are SVG drawn by the app: no browser needed).
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 app
WORKDIR /app
COPY pyproject.toml README.md ./
COPY checklist ./checklist
RUN pip install --no-cache-dir .
COPY app.py router.py ./
COPY pages ./pages
COPY ui ./ui
COPY web ./web
COPY deploy/config.toml ./.streamlit/config.toml

ENV CHECKLIST_DB=/data/maturity.db \
    CHECKLIST_MODE=shared \
    PYTHONUNBUFFERED=1
RUN mkdir -p /data && chown app:app /data
VOLUME ["/data"]
USER app
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
