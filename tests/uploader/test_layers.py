"""The denying layer, named live from S3's AccessDenied message and offline from the
simulator's detail, in the same words; the side-by-side table compares them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from probe.errors import classify
from proof.report import side_by_side
from scenarios import live_layer, offline_layer

ARN = "arn:aws:sts::123456789012:assumed-role/EncryptedS3-dev-uploader/f"
EXPLICIT = (
    f"User: {ARN} is not authorized to perform: s3:PutObject on resource: "
    '"arn:aws:s3:::bucket/probe/x" with an explicit deny in a resource-based policy'
)
IMPLICIT = (
    f"User: {ARN} is not authorized to perform: s3:GetObjectTagging on resource: "
    '"arn:aws:s3:::bucket/probe/x" because no identity-based policy allows the '
    "s3:GetObjectTagging action"
)


@pytest.mark.parametrize(
    ("message", "layer"),
    [
        (EXPLICIT, "explicit deny in a resource-based policy"),
        (IMPLICIT, "no identity-based policy allows it"),
        (
            EXPLICIT.replace("resource-based", "service control"),
            "explicit deny in a service control policy",
        ),
        ("Access Denied", None),  # another account's caller: S3 names no layer
    ],
)
def test_s3s_message_names_the_layer(message, layer):
    assert live_layer(message) == layer


def _denied(message: str) -> ClientError:
    response = {
        "Error": {"Code": "AccessDenied", "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": 403},
    }
    return ClientError(response, "PutObject")


def test_the_live_detail_carries_the_layer():
    assert classify(_denied(EXPLICIT)) == (
        "denied",
        "AccessDenied: explicit deny in a resource-based policy",
    )
    assert classify(_denied("Access Denied")) == ("denied", "AccessDenied")


@pytest.mark.parametrize(
    ("detail", "layer"),
    [
        ("DenyObjectWritesByUndeclared", "explicit deny in a resource-based policy"),
        (
            "key policy: DenyDecryptByUndeclared (at CopyObject)",
            "explicit deny in a resource-based policy",
        ),
        ("implicit deny in identity policy", "no identity-based policy allows it"),
        (
            "implicit deny in bucket policy and identity policy",
            "no resource-based policy allows it",
        ),
        ("allowed by ProbeObjects", None),
        ("KMS explicit deny*", None),
    ],
)
def test_the_offline_detail_names_the_same_layer(detail, layer):
    assert offline_layer(detail) == layer


def _row(actual: str, detail: str) -> dict:
    return {
        "scenario": "sse-s3",
        "principal": "uploader",
        "expected": "denied",
        "actual": actual,
        "detail": detail,
        "stored": "",
        "passed": True,
    }


def test_the_side_by_side_table_says_when_the_layers_differ():
    offline = [_row("denied", "DenyWrongEncryptionAlgorithm")]
    same = side_by_side(
        offline, [_row("denied", "AccessDenied: explicit deny in a resource-based policy")]
    )
    assert "layer NO" not in same
    other = side_by_side(
        offline, [_row("denied", "AccessDenied: no identity-based policy allows it")]
    )
    offline_says = "offline explicit deny in a resource-based policy"
    assert f"layer NO ({offline_says}, live no identity-based policy allows it)" in other
