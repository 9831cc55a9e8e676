"""The scenario table against docs/design.md, "The scenarios", cell by cell, and its own
consistency."""

from __future__ import annotations

import pytest

import scenarios as sc

A, D = sc.ALLOWED, sc.DENIED
# docs/design.md, "The scenarios", copied by hand:
# (scenario, strict sse-kms, default-aware sse-kms).
DESIGN_TABLE = [
    ("no-header", D, A),
    ("sse-s3", D, D),
    ("sse-kms-aws-managed", D, D),
    ("sse-kms-project-key", A, A),
    ("sse-kms-project-alias", D, D),
    ("sse-kms-other-key", D, D),
    ("dsse-kms-project-key", D, D),
    ("sse-c", D, D),
    ("multipart-required", A, A),
    ("copy-no-header", D, A),
    ("copy-required", A, A),
    ("http-required", D, D),
    ("read-back", A, A),
]


@pytest.mark.parametrize(("name", "strict", "aware"), DESIGN_TABLE)
def test_sse_kms_expectations_match_the_design_table(name, strict, aware):
    scenario = sc.by_name(name)
    assert scenario.expect(sc.Config("sse-kms", "strict")).outcome == strict
    assert scenario.expect(sc.Config("sse-kms", "default-aware")).outcome == aware


def test_the_table_covers_the_design_table_and_names_are_unique():
    names = [s.name for s in sc.SCENARIOS]
    assert len(names) == len(set(names))
    assert {row[0] for row in DESIGN_TABLE} <= set(names)


@pytest.mark.parametrize("config", sc.all_configs(), ids=lambda c: c.label)
def test_only_the_required_headers_are_allowed_in_every_mode(config):
    """Among single puts, exactly the mode's own headers pass (and no header, if aware)."""
    allowed = {
        s.name
        for s in sc.scenarios_for(config)
        if s.operation == "put"
        and s.secure_transport
        and s.tls_version >= "1.2"
        and s.expect(config).outcome == A
    }
    own = {"sse-kms": "sse-kms-project-key", "dsse-kms": "dsse-kms-project-key", "sse-s3": "sse-s3"}
    expected = {own[config.encryption]}
    if config.header_policy == "default-aware":
        expected.add("no-header")
    assert allowed == expected


def test_headers_are_stated_alike_for_the_probe_and_the_proof():
    keys = sc.KeyRefs.build(
        "aws", "eu-west-1", "123456789012", "arn:aws:kms:eu-west-1:123456789012:key/k"
    )
    pairs = {
        "SSEKMSKeyId": "s3:x-amz-server-side-encryption-aws-kms-key-id",
        "ServerSideEncryption": "s3:x-amz-server-side-encryption",
        "SSECustomerAlgorithm": "s3:x-amz-server-side-encryption-customer-algorithm",
    }
    for sse in sc.UPLOAD_CHOICES.values():
        boto = sc.boto3_sse_args(sse, keys)
        context = sc.s3_context(sse, keys)
        assert {pairs[k]: v for k, v in boto.items() if k in pairs} == context


def test_keys_without_a_project_key_name_absent_keys():
    keys = sc.KeyRefs.build("aws", "eu-west-1", "123456789012")
    assert keys.project_arn.endswith(sc.ABSENT_PROJECT_KEY_ID)
    assert keys.other_arn != keys.project_arn and keys.alias_arn.endswith(sc.ABSENT_PROJECT_ALIAS)


def test_kms_requests_follow_where_the_object_is_stored():
    keys = sc.KeyRefs.build(
        "aws", "eu-west-1", "123456789012", "arn:aws:kms:eu-west-1:123456789012:key/k"
    )
    aware = sc.Config("sse-kms", "default-aware")
    # No header: stored with the bucket default, the project key, so S3 asks KMS.
    steps = [r.action for r in sc.by_name("no-header").iam_requests(aware, keys)]
    assert steps == ["s3:PutObject", "kms:GenerateDataKey"]
    # SSE-C and foreign keys: the project key is never used.
    for name in ("sse-c", "sse-kms-other-key", "sse-s3"):
        assert [r.service for r in sc.by_name(name).iam_requests(aware, keys)] == ["s3"]
    multipart = [r.step for r in sc.by_name("multipart-required").iam_requests(aware, keys)]
    assert multipart[:3] == ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"]
    assert sc.by_name("kms-direct").applies(sc.Config("sse-s3", "strict")) is False


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="encryption 'x' is not one of"):
        sc.Config("x", "strict")
    with pytest.raises(ValueError, match="header_policy 'y' is not one of"):
        sc.Config("sse-kms", "y")


def test_stored_reads_the_same_live_and_offline():
    keys = sc.KeyRefs.build("aws", "eu-west-1", "123456789012", "arn:aws:kms:eu-west-1:1:key/k")
    promised = sc.Stored.promised(sc.Config("sse-kms", "strict"), keys)
    assert promised.describe(keys) == "aws:kms + project key + bucket key"
    assert sc.Stored("aws:kms", keys.other_arn, False).describe(keys) == "aws:kms + other key"
    stranger = "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3"
    assert sc.Stored("aws:kms", stranger, False).describe(keys) == "aws:kms + alias/aws/s3"
    assert sc.Stored("AES256", None, False).describe(keys) == "AES256"
