# Quick start: `make run` (install, add the demo to an empty database, start the app)
#              `make test` (install everything the tests need, run the whole suite)
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Local mode listens on this computer only; ADDRESS=0.0.0.0 puts it on the network (for a workshop).
ADDRESS ?= 127.0.0.1

.PHONY: install install-test system-deps oidc-provider run test lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

install: $(PY)
	$(PY) -m pip install --quiet -e .

install-test: $(PY)
	$(PY) -m pip install --quiet -e ".[test]"

# Debian's Chromium drives the browser tests (never a browser download).
# nginx-light, openssl and caddy: the proxy tests put the shipped deploy/ configs in front of the app.
# postgresql: the tests start their own server (as the postgres user) to run the store on both backends.
# libreoffice-writer-nogui: the Word board report is opened and converted by LibreOffice in a test.
DEBIAN_PACKAGES := chromium fonts-dejavu-core poppler-utils libpango-1.0-0 libpangoft2-1.0-0 nginx-light openssl caddy \
	postgresql libreoffice-writer-nogui

system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null || ! ldconfig -p | grep -q libpangoft2-1.0 \
		|| [ ! -x /usr/sbin/nginx ] || ! command -v openssl >/dev/null || ! command -v caddy >/dev/null \
		|| ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || ! command -v soffice >/dev/null; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $(DEBIAN_PACKAGES); \
		else echo "Install Debian's $(DEBIAN_PACKAGES) for the browser and PDF tests"; exit 1; fi; \
	fi

run: install
	$(PY) -m checklist demo --if-empty
	$(PY) -m streamlit run app.py --server.port $(PORT) --server.address $(ADDRESS) --server.headless true --browser.gatherUsageStats false

# The sign-in test starts a real OpenID Connect provider (npm's oidc-provider, needs Node.js 20 or later).
oidc-provider:
	@command -v npm >/dev/null || { echo "Install Node.js 20+ and npm for the sign-in test"; exit 1; }
	@[ -d tests/e2e/oidc/node_modules/oidc-provider ] || npm ci --prefix tests/e2e/oidc --no-audit --no-fund --loglevel=error

test: install-test system-deps oidc-provider
	$(PY) -m ruff check .
	$(PY) -m pytest

lint: install-test
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache test-artifacts site

# The national benchmark (about 20 minutes on 2 cores): writes bench/results.json and docs/benchmarks.md's table.
bench: install-test system-deps
	$(PY) bench/national.py --scale 0.25 1 4 --live 30 300 3000 --backends sqlite postgresql --docs

# The docs site (mkdocs-material), built strictly: a broken link or anchor is an error. make test builds it too.
docs: install-test
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

docs-serve: install-test
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000
