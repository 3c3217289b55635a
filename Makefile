# Funnelhouse — the two set-up commands are `make run` and `make test`; both install what they
# need into .venv on first use (Python 3.11 + the package registries are all they assume).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export AIRFLOW__COSMOS__ENABLE_TELEMETRY := False

.PHONY: manifest install run test test-e2e bench lint airflow up images compose-test constraints clean system-deps assets

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required, found " + sys.version' 
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip uv
	$(BIN)/uv pip install --python $(BIN)/python --compile-bytecode --constraint constraints.txt -e ".[dev]"
	@touch $(STAMP)

# Browser and Redis for the end-to-end tests (report/Data Docs rendering, the Celery run).
system-deps:
	@bash scripts/system_deps.sh

# Front-end assets (Bootstrap, jQuery, Font Awesome, Vega) so reports render offline.
assets: $(STAMP)
	@bash scripts/assets.sh

run: $(STAMP) assets
	$(BIN)/funnelhouse run

# Two tiers (tests/conftest.py assigns them): `make test` is the unit + integration tier, `make test-e2e`
# the Airflow runs, Celery, Chromium renders and the largest oracle world. pytest's exit 5 (nothing
# collected) fails the target like any other failure.
test: $(STAMP) system-deps assets
	$(BIN)/pytest -m "not e2e"

test-e2e: $(STAMP) system-deps assets
	$(BIN)/pytest -m e2e

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# ruff, the layers of the code (import-linter contracts in pyproject.toml), then MetricFlow's semantic
# validation of the semantic layer (no warehouse needed: --skip-dw; `funnelhouse metrics validate` adds
# the checks against the warehouse's tables)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	cd dbt_project && ../$(BIN)/dbt parse --profiles-dir . --quiet && DBT_PROFILES_DIR=. ../$(BIN)/mf validate-configs --skip-dw

# The dbt manifest the DAG files render (they never run dbt while parsing); `run` and `airflow`
# prepare it too.
manifest: $(STAMP)
	$(BIN)/funnelhouse manifest

airflow: $(STAMP) assets
	$(BIN)/funnelhouse airflow

# The deployment: docker-compose.yml with the official images (apache/airflow, postgres, redis) by default.
# COMPOSE=docker-compose for the v1 CLI; COMPOSE_FILES="-f docker-compose.yml -f docker-compose.hostnet.yml"
# for host networking on 127.0.0.1 (docs/orchestration.md § Deploy (Docker)).
COMPOSE ?= docker compose
COMPOSE_FILES ?=
up:
	$(COMPOSE) $(COMPOSE_FILES) up -d

# The images of the stack built locally from Debian packages and PyPI, for machines without a container
# registry (root, debootstrap, a Docker daemon); prints the variables that make compose use them.
images:
	bash scripts/build_local_images.sh

# The compose tier (tests/compose/, not collected by `make test` nor `make test-e2e`): installs docker.io,
# docker-compose and debootstrap with apt when missing, starts a bridge-less dockerd when none runs, builds
# the images, `docker compose up` on host networking, triggers crm_funnel_elt through the REST API, checks
# the marts and bi_reader, tears everything down. Own --basetemp: other pytest runs here keep theirs.
compose-test: $(STAMP)
	$(BIN)/pytest -m compose tests/compose -s -p no:cacheprovider --basetemp=.pytest-tmp-compose

constraints: $(STAMP)
	$(BIN)/uv pip install --python $(BIN)/python -e ".[dev]"
	$(BIN)/uv pip freeze --python $(BIN)/python | grep -v '^-e ' > constraints.tmp
	(printf '# Exact versions of every package (direct and transitive) the project is tested with.\n# Regenerate after changing pyproject.toml dependencies: make constraints\n'; cat constraints.tmp) > constraints.txt
	rm constraints.tmp

clean:
	$(BIN)/funnelhouse warehouse stop || true
	rm -rf .state
