"""Fine-grained assertions: every rule of docs/design.md, "The rules", for every variant."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from encrypted_s3 import names
from encrypted_s3.encryption_key import ADMIN_ACTIONS
from encrypted_s3.vocabulary import ALGORITHM, STORE_ACTIONS
from proof.paths import ROOT
from tests.conftest import CONFIGS, KEY_ADMIN, KMS_CONFIGS, variant_settings
from tests.infra.support import (
    BUCKET_STACK,
    DATA_BUCKET_ID,
    KEY_LOGICAL_ID,
    KEY_STACK,
    LOG_BUCKET_ID,
    UPLOADER_STACK,
    resource,
    statements_of,
)

DATA_ACTIONS = {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"}


def ids(config):
    return config.label


def template(variant_templates, config, stack) -> Template:
    return Template.from_json(variant_templates[config][stack])


def import_of(value) -> str:
    """The export an Fn::ImportValue names (cross-stack references are passed constructs)."""
    assert isinstance(value, dict) and "Fn::ImportValue" in value, value
    return value["Fn::ImportValue"]


# --- key stack -----------------------------------------------------------------------


@pytest.mark.parametrize("config", KMS_CONFIGS, ids=ids)
def test_key_rotates_and_waits_before_deletion(variant_templates, config):
    t = template(variant_templates, config, KEY_STACK)
    t.resource_count_is("AWS::KMS::Key", 1)
    t.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": Match.object_like(
                {
                    "EnableKeyRotation": True,
                    "RotationPeriodInDays": variant_settings(config).get("key_rotation_days", 365),
                    "PendingWindowInDays": 30,
                }
            ),
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    t.has_resource_properties(
        "AWS::KMS::Alias",
        {
            "AliasName": "alias/encrypted-s3-dev",
            "TargetKeyId": {"Fn::GetAtt": [KEY_LOGICAL_ID, "Arn"]},
        },
    )
    t.has_output(names.KEY_ARN_OUTPUT, {"Value": {"Fn::GetAtt": [KEY_LOGICAL_ID, "Arn"]}})
    (alias_id,) = t.find_resources("AWS::KMS::Alias")
    t.has_output(names.KEY_ALIAS_OUTPUT, {"Value": {"Ref": alias_id}})


@pytest.mark.parametrize("config", KMS_CONFIGS, ids=ids)
def test_key_is_usable_for_data_only_through_s3_in_this_account(variant_templates, config):
    raw = variant_templates[config][KEY_STACK]
    statements = statements_of(raw, "AWS::KMS::Key")
    assert set(statements) - {"KeyAdministration"} == {
        "EnableAccountRootAccess",
        "DenyDataUseOutsideS3",
        "DenyDataUseFromOtherAccounts",
        "DenyGrantsNotForAwsResources",  # tests/infra/test_hardening.py
        "DenyDecryptByUndeclared",  # who can read it: tests/infra/test_access.py
        "DenyDataKeysByUndeclared",
    }
    root = statements["EnableAccountRootAccess"]
    assert root["Effect"] == "Allow" and root["Principal"]["AWS"]["Fn::Join"][1][-1] == ":root"
    via_s3 = statements["DenyDataUseOutsideS3"]
    assert via_s3["Effect"] == "Deny" and via_s3["Principal"] == {"AWS": "*"}
    assert set(via_s3["Action"]) == DATA_ACTIONS
    assert via_s3["Condition"] == {
        "StringNotEquals": {
            "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
        }
    }
    account = statements["DenyDataUseFromOtherAccounts"]
    assert account["Effect"] == "Deny" and set(account["Action"]) == DATA_ACTIONS
    assert account["Condition"] == {
        "StringNotEquals": {"kms:CallerAccount": {"Ref": "AWS::AccountId"}}
    }


@pytest.mark.parametrize("config", KMS_CONFIGS, ids=ids)
def test_key_admins_administer_without_data_use(variant_templates, config):
    statements = statements_of(variant_templates[config][KEY_STACK], "AWS::KMS::Key")
    admins = variant_settings(config).get("key_admins", [])
    if not admins:
        assert "KeyAdministration" not in statements
        return
    statement = statements["KeyAdministration"]
    assert admins == [KEY_ADMIN] and statement["Principal"] == {"AWS": KEY_ADMIN}
    actions = set(statement["Action"])
    assert actions == set(ADMIN_ACTIONS)
    # No data action, not even through a wildcard.
    for action in actions:
        for data in ("kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt", "kms:GenerateDataKey"):
            assert not data.startswith(action.rstrip("*")), f"{action} grants {data}"


# --- bucket stack ----------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_data_bucket_default_encryption(variant_templates, config):
    raw = variant_templates[config][BUCKET_STACK]
    encryption = resource(raw, DATA_BUCKET_ID)["Properties"]["BucketEncryption"]
    (rule,) = encryption["ServerSideEncryptionConfiguration"]
    default = rule["ServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == ALGORITHM[config.encryption]
    if config.uses_kms:
        assert "ProjectKey" in import_of(default["KMSMasterKeyID"])
    else:
        assert "KMSMasterKeyID" not in default
    # Bucket Keys exist for SSE-KMS only.
    assert rule.get("BucketKeyEnabled", False) is (config.encryption == "sse-kms")
    assert rule["BlockedEncryptionTypes"] == {"EncryptionType": ["SSE-C"]}


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_buckets_are_private_versioned_logged_and_cleaned_up(variant_templates, config):
    t = template(variant_templates, config, BUCKET_STACK)
    all_blocked = {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    owner = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    t.resource_count_is("AWS::S3::Bucket", 2)
    t.has_resource(
        "AWS::S3::Bucket",
        {
            "Properties": Match.object_like(
                {
                    "PublicAccessBlockConfiguration": all_blocked,
                    "OwnershipControls": owner,
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LoggingConfiguration": {
                        "DestinationBucketName": {"Ref": LOG_BUCKET_ID},
                        "LogFilePrefix": "data/",
                    },
                    "LifecycleConfiguration": {
                        "Rules": Match.array_with(
                            [
                                Match.object_like(
                                    {"AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}
                                ),
                                Match.object_like(
                                    {"NoncurrentVersionExpiration": {"NoncurrentDays": 30}}
                                ),
                            ]
                        )
                    },
                }
            ),
            "DeletionPolicy": "Retain",
        },
    )
    # The log bucket: SSE-S3 (the only encryption S3 log delivery supports), private.
    log = resource(variant_templates[config][BUCKET_STACK], LOG_BUCKET_ID)
    assert log["Properties"]["BucketEncryption"] == {
        "ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
        ]
    }
    assert log["Properties"]["PublicAccessBlockConfiguration"] == all_blocked
    assert log["Properties"]["OwnershipControls"] == owner
    assert log["DeletionPolicy"] == "Retain"
    t.has_output(names.BUCKET_NAME_OUTPUT, {"Value": {"Ref": DATA_BUCKET_ID}})


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_transport_rules_on_both_buckets(variant_templates, config):
    raw = variant_templates[config][BUCKET_STACK]
    for bucket_id in (DATA_BUCKET_ID, LOG_BUCKET_ID):
        statements = statements_of(raw, "AWS::S3::BucketPolicy", bucket_id)
        insecure, tls = statements["DenyInsecureTransport"], statements["DenyOutdatedTls"]
        for statement in (insecure, tls):
            assert statement["Effect"] == "Deny" and statement["Principal"] == {"AWS": "*"}
            assert statement["Action"] == "s3:*"
            bucket_arn = {"Fn::GetAtt": [bucket_id, "Arn"]}
            assert statement["Resource"] == [bucket_arn, {"Fn::Join": ["", [bucket_arn, "/*"]]}]
        assert insecure["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert tls["Condition"] == {"NumericLessThan": {"s3:TlsVersion": "1.2"}}


ENC = "s3:x-amz-server-side-encryption"
KEY_ID_HEADER = "s3:x-amz-server-side-encryption-aws-kms-key-id"


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_data_bucket_encryption_statements(variant_templates, config):
    raw = variant_templates[config][BUCKET_STACK]
    statements = statements_of(raw, "AWS::S3::BucketPolicy", DATA_BUCKET_ID)
    strict = config.header_policy == "strict"
    expected = {
        "DenyInsecureTransport",
        "DenyOutdatedTls",
        "DenySseC",
        "DenyWrongEncryptionAlgorithm",
    }
    if strict:
        expected.add("DenyMissingEncryptionHeader")
    if config.uses_kms:
        expected.add("DenyWrongKmsKey")
        if not strict:
            expected.add("DenyKmsWithoutKeyId")
    # UpdateObjectEncryption always re-keys to SSE-KMS: only an SSE-KMS bucket allows it.
    sse_kms = config.encryption == "sse-kms"
    if not sse_kms:
        expected.add("DenyUpdateObjectEncryption")
    elif not strict:  # a re-key whose request names no key would get any key
        expected.add("DenyUpdateObjectEncryptionWithoutKeyId")
    # Who can read it: tests/infra/test_access.py.
    access = {
        "DenyObjectReadsByUndeclared",
        "DenyObjectWritesByUndeclared",
        "DenyObjectDeletesByUndeclared",
    }
    # Every statement has a Sid, none is missing or extra.
    assert set(statements) == expected | access

    objects = {"Fn::Join": ["", [{"Fn::GetAtt": [DATA_BUCKET_ID, "Arn"]}, "/*"]]}
    writes = ["s3:PutObject", "s3:ReplicateObject"]
    for sid in expected - {"DenyInsecureTransport", "DenyOutdatedTls"}:
        s = statements[sid]
        if sid == "DenySseC":
            actions = writes  # UpdateObjectEncryption takes no customer key
        elif sid == "DenyUpdateObjectEncryption":
            actions = "s3:UpdateObjectEncryption"
            assert "Condition" not in s  # denied outright
        elif sid == "DenyUpdateObjectEncryptionWithoutKeyId":
            actions = "s3:UpdateObjectEncryption"
            assert s["Condition"] == {"Null": {KEY_ID_HEADER: "true"}}
        else:
            actions = [*writes, "s3:UpdateObjectEncryption"] if sse_kms else writes
        assert (s["Effect"], s["Principal"], s["Action"], s["Resource"]) == (
            "Deny",
            {"AWS": "*"},
            actions,
            objects,
        ), sid
    assert statements["DenySseC"]["Condition"] == {
        "Null": {"s3:x-amz-server-side-encryption-customer-algorithm": "false"}
    }
    algorithm = ALGORITHM[config.encryption]
    wrong_algorithm = statements["DenyWrongEncryptionAlgorithm"]["Condition"]
    if strict:
        assert statements["DenyMissingEncryptionHeader"]["Condition"] == {"Null": {ENC: "true"}}
        assert wrong_algorithm == {"StringNotEquals": {ENC: algorithm}}
    else:
        # The Null guard: a request without the header passes to the bucket default.
        assert wrong_algorithm == {"StringNotEquals": {ENC: algorithm}, "Null": {ENC: "false"}}
    if config.uses_kms:
        wrong_key = statements["DenyWrongKmsKey"]["Condition"]
        assert "ProjectKey" in import_of(wrong_key["StringNotEquals"][KEY_ID_HEADER])
        if strict:
            assert set(wrong_key) == {"StringNotEquals"}  # a missing key id is denied too
        else:
            assert wrong_key["Null"] == {KEY_ID_HEADER: "false"}
            assert statements["DenyKmsWithoutKeyId"]["Condition"] == {
                "StringEquals": {ENC: algorithm},
                "Null": {KEY_ID_HEADER: "true"},
            }


# --- uploader stack --------------------------------------------------------------------


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_uploader_function(variant_templates, config):
    t = template(variant_templates, config, UPLOADER_STACK)
    t.resource_count_is("AWS::Lambda::Function", 1)

    def export_of(stack: str, value: dict) -> dict:
        """The import of the output of `stack` whose value is `value`."""
        outputs = variant_templates[config][stack]["Outputs"].values()
        (name,) = [o["Export"]["Name"] for o in outputs if "Export" in o and o["Value"] == value]
        return {"Fn::ImportValue": name}

    env = {
        "BUCKET_NAME": export_of(BUCKET_STACK, {"Ref": DATA_BUCKET_ID}),
        "PROBE_PREFIX": "probe",
        "ENCRYPTION": config.encryption,
        "HEADER_POLICY": config.header_policy,
    }
    if config.uses_kms:
        key_resources = variant_templates[config][KEY_STACK]["Resources"]
        (alias_id,) = [i for i, r in key_resources.items() if r["Type"] == "AWS::KMS::Alias"]
        env["KEY_ARN"] = export_of(KEY_STACK, {"Fn::GetAtt": [KEY_LOGICAL_ID, "Arn"]})
        env["KEY_ALIAS"] = export_of(KEY_STACK, {"Ref": alias_id})
    t.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "Runtime": "python3.14",
            "Architectures": ["arm64"],
            "Handler": "handler.lambda_handler",
            "LoggingConfig": {
                "LogFormat": "JSON",
                "LogGroup": {"Ref": Match.string_like_regexp("UploaderLogs")},
            },
            "Environment": {"Variables": env},
        },
    )
    t.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 90})
    (function_id,) = t.find_resources("AWS::Lambda::Function")
    t.has_output(names.FUNCTION_NAME_OUTPUT, {"Value": {"Ref": function_id}})


def _uploader_asset(variant_assemblies):
    outdir, templates = variant_assemblies[CONFIGS[0]]
    resources = templates[UPLOADER_STACK]["Resources"].values()
    (function,) = [r for r in resources if r["Type"] == "AWS::Lambda::Function"]
    return outdir / ("asset." + function["Properties"]["Code"]["S3Key"].removesuffix(".zip"))


def test_the_lambda_bundle_is_the_uploader_code_and_the_vocabulary(variant_assemblies):
    """The asset holds every module of lambda/uploader (the scenarios package included)
    and the two files of the vocabulary's package, and no caches or install metadata."""
    asset = _uploader_asset(variant_assemblies)
    source = ROOT / "lambda" / "uploader"

    def modules(root):
        return {p.relative_to(root).as_posix() for p in root.rglob("*.py")}

    vocabulary = {"encrypted_s3/__init__.py", "encrypted_s3/vocabulary.py"}
    assert modules(asset) == modules(source) | vocabulary
    assert {"handler.py", "scenarios/__init__.py", "scenarios/table.py"} <= modules(asset)
    for name in vocabulary:
        assert (asset / name).read_bytes() == (ROOT / name).read_bytes()
    unwanted = {"__pycache__", ".mypy_cache", ".pytest_cache"}
    assert [p for p in asset.rglob("*") if p.name in unwanted or p.suffix == ".egg-info"] == []


def test_the_lambda_bundle_imports_its_handler_from_itself_without_the_cdk(variant_assemblies):
    """As the Lambda runtime does, with only the bundle on the path: the handler, the
    table and the vocabulary come from the bundle, and nothing imports aws-cdk-lib."""
    asset = _uploader_asset(variant_assemblies)
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]); import handler, scenarios, encrypted_s3;"
        "from encrypted_s3.vocabulary import STORE_ACTIONS;"
        "print(encrypted_s3.__file__, scenarios.__file__, len(STORE_ACTIONS),"
        " sorted(m for m in sys.modules if m.split('.')[0] in ('aws_cdk', 'jsii', 'stacks')))"
    )
    run = subprocess.run(
        [sys.executable, "-I", "-c", script, str(asset)], capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    package, table, count, cdk_modules = run.stdout.split(" ", 3)
    assert Path(package) == asset / "encrypted_s3" / "__init__.py"
    assert Path(table) == asset / "scenarios" / "__init__.py"
    assert int(count) == len(STORE_ACTIONS)
    assert cdk_modules.strip() == "[]"


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_uploader_role_is_confined_to_its_prefix_and_s3(variant_templates, config):
    raw = variant_templates[config][UPLOADER_STACK]
    (role,) = [r for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Role"]
    assert "ManagedPolicyArns" not in role["Properties"]  # no AWS managed policy
    assert not [r for r in raw["Resources"].values() if r["Type"] == "AWS::IAM::Policy"]
    statements = statements_of(raw, "AWS::IAM::Role")
    for sid, statement in statements.items():
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        assert statement["Effect"] == "Allow"
        assert statement["Resource"] != "*", sid
        assert not any(a.endswith(":*") or a == "*" for a in actions), sid
    assert "s3:UpdateObjectEncryption" in statements["ProbeObjects"]["Action"]
    objects = statements["ProbeObjects"]["Resource"]["Fn::Join"][1]
    assert objects[1] == "/probe/*" and "EncryptedBucketData" in import_of(objects[0])
    assert statements["ListProbePrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["probe/*"]}}
    if not config.uses_kms:
        assert "UseKeyThroughS3" not in statements
        return
    kms = statements["UseKeyThroughS3"]
    data_keys = ["kms:Decrypt", "kms:GenerateDataKey"]
    if config.encryption == "sse-kms":
        # UpdateObjectEncryption's documented KMS permissions (kms:ReEncrypt* spelled out),
        # under the same ViaService and encryption-context conditions.
        data_keys += ["kms:Encrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"]
    assert sorted(kms["Action"]) == sorted(data_keys)
    assert "ProjectKey" in import_of(kms["Resource"])
    assert kms["Condition"]["StringEquals"] == {
        "kms:ViaService": {"Fn::Join": ["", ["s3.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]}
    }


def test_sse_s3_has_no_key_stack(variant_templates):
    for config in CONFIGS:
        assert (KEY_STACK in variant_templates[config]) is config.uses_kms


def test_dev_destroys_what_it_created(dev_templates):
    """cdk.json's dev environment sets retain_data false: DESTROY plus auto-delete."""
    key = resource(dev_templates[KEY_STACK], KEY_LOGICAL_ID)
    assert key["DeletionPolicy"] == "Delete"
    bucket = dev_templates[BUCKET_STACK]
    assert resource(bucket, DATA_BUCKET_ID)["DeletionPolicy"] == "Delete"
    auto_delete = [
        r for r in bucket["Resources"].values() if r["Type"] == "Custom::S3AutoDeleteObjects"
    ]
    assert len(auto_delete) == 2  # data and log bucket


def test_settings_travel_with_the_bucket_template(variant_templates):
    for config, templates in variant_templates.items():
        (meta,) = [
            r["Metadata"][names.INSTANCE_METADATA]["settings"]
            for r in templates[BUCKET_STACK]["Resources"].values()
            if names.INSTANCE_METADATA in r.get("Metadata", {})
        ]
        assert (meta["encryption"], meta["header_policy"]) == (
            config.encryption,
            config.header_policy,
        )
