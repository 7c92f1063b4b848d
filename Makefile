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

test: install
	bash scripts/install-browser.sh
	$(BIN)/ruff check sim dashboard tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

validate: install
	$(BIN)/creditsim validate --workers $(WORKERS)

bench: install
	$(BIN)/creditsim bench

lint: install
	$(BIN)/ruff check sim dashboard tests benchmarks scripts
	$(BIN)/mypy

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis
