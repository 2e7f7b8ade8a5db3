# fairgrid developer entry points. `make demo` and `make test` work on a fresh clone.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck pytest browser clean services-up services-down

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,train]'
	@touch $(STAMP)

# The main job on embedded defaults, then the hub serving it with the three demo sites' agents connected
# and one federated question asked (Ctrl-C stops all; FAIRGRID_DEMO_ONCE=1 stops after the question).
# Development sign-in (`fairgrid dev-token`) is on for the demo only: FAIRGRID_DEV_AUTH=1; a real server
# needs FAIRGRID_JWKS_URL, _JWT_ISSUER, _JWT_AUDIENCE.
demo: install
	FAIRGRID_DEV_AUTH=1 $(BIN)/python -m api.demo --serve $${FAIRGRID_DEMO_ONCE:+--once}

lint: install
	$(BIN)/ruff check registry api federation tests bench
	$(BIN)/ruff format --check registry api federation tests bench

typecheck: install
	$(BIN)/mypy

# Headless Chromium for tests/api/pages/test_browser.py: installed from the distribution when running as
# root (CI, containers); otherwise install it yourself. make test requires it (FAIRGRID_REQUIRE_CHROMIUM).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } || \
		echo "chromium is not installed (apt-get install chromium): the browser test will fail"

# The suite on PYTEST_WORKERS processes (pytest-xdist), a module per worker at a time (loadfile: a module's
# fixtures are built once); PYTEST_WORKERS=0 runs it in this one process.
PYTEST_WORKERS ?= 2
pytest: install browser
	FAIRGRID_DEV_AUTH=1 FAIRGRID_REQUIRE_CHROMIUM=1 bash deploy/test-services.sh run \
		$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile -q $(PYTEST_ARGS)

test: lint typecheck pytest

clean:
	rm -rf $(VENV) .fairgrid .pytest_cache .mypy_cache .ruff_cache
