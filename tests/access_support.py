"""Variants with readers and writers declared (same account, other account, CloudFront)
and a write-only archive: synthesized once per session for the access tests."""

from __future__ import annotations

import pytest

from proof.access_variants import (  # noqa: F401 (the tests import them from here)
    ACCESS_VARIANTS,
    DISTRIBUTION,
    OTHER_ACCOUNT_WRITER,
    SAME_ACCOUNT_READER,
    directory_name,
)


@pytest.fixture(scope="session")
def access_assemblies(tmp_path_factory, offline_aws) -> dict:
    """{name: (cloud assembly directory, {stack name: template})} of ACCESS_VARIANTS."""
    from encrypted_s3.settings import parse
    from tests.conftest import synth_settings

    out = tmp_path_factory.mktemp("access")
    found = {}
    for name, values in ACCESS_VARIANTS.items():
        outdir = out / directory_name(name)
        found[name] = (outdir, synth_settings(parse("dev", values), outdir))
    return found


@pytest.fixture(scope="session")
def access_deployments(access_assemblies) -> dict:
    from proof.deployment import find_deployment

    return {name: find_deployment(templates) for name, (_, templates) in access_assemblies.items()}
