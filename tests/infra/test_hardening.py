"""Hardening: the Control Tower controls at synthesis, the CreateGrant deny, the versioned
log bucket, and the policy guard (setting guard_policies)."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
from aws_cdk import App, DefaultStackSynthesizer, Stack

import stacks.controls
from encrypted_s3 import names
from encrypted_s3.encryption_key import ADMIN_ACTIONS
from encrypted_s3.policy_guard import (
    BUCKET_GUARD_ACTIONS,
    BUCKET_GUARD_SID,
    KEY_GUARD_SID,
    deploy_role_arn,
)
from encrypted_s3.settings import SettingsError, parse
from proof.paths import ROOT
from proof.prove import Case, prove_cases
from stacks.app_builder import build
from tests.conftest import CDK_CONTEXT, environment_settings, synth_settings
from tests.infra.support import (
    BUCKET_STACK,
    DATA_BUCKET_ID,
    KEY_STACK,
    LOG_BUCKET_ID,
    statements_of,
)

EXEC_ROLE = (
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/"
    "cdk-{qualifier}-cfn-exec-role-${AWS::AccountId}-${AWS::Region}"
)


def exec_role(qualifier: str = "hnb659fds") -> dict:
    return {"Fn::Sub": EXEC_ROLE.replace("{qualifier}", qualifier)}


def guard_report(outdir: Path) -> dict:
    report = json.loads((outdir / "validation-report.json").read_text())
    (guard,) = [r for r in report["pluginReports"] if r["pluginName"] == stacks.controls.PLUGIN]
    return guard


def found(violations: list[dict]) -> set[tuple[str, str]]:
    """(rule, construct path) of every violation."""
    return {
        (v["ruleName"], c["constructPath"]) for v in violations for c in v["violatingConstructs"]
    }


# --- Control Tower controls -------------------------------------------------------------

# What each exempted construct's reason must speak of (by the construct's id).
SUBJECTS = {
    "AccessLogs": "bucket",
    "Data": "bucket",
    "Logs": "log",
    "Function": "uploader",
    "Custom::S3AutoDeleteObjectsCustomResourceProvider": "auto-delete",
}


def readme_accepted_controls() -> set[str]:
    """The control ids of README.md's table of accepted controls."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("| control | where | why it is accepted |") :].split("\n\n")[0]
    return set(re.findall(r"^\| (CT\.\w+\.PR\.\d+) ", table, re.M))


@pytest.mark.parametrize(
    "values",
    [{}, {"encryption": "sse-s3"}],
    ids=["dev-as-configured", "dev-sse-s3"],
)
def test_every_control_exemption_is_needed_and_nothing_else_is_found(monkeypatch, tmp_path, values):
    """Without the exemptions the controls fail synthesis on exactly the exempted rules of
    exactly the exempted constructs (dev from cdk.json has the auto-delete handler; sse-s3
    the one mode-specific exemption), each with a specific reason."""
    recorded: list[stacks.controls.Exemption] = []
    monkeypatch.setattr(stacks.controls, "acknowledge", recorded.append)
    settings = parse("dev", CDK_CONTEXT["encrypted-s3"]["dev"] | values)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        synth_settings(settings, tmp_path, controls=True)
    guard = guard_report(tmp_path)
    exempted = {(e.rule, e.construct.node.path) for e in recorded}
    violations = found(guard["violations"])
    # A violation names the CloudFormation resource under the exempted construct.
    matched = {
        (rule, path)
        for rule, path in exempted
        if any(r == rule and p.startswith(path + "/") for r, p in violations)
    }
    assert matched == exempted, f"exemptions no longer needed: {exempted - matched}"
    assert len(violations) == len(exempted), violations
    # The controls accepted are the README's table ("What it accepts"), no more, no less.
    assert {e.control for e in recorded} == readme_accepted_controls()
    for exemption in recorded:
        assert exemption.control in json.dumps(guard), exemption.control
        # A reason of its own for each rule, speaking of what it exempts.
        subject = SUBJECTS[exemption.construct.node.id]
        assert subject in exemption.reason.lower(), (exemption.rule, subject)
    rules = {e.rule for e in recorded}
    assert len({e.reason for e in recorded}) >= len(rules), "a reason copied to another rule"
    if values:  # the sse-s3 data bucket is exempted from CT.S3.PR.10 only in that mode
        assert (
            "s3_bucket_default_encryption_kms_check",
            f"{BUCKET_STACK}/EncryptedBucket/Data",
        ) in (exempted)


def test_a_violated_control_fails_synthesis_and_names_the_rule(tmp_path):
    """The log bucket without versioning breaks CT.S3.PR.11: synthesis fails and names the
    control and the rule, although every exemption is in place (CDK would count a report
    with acknowledged findings as passed were its findings not errors)."""
    app = App(
        context={**CDK_CONTEXT, stacks.controls.CONTROLS_CONTEXT_KEY: True},
        outdir=str(tmp_path),
    )
    built = build(app, parse("dev", {}), bootstrap_version_rule=False)
    log_bucket = built.bucket.encrypted_bucket.log_bucket.node.default_child
    log_bucket.add_property_deletion_override("VersioningConfiguration")
    with pytest.raises(RuntimeError, match="ValidationFailed") as raised:
        app.synth()
    assert "CT.S3.PR.11" in str(raised.value)
    assert "s3_bucket_versioning_enabled_check" in str(raised.value)
    assert found(guard_report(tmp_path)["violations"]) == {
        (
            "s3_bucket_versioning_enabled_check",
            f"{BUCKET_STACK}/EncryptedBucket/AccessLogs/Resource",
        )
    }


def test_controls_run_in_the_cli_only_when_asked():
    assert not stacks.controls.enabled(App(context={}))
    assert stacks.controls.enabled(App(context={stacks.controls.CONTROLS_CONTEXT_KEY: "true"}))


# --- what the controls asked for ------------------------------------------------------------


def test_log_bucket_is_versioned_and_keeps_replaced_logs(dev_templates):
    log_bucket = dev_templates[BUCKET_STACK]["Resources"][LOG_BUCKET_ID]["Properties"]
    assert log_bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = {r["Id"]: r for r in log_bucket["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireNoncurrentLogVersions"]["NoncurrentVersionExpiration"] == {
        "NoncurrentDays": 365
    }


def test_key_grants_only_for_aws_resources(dev_templates):
    """CT.KMS.PR.3's statement, with the operator and keys its rule requires."""
    statement = statements_of(dev_templates[KEY_STACK], "AWS::KMS::Key")[
        "DenyGrantsNotForAwsResources"
    ]
    assert statement == {
        "Sid": "DenyGrantsNotForAwsResources",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:CreateGrant",
        "Resource": "*",
        "Condition": {
            "BoolIfExists": {
                "kms:GrantIsForAWSResource": "false",
                "aws:PrincipalIsAWSService": "false",
            }
        },
    }


def test_key_admins_never_rewrite_the_key_policy():
    assert not any(fnmatchcase("kms:PutKeyPolicy", action) for action in ADMIN_ACTIONS)
    assert any(fnmatchcase("kms:ScheduleKeyDeletion", action) for action in ADMIN_ACTIONS)


# --- the policy guard -----------------------------------------------------------------------


def test_guard_is_off_in_dev(dev_templates):
    assert KEY_GUARD_SID not in statements_of(dev_templates[KEY_STACK], "AWS::KMS::Key")
    bucket = statements_of(dev_templates[BUCKET_STACK], "AWS::S3::BucketPolicy", DATA_BUCKET_ID)
    assert BUCKET_GUARD_SID not in bucket


def test_prod_turns_the_guard_on():
    assert environment_settings("prod").guard_policies


def test_guard_denies_policy_changes_to_all_but_the_deploy_role(prod_templates):
    bucket = statements_of(
        prod_templates[names.stack_name("prod", "Bucket")], "AWS::S3::BucketPolicy", DATA_BUCKET_ID
    )
    assert bucket[BUCKET_GUARD_SID] == {
        "Sid": BUCKET_GUARD_SID,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": sorted(BUCKET_GUARD_ACTIONS),
        "Resource": {"Fn::GetAtt": [DATA_BUCKET_ID, "Arn"]},
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": exec_role()}},
    }
    required = {"s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutEncryptionConfiguration"}
    assert required <= set(BUCKET_GUARD_ACTIONS)
    key_template = prod_templates[names.stack_name("prod", "Key")]
    key = statements_of(key_template, "AWS::KMS::Key")
    assert key[KEY_GUARD_SID] == {
        "Sid": KEY_GUARD_SID,
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "kms:PutKeyPolicy",
        "Resource": "*",
        "Condition": {"ArnNotEquals": {"aws:PrincipalArn": exec_role()}},
    }
    assert "BypassPolicyLockoutSafetyCheck" not in json.dumps(key_template)


def test_guard_follows_a_custom_bootstrap_qualifier(tmp_path):
    """The role is the one `cdk deploy` uses: the manifest names the same ARN."""
    context = CDK_CONTEXT | {"@aws-cdk/core:bootstrapQualifier": "custom42"}
    app = App(context=context, outdir=str(tmp_path))
    build(app, environment_settings("prod"))
    assembly = app.synth()
    for stack_name, sid, resource_type in (
        (names.stack_name("prod", "Key"), KEY_GUARD_SID, "AWS::KMS::Key"),
        (names.stack_name("prod", "Bucket"), BUCKET_GUARD_SID, "AWS::S3::BucketPolicy"),
    ):
        artifact = assembly.get_stack_by_name(stack_name)
        statements = statements_of(artifact.template, resource_type, DATA_BUCKET_ID)
        arn = statements[sid]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]
        assert arn == exec_role("custom42")
        manifest = json.loads((tmp_path / "manifest.json").read_text())
        properties = manifest["artifacts"][artifact.id]["properties"]
        assert properties["cloudFormationExecutionRoleArn"] == arn["Fn::Sub"]


def test_guard_refuses_a_synthesizer_it_cannot_read():
    stack = Stack(App(), "Plain", synthesizer=DefaultStackSynthesizer())
    with pytest.raises(SettingsError, match="guard_policies=true needs") as raised:
        deploy_role_arn(stack)
    assert "\n" not in str(raised.value)


# --- the proof of the guard (offline, iam-simulate) -----------------------------------------

A, D = "allowed", "denied"
# Written from the rules: (scenario, principal) -> (guard on, guard off).
GUARD_ROWS = {
    ("guard-put-bucket-policy", "account-admin"): (D, A),
    ("guard-delete-bucket-policy", "account-admin"): (D, A),
    ("guard-put-encryption", "account-admin"): (D, A),
    ("guard-put-replication", "account-admin"): (D, A),
    ("guard-put-key-policy", "account-admin"): (D, A),
    ("grant-for-self", "account-admin"): (D, D),  # CT.KMS.PR.3 holds in both
    ("guard-put-bucket-policy", "deploy-role"): (A, A),
    ("guard-delete-bucket-policy", "deploy-role"): (A, A),
    ("guard-put-encryption", "deploy-role"): (A, A),
    ("guard-put-replication", "deploy-role"): (A, A),
    ("guard-put-key-policy", "deploy-role"): (A, A),
    ("grant-for-aws-resource", "aws-service"): (A, A),
}
GUARD_DENIES = {
    "DenyEncryptionChangesOutsideDeploy": {
        f"{name} (account-admin)"
        for name in (
            "guard-put-bucket-policy",
            "guard-delete-bucket-policy",
            "guard-put-encryption",
            "guard-put-replication",
        )
    },
    "DenyKeyPolicyChangesOutsideDeploy": {"guard-put-key-policy (account-admin)"},
    "DenyGrantsNotForAwsResources": {"grant-for-self (account-admin)"},
}


@pytest.fixture(scope="module")
def guard_proofs(prod_templates, dev_templates) -> dict:
    """prod (guard on), dev (guard off), and prod with each new Deny dropped: ONE Node run."""
    cases = {"prod": Case(prod_templates), "dev": Case(dev_templates)}
    cases |= {sid: Case(prod_templates, mutations=(f"drop:{sid}",)) for sid in GUARD_DENIES}
    return dict(zip(cases, prove_cases(list(cases.values())), strict=True))


@pytest.mark.parametrize("env", ["prod", "dev"])
def test_the_guard_rows_are_as_the_rules_say(guard_proofs, env):
    proved = guard_proofs[env]
    assert proved.passed, proved.failed
    assert proved.config.guard_policies is (env == "prod")
    got = {
        (o.scenario.name, o.principal): o.actual
        for o in proved.outcomes
        if (o.scenario.name, o.principal) in GUARD_ROWS
    }
    column = 0 if env == "prod" else 1
    assert got == {row: outcomes[column] for row, outcomes in GUARD_ROWS.items()}
    for (name, principal), outcomes in GUARD_ROWS.items():
        if outcomes[column] == D:  # the statement that decides is named
            detail = proved.outcome(name, principal).detail
            assert any(sid in detail for sid in GUARD_DENIES), detail


@pytest.mark.parametrize("sid", sorted(GUARD_DENIES))
def test_dropping_a_guard_statement_fails_exactly_its_rows(guard_proofs, sid):
    assert set(guard_proofs[sid].failed) == GUARD_DENIES[sid]
