# Every target creates .venv when it is missing and installs what it needs.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: install run test lint bench chaos quality clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The embedded service on http://127.0.0.1:8000: SQLite and a file queue under ./data, a worker.
run: install
	$(BIN)/dyad serve --port 8000

lint: install
	$(BIN)/ruff check .

test: install lint
	$(BIN)/python -m pytest

# The coder against plain spaCy, then the service on the local Redis and PostgreSQL.
bench: install
	$(BIN)/python bench/bench_coder.py --write BENCHMARKS.md
	$(BIN)/python bench/bench_service.py --write BENCHMARKS.md

# Kill workers and Redis while 5,000 articles drain; record the figures in RELIABILITY.md.
chaos: install
	$(BIN)/python bench/chaos.py --articles 5000 --write RELIABILITY.md

# Regenerate the README's "Quality" section from the gold sets in ../shared/gold.
quality: install
	$(BIN)/python bench/quality.py --update-readme README.md

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
