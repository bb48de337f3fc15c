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

# Developer helpers for the catalogs: one domain per package, locales/<lang>/LC_MESSAGES/<domain>.po
# (handlers/<feature>/ -> <feature>.po, bot/channels/ -> channels.po, the rest of bot/ -> messages.po;
# a message several packages use -> messages.po). See tools/catalog.py.
# extract: one template per domain, locales/<domain>.pot, for translation tools.
extract: $(STAMP)
	$(PY) tools/catalog.py extract

# update-catalogs: every message into its domain's catalog in vi (translations kept, wherever they
# were; new messages untranslated; gone ones kept as #~), then en mirrored. Re-run it after merges.
# `tools/catalog.py missing` then lists what to translate.
update-catalogs: extract
	$(PY) tools/catalog.py update

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
