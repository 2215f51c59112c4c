# Shouhu: `make run` serves the site on SQLite; `make test` runs the linter and the whole test suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 5000
HOST ?= 127.0.0.1
FLASK := $(BIN)/flask --app wsgi
CATALOG := app/translations
POT := $(CATALOG)/messages.pot

.PHONY: run test lint format translations babel-extract babel-update babel-compile bench bench-load bench-side bench-client-cost clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

## translations: compile the catalogues (.po -> .mo)
translations babel-compile: $(VENV)/.runtime
	$(BIN)/pybabel compile -d $(CATALOG) --statistics

## babel-extract: collect every marked string into messages.pot
babel-extract: $(VENV)/.runtime
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ --no-location --sort-output \
		--project=Shouhu --copyright-holder="Shouhu" -o $(POT) .

## babel-update: merge new strings into the zh_Hans_CN and en catalogues
babel-update: babel-extract
	$(BIN)/pybabel update -i $(POT) -d $(CATALOG) --no-fuzzy-matching --ignore-obsolete

## run: set everything up and serve the site and its job worker on SQLite (DATABASE_URL for PostgreSQL, PORT, HOST)
run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo --first-start
	@echo "Shouhu is at http://$(HOST):$(PORT) (the job worker runs in the same process)"
	$(FLASK) serve --host $(HOST) --port $(PORT)

## test: lint and the whole suite (TEST_DATABASE_URL adds PostgreSQL)
test: $(VENV)/.dev translations
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.dev translations
	$(BIN)/python -m bench

## bench-load: gunicorn + PostgreSQL + wrk (apt-get install wrk); BENCH_ADMIN_URL names the PostgreSQL to use
bench-load: $(VENV)/.dev translations
	$(BIN)/python -m bench.load --admin-url $${BENCH_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}

## bench-side: issue 14's side-by-side run — busy summer on SQLite and PostgreSQL, 3 interleaved rounds, 3 bursts
bench-side: $(VENV)/.dev translations
	$(BIN)/python -m bench.side_by_side --admin-url $${BENCH_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BENCH_ARGS)

## bench-client-cost: where the activity page's query spends its time on PostgreSQL, client side against the server's
bench-client-cost: $(VENV)/.dev translations
	$(BIN)/python -m bench.pg_client_cost --admin-url $${BENCH_ADMIN_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
	find app/translations -name '*.mo' -delete
