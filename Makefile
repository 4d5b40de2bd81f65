# OpenPCM — the two commands are `make run` and `make test`; the rest are their parts.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
HOST ?= 127.0.0.1

.PHONY: run test install lint typecheck pytest bench clean serve static

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the lock changes (a stamp per lock file).
$(VENV)/.installed: requirements.txt pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/.copied: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/bootstrap/dist/css/bootstrap.min.css static/vendor/
	cp node_modules/bootstrap/dist/js/bootstrap.bundle.min.js static/vendor/
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/
	cp node_modules/chart.js/dist/chart.umd.min.js static/vendor/chart.umd.min.js
	touch $@

install: $(VENV)/.installed static/vendor/.copied

static: install
	$(PY) manage.py collectstatic --noinput --verbosity 0

# Embedded default: SQLite under var/, tasks in-process. With DATABASE_URL and REDIS_URL:
# PostgreSQL, Redis, and a Celery worker and beat next to the web server.
run: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@if [ -n "$$DATABASE_URL" ] && [ -n "$$REDIS_URL" ]; then \
	  echo "Full mode: PostgreSQL, Redis, Celery worker and beat."; \
	  $(PY) manage.py collectstatic --noinput --verbosity 0; \
	  trap 'kill 0' EXIT INT TERM; \
	  $(VENV)/bin/celery -A pcm worker --loglevel=INFO --concurrency=2 & \
	  $(VENV)/bin/celery -A pcm beat --loglevel=INFO --schedule=var/celerybeat-schedule & \
	  $(VENV)/bin/gunicorn pcm.wsgi:application --bind $(HOST):$(PORT) --workers 2 --access-logfile - ; \
	else \
	  echo "Embedded mode: SQLite (var/openpcm.sqlite3), tasks run in-process."; \
	  $(PY) manage.py runserver $(HOST):$(PORT) --noreload; \
	fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy .

pytest: install
	$(PY) -m pytest $(PYTEST_ARGS)

test: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# Benchmarks on PostgreSQL (DATABASE_URL, or the local server). SCALE sets the data size.
bench: install
	$(PY) -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules static/vendor staticfiles var
