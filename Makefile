# statusdesk — a newcomer needs only `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
UV_VERSION := 0.13.9

.PHONY: run test test-sqlite test-postgres lint types fmt venv lock clean bench

venv: $(VENV)/.installed

# The virtualenv is built from the lock file with uv (bootstrapped into the venv by pip).
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "uv==$(UV_VERSION)"
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $@

run: venv
	$(BIN)/statusdesk migrate --noinput
	$(BIN)/statusdesk seed-demo
	PORT=$(PORT) $(BIN)/statusdesk serve --with-worker

# The whole suite on SQLite, then everything but the browser tests again on PostgreSQL.
TEST_POSTGRES_URL ?= $(or $(STATUSDESK_TEST_POSTGRES_URL),postgres://postgres@127.0.0.1:5432/test)

test: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/python -m pytest
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -m "not e2e" -p no:cacheprovider

test-sqlite: venv
	$(BIN)/python -m pytest

test-postgres: venv
	DATABASE_URL=$(TEST_POSTGRES_URL) $(BIN)/python -m pytest -m "not e2e" -p no:cacheprovider

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

fmt: venv
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

# Not part of `make test`: a year of history on SQLite and PostgreSQL, then every page (see
# bench/README.md; an hour or more the first time). BENCH_ARGS="--reuse" reuses the seeds.
bench: venv
	$(BIN)/python -m bench.scale $(BENCH_ARGS)

types: venv
	$(BIN)/mypy src

lock:
	uv pip compile pyproject.toml --extra dev -o requirements.lock --python-version 3.11 --no-header

clean:
	rm -rf $(VENV) var .pytest_cache
