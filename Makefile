# Two commands for users: `make reconcile` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)
INPUT ?= input
OUTPUT ?= output
ARGS ?=

.PHONY: reconcile test check lint typecheck bench examples clean

$(STAMP): requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Đang cài đặt các thư viện cần thiết vào $(VENV) (chỉ lần đầu)..."
	@$(PY) -m pip install --disable-pip-version-check --quiet --no-input -r requirements.txt
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

# Exit code 3 means "finished, but some files were skipped": the outputs are
# complete for every other file, so make does not treat it as a failure.
reconcile: $(STAMP)
	@$(PY) -m pipeline run --input "$(INPUT)" --output "$(OUTPUT)" $(ARGS) || test $$? -eq 3

test: $(STAMP)
	@$(PY) -m pytest

lint: $(STAMP)
	@$(PY) -m ruff check pipeline schemas tests bench
	@$(PY) -m ruff format --check pipeline schemas tests bench

typecheck: $(STAMP)
	@$(PY) -m mypy

check: lint typecheck test

bench: $(STAMP)
	@bench_stamp=$(VENV)/.bench-installed-$$(sha1sum requirements-bench.txt | cut -c1-12); \
	if [ ! -f $$bench_stamp ]; then \
		echo "Đang cài đặt các thư viện cho benchmark vào $(VENV) (chỉ lần đầu)..."; \
		$(PY) -m pip install --disable-pip-version-check --quiet --no-input --no-deps \
			-r requirements-bench.txt && rm -f $(VENV)/.bench-installed-* && touch $$bench_stamp; \
	fi
	@$(PY) -m bench.run_all

examples: $(STAMP)
	@$(PY) -m pipeline examples --output examples

clean:
	rm -rf $(VENV) output .pytest_cache .mypy_cache .ruff_cache
