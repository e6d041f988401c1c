# 邻里 Linli — `make run` to use it, `make test` to check it. Both set up what they need first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LINLI := $(BIN)/linli
DATA := $(shell find nlu_data knowledge/catalog knowledge/communities -name '*.yml' 2>/dev/null)
CODE := $(shell find bot/nlu knowledge -name '*.py' 2>/dev/null)

# The PostgreSQL server the tests also run against (trust auth); override for another server.
LINLI_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/test
export LINLI_TEST_POSTGRES_URL

.PHONY: setup run test lint bench browser clean

setup: $(VENV)/.installed models/.built var/.migrated

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# The CPU build of torch first, so sentence-transformers does not pull a multi-GB GPU build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

models/.built: $(VENV)/.installed $(DATA) $(CODE)
	$(LINLI) catalog validate
	# The service lookup table a Rasa server reads beside nlu_data (generated, not committed).
	$(LINLI) nlu lookups
	$(LINLI) train
	$(LINLI) index
	mkdir -p models && touch $@

var/.migrated: $(VENV)/.installed $(wildcard bot/backend/migrations/versions/*.py)
	$(LINLI) db upgrade
	mkdir -p var && touch $@

# A local run is explicitly development: a random secret key is made once under var/.
run: setup
	ENVIRONMENT=$${ENVIRONMENT:-development} $(LINLI) serve

# The browser tests need Debian's Chromium and a Chinese font: installed here, so one command is enough.
test: setup browser
	$(BIN)/pytest -q

lint: $(VENV)/.installed
	$(BIN)/ruff check bot knowledge actions tests bench
	$(BIN)/mypy bot knowledge actions
	# Imports point down the layers, and no module cycles ([tool.importlinter] in pyproject.toml).
	$(BIN)/lint-imports

bench: setup
	$(BIN)/python bench/e2e_bench.py
	$(BIN)/python bench/nlu_bench.py
	$(BIN)/python bench/retrieval_bench.py --sizes 10000,100000
	$(BIN)/python bench/memory_bench.py

# Debian's Chromium for the console's browser tests (apt needs root: sudo when not root).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	command -v chromium >/dev/null && fc-list :lang=zh | grep -q . || ($(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium chromium-driver fonts-wqy-zenhei)

clean:
	rm -rf models var .pytest_cache
