# Quickstart targets: each makes the virtual environment it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: compare test venv clean

$(BIN)/sim: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/sim

venv: $(BIN)/sim

## The main job: all organisation models on the default data -> results/compare_models
compare: venv
	$(BIN)/sim batch scenarios/compare_models.toml --report

## The test suite (CI runs exactly this)
test: venv
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) results/compare_models
