# fairgrid developer entry points. `make demo` and `make test` work on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest clean services-up services-down

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

demo: install
	FAIRGRID_HOME=$${FAIRGRID_HOME:-.fairgrid} $(BIN)/python -m registry.demo

lint: install
	$(BIN)/ruff check registry api federation tests bench
	$(BIN)/ruff format --check registry api federation tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	bash deploy/test-services.sh run $(BIN)/python -m pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .fairgrid .pytest_cache .mypy_cache .ruff_cache
