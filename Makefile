# Shuzhi: `make run` (demo on SQLite at http://127.0.0.1:8000) and `make test` (SQLite + PostgreSQL).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The address printed on code slips, the screen's QR and the console: this server's own, unless set.
SITE_URL ?= http://$(HOST):$(PORT)

.PHONY: run test setup lint format bench messages clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "==> Installing Python packages into $(VENV)/"
	@$(PY) -m pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

setup: $(VENV)/.installed
	@bash scripts/system-deps.sh run

run: setup
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py createcachetable
	@$(PY) manage.py seed_demo --if-empty
	@$(PY) manage.py seed_demo_scoring
	@echo ""
	@echo "  Shuzhi: $(SITE_URL)/   staff login: demo / shuzhi-demo   (admin: admin / shuzhi-admin)"
	@echo ""
	@# The background-job worker runs beside the server and stops with it.
	@SITE_URL=$(SITE_URL) $(PY) manage.py db_worker --no-reload -v 0 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	SITE_URL=$(SITE_URL) $(PY) manage.py runserver $(HOST):$(PORT)

test: $(VENV)/.installed
	@bash scripts/system-deps.sh test
	@bash scripts/test.sh

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format:
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages:
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=staticfiles
	$(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

clean:
	rm -rf $(VENV) staticfiles db.sqlite3*
