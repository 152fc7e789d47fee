# Payload Inspector — the two commands a new user needs:
#   make run    build the demo database if missing, then serve it (http://localhost:8000/)
#   make test   lint, type-check and run the whole test suite
# Both create .venv and install what they need on a fresh machine.

PYTHON   ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
DEMO_DB  := var/demo.sqlite
STAMP    := $(VENV)/.installed

.PHONY: run test lint typecheck unit stress bench geometry demo-db clean help system-deps

help:
	@echo "make run    - build the demo database (first time) and start Payload Inspector"
	@echo "make test   - lint, type-check and run every test"
	@echo "make stress - long fuzz, fault and load profiles"
	@echo "make bench  - run the benchmarks"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DEMO_DB): | $(STAMP)
	$(BIN)/inspector demo-db $(DEMO_DB)

# The golden JSON is written with the database; one built before it existed is rebuilt.
DEMO_GOLDEN := var/demo-golden.json
$(DEMO_GOLDEN): | $(DEMO_DB)
	test -f $@ || $(BIN)/inspector demo-db $(DEMO_DB) --force

demo-db: $(DEMO_DB)

PORT ?= 8000

run: $(STAMP) $(DEMO_DB) $(DEMO_GOLDEN)
	$(BIN)/inspector --config inspector.toml serve --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Debian packages the tests drive for real (a browser for the UI tests,
# a PostgreSQL server for the database backend tests, a load generator,
# a Redis for the shared cache, nginx as the buffering proxy in front).
DEBIAN_PACKAGES := chromium wrk postgresql redis-server nginx-light
system-deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -ne 0 ] && SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

unit: $(STAMP) system-deps
	$(BIN)/python -m pytest

test: lint typecheck unit

# Long fuzz, fault and load profiles (100,000 examples per schema, 60 s of wrk).
stress: $(STAMP) system-deps
	INSPECTOR_STRESS=1 $(BIN)/python -m pytest tests/fuzz tests/reliability tests/load

bench: $(STAMP) system-deps
	$(BIN)/python benchmarks/run.py

geometry: $(STAMP)
	$(BIN)/python tools/derive_geometry.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
