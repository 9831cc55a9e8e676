"""The simulator must evaluate every context key the proof passes, never drop one quietly.

Each key gets a Deny statement that matches exactly the value the proof sends: if the
simulator ignored the key, the Deny could not match and the request would be allowed.
"""

from __future__ import annotations

import pytest

import proof.simulate as simulate_module
from encrypted_s3.policy_guard import BUCKET_GUARD_ACTIONS
from encrypted_s3.resolve import PLACEHOLDER_ACCOUNT, PLACEHOLDER_REGION
from encrypted_s3.vocabulary import Config, all_configs
from proof.simulate import Decision, SimRequest, SimulatorError, simulate
from scenarios import KeyRefs, scenarios_for

BUCKET_ARN = "arn:aws:s3:::bucket"
OBJECT = f"{BUCKET_ARN}/probe/offline/x"
KEY_ARN = f"arn:aws:kms:{PLACEHOLDER_REGION}:{PLACEHOLDER_ACCOUNT}:key/k"
ROLE = f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/Uploader"

TRANSPORT = [
    ("aws:SecureTransport", "false", "Bool"),
    ("s3:TlsVersion", "1.1", "NumericLessThan"),
]
ENCRYPTION_KEY_CASES = [
    ("s3:x-amz-server-side-encryption", "aws:kms", "StringEquals"),
    ("s3:x-amz-server-side-encryption-aws-kms-key-id", KEY_ARN, "StringEquals"),
    ("s3:x-amz-server-side-encryption-customer-algorithm", "AES256", "StringEquals"),
]
VIA_S3 = [
    ("kms:ViaService", f"s3.{PLACEHOLDER_REGION}.amazonaws.com", "StringEquals"),
    ("kms:CallerAccount", PLACEHOLDER_ACCOUNT, "StringEquals"),
    ("kms:EncryptionContext:aws:s3:arn", BUCKET_ARN, "StringEquals"),
]
# In every signed request; the guard's conditions and CT.KMS.PR.3's read them.
CALLER = [
    ("aws:PrincipalArn", ROLE, "ArnEquals"),
    ("aws:PrincipalIsAWSService", "false", "Bool"),
]
GRANT = [("kms:GrantIsForAWSResource", "false", "Bool")]
# Who asks (who can read it: the readers' and writers' fences and Allows read them).
PRINCIPAL = [
    ("aws:PrincipalArn", ROLE, "ArnEquals"),
    ("aws:PrincipalAccount", PLACEHOLDER_ACCOUNT, "StringEquals"),
]
OBJECT_ACTIONS = ("s3:PutObject", "s3:GetObject", "s3:ReplicateObject", "s3:UpdateObjectEncryption")
OBJECT_ACTIONS += ("s3:GetObjectTagging", "s3:PutObjectTagging", "s3:DeleteObject")
KMS_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt", "kms:Encrypt")
KMS_ACTIONS += ("kms:ReEncryptFrom", "kms:ReEncryptTo")

# (action, resource, key, value sent, condition operator that matches it; its value is the
# sent one, except for NumericLessThan: the threshold of DenyOutdatedTls)
CONDITION_KEY_CASES = [
    *(
        (action, OBJECT, *key)
        for action in ("s3:PutObject", "s3:GetObject", "s3:ReplicateObject")
        for key in TRANSPORT
    ),
    *(("s3:UpdateObjectEncryption", OBJECT, *key) for key in TRANSPORT),
    *(
        (action, OBJECT, *key)
        for action in ("s3:PutObject", "s3:ReplicateObject")
        for key in ENCRYPTION_KEY_CASES
    ),
    # UpdateObjectEncryption takes no customer key (iam-data lists no such condition key).
    *(("s3:UpdateObjectEncryption", OBJECT, *key) for key in ENCRYPTION_KEY_CASES[:2]),
    *((action, KEY_ARN, *key) for action in KMS_ACTIONS for key in VIA_S3),
    ("kms:Decrypt", KEY_ARN, "kms:EncryptionContext:aws:s3:arn", OBJECT, "StringLike"),
    # The policy guard's rows and KMS grants (tests/infra/test_hardening.py).
    *((action, BUCKET_ARN, *key) for action in BUCKET_GUARD_ACTIONS for key in TRANSPORT + CALLER),
    *(("kms:PutKeyPolicy", KEY_ARN, *key) for key in VIA_S3[1:2] + CALLER),
    *(("kms:CreateGrant", KEY_ARN, *key) for key in VIA_S3[:2] + CALLER + GRANT),
    *((action, OBJECT, *key) for action in OBJECT_ACTIONS for key in PRINCIPAL),
    *((action, KEY_ARN, *key) for action in KMS_ACTIONS for key in PRINCIPAL),
    *((action, OBJECT, *key) for action in OBJECT_ACTIONS[4:] for key in TRANSPORT),
]
# A value the operators above do not match.
OTHER_VALUE = {"Bool": "true", "NumericLessThan": "1.3", "StringEquals": "x", "StringLike": "x"}
OTHER_VALUE |= {"ArnEquals": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:role/Other"}

ALLOW_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}


def _resource_policy(action: str, key: str, value: str, operator: str) -> dict:
    value = "1.2" if operator == "NumericLessThan" else value
    principal = {"AWS": f"arn:aws:iam::{PLACEHOLDER_ACCOUNT}:root"}
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": principal,
                "Action": action,
                "Resource": "*",
            },
            {
                "Sid": "DenyOnKey",
                "Effect": "Deny",
                "Principal": "*",
                "Action": action,
                "Resource": "*",
                "Condition": {operator: {key: value}},
            },
        ],
    }


@pytest.fixture(scope="module")
def decisions() -> dict[str, Decision]:
    """Every key, once with the matching value and once without, in one Node process."""
    policies, requests = {"allow-all": ALLOW_ALL}, []
    for index, (action, resource, key, value, operator) in enumerate(CONDITION_KEY_CASES):
        policies[f"rp{index}"] = _resource_policy(action, key, value, operator)
        for sent, suffix in ((value, "match"), (OTHER_VALUE[operator], "other")):
            requests.append(
                SimRequest(
                    f"{index}-{suffix}",
                    action,
                    ROLE,
                    resource,
                    PLACEHOLDER_ACCOUNT,
                    {key: sent},
                    ("allow-all",),
                    f"rp{index}",
                )
            )
    return simulate(policies, requests)


@pytest.mark.parametrize(
    "index", range(len(CONDITION_KEY_CASES)), ids=[f"{k[0]}:{k[2]}" for k in CONDITION_KEY_CASES]
)
def test_simulator_evaluates_every_context_key_the_proof_passes(decisions, index):
    assert decisions[f"{index}-match"].effective == "ExplicitlyDenied"
    assert decisions[f"{index}-other"].effective == "Allowed"  # the Deny is conditional


def test_the_deciding_sid_is_reported(decisions):
    denied = decisions["0-match"]
    assert denied.statements_reported
    assert [d["sid"] for d in denied.denials if d["explicit"]] == ["DenyOnKey"]


def test_the_keys_above_cover_every_key_the_scenarios_use():
    keys = KeyRefs.build("aws", PLACEHOLDER_REGION, PLACEHOLDER_ACCOUNT, KEY_ARN, "alias/a")
    used = {
        (r.action, key)
        for config in all_configs() + [Config("sse-kms", "strict", guard_policies=True)]
        for scenario in scenarios_for(config)
        for r in scenario.iam_requests(config, keys)
        for key in r.context
    }
    # The proof adds S3's encryption context to the data requests it makes through S3.
    used |= {
        (a, "kms:EncryptionContext:aws:s3:arn")
        for a, k in used
        if k == "kms:ViaService" and a != "kms:CreateGrant"
    }
    assert used <= {(action, key) for action, _, key, _, _ in CONDITION_KEY_CASES}


def test_a_key_the_simulator_does_not_know_stops_the_proof():
    decisions = simulate(
        {"allow-all": ALLOW_ALL},
        [
            SimRequest(
                "r",
                "s3:PutObject",
                ROLE,
                OBJECT,
                PLACEHOLDER_ACCOUNT,
                {"s3:x-amz-no-such-key": "1"},
                ("allow-all",),
            )
        ],
    )
    with pytest.raises(SimulatorError, match="s3:x-amz-no-such-key"):
        decisions["r"].effective  # noqa: B018


def test_missing_simulator_says_run_make_setup(tmp_path, monkeypatch):
    monkeypatch.setattr(simulate_module, "SIMULATOR_PACKAGE", tmp_path / "package.json")
    with pytest.raises(SimulatorError, match="run make setup"):
        simulate_module.node_executable()


def test_missing_node_says_run_make_setup(monkeypatch):
    monkeypatch.setattr(simulate_module.shutil, "which", lambda *a, **k: None)
    with pytest.raises(SimulatorError, match="node not found.*run make setup"):
        simulate_module.node_executable()
