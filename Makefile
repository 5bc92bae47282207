# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
VENDOR := webui/static/vendor
VENDOR_STAMP := $(VENDOR)/.installed
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard webui/translations/*/LC_MESSAGES/messages.po))
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench setup vendor translations browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# bpmn-js and dmn-js from the npm registry (versions pinned in package-lock.json), copied with
# their licences into webui/static/vendor so that the studio and trace pages need no internet.
$(VENDOR_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	rm -rf $(VENDOR) && mkdir -p $(VENDOR)/bpmn-js $(VENDOR)/dmn-js
	cp node_modules/bpmn-js/dist/bpmn-modeler.production.min.js \
	   node_modules/bpmn-js/dist/bpmn-navigated-viewer.production.min.js \
	   node_modules/bpmn-js/LICENSE $(VENDOR)/bpmn-js/
	cp -r node_modules/bpmn-js/dist/assets $(VENDOR)/bpmn-js/
	cp node_modules/dmn-js/dist/dmn-modeler.production.min.js \
	   node_modules/dmn-js/dist/dmn-navigated-viewer.production.min.js \
	   node_modules/dmn-js/LICENSE $(VENDOR)/dmn-js/
	cp -r node_modules/dmn-js/dist/assets $(VENDOR)/dmn-js/
	touch $(VENDOR_STAMP)

vendor: $(VENDOR_STAMP)

# The message catalogues (webui/translations/*/messages.po) compiled for Flask-Babel.
%.mo: %.po $(STAMP)
	$(BIN)/pybabel compile -i $< -o $@

translations: $(CATALOGUES)

setup: $(STAMP) $(VENDOR_STAMP) $(CATALOGUES)

run: setup  ## set up everything, load demo data, serve on http://127.0.0.1:5000/
	$(BIN)/doleance init
	$(BIN)/doleance demo
	$(BIN)/doleance serve --host $(HOST) --port $(PORT)

# Debian's Chromium for the browser tests (tests/browser), installed once with apt-get.
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(if $(filter 0,$(shell id -u)),,sudo) \
	  apt-get install -y -qq chromium chromium-driver >/dev/null

browser: $(CHROMIUM)

test: setup $(CHROMIUM)  ## the whole test suite (PostgreSQL too when DOLEANCE_TEST_DATABASE_URL is set)
	$(BIN)/python -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

bench: $(STAMP)
	$(BIN)/python bench/engine_bench.py

clean:
	rm -rf $(VENV) instance node_modules $(VENDOR) $(CATALOGUES)
