# The two set-up commands: `make run` and `make test`. `make install` installs without running.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
SYSTEM_PACKAGES := default-jre-headless postgresql chromium fonts-noto-cjk zbar-tools poppler-utils fonts-droid-fallback fonts-dejavu-core
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install install-test system-packages run test lint typecheck pytest bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

install-test: $(TEST_STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

# Debian packages the tests need: PostgreSQL (a throwaway server per test run), Chromium (pages),
# CJK fonts (PDFs and screenshots), zbarimg (an independent QR reader), poppler (reads report PDFs back),
# Droid Sans Fallback and DejaVu Sans (the fonts report PDFs embed for Chinese and Latin text), a Java
# runtime (Apache Spark, for the Spark reconciliation engine).
system-packages:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	command -v java >/dev/null 2>&1 || missing="$$missing default-jre-headless"; \
	command -v zbarimg >/dev/null 2>&1 || missing="$$missing zbar-tools"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	ls /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf >/dev/null 2>&1 || missing="$$missing fonts-droid-fallback"; \
	ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1 || missing="$$missing fonts-dejavu-core"; \
	ls /usr/share/fonts/opentype/noto/NotoSansCJK* >/dev/null 2>&1 || missing="$$missing fonts-noto-cjk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

run: install
	$(BIN)/recoup db upgrade
	$(BIN)/recoup demo
	$(BIN)/recoup serve

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy

# Two workers: the machine has two cores; each worker starts its own PostgreSQL. A test module goes to one worker
# whole (--dist loadfile), so a module-scoped fixture (a demo site, a Spark session) is made once.
pytest: install-test system-packages
	$(BIN)/pytest -n 2 --dist loadfile --durations=25  # the slowest tests named: the suite stays under 20 minutes

test: install-test system-packages lint pytest

bench: install
	$(BIN)/python bench/reconcile.py 1000000

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
