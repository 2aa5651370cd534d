# Pledged vs. Deployed — build the report, run the tests. `make help` lists the targets.
# The first `make report` or `make test` on a fresh machine creates .venv from uv.lock;
# later runs refresh it only when uv.lock or pyproject.toml changed.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
LAB_VENV := .venv-lab
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_VERSION := 0.13.9
LAB_PORT ?= 8888
# Never let uv download an interpreter: use the Python this machine has (3.11+).
export UV_PYTHON := $(shell command -v $(PYTHON))
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_LINK_MODE := copy
# A Quarto installed into .tools/quarto (e.g. by ../shared/tools/quarto/install.sh, as .ci/run
# does) is used without touching PATH by hand; otherwise whatever `quarto` is on PATH, if any.
ifneq ($(wildcard $(TOOLS)/quarto/bin/quarto),)
export PATH := $(CURDIR)/$(TOOLS)/quarto/bin:$(PATH)
endif

# Parameters reach Python through the environment, never pasted into a command line: no shell
# (and no make function) ever sees them, so any value arrives exactly as typed -- a path with
# spaces or quotes (O'Brien.json), or text such as '2024-09-21;touch x' or '$(shell ...)',
# which the build then refuses as not a date. $(value X) is the text as given, unexpanded.
override AS_OF := $(value AS_OF)
override DTM_FILES := $(value DTM_FILES)
override FORCE := $(value FORCE)
override OLD := $(value OLD)
override NEW := $(value NEW)
override LAB_PORT := $(value LAB_PORT)
override PYTEST_ARGS := $(value PYTEST_ARGS)
# pytest-xdist workers for `make test`: one per core by default.
TEST_WORKERS ?= auto
override TEST_WORKERS := $(value TEST_WORKERS)
export HAITI_REPORT_TEST_WORKERS := $(TEST_WORKERS)
export HAITI_REPORT_AS_OF := $(AS_OF)
export HAITI_REPORT_DTM_FILES := $(DTM_FILES)
export HAITI_REPORT_FORCE := $(FORCE)
export HAITI_REPORT_DIFF_OLD := $(OLD)
export HAITI_REPORT_DIFF_NEW := $(or $(NEW),reports/latest)
export HAITI_REPORT_LAB_PORT := $(LAB_PORT)
# pytest splits PYTEST_ADDOPTS itself (shell-like quoting, but no shell runs it).
export PYTEST_ADDOPTS := $(strip $(value PYTEST_ADDOPTS) $(PYTEST_ARGS))

# `make update` reads its settings from the environment (never pasted into a shell): values
# given on the command line are passed on as typed, even ones containing $(...) or quotes.
UPDATE_VARS := SOURCE DTM_API_URL DTM_API_KEY HDX_URL UPDATE_SUMMARY_FILE
$(foreach v,$(UPDATE_VARS),$(if $(filter command line environment,$(origin $(v))),$(eval override $(v) := $$(value $(v)))))
export $(UPDATE_VARS)

.DEFAULT_GOAL := help
.PHONY: help report editions test lab bench clean diff lock update

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'
	@echo "  Variables: AS_OF=YYYY-MM-DD  FORCE=1  DTM_FILES='a.json \"my file.csv\"'  LAB_PORT=8888  TEST_WORKERS=auto"

report: $(VENV)/.synced-report ## Build reports/latest (AS_OF=YYYY-MM-DD builds reports/YYYY-MM-DD)
	@$(VENV)/bin/python -m haiti_report.build

editions: $(VENV)/.synced-report ## Build every month-end edition since the mission's authorisation, latest, and reports/index.html
	@$(VENV)/bin/python -m haiti_report.build.editions

update: $(VENV)/.synced-update ## Fetch IOM's newest Haiti figures into data/raw (DTM_API_KEY=..., or SOURCE=hdx); prints what changed
	@$(VENV)/bin/python -m haiti_report.update

test: $(VENV)/.synced-test $(LAB_VENV)/.synced ## Run the test suite on every core (TEST_WORKERS=0: in one process; browser tests need Debian chromium)
	@$(VENV)/bin/python -m pytest -n "$$HAITI_REPORT_TEST_WORKERS"

lab: $(VENV)/.synced-report $(LAB_VENV)/.synced ## Start JupyterLab on 127.0.0.1 (port LAB_PORT, default 8888) with the project kernel
	@$(VENV)/bin/python -m haiti_report.build.kernel $(LAB_VENV) >/dev/null  # kernel and default, every time
	$(LAB_VENV)/bin/jupyter lab --ip 127.0.0.1 --port "$$HAITI_REPORT_LAB_PORT" --no-browser \
	  --ServerApp.root_dir=. $(if $(filter 0,$(shell id -u)),--allow-root)

diff: $(VENV)/.synced-report ## What changed between two builds: make diff OLD=reports/2024-09-21 [NEW=reports/latest]
	@test -n "$$HAITI_REPORT_DIFF_OLD" || { echo "usage: make diff OLD=reports/<label> [NEW=reports/latest]" >&2; exit 2; }
	@$(VENV)/bin/python -m haiti_report.build.changes "$$HAITI_REPORT_DIFF_OLD" "$$HAITI_REPORT_DIFF_NEW"

bench: $(VENV)/.synced-test ## Measure build and reader speed (writes benchmarks/results.json)
	@$(VENV)/bin/python benchmarks/run.py

clean: ## Remove generated files (builds, caches, .venv); never touches data/raw
	rm -rf reports/.builds reports/.failed reports/index.html reports/index.csv reports/.*.lock reports/.*.link-* .pytest_cache .ruff_cache .mypy_cache .hypothesis
	find reports -maxdepth 1 -type l -delete
	find . -name __pycache__ -type d -prune -not -path './.venv/*' -exec rm -rf {} +
	rm -rf $(VENV) $(LAB_VENV) $(TOOLS)

lock: $(UV) ## Re-resolve uv.lock after editing pyproject.toml, and export requirements.txt
	$(UV) lock
	$(UV) export --frozen --no-hashes --no-dev --no-emit-project -o requirements.txt >/dev/null

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# One stamp per set of dependency groups; each is refreshed when the lock changes.
$(VENV)/.synced-report: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --inexact --quiet
	@touch $@

$(VENV)/.synced-test: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --inexact --quiet --group test
	@touch $@ $(VENV)/.synced-report $(VENV)/.synced-update

$(VENV)/.synced-update: uv.lock pyproject.toml | $(UV)
	$(UV) sync --frozen --inexact --quiet --group update
	@touch $@ $(VENV)/.synced-report

# JupyterLab lives in its own environment: installed beside the report's packages it would slow
# every `import jsonschema` by a second or more (rfc3987-syntax). Its kernel is the report's
# Python (.venv), registered into the Lab environment.
$(LAB_VENV)/.synced: uv.lock pyproject.toml | $(UV) $(VENV)/.synced-report
	UV_PROJECT_ENVIRONMENT=$(LAB_VENV) $(UV) sync --frozen --quiet --only-group lab
	$(VENV)/bin/python -m haiti_report.build.kernel $(LAB_VENV) >/dev/null
	@touch $@
