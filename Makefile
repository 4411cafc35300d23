# Every command a person, CI (.ci/run) or Jenkins runs goes through a target here.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/$(BIN):$(PATH)

.DEFAULT_GOAL := help
.PHONY: help install run test test-unit test-integration lint bench clean

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

$(BIN)/budget: pyproject.toml requirements.txt requirements-dev.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-dev.txt -e .
	@touch $@

install: $(BIN)/budget ## create .venv with the app, the `budget` CLI and the test tools

run: install web ## run all four services and the dashboard locally (embedded broker + SQLite unless configured)
	$(BIN)/budget run

test: install web ## the whole suite: unit, integration (real broker + MariaDB), browser, delivery checks
	$(BIN)/budget dev-deps
	$(BIN)/pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: that is a failure"; exit 1; fi; exit $$rc

test-unit: install web ## unit tests only: no I/O
	$(BIN)/pytest tests/unit

test-integration: install ## integration tests against the real broker and MariaDB
	$(BIN)/budget dev-deps
	$(BIN)/pytest tests/integration

lint: install ## ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install ## side-by-side ratios against the raw libraries; writes .bench/results.json
	@command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk
	$(BIN)/budget dev-deps
	$(BIN)/python -m bench

clean: ## remove local state (.budget, .bench, caches)
	rm -rf .budget .bench .pytest_cache .ruff_cache

-include mk/*.mk
