#!/usr/bin/env python3
"""The CDK app: settings from cdk.json context, three stacks, cdk-nag AwsSolutions checks.

The CDK CLI runs it (`cdk synth`, `make synth`) and passes cdk.json's context; run as
`python app.py`, it reads cdk.json itself and synthesizes into cdk.out/ the same way.
"""

import json
import os
import sys
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment

from encrypted_s3.settings import SettingsError, load
from stacks.app_builder import build
from stacks.source import record_source

HERE = Path(__file__).resolve().parent


def direct_run_options() -> dict[str, Any]:
    """App options when no CDK CLI started the app (it sets CDK_OUTDIR): cdk.json's
    context, so `python app.py` knows the environments, and cdk.out/ as the output."""
    if "CDK_OUTDIR" in os.environ:
        return {}
    context = json.loads((HERE / "cdk.json").read_text())["context"]
    return {"context": context, "outdir": str(HERE / "cdk.out")}


def main() -> None:
    app = App(**direct_run_options())
    # Environment-agnostic unless the CLI resolved an account and region (cdk deploy).
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    try:
        build(app, load(app.node.get_all_context(), account), env=env)
    except SettingsError as error:
        # One readable line instead of a jsii stack trace.
        sys.exit(f"error: {error}")
    record_source(app.synth().directory)


if __name__ == "__main__":
    main()
