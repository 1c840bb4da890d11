# gpuchain: `make localnet` runs a local network, `make test` runs the tests.
# Both run `make setup` first; setup is idempotent and only redoes what changed.

COMETBFT_VERSION := v0.38.26
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .tools/bin
COMETBFT := $(TOOLS)/cometbft
PROTO_FILES := $(shell find proto -name '*.proto')
export PATH := $(CURDIR)/$(TOOLS):$(PATH)

.PHONY: setup proto test test-explore lint localnet localnet-stop localnet-status localnet-reset demo docs-cli bench gpu-check clean

setup: $(VENV)/.installed $(COMETBFT) chain/pb/.generated

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,provider]'
	touch $@

$(COMETBFT): Makefile
	mkdir -p $(TOOLS)
	GOBIN=$(CURDIR)/$(TOOLS) go install github.com/cometbft/cometbft/cmd/cometbft@$(COMETBFT_VERSION)
	$(COMETBFT) version
	touch $@

chain/pb/.generated: $(VENV)/.installed $(PROTO_FILES) proto/generate.py Makefile
	$(BIN)/python proto/generate.py $(COMETBFT_VERSION)
	touch $@

proto: chain/pb/.generated

# Property tests run the reproducible `ci` hypothesis profile unless told otherwise
# (tests/conftest.py; replaying a failure: docs/testing.md).
HYPOTHESIS_PROFILE ?= ci
export HYPOTHESIS_PROFILE

test: setup
	@echo "hypothesis profile: $(HYPOTHESIS_PROFILE)"
	$(BIN)/python -m pytest -q -n 2 --dist loadfile --durations=15 tests

# Random seeds and ten times the examples, property tests only: for finding new failures.
test-explore: setup
	@echo "hypothesis profile: dev"
	HYPOTHESIS_PROFILE=dev $(BIN)/python -m pytest -q -n 2 -m hypothesis tests

lint: setup
	$(BIN)/ruff check chain x sdl provider tests bench localnet proto
	$(BIN)/ruff format --check chain x sdl provider tests bench localnet proto
	$(BIN)/mypy chain x sdl
	$(BIN)/lint-imports

localnet: setup
	$(BIN)/python -m localnet.run

localnet-stop:
	$(BIN)/python -m localnet.run --stop

localnet-status:
	$(BIN)/python -m localnet.run --status

# Stops the localnet, deletes its chain (localnet/.data) and starts a fresh one.
localnet-reset: setup
	$(BIN)/python -m localnet.run --reset

# A tenant's journey on the running localnet (`make localnet` first), step by step.
demo: setup
	$(BIN)/python -m localnet.demo

# docs/cli-reference.md from the CLIs' parsers (tests/cli/test_cli_reference.py checks it).
docs-cli: setup
	$(BIN)/python -m chain.cli.reference

# Every figure in one run (bench/all.py lists them); recorded in docs/benchmarks.md.
bench: setup
	$(BIN)/python bench/all.py

# The real GPU path on a host with an NVIDIA GPU (torch from the `gpu` extra): torch runs a
# matmul on GPU 0, NVML sees the GPU, and the usage metered meanwhile reflects the load.
# Prints "skipped" and why on a host without one.
gpu-check: setup
	$(BIN)/python -m provider.benchmark --gpu-check

clean:
	rm -rf $(VENV) .tools chain/pb localnet/.data
