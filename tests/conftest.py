"""Shared fixtures: offline AWS settings, and one synthesis per variant per test session.

jsii start-up costs seconds per process, so every test reads templates synthesized here
once; each variant is built in its own App (adding a stack after synth raises).
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from encrypted_s3.vocabulary import all_configs
from proof.paths import cdk_context

CDK_CONTEXT = cdk_context()
# Every encryption x header policy variant, and the ones that use a KMS key.
CONFIGS = all_configs()
KMS_CONFIGS = [c for c in CONFIGS if c.uses_kms]

# No test may reach AWS: dummy credentials, and no connection beyond loopback.
_OFFLINE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
}
_LOOPBACK = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect
_real_getaddrinfo = socket.getaddrinfo


def _guarded_getaddrinfo(host, *args, **kwargs):
    # Not even a DNS query for an outside name.
    if host is not None and not str(host).startswith(_LOOPBACK):
        raise RuntimeError(f"tests must not reach the network (looked up {host})")
    return _real_getaddrinfo(host, *args, **kwargs)


def _guarded_connect(self, address):
    host = address[0] if isinstance(address, tuple) else str(address)
    if self.family in (socket.AF_INET, socket.AF_INET6) and not str(host).startswith(_LOOPBACK):
        raise RuntimeError(f"tests must not reach the network (tried {host})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def offline_aws():
    mp = pytest.MonkeyPatch()
    for name, value in _OFFLINE_ENV.items():
        mp.setenv(name, value)
    for name in ("AWS_PROFILE", "CDK_DEFAULT_ACCOUNT", "CDK_DEFAULT_REGION"):
        mp.delenv(name, raising=False)
    mp.setattr(socket.socket, "connect", _guarded_connect)
    mp.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield
    mp.undo()


def synth_settings(settings, outdir: Path, *, controls: bool = False) -> dict[str, dict]:
    """Synthesize the app for one Settings; templates by stack name. cdk-nag always runs;
    the Control Tower controls (about 1.2 s of cfn-guard each) only where a test reads
    what they found or needs a synthesis they pass: prod and tests/infra/test_hardening."""
    from stacks.app_builder import synth_templates

    return synth_templates(settings, CDK_CONTEXT, str(outdir), controls=controls)


KEY_ADMIN = "arn:aws:iam::123456789012:role/KeyAdmins"
# The dsse-kms variants (and only they) also carry key administrators and a 90-day
# rotation: those settings are synthesized, linted, snapshotted and proved without a
# synthesis of their own. Every test reading a dsse-kms variant sees them, so they are
# named here and read through variant_settings(), never assumed.
DSSE_KMS_EXTRAS = {"key_admins": [KEY_ADMIN], "key_rotation_days": 90}


def variant_settings(config) -> dict:
    """The settings (beyond dev's defaults) a variant of the session is synthesized with."""
    settings = {"encryption": config.encryption, "header_policy": config.header_policy}
    return settings | (DSSE_KMS_EXTRAS if config.encryption == "dsse-kms" else {})


@pytest.fixture(scope="session")
def variant_assemblies(tmp_path_factory, offline_aws) -> dict:
    """{scenarios.Config: (cloud assembly directory, {stack name: template})} for every
    encryption x header policy, each with variant_settings(config) (the dsse-kms ones
    with DSSE_KMS_EXTRAS)."""
    from encrypted_s3.settings import parse
    from encrypted_s3.vocabulary import all_configs

    out = tmp_path_factory.mktemp("variants")
    assemblies = {}
    for config in all_configs():
        outdir = out / config.label.replace("/", "-")
        settings = parse("dev", variant_settings(config))
        assemblies[config] = (outdir, synth_settings(settings, outdir))
    return assemblies


@pytest.fixture(scope="session")
def variant_templates(variant_assemblies) -> dict:
    """{scenarios.Config: {stack name: template}} for every encryption x header policy."""
    return {config: templates for config, (_, templates) in variant_assemblies.items()}


def environment_settings(env: str):
    """The settings of one environment exactly as cdk.json configures it."""
    from encrypted_s3.settings import parse

    return parse(env, CDK_CONTEXT["encrypted-s3"][env])


@pytest.fixture(scope="session")
def dev_templates(tmp_path_factory, offline_aws) -> dict:
    """The templates of the dev environment exactly as cdk.json configures it."""
    return synth_settings(environment_settings("dev"), tmp_path_factory.mktemp("dev"))


@pytest.fixture(scope="session")
def prod_templates(tmp_path_factory, offline_aws) -> dict:
    """The templates of the prod environment exactly as cdk.json configures it (guard on),
    synthesized with the Control Tower controls: a synthesis they must let pass."""
    out = tmp_path_factory.mktemp("prod")
    return synth_settings(environment_settings("prod"), out, controls=True)


# Variants with readers and writers declared (tests/access_support.py).
from tests.access_support import access_assemblies, access_deployments  # noqa: E402, F401
