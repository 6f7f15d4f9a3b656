# realtime-template: bake and serve the default project, or run the template's tests.

PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
JOBS ?= 2

# Where the demo lives (make demo DEMO_DIR=build/next bakes a second one), and how it is served.
DEMO_DIR ?= build
SERVE ?= $(MAKE) -C $(DEMO_DIR)/realtime_site run

.PHONY: demo demo-clean test lint clean bench bench-smoke soak

## demo: bake the default project into build/realtime_site once, then serve it on http://127.0.0.1:8000/
## (make demo PORT=8010 for another port). Later runs reuse it (database, superuser, .env, venv,
## your edits); a changed template updates it only if you edited none of its files (scripts/demo.py).
demo: $(VENV)/.installed
	$(BIN)/python scripts/demo.py $(DEMO_DIR)
	$(SERVE)

## demo-clean: remove the demo (its database and edits too); the next make demo bakes a fresh one
demo-clean:
	rm -rf $(DEMO_DIR)/realtime_site $(DEMO_DIR)/.realtime_site.json

## test: the template's whole test suite (bakes every combination, runs the generated suites)
test: $(VENV)/.installed
	$(BIN)/python -m pytest -n $(JOBS)

## bench: the performance comparison (ours, the bare libraries, Channels, Node; ~40 min on 2 busy cores: README)
##        options: make bench BENCH_ARGS="--clients 1000 --servers rungevent-memory,socketio-bare --repeat 1"
bench: $(VENV)/.installed
	$(BIN)/python bench/run.py $(BENCH_ARGS)

## bench-smoke: the benchmark's CI form (20 clients, every message delivered on every server, about a minute)
bench-smoke: $(VENV)/.installed
	$(BIN)/python bench/run.py --smoke $(BENCH_ARGS)

## soak: 1,000 chat clients for 10 minutes through HAProxy on the production stack; RSS and open fds
##       of every process sampled every 10 s must stay flat, no acknowledged line lost (scripts/soak.py)
##       options: make soak SOAK_ARGS="--clients 300 --minutes 3 --chart soak.png"
soak: $(VENV)/.installed
	$(BIN)/python scripts/soak.py $(SOAK_ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check hooks tests scripts bench

$(VENV)/.installed: requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

clean:
	rm -rf $(VENV) build
