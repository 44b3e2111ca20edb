# tgpipe: `make demo` runs the whole pipeline on this machine; `make test` runs the tests.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TGPIPE := $(BIN)/tgpipe
DEMO_DIR ?= demo-data
DEMO_TIMEZONE ?= America/Sao_Paulo
PYTEST_ARGS ?=

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(VENV)/.installed ## Create .venv and install tgpipe with its test tools

test: venv ## Run the tests
	$(BIN)/pytest $(PYTEST_ARGS)

demo: venv ## Generate a sample chat, ingest it, run the ETL for every day, print the analyses
	rm -rf $(DEMO_DIR)
	$(TGPIPE) sample --out $(DEMO_DIR)/updates.jsonl --updates 3000 --days 42
	TIMEZONE=$(DEMO_TIMEZONE) $(TGPIPE) ingest --data-dir $(DEMO_DIR) $(DEMO_DIR)/updates.jsonl
	TIMEZONE=$(DEMO_TIMEZONE) $(TGPIPE) etl --data-dir $(DEMO_DIR) --all | tail -n 1
	@for q in messages_per_day messages_per_user_per_day average_message_length_per_user_per_day \
	          messages_per_hour_weekday_week messages_per_user messages_per_month; do \
	  echo; echo "== $$q"; \
	  $(TGPIPE) query --data-dir $(DEMO_DIR) --max-rows 12 $$q || exit 1; \
	done

lint: venv ## Check style with ruff
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

schema: venv ## Regenerate terraform/generated/glue_tables.json from the Arrow schema
	$(BIN)/python -m tgpipe.schema

bench-serve: venv ## Benchmark `tgpipe serve` next to a bare uvicorn app (figures for docs/benchmarks.md)
	$(BIN)/python bench/serve.py

.PHONY: bench-serve

clean: ## Remove the venv, build output and demo data
	rm -rf $(VENV) dist build $(DEMO_DIR) .pytest_cache .ruff_cache

.PHONY: help venv test demo lint schema clean
