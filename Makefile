# Two commands for a fresh machine:
#   make demo   install, build the demo store, serve it on http://127.0.0.1:8000
#   make test   install, lint, type-check and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?= -n 3 --dist loadgroup --durations=20

.PHONY: demo test lint install serve clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,demo,models,bench]' 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import afterward, pytest, playwright"
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/afterward demo

serve: install
	$(BIN)/afterward serve

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy

test: lint
	@# Where PYTHONDONTWRITEBYTECODE is set, every process the tests start (servers,
	@# workers, CLI runs) would otherwise compile all of src/ again (~0.2 s of CPU each).
	$(BIN)/python -m compileall -q -j 0 src >/dev/null
	@# pytest keeps its assertion-rewritten test modules only where bytecode may be
	@# written: with PYTHONDONTWRITEBYTECODE set, each test process rewrote all of tests/
	@# again (collecting took 28 s of CPU a process, 10 s with them kept).
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
