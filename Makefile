# Two commands matter: `make run` (set up and start) and `make test` (set up and test).
# Everything else is a step they use, or an evaluation that writes to reports/.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_DETERMINISTIC_OPS := 1
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook
export TRACKER_STORE_URL ?= sqlite:///var/tracker.db
RASA := $(BIN)/rasa
KNOWLEDGE := $(shell find data/knowledge -name '*.yml' 2>/dev/null)
MODEL_INPUTS := config.yml $(wildcard domain/*.yml) $(wildcard data/nlu/*.yml) data/rules.yml data/stories.yml

.PHONY: help setup run shell test lint validate unit train eval-gate stories eval eval-kb clean
.PHONY: web web-test screenshots browser

help:
	@echo "make run    set everything up and start the assistant (http://localhost:5005)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make eval   NLU evaluation against two peers -> reports/, docs/nlu.md"
	@echo "make eval-kb  knowledge-base retrieval accuracy -> reports/"
	@echo "make shell  chat with the assistant in the terminal"
	@echo "make web    build the web chat's assets (npm) -> assistant/web/static/vendor/"
	@echo "make web-test  web chat tests in headless Chromium against a running assistant"
	@echo "make screenshots  regenerate docs/screenshots/ (desktop and 320 px)"
	@echo "make check  staff: every content check with a short Danish verdict"
	@echo "make test-dialogues [FILE=tests/x.yml]  staff: test conversations, Danish summary"
	@echo "make stats [DAYS=30]  staff: conversation statistics -> terminal + reports/stats_*.png"
	@echo "make robust-test  bad input (fuzz) and faults against a running assistant"
	@echo "make scale-test   2 replicas behind nginx on PostgreSQL + Redis (installs them)"
	@echo "make audit  pip-audit of the pinned dependencies -> reports/pip-audit.*"
	@echo "make scale  start the scaled-out setup (deploy/scale.sh; stop: make scale-stop)"
	@echo "make bench  load test vs Rasa's default config -> reports/bench.md, docs/performance.md"

# --- setup ---------------------------------------------------------------------------
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || "$$(scripts/find_python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel "setuptools<71"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed var/spacy/da_lookup/built-with.txt var/knowledge.db web

var/spacy/da_lookup/built-with.txt: $(VENV)/.installed assistant/nlu/spacy_model.py assistant/nlu/lemmas.py
	$(BIN)/assistant nlu build-spacy

var/knowledge.db: $(VENV)/.installed $(KNOWLEDGE)
	$(BIN)/assistant kb load
	@touch $@

# Rasa fingerprints its inputs: an unchanged model is not trained again.
train: setup
	$(RASA) train --domain domain --data data --config config.yml --out models

# --- run -----------------------------------------------------------------------------
run: train
	$(BIN)/assistant run

shell: train
	@echo "Starting the action server and a terminal chat (Ctrl-D or /stop to end) ..."
	@url="$$($(PY) -c 'from assistant.config import load_settings; print(load_settings().action_url)')"; \
	  $(PY) -m assistant.action_server >var/action-server.log 2>&1 & \
	  pid=$$!; trap "kill $$pid 2>/dev/null" EXIT; sleep 8; \
	  kill -0 $$pid 2>/dev/null || { echo "The action server did not start (is its port taken? see var/action-server.log)." >&2; exit 1; }; \
	  ACTION_SERVER_URL="$$url" $(RASA) shell --endpoints endpoints.yml --port 5006

# --- test ----------------------------------------------------------------------------
test: setup lint validate unit train eval-gate stories web-test robust-test scale-test audit
	@echo "make test: all checks passed."

lint: $(VENV)/.installed
	$(BIN)/ruff check assistant actions tests scripts deploy bench

validate: setup
	$(BIN)/assistant kb validate
	$(PY) -m assistant.datacheck

unit: setup
	$(BIN)/pytest -m "not model and not web and not robust and not scale" -q

eval-gate: train
	$(BIN)/assistant eval nlu --gate

stories: train
	$(BIN)/pytest -m model -q
	$(PY) -m assistant.storytest

# --- web chat (assistant/web, web/, tests/web) ---------------------------------------
# `web` builds the widget and the demo page's assets from npm packages (dkfds,
# socket.io-client; web/package-lock.json) into assistant/web/static/vendor/. Nothing is
# loaded from a CDN at run time. The browser tests drive Debian's Chromium, installed here
# when missing (needs root, as in CI); Playwright's own browser downloads are not used.
WEB_VENDOR := assistant/web/static/vendor
WEB_INPUTS := web/build.mjs $(wildcard web/src/*)
CHROMIUM := /usr/bin/chromium

web: $(WEB_VENDOR)/built-with.txt

web/node_modules/.installed: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed to build the web chat." >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

$(WEB_VENDOR)/built-with.txt: web/node_modules/.installed $(WEB_INPUTS)
	cd web && npm run --silent build

browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's Chromium (and an emoji font) for the browser tests ..."; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-noto-color-emoji \
	    || { echo "Could not install Chromium: run 'apt-get install chromium' as root." >&2; exit 1; }; \
	fi

web-test: train web browser
	$(BIN)/pytest -m web -q

screenshots: train web browser
	$(PY) tests/web/screenshots.py

# --- evaluations -----------------------------------------------------------------------
eval: setup
	$(BIN)/assistant eval nlu

eval-kb: setup
	$(BIN)/assistant eval kb

clean:
	rm -rf var models results reports/*.tmp

# --- deployment, robustness, scale-out, audit (deploy/, tests/robustness, tests/scale) --
# robust-test: Hypothesis-generated bad input through the REST channel of a running
# assistant, and faults (action server down or silent, database lost, restart, logs).
# scale-test: deploy/scale.sh starts PostgreSQL, Redis, nginx, two Rasa replicas and two
# action servers (own state dir var/scale-test, free ports) and 50 conversations go through.
# services: Debian's postgresql, redis-server and nginx, installed with apt-get when missing
# (root, as in CI), then PostgreSQL and Redis started under var/scale/ (deploy/scale.sh).
# audit: pip-audit in its own venv (it needs packaging>=23, Rasa 3.6 packaging<21).
.PHONY: robust-test fuzz-test services services-install scale scale-stop scale-test audit
AUDIT_VENV := var/audit-venv
SERVICE_PACKAGES := postgresql redis-server nginx

robust-test: train
	$(BIN)/pytest -m robust -q tests/robustness

fuzz-test: train
	$(BIN)/pytest -m robust -q tests/robustness/test_fuzz_rest.py

services-install:
	@missing=""; \
	  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing="$$missing postgresql"; \
	  command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  if [ -n "$$missing" ]; then \
	    echo "Installing Debian's$$missing ..."; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(SERVICE_PACKAGES) \
	      || { echo "Could not install$$missing: run 'apt-get install$$missing' as root." >&2; exit 1; }; \
	  fi

services: services-install setup
	deploy/scale.sh services

scale: train services-install
	deploy/scale.sh start

scale-stop:
	deploy/scale.sh stop

scale-test: train services-install
	$(BIN)/pytest -m scale -q tests/scale

$(AUDIT_VENV)/.installed: deploy/audit/requirements.txt
	@test -x $(AUDIT_VENV)/bin/python || $(PY) -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(AUDIT_VENV)/bin/python -m pip install --quiet -r deploy/audit/requirements.txt
	@touch $@

audit: $(VENV)/.installed $(AUDIT_VENV)/.installed
	$(PY) deploy/audit/audit.py --pip-audit $(AUDIT_VENV)/bin/pip-audit

# --- staff tools (assistant/staff, docs/personale.md, tests/staff) ------------------------
# check: the knowledge-base validation, rasa data validate, training, the NLU quality gate
# and the test dialogues, each with OK/FEJL and a short Danish verdict at the end.
# test-dialogues: Rasa test stories end to end (`rasa test core --e2e`) with a plain Danish
# summary of every failed step; FILE= any test-story file (default tests/test_stories.yml).
# stats: statistics from the tracker store (TRACKER_STORE_URL) as a table, PNG charts in
# reports/ (DAYS=N: only the last N days). The tests run in unit, stories and web-test.
.PHONY: check test-dialogues stats

# Not `setup`: a knowledge-base error must reach check 1's Danish verdict, not stop make.
check: $(VENV)/.installed var/spacy/da_lookup/built-with.txt
	@$(PY) -m assistant.staff.check

test-dialogues: train
	@$(PY) -m assistant.staff.dialogues $(or $(FILE),tests/test_stories.yml)

stats: $(VENV)/.installed
	@$(BIN)/assistant stats $(if $(DAYS),--days $(DAYS))

# --- performance benchmark (bench/, docs/performance.md) -------------------------------
# bench: trains config.yml and Rasa's default config (eval/configs/rasa_default.yml) once
# per fingerprint into bench/.work/, runs both as `assistant run` under locust with 1, 8
# and 32 concurrent users, and writes reports/bench.md + reports/bench.json (figures,
# ratios ours/default, the bar of issue #9, py-spy profiles). BENCH_ARGS= passes options
# (e.g. BENCH_ARGS="--users 1,8 --duration 20 --no-profile").
.PHONY: bench
bench: setup
	$(PY) -m bench.run $(BENCH_ARGS)
