"""The encoding's IAM semantics on tiny policies: each operator, missing keys, IfExists,
Null, wildcards, multiple values, deny over allow, and how policies combine. Every
expectation is IAM's documented rule, decided by the encoding's own formulas."""

from __future__ import annotations

from typing import Any

import pytest

from encrypted_s3.assembly import Deployment, Policy
from encrypted_s3.resolve import PLACEHOLDER_ACCOUNT, PLACEHOLDER_ENV
from encrypted_s3.universal.concrete import Concrete, decide_concrete
from encrypted_s3.universal.model import Encoded
from encrypted_s3.universal.policy import Unsupported

BUCKET_ARN = "arn:aws:s3:::tiny"
KEY_ARN = f"arn:aws:kms:eu-west-1:{PLACEHOLDER_ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
ME = f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/Me"
STRANGER = "arn:aws:iam::210987654321:role/Stranger"
ALG = "s3:x-amz-server-side-encryption"


def deployment(
    bucket: list[dict[str, Any]] | None = None,
    key: list[dict[str, Any]] | None = None,
    identity: list[dict[str, Any]] | None = None,
) -> Deployment:
    def policy(name: str, statements: list[dict[str, Any]] | None) -> Policy | None:
        return None if statements is None else Policy(name, {"Statement": statements})

    return Deployment(
        settings={"encryption": "sse-kms", "header_policy": "strict"},
        env=PLACEHOLDER_ENV,
        bucket_name="tiny",
        bucket_policy=policy("bucket", bucket),
        encryption_rule={"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}},
        key_arn=KEY_ARN,
        alias_name=None,
        key_policy=policy("key", key),
        role_arn=ME,
        identity_policies=(Policy("me", {"Statement": identity}),) if identity else (),
        probe_prefix="probe",
    )


def deny(condition: dict[str, Any], action: str = "s3:PutObject") -> dict[str, Any]:
    return {
        "Sid": "D",
        "Effect": "Deny",
        "Principal": "*",
        "Action": action,
        "Resource": f"{BUCKET_ARN}/*",
        "Condition": condition,
    }


def is_allowed(
    d: Deployment,
    context: dict[str, str] | None = None,
    action: str = "s3:PutObject",
    principal: str = ME,
    obj: str = "probe/x",
    uploader: bool = False,
) -> bool:
    return decide_concrete(
        Encoded.build(d), Concrete(action, principal, context or {}, obj), uploader
    )


@pytest.mark.parametrize(
    ("operator", "value", "sent", "denied"),
    [
        ("StringEquals", "aws:kms", "aws:kms", True),
        ("StringEquals", "aws:kms", "AWS:KMS", False),  # case-sensitive
        ("StringEquals", "aws:kms", None, False),  # positive operator: missing key never matches
        ("StringNotEquals", "aws:kms", "AES256", True),
        ("StringNotEquals", "aws:kms", "aws:kms", False),
        ("StringNotEquals", "aws:kms", None, True),  # negated operator: missing key matches
        ("StringEqualsIfExists", "aws:kms", None, True),
        ("StringEqualsIfExists", "aws:kms", "AES256", False),
        ("StringNotEqualsIfExists", "aws:kms", None, True),
        ("StringLike", "aws:*", "aws:kms:dsse", True),
        ("StringLike", "aws:km?", "aws:kms", True),
        ("StringLike", "aws:km?", "aws:kms:dsse", False),
        ("StringLike", "aws:*", None, False),
        ("StringNotLike", "aws:*", "AES256", True),
        ("StringNotLike", "aws:*", None, True),
        ("StringEquals", ["AES256", "aws:kms"], "aws:kms", True),  # OR within a key
        ("StringNotEquals", ["AES256", "aws:kms"], "aws:kms", False),  # differs from every value
        ("StringNotEquals", ["AES256", "aws:kms"], "aws:kms:dsse", True),
    ],
)
def test_string_operators_and_missing_keys(operator, value, sent, denied):
    d = deployment(bucket=[deny({operator: {ALG: value}})])
    context = {} if sent is None else {ALG: sent}
    # Same account, worst-case identity: allowed unless the Deny applies.
    assert is_allowed(d, context) is not denied


@pytest.mark.parametrize(
    ("condition", "context", "denied"),
    [
        ({"Null": {ALG: "true"}}, {}, True),
        ({"Null": {ALG: "true"}}, {ALG: ""}, False),  # present, even empty
        ({"Null": {ALG: "false"}}, {ALG: ""}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "false"}, True),
        ({"Bool": {"aws:SecureTransport": "false"}}, {"aws:SecureTransport": "true"}, False),
        ({"Bool": {"aws:SecureTransport": "false"}}, {}, False),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.1"}, True),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {"s3:TlsVersion": "1.2"}, False),
        ({"NumericLessThan": {"s3:TlsVersion": "1.2"}}, {}, False),
        ({"NumericLessThanIfExists": {"s3:TlsVersion": "1.2"}}, {}, True),
        ({"NumericGreaterThanEquals": {"s3:TlsVersion": "1.3"}}, {"s3:TlsVersion": "1.3"}, True),
        # AND across keys and operators
        ({"Null": {ALG: "false"}, "StringNotEquals": {ALG: "aws:kms"}}, {ALG: "AES256"}, True),
        ({"Null": {ALG: "false"}, "StringNotEquals": {ALG: "aws:kms"}}, {}, False),
    ],
)
def test_null_bool_numeric_and_conjunction(condition, context, denied):
    assert is_allowed(deployment(bucket=[deny(condition)]), context) is not denied


@pytest.mark.parametrize(
    ("operator", "pattern", "principal", "denied"),
    [
        ("ArnLike", f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/*", ME, True),
        ("ArnLike", "arn:aws:iam::*:role/Me", ME, True),
        ("ArnLike", "arn:aws:iam::*:role/Me", STRANGER, False),
        ("ArnEquals", ME, ME, True),
        ("ArnNotEquals", ME, ME, False),
        ("ArnNotEquals", ME, STRANGER, True),
        ("ArnNotLike", "arn:aws:iam::*:role/S*", STRANGER, False),
        ("ArnLike", "arn:aws:iam::*", ME, False),  # not an ARN: matches nothing
    ],
)
def test_arn_operators_on_the_principal(operator, pattern, principal, denied):
    everyone = {**deny({operator: {"aws:PrincipalArn": pattern}}), "Resource": "*"}
    grant = {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}
    d = deployment(bucket=[everyone, grant])
    context = {"aws:PrincipalArn": principal}
    assert is_allowed(d, context, principal=principal) is not denied


def test_arn_operators_treat_a_missing_key_like_the_string_ones():
    d = deployment(bucket=[deny({"ArnNotEquals": {"aws:PrincipalArn": ME}})])
    assert not is_allowed(d, {})  # negated: the missing key matches, the Deny applies
    d = deployment(bucket=[deny({"ArnEquals": {"aws:PrincipalArn": ME}})])
    assert is_allowed(d, {})


def test_action_and_resource_wildcards():
    d = deployment(
        bucket=[{**deny({}), "Action": "S3:PUTOBJ*", "Resource": f"{BUCKET_ARN}/probe/?"}]
    )
    del d.bucket_policy.document["Statement"][0]["Condition"]
    assert not is_allowed(d, obj="probe/x")  # case-insensitive action, ? is one character
    assert is_allowed(d, obj="probe/xy")
    assert is_allowed(d, obj="other/x")
    assert is_allowed(d, action="s3:GetObject", obj="probe/x")


def test_not_action_and_not_resource():
    statement = {"Sid": "D", "Effect": "Deny", "Principal": "*", "NotAction": "s3:Get*"}
    d = deployment(bucket=[{**statement, "NotResource": f"{BUCKET_ARN}/public/*"}])
    assert not is_allowed(d, obj="probe/x")
    assert is_allowed(d, obj="public/x")
    assert is_allowed(d, action="s3:GetObject", obj="probe/x")


def test_explicit_deny_beats_allow_in_every_policy():
    grant = {"Effect": "Allow", "Principal": {"AWS": ME}, "Action": "s3:*", "Resource": "*"}
    refuse = {"Effect": "Deny", "Action": "s3:PutObject", "Resource": "*"}
    d = deployment(
        bucket=[grant], identity=[{"Effect": "Allow", "Action": "*", "Resource": "*"}, refuse]
    )
    assert not is_allowed(d, uploader=True)
    assert is_allowed(d, action="s3:GetObject", uploader=True)


def test_same_account_needs_one_grant_another_account_needs_both():
    assert is_allowed(deployment(bucket=[]))  # worst-case identity alone, same account
    assert not is_allowed(deployment(bucket=[]), principal=STRANGER)
    to_stranger = {
        "Effect": "Allow",
        "Principal": {"AWS": "210987654321"},
        "Action": "s3:*",
        "Resource": "*",
    }
    assert is_allowed(deployment(bucket=[to_stranger]), principal=STRANGER)
    # The uploader's own (empty) identity grants nothing; a bucket grant by name suffices.
    by_name = {**to_stranger, "Principal": {"AWS": ME}}
    assert not is_allowed(deployment(bucket=[]), uploader=True)
    assert is_allowed(deployment(bucket=[by_name]), uploader=True)


def test_the_key_policy_is_the_root_of_trust():
    kms = {"action": "kms:Decrypt"}
    assert not is_allowed(deployment(key=[]), **kms)  # worst-case identity is not enough
    root = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    assert is_allowed(deployment(key=[root]), **kms)  # delegated to the account's IAM
    assert not is_allowed(deployment(key=[root]), principal=STRANGER, **kms)


@pytest.mark.parametrize(
    ("statement", "names"),
    [
        ({"Condition": {"StringEqualsIgnoreCase": {ALG: "aws:kms"}}}, "StringEqualsIgnoreCase"),
        (
            {"Condition": {"ForAllValues:StringEquals": {ALG: "aws:kms"}}},
            "ForAllValues:StringEquals",
        ),
        ({"Condition": {"StringEquals": {"s3:NoSuchKey": "x"}}}, "s3:NoSuchKey"),
        ({"Condition": {"StringEquals": {ALG: "${aws:username}"}}}, "${aws:username}"),
        ({"Condition": {"DateLessThan": {"aws:CurrentTime": "2026-01-01"}}}, "DateLessThan"),
        ({"NotPrincipal": {"AWS": ME}}, "NotPrincipal"),
        ({"Principal": {"Federated": "cognito-identity.amazonaws.com"}}, "Federated"),
    ],
)
def test_anything_unsupported_stops_with_one_line_naming_it(statement, names):
    raw = {"Sid": "Odd", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    raw.update(statement)
    if "NotPrincipal" in statement:
        del raw["Principal"]
    with pytest.raises(Unsupported) as error:
        Encoded.build(deployment(bucket=[raw]))
    message = str(error.value)
    assert names in message and "Odd" in message and "\n" not in message


def test_grant_guard_with_bool_if_exists_on_create_grant():
    """CT.KMS.PR.3: deny kms:CreateGrant unless the grant is for an AWS resource."""
    root = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:root"}}
    root |= {"Action": "kms:*", "Resource": "*"}
    guard = {"Sid": "G", "Effect": "Deny", "Principal": "*", "Action": "kms:CreateGrant"}
    guard |= {
        "Resource": "*",
        "Condition": {"BoolIfExists": {"kms:GrantIsForAWSResource": "false"}},
    }
    d = deployment(key=[root, guard])
    grant = {"action": "kms:CreateGrant"}
    assert is_allowed(d, {"kms:GrantIsForAWSResource": "true"}, **grant)
    assert not is_allowed(d, {"kms:GrantIsForAWSResource": "false"}, **grant)
    assert not is_allowed(d, {}, **grant)  # IfExists: a missing key matches, the Deny applies


def test_principal_account_condition():
    d = deployment(
        bucket=[deny({"StringNotEquals": {"aws:PrincipalAccount": PLACEHOLDER_ACCOUNT}})]
    )
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:PutObject", "Resource": "*"}
    d = deployment(bucket=[*d.bucket_policy.document["Statement"], everyone])
    assert is_allowed(d, {"aws:PrincipalAccount": PLACEHOLDER_ACCOUNT})
    assert not is_allowed(d, {"aws:PrincipalAccount": "210987654321"}, principal=STRANGER)
