# tgpipe: `make demo` runs the whole pipeline on this machine; `make test` runs the tests.
# Both create .venv and install what they need on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
TGPIPE := $(BIN)/tgpipe
DEMO_DIR ?= demo-data
DEMO_TIMEZONE ?= America/Sao_Paulo
# A fixed period, so the demo gives the same numbers everywhere (and the README's examples match).
DEMO_END ?= 2025-11-30
PYTEST_ARGS ?=
# checkov runs in its own venv, locked in checkov.lock (make lock compiles it from this version).
CHECKOV_VERSION := 3.3.30
PY_DIRS := $(wildcard src tests bench scripts)

.DEFAULT_GOAL := help

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' \
	  '{ name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1) } \
	   END { for (i = 1; i <= NR; i++) printf "  make %-*s  %s\n", width, name[i], text[i] }'

# Every package comes from the lock at its exact version, each file checked against its hash, and
# only as a wheel; tgpipe itself is built with the locked setuptools. A changed lock makes a new venv.
LOCK := requirements.lock
CHECKOV_LOCK := checkov.lock
PIP_INSTALL = $(BIN)/pip install --quiet --disable-pip-version-check
UV_COMPILE = $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes --upgrade \
	--custom-compile-command "make lock"

$(VENV)/.installed: pyproject.toml $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(PIP_INSTALL) --require-hashes --no-deps --only-binary :all: -r $(LOCK)
	$(PIP_INSTALL) --no-deps --no-build-isolation -e .
	$(BIN)/pip check --disable-pip-version-check
	touch $@

venv: $(VENV)/.installed ## Create .venv and install tgpipe with its test tools, from requirements.lock

lock: venv ## Refresh requirements.lock and checkov.lock to the newest releases pyproject.toml allows (docs/development.md)
	$(UV_COMPILE) pyproject.toml --extra dev --output-file $(LOCK)
	echo 'checkov==$(CHECKOV_VERSION)' | $(UV_COMPILE) - --output-file $(CHECKOV_LOCK)
	@echo "Now run make test, and read what changed: git diff --stat $(LOCK) $(CHECKOV_LOCK)"

test: venv ## Run the tests
	$(BIN)/pytest $(PYTEST_ARGS)

demo: venv ## Generate a sample chat, ingest it, run the ETL, print the analyses, write the report
	rm -rf $(DEMO_DIR)
	$(TGPIPE) sample --out $(DEMO_DIR)/updates.jsonl --updates 3000 --days 42 --end $(DEMO_END)
	TIMEZONE=$(DEMO_TIMEZONE) $(TGPIPE) ingest --data-dir $(DEMO_DIR) $(DEMO_DIR)/updates.jsonl
	TIMEZONE=$(DEMO_TIMEZONE) $(TGPIPE) etl --data-dir $(DEMO_DIR) --all | tail -n 1
	@for q in messages_per_day messages_per_user_per_day average_message_length_per_user_per_day \
	          messages_per_hour_weekday_week messages_per_user messages_per_month; do \
	  echo; echo "== $$q"; \
	  $(TGPIPE) query --data-dir $(DEMO_DIR) --max-rows 12 $$q || exit 1; \
	done
	@echo
	$(TGPIPE) report --data-dir $(DEMO_DIR) --out $(DEMO_DIR)/report.html
	@echo "Open $(abspath $(DEMO_DIR)/report.html) in a browser."

lint: venv tf-lint ## Check style with ruff, and the Terraform with fmt and validate
	$(BIN)/ruff check $(PY_DIRS)
	$(BIN)/ruff format --check $(PY_DIRS)

docs: schema ## Regenerate docs/cli.md from the commands' --help (and the schema files)
	$(BIN)/python scripts/cli_reference.py

schema: venv ## Regenerate terraform/generated/glue_tables.json and the data dictionary's tables from the Arrow schema
	$(BIN)/python scripts/schema_files.py

bench-etl: venv ## Measure the ETL (local limit, memory, S3 with 20 ms per request); see docs/benchmarks.md
	$(BIN)/python bench/etl.py

bench-ingest: venv ## Measure the ingest handler's import time and CPU per update
	$(BIN)/python bench/ingest.py

bench-query: venv ## Time the six original queries over 10 million generated messages
	$(BIN)/python bench/query.py

bench-import: venv ## Measure reading a generated 1,000,000-message Telegram Desktop export next to json.load (speed, memory)
	$(BIN)/python bench/import.py

bench-search: venv ## Measure tgpipe search on 1,000,000 generated messages (indexing, queries, size) next to DuckDB ILIKE
	$(BIN)/python bench/search.py

bench-hostile: venv ## Measure tgpipe import's peak memory on files made to exhaust it (nesting, huge values, sections not read)
	$(BIN)/python bench/hostile_import.py

fuzz: venv ## Fuzz the update decoder, the row readers and the export mapping with 20,000 examples each (make test runs 150)
	$(BIN)/python bench/fuzz.py

bench: bench-ingest bench-etl bench-serve bench-query bench-import bench-search bench-hostile ## Run every benchmark (several minutes; figures in docs/benchmarks.md)

bench-serve: venv ## Benchmark `tgpipe serve` next to a bare uvicorn app (figures for docs/benchmarks.md)
	$(BIN)/python bench/serve.py


clean: ## Remove the venvs, build output and demo data
	rm -rf $(VENV) .venv-checkov dist build $(DEMO_DIR) .pytest_cache .ruff_cache

# ---- AWS: Terraform in terraform/, zips in dist/ (see "Deploy on AWS" in README.md) -----------

TERRAFORM := scripts/terraform
TF_DIR    := terraform
TF_VARS   := $(TF_DIR)/terraform.tfvars
TF_SECRET := $(TF_DIR)/webhook-secret.auto.tfvars
# The layer is built for the architecture the stack uses (terraform.tfvars), x86_64 by default.
ARCH ?= $(or $(shell sed -n 's/^[[:space:]]*architecture[[:space:]]*=[[:space:]]*"\([a-z0-9_]*\)".*/\1/p' $(TF_VARS) 2>/dev/null),x86_64)
FUNCTION_ZIPS := dist/ingest.zip dist/etl.zip dist/import.zip dist/repair.zip dist/webhookcheck.zip
LAYER_ZIP     := dist/pyarrow-layer-$(ARCH).zip
LAMBDA_SOURCES := $(shell find src -name '*.py' -not -path '*/__pycache__/*' 2>/dev/null)
LOCALSTACK_ENDPOINT ?= http://127.0.0.1:4566
# What the free LocalStack image (docker-compose.yml) can hold: no HTTP APIs, Glue or Athena.
LOCALSTACK_TARGETS := $(addprefix --target=,module.raw module.enriched module.athena_results module.ingest \
	aws_ssm_parameter.bot_token aws_cloudwatch_metric_alarm.dlq)

$(FUNCTION_ZIPS) &: $(LAMBDA_SOURCES) scripts/build_lambda.py $(LOCK) | $(VENV)/.installed
	$(BIN)/python scripts/build_lambda.py --out dist --arch $(ARCH) --only functions

$(LAYER_ZIP): scripts/build_lambda.py $(LOCK) | $(VENV)/.installed
	$(BIN)/python scripts/build_lambda.py --out dist --arch $(ARCH) --only layer

build: $(FUNCTION_ZIPS) $(LAYER_ZIP) ## Build the Lambda zips and the pyarrow layer into dist/ (reproducible)

$(TF_VARS):
	@echo "Error: $(TF_VARS) is missing: copy $(TF_VARS).example and set telegram_bot_token" >&2; exit 1

# A webhook secret is generated once, unless terraform.tfvars sets one. It never reaches the terminal.
$(TF_SECRET): | $(TF_VARS)
	@if grep -q '^[[:space:]]*webhook_secret[[:space:]]*=' $(TF_VARS); then :; else \
	  umask 077 && printf 'webhook_secret = "%s"\n' "$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(48))')" > $@ && \
	  echo "wrote a new webhook secret to $@ (kept out of git)"; fi

tf-init:
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false

plan: build $(TF_SECRET) tf-init ## Show what `make deploy` would change on AWS
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false

deploy: build $(TF_SECRET) tf-init ## Build, apply the stack on AWS, register the webhook with Telegram
	$(TERRAFORM) -chdir=$(TF_DIR) apply -input=false $(APPLY_ARGS)
	$(BIN)/python scripts/telegram_webhook.py set --terraform "$(TERRAFORM)" --dir $(TF_DIR)

destroy: build tf-init ## Unregister the webhook and destroy the stack (buckets with data stay unless force_destroy)
	-$(BIN)/python scripts/telegram_webhook.py delete --terraform "$(TERRAFORM)" --dir $(TF_DIR)
	$(TERRAFORM) -chdir=$(TF_DIR) destroy -input=false $(APPLY_ARGS)

fmt: venv ## Format the Terraform and Python code
	$(TERRAFORM) fmt -recursive $(TF_DIR)
	$(BIN)/ruff format $(PY_DIRS)

tf-lint: ## Check the Terraform: fmt -check and validate
	$(TERRAFORM) fmt -check -recursive -diff $(TF_DIR)
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false -backend=false >/dev/null
	$(TERRAFORM) -chdir=$(TF_DIR) validate

.venv-checkov/.installed: $(CHECKOV_LOCK)
	rm -rf .venv-checkov
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps --only-binary :all: \
	  -r $(CHECKOV_LOCK)
	touch $@

checkov: .venv-checkov/.installed ## Scan the Terraform with checkov (in its own venv, .venv-checkov, from checkov.lock)
	.venv-checkov/bin/checkov --directory $(TF_DIR) --framework terraform --skip-download --quiet --compact

plan-moto: build venv ## Print a plan summary of the root module against a local moto server (what CI shows)
	$(BIN)/python tests/terraform_local.py plan

localstack-up: ## Start LocalStack 4.14.0, the last free image (needs Docker)
	docker compose up -d --wait localstack

localstack-deploy: build ## Apply the parts of the stack LocalStack's free image serves (no HTTP API, Glue, Athena)
	$(BIN)/python tests/terraform_local.py apply --endpoint $(LOCALSTACK_ENDPOINT) $(LOCALSTACK_TARGETS)

localstack-destroy: build ## Destroy what localstack-deploy applied
	$(BIN)/python tests/terraform_local.py destroy --endpoint $(LOCALSTACK_ENDPOINT) $(LOCALSTACK_TARGETS)

.PHONY: help venv lock test demo lint docs schema bench bench-ingest bench-etl bench-serve bench-query bench-search bench-hostile fuzz clean build tf-init plan deploy destroy fmt tf-lint checkov plan-moto \
	localstack-up localstack-deploy localstack-destroy
