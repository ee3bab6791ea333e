# `make run`: set up, migrate, seed the demo clinic and serve it on http://127.0.0.1:$(PORT)
# `make test`: set up and run the whole suite (lint, then pytest)
# `make bench`: measure the key pages and PDFs on a large seeded clinic (never part of `make test`)

VENV   := .venv
PYTHON ?= python3
FLASK  := $(VENV)/bin/flask --app wsgi
# semgrep pins its own versions of click and more, so it gets a venv of its own.
SEMGREP_VENV := .venv-semgrep
# Only the rules in .semgrep/: nothing is downloaded, nothing is reported anywhere.
SEMGREP      := $(SEMGREP_VENV)/bin/semgrep scan --metrics=off --disable-version-check --quiet
PORT   ?= 5000

# Local use: a generated secret in instance/, cookies that work over plain http on localhost.
export CLINIC_ENV ?= development

.PHONY: run test setup lint clean bench constraints

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip

# Every package at the version constraints.txt names.
$(VENV)/.app: $(VENV)/bin/python pyproject.toml constraints.txt
	$(VENV)/bin/pip install --quiet --constraint constraints.txt -e .
	touch $@

$(VENV)/.test: $(VENV)/.app
	$(VENV)/bin/pip install --quiet --constraint constraints.txt -e '.[test]'
	touch $@

$(SEMGREP_VENV)/.installed: .semgrep/requirements.txt
	$(PYTHON) -m venv $(SEMGREP_VENV)
	$(SEMGREP_VENV)/bin/pip install --quiet -r .semgrep/requirements.txt
	touch $@

setup: $(VENV)/.app

run: $(VENV)/.app
	$(FLASK) db upgrade
	$(FLASK) demo seed
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	$(VENV)/bin/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - wsgi:app

lint: $(VENV)/.test $(SEMGREP_VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/bandit --quiet --recursive clinic
	cd .semgrep && ../$(SEMGREP) --test --config . tests
	$(SEMGREP) --config .semgrep --error clinic templates

# One test process per core (pytest-xdist); PYTEST_ARGS= runs them in this one process.
PYTEST_ARGS ?= --numprocesses auto

test: lint
	$(VENV)/bin/pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) $(SEMGREP_VENV) .pytest_cache .ruff_cache

# Newer versions, deliberately: the newest that pyproject.toml allows, installed into a venv of
# their own and written to constraints.txt. Then `make clean test`, and read the PDFs again.
PINS_VENV := .venv-pins
constraints:
	rm -rf $(PINS_VENV)
	$(PYTHON) -m venv $(PINS_VENV)
	$(PINS_VENV)/bin/pip install --quiet --upgrade pip
	$(PINS_VENV)/bin/pip install --quiet -e '.[test]'
	{ sed -n '/^#/p' constraints.txt; $(PINS_VENV)/bin/pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt
	rm -rf $(PINS_VENV)

# `make bench`: seed a large clinic into its own database, load the key pages under gunicorn
# and render PDFs, against baselines from the same run (`BENCH_ARGS=--small` for a quick run).
bench: $(VENV)/.app
	CLINIC_ENV=production $(VENV)/bin/python bench/run.py $(BENCH_ARGS)
