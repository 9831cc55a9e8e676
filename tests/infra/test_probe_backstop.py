"""The live proof's cleanup backstop in the templates: the data bucket expires whatever a
prove run leaves under the probe prefix, and the uploader may list the uploads it left."""

from __future__ import annotations

import pytest

from encrypted_s3 import names
from tests.conftest import CONFIGS
from tests.infra.support import (
    BUCKET_STACK,
    DATA_BUCKET_ID,
    LOG_BUCKET_ID,
    UPLOADER_STACK,
    resource,
    statements_of,
)

PROBE = f"{names.PROBE_PREFIX}/"


def rules_of(raw: dict, logical_id: str) -> dict[str, dict]:
    rules = resource(raw, logical_id)["Properties"]["LifecycleConfiguration"]["Rules"]
    return {rule["Id"]: rule for rule in rules}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_what_a_prove_run_leaves_expires_after_a_day(variant_templates, config):
    rules = rules_of(variant_templates[config][BUCKET_STACK], DATA_BUCKET_ID)
    assert rules["ExpireProbeObjects"] == {
        "Id": "ExpireProbeObjects",
        "Prefix": PROBE,
        "Status": "Enabled",
        "ExpirationInDays": 1,  # current versions
        "NoncurrentVersionExpiration": {"NoncurrentDays": 1},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    # Expiring a current version leaves a delete marker; S3 removes it once it is alone
    # (ExpiredObjectDeleteMarker may not share a rule with ExpirationInDays).
    assert rules["RemoveProbeDeleteMarkers"] == {
        "Id": "RemoveProbeDeleteMarkers",
        "Prefix": PROBE,
        "Status": "Enabled",
        "ExpiredObjectDeleteMarker": True,
    }
    # The rules that expire things everywhere do not come near current data.
    for rule_id, rule in rules.items():
        if rule.get("Prefix") != PROBE:
            assert "ExpirationInDays" not in rule and "ExpiredObjectDeleteMarker" not in rule, (
                rule_id
            )


def test_only_the_data_bucket_has_the_probe_rules(variant_templates):
    raw = variant_templates[CONFIGS[0]][BUCKET_STACK]
    assert not [r for r in rules_of(raw, LOG_BUCKET_ID).values() if r.get("Prefix") == PROBE]


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_the_uploader_may_list_the_uploads_it_left(variant_templates, config):
    statements = statements_of(variant_templates[config][UPLOADER_STACK], "AWS::IAM::Role")
    listing = statements["ListProbeUploads"]
    assert listing["Action"] == "s3:ListBucketMultipartUploads"
    assert listing["Effect"] == "Allow"
    # The bucket itself (a cross-stack import), never "*".
    assert "Fn::ImportValue" in listing["Resource"]
    # It aborts only under its prefix.
    objects = statements["ProbeObjects"]
    assert "s3:AbortMultipartUpload" in objects["Action"]
    assert objects["Resource"]["Fn::Join"][1][1] == f"/{names.PROBE_PREFIX}/*"
