# Two commands matter: `make run` and `make test`. Both bootstrap what they need.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
NPM_STAMP := web/node_modules/.installed

.PHONY: run test test-postgres deps assets chromium bench lock clean

run: deps
	$(BIN)/jiandu init
	$(BIN)/jiandu demo
	$(BIN)/jiandu serve --host 127.0.0.1 --port 5000

test: deps chromium
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The same suite against PostgreSQL (JIANDU_TEST_DATABASE_URL, default: local server, database `test`).
test-postgres: deps
	JIANDU_TEST_DATABASE_URL=$${JIANDU_TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -q -m "not browser" $(PYTEST_ARGS)

bench: deps
	$(BIN)/jiandu bench --quick

deps: $(STAMP) $(NPM_STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q --require-hashes -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $@

$(NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# Browser tests drive Debian's chromium; install it when missing (needs root and the Debian mirror).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else echo "chromium is missing: install Debian's chromium package (browser tests will be skipped)"; fi; }

# Regenerate the lock after changing dependencies in pyproject.toml.
lock:
	$(BIN)/python -m pip install -q pip-tools
	$(BIN)/pip-compile -q --extra dev --generate-hashes --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) web/node_modules instance/*.db
