# Payload Inspector — the two commands a new user needs:
#   make run    build the demo database if missing, then start the main job
#   make test   lint, type-check and run the whole test suite
# Both create .venv and install what they need on a fresh machine.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
DEMO_DB  := var/demo.sqlite
STAMP    := $(VENV)/.installed

.PHONY: run test lint typecheck unit bench geometry demo-db clean help

help:
	@echo "make run    - build the demo database (first time) and start Payload Inspector"
	@echo "make test   - lint, type-check and run every test"
	@echo "make bench  - run the benchmarks"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	$(BIN)/inspector demo-db $(DEMO_DB)

demo-db: $(DEMO_DB)

run: $(STAMP) $(DEMO_DB)
	$(BIN)/inspector --config inspector.toml summary

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint typecheck unit

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

geometry: $(STAMP)
	$(BIN)/python tools/derive_geometry.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
