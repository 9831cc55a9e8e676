#!/usr/bin/env python3
"""The CDK app: settings from cdk.json context, three stacks, cdk-nag AwsSolutions checks."""

import os
import sys

from aws_cdk import App, Environment

from stacks.app_builder import build
from stacks.settings import SettingsError, from_context


def main() -> None:
    app = App()
    try:
        settings = from_context(app.node.try_get_context)
    except SettingsError as error:
        # One readable line instead of a jsii stack trace.
        sys.exit(f"error: {error}")
    # Environment-agnostic unless the CLI resolved an account and region (cdk deploy).
    account = os.environ.get("CDK_DEFAULT_ACCOUNT")
    region = os.environ.get("CDK_DEFAULT_REGION")
    env = Environment(account=account, region=region) if account and region else None
    build(app, settings, env=env)
    app.synth()


if __name__ == "__main__":
    main()
