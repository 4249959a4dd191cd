# Two commands matter: `make run` (set up and start) and `make test` (set up and test).
# Everything else is a step they use, or an evaluation that writes to reports/.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1
export PYTHONWARNINGS := ignore::DeprecationWarning
export ACTION_SERVER_URL ?= http://127.0.0.1:5055/webhook
export TRACKER_STORE_URL ?= sqlite:///var/tracker.db
RASA := $(BIN)/rasa
KNOWLEDGE := $(shell find data/knowledge -name '*.yml' 2>/dev/null)
MODEL_INPUTS := config.yml $(wildcard domain/*.yml) $(wildcard data/nlu/*.yml) data/rules.yml data/stories.yml

.PHONY: help setup run shell test lint validate unit train eval-gate stories eval eval-kb clean

help:
	@echo "make run    set everything up and start the assistant (http://localhost:5005)"
	@echo "make test   set everything up and run the whole test suite"
	@echo "make eval   NLU evaluation against two peers -> reports/, docs/nlu.md"
	@echo "make eval-kb  knowledge-base retrieval accuracy -> reports/"
	@echo "make shell  chat with the assistant in the terminal"

# --- setup ---------------------------------------------------------------------------
$(VENV)/.installed: pyproject.toml constraints.txt
	@test -x $(PY) || "$$(scripts/find_python.sh)" -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip wheel "setuptools<71"
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(VENV)/.installed var/spacy/da_lookup/built-with.txt var/knowledge.db

var/spacy/da_lookup/built-with.txt: $(VENV)/.installed
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
	@SANIC_HOST=127.0.0.1 $(PY) -m rasa_sdk --actions actions --port 5055 >var/action-server.log 2>&1 & \
	  pid=$$!; trap "kill $$pid" EXIT; sleep 8; \
	  $(RASA) shell --endpoints endpoints.yml --port 5006

# --- test ----------------------------------------------------------------------------
test: setup lint validate unit train eval-gate stories
	@echo "make test: all checks passed."

lint: $(VENV)/.installed
	$(BIN)/ruff check assistant actions tests scripts

validate: setup
	$(BIN)/assistant kb validate
	$(PY) -m assistant.datacheck

unit: setup
	$(BIN)/pytest -m "not model" -q

eval-gate: train
	$(BIN)/assistant eval nlu --gate

stories: train
	$(BIN)/pytest -m model -q
	$(PY) -m assistant.storytest

# --- evaluations -----------------------------------------------------------------------
eval: setup
	$(BIN)/assistant eval nlu

eval-kb: setup
	$(BIN)/assistant eval kb

clean:
	rm -rf var models results reports/*.tmp
