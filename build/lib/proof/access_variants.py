"""Example declarations of readers and writers that the tests and the benchmark prove:
a reader of the same account, a reader and a writer of another account, a CloudFront
distribution, and a write-only archive. Each is a block of settings for env dev."""

from __future__ import annotations

from typing import Any

from scenarios import DECLARED_READER_ARN

SAME_ACCOUNT_READER = "arn:aws:iam::123456789012:role/Analyst"
OTHER_ACCOUNT_WRITER = "arn:aws:iam::210987654321:role/PartnerWriter"
DISTRIBUTION = "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE"
DECLARED = {
    "readers": ["uploader", SAME_ACCOUNT_READER, DECLARED_READER_ARN, DISTRIBUTION],
    "writers": ["uploader", OTHER_ACCOUNT_WRITER],
}
# name: settings (env dev); every encryption mode once.
ACCESS_VARIANTS: dict[str, dict[str, Any]] = {
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


def directory_name(name: str) -> str:
    return name.replace("/", "-").replace("+", "-")
