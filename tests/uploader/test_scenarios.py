"""The scenario table against docs/design.md, "The scenarios", cell by cell, and its own
consistency."""

from __future__ import annotations

import json
import re

import pytest

import scenarios as sc
from encrypted_s3 import vocabulary
from proof.paths import ROOT

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
    ("dsse-kms-other-key", D, D),
    ("dsse-kms-aws-managed", D, D),
    ("sse-c", D, D),
    ("multipart-required", A, A),
    ("copy-no-header", D, A),
    ("copy-required", A, A),
    ("http-required", D, D),
    ("read-back", A, A),
    ("update-encryption-other-key", D, D),
    ("update-encryption-project-key", A, A),
    ("replicate-wrong", D, D),
    ("replicate-required", A, A),
]


def by_name(name: str) -> sc.Scenario:
    for scenario in sc.SCENARIOS:
        if scenario.name == name:
            return scenario
    raise KeyError(f"unknown scenario {name!r}; known: {', '.join(s.name for s in sc.SCENARIOS)}")


@pytest.mark.parametrize(("name", "strict", "aware"), DESIGN_TABLE)
def test_sse_kms_expectations_match_the_design_table(name, strict, aware):
    scenario = by_name(name)
    assert scenario.expect(vocabulary.Config("sse-kms", "strict")).outcome == strict
    assert scenario.expect(vocabulary.Config("sse-kms", "default-aware")).outcome == aware


def test_the_table_covers_the_design_table_and_names_are_unique():
    names = [s.name for s in sc.SCENARIOS]
    assert len(names) == len(set(names))
    assert {row[0] for row in DESIGN_TABLE} <= set(names)


@pytest.mark.parametrize("config", vocabulary.all_configs(), ids=lambda c: c.label)
def test_only_the_required_headers_are_allowed_in_every_mode(config):
    """Among single puts, exactly the mode's own headers pass (and no header, if aware)."""
    allowed = {
        s.name
        for s in sc.scenarios_for(config)
        if s.operation == "put"
        and sc.REKEY_ROLE not in s.principals  # the re-key role's rows: its own rules
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
    aware = vocabulary.Config("sse-kms", "default-aware")
    # No header: stored with the bucket default, the project key, so S3 asks KMS.
    steps = [r.action for r in by_name("no-header").iam_requests(aware, keys)]
    assert steps == ["s3:PutObject", "kms:GenerateDataKey"]
    # SSE-C and foreign keys: the project key is never used.
    for name in ("sse-c", "sse-kms-other-key", "sse-s3"):
        assert [r.service for r in by_name(name).iam_requests(aware, keys)] == ["s3"]
    multipart = [r.step for r in by_name("multipart-required").iam_requests(aware, keys)]
    assert multipart[:3] == ["CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"]
    assert by_name("kms-direct").applies(vocabulary.Config("sse-s3", "strict")) is False


def test_bad_config_is_refused():
    with pytest.raises(ValueError, match="encryption 'x' is not one of"):
        vocabulary.Config("x", "strict")
    with pytest.raises(ValueError, match="header_policy 'y' is not one of"):
        vocabulary.Config("sse-kms", "y")


def test_stored_reads_the_same_live_and_offline():
    keys = sc.KeyRefs.build("aws", "eu-west-1", "123456789012", "arn:aws:kms:eu-west-1:1:key/k")
    promised = sc.Stored.promised(vocabulary.Config("sse-kms", "strict"), keys)
    assert promised.describe(keys) == "aws:kms + project key + bucket key"
    assert sc.Stored("aws:kms", keys.other_arn, False).describe(keys) == "aws:kms + other key"
    stranger = "arn:aws:kms:eu-west-1:123456789012:alias/aws/s3"
    assert sc.Stored("aws:kms", stranger, False).describe(keys) == "aws:kms + alias/aws/s3"
    assert sc.Stored("AES256", None, False).describe(keys) == "AES256"


KEYS = sc.KeyRefs.build(
    "aws", "eu-west-1", "123456789012", "arn:aws:kms:eu-west-1:123456789012:key/k"
)


IAM_DATA = ROOT / "node_modules" / "@cloud-copilot" / "iam-data" / "data"


def test_the_names_other_proofs_import():
    """What the stacks and the proofs import is what AWS lists and the table runs."""
    condition_keys = json.loads((IAM_DATA / "conditionKeys" / "s3.json").read_text())
    about_encryption = [k for k in condition_keys if k.startswith("s3:x-amz-server-side-")]
    assert sorted(vocabulary.ENCRYPTION_CONDITION_KEYS) == sorted(about_encryption)
    # The store actions are the actions carrying those keys that the write rows request.
    actions = json.loads((IAM_DATA / "actions" / "s3.json").read_text()).values()
    with_keys = {
        f"s3:{a['name']}"
        for a in actions
        if set(a.get("conditionKeys", [])) & set(about_encryption)
    }
    requested = {
        r.action
        for config in vocabulary.all_configs()
        for s in sc.SCENARIOS
        if s.writes()
        for r in s.iam_requests(config, KEYS, sc.ACCOUNT_ADMIN)
    }
    assert set(vocabulary.STORE_ACTIONS) == requested & with_keys
    # The principals are the README's "Who asks", in its order.
    readme = (ROOT / "README.md").read_text()
    who_asks = readme[readme.index("**Who asks.**") :].split("\n\n")[1]
    assert tuple(re.findall(r"^- `([a-z-]+)`:", who_asks, re.M)) == sc.PRINCIPALS


@pytest.mark.parametrize("config", vocabulary.all_configs(), ids=lambda c: c.label)
def test_update_encryption_keeps_the_promise_only_in_sse_kms(config):
    """It always re-keys to SSE-KMS: elsewhere it can only move objects away."""
    to_project = by_name("update-encryption-project-key").expect(config)
    assert to_project.outcome == (A if config.encryption == "sse-kms" else D)
    assert by_name("update-encryption-other-key").expect(config).outcome == D
    if config.encryption != "sse-kms":
        assert "DenyUpdateObjectEncryption" in to_project.because


@pytest.mark.parametrize("config", vocabulary.all_configs(), ids=lambda c: c.label)
def test_replication_follows_the_write_rules_and_is_offline_only(config):
    wrong, required = by_name("replicate-wrong"), by_name("replicate-required")
    assert wrong.expect(config).outcome == D
    assert wrong.sse(config).algorithm != config.algorithm
    assert required.expect(config).outcome == A
    for scenario in (wrong, required):
        assert scenario.live is False
        assert sc.REPLICATION_OFFLINE in scenario.seed
        # The uploader's role grants no s3:ReplicateObject: the role decides, not the bucket.
        assert scenario.expect_as(config, sc.UPLOADER).outcome == D


def test_update_encryption_rows_are_live():
    """The live probe performs them: live rows, run by the probe's re-keying operation."""
    from probe.operations import OPERATIONS, update_encryption_op

    for name in ("update-encryption-other-key", "update-encryption-project-key"):
        scenario = by_name(name)
        assert scenario.live is True
        assert OPERATIONS[scenario.operation] is update_encryption_op


# What the undeclared are fenced off: every object, and S3's use of the key for them.
FENCED = (*sc.WRITE_OPERATIONS, "get", "get-tagging", "put-tagging", "delete") + (
    "kms-decrypt-via-s3",
    "kms-data-key-via-s3",
)


@pytest.mark.parametrize("config", vocabulary.all_configs(), ids=lambda c: c.label)
def test_expectations_per_principal(config):
    for scenario in sc.scenarios_for(config):
        for principal in scenario.principals:
            expected = scenario.expect_as(config, principal)
            if principal == sc.OTHER_ACCOUNT:
                assert expected.outcome == D, scenario.name
            elif principal == sc.ACCOUNT_ADMIN:
                # Declared neither reader nor writer: no object, whatever the bucket allows.
                on_objects = scenario.operation in FENCED
                assert (expected.outcome == D) or not on_objects, scenario.name
                if not on_objects:
                    assert expected == scenario.expect(config), scenario.name
            elif principal == sc.DECLARED_ADMIN:
                assert expected == scenario.expect(config), scenario.name
    # The key's own rows run as the account admin and a declared one; the policy guard's
    # rows name their own principals (tests/infra/test_hardening.py), the re-key role's it.
    single = {s.name for s in sc.SCENARIOS if s.principals != sc.PRINCIPALS}
    key_rows = {"kms-direct", "kms-decrypt-via-s3", "kms-data-key-via-s3"}
    guard, rekey = sc.GUARD_SCENARIOS, sc.REKEY_ROLE_SCENARIOS
    assert single == key_rows | {"read-declared-other-account"} | {s.name for s in (*guard, *rekey)}
    assert {s.principals for s in rekey} == {(sc.REKEY_ROLE,)}
    for name in key_rows:
        assert by_name(name).principals == (sc.ACCOUNT_ADMIN, sc.DECLARED_ADMIN)
    with pytest.raises(ValueError, match="principal 'root' is not one of"):
        by_name("no-header").expect_as(config, "root")


def test_update_encryption_is_authorized_twice_with_the_target_keys():
    config = vocabulary.Config("sse-kms", "strict")
    requests = by_name("update-encryption-project-key").iam_requests(config, KEYS, sc.ACCOUNT_ADMIN)
    s3 = [r for r in requests if r.service == "s3"]
    assert [r.action for r in s3] == ["s3:UpdateObjectEncryption", "s3:PutObject"]
    for request in s3:
        assert request.context[vocabulary.ALGORITHM_KEY] == "aws:kms"
        assert request.context[vocabulary.KMS_KEY_ID_KEY] == KEYS.project_arn
    kms = {r.action for r in requests if r.service == "kms"}
    assert kms == {
        "kms:Decrypt",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
        "kms:GenerateDataKey",
        "kms:Encrypt",
    }
    assert {r.principal for r in requests} == {sc.ACCOUNT_ADMIN}
    assert all(
        r.context["kms:CallerAccount"] == "{caller_account}" for r in requests if r.service == "kms"
    )
    # To a foreign key: the bucket policy alone decides, S3 never reaches the project key.
    other = by_name("update-encryption-other-key").iam_requests(config, KEYS)
    assert [r.service for r in other] == ["s3", "s3"]


def test_replication_is_authorized_as_replicate_object():
    config = vocabulary.Config("dsse-kms", "default-aware")
    requests = by_name("replicate-required").iam_requests(config, KEYS)
    assert [(r.service, r.action) for r in requests] == [
        ("s3", "s3:ReplicateObject"),
        ("kms", "kms:Encrypt"),
    ]
    assert requests[0].context[vocabulary.ALGORITHM_KEY] == "aws:kms:dsse"


def test_rows_name_their_principal():
    plain = sc.row("sse-s3", "seed", D, A)
    admin = sc.row("sse-s3", "seed", D, A, principal=sc.ACCOUNT_ADMIN)
    assert plain["principal"] == "uploader"  # the live probe's rows
    assert sc.failed([plain, admin]) == ["sse-s3", "sse-s3 (account-admin)"]
    legacy = {k: v for k, v in plain.items() if k != "principal"}  # an older probe's row
    assert sc.row_name(legacy) == "sse-s3"
    with pytest.raises(ValueError, match="principal 'x' is not one of"):
        sc.row("sse-s3", "seed", D, A, principal="x")


def _defined_in(path):
    """The public names a module defines itself (assigned, def, class), not imports."""
    import ast

    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            names.add(node.name)
    return {n for n in names if not n.startswith("_")}


def test_the_package_re_exports_every_name_of_its_modules_and_no_vocabulary():
    """One way to import each name of the table: `from scenarios import X`, for every
    public name its modules define; the vocabulary only from encrypted_s3.vocabulary."""
    package = ROOT / "lambda" / "uploader" / "scenarios"
    modules = [p for p in package.glob("*.py") if p.name != "__init__.py"]
    defined = set().union(*(_defined_in(p) for p in modules))
    assert sorted(sc.__all__) == sorted(defined)
    assert len(sc.__all__) == len(set(sc.__all__))
    assert not set(sc.__all__) & _defined_in(ROOT / "encrypted_s3" / "vocabulary.py")
    assert not (package / "vocabulary.py").exists()
