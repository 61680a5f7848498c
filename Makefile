# Film artefact lab: `make run` starts everything on the embedded default; `make test` runs every test.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
FRONTEND_SRC := $(shell find frontend/src -type f 2>/dev/null)

.PHONY: run serve test lint setup install frontend migrate static demo worker worker-cpu worker-gpu web browser corpus bench clean help

help:
	@echo "make run    - install, build, migrate, load demo content, start web server + Celery worker"
	@echo "make serve  - production: migrate, collectstatic, gunicorn + cpu and gpu workers (needs DATABASE_URL, CELERY_BROKER_URL, SECRET_KEY)"
	@echo "make test   - the same set-up and make lint, then the whole test suite (unit, database, Celery, browser)"
	@echo "make lint   - Ruff (ruff.toml) and the import contracts of the layers (.importlinter)"
	@echo "make corpus - install Debian's wallpapers and fonts, write the clean detector corpus to var/corpus"
	@echo "make bench  - run the benchmarks under benchmarks/"

$(VENV)/.installed: requirements.txt requirements-nodeps.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -r requirements-nodeps.txt
	@touch $@

install: $(VENV)/.installed

frontend/dist/.built: frontend/package.json frontend/package-lock.json frontend/build.mjs $(FRONTEND_SRC)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent

frontend: frontend/dist/.built

# The one-command start's own secret key, read by the settings when SECRET_KEY is unset (production sets SECRET_KEY).
LOCAL_KEY := var/secret-key
$(LOCAL_KEY):
	@mkdir -p var && umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

migrate: install $(LOCAL_KEY)
	$(PY) manage.py migrate --noinput

static: install frontend $(LOCAL_KEY)
	$(PY) manage.py collectstatic --noinput -v 0

setup: install frontend migrate static

demo: setup
	$(PY) manage.py seed_demo

# Debian's Chromium for the browser tests (Playwright cannot download browsers here).
browser:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "Browser tests need Debian's chromium: sudo apt-get install -y chromium"; fi; }

# Debian's wallpapers and fonts (installed when root, else the sudo command is printed), then the clean
# corpus of photographs and hard negatives under var/corpus (resumable; CORPUS_ARGS go to the command).
CORPUS_PACKAGES := plasma-workspace-wallpapers gnome-backgrounds mate-backgrounds ukui-wallpapers \
	lomiri-wallpapers-16.04 lomiri-wallpapers-20.04 fonts-dejavu-core fonts-liberation fonts-freefont-ttf
corpus: install
	@missing=$$(for p in $(CORPUS_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done | xargs); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "The corpus needs Debian's $$missing: sudo apt-get install -y $$missing"; fi; fi
	$(PY) manage.py prepare_clean_corpus --out var/corpus $(CORPUS_ARGS)

run: demo
	HOST=$(HOST) PORT=$(PORT) scripts/run-dev

# Production start against DATABASE_URL and CELERY_BROKER_URL (README "Scaling out"; options in scripts/serve).
serve: install frontend
	scripts/serve

# Celery workers. worker: both queues in one worker (development). worker-cpu: the cpu queue on the prefork pool.
# worker-gpu GPU=N: the gpu queue on GPU N with the solo pool, one job at a time (CUDA is never used in a forked
# child); run one per GPU (README "Scaling out").
GPU ?= 0
CPU_CONCURRENCY ?= $(shell nproc)
worker: setup
	$(PY) -m celery -A webapp worker -Q cpu,gpu --loglevel INFO

worker-cpu: setup
	$(PY) -m celery -A webapp worker -Q cpu --concurrency $(CPU_CONCURRENCY) --hostname cpu@%h --loglevel INFO

worker-gpu: setup
	CUDA_VISIBLE_DEVICES=$(GPU) $(PY) -m celery -A webapp worker -Q gpu --pool solo --concurrency 1 \
	  --hostname gpu$(GPU)@%h --loglevel INFO

test: setup browser lint
	$(PY) -m pytest $(PYTEST_ARGS)

# Ruff's rules (ruff.toml) and the import contracts that say the layers (.importlinter).
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

bench: setup
	@for b in benchmarks/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf var/broker var/test-broker var/staticfiles frontend/dist frontend/dist-test test-artifacts
