# realtime-template: bake and serve the default project, or run the template's tests.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
JOBS ?= 2

.PHONY: demo test lint clean

## demo: bake the default project into build/ (replacing an earlier demo) and serve it on http://127.0.0.1:8000/
demo: $(VENV)/.installed
	rm -rf build/realtime_site
	$(BIN)/cookiecutter . --no-input --output-dir build
	$(MAKE) -C build/realtime_site run

## test: the template's whole test suite (bakes every combination, runs the generated suites)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS)

lint: $(VENV)/.installed
	$(BIN)/ruff check hooks tests

$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) build
