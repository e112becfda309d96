# Each target creates .venv once and reinstalls only when pyproject.toml changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

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

clean:
	rm -rf $(VENV)
