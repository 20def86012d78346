# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-slow install install-test lint runtime-deps system-deps messages

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

# apt-get install the packages listed in $(1) (files, `#` comments) that are not installed.
define apt_install
	@missing=$$(for p in $$(grep -hv '^#' $(1)); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "== installing Debian packages: $$missing =="; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q $$missing; \
	fi
endef

## runtime-deps: Debian packages the service needs (runtime-packages.txt: the reports' CJK font)
runtime-deps:
	$(call apt_install,runtime-packages.txt)

## system-deps: those and the Debian packages the tests use (system-packages.txt)
system-deps:
	$(call apt_install,runtime-packages.txt system-packages.txt)

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed | system-deps
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

## run: install (the CJK font too) and start the whole service (Temporal, worker, API on :8000)
run: install
	@$(MAKE) --no-print-directory runtime-deps || echo "== could not install $$(grep -hv '^#' runtime-packages.txt): the service runs, and says what reports lack =="
	$(VENV)/bin/hotline up

lint: install-test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy analytics api auth channels cli core dispatch intake models notices speech web workflows

## test: lint, then pytest on SQLite and, when PostgreSQL answers, at the same time on it
## (two processes: each has its own Temporal dev server, ports, temporary folder and databases;
## one after the other took ~21 minutes on 2 cores, mostly waiting on servers and clocks)
PG_TEST_LOG := var/test-postgresql.log
test: install-test lint
	@mkdir -p $(dir $(PG_TEST_LOG)); pg=; \
	if $(PY) -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== PostgreSQL answers: the tests that make a database run against it alongside (output in $(PG_TEST_LOG), shown at the end) =="; \
		HOTLINE_TEST_DATABASE_URL=$(PG_TEST_URL) HOTLINE_TEST_DATABASE_ONLY=1 $(PY) -m pytest >$(PG_TEST_LOG) 2>&1 & pg=$$!; \
	else \
		echo "== PostgreSQL at 127.0.0.1:5432 does not answer: SQLite run only =="; \
	fi; \
	HOTLINE_TEST_DATABASE_URL= $(PY) -m pytest; sqlite=$$?; postgresql=0; \
	if [ -n "$$pg" ]; then \
		wait $$pg; postgresql=$$?; \
		echo "== the PostgreSQL pass ($(PG_TEST_LOG)) =="; cat $(PG_TEST_LOG); \
	fi; \
	[ $$sqlite -eq 0 ] && [ $$postgresql -eq 0 ]

## messages: re-extract every text shown to people and compile the gettext catalogues
## (core/locale: one domain per audience, `citizen` and `staff`; see core/locale/<domain>.cfg)
LOCALE_DIR := core/locale
BABEL_SCAN := --ignore-dirs='.* ._ tests bench var build dist' --no-location --omit-header --sort-output
messages: install
	$(VENV)/bin/pybabel extract -F $(LOCALE_DIR)/citizen.cfg --no-default-keywords -k N_ \
		$(BABEL_SCAN) -o $(LOCALE_DIR)/citizen.pot .
	$(VENV)/bin/pybabel extract -F $(LOCALE_DIR)/staff.cfg --no-default-keywords -k S_ \
		$(BABEL_SCAN) -o $(LOCALE_DIR)/staff.pot .
	for domain in citizen staff; do \
		$(VENV)/bin/pybabel update -i $(LOCALE_DIR)/$$domain.pot -d $(LOCALE_DIR) -D $$domain \
			--no-fuzzy-matching --ignore-obsolete && \
		$(VENV)/bin/pybabel compile -d $(LOCALE_DIR) -D $$domain --statistics || exit 1; \
	done

## test-slow: the long fault tests (kill -9 a worker mid-flight, restart Temporal, PostgreSQL
## outage), once: on PostgreSQL when it answers (what production runs), else on SQLite
test-slow: install-test
	@if $(PY) -c "import psycopg; psycopg.connect('host=127.0.0.1 port=5432 user=postgres dbname=test', connect_timeout=3).close()" 2>/dev/null; then \
		echo "== slow tests on PostgreSQL =="; \
		HOTLINE_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest -m slow; \
	else \
		echo "== PostgreSQL at 127.0.0.1:5432 does not answer: slow tests on SQLite =="; \
		HOTLINE_TEST_DATABASE_URL= $(PY) -m pytest -m slow; \
	fi
