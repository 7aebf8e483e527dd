# Every target creates the virtual environment itself; Python 3.11+ is the only prerequisite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lab bench bench-batch docs chromium clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,lab,docs]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/policy-analytics demo

# axe-core (npm) for the reports' accessibility test, pinned by tests/a11y/package-lock.json.
AXE := tests/a11y/node_modules/axe-core/axe.min.js

$(AXE): tests/a11y/package-lock.json
	cd tests/a11y && npm ci --no-audit --no-fund
	touch $(AXE)

# POLICY_ANALYTICS_A11Y_REQUIRED: the accessibility test fails, rather than skips, when axe or a browser is missing.
test: $(STAMP) $(AXE)
	POLICY_ANALYTICS_A11Y_REQUIRED=1 $(BIN)/python -m pytest -q

lab: $(STAMP)
	$(BIN)/jupyter lab notebooks/

# The documentation site into site/; --strict makes any warning (a broken link, a page left out) an error.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/batch.py

# a whole trust's termly pack alone: 50 schools, 200,000 incidents
bench-batch: $(STAMP)
	$(BIN)/python benchmarks/batch.py

clean:
	rm -rf $(VENV) site reports/*.html reports/*.ipynb reports/*.pdf
