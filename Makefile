# Each target creates .venv once and reinstalls only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench mutate clean

# The JavaScript tools (ESLint) come from package-lock.json; `npm ci` reinstalls them when it changes.
NODE_MODULES := node_modules/.package-lock.json

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Running needs the app alone; the tests also want their tools, the PostgreSQL and S3 drivers
# and Dask (the executor's tests run on a local Dask cluster too).
$(VENV)/.installed-run: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test,postgres,s3,dask]'
	touch $@ $(VENV)/.installed-run

$(NODE_MODULES): package-lock.json
	npm ci --no-audit --no-fund
	touch $@

run: $(VENV)/.installed-run
	$(BIN)/designer init
	$(BIN)/designer serve

test: $(VENV)/.installed $(NODE_MODULES)
	$(BIN)/ruff check .
	npx --no-install eslint .
	node --test tests/js/
	$(BIN)/pytest -n 2 --dist loadgroup

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_income.py
	$(BIN)/python benchmarks/bench_canvas.py

# Mutation testing of app/engine and app/services (not part of CI). Stops after
# MUTATE_SECONDS; the next `make mutate` goes on where it stopped (results in mutants/).
MUTATE_SECONDS ?= 3600
mutate: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,postgres,s3,dask,mutate]'
	timeout $(MUTATE_SECONDS) $(BIN)/mutmut run --max-children 2 || [ $$? -eq 124 ]
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) node_modules
