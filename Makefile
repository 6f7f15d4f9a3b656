# realtime-template: bake and serve the default project, or run the template's tests.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
JOBS ?= 2

.PHONY: demo test lint clean bench bench-smoke

## demo: bake the default project into build/ (replacing an earlier demo) and serve it on http://127.0.0.1:8000/
demo: $(VENV)/.installed
	rm -rf build/realtime_site
	$(BIN)/cookiecutter . --no-input --output-dir build
	$(MAKE) -C build/realtime_site run

## test: the template's whole test suite (bakes every combination, runs the generated suites)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS)

## bench: the performance comparison (ours, the bare libraries, Channels, Node; about 20 min on 2 cores)
##        options: make bench BENCH_ARGS="--clients 1000 --servers rungevent-memory,socketio-bare --repeat 1"
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## bench-smoke: the benchmark's CI form (20 clients, every message delivered on every server, about a minute)
bench-smoke: $(VENV)/.installed
	$(BIN)/python bench/run.py --smoke $(BENCH_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check hooks tests bench

$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) build
