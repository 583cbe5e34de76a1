# The one entry point. `make run` and `make test` work on a fresh clone with only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck openapi migrate sample venv clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Serve the API (embedded PostgreSQL when DATABASE_URL is unset), migrating and loading the sample catalogue first.
run: $(STAMP)
	$(PY) -m app serve

## The whole test suite against real PostgreSQL (embedded unless TEST_DATABASE_URL is set).
test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check app tests migrations bench
	$(VENV)/bin/ruff format --check app tests migrations bench
	$(VENV)/bin/mypy

## Regenerate the committed OpenAPI document.
openapi: $(STAMP)
	$(PY) -m app openapi > openapi/openapi.json

migrate: $(STAMP)
	$(PY) -m app db upgrade

sample: $(STAMP)
	$(PY) -m app catalogue load-sample

## Time the queue and lookups over BENCH_ROWS requests (default 500000), and the statistics
## over 23 million requests' worth of counters; prints numbers.
bench: $(STAMP)
	$(PY) -m bench.queue
	$(PY) -m bench.statistics

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
