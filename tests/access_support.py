"""Variants with readers and writers declared (same account, other account, CloudFront)
and a write-only archive: synthesized once per session for the access tests."""

from __future__ import annotations

import pytest

from scenarios import DECLARED_READER_ARN

SAME_ACCOUNT_READER = "arn:aws:iam::123456789012:role/Analyst"
OTHER_ACCOUNT_WRITER = "arn:aws:iam::210987654321:role/PartnerWriter"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
DECLARED = {
    "readers": ["uploader", SAME_ACCOUNT_READER, DECLARED_READER_ARN, DISTRIBUTION],
    "writers": ["uploader", OTHER_ACCOUNT_WRITER],
}
# name: settings (env dev); every encryption mode once.
ACCESS_VARIANTS = {
    "sse-kms/strict+declared": {"encryption": "sse-kms", "header_policy": "strict", **DECLARED},
    "sse-s3/default-aware+declared": {
        "encryption": "sse-s3",
        "header_policy": "default-aware",
        **DECLARED,
    },
    "dsse-kms/strict+archive": {
        "encryption": "dsse-kms",
        "header_policy": "strict",
        "readers": [],
        "write_only_archive": True,
    },
}


@pytest.fixture(scope="session")
def access_assemblies(tmp_path_factory, offline_aws) -> dict:
    """{name: (cloud assembly directory, {stack name: template})} of ACCESS_VARIANTS."""
    from stacks.settings import parse
    from tests.conftest import synth_settings

    out = tmp_path_factory.mktemp("access")
    found = {}
    for name, values in ACCESS_VARIANTS.items():
        outdir = out / name.replace("/", "-").replace("+", "-")
        found[name] = (outdir, synth_settings(parse("dev", values), outdir))
    return found


@pytest.fixture(scope="session")
def access_deployments(access_assemblies) -> dict:
    from proof.assembly import find_deployment

    return {name: find_deployment(templates) for name, (_, templates) in access_assemblies.items()}
