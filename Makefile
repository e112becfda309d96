# Each target creates .venv once and reinstalls only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench mutate clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[test,postgres]'
	touch $@

run: $(VENV)/.installed
	$(BIN)/designer init
	$(BIN)/designer serve

test: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/bench_income.py
	$(BIN)/python benchmarks/bench_canvas.py

# Mutation testing of app/engine and app/services (not part of CI). Stops after
# MUTATE_SECONDS; the next `make mutate` goes on where it stopped (results in mutants/).
MUTATE_SECONDS ?= 3600
mutate: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test,postgres,mutate]'
	timeout $(MUTATE_SECONDS) $(BIN)/mutmut run --max-children 2 || [ $$? -eq 124 ]
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV)
