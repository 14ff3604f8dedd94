# Postil: `make run` serves the demo, `make test` runs every test.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Two workers for the two cores of the project's machines; each gets its own database.
PYTEST_ARGS ?= -n 2 --dist loadfile
export FLASK_APP := wsgi

.PHONY: run test install install-dev db demo browser lint bench clean node

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

db: install
	$(BIN)/flask --app wsgi db upgrade

demo: db
	$(BIN)/flask --app wsgi seed-demo

run: demo
	@echo
	@echo "Postil is starting on http://$(HOST):$(PORT)/"
	@echo "Sign in at http://$(HOST):$(PORT)/sign-in with a demo account:"
	@cat instance/demo-credentials.txt 2>/dev/null || echo "  (see the output of seed-demo above)"
	@echo "Stop the server with Ctrl+C."
	@echo
	POSTIL_BASE_URL=http://$(HOST):$(PORT) $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

# The tests' Node packages (axe-core for the browser tests, approx-string-match for a cross-check), pinned
# by package-lock.json; reinstalled when the lock file changes.
node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "make test needs Node.js and npm (Debian: apt-get install nodejs npm)."; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

node: node_modules/.package-lock.json

browser: install-dev
	@$(BIN)/python scripts/find_chromium.py > /dev/null

lint: install-dev
	$(BIN)/ruff check .

test: install-dev node browser lint
	CHROMIUM_PATH="$$($(BIN)/python scripts/find_chromium.py)" $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install-dev
	$(BIN)/python bench/article_page.py
	$(BIN)/python bench/pure_layers.py
	$(BIN)/python bench/annotation_writes.py
	$(BIN)/python bench/search.py
	$(BIN)/python bench/adversarial_input.py
	@command -v wrk >/dev/null && $(BIN)/python bench/speed.py || echo "Install wrk for bench/speed.py (Debian: apt-get install wrk)."

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts node_modules
