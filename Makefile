# creditsim: `make run` (install, baseline Monte Carlo, dashboard) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
WORKERS ?= 2

.PHONY: run test install bench lint clean validate

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setuptools warns on every editable install that a folder named like the package may be
# imported instead of it: here that folder is the package itself, so the warning is hidden.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/creditsim run configs/baseline.yaml --workers $(WORKERS)
	$(BIN)/creditsim dashboard --runs runs

# The kernels compile (1-2 minutes the first time after a change to sim/kernels) on the
# second core while the browser is installed and the code is checked; the tests then load
# them from the cache. A failure there is not hidden: the tests compile and report it.
test: install
	@echo "compiling the kernels in the background (log: $(VENV)/warm-kernels.log)"
	@$(BIN)/python -c "$(WARM_KERNELS)" > $(VENV)/warm-kernels.log 2>&1 & warm=$$!; \
	bash scripts/install-browser.sh && \
	$(BIN)/ruff check sim dashboard tests benchmarks scripts && \
	$(BIN)/mypy; checked=$$?; wait $$warm; [ $$checked -eq 0 ]
	$(BIN)/python -m pytest -q

WARM_KERNELS := from sim.montecarlo import full_model_warm_up, warm_kernels; \
	warm_kernels(full_model_warm_up())

validate: install
	$(BIN)/creditsim validate --workers $(WORKERS)

bench: install
	$(BIN)/creditsim bench

lint: install
	$(BIN)/ruff check sim dashboard tests benchmarks scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
