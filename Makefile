VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench screenshots

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/waitline serve

test: $(STAMP)
	$(VENV)/bin/ruff check waitline tests
	$(VENV)/bin/pytest -n 2 -q

lint: $(STAMP)
	$(VENV)/bin/ruff check waitline tests

bench: $(STAMP)
	$(PY) bench/run.py
	$(PY) bench/events.py

# PNGs of the console and the hosted pages for the README (needs Debian's chromium).
screenshots: $(STAMP)
	$(PY) scripts/screenshots.py
