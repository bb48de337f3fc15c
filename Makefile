# Two commands matter: `make run` and `make test`. Everything else is a step they use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCALES := locales
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/*.po))

.PHONY: run test lint format catalogs extract update-catalogs clean

run: $(STAMP) catalogs
	$(PY) -m bot run

test: $(STAMP) catalogs
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy
	CI=$${CI:-} $(VENV)/bin/pytest

$(PY):
	$(PYTHON) -m venv $(VENV)

# Reinstall when the project's dependencies change.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --no-input -e '.[dev]'
	touch $(STAMP)

catalogs: $(MO_FILES)

%.mo: %.po | $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -i $< -o $@

# Developer helpers: extract new messages and merge them into both catalogs.
extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
	  --project=khuyenhoc-bot -o $(LOCALES)/messages.pot bot handlers

update-catalogs: extract
	$(VENV)/bin/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching --ignore-obsolete

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) $(LOCALES)/*/LC_MESSAGES/*.mo
