"""Fixtures of the infrastructure tests (stacks, settings, snapshots, checks, hardening).

The synthesis of the six variants is shared with the proof tests (tests/conftest.py);
the dev environment as cdk.json configures it is synthesized here, once per session.
"""

from __future__ import annotations

import pytest

from tests.conftest import CDK_JSON, synth_settings


@pytest.fixture(scope="session")
def dev_templates(tmp_path_factory, offline_aws) -> dict:
    """The templates of the dev environment exactly as cdk.json configures it."""
    from aws_cdk import App

    from stacks.settings import from_context

    app = App(context=CDK_JSON["context"])
    return synth_settings(from_context(app.node.try_get_context), tmp_path_factory.mktemp("dev"))
