# The one entry point. `make run` and `make test` work on a fresh clone with only Python >= 3.11.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint typecheck openapi migrate sample venv clean bench bench-http bench-upload

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

## The project against a thin FastAPI + asyncpg service over HTTP with wrk (one worker each,
## embedded PostgreSQL): BENCH_SECONDS per round (default 10), median of BENCH_ROUNDS (3).
bench-http: $(STAMP)
	@command -v wrk >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then apt-get install -y wrk || { apt-get update && apt-get install -y wrk; }; \
		else echo "bench-http needs wrk: sudo apt-get install wrk (or brew install wrk)"; exit 1; fi; }
	$(PY) -m bench.http_load

## What 10 MB uploads cost the server's memory (one worker, embedded PostgreSQL; Linux).
bench-upload: $(STAMP)
	$(PY) -m bench.upload_memory

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
