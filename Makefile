# The two commands a new user runs: `make run` and `make test`. Both bootstrap .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: catalogues run test lint typecheck contracts unit chromium promtool format emulator clean bench bench-bulk bench-provisioning bench-senders bench-intake

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

contracts: $(STAMP)
	$(BIN)/lint-imports

# Three test processes on two cores: much of the suite's time is spent waiting on real processes,
# sockets and databases (each xdist worker used ~65% of a core with two); worksteal keeps the long
# tests from leaving one worker alone at the end. Four measured no faster here (926-1,081 s of
# pytest against 970 s with three) and loaded the machine enough to fail timing-bound races.
# Bytecode is written even where the environment sets PYTHONDONTWRITEBYTECODE (this CI's does):
# otherwise every test process and every service the tests start compiles misena again and
# pytest rewrites every test module's asserts again (collection: 25 s of CPU uncached, 9 s cached).
unit: $(STAMP) chromium promtool
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 3 --dist worksteal -q

# The browser tests (tests/support/browser.py) drive Debian's Chromium through Playwright, never a
# browser Playwright downloads: nothing to do when it is there; installed with apt-get when this
# is root on Debian (the package lists refreshed only if the first try cannot find it); else one line.
CHROMIUM := /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's chromium for the browser tests (apt-get)"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq chromium >/dev/null 2>&1 \
	      || { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }; \
	  else \
	    echo "The browser tests need Chromium at $(CHROMIUM): install Debian's package chromium (apt-get install chromium)" >&2; \
	    exit 1; \
	  fi; \
	}

# promtool, Prometheus' own rule checker and rule unit-test runner (tests/deploy/test_alerts_fire.py),
# taken out of Debian's prometheus package without installing it (no server is set up or
# started): apt-get download, dpkg -x, only promtool kept under var/tools. Else one line.
PROMTOOL := var/tools/promtool
promtool: $(PROMTOOL)
$(PROMTOOL):
	@command -v apt-get >/dev/null && command -v dpkg >/dev/null || { \
	  echo "The alert tests need promtool at $(PROMTOOL): copy it there from Debian's package prometheus" >&2; \
	  exit 1; \
	}
	@echo "Fetching promtool from Debian's prometheus package (apt-get download)"
	@tmp=$$(mktemp -d) && cd $$tmp \
	  && { apt-get download -qq prometheus >/dev/null 2>&1 \
	       || { apt-get update -qq >/dev/null && apt-get download -qq prometheus >/dev/null 2>&1; }; } \
	  && dpkg -x prometheus_*.deb root && cd - >/dev/null \
	  && mkdir -p $(@D) && cp $$tmp/root/usr/bin/promtool $@ && rm -rf $$tmp \
	  || { echo "Could not fetch Debian's prometheus package for promtool (apt-get download prometheus)" >&2; exit 1; }

test: lint typecheck contracts unit

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Demo mode: SQLite under var/, the Google emulator, API + worker; no credentials needed.
run: $(STAMP)
	@mkdir -p var
	$(BIN)/misena demo

bench: $(STAMP)
	$(BIN)/python -m bench.emulator_throughput

bench-bulk: $(STAMP)
	$(BIN)/python -m bench.bulk_plan

# Issue 13's provisioning figures: 1,500 enrollments, 1/2/4 workers on PostgreSQL, two baselines.
bench-provisioning: $(STAMP)
	$(BIN)/python -m bench.provisioning

bench-senders: $(STAMP)
	$(BIN)/python -m bench.senders

# wrk (Debian's package) is the load generator of the intake benchmark only; make test never needs it.
bench-intake: $(STAMP)
	@command -v wrk >/dev/null || apt-get install -y wrk
	$(BIN)/python -m bench.intake $(BENCH_ARGS)

# Message catalogues (app/i18n.py): extract the msgids, merge them into each language's .po,
# compile the .mo files the service reads. Run after changing any message; fill in the new msgstr.
LOCALE := app/locale
# The service also marks messages with Text(...) (app.texts) and Message(...) (sofia_sync.messages);
# the CLI domain does not, since Rich's Text(...) in Typer is no message of ours.
EXTRACT := $(BIN)/pybabel -q extract --no-location --sort-output --omit-header -k N_
SERVICE_KEYWORDS := -k Text -k Message
catalogues: $(STAMP)
	$(EXTRACT) $(SERVICE_KEYWORDS) -F $(LOCALE)/service.cfg -o $(LOCALE)/misena.pot .
	site=$$($(BIN)/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'); \
	$(EXTRACT) -F $(LOCALE)/cli.cfg -o $(LOCALE)/misena_cli.pot app/cli $$site/typer
	$(EXTRACT) -F $(LOCALE)/console.cfg -o $(LOCALE)/misena_console.pot app/console
	for domain in misena misena_cli misena_console; do \
	  if test -f $(LOCALE)/es/LC_MESSAGES/$$domain.po; then \
	    $(BIN)/pybabel -q update --no-fuzzy-matching --ignore-obsolete -D $$domain -l es \
	      -i $(LOCALE)/$$domain.pot -d $(LOCALE); \
	  else $(BIN)/pybabel -q init -D $$domain -l es -i $(LOCALE)/$$domain.pot -d $(LOCALE); fi; \
	  $(BIN)/pybabel compile --statistics -D $$domain -l es -d $(LOCALE); \
	done

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
