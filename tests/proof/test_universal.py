"""The universal proof on the real templates: every property proved for every variant,
refuted with a readable counterexample when a mutation breaks the policies, and the
necessity of each Deny as the rules (docs/design.md) say."""

from __future__ import annotations

import json
import shutil

import pytest

from encrypted_s3.policy_guard import BUCKET_GUARD_SID, KEY_GUARD_SID
from encrypted_s3.universal.check import Universal, check
from encrypted_s3.universal.report import render_universal_text, to_json
from encrypted_s3.vocabulary import ALGORITHM_KEY, KMS_KEY_ID_KEY, Config, all_configs
from proof import mutate
from proof.__main__ import main
from proof.deployment import find_deployment
from tests.proof.support import SSE_KMS_STRICT

ALWAYS = ("stored-encryption", "no-sse-c", "transport", "not-vacuous")
ACCESS = ["confidentiality", "integrity", "no-public-access", "declared-use"]


@pytest.fixture(scope="session")
def universal(deployments) -> dict[Config, Universal]:
    return {config: check(d) for config, d in deployments.items()}


@pytest.mark.parametrize("config", all_configs(), ids=lambda c: c.label)
def test_every_property_is_proved_on_the_real_templates(universal, config):
    u = universal[config]
    kms_only = config.uses_kms
    expected = [*ALWAYS[:3], *(["key-use"] if kms_only else []), ALWAYS[3]]
    expected += ["grants"] if kms_only else []
    expected += ACCESS
    assert [r.prop.id for r in u.results] == expected
    assert [r.prop.id for r in u.results if not r.proved] == []
    assert all(r.counterexample is None for r in u.results)


def _refuted(deployment, mutation: str, prop: str):
    u = check(mutate.apply(deployment, [mutation]), necessity=False)  # not asserted here
    (result,) = [r for r in u.results if r.prop.id == prop]
    assert not result.proved, f"{mutation} should refute {prop}"
    assert u.refuted == [prop]
    return result


def test_dropping_the_key_check_lets_another_key_through(deployments):
    d = deployments[SSE_KMS_STRICT]
    result = _refuted(d, "drop:DenyWrongKmsKey", "stored-encryption")
    example = result.counterexample
    assert example["action"] in ("s3:PutObject", "s3:ReplicateObject", "s3:UpdateObjectEncryption")
    assert example["context"][ALGORITHM_KEY] == "aws:kms"
    key_id = example["context"][KMS_KEY_ID_KEY]
    assert key_id is not None and key_id != d.key_arn
    assert "no Deny matched" in result.statements
    assert any(n.startswith("S3 stores it as aws:kms with key ") for n in result.notes)


def test_dropping_the_transport_deny_lets_plain_http_through(deployments):
    result = _refuted(deployments[SSE_KMS_STRICT], "drop:DenyInsecureTransport", "transport")
    assert result.counterexample["transport"] == "HTTP"
    assert result.counterexample["action"].startswith("s3:")


def test_dropping_the_tls_deny_lets_old_tls_through(deployments):
    result = _refuted(deployments[SSE_KMS_STRICT], "drop:DenyOutdatedTls", "transport")
    assert result.counterexample["transport"] in ("TLS 1.0", "TLS 1.1")


@pytest.mark.parametrize("encryption", ["sse-kms", "sse-s3"])
def test_without_null_guards_default_aware_denies_the_headerless_upload(deployments, encryption):
    result = _refuted(
        deployments[Config(encryption, "default-aware")], "drop-null-guard", "not-vacuous"
    )
    example = result.counterexample
    assert example["action"] == "s3:PutObject"
    assert set(example["context"].values()) == {None}  # no encryption header at all
    assert "DenyWrongEncryptionAlgorithm" in result.statements


def test_without_the_via_service_deny_the_key_is_usable_directly(deployments):
    d = deployments[SSE_KMS_STRICT]
    result = _refuted(d, "drop-via-service", "key-use")
    example = result.counterexample
    assert example["action"].startswith(
        ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey")
    )
    assert example["resource"] == d.key_arn
    assert example["context"]["kms:ViaService"] != f"s3.{d.env.region}.amazonaws.com"
    assert "EnableAccountRootAccess" in result.statements


# Written from the rules: which Deny protects which promise, and what makes one redundant.
NECESSITY_SSE_KMS_STRICT = {
    "DenyInsecureTransport": "needed by transport",
    "DenyOutdatedTls": "needed by transport",
    "DenySseC": "redundant alone: what it refuses is refused by BlockedEncryptionTypes",
    "DenyMissingEncryptionHeader": (
        "redundant alone: what it refuses is refused by DenyWrongEncryptionAlgorithm"
    ),
    "DenyWrongEncryptionAlgorithm": "needed by stored-encryption",
    "DenyWrongKmsKey": "needed by stored-encryption",
    "DenyDataUseOutsideS3": "needed by key-use",
    "DenyObjectReadsByUndeclared": "needed by confidentiality",
    "DenyObjectWritesByUndeclared": "needed by integrity",
    "DenyObjectDeletesByUndeclared": "needed by integrity",
    # The fence is defence in depth now: the undeclared are refused every data action by
    # DenyDecryptByUndeclared and DenyDataKeysByUndeclared, other accounts' included.
    "DenyDataUseFromOtherAccounts": (
        "redundant alone: what it refuses is refused by the other key policy statements together"
    ),
    "DenyDecryptByUndeclared": "needed by confidentiality",
    "DenyDataKeysByUndeclared": "needed by integrity",
    "DenyGrantsNotForAwsResources": "needed by grants",
    "BlockedEncryptionTypes": "redundant alone: what it refuses is refused by DenySseC",
}


def test_necessity_of_each_deny_sse_kms_strict(universal):
    found = {n.statement: n.describe() for n in universal[SSE_KMS_STRICT].necessity}
    assert found == NECESSITY_SSE_KMS_STRICT


def test_default_aware_needs_the_kms_without_key_id_deny(universal):
    found = {n.statement: n for n in universal[Config("sse-kms", "default-aware")].necessity}
    assert found["DenyKmsWithoutKeyId"].needed_by == ["stored-encryption"]
    assert found["DenyWrongEncryptionAlgorithm"].needed_by == ["stored-encryption"]


@pytest.fixture(scope="module")
def prod_deployment(prod_templates):
    """prod as cdk.json configures it: sse-kms/strict with the policy guard on."""
    return find_deployment(prod_templates)


def test_guard_is_proved_when_both_policies_keep_changes_to_the_deploy_role(prod_deployment):
    u = check(prod_deployment)
    assert [r.prop.id for r in u.results][-6:] == ["guard", "grants", *ACCESS]
    assert u.refuted == []
    found = {n.statement: n.needed_by for n in u.necessity}
    assert found[BUCKET_GUARD_SID] == ["guard"]
    assert found[KEY_GUARD_SID] == ["guard"]


def test_guard_without_the_key_policy_part_is_refuted(prod_deployment):
    u = check(mutate.apply(prod_deployment, [f"drop:{KEY_GUARD_SID}"]), necessity=False)
    (result,) = [r for r in u.results if r.prop.id == "guard"]
    assert not result.proved
    assert result.counterexample["action"] == "kms:PutKeyPolicy"
    assert "cfn-exec-role" not in result.counterexample["principal"]


def test_guard_is_not_claimed_when_the_setting_is_off(universal):
    assert all(r.prop.id != "guard" for u in universal.values() for r in u.results)


def test_report_json_and_text_carry_every_property(universal):
    u = universal[SSE_KMS_STRICT]
    document = to_json(u)
    assert [p["id"] for p in document["properties"]] == [r.prop.id for r in u.results]
    first = document["properties"][0]
    assert first["variant"] == "sse-kms/strict" and first["result"] == "proved"
    assert first["counterexample"] is None and first["assumptions"]
    text = render_universal_text(u)
    assert text.startswith("Properties (sse-kms/strict;")
    assert text.rstrip().endswith("10 proved, 0 refuted")


def test_cli_prints_a_counterexample_and_fails_when_a_deny_is_dropped(
    variant_assemblies, deployments, capsys
):
    directory, _ = variant_assemblies[SSE_KMS_STRICT]
    assert main([str(directory), "--break", "drop:DenyWrongKmsKey"]) == 1
    out = capsys.readouterr().out
    assert "1. Stored encryption: REFUTED" in out
    assert f"{KMS_KEY_ID_KEY}: " in out and "counterexample:" in out
    report = json.loads((directory / "proof-report.json").read_text())
    results = {p["id"]: p["result"] for p in report["properties"]}
    assert results["stored-encryption"] == "refuted"
    example = report["properties"][0]["counterexample"]
    assert example["context"][KMS_KEY_ID_KEY] not in (None, deployments[SSE_KMS_STRICT].key_arn)


def test_cli_stops_with_one_line_on_an_operator_the_encoding_does_not_know(
    variant_assemblies, tmp_path, capsys
):
    directory, _ = variant_assemblies[SSE_KMS_STRICT]
    copy = tmp_path / "assembly"
    shutil.copytree(directory, copy)
    for path in copy.glob("*.template.json"):
        template = json.loads(path.read_text())
        for resource in template.get("Resources", {}).values():
            if resource["Type"] == "AWS::S3::BucketPolicy":
                for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
                    if statement.get("Sid") == "DenyWrongEncryptionAlgorithm":
                        condition = statement["Condition"]
                        condition["StringNotEqualsIgnoreCase"] = condition.pop("StringNotEquals")
        path.write_text(json.dumps(template))
    assert main([str(copy)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "StringNotEqualsIgnoreCase" in err and "DenyWrongEncryptionAlgorithm" in err


def test_without_the_grant_deny_a_principal_can_grant_itself_the_key(deployments):
    result = _refuted(deployments[SSE_KMS_STRICT], "drop:DenyGrantsNotForAwsResources", "grants")
    example = result.counterexample
    assert example["action"] == "kms:CreateGrant"
    assert not example["principal"].startswith("service ")
    assert example["context"].get("kms:GrantIsForAWSResource") in (None, "false")
