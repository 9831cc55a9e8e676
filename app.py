#!/usr/bin/env python3
"""The CDK app: settings from cdk.json context, three stacks, cdk-nag AwsSolutions checks."""

import os
import sys

from aws_cdk import App, Environment

from stacks.app_builder import build
from stacks.settings import SettingsError, load


def main() -> None:
    app = App()
    # Environment-agnostic unless the CLI resolved an account and region (cdk deploy).
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    try:
        build(app, load(app.node.get_all_context(), account), env=env)
    except SettingsError as error:
        # One readable line instead of a jsii stack trace.
        sys.exit(f"error: {error}")
    app.synth()


if __name__ == "__main__":
    main()
