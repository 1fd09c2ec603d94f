# reluscope: `make study` runs the main job, `make test` the whole suite. Both build .venv from nothing.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TORCH  := $(shell grep -m1 '^torch==' requirements/torch.in)
LOCK   := requirements/lock.txt
EXTRAS := test,ray,video

.PHONY: study test test-fast bench clean browser lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q 'pip==26.3'

# torch first, pinned: an open torch requirement would pull a multi-GB CUDA build. Everything else at the
# versions of the lock (pyproject.toml keeps ranges for library users; tests/test_lock.py checks they agree).
$(STAMP): pyproject.toml $(LOCK) requirements/torch.in | $(BIN)/python
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -c $(LOCK) -e '.[$(EXTRAS)]'
	$(BIN)/python -c "$$WARM_CELLS"
	touch $(STAMP)

# numba compiles the decision cells' walk once and caches it beside the source: at install, not in the first
# study, test or playground frame.
define WARM_CELLS
from reluscope.geometry.regions import decision_segments, linear_regions
from reluscope.model.mlp import build_mlp
decision_segments(linear_regions(build_mlp(2, 4, 2, 2), (-1.0, 1.0, -1.0, 1.0))[-1])
endef
export WARM_CELLS

# Recompile the lock after a change of pyproject.toml's ranges (pip-tools, resolved against the CPU torch).
lock: | $(BIN)/python
	$(BIN)/pip install -q pip-tools
	CUSTOM_COMPILE_COMMAND='make lock' $(BIN)/pip-compile -q --all-extras --strip-extras \
		--no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml requirements/torch.in
	sed -i 's/^torch==\([^+]*\)+cpu$$/torch==\1/' $(LOCK)

study: $(STAMP)
	$(BIN)/reluscope study --out out/study

# The suite with bytecode written even where the environment sets PYTHONDONTWRITEBYTECODE: else each worker, and
# each kernel, server and command a test starts, compiles src/ and rewrites tests/ again.
PYTEST := PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n 2 --dist loadgroup --no-loadscope-reorder

# Debian's chromium drives the report's browser test (Playwright never downloads a browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) browser
	$(PYTEST) tests

# The inner loop: everything but the tests marked slow or browser (under a minute on 2 cores).
test-fast: $(STAMP)
	$(PYTEST) -m "not slow and not browser" tests

bench: $(STAMP)
	set -e; for f in benchmarks/*.py; do echo "== $$f"; $(BIN)/python $$f; done

clean:
	rm -rf $(VENV) out .pytest_cache
